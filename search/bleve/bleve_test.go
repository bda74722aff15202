package bleve_test

import (
	"path/filepath"
	"testing"

	"tuongtac/search"
	"tuongtac/search/bleve"
	"tuongtac/search/searchtest"
)

func open(t *testing.T) search.Indexer {
	t.Helper()
	ix, err := bleve.Open(filepath.Join(t.TempDir(), "index"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func TestContract(t *testing.T) {
	searchtest.Run(t, open)
}
