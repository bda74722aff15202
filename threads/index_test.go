package threads_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"tuongtac/search"
	"tuongtac/threads"
)

// recordingIndexer is an in-memory stand-in for a search index that records
// the last document written for each id; the real Bleve index has its own
// contract tests in search/ and is used end to end in server/. onIndex runs
// inside Index, to change a thread while the worker is between reading it
// and finishing.
type recordingIndexer struct {
	mu      sync.Mutex
	docs    map[string]search.Doc
	onIndex func()
}

func (r *recordingIndexer) Index(_ context.Context, docs ...search.Doc) error {
	if f := r.onIndex; f != nil {
		r.onIndex = nil
		f()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range docs {
		r.docs[d.ID] = d
	}
	return nil
}

func (r *recordingIndexer) Delete(_ context.Context, ids ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		delete(r.docs, id)
	}
	return nil
}

func (r *recordingIndexer) Search(context.Context, search.Query) (*search.Result, error) {
	return &search.Result{}, nil
}

func (r *recordingIndexer) Suggest(context.Context, string, search.Query, int) ([]search.Suggestion, error) {
	return nil, nil
}
func (r *recordingIndexer) Count(context.Context) (int, error) { return len(r.docs), nil }
func (r *recordingIndexer) Ping(context.Context) error         { return nil }
func (r *recordingIndexer) Close() error                       { return nil }

// TestIndexKeepsChangesMadeWhileIndexing changes a thread, within the same
// second, while the worker is indexing its older state: the newer state must
// still reach the index.
func TestIndexKeepsChangesMadeWhileIndexing(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	off := &recordingIndexer{docs: map[string]search.Doc{}}
	pub := &recordingIndexer{docs: map[string]search.Doc{}}
	st.SetIndexes(threads.Indexes{Public: pub, Officer: off})
	now := time.Now().UTC().Truncate(time.Second)
	th := &threads.Thread{ID: threads.NewID(now), Agency: "sotp", A1: "ubnd-tinh", A2: "sotp", Kind: "question",
		Title: "Đăng ký khai sinh", State: threads.StatePendingApproval, UpdatedAt: now, CreatedAt: now, Tracking: "t1"}
	threads.Reindex(th, now)
	if err := st.Insert(ctx, th); err != nil {
		t.Fatal(err)
	}
	off.onIndex = func() {
		// An editor approves in the same second as the worker reads.
		if _, err := st.Update(ctx, th.ID, func(cur *threads.Thread) error {
			cur.State = threads.StatePublished
			cur.PublishedAt = threads.FormatPublishedAt(now)
			threads.MakePublic(cur, now)
			threads.Reindex(cur, now)
			return nil
		}); err != nil {
			t.Error(err)
		}
	}
	w := &threads.Worker{Store: st}
	for range 3 {
		if _, err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := off.docs[th.ID].State; got != threads.StatePublished {
		t.Fatalf("officer index holds state %q, want published", got)
	}
	if _, ok := pub.docs[th.ID]; !ok {
		t.Fatal("the published thread is not in the public index")
	}
	cur, _, err := st.Get(ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cur.Outbox) != 0 {
		t.Errorf("work left waiting: %+v", cur.Outbox)
	}
}
