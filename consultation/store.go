package consultation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"tuongtac/consultation/legal"
	"tuongtac/problem"
	"tuongtac/store"
)

// Collection names.
const (
	collConsultations = "consultations"
	collVersions      = "consultation_versions"
	collComments      = "consultation_comments"
	collDedup         = "consultation_dedup"
)

// appliedKeep is how many applied count entries a consultation remembers.
const appliedKeep = 512

// Migrations creates the collections, their queryable fields and the
// indexes behind every list and queue on a request path:
//
//   - public lists: (aN, opens_at) newest first; (aN, synthesis_published_at,
//     closes_at) for open, scheduled and closed ones; (aN,
//     synthesis_published_at) for published syntheses;
//   - a consultation's comments: (consultation, state, created_at) for the
//     public list, the synthesis and a consultation's queue; (consultation,
//     state, anchor, created_at) for one part's comments; (consultation,
//     state, responded, created_at) for comments awaiting a response;
//   - officers' queues: (aN, state, created_at), and (aN, state, responded,
//     created_at) for comments awaiting a response;
//   - the outbox worker: (pending, updated_at).
func Migrations() []store.Migration {
	steps := []store.Step{store.CreateCollection(collConsultations)}
	for _, f := range []string{"a1", "a2", "a3", "a4", "opens_at", "closes_at", "synthesis_published_at"} {
		steps = append(steps, store.DeclareField(collConsultations, f))
	}
	for _, a := range []string{"a1", "a2", "a3", "a4"} {
		steps = append(steps,
			store.CreateIndex(collConsultations, a+"_opens", false, a, "-opens_at"),
			store.CreateIndex(collConsultations, a+"_period", false, a, "synthesis_published_at", "closes_at"),
			store.CreateIndex(collConsultations, a+"_published", false, a, "-synthesis_published_at"),
		)
	}
	steps = append(steps,
		store.CreateCollection(collVersions),
		store.CreateCollection(collComments),
	)
	for _, f := range []string{"a1", "a2", "a3", "a4", "consultation", "state", "anchor", "responded", "created_at", "pending", "updated_at"} {
		steps = append(steps, store.DeclareField(collComments, f))
	}
	steps = append(steps,
		store.CreateIndex(collComments, "by_state", false, "consultation", "state", "created_at"),
		store.CreateIndex(collComments, "by_anchor", false, "consultation", "state", "anchor", "created_at"),
		store.CreateIndex(collComments, "by_response", false, "consultation", "state", "responded", "created_at"),
		store.CreateIndex(collComments, "pending", false, "pending", "updated_at"),
	)
	for _, a := range []string{"a1", "a2", "a3", "a4"} {
		steps = append(steps,
			store.CreateIndex(collComments, a+"_queue", false, a, "state", "created_at"),
			store.CreateIndex(collComments, a+"_unanswered", false, a, "state", "responded", "created_at"),
		)
	}
	steps = append(steps, store.CreateCollection(collDedup))
	return []store.Migration{{ID: "consultation-0001", Steps: steps}}
}

// Store reads and writes consultations, draft versions and comments.
type Store struct {
	cons     store.Collection
	versions store.Collection
	comments store.Collection
	dedup    store.Collection
	cache    versionCache
	notifier Notifier
}

// NewStore wraps a migrated database.
func NewStore(db store.DB) *Store {
	return &Store{
		cons:     db.Collection(collConsultations),
		versions: db.Collection(collVersions),
		comments: db.Collection(collComments),
		dedup:    db.Collection(collDedup),
		cache:    versionCache{max: 64},
	}
}

// Get reads a consultation and its version. A missing one is
// problem.NotFound.
func (s *Store) Get(ctx context.Context, id string) (*Consultation, int64, error) {
	if id == "" || len(id) > 64 {
		return nil, 0, problem.NotFound()
	}
	var c Consultation
	v, err := s.cons.Get(ctx, id, &c)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, problem.NotFound()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("consultation: get %s: %w", id, err)
	}
	return &c, v, nil
}

// retry runs an optimistic read-change-write up to tries times, waiting a
// little between attempts so that writers racing for one document (many
// approvals bumping one consultation's counts) spread out.
func retry(ctx context.Context, tries int, attempt func() (bool, error)) error {
	for i := range tries {
		done, err := attempt()
		if err != nil || done {
			return err
		}
		if i > 2 {
			d := time.Duration(rand.IntN(1+min(i, 10))) * time.Millisecond
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
	}
	return problem.Conflict("conflict.consultation_changed")
}

// Update reads consultation id, applies change and writes it back if nobody
// changed it in between, retrying on a version conflict. change sees the
// current document each time and returns an error to abandon the update.
func (s *Store) Update(ctx context.Context, id string, now func() time.Time, change func(c *Consultation) error) (*Consultation, error) {
	var out *Consultation
	err := retry(ctx, 50, func() (bool, error) {
		c, v, err := s.Get(ctx, id)
		if err != nil {
			return false, err
		}
		if err := change(c); err != nil {
			return false, err
		}
		c.touch(now())
		err = s.cons.Replace(ctx, id, v, c)
		if errors.Is(err, store.ErrConflict) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("consultation: update %s: %w", id, err)
		}
		out = c
		return true, nil
	})
	return out, err
}

// GetComment reads a comment and its version.
func (s *Store) GetComment(ctx context.Context, id string) (*Comment, int64, error) {
	if id == "" || len(id) > 64 {
		return nil, 0, problem.NotFound()
	}
	var m Comment
	v, err := s.comments.Get(ctx, id, &m)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, problem.NotFound()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("consultation: get comment %s: %w", id, err)
	}
	return &m, v, nil
}

// UpdateComment is Update for a comment.
func (s *Store) UpdateComment(ctx context.Context, id string, now func() time.Time, change func(m *Comment) error) (*Comment, error) {
	var out *Comment
	err := retry(ctx, 10, func() (bool, error) {
		m, v, err := s.GetComment(ctx, id)
		if err != nil {
			return false, err
		}
		if err := change(m); err != nil {
			return false, err
		}
		m.touch(now())
		err = s.comments.Replace(ctx, id, v, m)
		if errors.Is(err, store.ErrConflict) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("consultation: update comment %s: %w", id, err)
		}
		out = m
		return true, nil
	})
	if p, ok := problem.As(err); ok && p.Message.Key == "conflict.consultation_changed" {
		return nil, problem.Conflict("conflict.comment_changed")
	}
	return out, err
}

// InsertComments stores many comments as they are, for the data generator
// and benchmarks; run Recount afterwards. Citizens go through
// Service.Comment.
func (s *Store) InsertComments(ctx context.Context, ms []*Comment) error {
	docs := make([]store.IDDoc, len(ms))
	for i, m := range ms {
		m.touch(m.CreatedAt)
		docs[i] = store.IDDoc{ID: m.ID, Doc: m}
	}
	if err := s.comments.InsertMany(ctx, docs); err != nil {
		return fmt.Errorf("consultation: insert comments: %w", err)
	}
	return nil
}

// FindComments runs a query over comments.
func (s *Store) FindComments(ctx context.Context, q store.Query) ([]Comment, error) {
	var out []Comment
	if err := s.comments.Find(ctx, q, &out); err != nil {
		return nil, fmt.Errorf("consultation: find comments: %w", err)
	}
	return out, nil
}

func versionID(consultation string, n int) string {
	return consultation + "-v" + strconv.Itoa(n)
}

// loadedVersion is a version with its anchor index.
type loadedVersion struct {
	v  *Version
	ix *legal.Index
}

// versionCache keeps recently read versions: they never change once
// written, so every instance may cache them.
type versionCache struct {
	mu    sync.Mutex
	max   int
	m     map[string]*loadedVersion
	order []string
}

func (c *versionCache) get(id string) *loadedVersion {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

func (c *versionCache) put(id string, lv *loadedVersion) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*loadedVersion{}
	}
	if _, ok := c.m[id]; ok {
		return
	}
	if len(c.order) >= c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[id] = lv
	c.order = append(c.order, id)
}

// Version reads version n of a consultation's draft. The result is shared:
// callers must not change it.
func (s *Store) Version(ctx context.Context, consultation string, n int) (*Version, *legal.Index, error) {
	id := versionID(consultation, n)
	if lv := s.cache.get(id); lv != nil {
		return lv.v, lv.ix, nil
	}
	var v Version
	_, err := s.versions.Get(ctx, id, &v)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, problem.NotFound()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("consultation: version %s: %w", id, err)
	}
	if v.Document == nil {
		v.Document = &legal.Document{Nodes: []*legal.Node{}}
	}
	lv := &loadedVersion{v: &v, ix: v.Document.Index()}
	s.cache.put(id, lv)
	return lv.v, lv.ix, nil
}

// aliasKey names anchor of version k in Version.Aliases.
func aliasKey(k int, anchor string) string { return strconv.Itoa(k) + ":" + anchor }

// resolve finds where a part of version k stands in version v: its anchor
// there, or removed when a later version dropped it. The whole draft ("")
// is always itself.
func resolve(v *Version, k int, anchor string) (string, bool) {
	if anchor == "" || k >= v.N {
		return anchor, false
	}
	if a, ok := v.Aliases[aliasKey(k, anchor)]; ok {
		return a, a == ""
	}
	return anchor, false
}

// countKey is where a comment on (k, anchor) counts in version v.
func countKey(v *Version, k int, anchor string) string {
	a, removed := resolve(v, k, anchor)
	switch {
	case removed:
		return keyRemoved
	case a == "":
		return keyDraft
	}
	return a
}

// composeAliases builds the aliases of version n+1 from those of version n
// and the anchor changes from n to n+1.
func composeAliases(prev map[string]string, remap map[string]string, n int) map[string]string {
	out := map[string]string{}
	apply := func(a string) string {
		if b, ok := remap[a]; ok {
			return b
		}
		return a
	}
	for k, a := range prev {
		if a == "" {
			out[k] = ""
			continue
		}
		out[k] = apply(a)
	}
	for a, b := range remap {
		out[aliasKey(n, a)] = b
		// Anchors of older versions that were unchanged up to n move too.
		for k := 1; k < n; k++ {
			if _, ok := prev[aliasKey(k, a)]; !ok {
				out[aliasKey(k, a)] = b
			}
		}
	}
	for k, a := range out {
		if a != "" && k[strings.IndexByte(k, ':')+1:] == a {
			delete(out, k)
		}
	}
	return out
}

// applyCount adds one outbox entry to the consultation's counts, once.
func (s *Store) applyCount(ctx context.Context, consultation string, e OutboxItem, now func() time.Time) error {
	_, err := s.Update(ctx, consultation, now, func(c *Consultation) error {
		if slices.Contains(c.Applied, e.ID) {
			return errSkip
		}
		v, _, err := s.Version(ctx, c.ID, c.CurrentVersion)
		if err != nil {
			return err
		}
		k := countKey(v, e.Version, e.Anchor)
		c.Counts[k] += e.Delta
		if c.Counts[k] <= 0 {
			delete(c.Counts, k)
		}
		c.Approved += e.Delta
		c.Applied = append(c.Applied, e.ID)
		if len(c.Applied) > appliedKeep {
			c.Applied = c.Applied[len(c.Applied)-appliedKeep:]
		}
		return nil
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	return err
}

// errSkip abandons an update that has nothing to do.
var errSkip = errors.New("consultation: nothing to do")

// Drain applies comment id's outbox entries to its consultation and removes
// them. Errors leave the entries for the Worker, so request paths may
// ignore them.
func (s *Store) Drain(ctx context.Context, id string, now func() time.Time) error {
	m, _, err := s.GetComment(ctx, id)
	if err != nil {
		return err
	}
	if len(m.Outbox) == 0 {
		return nil
	}
	done := map[string]bool{}
	for _, e := range m.Outbox {
		switch {
		case e.Kind == "notify" && s.notifier != nil:
			if err := s.notifier.CommentAnswered(ctx, m, e); err != nil {
				return fmt.Errorf("consultation: drain %s: %w", id, err)
			}
		case e.Kind == "notify":
			continue // no notifier yet: it waits
		default:
			if err := s.applyCount(ctx, m.Consultation, e, now); err != nil {
				return fmt.Errorf("consultation: drain %s: %w", id, err)
			}
		}
		done[e.ID] = true
	}
	_, err = s.UpdateComment(ctx, id, now, func(m *Comment) error {
		m.Outbox = slices.DeleteFunc(m.Outbox, func(e OutboxItem) bool { return done[e.ID] })
		return nil
	})
	return err
}

// Recount rebuilds a consultation's counts from its approved comments, for
// the data generator and after restores. Run it with the service stopped.
func (s *Store) Recount(ctx context.Context, id string, now func() time.Time) error {
	c, _, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	v, _, err := s.Version(ctx, id, c.CurrentVersion)
	if err != nil {
		return err
	}
	var refs []*PublicComment
	if err := s.comments.Find(ctx, store.Query{
		Where:   []store.Cond{store.Where("consultation", store.Eq, id), store.Where("state", store.Eq, CommentApproved)},
		Sort:    []store.SortKey{{Field: "created_at"}},
		Project: "public",
	}, &refs); err != nil {
		return fmt.Errorf("consultation: recount %s: %w", id, err)
	}
	counts := map[string]int64{}
	var total int64
	for _, r := range refs {
		if r == nil {
			continue
		}
		counts[countKey(v, r.Version, r.Anchor)]++
		total++
	}
	_, err = s.Update(ctx, id, now, func(c *Consultation) error {
		c.Counts, c.Approved = counts, total
		return nil
	})
	return err
}

// Notifier hears that a comment was answered, so its author can be told. It
// must be idempotent by entry id: a crash can deliver an entry twice.
type Notifier interface {
	CommentAnswered(ctx context.Context, m *Comment, e OutboxItem) error
}

// SetNotifier connects the notifier; without one "notify" entries wait.
func (s *Store) SetNotifier(n Notifier) { s.notifier = n }

// Worker applies count entries left behind by a stopped process.
type Worker struct {
	Store    *Store
	Log      *slog.Logger
	Interval time.Duration
	// Now is the clock; nil means store.Now.
	Now func() time.Time
}

// RunOnce drains up to 100 comments with pending entries and reports how
// many it drained.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	now := w.Now
	if now == nil {
		now = store.Now
	}
	var cards []QueueItem
	if err := w.Store.comments.Find(ctx, store.Query{
		Where:   []store.Cond{store.Where("pending", store.Eq, true)},
		Sort:    []store.SortKey{{Field: "updated_at"}},
		Limit:   100,
		Project: "card",
	}, &cards); err != nil {
		return 0, fmt.Errorf("consultation: worker: %w", err)
	}
	n := 0
	for _, c := range cards {
		if err := w.Store.Drain(ctx, c.ID, now); err != nil {
			if w.Log != nil {
				w.Log.Warn("consultation outbox", slog.String("comment", c.ID), slog.String("error", err.Error()))
			}
			continue
		}
		n++
	}
	return n, nil
}

// Run drains pending entries every Interval until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	iv := w.Interval
	if iv <= 0 {
		iv = 30 * time.Second
	}
	tick := time.NewTicker(iv)
	defer tick.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil && w.Log != nil {
			w.Log.Warn("consultation outbox", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
