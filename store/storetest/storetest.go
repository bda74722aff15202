// Package storetest is the contract suite every store backend passes: the same
// calls, the same answers, on SQLite files and on a MongoDB-protocol server.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"tuongtac/store"
)

type item struct {
	Title  string            `json:"title"`
	Agency string            `json:"agency"`
	Rank   int64             `json:"rank"`
	Open   bool              `json:"open"`
	Email  string            `json:"email"`
	Tags   []string          `json:"tags"`
	Meta   map[string]string `json:"meta,omitempty"`
	Nested struct {
		N int `json:"n"`
	} `json:"nested"`
}

var migrations = []store.Migration{
	{ID: "0001-items", Steps: []store.Step{
		store.CreateCollection("items"),
		store.DeclareField("items", "agency"),
		store.DeclareField("items", "rank"),
		store.DeclareField("items", "open"),
		store.DeclareField("items", "email"),
		store.CreateIndex("items", "agency_rank", false, "agency", "-rank"),
		store.CreateIndex("items", "open_rank", false, "open", "rank"),
	}},
	{ID: "0002-unique-email", Steps: []store.Step{
		store.CreateCollection("users"),
		store.DeclareField("users", "email"),
		store.CreateIndex("users", "email", true, "email"),
	}},
}

// Run runs the contract suite. open must return a fresh, empty, unmigrated DB on
// every call.
func Run(t *testing.T, open func(t *testing.T) store.DB) {
	t.Helper()
	ctx := context.Background()
	setup := func(t *testing.T) store.DB {
		t.Helper()
		db := open(t)
		if err := db.Migrate(ctx, migrations); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		return db
	}

	t.Run("MigrateIsIdempotent", func(t *testing.T) {
		db := setup(t)
		if err := db.Migrate(ctx, migrations); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		more := append(append([]store.Migration{}, migrations...), store.Migration{ID: "0003-more", Steps: []store.Step{
			store.DeclareField("items", "title"),
			store.CreateIndex("items", "title", false, "title"),
		}})
		if err := db.Migrate(ctx, more); err != nil {
			t.Fatalf("migrate with a new step: %v", err)
		}
		if err := db.Ping(ctx); err != nil {
			t.Fatalf("ping: %v", err)
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		db := setup(t)
		c := db.Collection("items")
		in := item{
			Title:  "Ho\u0309i ve\u0302\u0300 — 𡨸 喃 👨‍👩‍👧 🇻🇳 <script>&amp;\"'\\ \u202e",
			Agency: "myhoa.longxuyen",
			Rank:   1 << 52,
			Open:   true,
			Tags:   []string{},
			Meta:   map[string]string{"$gt": "", "a.b": "c"},
		}
		in.Nested.N = 7
		if err := c.Insert(ctx, "x1", in); err != nil {
			t.Fatalf("insert: %v", err)
		}
		var out item
		v, err := c.Get(ctx, "x1", &out)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if v != 1 {
			t.Errorf("version = %d, want 1", v)
		}
		if !reflect.DeepEqual(in, out) {
			t.Errorf("round trip:\n got %#v\nwant %#v", out, in)
		}
		if out.Tags == nil {
			t.Errorf("empty array came back as nil")
		}
		if _, err := c.Get(ctx, "nope", &out); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get missing: %v, want ErrNotFound", err)
		}
	})

	t.Run("InsertDuplicate", func(t *testing.T) {
		db := setup(t)
		c := db.Collection("items")
		if err := c.Insert(ctx, "a", item{Agency: "x"}); err != nil {
			t.Fatal(err)
		}
		if err := c.Insert(ctx, "a", item{Agency: "y"}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("second insert: %v, want ErrDuplicate", err)
		}
		var out item
		if _, err := c.Get(ctx, "a", &out); err != nil || out.Agency != "x" {
			t.Fatalf("after duplicate: %v %+v", err, out)
		}
	})

	t.Run("UniqueIndex", func(t *testing.T) {
		db := setup(t)
		u := db.Collection("users")
		if err := u.Insert(ctx, "u1", item{Email: "a@x.vn"}); err != nil {
			t.Fatal(err)
		}
		if err := u.Insert(ctx, "u2", item{Email: "a@x.vn"}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("insert same email: %v, want ErrDuplicate", err)
		}
		if err := u.Insert(ctx, "u2", item{Email: "b@x.vn"}); err != nil {
			t.Fatal(err)
		}
		if err := u.Replace(ctx, "u2", 1, item{Email: "a@x.vn"}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("replace to same email: %v, want ErrDuplicate", err)
		}
	})

	t.Run("ReplaceVersions", func(t *testing.T) {
		db := setup(t)
		c := db.Collection("items")
		if err := c.Insert(ctx, "r", item{Title: "one"}); err != nil {
			t.Fatal(err)
		}
		if err := c.Replace(ctx, "r", 1, item{Title: "two"}); err != nil {
			t.Fatalf("replace v1: %v", err)
		}
		if err := c.Replace(ctx, "r", 1, item{Title: "stale"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale replace: %v, want ErrConflict", err)
		}
		if err := c.Replace(ctx, "missing", 1, item{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("replace missing: %v, want ErrNotFound", err)
		}
		var out item
		v, err := c.Get(ctx, "r", &out)
		if err != nil || v != 2 || out.Title != "two" {
			t.Fatalf("after replaces: v=%d %+v %v", v, out, err)
		}
	})

	t.Run("ConcurrentReplaceOneWins", func(t *testing.T) {
		db := setup(t)
		c := db.Collection("items")
		if err := c.Insert(ctx, "c", item{Title: "free"}); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wins, conflicts atomic.Int32
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := c.Replace(ctx, "c", 1, item{Title: fmt.Sprint("taken by ", i)})
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, store.ErrConflict):
					conflicts.Add(1)
				default:
					t.Errorf("replace: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || conflicts.Load() != n-1 {
			t.Fatalf("wins=%d conflicts=%d, want 1 and %d", wins.Load(), conflicts.Load(), n-1)
		}
	})

	t.Run("FindAndCount", func(t *testing.T) {
		db := setup(t)
		c := db.Collection("items")
		for i := range 10 {
			agency := "a"
			if i%2 == 1 {
				agency = "b"
			}
			rank := int64(i / 3) // ties on rank: 0,0,0,1,1,1,2,2,2,3
			if err := c.Insert(ctx, fmt.Sprintf("id%02d", i), item{Agency: agency, Rank: rank, Open: i < 4, Title: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name  string
			q     store.Query
			want  []string // titles
			count int64
		}{
			{"eq sorted desc with id tie-break", store.Query{Where: []store.Cond{store.Where("agency", store.Eq, "a")}, Sort: []store.SortKey{{Field: "rank", Desc: true}}},
				[]string{"8", "6", "4", "2", "0"}, 5},
			{"in ascending", store.Query{Where: []store.Cond{store.Where("agency", store.In, []string{"b", "z"})}, Sort: []store.SortKey{{Field: "rank"}}},
				[]string{"1", "3", "5", "7", "9"}, 5},
			{"bool and range", store.Query{Where: []store.Cond{store.Where("open", store.Eq, true), store.Where("rank", store.Gte, 1)}},
				[]string{"3"}, 1},
			{"ne", store.Query{Where: []store.Cond{store.Where("agency", store.Ne, "a"), store.Where("rank", store.Lt, 1)}},
				[]string{"1"}, 1},
			{"skip and limit", store.Query{Sort: []store.SortKey{{Field: "rank"}}, Skip: 2, Limit: 3},
				[]string{"2", "3", "4"}, 10},
			{"skip only", store.Query{Sort: []store.SortKey{{Field: "rank"}}, Skip: 8},
				[]string{"8", "9"}, 10},
			{"nothing", store.Query{Where: []store.Cond{store.Where("agency", store.Eq, "none")}}, []string{}, 0},
			{"empty in", store.Query{Where: []store.Cond{store.Where("agency", store.In, []string{})}}, []string{}, 0},
			{"page past the end", store.Query{Skip: 100, Limit: 5}, []string{}, 10},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []item
				if err := c.Find(ctx, tt.q, &got); err != nil {
					t.Fatalf("find: %v", err)
				}
				if got == nil {
					t.Fatalf("find returned a nil slice")
				}
				titles := make([]string, len(got))
				for i, g := range got {
					titles[i] = g.Title
				}
				if !reflect.DeepEqual(titles, tt.want) {
					t.Errorf("find = %v, want %v", titles, tt.want)
				}
				n, err := c.Count(ctx, tt.q)
				if err != nil {
					t.Fatalf("count: %v", err)
				}
				if n != tt.count {
					t.Errorf("count = %d, want %d", n, tt.count)
				}
			})
		}
	})

	t.Run("Project", func(t *testing.T) {
		db := setup(t)
		c := db.Collection("items")
		a := item{Agency: "p", Rank: 1}
		a.Nested.N = 41
		if err := c.Insert(ctx, "p1", a); err != nil {
			t.Fatal(err)
		}
		if err := c.Insert(ctx, "p2", map[string]any{"agency": "p", "rank": 2}); err != nil {
			t.Fatal(err)
		}
		var got []*struct {
			N int `json:"n"`
		}
		q := store.Query{Where: []store.Cond{store.Where("agency", store.Eq, "p")}, Sort: []store.SortKey{{Field: "rank"}}, Project: "nested"}
		if err := c.Find(ctx, q, &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] == nil || got[0].N != 41 || got[1] != nil {
			t.Fatalf("projection: %+v", got)
		}
		var titles []string
		if err := c.Find(ctx, store.Query{Where: []store.Cond{store.Where("agency", store.Eq, "p")}, Sort: []store.SortKey{{Field: "rank"}}, Project: "agency"}, &titles); err != nil {
			t.Fatalf("projecting a string field: %v", err)
		}
		if len(titles) != 2 || titles[0] != "p" {
			t.Fatalf("projected strings: %q", titles)
		}
		q.Project = "bad name"
		if err := c.Find(ctx, q, &got); err == nil {
			t.Fatal("a bad projection name was accepted")
		}
	})

	t.Run("OperatorShapedValuesAreRefused", func(t *testing.T) {
		db := setup(t)
		c := db.Collection("items")
		if err := c.Insert(ctx, "o", item{Agency: "a"}); err != nil {
			t.Fatal(err)
		}
		bad := []any{map[string]any{"$gt": ""}, struct{ X int }{1}, []string{"a"}}
		for _, v := range bad {
			var got []item
			err := c.Find(ctx, store.Query{Where: []store.Cond{store.Where("agency", store.Eq, v)}}, &got)
			if err == nil && len(got) > 0 {
				t.Errorf("value %#v matched %d documents", v, len(got))
			}
		}
		var got []item
		if err := c.Find(ctx, store.Query{Where: []store.Cond{store.Where("agency; DROP", store.Eq, "a")}}, &got); err == nil {
			t.Errorf("a bad field name was accepted")
		}
	})

	t.Run("InsertMany", func(t *testing.T) {
		db := setup(t)
		c := db.Collection("items")
		var docs []store.IDDoc
		for i := range 50 {
			docs = append(docs, store.IDDoc{ID: fmt.Sprintf("m%02d", i), Doc: item{Agency: "bulk", Rank: int64(i)}})
		}
		if err := c.InsertMany(ctx, docs); err != nil {
			t.Fatal(err)
		}
		n, err := c.Count(ctx, store.Query{Where: []store.Cond{store.Where("agency", store.Eq, "bulk")}})
		if err != nil || n != 50 {
			t.Fatalf("count after insert many: %d %v", n, err)
		}
		var got item
		if v, err := c.Get(ctx, "m07", &got); err != nil || v != 1 || got.Rank != 7 {
			t.Fatalf("get m07: v=%d %+v %v", v, got, err)
		}
		err = c.InsertMany(ctx, []store.IDDoc{{ID: "new", Doc: item{}}, {ID: "m01", Doc: item{}}})
		if !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("insert many with a taken id: %v, want ErrDuplicate", err)
		}
		if err := c.InsertMany(ctx, nil); err != nil {
			t.Fatalf("insert nothing: %v", err)
		}
	})

	t.Run("Scan", func(t *testing.T) {
		db := setup(t)
		c := db.Collection("items")
		for _, id := range []string{"c", "a", "e", "b", "d"} {
			if err := c.Insert(ctx, id, item{Title: id}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Replace(ctx, "b", 1, item{Title: "b2"}); err != nil {
			t.Fatal(err)
		}
		var ids []string
		after := ""
		for {
			page, err := c.Scan(ctx, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, d := range page {
				var it item
				if err := json.Unmarshal(d.JSON, &it); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, fmt.Sprintf("%s:%d:%s", d.ID, d.Version, it.Title))
				after = d.ID
			}
		}
		want := []string{"a:1:a", "b:2:b2", "c:1:c", "d:1:d", "e:1:e"}
		if !reflect.DeepEqual(ids, want) {
			t.Fatalf("scan = %v, want %v", ids, want)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		db := setup(t)
		c := db.Collection("items")
		if err := c.Insert(ctx, "d", item{}); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, "d"); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, "d"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v, want ErrNotFound", err)
		}
		if err := c.Insert(ctx, "d", item{}); err != nil {
			t.Fatalf("insert after delete: %v", err)
		}
	})
}
