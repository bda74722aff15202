package notifications

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"tuongtac/i18n"
	"tuongtac/problem"
	"tuongtac/store"
)

// Consent. A citizen's address gets nothing but the verification message
// until its owner opens the link (double opt-in); every message after that
// carries a one-click unsubscribe link, and an unsubscribed address gets
// nothing more unless its owner asks again and verifies again.
//
// Events for an address whose verification is pending are held, not
// dropped: the "received" message with the tracking code goes out the moment
// she confirms (JOURNEYS: "by email after confirming her address"). Held mail
// is cancelled when the link expires. Events for an address that never asked
// (or unsubscribed) are not recorded at all.

// Subscriber is a citizen's address and what she agreed to. Its id is the
// SHA-256 of the normalised address.
type Subscriber struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Lang  string `json:"lang"`
	// Verified is set when the owner opened a verification link.
	Verified   bool       `json:"verified"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	// Unsubscribed stops all mail; it wins over Verified.
	Unsubscribed   bool       `json:"unsubscribed"`
	UnsubscribedAt *time.Time `json:"unsubscribed_at,omitempty"`
	// UnsubToken is the secret in the unsubscribe link of every message.
	UnsubToken string `json:"unsub_token"`
	// PendingUntil is the expiry of the newest verification link; mail for
	// the address is held until then.
	PendingUntil time.Time `json:"pending_until,omitzero"`
	// Requests are the times of verification requests in the last 24 hours.
	Requests  []time.Time `json:"requests,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	// PurgeAt is when the record is deleted because it allows no mail: a
	// verification never completed, or an unsubscribe a while ago. Deleting
	// it is safe, since an unknown address gets nothing. "" while verified.
	PurgeAt string `json:"purge_at"`
}

// CanReceive reports whether ordinary mail may go to the address.
func (sub *Subscriber) CanReceive() bool { return sub.Verified && !sub.Unsubscribed }

type tokenDoc struct {
	ID         string `json:"id"`
	Subscriber string `json:"subscriber"`
	Kind       string `json:"kind"` // "verify" or "unsubscribe"
	ExpiresAt  string `json:"expires_at,omitempty"`
	// PurgeAt is when the token is deleted; "" for unsubscribe tokens, which
	// live as long as the address.
	PurgeAt string `json:"purge_at"`
}

type followDoc struct {
	Thread     string    `json:"thread"`
	Subscriber string    `json:"subscriber"`
	CreatedAt  time.Time `json:"created_at"`
}

// SubscriberID is the id of an address's record: the SHA-256 of the
// normalised address, so a lookup needs no index and the id alone does not
// reveal the address.
func SubscriberID(email string) (string, error) {
	a, err := NormalizeAddress(email)
	if err != nil {
		return "", err
	}
	return hashHex(a), nil
}

// address validates email for a citizen-facing call, as a field error.
func address(email string) (string, error) {
	a, err := NormalizeAddress(email)
	if err != nil {
		return "", problem.Invalid("email", "field.email")
	}
	return a, nil
}

// ensureSubscriber reads the address's record, creating it (unverified,
// with its unsubscribe token) if there is none.
func (s *Service) ensureSubscriber(ctx context.Context, addr, lang string) (*Subscriber, error) {
	id := hashHex(addr)
	for range 3 {
		var sub Subscriber
		_, err := s.subs.Get(ctx, id, &sub)
		if err == nil {
			return &sub, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("notifications: subscriber: %w", err)
		}
		tok := randomToken(16)
		now := s.now()
		sub = Subscriber{ID: id, Email: addr, Lang: i18n.Lang(lang), UnsubToken: tok, CreatedAt: now, PurgeAt: ts(now.Add(s.cfg.VerifyTTL))}
		// The token record first: a subscriber never exists without a
		// working unsubscribe link.
		if err := s.tokens.Insert(ctx, "u:"+hashHex(tok), tokenDoc{ID: "u:" + hashHex(tok), Subscriber: id, Kind: "unsubscribe"}); err != nil {
			return nil, fmt.Errorf("notifications: subscriber token: %w", err)
		}
		err = s.subs.Insert(ctx, id, &sub)
		if errors.Is(err, store.ErrDuplicate) {
			_ = s.tokens.Delete(ctx, "u:"+hashHex(tok))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("notifications: subscriber: %w", err)
		}
		return &sub, nil
	}
	return nil, fmt.Errorf("notifications: subscriber: too much contention")
}

// updateSubscriber applies change to subscriber id with a conditional write,
// retrying on conflicts. change returns an error to abandon.
func (s *Service) updateSubscriber(ctx context.Context, id string, change func(sub *Subscriber) error) (*Subscriber, error) {
	for range 5 {
		var sub Subscriber
		v, err := s.subs.Get(ctx, id, &sub)
		if errors.Is(err, store.ErrNotFound) {
			return nil, problem.NotFound()
		}
		if err != nil {
			return nil, fmt.Errorf("notifications: subscriber %s: %w", id, err)
		}
		if err := change(&sub); err != nil {
			return nil, err
		}
		err = s.subs.Replace(ctx, id, v, &sub)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("notifications: subscriber %s: %w", id, err)
		}
		return &sub, nil
	}
	return nil, problem.Conflict("conflict.changed")
}

var threadIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// errNothingToDo abandons an update that turns out to be unneeded.
var errNothingToDo = errors.New("nothing to do")

// RequestVerification sends the double opt-in link (BASE_URL/verify/{token})
// to email in lang, unless the address is already verified. It is limited
// per address: a second request within Config.VerifyResend sends nothing
// new (the link just sent still works), and more than Config.VerifyPerDay in
// 24 hours is problem.TooMany. A bad address is a field error on "email".
// Callers on the question form may ignore TooMany: the question is stored
// either way.
func (s *Service) RequestVerification(ctx context.Context, email, lang string) error {
	addr, err := address(email)
	if err != nil {
		return err
	}
	return s.requestVerification(ctx, addr, lang, false)
}

func (s *Service) requestVerification(ctx context.Context, addr, lang string, retried bool) error {
	sub, err := s.ensureSubscriber(ctx, addr, lang)
	if err != nil {
		return err
	}
	now := s.now()
	tok := randomToken(16)
	expires := now.Add(s.cfg.VerifyTTL)
	sub, err = s.updateSubscriber(ctx, sub.ID, func(sub *Subscriber) error {
		if sub.CanReceive() {
			return errNothingToDo
		}
		sub.Requests = slices.DeleteFunc(sub.Requests, func(t time.Time) bool { return now.Sub(t) >= 24*time.Hour })
		if n := len(sub.Requests); n > 0 && now.Sub(sub.Requests[n-1]) < s.cfg.VerifyResend && now.Before(sub.PendingUntil) {
			return errNothingToDo
		}
		if len(sub.Requests) >= s.cfg.VerifyPerDay {
			wait := sub.Requests[0].Add(24 * time.Hour).Sub(now)
			return problem.TooMany(int(wait.Seconds()) + 1)
		}
		sub.Requests = append(sub.Requests, now)
		sub.PendingUntil = expires
		sub.PurgeAt = ts(expires.Add(time.Hour))
		sub.Lang = i18n.Lang(lang)
		return nil
	})
	if errors.Is(err, errNothingToDo) {
		return nil
	}
	if problem.Is(err, problem.KindNotFound) && !retried {
		// Purged between our read and our write (it had expired): start over.
		return s.requestVerification(ctx, addr, lang, true)
	}
	if err != nil {
		return err
	}
	th := hashHex(tok)
	if err := s.tokens.Insert(ctx, "v:"+th, tokenDoc{ID: "v:" + th, Subscriber: sub.ID, Kind: "verify", ExpiresAt: ts(expires), PurgeAt: ts(expires)}); err != nil {
		return fmt.Errorf("notifications: verification token: %w", err)
	}
	v := view{VerifyURL: s.link("/verify/" + tok), ExpiresAt: expires}
	_, err = s.enqueueFor(ctx, sub, "verify/"+th[:24], TmplVerifyEmail, v, StateQueued, "")
	return err
}

// Verify confirms the address whose link carried token, releases the mail
// held for it, and returns the record (for the page's language). A token
// that is unknown or expired is problem.NotFound; opening a link twice is
// fine. Route: GET /verify/{token} should show a button that POSTs, so
// that mail scanners that follow links do not confirm addresses.
func (s *Service) Verify(ctx context.Context, token string) (*Subscriber, error) {
	if token == "" || len(token) > 128 {
		return nil, problem.NotFound()
	}
	var td tokenDoc
	_, err := s.tokens.Get(ctx, "v:"+hashHex(token), &td)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (td.Kind != "verify" || td.ExpiresAt <= ts(s.now()))) {
		return nil, problem.NotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("notifications: verify: %w", err)
	}
	now := s.now()
	sub, err := s.updateSubscriber(ctx, td.Subscriber, func(sub *Subscriber) error {
		if sub.CanReceive() {
			return errNothingToDo
		}
		sub.Verified, sub.VerifiedAt = true, &now
		sub.Unsubscribed, sub.UnsubscribedAt = false, nil
		sub.PendingUntil, sub.PurgeAt = time.Time{}, ""
		return nil
	})
	if errors.Is(err, errNothingToDo) {
		var cur Subscriber
		if _, err := s.subs.Get(ctx, td.Subscriber, &cur); err != nil {
			return nil, fmt.Errorf("notifications: verify: %w", err)
		}
		return &cur, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.release(ctx, sub.ID); err != nil {
		return sub, err
	}
	return sub, nil
}

// release queues the mail held for a subscriber that just verified.
func (s *Service) release(ctx context.Context, subID string) error {
	return s.eachMailOf(ctx, subID, []string{StateHeld}, func(x *Mail, now time.Time) {
		x.State, x.NextAt = StateQueued, ts(now)
	})
}

// eachMailOf changes every message of subscriber subID in one of states.
func (s *Service) eachMailOf(ctx context.Context, subID string, states []string, change func(x *Mail, now time.Time)) error {
	// One query per state: each is an equality on the (subscriber, state)
	// index, read in id order with no sort step.
	var ids []string
	for _, st := range states {
		var part []MailRef
		err := s.mail.Find(ctx, store.Query{Where: []store.Cond{
			store.Where("subscriber", store.Eq, subID),
			store.Where("state", store.Eq, st),
		}, Project: "ref"}, &part)
		if err != nil {
			return fmt.Errorf("notifications: mail of %s: %w", subID, err)
		}
		for _, r := range part {
			ids = append(ids, r.ID)
		}
	}
	changed := false
	for _, id := range ids {
		now := s.now()
		ok, err := s.update(ctx, id, func(x *Mail) bool {
			if !slices.Contains(states, x.State) {
				return false
			}
			change(x, now)
			return true
		})
		if err != nil {
			return err
		}
		changed = changed || ok
	}
	if changed {
		s.wake()
	}
	return nil
}

// Unsubscribe stops all mail to the address whose unsubscribe link carried
// token, cancelling what is queued or held for it, and returns the record.
// An unknown token is problem.NotFound. Routes: POST /unsubscribe/{token}
// (the List-Unsubscribe-Post one-click, RFC 8058, body
// "List-Unsubscribe=One-Click") unsubscribes at once; GET should show a
// confirmation button, since scanners follow links.
func (s *Service) Unsubscribe(ctx context.Context, token string) (*Subscriber, error) {
	if token == "" || len(token) > 128 {
		return nil, problem.NotFound()
	}
	var td tokenDoc
	_, err := s.tokens.Get(ctx, "u:"+hashHex(token), &td)
	if errors.Is(err, store.ErrNotFound) || (err == nil && td.Kind != "unsubscribe") {
		return nil, problem.NotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("notifications: unsubscribe: %w", err)
	}
	now := s.now()
	sub, err := s.updateSubscriber(ctx, td.Subscriber, func(sub *Subscriber) error {
		if !sub.Unsubscribed {
			sub.Unsubscribed, sub.UnsubscribedAt = true, &now
			// Kept a little while (a second click still finds it), then
			// forgotten: an unknown address gets nothing either.
			sub.PurgeAt = ts(now.Add(s.cfg.VerifyTTL))
		}
		sub.PendingUntil = time.Time{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.cancelFor(ctx, sub.ID); err != nil {
		return sub, err
	}
	return sub, nil
}

func (s *Service) cancelFor(ctx context.Context, subID string) error {
	return s.eachMailOf(ctx, subID, []string{StateHeld, StateQueued}, func(x *Mail, now time.Time) {
		x.State, x.NextAt, x.LastError = StateCancelled, ts(now), "unsubscribed"
		x.Text, x.HTML = "", ""
	})
}

// Follow records that email follows thread threadID (a published thread:
// Article 7.1.b) and reports whether mail can go to the address now. If it
// is not verified, a verification link is sent (subject to the same limits
// as RequestVerification); updates start after she confirms.
func (s *Service) Follow(ctx context.Context, email, lang, threadID string) (verified bool, err error) {
	addr, err := address(email)
	if err != nil {
		return false, err
	}
	if !threadIDRE.MatchString(threadID) {
		return false, problem.Invalid("thread", "error.not_found")
	}
	sub, err := s.ensureSubscriber(ctx, addr, lang)
	if err != nil {
		return false, err
	}
	err = s.follows.Insert(ctx, threadID+"/"+sub.ID, followDoc{Thread: threadID, Subscriber: sub.ID, CreatedAt: s.now()})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		return false, fmt.Errorf("notifications: follow: %w", err)
	}
	if sub.CanReceive() {
		return true, nil
	}
	return false, s.RequestVerification(ctx, addr, lang)
}

// Unfollow stops updates on one thread for email. Not following is fine.
func (s *Service) Unfollow(ctx context.Context, email, threadID string) error {
	id, err := SubscriberID(email)
	if err != nil {
		return problem.Invalid("email", "field.email")
	}
	if err := s.follows.Delete(ctx, threadID+"/"+id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("notifications: unfollow: %w", err)
	}
	return nil
}

// NotifyFollowers sends template tmpl to everyone following threadID whose
// address can receive mail, once per event and follower, and reports how
// many messages it queued.
func (s *Service) NotifyFollowers(ctx context.Context, eventID, threadID, tmpl string, data Data) (int, error) {
	if err := checkEventID(eventID); err != nil {
		return 0, err
	}
	const page = 500
	n := 0
	for skip := 0; ; skip += page {
		var fs []followDoc
		err := s.follows.Find(ctx, store.Query{Where: []store.Cond{store.Where("thread", store.Eq, threadID)}, Skip: skip, Limit: page}, &fs)
		if err != nil {
			return n, fmt.Errorf("notifications: followers of %s: %w", threadID, err)
		}
		for _, f := range fs {
			var sub Subscriber
			if _, err := s.subs.Get(ctx, f.Subscriber, &sub); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				return n, fmt.Errorf("notifications: follower: %w", err)
			}
			d := data
			d.Name = ""
			out, err := s.notifySubscriber(ctx, eventID, &sub, tmpl, d)
			if err != nil {
				return n, err
			}
			if out == Queued {
				n++
			}
		}
		if len(fs) < page {
			return n, nil
		}
	}
}

// Notify stores message tmpl for the citizen at email, rendered in her
// language, if she agreed to mail: queued when the address is verified,
// held while its verification is pending (sent when she confirms), skipped
// otherwise. eventID identifies the event (a thread outbox entry's id):
// the same event for the same address is stored once, so callers may retry
// freely. A bad address is a field error on "email"; an unknown template an
// error.
func (s *Service) Notify(ctx context.Context, eventID, email, tmpl string, data Data) (Outcome, error) {
	if err := checkEventID(eventID); err != nil {
		return "", err
	}
	addr, err := address(email)
	if err != nil {
		return "", err
	}
	var sub Subscriber
	_, err = s.subs.Get(ctx, hashHex(addr), &sub)
	if errors.Is(err, store.ErrNotFound) {
		return Skipped, nil
	}
	if err != nil {
		return "", fmt.Errorf("notifications: notify: %w", err)
	}
	return s.notifySubscriber(ctx, eventID, &sub, tmpl, data)
}

func (s *Service) notifySubscriber(ctx context.Context, eventID string, sub *Subscriber, tmpl string, data Data) (Outcome, error) {
	if !slices.Contains(CitizenTemplates, tmpl) || tmpl == TmplVerifyEmail {
		return "", fmt.Errorf("notifications: %q is not a citizen event template", tmpl)
	}
	now := s.now()
	state, nextAt := "", ""
	switch {
	case sub.Unsubscribed:
		return Skipped, nil
	case sub.Verified:
		state = StateQueued
	case now.Before(sub.PendingUntil):
		state, nextAt = StateHeld, ts(sub.PendingUntil)
	default:
		return Skipped, nil
	}
	out, err := s.enqueueFor(ctx, sub, eventID+"/"+sub.ID[:32], tmpl, view{Data: data}, state, nextAt)
	if err != nil || out == Duplicate {
		return out, err
	}
	// Verify or Unsubscribe may have run between our read and our insert and
	// missed this message: look again and settle it as they would have.
	var cur Subscriber
	if _, err := s.subs.Get(ctx, sub.ID, &cur); err != nil {
		return out, fmt.Errorf("notifications: notify: %w", err)
	}
	id := eventID + "/" + sub.ID[:32]
	switch {
	case cur.Unsubscribed:
		_, err = s.update(ctx, id, func(x *Mail) bool {
			if x.State != StateHeld && x.State != StateQueued {
				return false
			}
			x.State, x.NextAt, x.Text, x.HTML, x.LastError = StateCancelled, ts(s.now()), "", "", "unsubscribed"
			return true
		})
		return Skipped, err
	case out == Held && cur.Verified:
		_, err = s.update(ctx, id, func(x *Mail) bool {
			if x.State != StateHeld {
				return false
			}
			x.State, x.NextAt = StateQueued, ts(s.now())
			return true
		})
		s.wake()
		return Queued, err
	}
	return out, nil
}

// enqueueFor renders tmpl for a citizen and stores it with the unsubscribe
// link.
func (s *Service) enqueueFor(ctx context.Context, sub *Subscriber, id, tmpl string, v view, state, nextAt string) (Outcome, error) {
	v.BaseURL = s.cfg.BaseURL
	v.UnsubscribeURL = s.link("/unsubscribe/" + sub.UnsubToken)
	v.Date = s.now()
	r, err := render(tmpl, sub.Lang, v)
	if err != nil {
		return "", err
	}
	return s.enqueue(ctx, &Mail{
		ID: id, State: state, NextAt: nextAt, Subscriber: sub.ID, Template: tmpl, Lang: i18n.Lang(sub.Lang),
		To: sub.Email, ToName: HeaderText(v.Name, 100), Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		Unsubscribe: v.UnsubscribeURL,
	})
}

// purgeTokens deletes verification tokens past their purge time.
func (s *Service) purgeTokens(ctx context.Context, now time.Time) (int, error) {
	var docs []tokenDoc
	err := s.tokens.Find(ctx, store.Query{Where: []store.Cond{
		store.Where("purge_at", store.Gt, ""),
		store.Where("purge_at", store.Lte, ts(now)),
	}, Sort: []store.SortKey{{Field: "purge_at"}}, Limit: 500}, &docs)
	if err != nil {
		return 0, fmt.Errorf("notifications: purge tokens: %w", err)
	}
	n := 0
	for _, d := range docs {
		if err := s.tokens.Delete(ctx, d.ID); err == nil {
			n++
		}
	}
	return n, nil
}

// purgeSubscribers deletes the records of addresses that allow no mail and
// whose purge time has come, with their unsubscribe tokens.
func (s *Service) purgeSubscribers(ctx context.Context, now time.Time) (int, error) {
	var subs []Subscriber
	err := s.subs.Find(ctx, store.Query{Where: []store.Cond{
		store.Where("purge_at", store.Gt, ""),
		store.Where("purge_at", store.Lte, ts(now)),
	}, Sort: []store.SortKey{{Field: "purge_at"}}, Limit: 200}, &subs)
	if err != nil {
		return 0, fmt.Errorf("notifications: purge subscribers: %w", err)
	}
	n := 0
	for _, sub := range subs {
		if sub.CanReceive() || (!sub.Unsubscribed && now.Before(sub.PendingUntil)) {
			continue
		}
		if err := s.subs.Delete(ctx, sub.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return n, fmt.Errorf("notifications: purge subscriber: %w", err)
		}
		_ = s.tokens.Delete(ctx, "u:"+hashHex(sub.UnsubToken))
		n++
	}
	return n, nil
}
