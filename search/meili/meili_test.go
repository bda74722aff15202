package meili_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"tuongtac/search"
	"tuongtac/search/meili"
	"tuongtac/search/searchtest"
)

var seq atomic.Int64

// TestContract runs the contract suite against the Meilisearch server at
// MEILI_URL (with MEILI_API_KEY if set), each test in its own index, deleted
// afterwards.
func TestContract(t *testing.T) {
	url := os.Getenv("MEILI_URL")
	if url == "" {
		t.Skip("MEILI_URL not set: Meilisearch contract run skipped")
	}
	key := os.Getenv("MEILI_API_KEY")
	searchtest.Run(t, func(t *testing.T) search.Indexer {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		uid := fmt.Sprintf("tuongtac_test_%d_%d", time.Now().UnixNano(), seq.Add(1))
		ix, err := meili.Open(ctx, url, key, uid)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := ix.Drop(ctx); err != nil {
				t.Errorf("drop %s: %v", uid, err)
			}
			ix.Close()
		})
		return ix
	})
}
