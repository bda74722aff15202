package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGracefulShutdown submits questions from many clients while the server is
// told to stop: it stops within the grace period, and every submission that
// got a 201 is in the store (accepted input is never lost).
func TestGracefulShutdown(t *testing.T) {
	ta := newTestApp(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ta.app.serveUntil(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	var created atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				q := validQuestion()
				q["title"] = fmt.Sprintf("Câu hỏi thử số %d-%d", w, i)
				b, _ := json.Marshal(q)
				res, err := client.Post(base+"/api/v1/threads", "application/json", bytesReader(b))
				if err != nil {
					continue // refused after shutdown began
				}
				if res.StatusCode == 201 {
					created.Add(1)
				}
				res.Body.Close()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop within 10 s")
	}
	took := time.Since(start)
	close(stop)
	wg.Wait()
	if took > ShutdownGrace+time.Second {
		t.Errorf("shutdown took %s", took)
	}
	if created.Load() == 0 {
		t.Fatal("no submission got through before shutdown")
	}
	if n := countThreads(t, ta); n != created.Load() {
		t.Errorf("store has %d threads, clients got %d created", n, created.Load())
	}
}

// TestLoadShedding: over MaxInFlight the server answers 503 with
// Retry-After at once, never a 500, and what it accepted is stored.
func TestLoadShedding(t *testing.T) {
	ta := newTestApp(t, func(c *Config) { c.MaxInFlight = 2 })
	base := ta.listen()
	var wg sync.WaitGroup
	var created, shed, other atomic.Int64
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := validQuestion()
			q["title"] = fmt.Sprintf("Câu hỏi tải cao số %d", i)
			b, _ := json.Marshal(q)
			res, err := client.Post(base+"/api/v1/threads", "application/json", bytesReader(b))
			if err != nil {
				other.Add(1)
				return
			}
			res.Body.Close()
			switch {
			case res.StatusCode == 201:
				created.Add(1)
			case res.StatusCode == 503 && res.Header.Get("Retry-After") != "":
				shed.Add(1)
			default:
				other.Add(1)
			}
		}()
	}
	wg.Wait()
	if other.Load() != 0 || created.Load() == 0 {
		t.Fatalf("created %d, shed %d, other %d", created.Load(), shed.Load(), other.Load())
	}
	// Deterministically: with the server already at capacity, the next
	// request is shed at once; health checks never are.
	ta.app.inFlight.Add(2)
	res, body := ta.anon().json("POST", "/api/v1/threads", validQuestion())
	if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("at capacity: %d %s", res.StatusCode, body)
	}
	if res, _ := ta.anon().get("/healthz"); res.StatusCode != 200 {
		t.Fatalf("healthz at capacity: %d", res.StatusCode)
	}
	ta.app.inFlight.Add(-2)
	if n := countThreads(t, ta); n != created.Load() {
		t.Errorf("stored %d, created %d", n, created.Load())
	}
}
