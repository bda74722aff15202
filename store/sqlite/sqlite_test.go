package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"tuongtac/store"
	"tuongtac/store/sqlite"
	"tuongtac/store/storetest"
)

func open(t *testing.T) store.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestContract(t *testing.T) { storetest.Run(t, open) }

func TestExplainUsesIndex(t *testing.T) {
	ctx := context.Background()
	db := open(t).(*sqlite.DB)
	err := db.Migrate(ctx, []store.Migration{{ID: "1", Steps: []store.Step{
		store.CreateCollection("t"),
		store.DeclareField("t", "a"),
		store.DeclareField("t", "b"),
		store.CreateIndex("t", "a_b", false, "a", "-b"),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := db.Explain(ctx, "t", store.Query{
		Where: []store.Cond{store.Where("a", store.Eq, "x")},
		Sort:  []store.SortKey{{Field: "b", Desc: true}},
		Limit: 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "USING INDEX i_t_a_b") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("plan does not use the index cleanly:\n%s", plan)
	}
	plan, err = db.Explain(ctx, "t", store.Query{Where: []store.Cond{store.Where("b", store.Eq, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "SCAN") {
		t.Errorf("unindexed query should scan, plan:\n%s", plan)
	}
}
