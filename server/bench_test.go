package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tuongtac/agencies"
	"tuongtac/threads"
)

// Benchmarks measure the service end to end over loopback HTTP, as a client
// would see it, and report latency percentiles. See BENCHMARKS.md for how to
// run them and the numbers.

// latencies runs total requests from clients concurrent goroutines and
// returns their sorted durations and the wall time.
func latencies(b *testing.B, clients, total int, do func(i int) error) ([]time.Duration, time.Duration) {
	b.Helper()
	durs := make([]time.Duration, total)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total {
					return
				}
				t0 := time.Now()
				if err := do(i); err != nil {
					failed.Store(err)
					return
				}
				durs[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(durs)
	return durs, wall
}

func pct(durs []time.Duration, p float64) float64 {
	if len(durs) == 0 {
		return 0
	}
	i := int(float64(len(durs)-1) * p)
	return float64(durs[i].Microseconds()) / 1000
}

// report adds p50, p95 and p99 in milliseconds, and the request rate.
func report(b *testing.B, durs []time.Duration, wall time.Duration) {
	b.ReportMetric(pct(durs, 0.50), "p50-ms")
	b.ReportMetric(pct(durs, 0.95), "p95-ms")
	b.ReportMetric(pct(durs, 0.99), "p99-ms")
	b.ReportMetric(float64(len(durs))/wall.Seconds(), "req/s")
}

var benchHTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

func fetch(method, url string, body []byte, header map[string]string, want int) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := benchHTTP.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d", method, url, res.StatusCode, want)
	}
	return nil
}

// BenchmarkSubmit measures submissions through the JSON API with 1 and 16
// concurrent clients, beside a static JSON endpoint of the same server.
func BenchmarkSubmit(b *testing.B) {
	ta := newTestApp(b)
	base := ta.listen()
	qs := loadCorpus(b)
	var seq atomic.Int64
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("static/clients=%d", clients), func(b *testing.B) {
			durs, wall := latencies(b, clients, b.N, func(int) error { return fetch("GET", base+"/healthz", nil, nil, 200) })
			report(b, durs, wall)
		})
		b.Run(fmt.Sprintf("submit/clients=%d", clients), func(b *testing.B) {
			durs, wall := latencies(b, clients, b.N, func(i int) error {
				q := qs[i%len(qs)].submission()
				q["title"] = fmt.Sprintf("%s (%d)", q["title"], seq.Add(1)) // unique: no duplicate refusals
				body, _ := json.Marshal(q)
				return fetch("POST", base+"/api/v1/threads", body, map[string]string{"Content-Type": "application/json"}, 201)
			})
			report(b, durs, wall)
		})
	}
}

// benchSizes is the store sizes BenchmarkPages fills, from TT_BENCH_SIZES
// (comma-separated; default 1000 and 100000, so growth shows in one run).
func benchSizes(b *testing.B) []int {
	s := os.Getenv("TT_BENCH_SIZES")
	if s == "" {
		s = "1000,100000"
	}
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 10 {
			b.Fatalf("TT_BENCH_SIZES: bad size %q", p)
		}
		out = append(out, n)
	}
	return out
}

// BenchmarkPages fills stores of each size with generated threads (90%
// published, 10% waiting) and measures the public thread page, the public
// list (page and API), and officers' queues, beside the static endpoint.
func BenchmarkPages(b *testing.B) {
	for _, size := range benchSizes(b) {
		b.Run(fmt.Sprintf("threads=%d", size), func(b *testing.B) {
			ta := newTestApp(b)
			g, err := newGenerator(ta.app.tree, ta.app.cal, 7)
			if err != nil {
				b.Fatal(err)
			}
			seedStart := time.Now()
			st := threads.NewStore(ta.db)
			published, err := g.fill(b.Context(), st, size, 0.1, nil)
			if err != nil {
				b.Fatal(err)
			}
			if err := st.Recount(b.Context(), ta.app.tree); err != nil {
				b.Fatal(err)
			}
			b.Logf("seeded %d threads in %s", size, time.Since(seedStart).Round(time.Millisecond))
			base := ta.listen()
			admin := ta.login(adminEmail, testPass)
			dept := ta.user("bench@sotnmt.vn", "Bench", agencies.Role{Agency: "sotnmt", Role: "officer"})
			auth := func(c *client) map[string]string {
				return map[string]string{"Cookie": sessionCookie + "=" + c.cookie}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			var mu sync.Mutex
			randIntN := func(n int) int { mu.Lock(); defer mu.Unlock(); return rng.IntN(n) }
			ids := ta.app.tree.All()
			cases := []struct {
				name string
				url  func() string
				hdr  map[string]string
			}{
				{"static", func() string { return base + "/healthz" }, nil},
				{"thread-page", func() string { return base + "/threads/" + published[randIntN(len(published))] }, nil},
				{"thread-api", func() string { return base + "/api/v1/threads/" + published[randIntN(len(published))] }, nil},
				{"list-page", func() string { return base + "/threads?page=" + strconv.Itoa(1+randIntN(5)) }, nil},
				{"list-api-province", func() string { return base + "/api/v1/threads?page=" + strconv.Itoa(1+randIntN(5)) }, nil},
				{"list-api-agency", func() string {
					return base + "/api/v1/threads?agency=" + ids[randIntN(len(ids))].ID + "&page=" + strconv.Itoa(1+randIntN(3))
				}, nil},
				{"queue-province", func() string { return base + "/api/v1/moderation/queue" }, auth(admin)},
				{"queue-department", func() string { return base + "/api/v1/moderation/queue" }, auth(dept)},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					durs, wall := latencies(b, 1, b.N, func(int) error { return fetch("GET", c.url(), nil, c.hdr, 200) })
					report(b, durs, wall)
				})
			}
		})
	}
}
