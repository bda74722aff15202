package threads_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"tuongtac/agencies"
	"tuongtac/store/sqlite"
	"tuongtac/threads"
)

func newStore(t *testing.T) *threads.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), threads.Migrations()); err != nil {
		t.Fatal(err)
	}
	return threads.NewStore(db)
}

// TestCountersSurviveACrash leaves a publication's count entry in the outbox
// (as a process stopping right after the write would), lets the worker apply
// it, and checks that applying the same entry again changes nothing.
func TestCountersSurviveACrash(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	tree, err := agencies.Default()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	p := tree.Path("myhoa.longxuyen")
	th := &threads.Thread{ID: threads.NewID(now), Agency: "myhoa.longxuyen", A1: p[0], A2: p[1], A3: p[2], Kind: "complaint", State: threads.StatePublished, UpdatedAt: now, Tracking: "x"}
	threads.Count(th, +1, now)
	entry := th.Outbox[0]
	if err := st.Insert(ctx, th); err != nil {
		t.Fatal(err)
	}
	count := func(agency, kind string) int64 {
		t.Helper()
		n, err := st.PublishedCount(ctx, agency, kind)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("ubnd-tinh", ""); n != 0 {
		t.Fatalf("counted before the worker ran: %d", n)
	}
	w := &threads.Worker{Store: st}
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("worker drained %d, %v", n, err)
	}
	for _, ag := range []string{"ubnd-tinh", "longxuyen", "myhoa.longxuyen"} {
		if n := count(ag, ""); n != 1 {
			t.Errorf("%s total %d, want 1", ag, n)
		}
		if n := count(ag, "complaint"); n != 1 {
			t.Errorf("%s complaints %d, want 1", ag, n)
		}
	}
	if n := count("sotnmt", ""); n != 0 {
		t.Errorf("an unrelated agency counted it: %d", n)
	}
	// The same entry again (a worker on another instance that read the thread
	// before this one removed the entry): no double count.
	if _, err := st.Update(ctx, th.ID, func(t *threads.Thread) error {
		t.Outbox = append(t.Outbox, entry)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("second drain: %d, %v", n, err)
	}
	if n := count("ubnd-tinh", ""); n != 1 {
		t.Errorf("entry applied twice: total %d", n)
	}
	if n, _ := w.RunOnce(ctx); n != 0 {
		t.Errorf("nothing should be pending, drained %d", n)
	}
	// Recount from the documents agrees.
	if err := st.Recount(ctx, tree); err != nil {
		t.Fatal(err)
	}
	if n := count("longxuyen", "complaint"); n != 1 {
		t.Errorf("after recount: %d", n)
	}
}
