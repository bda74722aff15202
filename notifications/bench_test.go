package notifications_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"tuongtac/notifications"
)

// BenchmarkDrain measures how fast the worker empties an outbox of 1,000
// messages into a local SMTP server (SQLite store, 8 in flight).
func BenchmarkDrain(b *testing.B) {
	ctx := context.Background()
	r := startRelay(b)
	s := newService(b, openSQLite(b), notifications.Config{})
	w := &notifications.Worker{Service: s, Mailer: newSMTP(b, r), Concurrency: 8, Batch: 200}
	const n = 1000
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := s.NotifyOfficers(ctx, fmt.Sprintf("drain-%d", i), officers(n, "u"), notifications.TmplOfficerNewItem,
			notifications.Data{Title: "Cấp giấy phép kinh doanh dược", Agency: "Sở Y tế", ConsoleURL: "https://x.vn/console/1"}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		sent := 0
		for sent < n {
			k, err := w.RunOnce(ctx)
			if err != nil {
				b.Fatal(err)
			}
			sent += k
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "msgs/s")
	if got := len(r.messages()); got != n*b.N {
		b.Fatalf("relay got %d, want %d", got, n*b.N)
	}
}

// BenchmarkLatency measures, for 1,000 events arriving at a steady 200 a
// second, the time from Notify (the caller's state change being recorded)
// to the relay accepting the message, with the worker running as the
// server runs it (woken by the enqueue).
func BenchmarkLatency(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := startRelay(b)
	s := newService(b, openSQLite(b), notifications.Config{})
	w := &notifications.Worker{Service: s, Mailer: newSMTP(b, r), Concurrency: 8}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	const n = 1000
	const every = 5 * time.Millisecond
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		var mu sync.Mutex
		start := map[string]time.Time{}
		base := len(r.messages())
		tick := time.NewTicker(every)
		for j := 0; j < n; j++ {
			<-tick.C
			ev := fmt.Sprintf("lat-%d-%d", i, j)
			mu.Lock()
			start[ev] = time.Now()
			mu.Unlock()
			if err := s.NotifyOfficers(ctx, ev, []notifications.Recipient{{ID: "u", Email: "u@x.vn"}}, notifications.TmplOfficerNewItem,
				notifications.Data{Title: ev, ConsoleURL: "https://x.vn/c"}); err != nil {
				b.Fatal(err)
			}
		}
		tick.Stop()
		ms := r.waitFor(b, base+n, 30*time.Second)[base:]
		for _, m := range ms {
			p := parseMessage(b, m.Data)
			ev := p.Subject[strings.LastIndex(p.Subject, " ")+1:]
			lat = append(lat, m.At.Sub(start[ev]))
		}
	}
	cancel()
	<-done
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50_ms")
	b.ReportMetric(q(0.95), "p95_ms")
	b.ReportMetric(q(0.99), "p99_ms")
}
