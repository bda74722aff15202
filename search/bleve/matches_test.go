package bleve

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	blv "github.com/blevesearch/bleve/v2"

	"tuongtac/search"
	"tuongtac/search/searchtest"
)

// TestMatchesAgreeWithBleve checks the bitmap evaluation against Bleve's own
// search on an index with many segments and deleted documents: the same
// totals, and the same documents as collecting Bleve's hits.
func TestMatchesAgreeWithBleve(t *testing.T) {
	ctx := context.Background()
	ix, err := Open(filepath.Join(t.TempDir(), "i"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	docs := searchtest.Corpus(t)
	// Small batches make segments; re-indexing and deleting some leaves
	// deleted documents in them.
	for i := 0; i < len(docs); i += 20 {
		if err := ix.Index(ctx, docs[i:min(i+20, len(docs))]...); err != nil {
			t.Fatal(err)
		}
	}
	var updated []search.Doc
	for i := 0; i < len(docs); i += 4 {
		d := docs[i]
		d.Title += " cập nhật"
		updated = append(updated, d)
	}
	if err := ix.Index(ctx, updated...); err != nil {
		t.Fatal(err)
	}
	if err := ix.Delete(ctx, "q003", "q017", "q031", "q045"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []search.Query{
		{},
		{Text: "dân"},
		{Text: "cập nhật"},
		{Text: "thu tuc dat dai"},
		{Text: `"dịch vụ công"`},
		{Text: `"thủ tục hành chính" tỉnh`},
		{Text: "hồ sơ", Kind: "complaint"},
		{Scope: []string{"longxuyen", "chaudoc"}},
		{Text: "đất", Scope: []string{"ubnd-tinh"}, Year: 2024},
		{States: []string{"published", "queued"}, Topic: "dat-dai"},
		{Text: "zzz"},
	} {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			p := search.Parse(q.Text)
			cs := append(textClauses(p), filterClauses(q)...)
			ms, err := ix.matches(ctx, cs)
			if err != nil {
				t.Fatal(err)
			}
			defer ms.close()
			sr, err := ix.idx.SearchInContext(ctx, blv.NewSearchRequestOptions(allOf(queries(cs)), 0, 0, false))
			if err != nil {
				t.Fatal(err)
			}
			if ms.total != int(sr.Total) {
				t.Errorf("bitmap total %d, Bleve %d", ms.total, sr.Total)
			}
			it := &matchSet{cache: ms.cache, reader: ms.reader, segs: ms.segs, hits: make([]*roaring.Bitmap, len(ms.segs))}
			if err := it.collect(ctx, allOf(queries(cs)), ix); err != nil {
				t.Fatal(err)
			}
			for i := range ms.hits {
				if !ms.hits[i].Equals(it.hits[i]) {
					t.Errorf("segment %d: bitmaps %v, collected %v", i, ms.hits[i].ToArray(), it.hits[i].ToArray())
				}
			}
		})
	}
	if n := len(ix.cache.segs); n == 0 {
		t.Error("nothing cached")
	}
}

func TestWeek(t *testing.T) {
	for in, want := range map[string]string{
		"2025-03-03T00:00:00Z":      "w:2025-03-03", // Monday
		"2025-03-05T12:00:00Z":      "w:2025-03-03",
		"2025-03-09T23:59:59Z":      "w:2025-03-03", // Sunday
		"2025-03-10T00:00:00Z":      "w:2025-03-10",
		"2025-01-01T08:00:00Z":      "w:2024-12-30", // across a year
		"2025-03-10T05:00:00+07:00": "w:2025-03-03", // Sunday 22:00 UTC
	} {
		at, err := time.Parse(time.RFC3339, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := week(at); got != want {
			t.Errorf("week(%s) = %s, want %s", in, got, want)
		}
	}
}
