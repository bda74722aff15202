package threads

import (
	"context"
	"fmt"
	"time"

	"tuongtac/problem"
	"tuongtac/store"
)

// Paging limits for public lists.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	// MaxPage bounds how deep offset paging goes, so no request costs more
	// than reading MaxPage*MaxPerPage index entries.
	MaxPage = 1000
)

// ListFilter selects published threads.
type ListFilter struct {
	Agency  string // includes its sub-agencies; "" is the whole province
	Kind    string
	Topic   string
	Page    int
	PerPage int
}

// PublicItem is a thread in a public list.
type PublicItem struct {
	ID          string    `json:"id"`
	Agency      string    `json:"agency"`
	Kind        string    `json:"kind"`
	Topic       string    `json:"topic"`
	Title       string    `json:"title"`
	Excerpt     string    `json:"excerpt"`
	PublishedAt time.Time `json:"published_at"`
}

// Message is one message in a public thread.
type Message struct {
	Author string    `json:"author"` // "citizen" or "agency"
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

// PublicThread is a published thread as the public API and pages show it:
// personal data masked, the asker's name only if they chose to show it.
type PublicThread struct {
	ID          string    `json:"id"`
	Agency      string    `json:"agency"`
	Kind        string    `json:"kind"`
	Topic       string    `json:"topic"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	AskerName   string    `json:"asker_name,omitempty"`
	Messages    []Message `json:"messages"`
	CreatedAt   time.Time `json:"created_at"`
	PublishedAt time.Time `json:"published_at"`
}

// ListPage is one page of published threads.
type ListPage struct {
	Items   []PublicItem `json:"items"`
	Total   int64        `json:"total"`
	Page    int          `json:"page"`
	PerPage int          `json:"per_page"`
}

// CheckList validates a filter, setting defaults.
func (s *Service) CheckList(f *ListFilter) error {
	var fe problem.Fields
	fe.Paging(&f.Page, &f.PerPage, DefaultPerPage, MaxPerPage, MaxPage)
	if f.Agency != "" {
		if _, ok := s.Tree.Get(f.Agency); !ok {
			fe.Add("agency", "field.agency.unknown")
		}
	}
	if f.Kind != "" && f.Kind != "question" && f.Kind != "feedback" && f.Kind != "complaint" {
		fe.Add("kind", "field.kind.oneof")
	}
	if f.Topic != "" && (len(f.Topic) > TopicMax || !slugRE.MatchString(f.Topic)) {
		fe.Add("topic", "field.slug")
	}
	return fe.Err()
}

// PublicQuery is the store query behind a public list.
func (s *Service) PublicQuery(f ListFilter) store.Query {
	agency := f.Agency
	if agency == "" {
		agency = s.Tree.Root().ID
	}
	q := store.Query{
		Where: []store.Cond{
			store.Where(s.Tree.ScopeField(agency), store.Eq, agency),
			store.Where("state", store.Eq, StatePublished),
		},
		Sort:  []store.SortKey{{Field: "published_at", Desc: true}},
		Skip:  (f.Page - 1) * f.PerPage,
		Limit: f.PerPage,
	}
	if f.Kind != "" {
		q.Where = append(q.Where, store.Where("kind", store.Eq, f.Kind))
	}
	if f.Topic != "" {
		q.Where = append(q.Where, store.Where("topic", store.Eq, f.Topic))
	}
	return q
}

// ListPublic returns a page of published threads, newest first.
func (s *Service) ListPublic(ctx context.Context, f ListFilter) (*ListPage, error) {
	if err := s.CheckList(&f); err != nil {
		return nil, err
	}
	q := s.PublicQuery(f)
	q.Project = "public_card"
	var cards []*PublicItem
	if err := s.Store.c.Find(ctx, q, &cards); err != nil {
		return nil, fmt.Errorf("threads: list: %w", err)
	}
	var total int64
	var err error
	if f.Topic == "" {
		agency := f.Agency
		if agency == "" {
			agency = s.Tree.Root().ID
		}
		total, err = s.Store.PublishedCount(ctx, agency, f.Kind)
	} else {
		// Topics are open-ended: no counter; their lists are small.
		total, err = s.Store.Count(ctx, q)
	}
	if err != nil {
		return nil, err
	}
	page := &ListPage{Items: make([]PublicItem, 0, len(cards)), Total: total, Page: f.Page, PerPage: f.PerPage}
	for _, c := range cards {
		if c != nil {
			page.Items = append(page.Items, *c)
		}
	}
	return page, nil
}

func publicItem(t *Thread) PublicItem {
	it := PublicItem{ID: t.ID, Agency: t.Agency, Kind: t.Kind}
	if t.Public != nil {
		it.Topic = t.Public.Topic
		it.Title = t.Public.Title
		it.Excerpt = excerpt(t.Public.Body, 240)
		it.PublishedAt = t.Public.AnsweredAt
	}
	return it
}

func excerpt(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := n
	for i := n; i > n-40 && i > 0; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return string(r[:cut]) + "…"
}

// GetPublic returns a published thread, or problem.NotFound for any other
// state: nothing unpublished is ever shown publicly.
func (s *Service) GetPublic(ctx context.Context, id string) (*PublicThread, error) {
	if id == "" || len(id) > 64 {
		return nil, problem.NotFound()
	}
	t, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.State != StatePublished || t.Public == nil {
		return nil, problem.NotFound()
	}
	return ToPublic(t), nil
}

// ToPublic builds the public view of a published thread.
func ToPublic(t *Thread) *PublicThread {
	p := &PublicThread{
		ID: t.ID, Agency: t.Agency, Kind: t.Kind, Topic: t.Public.Topic,
		Title: t.Public.Title, Body: t.Public.Body, AskerName: t.Public.AskerName,
		CreatedAt: t.CreatedAt, PublishedAt: t.Public.AnsweredAt,
		Messages: []Message{},
	}
	if t.Public.Answer != "" {
		p.Messages = append(p.Messages, Message{Author: "agency", Body: t.Public.Answer, At: t.Public.AnsweredAt})
	}
	return p
}

// TrackView is the asker's private view of their thread, reached only with
// the tracking code.
type TrackView struct {
	ID         string       `json:"id"`
	Agency     string       `json:"agency"`
	Kind       string       `json:"kind"`
	Title      string       `json:"title"`
	Body       string       `json:"body"`
	State      string       `json:"state"`
	CreatedAt  time.Time    `json:"created_at"`
	DueAt      time.Time    `json:"due_at"`
	Answer     string       `json:"answer,omitempty"`
	AnsweredAt time.Time    `json:"answered_at,omitzero"`
	Reason     string       `json:"reason,omitempty"`
	Public     bool         `json:"public"`
	History    []TrackEvent `json:"history"`
}

// TrackEvent is a step in the asker's history: what happened, not who did it.
type TrackEvent struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	State  string    `json:"state"`
	Agency string    `json:"agency,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// Track returns the asker's view of the thread with this tracking code.
func (s *Service) Track(ctx context.Context, code string) (*TrackView, error) {
	if !ValidTrackingCode(code) {
		return nil, problem.NotFound()
	}
	t, err := s.Store.ByTracking(ctx, TrackingHash(code))
	if err != nil {
		return nil, err
	}
	v := &TrackView{
		ID: t.ID, Agency: t.Agency, Kind: t.Kind, Title: t.Title, Body: t.Body,
		State: t.State, CreatedAt: t.CreatedAt, DueAt: t.DueAt, Reason: t.Reason,
		Public:  t.State == StatePublished,
		History: []TrackEvent{},
	}
	if t.Answer != nil && (t.State == StatePublished || t.State == StateAnsweredPrivate || t.State == StateArchived) {
		v.Answer = t.Answer.Body
		v.AnsweredAt = t.Answer.At
	}
	for _, a := range t.Audit {
		ev := TrackEvent{At: a.At, Action: a.Action, State: a.To}
		switch a.Action {
		case "transfer":
			ev.Agency = a.ToAgency
			ev.Reason = a.Reason
		case "reject", "archive":
			ev.Reason = a.Reason
		case "return", "answer", "release":
			continue // internal to the agency
		}
		v.History = append(v.History, ev)
	}
	return v, nil
}
