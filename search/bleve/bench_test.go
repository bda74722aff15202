package bleve_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"tuongtac/agencies"
	"tuongtac/search"
	"tuongtac/search/bleve"
	"tuongtac/search/searchtest"
	"tuongtac/vntext"
)

// benchDocs is the size of the benchmark index: the 100,000 published
// threads.
const benchDocs = 100_000

// generator makes published threads from the corpus's own vocabulary: titles
// and sentences of real questions and answers, recombined, across every
// agency of the bundled tree, over three years. The same seed gives the same
// threads.
type generator struct {
	rng                      *rand.Rand
	tree                     *agencies.Tree
	agencies                 []string
	titles, kinds, topics    []string
	sentences, answerClauses []string
}

func newGenerator(tb testing.TB, seed uint64) *generator {
	tree, err := agencies.Default()
	if err != nil {
		tb.Fatal(err)
	}
	g := &generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), tree: tree}
	for _, a := range tree.All() {
		g.agencies = append(g.agencies, a.ID)
	}
	split := func(s string) (out []string) {
		for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' }) {
			for _, x := range strings.SplitAfter(p, ". ") {
				if x = strings.TrimSpace(x); len(x) > 20 {
					out = append(out, x)
				}
			}
		}
		return out
	}
	for _, q := range searchtest.Questions(tb) {
		if q.Lang != "vi" {
			continue
		}
		g.titles = append(g.titles, q.Title)
		g.kinds = append(g.kinds, q.Kind)
		g.topics = append(g.topics, q.Topic)
		g.sentences = append(g.sentences, split(q.Body)...)
		g.answerClauses = append(g.answerClauses, split(q.Answer)...)
	}
	return g
}

func (g *generator) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *generator) paragraph(from []string, min, max int) string {
	var b strings.Builder
	for k := min + g.rng.IntN(max-min+1); k > 0; k-- {
		b.WriteString(g.pick(from))
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

var benchStart = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

func (g *generator) doc(n int) search.Doc {
	i := g.rng.IntN(len(g.titles))
	title := g.titles[i]
	if g.rng.IntN(2) == 0 {
		// The head of one title with the tail of another.
		a, b := strings.Fields(title), strings.Fields(g.pick(g.titles))
		if len(a) > 4 && len(b) > 4 {
			title = strings.Join(append(a[:len(a)/2:len(a)/2], b[len(b)/2:]...), " ")
		}
	}
	agency := g.pick(g.agencies)
	created := benchStart.Add(time.Duration(g.rng.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Second)
	published := created.Add(time.Duration(1+g.rng.IntN(20*24)) * time.Hour)
	return search.Doc{
		ID: fmt.Sprintf("t%06d", n), Agency: agency, Scope: g.tree.Ancestors(agency),
		Kind: g.kinds[i], Topic: g.topics[i], State: "published", Year: published.Year(),
		Title: title, Body: g.paragraph(g.sentences, 3, 9), Answer: g.paragraph(g.answerClauses, 3, 9),
		CreatedAt: created, PublishedAt: published,
	}
}

// each generates benchDocs documents in batches, without keeping them, so
// the process's memory afterwards is the index's.
func each(tb testing.TB, batch int, fn func([]search.Doc)) {
	g := newGenerator(tb, 1)
	docs := make([]search.Doc, 0, batch)
	for n := range benchDocs {
		docs = append(docs, g.doc(n))
		if len(docs) == batch || n == benchDocs-1 {
			fn(docs)
			docs = docs[:0]
		}
	}
}

// benchEnv is the index (and SQLite baseline) shared by the sub-benchmarks.
type benchEnv struct {
	once      sync.Once
	ix        *bleve.Index
	db        *sql.DB
	buildRate float64 // docs/s; 0 when an existing index was reused
	peakRSS   float64 // MB while building
	err       error
}

var env benchEnv

// setup opens the 100k index, building it first unless $TT_BENCH_DIR holds
// one from an earlier run.
func setup(b *testing.B) *benchEnv {
	env.once.Do(func() {
		dir := os.Getenv("TT_BENCH_DIR")
		if dir == "" {
			d, err := os.MkdirTemp("", "search-bench-")
			if err != nil {
				env.err = err
				return
			}
			dir = d
			cleanups = append(cleanups, func() { os.RemoveAll(d) })
		}
		path := filepath.Join(dir, "bleve-100k")
		ix, err := bleve.Open(path)
		if err != nil {
			env.err = err
			return
		}
		env.ix = ix
		ctx := context.Background()
		if n, _ := ix.Count(ctx); n != benchDocs {
			start := time.Now()
			each(b, 10000, func(docs []search.Doc) {
				if err := ix.Index(ctx, docs...); err != nil && env.err == nil {
					env.err = err
				}
			})
			env.buildRate = benchDocs / time.Since(start).Seconds()
			env.peakRSS = procStatus("VmHWM")
		}
		env.db, env.err = baseline(b, dir)
	})
	if env.err != nil {
		b.Fatal(env.err)
	}
	return &env
}

var cleanups []func()

// baseline fills (or reuses) an SQLite table with the same texts, for the
// LIKE '%word%' comparison.
func baseline(tb testing.TB, dir string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", filepath.Join(dir, "baseline.db"))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, title TEXT, body TEXT, answer TEXT)`); err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM docs`).Scan(&n); err != nil {
		return nil, err
	}
	if n == benchDocs {
		return db, nil
	}
	if _, err := db.Exec(`DELETE FROM docs`); err != nil {
		return nil, err
	}
	each(tb, 5000, func(docs []search.Doc) {
		tx, err := db.Begin()
		if err != nil {
			tb.Fatal(err)
		}
		for _, d := range docs {
			if _, err := tx.Exec(`INSERT INTO docs VALUES (?, ?, ?, ?)`, d.ID, d.Title, d.Body, d.Answer); err != nil {
				tb.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	})
	return db, nil
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus reads a memory figure (VmRSS, VmHWM) of this process, in MB.
func procStatus(key string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// Query sets, each cycled through by one sub-benchmark. The words are
// frequent in the corpus, so they match thousands of the 100k threads: the
// expensive case.
var (
	oneWord    = []string{"đất", "ngập", "thuế", "bệnh", "học", "rác", "điện", "cầu", "hồ", "phường"}
	twoWords   = []string{"đất đai", "hồ sơ", "bảo hiểm", "giấy phép", "thủ tục", "học phí", "trợ cấp", "sạt lở", "đăng ký", "xây dựng"}
	threeWords = []string{"dịch vụ công", "giấy chứng nhận", "quyền sử dụng", "hộ kinh doanh", "bảo hiểm y", "thủ tục hành", "chiếu sáng công", "đăng ký tạm", "bồi thường giải", "nhà ở xã"}
	prefixes   = []string{"t", "th", "thu", "thủ t", "đăng k", "ngậ", "ho so", "gi", "bao hiem y", "d"}
)

func fold(qs []string) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = vntext.Fold(q)
	}
	return out
}

// measure runs fn b.N times cycling through inputs, after one warm-up pass,
// and reports the 50th and 95th percentile latencies.
func measure(b *testing.B, inputs []string, fn func(string) int) (p50 float64) {
	return measureN(b, b.N, inputs, fn)
}

// measureN is measure for n runs, for baselines too slow for b.N.
func measureN(b *testing.B, n int, inputs []string, fn func(string) int) (p50 float64) {
	for _, in := range inputs {
		fn(in)
	}
	lat := make([]time.Duration, 0, n)
	hits := 0
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := range n {
		start := time.Now()
		hits += fn(inputs[i%len(inputs)])
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / 1e6
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(float64(hits)/float64(n), "hits/op")
	// CPU time of the whole process per search: what a search costs when
	// the machine is shared (the wall-clock percentiles include waiting
	// for a core).
	b.ReportMetric(float64(cpu)/1e6/float64(n), "cpu-ms/op")
	return pct(0.50)
}

// bleve1Word is the p50 of 1-word searches, for the baseline's ratio.
var bleve1Word float64

// BenchmarkSearch100k measures the embedded backend at the scale:
// 100,000 published threads. Run it with
//
//	go test -run '^$' -bench Search100k -benchtime 400x -timeout 30m ./search/bleve/
//
// Set TT_BENCH_DIR to keep the index (and the SQLite baseline) between runs.
func BenchmarkSearch100k(b *testing.B) {
	defer func() {
		for _, f := range cleanups {
			f()
		}
		cleanups = nil
		if env.ix != nil {
			env.ix.Close()
		}
		if env.db != nil {
			env.db.Close()
		}
		env = benchEnv{}
	}()
	ctx := context.Background()
	b.Run("build", func(b *testing.B) {
		e := setup(b)
		if e.buildRate > 0 {
			b.ReportMetric(e.buildRate, "docs/s")
			b.ReportMetric(e.peakRSS, "peak-RSS-MB")
		} else {
			b.Log("index reused from TT_BENCH_DIR: build rate not measured")
		}
	})
	searchText := func(q search.Query) func(string) int {
		return func(text string) int {
			q.Text = text
			res, err := env.ix.Search(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			return res.Total
		}
	}
	for _, tc := range []struct {
		name  string
		texts []string
		q     search.Query
	}{
		{"1word/diacritics", oneWord, search.Query{}},
		{"1word/folded", fold(oneWord), search.Query{}},
		{"2words/diacritics", twoWords, search.Query{}},
		{"2words/folded", fold(twoWords), search.Query{}},
		{"3words/diacritics", threeWords, search.Query{}},
		{"3words/folded", fold(threeWords), search.Query{}},
		{"phrase", quote(threeWords), search.Query{}},
		{"1word/newest", oneWord, search.Query{Sort: search.SortNewest}},
		{"1word/district", oneWord, search.Query{Scope: []string{"longxuyen"}}},
		{"facets/all", []string{""}, search.Query{Facets: true, PerPage: 1}},
		{"facets/1word", oneWord, search.Query{Facets: true}},
		{"facets/2words", twoWords, search.Query{Facets: true}},
		{"browse/district", []string{""}, search.Query{Scope: []string{"longxuyen"}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			setup(b)
			p50 := measure(b, tc.texts, searchText(tc.q))
			if tc.name == "1word/diacritics" {
				bleve1Word = p50
			}
		})
	}
	b.Run("suggest", func(b *testing.B) {
		setup(b)
		measure(b, prefixes, func(p string) int {
			s, err := env.ix.Suggest(ctx, p, search.Query{}, 8)
			if err != nil {
				b.Fatal(err)
			}
			return len(s)
		})
	})
	b.Run("rss", func(b *testing.B) {
		setup(b)
		runtime.GC()
		debug.FreeOSMemory()
		b.ReportMetric(procStatus("VmRSS"), "RSS-MB")
	})
	// The baseline: what a plain LIKE scan costs for the same 1-word
	// searches, counting matches as Total needs (it folds nothing: "dat"
	// does not find "đất").
	b.Run("sqlite-like/1word", func(b *testing.B) {
		setup(b)
		p50 := measureN(b, min(b.N, 3*len(oneWord)), oneWord, func(w string) int {
			var n int
			p := "%" + w + "%"
			if err := env.db.QueryRow(`SELECT count(*) FROM docs WHERE title LIKE ?1 OR body LIKE ?1 OR answer LIKE ?1`, p).Scan(&n); err != nil {
				b.Fatal(err)
			}
			return n
		})
		if bleve1Word > 0 {
			b.ReportMetric(p50/bleve1Word, "x-bleve-p50")
		}
	})
}

func quote(qs []string) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = `"` + q + `"`
	}
	return out
}
