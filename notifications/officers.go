package notifications

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"tuongtac/i18n"
	"tuongtac/store"
)

// Recipient is an officer or editor to notify. Officers are staff accounts:
// their mail needs no opt-in, and they choose per account between
// immediate messages and a daily digest.
type Recipient struct {
	// ID is the user id (letters, digits, '_' and '-', as agencies makes
	// them); with the event id it keys the message, so each user hears of
	// an event once.
	ID    string
	Email string
	Name  string
	Lang  string
	// Digest collects this user's notices into one message a day
	// (Service.Digest) instead of sending each at once.
	Digest bool
}

type digestDoc struct {
	ID    string `json:"id"`
	State string `json:"state"` // pending, batched, done
	User  string `json:"user"`
	At    string `json:"at"`
	Batch string `json:"batch,omitempty"`
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	Lang  string `json:"lang"`
	Item  Item   `json:"item"`
}

// Digest item states.
const (
	digestPending = "pending"
	digestBatched = "batched"
	digestDone    = "done"
)

// NotifyOfficers tells users about event eventID with template tmpl (one of
// OfficerTemplates but the digest): a message each for those who want them
// at once, a digest line for the others. Each user hears of an event once,
// however often it is called. A bad recipient (no id, a bad address) does
// not stop the others: every one is tried, and the error lists those that
// failed.
func (s *Service) NotifyOfficers(ctx context.Context, eventID string, users []Recipient, tmpl string, data Data) error {
	if err := checkEventID(eventID); err != nil {
		return err
	}
	if !slices.Contains(OfficerTemplates, tmpl) || tmpl == TmplOfficerDigest {
		return fmt.Errorf("notifications: %q is not an officer event template", tmpl)
	}
	var errs []error
	for _, u := range users {
		if err := s.notifyOfficer(ctx, eventID, u, tmpl, data); err != nil {
			errs = append(errs, fmt.Errorf("notifications: officer %q: %w", truncate(u.ID, 64), err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) notifyOfficer(ctx context.Context, eventID string, u Recipient, tmpl string, data Data) error {
	if u.ID == "" || len(u.ID) > 100 || !threadIDRE.MatchString(u.ID) {
		return fmt.Errorf("%w: bad user id", ErrInvalidMessage)
	}
	addr, err := NormalizeAddress(u.Email)
	if err != nil {
		return err
	}
	id := eventID + "/u:" + u.ID
	now := s.now()
	if u.Digest {
		d := digestDoc{
			ID: id, State: digestPending, User: u.ID, At: ts(now), Email: addr, Name: HeaderText(u.Name, 100), Lang: i18n.Lang(u.Lang),
			Item: Item{Template: tmpl, Title: HeaderText(data.Title, 300), Agency: HeaderText(data.Agency, 200), URL: data.ConsoleURL, DueAt: data.DueAt, At: now},
		}
		err := s.digest.Insert(ctx, id, &d)
		if err != nil && !errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("digest item: %w", err)
		}
		return nil
	}
	data.Name = u.Name
	v := view{Data: data, BaseURL: s.cfg.BaseURL, Officer: true, Date: now}
	r, err := render(tmpl, u.Lang, v)
	if err != nil {
		return err
	}
	_, err = s.enqueue(ctx, &Mail{
		ID: id, State: StateQueued, User: u.ID, Template: tmpl, Lang: i18n.Lang(u.Lang),
		To: addr, ToName: HeaderText(u.Name, 100), Subject: r.Subject, Text: r.Text, HTML: r.HTML,
	})
	return err
}

// Digest sends every user with pending digest lines one officer_digest
// message listing them, and reports how many messages it queued. Lines are
// first marked with a batch id (one conditional write each), the message is
// keyed by that batch, then the lines are marked done: a crash anywhere is
// finished by the next call without losing a line or sending a batch twice,
// and two instances running it at once split the lines between them.
// Worker.DigestAt runs it daily; it may also be called directly.
func (s *Service) Digest(ctx context.Context, now time.Time) (int, error) {
	n := 0
	// Batches a previous run left half done.
	for {
		var left []digestDoc
		err := s.digest.Find(ctx, store.Query{Where: []store.Cond{store.Where("state", store.Eq, digestBatched)},
			Sort: []store.SortKey{{Field: "user"}, {Field: "at"}}, Limit: 1000}, &left)
		if err != nil {
			return n, fmt.Errorf("notifications: digest: %w", err)
		}
		if len(left) == 0 {
			break
		}
		batches := map[string][]digestDoc{}
		var order []string
		for _, d := range left {
			if _, ok := batches[d.Batch]; !ok {
				order = append(order, d.Batch)
			}
			batches[d.Batch] = append(batches[d.Batch], d)
		}
		for _, b := range order {
			out, err := s.sendBatch(ctx, b, batches[b], now)
			if err != nil {
				return n, err
			}
			if out == Queued {
				n++
			}
		}
	}
	const page = 500
	for {
		var items []digestDoc
		// Lines are never dated in the future, so state alone selects them,
		// read in (user, at) order straight from the index.
		err := s.digest.Find(ctx, store.Query{Where: []store.Cond{
			store.Where("state", store.Eq, digestPending),
		}, Sort: []store.SortKey{{Field: "user"}, {Field: "at"}}, Limit: page}, &items)
		if err != nil {
			return n, fmt.Errorf("notifications: digest: %w", err)
		}
		if len(items) == 0 {
			return n, nil
		}
		groups := groupByUser(items)
		// A full page may cut the last user's lines in two: leave them for
		// the next page unless they fill the page on their own.
		if len(items) == page && len(groups) > 1 {
			groups = groups[:len(groups)-1]
		}
		for _, g := range groups {
			batch := "digest/" + g[0].User + "/" + strconv.FormatInt(now.UnixMilli(), 36) + randomToken(4)
			var mine []digestDoc
			for _, d := range g {
				ok, err := s.markDigest(ctx, d.ID, digestPending, func(x *digestDoc) { x.State, x.Batch = digestBatched, batch })
				if err != nil {
					return n, err
				}
				if ok {
					d.State, d.Batch = digestBatched, batch
					mine = append(mine, d)
				}
			}
			if len(mine) == 0 {
				continue
			}
			out, err := s.sendBatch(ctx, batch, mine, now)
			if err != nil {
				return n, err
			}
			if out == Queued {
				n++
			}
		}
	}
}

func groupByUser(items []digestDoc) [][]digestDoc {
	var out [][]digestDoc
	for i, d := range items {
		if i == 0 || d.User != items[i-1].User {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], d)
	}
	return out
}

// sendBatch queues one digest message for the lines of batch, keyed by the
// batch id, then marks the lines done.
func (s *Service) sendBatch(ctx context.Context, batch string, lines []digestDoc, now time.Time) (Outcome, error) {
	sort.Slice(lines, func(i, j int) bool { return lines[i].At < lines[j].At })
	last := lines[len(lines)-1] // the newest address and name win
	items := make([]Item, len(lines))
	for i, d := range lines {
		items[i] = d.Item
	}
	v := view{Data: Data{Name: last.Name, Items: items}, BaseURL: s.cfg.BaseURL, Officer: true, Date: now}
	r, err := render(TmplOfficerDigest, last.Lang, v)
	if err != nil {
		return "", err
	}
	out, err := s.enqueue(ctx, &Mail{
		ID: batch, State: StateQueued, User: last.User, Template: TmplOfficerDigest, Lang: last.Lang,
		To: last.Email, ToName: last.Name, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
	})
	if err != nil {
		return "", err
	}
	for _, d := range lines {
		if _, err := s.markDigest(ctx, d.ID, digestBatched, func(x *digestDoc) { x.State = digestDone }); err != nil {
			return out, err
		}
	}
	return out, nil
}

// markDigest changes digest line id if it is still in state from.
func (s *Service) markDigest(ctx context.Context, id, from string, change func(x *digestDoc)) (bool, error) {
	for range 5 {
		var d digestDoc
		v, err := s.digest.Get(ctx, id, &d)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("notifications: digest %s: %w", id, err)
		}
		if d.State != from {
			return false, nil
		}
		change(&d)
		err = s.digest.Replace(ctx, id, v, &d)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("notifications: digest %s: %w", id, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("notifications: digest %s: too much contention", id)
}

// purgeDigest deletes digest lines done before cut. They are kept until then
// because their ids make NotifyOfficers idempotent for digest users.
func (s *Service) purgeDigest(ctx context.Context, cut time.Time) (int, error) {
	var docs []digestDoc
	err := s.digest.Find(ctx, store.Query{Where: []store.Cond{
		store.Where("state", store.Eq, digestDone),
		store.Where("at", store.Lt, ts(cut)),
	}, Sort: []store.SortKey{{Field: "at"}}, Limit: 500}, &docs)
	if err != nil {
		return 0, fmt.Errorf("notifications: purge digest: %w", err)
	}
	n := 0
	for _, d := range docs {
		if err := s.digest.Delete(ctx, d.ID); err == nil {
			n++
		}
	}
	return n, nil
}

// Deadlines: who hears when an answer is due or late.

// Deadline is an open thread with its due date, as the caller's queue query
// returns it (open = true, due_at up to the end of the next working day).
type Deadline struct {
	ThreadID string
	Title    string
	// Agency is the id of the agency holding the thread; AgencyName its
	// name as officers read it.
	Agency     string
	AgencyName string
	ConsoleURL string
	// Assignee is the id of the officer holding the thread, "" if nobody.
	Assignee string
	DueAt    time.Time
}

// People answers who works where. The caller implements it over the agency
// tree and the accounts; Recipient.Digest carries each user's preference.
type People interface {
	// Officers are the users who work agency's queue.
	Officers(ctx context.Context, agency string) ([]Recipient, error)
	// Editors are agency's editorial board (Ban Biên tập).
	Editors(ctx context.Context, agency string) ([]Recipient, error)
	// User is one user by id; ok is false if there is no such (active) user.
	User(ctx context.Context, id string) (r Recipient, ok bool, err error)
	// Parent is the agency above agency, "" for the root.
	Parent(agency string) string
}

// WorkingDays counts working days; *agencies.Calendar implements it.
type WorkingDays interface {
	WorkingDaysBetween(from, to time.Time) int
}

// Escalation decides who is told about a deadline:
//   - one working day left (the due date is the next working day): the
//     assignee, or the agency's officers if nobody holds the thread;
//   - overdue: the agency's editors and the assignee (level 1);
//   - ParentAfter working days overdue: the parent agency's editors (level 2).
//
// Each notice is sent once per thread and due date (a transfer sets a new
// due date, so the new agency is reminded afresh).
type Escalation struct {
	People   People
	Calendar WorkingDays
	// ParentAfter is how many working days overdue bring in the parent
	// agency's editors (2).
	ParentAfter int
}

// Notice is one decision of Escalation.Plan: tell To about a deadline.
type Notice struct {
	EventID  string
	Template string
	To       []Recipient
	Data     Data
}

// Plan returns the notices due for d at now (none, one or two).
func (e Escalation) Plan(ctx context.Context, d Deadline, now time.Time) ([]Notice, error) {
	if d.DueAt.IsZero() || d.ThreadID == "" {
		return nil, nil
	}
	after := e.ParentAfter
	if after <= 0 {
		after = 2
	}
	key := d.ThreadID + "/" + strconv.FormatInt(d.DueAt.Unix(), 10)
	data := Data{Title: d.Title, Agency: d.AgencyName, ConsoleURL: d.ConsoleURL, DueAt: d.DueAt}
	var out []Notice
	if !now.After(d.DueAt) {
		if e.Calendar.WorkingDaysBetween(now, d.DueAt) != 1 {
			return nil, nil
		}
		to, err := e.assignee(ctx, d)
		if err != nil {
			return nil, err
		}
		if len(to) == 0 {
			if to, err = e.People.Officers(ctx, d.Agency); err != nil {
				return nil, fmt.Errorf("notifications: officers of %s: %w", d.Agency, err)
			}
		}
		return []Notice{{EventID: "due1/" + key, Template: TmplOfficerDueTomorrow, To: to, Data: data}}, nil
	}
	over := e.Calendar.WorkingDaysBetween(d.DueAt, now)
	data.OverdueDays = over
	eds, err := e.People.Editors(ctx, d.Agency)
	if err != nil {
		return nil, fmt.Errorf("notifications: editors of %s: %w", d.Agency, err)
	}
	as, err := e.assignee(ctx, d)
	if err != nil {
		return nil, err
	}
	d1 := data
	d1.Level = 1
	out = append(out, Notice{EventID: "overdue1/" + key, Template: TmplOfficerOverdue, To: union(as, eds), Data: d1})
	if p := e.People.Parent(d.Agency); over >= after && p != "" {
		peds, err := e.People.Editors(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("notifications: editors of %s: %w", p, err)
		}
		d2 := data
		d2.Level = 2
		out = append(out, Notice{EventID: "overdue2/" + key, Template: TmplOfficerOverdue, To: peds, Data: d2})
	}
	return out, nil
}

func (e Escalation) assignee(ctx context.Context, d Deadline) ([]Recipient, error) {
	if d.Assignee == "" {
		return nil, nil
	}
	r, ok, err := e.People.User(ctx, d.Assignee)
	if err != nil {
		return nil, fmt.Errorf("notifications: user %s: %w", d.Assignee, err)
	}
	if !ok {
		return nil, nil
	}
	return []Recipient{r}, nil
}

func union(a, b []Recipient) []Recipient {
	out := append([]Recipient{}, a...)
	for _, r := range b {
		if !slices.ContainsFunc(out, func(x Recipient) bool { return x.ID == r.ID }) {
			out = append(out, r)
		}
	}
	return out
}

// Remind plans and sends the deadline notices for ds at now; calling it
// again (hourly, after a restart) sends nothing twice. It reports how many
// notices it handed to NotifyOfficers and the errors of those that failed.
func (s *Service) Remind(ctx context.Context, e Escalation, ds []Deadline, now time.Time) (int, error) {
	var errs []error
	n := 0
	for _, d := range ds {
		ns, err := e.Plan(ctx, d, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, no := range ns {
			if len(no.To) == 0 {
				continue
			}
			if err := s.NotifyOfficers(ctx, no.EventID, no.To, no.Template, no.Data); err != nil {
				errs = append(errs, err)
			}
			n++
		}
	}
	return n, errors.Join(errs...)
}
