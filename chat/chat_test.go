package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	natsserver "github.com/nats-io/nats-server/v2/server"

	"tuongtac/store"
	"tuongtac/store/mongo/mongotest"
	"tuongtac/store/sqlite"
)

func openSQLite(t testing.TB) store.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStoreAppend has many writers append to one chat at once, on both
// backends: every message gets its own number, numbers run 1..N with no
// hole, across several buckets, and a resend with the same client id is
// stored once.
func TestStoreAppend(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(testing.TB) store.DB
		n    int
	}{
		{"sqlite", openSQLite, 8 * 30},
		{"ferretdb", func(t testing.TB) store.DB { return mongotest.Open(t, false) }, 4 * 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.open(t)
			ctx := context.Background()
			if err := db.Migrate(ctx, Migrations()); err != nil {
				t.Fatal(err)
			}
			st := NewStore(db)
			chat := NewID(time.Now())
			writers := 8
			if tc.name == "ferretdb" {
				writers = 4
			}
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var hint int64
					for i := range tc.n / writers {
						m, at, _, err := st.Append(ctx, chat, hint, Message{From: FromCitizen, Body: fmt.Sprintf("%d-%d", w, i), CID: fmt.Sprintf("%d-%d", w, i)})
						if err != nil {
							errs <- err
							return
						}
						hint = at
						if m.Seq < 1 {
							errs <- fmt.Errorf("seq %d", m.Seq)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			msgs, err := st.Messages(ctx, chat, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != tc.n {
				t.Fatalf("%d messages stored, want %d", len(msgs), tc.n)
			}
			seen := map[string]bool{}
			for i, m := range msgs {
				if m.Seq != int64(i+1) || seen[m.Body] {
					t.Fatalf("message %d: seq %d body %s", i, m.Seq, m.Body)
				}
				seen[m.Body] = true
			}
			// A resend of the last message, with its client id, is not
			// stored again.
			last := msgs[len(msgs)-1]
			m, _, dup, err := st.Append(ctx, chat, 0, Message{From: FromCitizen, Body: last.Body, CID: last.CID})
			if err != nil || !dup || m.Seq != last.Seq {
				t.Fatalf("resend: %+v dup=%v %v", m, dup, err)
			}
			after, _ := st.Messages(ctx, chat, int64(tc.n-3))
			if len(after) != 3 || after[0].Seq != int64(tc.n-2) {
				t.Fatalf("messages after %d: %+v", tc.n-3, after)
			}
		})
	}
}

// wsPair returns a server-side Conn in a hub with the given queue cap, and
// the client's socket.
func wsPair(t *testing.T, queue int) (*Conn, *websocket.Conn) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.QueueBytes = queue
	h := newHub(cfg, NewMemoryBroker(), nil, slog.Default())
	got := make(chan *Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := websocket.Upgrader{}
		ws, err := u.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := newConn(ws, h, "vi")
		got <- c
		<-c.Done()
	}))
	t.Cleanup(srv.Close)
	cl, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return <-got, cl
}

// TestSlowClient: a client that stops reading is closed with
// CloseSlowClient once its queue passes the cap, and Send never blocks.
func TestSlowClient(t *testing.T) {
	c, cl := wsPair(t, 64<<10)
	frame := []byte(`{"type":"message","body":"` + strings.Repeat("x", 1000) + `"}`)
	start := time.Now()
	sent := 0
	for range 100000 {
		if !c.Send(frame) {
			break
		}
		sent++
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("Send blocked: %s", time.Since(start))
	}
	if sent == 100000 {
		t.Fatal("the queue never filled")
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the slow connection was not closed")
	}
	// The client drains what made it and finds the close code.
	_ = cl.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := cl.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code != CloseSlowClient {
			t.Fatalf("close code %d, want %d", ce.Code, CloseSlowClient)
		}
		break
	}
}

// TestWriterFrames: frames of every length class arrive whole and in order.
func TestWriterFrames(t *testing.T) {
	c, cl := wsPair(t, 1<<20)
	sizes := []int{0, 1, 125, 126, 1000, 65535, 65536, 200000}
	for _, n := range sizes {
		c.Send([]byte(strings.Repeat("a", n)))
	}
	_ = cl.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, n := range sizes {
		_, b, err := cl.ReadMessage()
		if err != nil || len(b) != n {
			t.Fatalf("frame of %d: got %d bytes, %v", n, len(b), err)
		}
	}
	c.Close(CloseGoingAway)
	_, _, err := cl.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != CloseGoingAway || ce.Text != "server_shutdown" {
		t.Fatalf("close: %v", err)
	}
}

func startNATS(t testing.TB) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats: not ready")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// TestBroker is the contract every Broker passes: a subscription is in
// force when Subscribe returns (even for a publisher on another
// connection), one publisher's events arrive in order, topics are apart
// (also those differing only in characters the backend escapes), and
// nothing arrives after Unsubscribe.
func TestBroker(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T) (pub, sub Broker)
	}{
		{"memory", func(t *testing.T) (Broker, Broker) { b := NewMemoryBroker(); return b, b }},
		{"nats", func(t *testing.T) (Broker, Broker) {
			url := startNATS(t)
			p, err := NewNATSBroker(url, "test", nil)
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewNATSBroker(url, "test", nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close(); s.Close() })
			return p, s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			pub, subB := tc.make(t)
			var mu sync.Mutex
			var got []string
			done := make(chan struct{}, 1)
			sub, err := subB.Subscribe(ctx, "agency:myhoa.longxuyen", func(b []byte) {
				mu.Lock()
				got = append(got, string(b))
				n := len(got)
				mu.Unlock()
				if n == 100 {
					done <- struct{}{}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			other, err := subB.Subscribe(ctx, "agency:myhoa_longxuyen", func(b []byte) { t.Errorf("wrong topic got %s", b) })
			if err != nil {
				t.Fatal(err)
			}
			defer other.Unsubscribe()
			for i := range 100 {
				if err := pub.Publish(ctx, "agency:myhoa.longxuyen", []byte(fmt.Sprint(i))); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("got %d of 100", len(got))
			}
			mu.Lock()
			for i, s := range got {
				if s != fmt.Sprint(i) {
					t.Fatalf("event %d is %s", i, s)
				}
			}
			mu.Unlock()
			if err := sub.Unsubscribe(); err != nil {
				t.Fatal(err)
			}
			_ = pub.Publish(ctx, "agency:myhoa.longxuyen", []byte("late"))
			time.Sleep(100 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 100 {
				t.Fatalf("%d events after unsubscribe", len(got)-100)
			}
		})
	}
}
