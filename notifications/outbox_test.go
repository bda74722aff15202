package notifications_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tuongtac/notifications"
	"tuongtac/store"
	"tuongtac/store/mongo/mongotest"
)

type backend struct {
	name string
	open func(t testing.TB) store.DB
}

// backends are the document stores the outbox runs on: SQLite files always,
// and MongoDB's protocol through FerretDB embedded in the test (skipped with
// -short).
func backends() []backend {
	return []backend{
		{"sqlite", openSQLite},
		{"mongo", func(t testing.TB) store.DB {
			if testing.Short() {
				t.Skip("FerretDB skipped in -short mode")
			}
			db := mongotest.Open(t, false)
			if err := db.Migrate(context.Background(), notifications.Migrations()); err != nil {
				t.Fatal(err)
			}
			return db
		}},
	}
}

func officers(n int, prefix string) []notifications.Recipient {
	us := make([]notifications.Recipient, n)
	for i := range us {
		us[i] = notifications.Recipient{ID: fmt.Sprintf("%s%d", prefix, i), Email: fmt.Sprintf("%s%d@soyte.angiang.gov.vn", prefix, i), Name: fmt.Sprintf("Cán bộ %d", i)}
	}
	return us
}

// messageIDs returns the Message-ID of each received message and fails on
// any duplicate.
func uniqueIDs(t testing.TB, ms []received) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range ms {
		id := parseMessage(t, m.Data).Header.Get("Message-Id")
		if seen[id] {
			t.Errorf("message %s arrived twice", id)
		}
		seen[id] = true
	}
	return seen
}

func waitCount(t testing.TB, s *notifications.Service, state string, n int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c, err := s.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c[state] == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, want %d (all: %v)", state, c[state], n, c)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRelayDownThenBack: with the relay stopped, messages wait (no tries
// counted, none dead); when it comes back every one arrives exactly once,
// including over connections the worker had kept from before the outage.
func TestRelayDownThenBack(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := startRelay(t)
			s := newService(t, b.open(t), notifications.Config{})
			w := &notifications.Worker{Service: s, Mailer: newSMTP(t, r), Interval: 20 * time.Millisecond,
				ReapEvery: time.Second, RelayBackoffMin: 10 * time.Millisecond, RelayBackoffMax: 80 * time.Millisecond}
			done := make(chan struct{})
			go func() { w.Run(ctx); close(done) }()
			before, during := 10, 30
			if b.name == "mongo" { // FerretDB scans on every query: keep it small
				before, during = 4, 10
			}

			if err := s.NotifyOfficers(ctx, "before", officers(before, "a"), notifications.TmplOfficerNewItem, notifications.Data{Title: "Trước sự cố", ConsoleURL: "https://x.vn/c"}); err != nil {
				t.Fatal(err)
			}
			r.waitFor(t, before, 30*time.Second)
			// Stop only once the worker has recorded every answer: stopping
			// the relay between its 250 and the worker reading it is the one
			// ambiguous moment, which TestConnectionLostAfterData covers.
			waitCount(t, s, notifications.StateSent, int64(before), 30*time.Second)

			r.stop()
			if err := s.NotifyOfficers(ctx, "during", officers(during, "b"), notifications.TmplOfficerNewItem, notifications.Data{Title: "Trong sự cố", ConsoleURL: "https://x.vn/c"}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(400 * time.Millisecond) // several attempts against the dead relay
			attempted := 0
			for i := range during {
				m, err := s.Get(ctx, fmt.Sprintf("during/u:b%d", i))
				if err != nil {
					t.Fatal(err)
				}
				if m.State != notifications.StateQueued && m.State != notifications.StateSending {
					t.Errorf("%s during the outage: %s", m.ID, m.State)
				}
				if m.Tries != 0 {
					t.Errorf("%s: an outage counted %d tries", m.ID, m.Tries)
				}
				if m.LastError != "" {
					attempted++
				}
			}
			if attempted == 0 {
				t.Error("the worker never tried during the outage")
			}

			r.start()
			r.waitFor(t, before+during, 30*time.Second)
			waitCount(t, s, notifications.StateSent, int64(before+during), 30*time.Second)
			time.Sleep(100 * time.Millisecond) // nothing more may come
			ms := r.messages()
			if len(ms) != before+during {
				t.Errorf("%d messages arrived, want %d", len(ms), before+during)
			}
			if len(uniqueIDs(t, ms)) != before+during {
				t.Error("duplicates")
			}
			cancel()
			<-done
		})
	}
}

// TestPermanentRejection: an address the relay refuses (550) is retried
// with exponential backoff, becomes a dead letter after MaxTries, does not
// hold up the others, and can be re-sent by an admin.
func TestPermanentRejection(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			clk := newClock()
			r := startRelay(t)
			r.setReject("gone@example.vn", 550)
			s := newService(t, b.open(t), notifications.Config{MaxTries: 3, Now: clk.Now})
			w := &notifications.Worker{Service: s, Mailer: newSMTP(t, r)}
			users := []notifications.Recipient{{ID: "gone", Email: "gone@example.vn"}, {ID: "ok", Email: "ok@example.vn"}}
			if err := s.NotifyOfficers(ctx, "e1", users, notifications.TmplOfficerNewItem, notifications.Data{Title: "T", ConsoleURL: "https://x.vn/c"}); err != nil {
				t.Fatal(err)
			}
			if n := drain(t, w); n != 1 {
				t.Fatalf("sent %d, want 1 (the good address)", n)
			}
			m, err := s.Get(ctx, "e1/u:gone")
			if err != nil {
				t.Fatal(err)
			}
			if m.State != notifications.StateQueued || m.Tries != 1 || !strings.Contains(m.LastError, "550") {
				t.Fatalf("after one refusal: %+v", m)
			}
			next, _ := time.Parse("2006-01-02T15:04:05.000Z", m.NextAt)
			if wait := next.Sub(clk.Now()); wait < 54*time.Second || wait > 66*time.Second {
				t.Errorf("first backoff %v, want about a minute", wait)
			}
			if n := drain(t, w); n != 0 {
				t.Fatal("retried before its time")
			}
			clk.Advance(70 * time.Second)
			drain(t, w)
			clk.Advance(140 * time.Second)
			drain(t, w)
			m, _ = s.Get(ctx, "e1/u:gone")
			if m.State != notifications.StateDead || m.Tries != 3 {
				t.Fatalf("after MaxTries: state %s tries %d", m.State, m.Tries)
			}
			dead, err := s.List(ctx, notifications.StateDead, 10)
			if err != nil || len(dead) != 1 || dead[0].ID != "e1/u:gone" || dead[0].Text == "" {
				t.Fatalf("dead letters: %v %+v", err, dead)
			}
			clk.Advance(24 * time.Hour)
			if n := drain(t, w); n != 0 {
				t.Error("a dead letter was retried by itself")
			}
			// The admin fixes the address at the relay and re-sends.
			r.setReject("gone@example.vn", 0)
			if err := s.Requeue(ctx, "e1/u:gone"); err != nil {
				t.Fatal(err)
			}
			if n := drain(t, w); n != 1 {
				t.Fatalf("requeued: sent %d", n)
			}
			if err := s.Requeue(ctx, "e1/u:gone"); err == nil {
				t.Error("requeueing a sent message should be refused")
			}
			got := 0
			for _, m := range r.messages() {
				if m.To[0] == "gone@example.vn" {
					got++
				}
			}
			if got != 1 || len(r.messages()) != 2 {
				t.Errorf("relay: %d to the fixed address, %d in all", got, len(r.messages()))
			}
			m, _ = s.Get(ctx, "e1/u:gone")
			if m.State != notifications.StateSent || m.Text != "" || m.HTML != "" || m.SentAt == nil {
				t.Errorf("sent record keeps bodies or lacks the time: %+v", m)
			}
		})
	}
}

// TestTwoWorkersRace runs two workers, as two instances would, each with
// its own connection to the same store, against one relay: every message is
// sent exactly once.
func TestTwoWorkersRace(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			n := 200
			var db1, db2 store.DB
			if b.name == "sqlite" {
				path := filepath.Join(t.TempDir(), "shared.db")
				db1, db2 = openSQLiteAt(t, path), openSQLiteAt(t, path)
			} else {
				n = 20
				db1 = b.open(t)
				db2 = db1
			}
			r := startRelay(t)
			s1 := newService(t, db1, notifications.Config{})
			s2 := newService(t, db2, notifications.Config{})
			if err := s1.NotifyOfficers(ctx, "race", officers(n, "u"), notifications.TmplOfficerNewItem, notifications.Data{Title: "Đua", ConsoleURL: "https://x.vn/c"}); err != nil {
				t.Fatal(err)
			}
			ws := []*notifications.Worker{
				{Service: s1, Mailer: newSMTP(t, r), Instance: "one", Concurrency: 4, Batch: 20},
				{Service: s2, Mailer: newSMTP(t, r), Instance: "two", Concurrency: 4, Batch: 20},
			}
			var wg sync.WaitGroup
			sent := make([]int, 2)
			for i, w := range ws {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Until a few rounds in a row find nothing: the other
					// worker finishes whatever it holds.
					for idle := 0; idle < 3; {
						k, err := w.RunOnce(ctx)
						if err != nil {
							t.Error(err)
							return
						}
						sent[i] += k
						if k == 0 {
							idle++
							time.Sleep(5 * time.Millisecond)
						} else {
							idle = 0
						}
					}
				}()
			}
			wg.Wait()
			if sent[0]+sent[1] != n {
				t.Errorf("workers report %d+%d sent, want %d", sent[0], sent[1], n)
			}
			if sent[0] == 0 || sent[1] == 0 {
				t.Logf("one worker sent everything (%v): the race was not exercised much", sent)
			}
			ms := r.messages()
			if len(ms) != n || len(uniqueIDs(t, ms)) != n {
				t.Errorf("relay got %d messages, want %d distinct", len(ms), n)
			}
			c, err := s1.Counts(ctx)
			if err != nil || c[notifications.StateSent] != int64(n) {
				t.Errorf("counts %v %v", c, err)
			}
		})
	}
}

// gate is a Mailer that stops at a chosen point, as a process that crashes
// there would, and lets the test decide when (if ever) it goes on.
type gate struct {
	next     notifications.Mailer
	commit   bool // stop after Commit and delivery (true) or before Commit (false)
	entered  chan struct{}
	release  chan struct{}
	sendErr  error
	finished chan struct{}
}

func newGate(next notifications.Mailer, afterCommit bool) *gate {
	return &gate{next: next, commit: afterCommit, entered: make(chan struct{}), release: make(chan struct{}), finished: make(chan struct{})}
}

func (g *gate) Send(ctx context.Context, msg *notifications.Message) error {
	defer close(g.finished)
	if !g.commit {
		close(g.entered)
		<-g.release // stuck before the end of DATA
		g.sendErr = g.next.Send(ctx, msg)
		return g.sendErr
	}
	g.sendErr = g.next.Send(ctx, msg) // commits and delivers
	close(g.entered)
	<-g.release // stuck before recording "sent"
	return g.sendErr
}

func (g *gate) Close() error { return nil }

// TestCrashBeforeCommit: a worker stalls (or dies) before the end of the
// message went out; after its lease another worker sends the message, and
// if the first one wakes up it is fenced off: the message arrives once.
func TestCrashBeforeCommit(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	r := startRelay(t)
	s := newService(t, openSQLite(t), notifications.Config{Now: clk.Now})
	if err := s.NotifyOfficers(ctx, "e", officers(1, "u"), notifications.TmplOfficerOverdue, notifications.Data{Title: "T", ConsoleURL: "https://x.vn/c"}); err != nil {
		t.Fatal(err)
	}
	g := newGate(newSMTP(t, r), false)
	w1 := &notifications.Worker{Service: s, Mailer: g, Instance: "stalled"}
	go func() { _, _ = w1.RunOnce(ctx) }()
	<-g.entered
	m, _ := s.Get(ctx, "e/u:u0")
	if m.State != notifications.StateSending || m.Owner != "stalled" {
		t.Fatalf("claimed: %+v", m)
	}
	w2 := &notifications.Worker{Service: s, Mailer: newSMTP(t, r), Instance: "healthy"}
	if n := drain(t, w2); n != 0 {
		t.Fatal("a message under a live lease was taken")
	}
	clk.Advance(6 * time.Minute)
	if n, err := w2.Reap(ctx); err != nil || n != 1 {
		t.Fatalf("reap: %d %v", n, err)
	}
	m, _ = s.Get(ctx, "e/u:u0")
	if m.State != notifications.StateQueued || m.Tries != 1 {
		t.Fatalf("after reaping an expired send: %+v", m)
	}
	if n := drain(t, w2); n != 1 {
		t.Fatalf("second worker sent %d", n)
	}
	close(g.release) // the stalled worker wakes and tries to finish
	<-g.finished
	if g.sendErr == nil {
		t.Fatal("the stalled worker's send should have been refused at Commit")
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(r.messages()); n != 1 {
		t.Fatalf("relay got %d messages, want 1", n)
	}
	m, _ = s.Get(ctx, "e/u:u0")
	if m.State != notifications.StateSent {
		t.Errorf("final state %s", m.State)
	}
}

// TestCrashAfterCommit: a worker dies after the relay may have accepted the
// message but before recording it. The message is never re-sent by itself;
// it waits as "uncertain" for an admin, who marks it sent or re-sends it
// with the same Message-ID.
func TestCrashAfterCommit(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	r := startRelay(t)
	s := newService(t, openSQLite(t), notifications.Config{Now: clk.Now})
	if err := s.NotifyOfficers(ctx, "e", officers(2, "u"), notifications.TmplOfficerOverdue, notifications.Data{Title: "T", ConsoleURL: "https://x.vn/c"}); err != nil {
		t.Fatal(err)
	}
	w2 := &notifications.Worker{Service: s, Mailer: newSMTP(t, r), Instance: "healthy"}
	gates := make([]*gate, 2)
	for i := range gates {
		gates[i] = newGate(newSMTP(t, r), true)
		w1 := &notifications.Worker{Service: s, Mailer: gates[i], Instance: fmt.Sprintf("dying-%d", i), Batch: 1}
		go func() { _, _ = w1.RunOnce(ctx) }()
		<-gates[i].entered
	}
	r.waitFor(t, 2, 5*time.Second)
	clk.Advance(6 * time.Minute)
	if n, err := w2.Reap(ctx); err != nil || n != 2 {
		t.Fatalf("reap: %d %v", n, err)
	}
	unc, err := s.List(ctx, notifications.StateUncertain, 10)
	if err != nil || len(unc) != 2 {
		t.Fatalf("uncertain: %v %d", err, len(unc))
	}
	clk.Advance(24 * time.Hour)
	if n := drain(t, w2); n != 0 {
		t.Fatal("an uncertain message was re-sent automatically")
	}
	// The admin checked the relay's log for one: it arrived.
	if err := s.MarkSent(ctx, "e/u:u0"); err != nil {
		t.Fatal(err)
	}
	// For the other, the admin chooses to re-send.
	if err := s.Requeue(ctx, "e/u:u1"); err != nil {
		t.Fatal(err)
	}
	if n := drain(t, w2); n != 1 {
		t.Fatalf("re-send: %d", n)
	}
	ms := r.messages()
	if len(ms) != 3 {
		t.Fatalf("relay got %d", len(ms))
	}
	ids := map[string]int{}
	for _, m := range ms {
		ids[parseMessage(t, m.Data).Header.Get("Message-Id")]++
	}
	if len(ids) != 2 {
		t.Errorf("the re-sent copy should keep its Message-ID: %v", ids)
	}
	// The dead workers wake up: their late "sent" must not disturb anything.
	for _, g := range gates {
		close(g.release)
		<-g.finished
	}
	time.Sleep(50 * time.Millisecond)
	for _, id := range []string{"e/u:u0", "e/u:u1"} {
		m, _ := s.Get(ctx, id)
		if m.State != notifications.StateSent {
			t.Errorf("%s: %s", id, m.State)
		}
	}
}

// blackhole is an SMTP server that reads a whole message and then drops the
// connection without answering: the client cannot know whether it was
// accepted.
func blackhole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				fmt.Fprint(c, "220 blackhole ESMTP\r\n")
				inData := false
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if inData {
						if line == ".\r\n" {
							return // swallow the message and vanish
						}
						continue
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						fmt.Fprint(c, "250-blackhole\r\n250 8BITMIME\r\n")
					case cmd == "DATA":
						inData = true
						fmt.Fprint(c, "354 go ahead\r\n")
					case cmd == "QUIT":
						fmt.Fprint(c, "221 bye\r\n")
						return
					default:
						fmt.Fprint(c, "250 ok\r\n")
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// TestConnectionLostAfterData: the relay vanishes after the final ".": the
// message is marked uncertain at once and not retried.
func TestConnectionLostAfterData(t *testing.T) {
	ctx := context.Background()
	addr := blackhole(t)
	m, err := notifications.NewMailer("smtp://"+addr+"?timeout=2s", "")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	err = m.Send(ctx, &notifications.Message{From: "a@x.vn", To: "b@x.vn", Subject: "s", Text: "t"})
	if !errors.Is(err, notifications.ErrMaybeSent) {
		t.Fatalf("want ErrMaybeSent, got %v", err)
	}
	s := newService(t, openSQLite(t), notifications.Config{})
	w := &notifications.Worker{Service: s, Mailer: m}
	if err := s.NotifyOfficers(ctx, "e", officers(1, "u"), notifications.TmplOfficerNewItem, notifications.Data{Title: "T", ConsoleURL: "https://x.vn/c"}); err != nil {
		t.Fatal(err)
	}
	drain(t, w)
	got, _ := s.Get(ctx, "e/u:u0")
	if got.State != notifications.StateUncertain || got.Tries != 0 {
		t.Errorf("after a lost answer: %s, %d tries", got.State, got.Tries)
	}
}

// TestSenderRefused: a relay that refuses our sender (MAIL FROM) has a
// configuration problem, not the messages: they wait without losing tries
// and go out once it is fixed.
func TestSenderRefused(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	r.mu.Lock()
	r.rejectFrom = 553
	r.mu.Unlock()
	s := newService(t, openSQLite(t), notifications.Config{MaxTries: 2})
	w := &notifications.Worker{Service: s, Mailer: newSMTP(t, r), RelayBackoffMin: time.Millisecond, RelayBackoffMax: time.Millisecond}
	if err := s.NotifyOfficers(ctx, "e", officers(3, "u"), notifications.TmplOfficerNewItem, notifications.Data{Title: "T", ConsoleURL: "https://x.vn/c"}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	m, _ := s.Get(ctx, "e/u:u0")
	if m.State != notifications.StateQueued || m.Tries != 0 || !strings.Contains(m.LastError, "553") {
		t.Fatalf("while the sender is refused: %s, %d tries, %q", m.State, m.Tries, m.LastError)
	}
	r.mu.Lock()
	r.rejectFrom = 0
	r.mu.Unlock()
	time.Sleep(2 * time.Millisecond)
	if n := drain(t, w); n != 3 {
		t.Fatalf("after the fix: %d sent", n)
	}
}

// TestHugeRecipientList: a list of a thousand with a bad address in it stores
// a message for every good one and names the bad one.
func TestHugeRecipientList(t *testing.T) {
	ctx := context.Background()
	s := newService(t, openSQLite(t), notifications.Config{})
	users := officers(1000, "u")
	users[234].Email = "u234@x.vn\r\nBcc: all@evil.example"
	users[789].ID = ""
	err := s.NotifyOfficers(ctx, "big", users, notifications.TmplOfficerNewItem, notifications.Data{Title: "T", ConsoleURL: "https://x.vn/c"})
	if err == nil || !strings.Contains(err.Error(), `"u234"`) || !strings.Contains(err.Error(), `officer ""`) {
		t.Fatalf("want errors for the two bad recipients, got %v", err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 2 {
		t.Errorf("%d errors, want 2", n)
	}
	c, err := s.Counts(ctx)
	if err != nil || c[notifications.StateQueued] != 998 {
		t.Errorf("queued %d (%v), want 998", c[notifications.StateQueued], err)
	}
}
