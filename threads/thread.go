// Package threads holds the questions, feedback and complaints citizens send to
// agencies (Article 7.1.a): the document, how it is submitted and validated, how
// it is published with personal data masked, and how the public and the asker
// read it. The workflow that moves a thread between states lives in moderation.
package threads

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// States of a thread. A thread is "open" (in an agency's queue) while queued,
// assigned, pending approval or held.
const (
	StateQueued          = "queued"
	StateAssigned        = "assigned"
	StatePendingApproval = "pending_approval"
	StatePublished       = "published"
	StateAnsweredPrivate = "answered_private"
	StateRejected        = "rejected"
	StateHeld            = "held"
	StateArchived        = "archived"
)

// States lists every state, in workflow order.
var States = []string{StateQueued, StateAssigned, StatePendingApproval, StatePublished, StateAnsweredPrivate, StateRejected, StateHeld, StateArchived}

// IsOpen reports whether a thread in state s waits for an agency.
func IsOpen(s string) bool {
	switch s {
	case StateQueued, StateAssigned, StatePendingApproval, StateHeld:
		return true
	}
	return false
}

// Kinds a citizen may send. Formal complaints and denunciations (khiếu nại, tố
// cáo) follow other laws and are out of scope.
var Kinds = []string{"question", "feedback", "complaint"}

// Thread is the stored document. Fields with a json name that a query uses are
// declared in migrations; see Migrations.
type Thread struct {
	ID     string `json:"id"`
	Agency string `json:"agency"`
	// A1..A4 are the agency's ancestors by depth (agencies.Tree.Path), so "this
	// agency and its sub-agencies" is one indexed equality on both backends.
	A1 string `json:"a1"`
	A2 string `json:"a2"`
	A3 string `json:"a3"`
	A4 string `json:"a4"`

	Kind  string `json:"kind"`
	Topic string `json:"topic"`
	Title string `json:"title"`
	Body  string `json:"body"`
	Lang  string `json:"lang"`
	Asker Asker  `json:"asker"`

	State string `json:"state"`
	// Open mirrors IsOpen(State) so queues are one indexed equality.
	Open bool `json:"open"`
	// Tracking is the SHA-256 (hex) of the asker's tracking code; the code
	// itself is never stored.
	Tracking string `json:"tracking"`
	// Assignee is the id of the officer holding the thread, "" when nobody does.
	Assignee     string `json:"assignee"`
	AssigneeName string `json:"assignee_name,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// DueAt is the end of the last working day the agency has to answer.
	DueAt time.Time `json:"due_at"`
	// PublishedAt is "" until published, then a fixed-width UTC RFC 3339 time,
	// so it sorts as text on both backends.
	PublishedAt string `json:"published_at"`

	// Draft is the answer waiting for approval (or being revised).
	Draft *Answer `json:"draft,omitempty"`
	// Answer is the approved answer.
	Answer *Answer `json:"answer,omitempty"`
	// Public is what the public sees once published: personal data masked at
	// approval time. Public pages and the search index read only this.
	Public *Public `json:"public,omitempty"`
	// ReturnNote is the editor's note when an answer was sent back.
	ReturnNote string `json:"return_note,omitempty"`
	// Reason is why the thread was rejected or archived, shown to the asker.
	Reason string `json:"reason,omitempty"`

	// Card is the thread as a queue row shows it, kept in step by Touch so
	// queues read this small part of each document only.
	Card Card `json:"card"`
	// PublicCard is the published thread as a public list shows it, built
	// with Public.
	PublicCard *PublicItem `json:"public_card,omitempty"`

	Audit  []AuditEntry  `json:"audit"`
	Outbox []OutboxEntry `json:"outbox"`
	// Pending mirrors len(Outbox) > 0 so workers find work by an index.
	Pending bool `json:"pending"`
}

// Asker is the citizen's contact. It is personal data: never on a public page.
type Asker struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	ShowName bool   `json:"show_name"`
	// IPHash is a salted hash of the client address, for abuse handling only.
	IPHash string `json:"ip_hash,omitempty"`
}

// Answer is an agency's answer.
type Answer struct {
	Body       string    `json:"body"`
	Author     string    `json:"author"`
	AuthorName string    `json:"author_name"`
	At         time.Time `json:"at"`
	ApprovedBy string    `json:"approved_by,omitempty"`
}

// Public is the masked, publishable view of a thread.
type Public struct {
	// Topic is the thread's topic unless it spells personal data.
	Topic      string    `json:"topic"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Answer     string    `json:"answer"`
	AskerName  string    `json:"asker_name,omitempty"`
	AnsweredAt time.Time `json:"answered_at"`
}

// AuditEntry records one transition: who, when, from, to, why.
type AuditEntry struct {
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"` // user id, or "citizen" / "system"
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Reason    string    `json:"reason,omitempty"`
	// FromAgency and ToAgency are set on transfers.
	FromAgency string `json:"from_agency,omitempty"`
	ToAgency   string `json:"to_agency,omitempty"`
	// Hash chains the trail: the SHA-256 of the previous entry's hash and
	// this entry's content, so changing or removing an earlier entry shows.
	Hash string `json:"hash"`
}

// AppendAudit adds e to the thread's audit trail, chained to the entry before.
func (t *Thread) AppendAudit(e AuditEntry) {
	prev := ""
	if n := len(t.Audit); n > 0 {
		prev = t.Audit[n-1].Hash
	}
	e.Hash = auditHash(prev, e)
	t.Audit = append(t.Audit, e)
}

func auditHash(prev string, e AuditEntry) string {
	e.Hash = ""
	b, _ := json.Marshal(e)
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyAudit checks the thread's audit chain and returns the index of the
// first entry that does not match, or -1 when the whole trail is intact.
func (t *Thread) VerifyAudit() int {
	prev := ""
	for i, e := range t.Audit {
		if e.Hash != auditHash(prev, e) {
			return i
		}
		prev = e.Hash
	}
	return -1
}

// OutboxEntry is work that must follow a change (tell the asker, update the
// search index). It is written in the same document update as the change and
// removed by the worker that does it, so a crash loses nothing.
type OutboxEntry struct {
	ID    string    `json:"id"`
	Kind  string    `json:"kind"` // "count"; notifications and search add theirs
	Event string    `json:"event,omitempty"`
	At    time.Time `json:"at"`
	Tries int       `json:"tries"`
	// Delta, ThreadKind and Agencies describe a "count" entry: add Delta to
	// the published counters of each of Agencies (the thread's agency and its
	// ancestors), in total and for ThreadKind.
	Delta      int64    `json:"delta,omitempty"`
	ThreadKind string   `json:"thread_kind,omitempty"`
	Agencies   []string `json:"agencies,omitempty"`
	// Code is the tracking code, carried only by the "notify" entry of a
	// submission (the receipt email) and gone with the entry once drained.
	Code string `json:"code,omitempty"`
	// FromAgency is the agency a transfer came from, for its notices.
	FromAgency string `json:"from_agency,omitempty"`
}

// Card is a queue row: what an officer needs to pick the next thread.
type Card struct {
	ID           string    `json:"id"`
	Agency       string    `json:"agency"`
	State        string    `json:"state"`
	Kind         string    `json:"kind"`
	Title        string    `json:"title"`
	DueAt        time.Time `json:"due_at"`
	Assignee     string    `json:"assignee"`
	AssigneeName string    `json:"assignee_name,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Touch sets the fields derived from others before a write.
func (t *Thread) Touch(now time.Time) {
	t.Card = Card{ID: t.ID, Agency: t.Agency, State: t.State, Kind: t.Kind, Title: t.Title, DueAt: t.DueAt,
		Assignee: t.Assignee, AssigneeName: t.AssigneeName, CreatedAt: t.CreatedAt}
	t.Open = IsOpen(t.State)
	t.Pending = len(t.Outbox) > 0
	t.UpdatedAt = now
	if t.Audit == nil {
		t.Audit = []AuditEntry{}
	}
	if t.Outbox == nil {
		t.Outbox = []OutboxEntry{}
	}
}
