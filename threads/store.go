package threads

import (
	"context"
	"errors"
	"fmt"
	"time"

	"tuongtac/problem"
	"tuongtac/store"
)

// Collection names.
const (
	collThreads = "threads"
	collDedup   = "dedup"
)

// Migrations creates the threads and dedup collections, their queryable fields
// and the indexes behind every list and queue on a request path.
func Migrations() []store.Migration {
	steps := []store.Step{store.CreateCollection(collThreads)}
	for _, f := range []string{"a1", "a2", "a3", "a4", "state", "open", "kind", "topic", "tracking", "due_at", "published_at", "pending", "updated_at", "assignee"} {
		steps = append(steps, store.DeclareField(collThreads, f))
	}
	for _, a := range []string{"a1", "a2", "a3", "a4"} {
		steps = append(steps,
			store.CreateIndex(collThreads, a+"_public", false, a, "state", "-published_at"),
			store.CreateIndex(collThreads, a+"_open", false, a, "open", "due_at"),
			store.CreateIndex(collThreads, a+"_state", false, a, "state", "due_at"),
		)
	}
	steps = append(steps,
		store.CreateIndex(collThreads, "tracking", true, "tracking"),
		store.CreateIndex(collThreads, "pending", false, "pending", "updated_at"),
		store.CreateCollection(collDedup),
	)
	return []store.Migration{
		{ID: "0001-threads", Steps: steps},
		{ID: "0002-counters", Steps: []store.Step{store.CreateCollection(collCounters)}},
	}
}

// Store reads and writes thread documents.
type Store struct {
	c        store.Collection
	dedup    store.Collection
	counters store.Collection
	indexes  Indexes
	notifier Notifier
	// wake, if set, tells the outbox worker new work is waiting.
	wake chan struct{}
}

// Kick wakes the outbox worker without waiting (after writes made outside
// the usual paths).
func (s *Store) Kick() { s.kick() }

// kick wakes the outbox worker without waiting.
func (s *Store) kick() {
	if s.wake == nil {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// NewStore wraps a migrated database.
func NewStore(db store.DB) *Store {
	return &Store{c: db.Collection(collThreads), dedup: db.Collection(collDedup), counters: db.Collection(collCounters), wake: make(chan struct{}, 1)}
}

// Get reads a thread and its version. A missing thread is problem.NotFound.
func (s *Store) Get(ctx context.Context, id string) (*Thread, int64, error) {
	var t Thread
	v, err := s.c.Get(ctx, id, &t)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, problem.NotFound()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("threads: get %s: %w", id, err)
	}
	return &t, v, nil
}

// Insert stores a new thread as it is (the data generator and imports use it;
// citizens go through Service.Submit).
func (s *Store) Insert(ctx context.Context, t *Thread) error {
	t.Touch(t.UpdatedAt)
	if err := s.c.Insert(ctx, t.ID, t); err != nil {
		return fmt.Errorf("threads: insert %s: %w", t.ID, err)
	}
	return nil
}

// InsertMany stores many new threads at once (the data generator).
func (s *Store) InsertMany(ctx context.Context, ts []*Thread) error {
	docs := make([]store.IDDoc, len(ts))
	for i, t := range ts {
		t.Touch(t.UpdatedAt)
		docs[i] = store.IDDoc{ID: t.ID, Doc: t}
	}
	if err := s.c.InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("threads: insert many: %w", err)
	}
	return nil
}

// Replace writes t if it is still at version; store.ErrConflict otherwise.
func (s *Store) Replace(ctx context.Context, t *Thread, version int64) error {
	t.Touch(store.Now())
	return s.c.Replace(ctx, t.ID, version, t)
}

// Update reads thread id, applies change and writes it back if nobody changed
// it in between, retrying a few times on a version conflict. change sees the
// current document each time and returns an error to abandon the update.
func (s *Store) Update(ctx context.Context, id string, change func(t *Thread) error) (*Thread, error) {
	for range 5 {
		t, v, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := change(t); err != nil {
			return nil, err
		}
		err = s.Replace(ctx, t, v)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("threads: update %s: %w", id, err)
		}
		return t, nil
	}
	return nil, problem.Conflict("conflict.changed")
}

// Find runs a query over threads.
func (s *Store) Find(ctx context.Context, q store.Query) ([]Thread, error) {
	var out []Thread
	if err := s.c.Find(ctx, q, &out); err != nil {
		return nil, fmt.Errorf("threads: find: %w", err)
	}
	return out, nil
}

// Count counts the threads a query matches.
func (s *Store) Count(ctx context.Context, q store.Query) (int64, error) {
	n, err := s.c.Count(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("threads: count: %w", err)
	}
	return n, nil
}

// Cards runs a query over threads and returns their queue cards only.
func (s *Store) Cards(ctx context.Context, q store.Query) ([]Card, error) {
	q.Project = "card"
	var out []Card
	if err := s.c.Find(ctx, q, &out); err != nil {
		return nil, fmt.Errorf("threads: cards: %w", err)
	}
	return out, nil
}

// ByTracking finds the thread whose tracking code hashes to hash.
func (s *Store) ByTracking(ctx context.Context, hash string) (*Thread, error) {
	ts, err := s.Find(ctx, store.Query{Where: []store.Cond{store.Where("tracking", store.Eq, hash)}, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, problem.NotFound()
	}
	return &ts[0], nil
}

type dedupDoc struct {
	Thread    string    `json:"thread"`
	ExpiresAt time.Time `json:"expires_at"`
}

// claimDedup records that content with this key was accepted, or reports a
// conflict if the same content arrived within the window. An expired record is
// taken over.
func (s *Store) claimDedup(ctx context.Context, key, threadID string, now time.Time, window time.Duration) error {
	doc := dedupDoc{Thread: threadID, ExpiresAt: now.Add(window)}
	err := s.dedup.Insert(ctx, key, doc)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("threads: dedup: %w", err)
	}
	var old dedupDoc
	v, err := s.dedup.Get(ctx, key, &old)
	if err != nil {
		return fmt.Errorf("threads: dedup: %w", err)
	}
	if now.Before(old.ExpiresAt) {
		return problem.Conflict("error.duplicate")
	}
	if err := s.dedup.Replace(ctx, key, v, doc); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return problem.Conflict("error.duplicate")
		}
		return fmt.Errorf("threads: dedup: %w", err)
	}
	return nil
}

func (s *Store) releaseDedup(ctx context.Context, key string) {
	_ = s.dedup.Delete(ctx, key)
}
