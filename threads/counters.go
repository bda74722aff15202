package threads

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"tuongtac/agencies"
	"tuongtac/store"
)

// Published counters: one document per agency holding how many published
// threads its whole subtree has, in total and by kind, so a list's total is
// one read however large the store grows. They change through "count" outbox
// entries written with the publication itself and applied right after it,
// or by the Worker if the process stopped in between. Each counter remembers
// the last entries it applied, so an entry applied twice counts once.

const (
	collCounters = "counters"
	// appliedKeep is how many applied entry ids a counter remembers.
	appliedKeep = 512
)

type counterDoc struct {
	Total   int64            `json:"total"`
	Kinds   map[string]int64 `json:"kinds"`
	Applied []string         `json:"applied"`
}

func counterID(agency string) string { return "published:" + agency }

// Count records that t enters (+1) or leaves (-1) the published set; the
// entry goes into t's outbox, in the same write as the state change.
func Count(t *Thread, delta int64, now time.Time) {
	var scope []string
	for _, a := range []string{t.A1, t.A2, t.A3, t.A4} {
		if a != "" {
			scope = append(scope, a)
		}
	}
	t.Outbox = append(t.Outbox, OutboxEntry{ID: NewID(now), Kind: "count", At: now, Delta: delta, ThreadKind: t.Kind, Agencies: scope})
}

// applyCount adds one entry to the counters of its agencies, skipping those
// that already applied it.
func (s *Store) applyCount(ctx context.Context, e OutboxEntry) error {
	for _, ag := range e.Agencies {
		if err := s.bump(ctx, counterID(ag), e); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) bump(ctx context.Context, id string, e OutboxEntry) error {
	for range 20 {
		var c counterDoc
		v, err := s.counters.Get(ctx, id, &c)
		if errors.Is(err, store.ErrNotFound) {
			c = counterDoc{Kinds: map[string]int64{}}
			c.add(e)
			err = s.counters.Insert(ctx, id, c)
			if errors.Is(err, store.ErrDuplicate) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		if slices.Contains(c.Applied, e.ID) {
			return nil
		}
		c.add(e)
		err = s.counters.Replace(ctx, id, v, c)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return err
	}
	return fmt.Errorf("threads: counter %s: too much contention", id)
}

func (c *counterDoc) add(e OutboxEntry) {
	if c.Kinds == nil {
		c.Kinds = map[string]int64{}
	}
	c.Total += e.Delta
	c.Kinds[e.ThreadKind] += e.Delta
	c.Applied = append(c.Applied, e.ID)
	if len(c.Applied) > appliedKeep {
		c.Applied = c.Applied[len(c.Applied)-appliedKeep:]
	}
}

// PublishedCount reads how many published threads agency's subtree has, of
// kind (or of every kind when kind is "").
func (s *Store) PublishedCount(ctx context.Context, agency, kind string) (int64, error) {
	var c counterDoc
	_, err := s.counters.Get(ctx, counterID(agency), &c)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("threads: counter %s: %w", agency, err)
	}
	if kind != "" {
		return c.Kinds[kind], nil
	}
	return c.Total, nil
}

// Drain applies thread id's outbox entries that this package handles
// ("count", and "index" once indexes are set) and removes them. Entries
// that fail stay, with their tries counted, for the Worker to retry with
// backoff; callers on a request path may ignore the error.
func (s *Store) Drain(ctx context.Context, id string) error {
	return s.drain(ctx, id, true)
}

// DrainExceptIndex is Drain for request paths: counts and notices now, and
// the index left to the worker (woken), which writes many threads per index
// commit.
func (s *Store) DrainExceptIndex(ctx context.Context, id string) error {
	err := s.drain(ctx, id, false)
	s.kick()
	return err
}

func (s *Store) drain(ctx context.Context, id string, withIndex bool) error {
	t, _, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	now := store.Now()
	done := map[string]bool{}
	failed := map[string]bool{}
	var firstErr error
	indexed := false
	for _, e := range t.Outbox {
		if !e.due(now) {
			continue
		}
		var err error
		switch {
		case e.Kind == "count":
			err = s.applyCount(ctx, e)
		case e.Kind == "index" && withIndex && s.indexes.Public != nil:
			if !indexed {
				err = s.index(ctx, t)
				indexed = err == nil
			}
		case e.Kind == "notify" && s.notifier != nil:
			err = s.notifier.ThreadEvent(ctx, t, e)
		default:
			continue
		}
		if err != nil {
			failed[e.ID] = true
			if firstErr == nil {
				firstErr = fmt.Errorf("threads: drain %s: %w", id, err)
			}
			continue
		}
		done[e.ID] = true
	}
	if len(failed) > 0 {
		s.failed(ctx, id, failed, now)
	}
	if len(done) > 0 {
		if _, err := s.Update(ctx, id, func(t *Thread) error {
			t.Outbox = slices.DeleteFunc(t.Outbox, func(e OutboxEntry) bool { return done[e.ID] })
			return nil
		}); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func pendingQuery(limit int) store.Query {
	return store.Query{
		Where: []store.Cond{store.Where("pending", store.Eq, true)},
		Sort:  []store.SortKey{{Field: "updated_at"}},
		Limit: limit,
	}
}

// Recount rebuilds every agency's published counters from the documents, for
// the data generator and after restores. It counts through indexes, one
// query per agency and kind, and must run with the service stopped.
func (s *Store) Recount(ctx context.Context, tree *agencies.Tree) error {
	for _, ag := range tree.All() {
		c := counterDoc{Kinds: map[string]int64{}, Applied: []string{}}
		for _, kind := range Kinds {
			n, err := s.Count(ctx, store.Query{Where: []store.Cond{
				store.Where(tree.ScopeField(ag.ID), store.Eq, ag.ID),
				store.Where("state", store.Eq, StatePublished),
				store.Where("kind", store.Eq, kind),
			}})
			if err != nil {
				return err
			}
			c.Kinds[kind] = n
			c.Total += n
		}
		id := counterID(ag.ID)
		var old counterDoc
		v, err := s.counters.Get(ctx, id, &old)
		switch {
		case errors.Is(err, store.ErrNotFound):
			err = s.counters.Insert(ctx, id, c)
		case err == nil:
			err = s.counters.Replace(ctx, id, v, c)
		}
		if err != nil {
			return fmt.Errorf("threads: recount %s: %w", ag.ID, err)
		}
	}
	return nil
}

// Worker applies outbox entries left behind by a stopped process.
type Worker struct {
	Store    *Store
	Log      *slog.Logger
	Interval time.Duration
}

// RunOnce drains up to 100 threads with pending work and reports how many it
// drained.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	ts, err := w.Store.Find(ctx, pendingQuery(100))
	if err != nil {
		return 0, err
	}
	// Index entries first, all these threads in one batch: one index commit
	// instead of one per thread.
	if err := w.Store.indexBatch(ctx, ts); err != nil && w.Log != nil {
		w.Log.Warn("outbox: index", slog.String("error", err.Error()))
	}
	n := 0
	for _, t := range ts {
		if err := w.Store.Drain(ctx, t.ID); err != nil {
			if w.Log != nil {
				w.Log.Warn("outbox", slog.String("thread", t.ID), slog.String("error", err.Error()))
			}
			continue
		}
		n++
	}
	return n, nil
}

// indexBatch indexes the threads among ts that wait for it, together, and
// removes their index entries. On failure the entries stay for Drain and
// later rounds to retry one by one.
func (s *Store) indexBatch(ctx context.Context, ts []Thread) error {
	if s.indexes.Public == nil {
		return nil
	}
	now := store.Now()
	var batch []*Thread
	for i := range ts {
		for _, e := range ts[i].Outbox {
			if e.Kind == "index" && e.due(now) {
				batch = append(batch, &ts[i])
				break
			}
		}
	}
	if len(batch) == 0 {
		return nil
	}
	if err := s.IndexAll(ctx, batch); err != nil {
		return err
	}
	for _, t := range batch {
		// Remove only the entry ids this batch saw: a change since then
		// renewed the id (Reindex) and stays to be indexed again.
		seen := map[string]bool{}
		for _, e := range t.Outbox {
			if e.Kind == "index" {
				seen[e.ID] = true
			}
		}
		_, err := s.Update(ctx, t.ID, func(cur *Thread) error {
			cur.Outbox = slices.DeleteFunc(cur.Outbox, func(e OutboxEntry) bool { return seen[e.ID] })
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Run drains pending work every Interval, and at once when a write wakes
// it, until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	tick := time.NewTicker(w.Interval)
	defer tick.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("outbox", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.Store.wake:
		}
	}
}
