package notifications

import (
	"context"
	"errors"
	"fmt"
	"time"

	"tuongtac/problem"
	"tuongtac/store"
)

// States of an outbox message, and the moves between them:
//
//	held → queued                the address was verified
//	held → cancelled             the verification link expired, or she unsubscribed
//	queued → sending             a worker claimed it (one conditional write)
//	queued → cancelled           she unsubscribed
//	sending → committing         the mailer reached the point of no return (Message.Commit)
//	sending → queued             relay unreachable (no try counted); refused (a try
//	                             counted, exponential backoff); lease expired (a try)
//	sending → dead               refused for the MaxTries-th time, or cannot be built
//	committing → sent            the relay answered 250
//	committing → queued | dead   the relay refused the message after its end
//	committing → uncertain       no answer (connection lost), or the lease expired
//	dead | uncertain → queued    Requeue (an admin)
//	uncertain → sent             MarkSent (an admin checked the relay's log)
//	dead | uncertain → cancelled Discard (an admin)
const (
	StateHeld       = "held"       // waiting for the address to be verified
	StateQueued     = "queued"     // ready to send at next_at
	StateSending    = "sending"    // claimed by a worker; nothing has reached the relay for sure
	StateCommitting = "committing" // the end of the message is going out: it may be accepted
	StateSent       = "sent"       // accepted by the relay; bodies dropped
	StateDead       = "dead"       // failed MaxTries times: a dead letter for admins
	StateUncertain  = "uncertain"  // a worker stopped while committing: maybe sent; admins decide
	StateCancelled  = "cancelled"  // unsubscribed, or never verified
)

// AdminStates are the states an admin looks at: messages that need a person.
var AdminStates = []string{StateDead, StateUncertain}

// Mail is one message in the outbox. Its id comes from the event and the
// recipient, so enqueueing the same event twice stores it once.
type Mail struct {
	ID string `json:"id"`
	// Ref repeats the id in an object, so that the worker's queries read
	// ids alone (a projection of one object field) instead of bodies.
	Ref   MailRef `json:"ref"`
	State string  `json:"state"`
	// NextAt is when the worker looks at it next: the send time while
	// queued, the lease's end while sending or committing, the link's
	// expiry while held, and the time of the last change otherwise.
	NextAt string `json:"next_at"`
	// Subscriber is the citizen's subscriber id; User the officer's user id.
	Subscriber string `json:"subscriber,omitempty"`
	User       string `json:"user,omitempty"`
	Template   string `json:"template"`
	Lang       string `json:"lang"`
	To         string `json:"to"`
	ToName     string `json:"to_name,omitempty"`
	Subject    string `json:"subject"`
	// Text and HTML are dropped once the message is sent or cancelled: the
	// outbox is not an archive of personal data.
	Text        string `json:"text,omitempty"`
	HTML        string `json:"html,omitempty"`
	Unsubscribe string `json:"unsubscribe,omitempty"`
	MessageID   string `json:"message_id"`
	// Tries counts failed attempts that were the message's fault or
	// unknown (a worker that died mid-send).
	Tries int `json:"tries"`
	// Owner and Claim identify the worker and the claim holding the
	// message; Claim changes with every claim and fences late writers.
	Owner     string     `json:"owner,omitempty"`
	Claim     string     `json:"claim,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

// MailRef is the part of a Mail that the worker's lists read.
type MailRef struct {
	ID string `json:"id"`
}

// Outcome says what Notify did with an event.
type Outcome string

// Outcomes of Notify and friends.
const (
	Queued    Outcome = "queued"    // stored; the worker sends it
	Held      Outcome = "held"      // stored until the address is verified
	Skipped   Outcome = "skipped"   // not stored: no consent (unknown, unverified, unsubscribed)
	Duplicate Outcome = "duplicate" // this event was already stored for this recipient
)

// enqueue stores m; a duplicate id means the event was stored before and
// counts as done.
func (s *Service) enqueue(ctx context.Context, m *Mail) (Outcome, error) {
	now := s.now()
	m.CreatedAt, m.UpdatedAt = now, now
	if m.NextAt == "" {
		m.NextAt = ts(now)
	}
	m.Ref = MailRef{ID: m.ID}
	m.MessageID = hashHex(m.ID)[:32] + "@" + s.msgIDDom
	err := s.mail.Insert(ctx, m.ID, m)
	if errors.Is(err, store.ErrDuplicate) {
		return Duplicate, nil
	}
	if err != nil {
		return "", fmt.Errorf("notifications: enqueue %s: %w", m.ID, err)
	}
	if m.State == StateQueued {
		s.wake()
		return Queued, nil
	}
	return Held, nil
}

// Get reads one outbox message; problem.NotFound if there is none.
func (s *Service) Get(ctx context.Context, id string) (*Mail, error) {
	var m Mail
	_, err := s.mail.Get(ctx, id, &m)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("notifications: get %s: %w", id, err)
	}
	return &m, nil
}

// List returns up to limit messages in state, most recently changed first:
// the dead letters and uncertain messages for the admin page.
func (s *Service) List(ctx context.Context, state string, limit int) ([]Mail, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []Mail
	err := s.mail.Find(ctx, store.Query{
		Where: []store.Cond{store.Where("state", store.Eq, state)},
		Sort:  []store.SortKey{{Field: "next_at", Desc: true}},
		Limit: limit,
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("notifications: list %s: %w", state, err)
	}
	return out, nil
}

// Counts returns how many messages are in each state, for the admin page
// and monitoring.
func (s *Service) Counts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, st := range []string{StateHeld, StateQueued, StateSending, StateCommitting, StateSent, StateDead, StateUncertain, StateCancelled} {
		n, err := s.mail.Count(ctx, store.Query{Where: []store.Cond{store.Where("state", store.Eq, st)}})
		if err != nil {
			return nil, fmt.Errorf("notifications: counts: %w", err)
		}
		out[st] = n
	}
	return out, nil
}

// Requeue sends a dead or uncertain message again, with a fresh count of
// tries. An uncertain message keeps its Message-ID, so if the first copy did
// arrive the recipient's mail program shows the two as the same message.
func (s *Service) Requeue(ctx context.Context, id string) error {
	err := s.adminUpdate(ctx, id, []string{StateDead, StateUncertain}, func(m *Mail, now time.Time) {
		m.State, m.NextAt, m.Tries, m.Owner, m.Claim = StateQueued, ts(now), 0, "", ""
	})
	if err == nil {
		s.wake()
	}
	return err
}

// MarkSent records that an uncertain message did arrive (the admin checked
// the relay's log), so it is never sent again.
func (s *Service) MarkSent(ctx context.Context, id string) error {
	return s.adminUpdate(ctx, id, []string{StateUncertain}, func(m *Mail, now time.Time) {
		m.State, m.NextAt, m.Owner, m.Claim = StateSent, ts(now), "", ""
		m.SentAt = &now
		m.Text, m.HTML = "", ""
	})
}

// Discard gives up on a dead or uncertain message.
func (s *Service) Discard(ctx context.Context, id string) error {
	return s.adminUpdate(ctx, id, []string{StateDead, StateUncertain}, func(m *Mail, now time.Time) {
		m.State, m.NextAt, m.Owner, m.Claim = StateCancelled, ts(now), "", ""
		m.Text, m.HTML = "", ""
	})
}

func (s *Service) adminUpdate(ctx context.Context, id string, from []string, change func(m *Mail, now time.Time)) error {
	for range 5 {
		var m Mail
		v, err := s.mail.Get(ctx, id, &m)
		if errors.Is(err, store.ErrNotFound) {
			return problem.NotFound()
		}
		if err != nil {
			return fmt.Errorf("notifications: update %s: %w", id, err)
		}
		ok := false
		for _, f := range from {
			ok = ok || m.State == f
		}
		if !ok {
			return problem.Conflict("conflict.state", m.State)
		}
		now := s.now()
		change(&m, now)
		m.UpdatedAt = now
		err = s.mail.Replace(ctx, id, v, &m)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("notifications: update %s: %w", id, err)
		}
		return nil
	}
	return problem.Conflict("conflict.changed")
}

// update applies change to message id if claim still holds it (claim ""
// means any), retrying on version conflicts. change returns false to leave
// the document alone. It reports whether it wrote.
func (s *Service) update(ctx context.Context, id string, change func(m *Mail) bool) (bool, error) {
	for range 10 {
		var m Mail
		v, err := s.mail.Get(ctx, id, &m)
		if err != nil {
			return false, fmt.Errorf("notifications: update %s: %w", id, err)
		}
		if !change(&m) {
			return false, nil
		}
		m.UpdatedAt = s.now()
		err = s.mail.Replace(ctx, id, v, &m)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("notifications: update %s: %w", id, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("notifications: update %s: too much contention", id)
}

// findIDs returns the ids of up to limit messages matching where, in
// next_at order, reading only the id of each.
func (s *Service) findIDs(ctx context.Context, where []store.Cond, limit int) ([]string, error) {
	var refs []MailRef
	err := s.mail.Find(ctx, store.Query{Where: where, Sort: []store.SortKey{{Field: "next_at"}}, Limit: limit, Project: "ref"}, &refs)
	if err != nil {
		return nil, fmt.Errorf("notifications: find mail: %w", err)
	}
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.ID
	}
	return out, nil
}
