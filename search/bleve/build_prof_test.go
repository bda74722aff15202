package bleve_test

import (
	"context"
	"os"
	"testing"
	"time"

	"tuongtac/search"
	"tuongtac/search/bleve"
)

func TestBuildProfile(t *testing.T) {
	if os.Getenv("TT_BUILD_PROF") == "" {
		t.Skip()
	}
	ix, err := bleve.Open(t.TempDir() + "/i")
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	g := newGenerator(t, 1)
	start := time.Now()
	cpu0 := cpuTime()
	var docs []search.Doc
	for n := range 20000 {
		docs = append(docs, g.doc(n))
		if len(docs) == 10000 {
			if err := ix.Index(context.Background(), docs...); err != nil {
				t.Fatal(err)
			}
			docs = docs[:0]
		}
	}
	t.Logf("%.0f docs/s, %.2f cpu-ms/doc, peak %.0f MB", 20000/time.Since(start).Seconds(), float64(cpuTime()-cpu0)/1e6/20000, procStatus("VmHWM"))
}
