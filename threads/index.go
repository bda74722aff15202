package threads

import (
	"context"
	"fmt"
	"strings"
	"time"

	"tuongtac/i18n"
	"tuongtac/search"
)

// Search indexes are kept in step with the documents through "index" outbox
// entries: every change to a thread adds one (at most one waits at a time),
// in the same write as the change. Draining it reads the thread as it is
// then and writes it to the officers' index (original text, every state) and
// to the public index (masked text, published threads only; anything else is
// removed from it). Applying an entry twice gives the same index, so a crash
// between indexing and removing the entry costs only a repeat.

// Indexes are the two search indexes threads feed.
type Indexes struct {
	// Public holds published threads, personal data masked.
	Public search.Indexer
	// Officer holds every thread in every state, as written, for officers'
	// search; queries must be filtered to the officer's agencies.
	Officer search.Indexer
}

// Notifier hears of thread events written as "notify" outbox entries:
// submitted, transferred, published, answered_private, rejected. It must be
// idempotent by entry id: a crash can deliver an entry twice.
type Notifier interface {
	ThreadEvent(ctx context.Context, t *Thread, e OutboxEntry) error
}

// SetNotifier connects the notifier. Without one "notify" entries wait.
func (s *Store) SetNotifier(n Notifier) { s.notifier = n }

// Notify records event for t's asker and officers, in the same write as
// the change it tells of.
func Notify(t *Thread, event string, now time.Time) OutboxEntry {
	e := OutboxEntry{ID: NewID(now), Kind: "notify", Event: event, At: now}
	t.Outbox = append(t.Outbox, e)
	return e
}

// SetIndexes connects the search indexes. Without them "index" entries wait.
func (s *Store) SetIndexes(ix Indexes) { s.indexes = ix }

// Reindex records that t must be (re)indexed. At most one entry waits; a
// waiting one gets a new id, so a worker that read the thread before this
// change (and indexed that older state) removes only the id it saw and
// leaves this change to be indexed too.
func Reindex(t *Thread, now time.Time) {
	for i, e := range t.Outbox {
		if e.Kind == "index" {
			t.Outbox[i] = OutboxEntry{ID: NewID(now), Kind: "index", At: now}
			return
		}
	}
	t.Outbox = append(t.Outbox, OutboxEntry{ID: NewID(now), Kind: "index", At: now})
}

// scope lists the thread's agency and its ancestors.
func (t *Thread) scope() []string {
	var out []string
	for _, a := range []string{t.A1, t.A2, t.A3, t.A4} {
		if a != "" {
			out = append(out, a)
		}
	}
	return out
}

// OfficerDoc is the thread as the officers' index holds it.
func OfficerDoc(t *Thread) search.Doc {
	d := search.Doc{
		ID: t.ID, Agency: t.Agency, Scope: t.scope(), Kind: t.Kind, Topic: t.Topic, State: t.State,
		Year: t.CreatedAt.In(i18n.Zone).Year(), Title: t.Title, Body: t.Body, CreatedAt: t.CreatedAt,
	}
	switch {
	case t.Answer != nil:
		d.Answer = t.Answer.Body
	case t.Draft != nil:
		d.Answer = t.Draft.Body
	}
	if t.Public != nil && t.State == StatePublished {
		d.PublishedAt = t.Public.AnsweredAt
	}
	return d
}

// PublicDoc is the published thread as the public index holds it: only the
// masked public view.
func PublicDoc(t *Thread) search.Doc {
	p := t.Public
	return search.Doc{
		ID: t.ID, Agency: t.Agency, Scope: t.scope(), Kind: t.Kind, Topic: p.Topic, State: StatePublished,
		Year: p.AnsweredAt.In(i18n.Zone).Year(), Title: p.Title, Body: p.Body, Answer: p.Answer,
		CreatedAt: t.CreatedAt, PublishedAt: p.AnsweredAt,
	}
}

// index writes t to both indexes as it is now.
func (s *Store) index(ctx context.Context, t *Thread) error {
	if err := s.indexes.Officer.Index(ctx, OfficerDoc(t)); err != nil {
		return err
	}
	if t.State == StatePublished && t.Public != nil {
		return s.indexes.Public.Index(ctx, PublicDoc(t))
	}
	return s.indexes.Public.Delete(ctx, t.ID)
}

// IndexAll writes threads to both indexes in batches, for reindexing and
// the data generator.
func (s *Store) IndexAll(ctx context.Context, ts []*Thread) error {
	if s.indexes.Public == nil {
		return nil
	}
	var off, pub []search.Doc
	var gone []string
	for _, t := range ts {
		off = append(off, OfficerDoc(t))
		if t.State == StatePublished && t.Public != nil {
			pub = append(pub, PublicDoc(t))
		} else {
			gone = append(gone, t.ID)
		}
	}
	if err := s.indexes.Officer.Index(ctx, off...); err != nil {
		return fmt.Errorf("threads: index: %w", err)
	}
	if err := s.indexes.Public.Index(ctx, pub...); err != nil {
		return fmt.Errorf("threads: index: %w", err)
	}
	if len(gone) > 0 {
		if err := s.indexes.Public.Delete(ctx, gone...); err != nil {
			return fmt.Errorf("threads: index: %w", err)
		}
	}
	return nil
}

// backoff is how long an entry that failed tries times waits before the
// next attempt: 2 s doubling, at most 5 minutes.
func backoff(tries int) time.Duration {
	d := 2 * time.Second << min(tries, 8)
	return min(d, 5*time.Minute)
}

// due reports whether entry e may be tried at now.
func (e OutboxEntry) due(now time.Time) bool {
	return e.Tries == 0 || !now.Before(e.At.Add(backoff(e.Tries-1)))
}

// failed records a failed attempt on the entries with these ids.
func (s *Store) failed(ctx context.Context, id string, ids map[string]bool, now time.Time) {
	_, _ = s.Update(ctx, id, func(t *Thread) error {
		for i := range t.Outbox {
			if ids[t.Outbox[i].ID] {
				t.Outbox[i].Tries++
				t.Outbox[i].At = now
			}
		}
		return nil
	})
}

// Lag is how long the oldest waiting outbox entry has waited, and how many
// threads have work waiting. Readiness probes call it often, so it reads one
// document (the least recently changed with work) and an indexed count.
func (s *Store) Lag(ctx context.Context, now time.Time) (time.Duration, int, error) {
	ts, err := s.Find(ctx, pendingQuery(1))
	if err != nil || len(ts) == 0 {
		return 0, 0, err
	}
	n, err := s.Count(ctx, pendingQuery(0))
	if err != nil {
		return 0, 0, err
	}
	oldest := ts[0].UpdatedAt
	for _, e := range ts[0].Outbox {
		if e.At.Before(oldest) {
			oldest = e.At
		}
	}
	return now.Sub(oldest), int(n), nil
}

// HighlightText strips the <mark> tags and HTML escapes of a search hit's
// title, giving plain text.
func HighlightText(html string) string {
	r := strings.NewReplacer("<mark>", "", "</mark>", "", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#34;", `"`, "&#39;", "'", "&amp;", "&")
	return r.Replace(html)
}
