package bleve_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"tuongtac/search"
	"tuongtac/search/bleve"
)

func TestOpenReopen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data", "search", "public")
	ix, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Index(ctx, search.Doc{ID: "a", Title: "Đất đai", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	res, err := ix.Search(ctx, search.Query{Text: "dat dai"})
	if err != nil || res.Total != 1 {
		t.Fatalf("after reopen: %+v, %v", res, err)
	}
}

func TestOpenEmptyDir(t *testing.T) {
	dir := t.TempDir() // exists, empty
	ix, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
}

func TestOpenIncompatible(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index_meta.json"), []byte(`{"storage":"scorch","index_type":"scorch"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := bleve.Open(dir); err == nil {
		t.Fatal("opened a broken index")
	}
	// A valid index of another version.
	dir = filepath.Join(t.TempDir(), "i")
	ix, err := bleve.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if err := bleve.SetVersionForTest(dir, "old"); err != nil {
		t.Fatal(err)
	}
	if _, err := bleve.Open(dir); !errors.Is(err, bleve.ErrIncompatible) {
		t.Fatalf("Open = %v, want ErrIncompatible", err)
	}
}
