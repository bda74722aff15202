package main

import (
	"strings"
	"testing"
	"time"

	"tuongtac/consultation"
	"tuongtac/store"
	"tuongtac/store/sqlite"
	"tuongtac/threads"
)

// TestHotQueriesUseIndexes checks with EXPLAIN QUERY PLAN that every list,
// queue and lookup on a request path is served by an index: no table scan and
// no sort step, so no page slows as the store grows.
func TestHotQueriesUseIndexes(t *testing.T) {
	ta := newTestApp(t)
	db := ta.db.(*sqlite.DB)
	tree := ta.app.tree
	var agencies []string
	for _, id := range []string{tree.Root().ID, "sotnmt", "longxuyen", "myhoa.longxuyen"} {
		agencies = append(agencies, id)
	}
	type hot struct {
		name string
		coll string
		q    store.Query
	}
	var hots []hot
	for _, ag := range agencies {
		for _, kind := range []string{"", "question"} {
			q := ta.app.threads.PublicQuery(threads.ListFilter{Agency: ag, Kind: kind, Page: 3, PerPage: 20})
			hots = append(hots, hot{"public list " + ag + " " + kind, "threads", q})
		}
		for _, state := range []string{"", "pending_approval"} {
			hots = append(hots, hot{"queue " + ag + " " + state, "threads", ta.app.mod.QueueQuery(ag, state, 200)})
		}
	}
	hots = append(hots,
		hot{"tracking code", "threads", store.Query{Where: []store.Cond{store.Where("tracking", store.Eq, "x")}, Limit: 1}},
		hot{"user by email", "users", store.Query{Where: []store.Cond{store.Where("email", store.Eq, "x")}, Limit: 1}},
		hot{"outbox work", "threads", store.Query{Where: []store.Cond{store.Where("pending", store.Eq, true)}, Sort: []store.SortKey{{Field: "updated_at"}}, Limit: 50}},
	)
	// Consultations: public lists by state, officers' comment queues, a
	// consultation's comments (all, one part's, awaiting a response), the
	// count worker.
	cons, comments := ta.app.consult, "consultation_comments"
	for _, ag := range agencies {
		for _, st := range append([]string{""}, consultation.States...) {
			hots = append(hots, hot{"consultations " + ag + " " + st, "consultations", cons.ListQuery(consultation.ListFilter{Agency: ag, State: st, Page: 2, PerPage: 20}, time.Now())})
		}
		for _, st := range consultation.CommentStates {
			hots = append(hots, hot{"comment queue " + ag + " " + st, comments, cons.QueueQuery(ag, st, false, consultation.DefaultQueue)})
		}
		hots = append(hots, hot{"unanswered comments " + ag, comments, cons.QueueQuery(ag, consultation.CommentApproved, true, consultation.DefaultQueue)})
	}
	approved := []store.Cond{store.Where("consultation", store.Eq, "x"), store.Where("state", store.Eq, consultation.CommentApproved)}
	byTime := []store.SortKey{{Field: "created_at"}}
	hots = append(hots,
		hot{"a consultation's pending comments", comments, consultation.ConsultationQueueQuery("x", consultation.CommentPending, false, consultation.DefaultQueue)},
		hot{"a consultation's unanswered comments", comments, consultation.ConsultationQueueQuery("x", consultation.CommentApproved, true, consultation.DefaultQueue)},
		hot{"approved comments", comments, store.Query{Where: approved, Sort: byTime, Skip: 40, Limit: 20}},
		hot{"one part's comments", comments, store.Query{Where: append(approved, store.Where("anchor", store.Eq, "chuong-ii/dieu-7")), Sort: byTime, Limit: 5000}},
		hot{"comment count work", comments, store.Query{Where: []store.Cond{store.Where("pending", store.Eq, true)}, Sort: []store.SortKey{{Field: "updated_at"}}, Limit: 100}},
	)
	for _, h := range hots {
		plan, err := db.Explain(t.Context(), h.coll, h.q)
		if err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
		if strings.Contains(plan, "SCAN") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s scans or sorts:\n%s", h.name, plan)
		}
	}
}
