package main

import (
	"strings"
	"testing"

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
