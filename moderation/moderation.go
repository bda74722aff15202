// Package moderation is the agencies' side of a thread's life: per-agency
// queues, the workflow state machine (claim, answer, approve or return, reject,
// transfer, release, archive), authorisation against the agency tree, and the
// audit trail every transition writes.
package moderation

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"tuongtac/agencies"
	"tuongtac/problem"
	"tuongtac/store"
	"tuongtac/threads"
	"tuongtac/vntext"
)

// Service runs the workflow.
type Service struct {
	Threads  *threads.Store
	Tree     *agencies.Tree
	Calendar *agencies.Calendar
	// Now is the clock; tests may set it.
	Now func() time.Time
	// OnChange, if set, hears of every transition after it is stored (live
	// consoles). It must not block.
	OnChange func(ctx context.Context, t *threads.Thread, action string)
}

// New builds a Service.
func New(ts *threads.Store, tree *agencies.Tree, cal *agencies.Calendar) *Service {
	return &Service{Threads: ts, Tree: tree, Calendar: cal, Now: store.Now}
}

// Actor is the signed-in officer doing something.
type Actor struct {
	ID    string
	Name  string
	Roles []agencies.Role
}

// Can reports whether the actor holds at least role need over agency, through
// a role on the agency itself or on one of its ancestors.
func (a *Actor) Can(tree *agencies.Tree, agency, need string) bool {
	return agencies.Allowed(tree, a.Roles, agency, need)
}

// Scopes returns the agencies whose queues the actor sees, without any that
// lie inside another one of them.
func (a *Actor) Scopes(tree *agencies.Tree) []string { return agencies.Scopes(tree, a.Roles) }

// QueueFilter selects a queue.
type QueueFilter struct {
	Agency string // "" means all the actor's agencies
	State  string // "" means every open state
	Limit  int    // 0 means DefaultQueue; at most MaxQueue
}

// QueueItem is one row of an officer's queue.
type QueueItem struct {
	ID           string    `json:"id"`
	Agency       string    `json:"agency"`
	State        string    `json:"state"`
	Kind         string    `json:"kind"`
	Title        string    `json:"title"`
	DueAt        time.Time `json:"due_at"`
	Assignee     string    `json:"assignee"`
	AssigneeName string    `json:"assignee_name,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	Overdue      bool      `json:"overdue"`
}

// Queue sizes: what one request returns by default and at most.
const (
	DefaultQueue = 50
	MaxQueue     = 200
)

// Queue lists the threads waiting in the actor's agencies, the soonest due
// first (so overdue ones lead).
func (s *Service) Queue(ctx context.Context, a *Actor, f QueueFilter) ([]QueueItem, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultQueue
	}
	f.Limit = min(f.Limit, MaxQueue)
	if f.State != "" && !slices.Contains(threads.States, f.State) {
		return nil, problem.Invalid("state", "field.state.oneof")
	}
	scopes := a.Scopes(s.Tree)
	if f.Agency != "" {
		if _, ok := s.Tree.Get(f.Agency); !ok {
			return nil, problem.Invalid("agency", "field.agency.unknown")
		}
		if !a.Can(s.Tree, f.Agency, agencies.RoleOfficer) {
			return nil, problem.Forbidden()
		}
		scopes = []string{f.Agency}
	}
	if len(scopes) == 0 {
		return nil, problem.Forbidden()
	}
	now := s.Now()
	items := []QueueItem{}
	for _, ag := range scopes {
		cards, err := s.Threads.Cards(ctx, s.QueueQuery(ag, f.State, f.Limit))
		if err != nil {
			return nil, err
		}
		for _, c := range cards {
			items = append(items, QueueItem{
				ID: c.ID, Agency: c.Agency, State: c.State, Kind: c.Kind, Title: c.Title,
				DueAt: c.DueAt, Assignee: c.Assignee, AssigneeName: c.AssigneeName,
				CreatedAt: c.CreatedAt, Overdue: threads.IsOpen(c.State) && now.After(c.DueAt),
			})
		}
	}
	if len(scopes) > 1 {
		sort.SliceStable(items, func(i, j int) bool { return items[i].DueAt.Before(items[j].DueAt) })
		if len(items) > f.Limit {
			items = items[:f.Limit]
		}
	}
	return items, nil
}

// QueueQuery is the store query behind a queue: one agency's subtree, every
// open state or one state, soonest due first.
func (s *Service) QueueQuery(agency, state string, limit int) store.Query {
	q := store.Query{
		Where: []store.Cond{store.Where(s.Tree.ScopeField(agency), store.Eq, agency)},
		Sort:  []store.SortKey{{Field: "due_at"}},
		Limit: limit,
	}
	if state == "" {
		q.Where = append(q.Where, store.Where("open", store.Eq, true))
	} else {
		q.Where = append(q.Where, store.Where("state", store.Eq, state))
	}
	return q
}

// Counts returns how many threads of the agency's subtree are in each open
// state, for the console's header.
func (s *Service) Counts(ctx context.Context, a *Actor, agency string) (map[string]int64, error) {
	if !a.Can(s.Tree, agency, agencies.RoleOfficer) {
		return nil, problem.Forbidden()
	}
	out := map[string]int64{}
	for _, st := range []string{threads.StateQueued, threads.StateAssigned, threads.StatePendingApproval, threads.StateHeld} {
		n, err := s.Threads.Count(ctx, store.Query{Where: []store.Cond{
			store.Where(s.Tree.ScopeField(agency), store.Eq, agency),
			store.Where("state", store.Eq, st),
		}})
		if err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, nil
}

// Get returns the full thread, personal data included, for an officer of its
// agency or an ancestor.
func (s *Service) Get(ctx context.Context, a *Actor, id string) (*threads.Thread, error) {
	t, _, err := s.Threads.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Can(s.Tree, t.Agency, agencies.RoleOfficer) {
		return nil, problem.Forbidden()
	}
	return t, nil
}

// transition applies one workflow step to thread id under optimistic
// concurrency: check sees the current document and returns a problem to refuse;
// apply changes it. The audit entry is added here, so no step can skip it.
func (s *Service) transition(ctx context.Context, a *Actor, id, action, need string, check func(t *threads.Thread) error, apply func(t *threads.Thread, e *threads.AuditEntry)) (*threads.Thread, error) {
	t, err := s.Threads.Update(ctx, id, func(t *threads.Thread) error {
		if !a.Can(s.Tree, t.Agency, need) {
			return problem.Forbidden()
		}
		if err := check(t); err != nil {
			return err
		}
		now := s.Now()
		e := threads.AuditEntry{At: now, Actor: a.ID, ActorName: a.Name, Action: action, From: t.State}
		apply(t, &e)
		e.To = t.State
		t.AppendAudit(e)
		threads.Reindex(t, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Count and notify now (cheap); the outbox worker, woken, indexes in
	// batches and retries whatever fails here.
	_ = s.Threads.DrainExceptIndex(ctx, t.ID)
	if s.OnChange != nil {
		s.OnChange(ctx, t, action)
	}
	return t, nil
}

func inState(t *threads.Thread, states ...string) error {
	if slices.Contains(states, t.State) {
		return nil
	}
	return problem.Conflict("conflict.state", problem.Msg("state."+t.State))
}

// Claim gives the thread to the actor. Exactly one of two officers claiming at
// once wins; the other gets a conflict.
func (s *Service) Claim(ctx context.Context, a *Actor, id string) (*threads.Thread, error) {
	return s.transition(ctx, a, id, "claim", agencies.RoleOfficer,
		func(t *threads.Thread) error {
			if t.State == threads.StateAssigned && t.Assignee != a.ID {
				return problem.Conflict("conflict.claimed")
			}
			return inState(t, threads.StateQueued)
		},
		func(t *threads.Thread, e *threads.AuditEntry) {
			t.State = threads.StateAssigned
			t.Assignee, t.AssigneeName = a.ID, a.Name
		})
}

// Release gives a claimed thread back to the queue; the holder or an editor
// may do it.
func (s *Service) Release(ctx context.Context, a *Actor, id string) (*threads.Thread, error) {
	return s.transition(ctx, a, id, "release", agencies.RoleOfficer,
		func(t *threads.Thread) error {
			if err := inState(t, threads.StateAssigned); err != nil {
				return err
			}
			if t.Assignee != a.ID && !a.Can(s.Tree, t.Agency, agencies.RoleEditor) {
				return problem.Conflict("conflict.not_holder")
			}
			return nil
		},
		func(t *threads.Thread, e *threads.AuditEntry) {
			t.State = threads.StateQueued
			t.Assignee, t.AssigneeName = "", ""
		})
}

func cleanText(field, key string, s string, max int) (string, error) {
	s = vntext.Clean(s)
	if s == "" {
		return "", problem.Invalid(field, key)
	}
	if vntext.Len(s) > max {
		return "", problem.Invalid(field, "field.max", max)
	}
	return s, nil
}

// Answer stores the holder's answer and sends it for approval.
func (s *Service) Answer(ctx context.Context, a *Actor, id, body string) (*threads.Thread, error) {
	body, err := cleanText("body", "field.answer.required", body, threads.AnswerMax)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, a, id, "answer", agencies.RoleOfficer,
		func(t *threads.Thread) error {
			if err := inState(t, threads.StateAssigned); err != nil {
				return err
			}
			if t.Assignee != a.ID {
				return problem.Conflict("conflict.not_holder")
			}
			return nil
		},
		func(t *threads.Thread, e *threads.AuditEntry) {
			t.State = threads.StatePendingApproval
			t.Draft = &threads.Answer{Body: body, Author: a.ID, AuthorName: a.Name, At: s.Now()}
			t.ReturnNote = ""
		})
}

// ApproveInput is an editor's approval: publish, or answer the asker only.
type ApproveInput struct {
	Private bool
	// Body, if set, is the editor's final wording of the answer.
	Body string
}

// Approve publishes the pending answer (personal data masked in the public
// view) or, with Private, sends it to the asker only.
func (s *Service) Approve(ctx context.Context, a *Actor, id string, in ApproveInput) (*threads.Thread, error) {
	var body string
	if vntext.Clean(in.Body) != "" {
		var err error
		if body, err = cleanText("body", "field.answer.required", in.Body, threads.AnswerMax); err != nil {
			return nil, err
		}
	}
	return s.transition(ctx, a, id, "approve", agencies.RoleEditor,
		func(t *threads.Thread) error {
			if err := inState(t, threads.StatePendingApproval); err != nil {
				return err
			}
			if t.Draft == nil {
				return problem.Conflict("conflict.state", problem.Msg("state."+t.State))
			}
			if ag, _ := s.Tree.Get(t.Agency); ag.RequireSecondApprover && t.Draft.Author == a.ID {
				return problem.Conflict("conflict.second_person")
			}
			return nil
		},
		func(t *threads.Thread, e *threads.AuditEntry) {
			now := s.Now()
			ans := *t.Draft
			if body != "" {
				ans.Body = body
			}
			ans.ApprovedBy = a.ID
			t.Answer = &ans
			t.Draft = nil
			t.Assignee, t.AssigneeName = "", ""
			if in.Private {
				t.State = threads.StateAnsweredPrivate
				t.Public = nil
				threads.Notify(t, "answered_private", now)
				return
			}
			t.State = threads.StatePublished
			t.PublishedAt = threads.FormatPublishedAt(now)
			threads.MakePublic(t, now)
			threads.Count(t, +1, now)
			threads.Notify(t, "published", now)
		})
}

// Return sends the pending answer back to its author for revision.
func (s *Service) Return(ctx context.Context, a *Actor, id, note string) (*threads.Thread, error) {
	note, err := cleanText("note", "field.reason.required", note, threads.ReasonMax)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, a, id, "return", agencies.RoleEditor,
		func(t *threads.Thread) error { return inState(t, threads.StatePendingApproval) },
		func(t *threads.Thread, e *threads.AuditEntry) {
			t.State = threads.StateAssigned
			if t.Draft != nil {
				t.Assignee, t.AssigneeName = t.Draft.Author, t.Draft.AuthorName
			}
			t.ReturnNote = note
			e.Reason = note
		})
}

// Reject closes an open thread without an answer; the reason is shown to the
// asker.
func (s *Service) Reject(ctx context.Context, a *Actor, id, reason string) (*threads.Thread, error) {
	reason, err := cleanText("reason", "field.reason.required", reason, threads.ReasonMax)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, a, id, "reject", agencies.RoleEditor,
		func(t *threads.Thread) error {
			return inState(t, threads.StateQueued, threads.StateAssigned, threads.StatePendingApproval, threads.StateHeld)
		},
		func(t *threads.Thread, e *threads.AuditEntry) {
			t.State = threads.StateRejected
			t.Assignee, t.AssigneeName = "", ""
			t.Reason = reason
			e.Reason = reason
			threads.Notify(t, "rejected", s.Now())
		})
}

// Transfer sends the thread to another agency's queue. The new agency's
// working days start again from now; the asker is told why.
func (s *Service) Transfer(ctx context.Context, a *Actor, id, agency, reason string) (*threads.Thread, error) {
	var f problem.Fields
	agency = strings.TrimSpace(agency)
	target, ok := s.Tree.Get(agency)
	switch {
	case agency == "":
		f.Add("agency", "field.agency.required")
	case !ok:
		f.Add("agency", "field.agency.unknown")
	}
	reason = vntext.Clean(reason)
	switch {
	case reason == "":
		f.Add("reason", "field.reason.required")
	case vntext.Len(reason) > threads.ReasonMax:
		f.Add("reason", "field.max", threads.ReasonMax)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return s.transition(ctx, a, id, "transfer", agencies.RoleOfficer,
		func(t *threads.Thread) error {
			if err := inState(t, threads.StateQueued, threads.StateAssigned, threads.StateHeld); err != nil {
				return err
			}
			if t.State == threads.StateAssigned && t.Assignee != a.ID && !a.Can(s.Tree, t.Agency, agencies.RoleEditor) {
				return problem.Conflict("conflict.claimed")
			}
			if t.Agency == agency {
				return problem.Conflict("conflict.same_agency")
			}
			return nil
		},
		func(t *threads.Thread, e *threads.AuditEntry) {
			now := s.Now()
			e.FromAgency, e.ToAgency, e.Reason = t.Agency, agency, reason
			p := s.Tree.Path(agency)
			t.Agency = agency
			t.A1, t.A2, t.A3, t.A4 = p[0], p[1], p[2], p[3]
			t.State = threads.StateQueued
			t.Assignee, t.AssigneeName = "", ""
			// The new agency starts afresh: no draft or note of the old one.
			t.Draft, t.ReturnNote = nil, ""
			t.Outbox = append(t.Outbox, threads.OutboxEntry{ID: threads.NewID(now), Kind: "notify", Event: "transferred", At: now, FromAgency: e.FromAgency})
			t.DueAt = s.Calendar.AddWorkingDays(now, target.SLAWorkingDays)
		})
}

// Archive withdraws a closed thread from public view and keeps it (Article 23).
func (s *Service) Archive(ctx context.Context, a *Actor, id, reason string) (*threads.Thread, error) {
	reason, err := cleanText("reason", "field.reason.required", reason, threads.ReasonMax)
	if err != nil {
		return nil, err
	}
	return s.transition(ctx, a, id, "archive", agencies.RoleEditor,
		func(t *threads.Thread) error {
			return inState(t, threads.StatePublished, threads.StateAnsweredPrivate, threads.StateRejected)
		},
		func(t *threads.Thread, e *threads.AuditEntry) {
			if t.State == threads.StatePublished {
				threads.Count(t, -1, s.Now())
			}
			t.State = threads.StateArchived
			e.Reason = reason
			threads.Notify(t, "archived", s.Now())
		})
}
