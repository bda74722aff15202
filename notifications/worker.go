package notifications

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"

	"tuongtac/i18n"
	"tuongtac/store"
)

// Worker sends queued messages. Any number of workers, in one process or on
// many instances, may run on one store: a message is claimed by one
// conditional write, so two workers never both send it.
type Worker struct {
	Service *Service
	Mailer  Mailer
	Log     *slog.Logger
	// Instance names this worker in claims and logs (host name and process
	// id by default).
	Instance string
	// Concurrency is how many messages are in flight at once (4).
	Concurrency int
	// Batch is how many due messages one round looks at (100).
	Batch int
	// Interval is how often the store is polled when nothing wakes the
	// worker (5 s); enqueueing in this process wakes it at once.
	Interval time.Duration
	// ReapEvery is how often expired claims and held mail are looked at and
	// old mail purged (30 s).
	ReapEvery time.Duration
	// RelayBackoffMin and RelayBackoffMax bound the pause after the relay
	// could not be reached (1 s doubling up to 1 minute).
	RelayBackoffMin time.Duration
	RelayBackoffMax time.Duration
	// DigestAt, "HH:MM" in Asia/Ho_Chi_Minh, runs Service.Digest once a day
	// across all instances; "" leaves digests to the caller.
	DigestAt string

	once      sync.Once
	mu        sync.Mutex
	pause     time.Duration
	pauseTill time.Time
	lastReap  time.Time
	digestDay string
}

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Log == nil {
			w.Log = slog.New(slog.DiscardHandler)
		}
		if w.Instance == "" {
			h, _ := os.Hostname()
			w.Instance = h + ":" + strconv.Itoa(os.Getpid()) + ":" + randomToken(3)
		}
		if w.Concurrency <= 0 {
			w.Concurrency = 4
		}
		if w.Batch <= 0 {
			w.Batch = 100
		}
		if w.Interval <= 0 {
			w.Interval = 5 * time.Second
		}
		if w.ReapEvery <= 0 {
			w.ReapEvery = 30 * time.Second
		}
		if w.RelayBackoffMin <= 0 {
			w.RelayBackoffMin = time.Second
		}
		if w.RelayBackoffMax <= 0 {
			w.RelayBackoffMax = time.Minute
		}
	})
}

// paused reports whether the relay is resting after an outage.
func (w *Worker) paused() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Now().Before(w.pauseTill)
}

func (w *Worker) relayDown() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if time.Now().Before(w.pauseTill) {
		return // another message of the same round already counted
	}
	w.pause = min(max(w.pause*2, w.RelayBackoffMin), w.RelayBackoffMax)
	w.pauseTill = time.Now().Add(w.pause)
}

func (w *Worker) relayUp() {
	w.mu.Lock()
	w.pause = 0
	w.mu.Unlock()
}

// RunOnce sends the messages due now, up to Batch of them, Concurrency at a
// time, and reports how many the relay accepted. It reaps expired claims
// first when ReapEvery has passed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.init()
	s := w.Service
	w.mu.Lock()
	reap := time.Since(w.lastReap) >= w.ReapEvery
	if reap {
		w.lastReap = time.Now()
	}
	w.mu.Unlock()
	if reap {
		if _, err := w.Reap(ctx); err != nil {
			w.Log.Warn("mail reap", slog.String("error", err.Error()))
		}
	}
	if w.paused() {
		return 0, nil
	}
	ids, err := s.findIDs(ctx, []store.Cond{
		store.Where("state", store.Eq, StateQueued),
		store.Where("next_at", store.Lte, ts(s.now())),
	}, w.Batch)
	if err != nil {
		return 0, err
	}
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, w.Concurrency)
		mu   sync.Mutex
		sent int
	)
	for _, id := range ids {
		if ctx.Err() != nil || w.paused() {
			break
		}
		sem <- struct{}{}
		m, v, ok, err := w.claim(ctx, id)
		if err != nil || !ok {
			<-sem
			if err != nil {
				w.Log.Warn("mail claim", slog.String("mail", id), slog.String("error", err.Error()))
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if w.process(ctx, m, v) {
				mu.Lock()
				sent++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return sent, ctx.Err()
}

// claim takes message id for this worker if it is still queued and due:
// one conditional write, so of two workers racing exactly one wins.
func (w *Worker) claim(ctx context.Context, id string) (*Mail, int64, bool, error) {
	s := w.Service
	var m Mail
	v, err := s.mail.Get(ctx, id, &m)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("notifications: claim %s: %w", id, err)
	}
	now := s.now()
	if m.State != StateQueued || m.NextAt > ts(now) {
		return nil, 0, false, nil
	}
	m.State, m.Owner, m.Claim = StateSending, w.Instance, randomToken(8)
	m.NextAt, m.UpdatedAt = ts(now.Add(s.cfg.Lease)), now
	err = s.mail.Replace(ctx, id, v, &m)
	if errors.Is(err, store.ErrConflict) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("notifications: claim %s: %w", id, err)
	}
	return &m, v + 1, true, nil
}

// process sends one claimed message and records the outcome. v is the
// document's version after the claim.
func (w *Worker) process(ctx context.Context, m *Mail, v int64) bool {
	s := w.Service
	var commitErr error
	msg := &Message{
		ID: m.MessageID, From: s.cfg.From, To: m.To, ToName: m.ToName, Subject: m.Subject,
		Text: m.Text, HTML: m.HTML, Lang: m.Lang, Date: m.CreatedAt, Unsubscribe: m.Unsubscribe,
	}
	msg.Commit = func(ctx context.Context) error {
		c := *m
		now := s.now()
		c.State, c.NextAt, c.UpdatedAt = StateCommitting, ts(now.Add(s.cfg.Lease)), now
		if err := s.mail.Replace(ctx, m.ID, v, &c); err != nil {
			commitErr = err
			return fmt.Errorf("notifications: commit %s: %w", m.ID, err)
		}
		v++
		*m = c
		return nil
	}
	// A shutdown must not cut a transaction in half: the send and the
	// bookkeeping after it finish on their own (the mailer's timeouts
	// bound them).
	bg := context.WithoutCancel(ctx)
	start := time.Now()
	err := w.Mailer.Send(bg, msg)
	log := w.Log.With(slog.String("mail", m.ID), slog.String("template", m.Template))
	switch {
	case err == nil:
		w.relayUp()
		if werr := w.record(bg, m, v, true, func(x *Mail, now time.Time) {
			x.State, x.LastError = StateSent, ""
			x.SentAt = &now
			x.Text, x.HTML = "", ""
		}); werr != nil {
			// The relay has it; the record will show "uncertain" after the
			// lease and an admin can mark it sent. Never re-sent by itself.
			log.Error("mail sent but not recorded", slog.String("error", werr.Error()))
		}
		log.Debug("mail sent", slog.Duration("took", time.Since(start)))
		return true
	case commitErr != nil:
		// Another worker took the message over (our lease ran out): it is
		// theirs now, and the mailer aborted before the end of DATA.
		log.Warn("mail claim lost before sending", slog.String("error", commitErr.Error()))
		return false
	case errors.Is(err, ErrMaybeSent):
		log.Error("mail may have been sent; held for an admin", slog.String("error", err.Error()))
		w.recordLog(bg, m, v, func(x *Mail, now time.Time) {
			x.State, x.NextAt, x.LastError = StateUncertain, ts(now), HeaderText(err.Error(), 500)
		})
		return false
	case errors.Is(err, ErrRelayUnavailable):
		w.relayDown()
		log.Warn("mail relay unavailable", slog.String("error", err.Error()))
		w.recordLog(bg, m, v, func(x *Mail, now time.Time) {
			x.State, x.NextAt, x.LastError = StateQueued, ts(now), HeaderText(err.Error(), 500)
		})
		return false
	default:
		w.relayUp()
		log.Warn("mail refused", slog.String("error", err.Error()))
		w.recordLog(bg, m, v, func(x *Mail, now time.Time) {
			x.Tries++
			x.LastError = HeaderText(err.Error(), 500)
			if x.Tries >= s.cfg.MaxTries || errors.Is(err, ErrInvalidMessage) {
				x.State, x.NextAt = StateDead, ts(now)
				return
			}
			x.State, x.NextAt = StateQueued, ts(now.Add(s.backoff(x.Tries)))
		})
		return false
	}
}

// record writes the outcome of an attempt: straight onto the version the
// claim left (the common case, one write), or, if the document moved (the
// lease ran out and the reaper marked it uncertain), onto the current one
// provided this claim still holds it. sent allows writing over "uncertain",
// since the relay's 250 settles the doubt.
func (w *Worker) record(ctx context.Context, m *Mail, v int64, sent bool, change func(x *Mail, now time.Time)) error {
	s := w.Service
	claim := m.Claim
	now := s.now()
	apply := func(x *Mail) {
		change(x, now)
		if x.State != StateQueued || x.NextAt == "" || x.NextAt < ts(now) {
			x.NextAt = ts(now)
		}
		x.Owner, x.Claim, x.UpdatedAt = "", "", now
	}
	c := *m
	apply(&c)
	err := s.mail.Replace(ctx, m.ID, v, &c)
	if !errors.Is(err, store.ErrConflict) {
		if err != nil {
			return fmt.Errorf("notifications: record %s: %w", m.ID, err)
		}
		return nil
	}
	_, err = s.update(ctx, m.ID, func(x *Mail) bool {
		held := x.State == StateSending || x.State == StateCommitting || (sent && x.State == StateUncertain)
		if x.Claim != claim || !held {
			return false
		}
		apply(x)
		return true
	})
	return err
}

func (w *Worker) recordLog(ctx context.Context, m *Mail, v int64, change func(x *Mail, now time.Time)) {
	if err := w.record(ctx, m, v, false, change); err != nil {
		w.Log.Warn("mail record", slog.String("mail", m.ID), slog.String("error", err.Error()))
	}
}

// backoff is the wait before attempt tries+1: RetryBase doubling, capped at
// RetryMax, with ±10% jitter so that a burst of failures spreads out.
func (s *Service) backoff(tries int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < tries && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.RetryMax)
	j := time.Duration(float64(d) * (rand.Float64()*0.2 - 0.1))
	return d + j
}

// Reap settles what stopped workers left behind and purges old records:
//   - sending past its lease: the worker died before the end of the message
//     went out, so nothing was accepted; queued again (one try counted, so a
//     message that crashes the process ends as a dead letter);
//   - committing past its lease: the worker died while the relay may have
//     been accepting it; marked uncertain and never re-sent by itself;
//   - held past the verification link's expiry: cancelled;
//   - sent and cancelled mail and digest items older than Retention,
//     expired verification tokens, and the records of addresses that never
//     verified or unsubscribed a while ago: deleted.
//
// It reports how many documents it changed.
func (w *Worker) Reap(ctx context.Context) (int, error) {
	w.init()
	s := w.Service
	now := s.now()
	n := 0
	type rule struct {
		state  string
		change func(x *Mail)
	}
	rules := []rule{
		{StateSending, func(x *Mail) {
			x.Tries++
			x.LastError = "the worker holding it stopped before sending it"
			x.State = StateQueued
			if x.Tries >= s.cfg.MaxTries {
				x.State = StateDead
			}
		}},
		{StateCommitting, func(x *Mail) {
			x.State = StateUncertain
			x.LastError = "the worker holding it stopped while the relay may have been accepting it; not re-sent automatically"
		}},
		{StateHeld, func(x *Mail) {
			x.State = StateCancelled
			x.LastError = "the address was not verified in time"
			x.Text, x.HTML = "", ""
		}},
	}
	for _, r := range rules {
		ids, err := s.findIDs(ctx, []store.Cond{store.Where("state", store.Eq, r.state), store.Where("next_at", store.Lte, ts(now))}, 200)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			ok, err := s.update(ctx, id, func(x *Mail) bool {
				if x.State != r.state || x.NextAt > ts(now) {
					return false
				}
				r.change(x)
				x.NextAt, x.Owner, x.Claim = ts(now), "", ""
				return true
			})
			if err != nil {
				return n, err
			}
			if ok {
				n++
				w.Log.Warn("mail reaped", slog.String("mail", id), slog.String("from", r.state))
			}
		}
	}
	cut := ts(now.Add(-s.cfg.Retention))
	for _, st := range []string{StateSent, StateCancelled} {
		ids, err := s.findIDs(ctx, []store.Cond{store.Where("state", store.Eq, st), store.Where("next_at", store.Lt, cut)}, 500)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			if err := s.mail.Delete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return n, fmt.Errorf("notifications: purge %s: %w", id, err)
			}
			n++
		}
	}
	m, err := s.purgeTokens(ctx, now)
	n += m
	if err != nil {
		return n, err
	}
	m, err = s.purgeSubscribers(ctx, now)
	n += m
	if err != nil {
		return n, err
	}
	m, err = s.purgeDigest(ctx, now.Add(-s.cfg.Retention))
	return n + m, err
}

// Run sends until ctx ends: at once when this process enqueues something,
// else every Interval. Messages claimed when ctx ends are finished first.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	tick := time.NewTicker(w.Interval)
	defer tick.Stop()
	for {
		n, err := w.RunOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.Log.Warn("mail worker", slog.String("error", err.Error()))
		}
		w.maybeDigest(ctx)
		if n > 0 {
			continue // more may be due
		}
		var pauseC <-chan time.Time
		w.mu.Lock()
		if d := time.Until(w.pauseTill); d > 0 {
			pauseC = time.After(d)
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-w.Service.kick:
		case <-tick.C:
		case <-pauseC:
		}
	}
}

// maybeDigest runs the daily digest once DigestAt has passed today, on one
// instance only (the first to record the day in the marks collection).
func (w *Worker) maybeDigest(ctx context.Context) {
	if w.DigestAt == "" {
		return
	}
	at, err := time.Parse("15:04", w.DigestAt)
	if err != nil {
		w.Log.Error("mail digest: bad DigestAt", slog.String("value", w.DigestAt))
		return
	}
	s := w.Service
	now := s.now().In(i18n.Zone)
	due := time.Date(now.Year(), now.Month(), now.Day(), at.Hour(), at.Minute(), 0, 0, i18n.Zone)
	if now.Before(due) {
		return
	}
	day := now.Format("2006-01-02")
	if w.digestDay == day {
		return
	}
	err = s.marks.Insert(ctx, "digest/"+day, map[string]string{"by": w.Instance, "at": ts(s.now())})
	if errors.Is(err, store.ErrDuplicate) {
		w.digestDay = day // another instance has it
		return
	}
	if err != nil {
		w.Log.Warn("mail digest", slog.String("error", err.Error()))
		return
	}
	w.digestDay = day
	n, err := s.Digest(ctx, s.now())
	if err != nil {
		w.Log.Warn("mail digest", slog.String("error", err.Error()))
	}
	w.Log.Info("mail digest", slog.Int("messages", n))
}
