package consultation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"tuongtac/agencies"
	"tuongtac/consultation/legal"
	"tuongtac/pii"
	"tuongtac/problem"
	"tuongtac/store"
	"tuongtac/vntext"
)

// DedupWindow is how long an identical comment (same consultation, part,
// text and email) is refused after one was accepted: a form sent twice
// makes one comment.
const DedupWindow = 24 * time.Hour

// CommentInput is what a citizen or an organisation sends.
type CommentInput struct {
	// Anchor is the part commented on; "" is the whole draft.
	Anchor string `validate:"max=300"`
	Body   string `validate:"required,min=5,max=10000"`
	Name   string `validate:"omitempty,max=100,nomarkup"`
	Email  string `validate:"omitempty,max=254,email,singleline"`
	// Organisation, when set, is who the comment speaks for; it is shown
	// with the comment.
	Organisation string `validate:"omitempty,max=200,nomarkup"`
	// ShowName publishes the author's name with the comment.
	ShowName bool
	// Consent must be true: the agency may process the personal data sent.
	Consent bool
	Lang    string `validate:"omitempty,oneof=vi en"`
}

// Meta is what the server knows of a request besides its body.
type Meta struct {
	// ClientHash is a salted hash of the client's address.
	ClientHash string
}

// CommentReceipt is the answer to a comment: it waits for moderation.
type CommentReceipt struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	must := func(tag string, fn validator.Func) {
		if err := v.RegisterValidation(tag, fn); err != nil {
			panic(err)
		}
	}
	must("nomarkup", func(fl validator.FieldLevel) bool { return !strings.ContainsAny(fl.Field().String(), "<>") })
	must("singleline", func(fl validator.FieldLevel) bool { return !strings.ContainsAny(fl.Field().String(), "\r\n\t\x00") })
	return v
}()

// commentKeys maps a field and a failed rule to its catalogue key. The
// comment's body and consent have keys of their own because the shared
// field.body.* and field.consent.required speak of a question.
var commentKeys = map[string]map[string]string{
	"body":         {"required": "field.comment.body.required", "min": "field.comment.body.min", "max": "field.comment.body.max"},
	"name":         {"max": "field.max", "nomarkup": "field.name.markup"},
	"email":        {"max": "field.max", "email": "field.email", "singleline": "field.email"},
	"organisation": {"max": "field.max", "nomarkup": "field.organisation.markup"},
	"lang":         {"oneof": "field.lang.oneof"},
	"anchor":       {"max": "field.anchor.unknown"},
}

// Clean normalises the input's text as it is stored.
func (in *CommentInput) Clean() {
	in.Anchor = strings.TrimSpace(in.Anchor)
	in.Body = vntext.Clean(in.Body)
	in.Name = vntext.CleanLine(in.Name)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Organisation = vntext.CleanLine(in.Organisation)
	in.Lang = strings.TrimSpace(in.Lang)
}

// validateComment cleans and checks in against the draft's index, adding
// every wrong field to f.
func validateComment(in *CommentInput, ix *legal.Index, f *problem.Fields) {
	in.Clean()
	if err := validate.Struct(in); err != nil {
		var verrs validator.ValidationErrors
		if errors.As(err, &verrs) {
			for _, fe := range verrs {
				name := strings.ToLower(fe.StructField())
				key := commentKeys[name][fe.Tag()]
				if key == "" {
					key = "field." + fe.Tag()
				}
				switch fe.Tag() {
				case "min", "max":
					if key == "field.anchor.unknown" {
						f.Add(name, key)
						continue
					}
					var n int
					fmt.Sscan(fe.Param(), &n)
					f.Add(name, key, n)
				default:
					f.Add(name, key)
				}
			}
		}
	}
	if in.Anchor != "" && (!legal.ValidAnchor(in.Anchor) || !ix.Has(in.Anchor)) {
		f.Add("anchor", "field.anchor.unknown")
	}
	if !in.Consent {
		f.Add("consent", "field.comment.consent.required")
	}
}

// checkOpen refuses comments outside the period.
func checkOpen(c *Consultation, now time.Time) error {
	switch c.stateAt(now) {
	case StateScheduled:
		return problem.Conflict("conflict.consultation_not_open", formatLocal(c.OpensAt))
	case StateOpen:
		return nil
	}
	return problem.Conflict("conflict.consultation_closed", formatLocal(c.ClosesAt))
}

// Comment stores a citizen's or an organisation's comment on consultation
// id, pending moderation. Outside the comment period it is a conflict
// (conflict.consultation_not_open, conflict.consultation_closed); bad input
// is a validation problem field by field; either way nothing is stored.
func (s *Service) Comment(ctx context.Context, id string, in CommentInput, meta Meta) (*CommentReceipt, error) {
	c, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := checkOpen(c, now); err != nil {
		return nil, err
	}
	v, ix, err := s.Store.Version(ctx, c.ID, c.CurrentVersion)
	if err != nil {
		return nil, err
	}
	var f problem.Fields
	validateComment(&in, ix, &f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	lang := in.Lang
	if lang == "" {
		lang = "vi"
	}
	m := &Comment{
		ID: newID(now), Consultation: c.ID, ConsultationTitle: c.Title,
		Agency: c.Agency, A1: c.A1, A2: c.A2, A3: c.A3, A4: c.A4,
		Version: v.N, Anchor: in.Anchor, Body: in.Body, Lang: lang,
		Author: Author{Name: in.Name, Email: in.Email, Organisation: in.Organisation,
			ShowName: in.ShowName && in.Name != "", IPHash: meta.ClientHash},
		State: CommentPending, CreatedAt: now,
		Audit: []AuditEntry{{At: now, Actor: "citizen", Action: "submitted", To: CommentPending, Version: v.N}},
	}
	m.touch(now)
	key := dedupKey(c.ID, in)
	if err := s.claimDedup(ctx, key, m.ID, now); err != nil {
		return nil, err
	}
	if err := s.Store.comments.Insert(ctx, m.ID, m); err != nil {
		_ = s.Store.dedup.Delete(ctx, key)
		return nil, fmt.Errorf("consultation: comment: %w", err)
	}
	return &CommentReceipt{ID: m.ID, State: m.State}, nil
}

func dedupKey(consultation string, in CommentInput) string {
	h := sha256.New()
	for _, s := range []string{"comment", consultation, in.Anchor, vntext.Fold(in.Body), in.Email} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

type dedupDoc struct {
	Comment   string    `json:"comment"`
	ExpiresAt time.Time `json:"expires_at"`
}

// claimDedup records accepted content, or refuses the same content within
// DedupWindow; an expired record is taken over.
func (s *Service) claimDedup(ctx context.Context, key, commentID string, now time.Time) error {
	doc := dedupDoc{Comment: commentID, ExpiresAt: now.Add(DedupWindow)}
	err := s.Store.dedup.Insert(ctx, key, doc)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("consultation: dedup: %w", err)
	}
	var old dedupDoc
	v, err := s.Store.dedup.Get(ctx, key, &old)
	if err != nil {
		return fmt.Errorf("consultation: dedup: %w", err)
	}
	if now.Before(old.ExpiresAt) {
		return problem.Conflict("conflict.comment_duplicate")
	}
	if err := s.Store.dedup.Replace(ctx, key, v, doc); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return problem.Conflict("conflict.comment_duplicate")
		}
		return fmt.Errorf("consultation: dedup: %w", err)
	}
	return nil
}

// CommentView is an approved comment as the public sees it, its part
// resolved to the current version of the draft.
type CommentView struct {
	ID string `json:"id"`
	// Anchor is the part in the current version ("" the whole draft);
	// Removed is set when a later version dropped the part, and Anchor is
	// then the part as written on, in version Version.
	Anchor       string     `json:"anchor"`
	Removed      bool       `json:"removed,omitempty"`
	Version      int        `json:"version"`
	Name         string     `json:"name,omitempty"`
	Organisation string     `json:"organisation,omitempty"`
	Body         string     `json:"body"`
	CreatedAt    time.Time  `json:"created_at"`
	Outcome      string     `json:"outcome,omitempty"`
	Response     string     `json:"response,omitempty"`
	RespondedAt  *time.Time `json:"responded_at,omitempty"`
}

// CommentFilter selects a consultation's approved comments.
type CommentFilter struct {
	// Anchor, when set, keeps the comments on that part ("" the whole
	// draft); nil keeps all.
	Anchor *string
	// Subtree adds the comments on the part's descendants (an article's
	// clauses and points).
	Subtree bool
	Page    int
	PerPage int
}

// CommentPage is one page of comments, oldest first.
type CommentPage struct {
	Items   []CommentView `json:"items"`
	Total   int64         `json:"total"`
	Page    int           `json:"page"`
	PerPage int           `json:"per_page"`
}

// maxAnchorComments bounds the comments read to page one part's comments.
const maxAnchorComments = 5000

// Comments returns a page of a consultation's approved comments, personal
// data masked, oldest first.
func (s *Service) Comments(ctx context.Context, id string, f CommentFilter) (*CommentPage, error) {
	var fe problem.Fields
	if f.Page == 0 {
		f.Page = 1
	}
	if f.PerPage == 0 {
		f.PerPage = DefaultPerPage
	}
	if f.Page < 1 || f.Page > MaxPage {
		fe.Add("page", "field.page")
	}
	if f.PerPage < 1 || f.PerPage > MaxPerPage {
		fe.Add("per_page", "field.per_page")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	c, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	v, ix, err := s.Store.Version(ctx, c.ID, c.CurrentVersion)
	if err != nil {
		return nil, err
	}
	page := &CommentPage{Items: []CommentView{}, Page: f.Page, PerPage: f.PerPage}
	base := []store.Cond{store.Where("consultation", store.Eq, c.ID), store.Where("state", store.Eq, CommentApproved)}
	if f.Anchor == nil {
		var ps []*PublicComment
		if err := s.Store.comments.Find(ctx, store.Query{
			Where: base, Sort: []store.SortKey{{Field: "created_at"}},
			Skip: (f.Page - 1) * f.PerPage, Limit: f.PerPage, Project: "public",
		}, &ps); err != nil {
			return nil, fmt.Errorf("consultation: comments: %w", err)
		}
		for _, p := range ps {
			if p != nil {
				page.Items = append(page.Items, commentView(p, v))
			}
		}
		page.Total = c.Approved
		return page, nil
	}
	anchor := *f.Anchor
	if anchor != "" && (!legal.ValidAnchor(anchor) || !ix.Has(anchor)) {
		return nil, problem.Invalid("anchor", "field.anchor.unknown")
	}
	// The part and, with Subtree, its descendants; then every anchor of an
	// older version that resolves to one of them.
	targets := map[string]bool{anchor: true}
	if f.Subtree && anchor != "" {
		for _, a := range ix.Anchors() {
			if strings.HasPrefix(a, anchor+"/") {
				targets[a] = true
			}
		}
	}
	stored := map[string]bool{}
	for a := range targets {
		stored[a] = true
	}
	for k, a := range v.Aliases {
		if targets[a] && a != "" {
			stored[k[strings.IndexByte(k, ':')+1:]] = true
		}
	}
	// One indexed query per stored anchor (no scan, no sort), merged by
	// time; a large subtree reads the consultation's approved comments.
	var ps []*PublicComment
	q := store.Query{Where: base, Sort: []store.SortKey{{Field: "created_at"}}, Limit: maxAnchorComments, Project: "public"}
	if len(stored) <= 64 {
		for a := range stored {
			aq := q
			aq.Where = append(slices.Clip(base), store.Where("anchor", store.Eq, a))
			var part []*PublicComment
			if err := s.Store.comments.Find(ctx, aq, &part); err != nil {
				return nil, fmt.Errorf("consultation: comments: %w", err)
			}
			ps = append(ps, part...)
		}
		slices.SortStableFunc(ps, func(a, b *PublicComment) int {
			if a == nil || b == nil {
				return 0
			}
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
	} else if err := s.Store.comments.Find(ctx, q, &ps); err != nil {
		return nil, fmt.Errorf("consultation: comments: %w", err)
	}
	var keep []CommentView
	for _, p := range ps {
		if p == nil {
			continue
		}
		cv := commentView(p, v)
		if !cv.Removed && targets[cv.Anchor] {
			keep = append(keep, cv)
		}
	}
	page.Total = int64(len(keep))
	from := min((f.Page-1)*f.PerPage, len(keep))
	to := min(from+f.PerPage, len(keep))
	page.Items = append(page.Items, keep[from:to]...)
	return page, nil
}

func commentView(p *PublicComment, v *Version) CommentView {
	a, removed := resolve(v, p.Version, p.Anchor)
	if removed {
		a = p.Anchor
	}
	return CommentView{ID: p.ID, Anchor: a, Removed: removed, Version: p.Version, Name: p.Name, Organisation: p.Organisation,
		Body: p.Body, CreatedAt: p.CreatedAt, Outcome: p.Outcome, Response: p.Response, RespondedAt: p.RespondedAt}
}

// QueueFilter selects comments for an officer.
type QueueFilter struct {
	// Agency narrows to one agency's subtree; "" means all the actor's.
	Agency string
	// Consultation narrows to one consultation.
	Consultation string
	// State is a comment state; "" means pending.
	State string
	// Unanswered keeps approved comments without a response (State must be
	// "" or approved).
	Unanswered bool
	// Limit is DefaultQueue when 0, at most MaxQueue.
	Limit int
}

// Queue sizes.
const (
	DefaultQueue = 50
	MaxQueue     = 200
)

// QueueQuery is the store query behind an agency's queue.
func (s *Service) QueueQuery(agency, state string, unanswered bool, limit int) store.Query {
	q := store.Query{
		Where: []store.Cond{store.Where(s.Tree.ScopeField(agency), store.Eq, agency), store.Where("state", store.Eq, state)},
		Sort:  []store.SortKey{{Field: "created_at"}},
		Limit: limit,
	}
	if unanswered {
		q.Where = append(q.Where, store.Where("responded", store.Eq, false))
	}
	return q
}

// ConsultationQueueQuery is the store query behind one consultation's
// queue.
func ConsultationQueueQuery(consultation, state string, unanswered bool, limit int) store.Query {
	q := store.Query{
		Where: []store.Cond{store.Where("consultation", store.Eq, consultation), store.Where("state", store.Eq, state)},
		Sort:  []store.SortKey{{Field: "created_at"}},
		Limit: limit,
	}
	if unanswered {
		q.Where = append(q.Where, store.Where("responded", store.Eq, false))
	}
	return q
}

// Queue lists comments waiting in the actor's agencies (or one agency, or
// one consultation), oldest first.
func (s *Service) Queue(ctx context.Context, a *Actor, f QueueFilter) ([]QueueItem, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultQueue
	}
	f.Limit = min(f.Limit, MaxQueue)
	if f.State == "" {
		f.State = CommentPending
		if f.Unanswered {
			f.State = CommentApproved
		}
	}
	if !slices.Contains(CommentStates, f.State) || f.Unanswered && f.State != CommentApproved {
		return nil, problem.Invalid("state", "field.state.oneof")
	}
	var queries []store.Query
	switch {
	case f.Consultation != "":
		c, _, err := s.Store.Get(ctx, f.Consultation)
		if err != nil {
			return nil, err
		}
		if !a.Can(s.Tree, c.Agency, agencies.RoleOfficer) {
			return nil, problem.Forbidden()
		}
		queries = append(queries, ConsultationQueueQuery(c.ID, f.State, f.Unanswered, f.Limit))
	case f.Agency != "":
		if _, ok := s.Tree.Get(f.Agency); !ok {
			return nil, problem.Invalid("agency", "field.agency.unknown")
		}
		if !a.Can(s.Tree, f.Agency, agencies.RoleOfficer) {
			return nil, problem.Forbidden()
		}
		queries = append(queries, s.QueueQuery(f.Agency, f.State, f.Unanswered, f.Limit))
	default:
		scopes := a.Scopes(s.Tree)
		if len(scopes) == 0 {
			return nil, problem.Forbidden()
		}
		for _, ag := range scopes {
			if _, ok := s.Tree.Get(ag); ok {
				queries = append(queries, s.QueueQuery(ag, f.State, f.Unanswered, f.Limit))
			}
		}
	}
	items := []QueueItem{}
	for _, q := range queries {
		q.Project = "card"
		var cards []*QueueItem
		if err := s.Store.comments.Find(ctx, q, &cards); err != nil {
			return nil, fmt.Errorf("consultation: queue: %w", err)
		}
		for _, c := range cards {
			if c != nil {
				items = append(items, *c)
			}
		}
	}
	if len(queries) > 1 {
		sortQueue(items)
		if len(items) > f.Limit {
			items = items[:f.Limit]
		}
	}
	return items, nil
}

func sortQueue(items []QueueItem) {
	// Insertion sort keeps it stable and allocation-free for queue sizes.
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].CreatedAt.Before(items[j-1].CreatedAt); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// GetComment returns a comment in full, personal data and audit trail
// included, for an officer of its agency.
func (s *Service) GetComment(ctx context.Context, a *Actor, id string) (*Comment, error) {
	m, _, err := s.Store.GetComment(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Can(s.Tree, m.Agency, agencies.RoleOfficer) {
		return nil, problem.Forbidden()
	}
	return m, nil
}

// transition applies one moderation step to comment id under optimistic
// concurrency, checking the actor's role and the consultation (nothing
// changes once its synthesis is published), and adds the audit entry.
func (s *Service) transition(ctx context.Context, a *Actor, id, action string, check func(m *Comment) error, apply func(m *Comment, e *AuditEntry)) (*Comment, error) {
	m, _, err := s.Store.GetComment(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Can(s.Tree, m.Agency, agencies.RoleOfficer) {
		return nil, problem.Forbidden()
	}
	c, _, err := s.Store.Get(ctx, m.Consultation)
	if err != nil {
		return nil, err
	}
	if c.SynthesisPublishedAt != "" {
		return nil, problem.Conflict("conflict.synthesis_published")
	}
	return s.Store.UpdateComment(ctx, id, s.now, func(m *Comment) error {
		if err := check(m); err != nil {
			return err
		}
		e := AuditEntry{At: s.now(), Actor: a.ID, ActorName: a.Name, Action: action, From: m.State}
		apply(m, &e)
		e.To = m.State
		m.Audit = append(m.Audit, e)
		return nil
	})
}

func commentIn(m *Comment, states ...string) error {
	if slices.Contains(states, m.State) {
		return nil
	}
	return problem.Conflict("conflict.comment_state", m.State)
}

// count records a change of the approved set in the comment's outbox.
func count(m *Comment, delta int64, now time.Time) {
	m.Outbox = append(m.Outbox, OutboxItem{ID: newID(now), Kind: "count", Delta: delta, Version: m.Version, Anchor: m.Anchor, At: now})
}

// publicComment builds the public view: the body masked (pii.Mask, the
// author's name included), the name only if the author chose to show it.
func publicComment(m *Comment) *PublicComment {
	var names []string
	if m.Author.Name != "" {
		names = append(names, m.Author.Name)
	}
	p := &PublicComment{ID: m.ID, Version: m.Version, Anchor: m.Anchor, Organisation: m.Author.Organisation,
		Body: pii.Mask(m.Body, names...), CreatedAt: m.CreatedAt}
	if m.Author.ShowName {
		p.Name = m.Author.Name
	}
	if r := m.Response; r != nil {
		p.Outcome = r.Outcome
		p.Response = pii.Mask(r.Text, names...)
		at := r.At
		p.RespondedAt = &at
	}
	return p
}

// Approve publishes a pending comment, masked, and counts it.
func (s *Service) Approve(ctx context.Context, a *Actor, id string) (*Comment, error) {
	m, err := s.transition(ctx, a, id, "approve",
		func(m *Comment) error { return commentIn(m, CommentPending) },
		func(m *Comment, e *AuditEntry) {
			m.State = CommentApproved
			m.Public = publicComment(m)
			count(m, +1, s.now())
		})
	if err != nil {
		return nil, err
	}
	// Count now; if this fails the Worker does it later.
	_ = s.Store.Drain(ctx, m.ID, s.now)
	return m, nil
}

// Reject refuses a pending comment, or withdraws an approved one from
// public view, with a reason.
func (s *Service) Reject(ctx context.Context, a *Actor, id, reason string) (*Comment, error) {
	reason = vntext.Clean(reason)
	switch {
	case reason == "":
		return nil, problem.Invalid("reason", "field.reason.required")
	case vntext.Len(reason) > ReasonMax:
		return nil, problem.Invalid("reason", "field.max", ReasonMax)
	}
	m, err := s.transition(ctx, a, id, "reject",
		func(m *Comment) error { return commentIn(m, CommentPending, CommentApproved) },
		func(m *Comment, e *AuditEntry) {
			if m.State == CommentApproved {
				count(m, -1, s.now())
			}
			m.State = CommentRejected
			m.Public = nil
			m.Reason = reason
			e.Reason = reason
		})
	if err != nil {
		return nil, err
	}
	_ = s.Store.Drain(ctx, m.ID, s.now)
	return m, nil
}

// ResponseInput is an officer's response to a comment.
type ResponseInput struct {
	// Outcome is one of Outcomes.
	Outcome string
	// Text explains the response; required when the comment is partly or
	// not accepted.
	Text string
}

// Respond records (or replaces) the agency's response to an approved
// comment; it shows with the comment and in the synthesis.
func (s *Service) Respond(ctx context.Context, a *Actor, id string, in ResponseInput) (*Comment, error) {
	var f problem.Fields
	outcome := strings.TrimSpace(in.Outcome)
	text := vntext.Clean(in.Text)
	switch {
	case outcome == "":
		f.Add("outcome", "field.outcome.required")
	case !slices.Contains(Outcomes, outcome):
		f.Add("outcome", "field.outcome.oneof")
	case text == "" && (outcome == OutcomePartly || outcome == OutcomeNotAccepted):
		f.Add("text", "field.response.text.required")
	}
	if vntext.Len(text) > ResponseMax {
		f.Add("text", "field.max", ResponseMax)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	m, err := s.transition(ctx, a, id, "respond",
		func(m *Comment) error { return commentIn(m, CommentApproved) },
		func(m *Comment, e *AuditEntry) {
			now := s.now()
			m.Response = &Response{Outcome: outcome, Text: text, By: a.ID, ByName: a.Name, At: now}
			m.Responded = true
			m.Public = publicComment(m)
			e.Reason = outcome
			if m.Author.Email != "" && s.Store.notifier != nil {
				// The author hears of it (the notifier only mails a
				// confirmed address); written with the response itself.
				m.Outbox = append(m.Outbox, OutboxItem{ID: newID(now), Kind: "notify", At: now})
			}
		})
	if err != nil {
		return nil, err
	}
	// Tell the author now; the worker retries if this fails.
	_ = s.Store.Drain(ctx, m.ID, s.now)
	return m, nil
}
