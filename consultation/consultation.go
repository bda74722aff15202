// Package consultation lets citizens and organisations take part in
// law-making (Article 7.1.c): an agency publishes a draft for a comment
// period; people comment on the whole draft or on any article, clause or
// point of it; comments pass the agency's moderation before they show; the
// agency answers each one and, after the period, publishes its synthesis —
// every comment with its response, grouped by article (the "báo cáo tổng
// hợp, tiếp thu, giải trình") — as JSON, CSV and a printable page.
//
// Drafts are parsed into their legal structure by consultation/legal. A
// consultation keeps every version of its draft; comments stay attached to
// the part they were written on when a revised draft renumbers or moves it.
//
// Storage follows the store package's rules: a consultation, each version
// of its draft and each comment are documents; every change is one
// conditional replace of one document. The approved-comment counts shown
// beside each part of the draft live in the consultation document and move
// through an outbox entry written with the approval, so a crash between the
// two writes loses no count and an entry applied twice counts once.
package consultation

import (
	"time"

	"tuongtac/agencies"
	"tuongtac/consultation/legal"
)

// States of a consultation. Scheduled, open and closed follow from the
// clock and the period; synthesis_published is stored.
const (
	StateScheduled          = "scheduled"
	StateOpen               = "open"
	StateClosed             = "closed"
	StateSynthesisPublished = "synthesis_published"
)

// States lists the consultation states in order.
var States = []string{StateScheduled, StateOpen, StateClosed, StateSynthesisPublished}

// States of a comment.
const (
	CommentPending  = "pending"
	CommentApproved = "approved"
	CommentRejected = "rejected"
)

// CommentStates lists the comment states.
var CommentStates = []string{CommentPending, CommentApproved, CommentRejected}

// Outcomes of an agency's response to a comment.
const (
	OutcomeAccepted    = "accepted"     // tiếp thu
	OutcomePartly      = "partly"       // tiếp thu một phần
	OutcomeNotAccepted = "not_accepted" // không tiếp thu, with the reason
	OutcomeNoted       = "noted"        // ghi nhận
)

// Outcomes lists the outcomes in the order the synthesis counts them.
var Outcomes = []string{OutcomeAccepted, OutcomePartly, OutcomeNotAccepted, OutcomeNoted}

// Consultation is the stored document of a consultation. Its draft's
// versions are separate documents (Version), so this one stays small: it is
// rewritten on every approval.
type Consultation struct {
	ID     string `json:"id"`
	Agency string `json:"agency"`
	// A1..A4 are the agency's path (agencies.Tree.Path), so an agency's
	// subtree is one indexed equality.
	A1 string `json:"a1"`
	A2 string `json:"a2"`
	A3 string `json:"a3"`
	A4 string `json:"a4"`

	Title   string `json:"title"`
	Summary string `json:"summary"`
	// OpensAt and ClosesAt bound the comment period, [OpensAt, ClosesAt).
	// Both are UTC and whole seconds, so they sort as text.
	OpensAt  time.Time `json:"opens_at"`
	ClosesAt time.Time `json:"closes_at"`
	// PlannedClosesAt is the end set at creation; ClosesAt moves to the
	// closing time when an editor closes the period early.
	PlannedClosesAt time.Time `json:"planned_closes_at"`
	ClosedEarly     bool      `json:"closed_early"`
	// ShortPeriodReason says why the period is shorter than the minimum.
	ShortPeriodReason string `json:"short_period_reason,omitempty"`

	CurrentVersion int           `json:"current_version"`
	Versions       []VersionInfo `json:"versions"`

	// SynthesisPublishedAt is "" until the synthesis is published, then a
	// fixed-width UTC time; SynthesisVersion is the draft version the
	// synthesis is grouped by.
	SynthesisPublishedAt string `json:"synthesis_published_at"`
	SynthesisVersion     int    `json:"synthesis_version,omitempty"`

	// Counts holds approved comments by anchor of the current version:
	// keyDraft for the whole draft, keyRemoved for parts no longer in the
	// draft. Approved is their sum.
	Counts   map[string]int64 `json:"counts"`
	Approved int64            `json:"approved"`
	// Applied lists the last count entries applied, so that applying one
	// again changes nothing.
	Applied []string `json:"applied"`

	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	CreatedBy string       `json:"created_by"`
	Audit     []AuditEntry `json:"audit"`
	// Card is the consultation as a list shows it, kept in step by touch.
	Card ListItem `json:"card"`
}

// Count keys for comments that are not on a part of the current draft.
const (
	keyDraft   = "~"        // the whole draft
	keyRemoved = "~removed" // a part removed by a later version
)

// VersionInfo describes one version of the draft.
type VersionInfo struct {
	N         int       `json:"n"`
	Format    string    `json:"format"`
	Filename  string    `json:"filename,omitempty"`
	Note      string    `json:"note,omitempty"`
	Units     int       `json:"units"`
	Articles  int       `json:"articles"`
	Issues    int       `json:"issues"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// Version is one version of a consultation's draft, stored apart and never
// changed once written.
type Version struct {
	ID           string `json:"id"`
	Consultation string `json:"consultation"`
	N            int    `json:"n"`
	// Source is the draft as given (text, Markdown) or as extracted from the
	// DOCX file (one paragraph a line), so it can be parsed again.
	Source   string          `json:"source"`
	Document *legal.Document `json:"document"`
	// Aliases maps "k:anchor", an anchor in version k < N, to the anchor of
	// the same part in this version, or to "" when the part is gone. Anchors
	// not listed are unchanged.
	Aliases   map[string]string `json:"aliases"`
	CreatedAt time.Time         `json:"created_at"`
}

// Comment is the stored document of a comment.
type Comment struct {
	ID           string `json:"id"`
	Consultation string `json:"consultation"`
	// ConsultationTitle is copied for queues.
	ConsultationTitle string `json:"consultation_title"`
	Agency            string `json:"agency"`
	A1                string `json:"a1"`
	A2                string `json:"a2"`
	A3                string `json:"a3"`
	A4                string `json:"a4"`
	// Version is the draft version the comment was written on; Anchor is
	// the part of that version, "" for the whole draft.
	Version int    `json:"version"`
	Anchor  string `json:"anchor"`
	Body    string `json:"body"`
	Author  Author `json:"author"`
	Lang    string `json:"lang"`

	State     string    `json:"state"`
	Responded bool      `json:"responded"`
	Response  *Response `json:"response,omitempty"`
	// Reason is why the comment was rejected.
	Reason string `json:"reason,omitempty"`
	// Public is what the public sees once approved, personal data masked at
	// approval (and at each response).
	Public *PublicComment `json:"public,omitempty"`

	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	Audit     []AuditEntry `json:"audit"`
	Outbox    []OutboxItem `json:"outbox"`
	// Pending mirrors len(Outbox) > 0, for the worker's index.
	Pending bool      `json:"pending"`
	Card    QueueItem `json:"card"`
}

// Author is who wrote a comment. Name and Email are personal data, never
// public; the organisation a comment is sent for is public.
type Author struct {
	Name         string `json:"name"`
	Email        string `json:"email"`
	Organisation string `json:"organisation"`
	ShowName     bool   `json:"show_name"`
	// IPHash is a salted hash of the client address, for abuse handling.
	IPHash string `json:"ip_hash,omitempty"`
}

// Response is the agency's answer to a comment.
type Response struct {
	Outcome string    `json:"outcome"`
	Text    string    `json:"text"`
	By      string    `json:"by"`
	ByName  string    `json:"by_name"`
	At      time.Time `json:"at"`
}

// PublicComment is an approved comment as the public sees it.
type PublicComment struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	// Anchor is the part as written on (see Comment.Anchor); views resolve
	// it to the current version.
	Anchor string `json:"anchor"`
	// Name is the author's name when they chose to show it.
	Name         string     `json:"name,omitempty"`
	Organisation string     `json:"organisation,omitempty"`
	Body         string     `json:"body"`
	CreatedAt    time.Time  `json:"created_at"`
	Outcome      string     `json:"outcome,omitempty"`
	Response     string     `json:"response,omitempty"`
	RespondedAt  *time.Time `json:"responded_at,omitempty"`
}

// AuditEntry records one action: who, when, what, from which state to
// which, why.
type AuditEntry struct {
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"` // user id, or "citizen" / "system"
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	// Version is set on actions about a draft version.
	Version int `json:"version,omitempty"`
}

// OutboxItem is a count change that must reach the consultation: Delta
// approved comments on (Version, Anchor). It is written with the comment's
// state change and removed once applied.
type OutboxItem struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"` // "count", or "notify" (the author hears of a response)
	Delta   int64     `json:"delta"`
	Version int       `json:"version"`
	Anchor  string    `json:"anchor"`
	At      time.Time `json:"at"`
}

// ListItem is a consultation in a list.
type ListItem struct {
	ID       string    `json:"id"`
	Agency   string    `json:"agency"`
	Title    string    `json:"title"`
	Summary  string    `json:"summary"`
	State    string    `json:"state"`
	OpensAt  time.Time `json:"opens_at"`
	ClosesAt time.Time `json:"closes_at"`
	Version  int       `json:"version"`
	// Comments counts approved comments.
	Comments             int64      `json:"comments"`
	SynthesisPublishedAt *time.Time `json:"synthesis_published_at,omitempty"`
}

// QueueItem is a comment in an officer's queue.
type QueueItem struct {
	ID                string    `json:"id"`
	Consultation      string    `json:"consultation"`
	ConsultationTitle string    `json:"consultation_title"`
	Agency            string    `json:"agency"`
	Anchor            string    `json:"anchor"`
	Version           int       `json:"version"`
	Excerpt           string    `json:"excerpt"`
	State             string    `json:"state"`
	Responded         bool      `json:"responded"`
	Outcome           string    `json:"outcome,omitempty"`
	CreatedAt         time.Time `json:"created_at"`
}

// Actor is the signed-in officer doing something. The server builds it
// from the session's user (ID, Name, Roles).
type Actor struct {
	ID    string
	Name  string
	Roles []agencies.Role
}

// Can reports whether the actor holds at least role need over agency,
// through a role on the agency or one of its ancestors.
func (a *Actor) Can(tree *agencies.Tree, agency, need string) bool {
	return a != nil && agencies.Allowed(tree, a.Roles, agency, need)
}

// Scopes returns the agencies whose queues the actor sees, leaving out those
// inside another of them.
func (a *Actor) Scopes(tree *agencies.Tree) []string {
	if a == nil {
		return nil
	}
	return agencies.Scopes(tree, a.Roles)
}

// stateAt computes the state at now.
func (c *Consultation) stateAt(now time.Time) string {
	switch {
	case c.SynthesisPublishedAt != "":
		return StateSynthesisPublished
	case now.Before(c.OpensAt):
		return StateScheduled
	case now.Before(c.ClosesAt):
		return StateOpen
	}
	return StateClosed
}

// touch sets the derived fields before a write.
func (c *Consultation) touch(now time.Time) {
	c.UpdatedAt = now
	if c.Counts == nil {
		c.Counts = map[string]int64{}
	}
	if c.Audit == nil {
		c.Audit = []AuditEntry{}
	}
	if c.Applied == nil {
		c.Applied = []string{}
	}
	if c.Versions == nil {
		c.Versions = []VersionInfo{}
	}
	c.Card = ListItem{
		ID: c.ID, Agency: c.Agency, Title: c.Title, Summary: excerpt(c.Summary, 300),
		OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, Version: c.CurrentVersion, Comments: c.Approved,
	}
	if t, ok := parseStamp(c.SynthesisPublishedAt); ok {
		c.Card.SynthesisPublishedAt = &t
	}
}

// touch sets the derived fields before a write.
func (m *Comment) touch(now time.Time) {
	m.UpdatedAt = now
	m.Pending = len(m.Outbox) > 0
	if m.Audit == nil {
		m.Audit = []AuditEntry{}
	}
	if m.Outbox == nil {
		m.Outbox = []OutboxItem{}
	}
	m.Card = QueueItem{
		ID: m.ID, Consultation: m.Consultation, ConsultationTitle: m.ConsultationTitle, Agency: m.Agency,
		Anchor: m.Anchor, Version: m.Version, Excerpt: excerpt(m.Body, 240), State: m.State,
		Responded: m.Responded, CreatedAt: m.CreatedAt,
	}
	if m.Response != nil {
		m.Card.Outcome = m.Response.Outcome
	}
}

// stampLayout is the fixed-width UTC form of times stored as text.
const stampLayout = "2006-01-02T15:04:05Z"

func stamp(t time.Time) string { return t.UTC().Format(stampLayout) }

func parseStamp(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(stampLayout, s)
	return t, err == nil
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

// OfficerComment is a comment as officers see it: everything but the
// client hash and the fields kept for indexes and the outbox.
type OfficerComment struct {
	ID                string         `json:"id"`
	Consultation      string         `json:"consultation"`
	ConsultationTitle string         `json:"consultation_title"`
	Agency            string         `json:"agency"`
	Version           int            `json:"version"`
	Anchor            string         `json:"anchor"`
	Body              string         `json:"body"`
	Author            Author         `json:"author"`
	Lang              string         `json:"lang"`
	State             string         `json:"state"`
	Responded         bool           `json:"responded"`
	Response          *Response      `json:"response,omitempty"`
	Reason            string         `json:"reason,omitempty"`
	Public            *PublicComment `json:"public,omitempty"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
	Audit             []AuditEntry   `json:"audit"`
}

// Officer returns the comment as officers see it.
func (m *Comment) Officer() *OfficerComment {
	a := m.Author
	a.IPHash = ""
	return &OfficerComment{
		ID: m.ID, Consultation: m.Consultation, ConsultationTitle: m.ConsultationTitle, Agency: m.Agency,
		Version: m.Version, Anchor: m.Anchor, Body: m.Body, Author: a, Lang: m.Lang, State: m.State,
		Responded: m.Responded, Response: m.Response, Reason: m.Reason, Public: m.Public,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Audit: m.Audit,
	}
}

// EditorView is a consultation as its agency's officers see it in the
// console: the period, every version, the audit trail.
type EditorView struct {
	ID                   string        `json:"id"`
	Agency               string        `json:"agency"`
	Title                string        `json:"title"`
	Summary              string        `json:"summary"`
	State                string        `json:"state"`
	OpensAt              time.Time     `json:"opens_at"`
	ClosesAt             time.Time     `json:"closes_at"`
	PlannedClosesAt      time.Time     `json:"planned_closes_at"`
	ClosedEarly          bool          `json:"closed_early"`
	ShortPeriodReason    string        `json:"short_period_reason,omitempty"`
	Version              int           `json:"version"`
	Versions             []VersionInfo `json:"versions"`
	SynthesisPublishedAt *time.Time    `json:"synthesis_published_at,omitempty"`
	SynthesisVersion     int           `json:"synthesis_version,omitempty"`
	Approved             int64         `json:"approved"`
	CreatedAt            time.Time     `json:"created_at"`
	CreatedBy            string        `json:"created_by"`
	Audit                []AuditEntry  `json:"audit"`
}

func (c *Consultation) editorView(now time.Time) *EditorView {
	v := &EditorView{
		ID: c.ID, Agency: c.Agency, Title: c.Title, Summary: c.Summary, State: c.stateAt(now),
		OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, PlannedClosesAt: c.PlannedClosesAt, ClosedEarly: c.ClosedEarly,
		ShortPeriodReason: c.ShortPeriodReason, Version: c.CurrentVersion, Versions: c.Versions,
		SynthesisVersion: c.SynthesisVersion, Approved: c.Approved, CreatedAt: c.CreatedAt, CreatedBy: c.CreatedBy, Audit: c.Audit,
	}
	if t, ok := parseStamp(c.SynthesisPublishedAt); ok {
		v.SynthesisPublishedAt = &t
	}
	return v
}
