package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"tuongtac/store"
	"tuongtac/store/storetest"
)

// ferretURI is the embedded FerretDB server that TestMain starts.
var ferretURI string

// TestMain runs an embedded FerretDB (SQLite handler, in a temporary
// directory) on a random local port for the whole test binary.
func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "tuongtac-ferretdb-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	ferretURI = f.MongoDBURI()
	return m.Run()
}

var dbSeq atomic.Int64

// dbPrefix keeps database names unique across test binaries sharing one
// MongoDB server.
var dbPrefix = func() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "tt_" + hex.EncodeToString(b)
}()

// opener returns a store.DB factory for the server at uri: each call opens a
// fresh database with a unique name, dropped when the test ends.
func opener(uri string) func(t *testing.T) store.DB {
	return func(t *testing.T) store.DB {
		t.Helper()
		return openDB(t, uri)
	}
}

func openDB(t *testing.T, uri string) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("%s_%d", dbPrefix, dbSeq.Add(1))
	db, err := Open(ctx, uri, name)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// The suite may have closed db already; drop with a client of our own.
		admin, err := Open(ctx, uri, name)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		if err := admin.db.Drop(ctx); err != nil {
			t.Errorf("cleanup: drop %s: %v", name, err)
		}
		_ = admin.Close()
		_ = db.Close()
	})
	return db
}

// backends runs fn against the embedded FerretDB and, if MONGODB_TEST_URI is
// set, against that server too.
func backends(t *testing.T, fn func(t *testing.T, uri string)) {
	t.Run("ferretdb", func(t *testing.T) { fn(t, ferretURI) })
	if uri := os.Getenv("MONGODB_TEST_URI"); uri != "" {
		t.Run("mongodb", func(t *testing.T) { fn(t, uri) })
	}
}

// TestContract runs the store contract suite.
func TestContract(t *testing.T) {
	backends(t, func(t *testing.T, uri string) {
		storetest.Run(t, opener(uri))
	})
}

var testMigrations = []store.Migration{
	{ID: "0001_items", Steps: []store.Step{
		store.CreateCollection("items"),
		store.DeclareField("items", "n"),
		store.DeclareField("items", "tag"),
		store.DeclareField("items", "email"),
		store.CreateIndex("items", "by_tag_n", false, "tag", "-n"),
		store.CreateIndex("items", "by_email", true, "email"),
	}},
}

func migrated(t *testing.T, uri string) (*DB, store.Collection) {
	t.Helper()
	db := openDB(t, uri)
	if err := db.Migrate(context.Background(), testMigrations); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db, db.Collection("items")
}

type inner struct {
	S  string         `json:"s"`
	L  []int64        `json:"l"`
	M  map[string]any `json:"m,omitempty"`
	Ok bool           `json:"ok"`
}

type tricky struct {
	Text     string   `json:"text"`
	Big      int64    `json:"big"`
	Neg      int64    `json:"neg"`
	Max      int64    `json:"max"`
	Min      int64    `json:"min"`
	Small    int      `json:"small"`
	F        float64  `json:"f"`
	Tiny     float64  `json:"tiny"`
	Huge     float64  `json:"huge"`
	Whole    float64  `json:"whole"`
	T        bool     `json:"t"`
	F2       bool     `json:"f2"`
	Empty    []string `json:"empty"`
	Nil      []string `json:"nil"`
	Omitted  []string `json:"omitted,omitempty"`
	Nested   inner    `json:"nested"`
	List     []inner  `json:"list"`
	Ptr      *inner   `json:"ptr"`
	Time     string   `json:"time"`
	Unicode2 string   `json:"ключ_🙂"`
}

var trickyStrings = []string{
	"",
	"plain",
	"😀👍🏽👨‍👩‍👧‍👦",        // 4-byte UTF-8, skin tone, ZWJ sequence
	"e\u0301 vs \u00e9", // combining mark vs precomposed
	"Tiếng Việt có dấu: ả ạ ằ ẵ",
	"𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \U0010FFFF",
	"quotes \" and \\ backslash / slash",
	"<script>&amp;</script>",
	"nul \x00 and ctl \x01\x1f\t\n\r",
	"line sep \u2028 para sep \u2029",
	"$gt",
	"{\"$gt\": \"\"}",
	"a.b.c",
}

func TestRoundTrip(t *testing.T) {
	backends(t, func(t *testing.T, uri string) {
		ctx := context.Background()
		db, items := migrated(t, uri)
		for i, s := range trickyStrings {
			in := tricky{
				Text: s, Big: 1<<53 + 1, Neg: -(1 << 53) - 1, Max: math.MaxInt64, Min: math.MinInt64,
				Small: 7, F: 0.1, Tiny: 1e-300, Huge: 1.7976931348623157e308, Whole: 3,
				T: true, Empty: []string{}, Nil: nil,
				Nested:   inner{S: s, L: []int64{1, -1, 1 << 62}, M: map[string]any{"k": s, "a": []any{}, "o": map[string]any{}}, Ok: true},
				List:     []inner{{S: s, L: []int64{}}, {}},
				Time:     store.Now().Format(time.RFC3339),
				Unicode2: s,
			}
			id := fmt.Sprintf("id-%d-%s", i, s)
			if err := items.Insert(ctx, id, in); err != nil {
				t.Fatalf("insert %q: %v", s, err)
			}
			var out tricky
			v, err := items.Get(ctx, id, &out)
			if err != nil {
				t.Fatalf("get %q: %v", s, err)
			}
			if v != 1 {
				t.Errorf("version = %d, want 1", v)
			}
			if !reflect.DeepEqual(in, out) {
				t.Errorf("round trip of %q:\n in %#v\nout %#v", s, in, out)
			}
			if out.Empty == nil || out.Nil != nil || out.Omitted != nil {
				t.Errorf("empty/nil arrays: empty=%#v nil=%#v omitted=%#v", out.Empty, out.Nil, out.Omitted)
			}
			var found []tricky
			if err := items.Find(ctx, store.Query{Where: []store.Cond{store.Where("text", store.Eq, s)}}, &found); err != nil {
				t.Fatalf("find %q: %v", s, err)
			}
			if len(found) != 1 || !reflect.DeepEqual(found[0], in) {
				t.Errorf("find by text %q: got %d docs %#v", s, len(found), found)
			}
		}

		// The document is stored natively: typed BSON fields, _id, _v.
		raw, err := db.db.Collection("items").FindOne(ctx, bson.D{{Key: "_id", Value: "id-1-plain"}}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]bsontype.Type{
			"_id": bsontype.String, "_v": bsontype.Int64, "text": bsontype.String,
			"big": bsontype.Int64, "f": bsontype.Double, "t": bsontype.Boolean,
			"nested": bsontype.EmbeddedDocument, "empty": bsontype.Array, "nil": bsontype.Null,
		} {
			if got := raw.Lookup(key).Type; got != want {
				t.Errorf("stored %s has BSON type %s, want %s", key, got, want)
			}
		}
		if _, err := raw.LookupErr("omitted"); err == nil {
			t.Errorf("omitted field is stored")
		}

		// A map target sees exactly the document's keys, without _id/_v.
		var m map[string]any
		if _, err := items.Get(ctx, "id-1-plain", &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m["_id"]; ok {
			t.Errorf("_id leaked into the document: %v", m)
		}
		if _, ok := m["_v"]; ok {
			t.Errorf("_v leaked into the document: %v", m)
		}
	})
}

// TestKeys stores keys that MongoDB reserves, that Extended JSON would read as
// type wrappers, or that the store uses itself: all come back unchanged.
func TestKeys(t *testing.T) {
	backends(t, func(t *testing.T, uri string) {
		ctx := context.Background()
		db, items := migrated(t, uri)
		in := map[string]any{
			"_id": "mine", "_v": 9.5, "%5Fid": "x", "%": "%", "%25": "%2E",
			"$gt": "", "a.b": "c", "": "empty key", "nul\x00key": "v", "x$": "$",
			"nested": map[string]any{
				"$numberLong": "5",
				"$oid":        "507f1f77bcf86cd799439011",
				"$date":       map[string]any{"$numberLong": "0"},
				"_id":         "nested id",
				"..":          []any{map[string]any{"$regex": ".*", "$options": "i"}},
				"$":           nil,
			},
			"tag": "k",
		}
		if err := items.Insert(ctx, "k", in); err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		v, err := items.Get(ctx, "k", &out)
		if err != nil || v != 1 {
			t.Fatalf("get: v=%d %v", v, err)
		}
		if !reflect.DeepEqual(in, out) {
			t.Errorf("round trip:\n in %#v\nout %#v", in, out)
		}
		if err := items.Replace(ctx, "k", 1, in); err != nil {
			t.Fatal(err)
		}
		var found []map[string]any
		if err := items.Find(ctx, store.Query{Where: []store.Cond{store.Where("tag", store.Eq, "k")}}, &found); err != nil {
			t.Fatal(err)
		}
		if len(found) != 1 || !reflect.DeepEqual(found[0], in) {
			t.Errorf("find: %#v", found)
		}
		// The store's own _id and _v are intact.
		raw, err := db.db.Collection("items").FindOne(ctx, bson.D{{Key: "_id", Value: "k"}}).Raw()
		if err != nil {
			t.Fatal(err)
		}
		if id, _ := raw.Lookup("_id").StringValueOK(); id != "k" {
			t.Errorf("_id = %v", raw.Lookup("_id"))
		}
		if v, _ := raw.Lookup("_v").Int64OK(); v != 2 {
			t.Errorf("_v = %v", raw.Lookup("_v"))
		}
		// Reserved keys are stored escaped.
		for _, k := range []string{"%5Fid", "%5Fv", "%24gt", "a%2Eb", "%25", "x$"} {
			if _, err := raw.LookupErr(k); err != nil {
				t.Errorf("stored key %q: %v", k, err)
			}
		}
	})
}

func TestVersionsAndErrors(t *testing.T) {
	backends(t, func(t *testing.T, uri string) {
		ctx := context.Background()
		_, items := migrated(t, uri)
		type doc struct {
			Tag string `json:"tag"`
			N   int64  `json:"n"`
		}
		if err := items.Insert(ctx, "a", doc{Tag: "x", N: 1}); err != nil {
			t.Fatal(err)
		}
		if err := items.Insert(ctx, "a", doc{Tag: "y"}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("second insert: %v, want ErrDuplicate", err)
		}
		if err := items.Replace(ctx, "a", 1, doc{Tag: "x", N: 2}); err != nil {
			t.Fatalf("replace v1: %v", err)
		}
		var d doc
		v, err := items.Get(ctx, "a", &d)
		if err != nil || v != 2 || d.N != 2 {
			t.Fatalf("get after replace: v=%d doc=%+v err=%v", v, d, err)
		}
		err = items.Replace(ctx, "a", 1, doc{Tag: "stale"})
		if !errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			t.Fatalf("stale replace: %v, want ErrConflict", err)
		}
		if err := items.Replace(ctx, "missing", 1, doc{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("replace missing: %v, want ErrNotFound", err)
		}
		if _, err := items.Get(ctx, "missing", &d); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get missing: %v, want ErrNotFound", err)
		}
		if err := items.Delete(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if err := items.Delete(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v, want ErrNotFound", err)
		}
		if err := items.Replace(ctx, "a", 2, doc{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("replace deleted: %v, want ErrNotFound", err)
		}

		// Unique index values.
		type user struct {
			Email string `json:"email"`
		}
		if err := items.Insert(ctx, "u1", user{"a@x"}); err != nil {
			t.Fatal(err)
		}
		if err := items.Insert(ctx, "u2", user{"b@x"}); err != nil {
			t.Fatal(err)
		}
		if err := items.Insert(ctx, "u3", user{"a@x"}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("insert taken email: %v, want ErrDuplicate", err)
		}
		if err := items.Replace(ctx, "u2", 1, user{"a@x"}); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("replace to taken email: %v, want ErrDuplicate", err)
		}
		var u user
		if v, err := items.Get(ctx, "u2", &u); err != nil || v != 1 || u.Email != "b@x" {
			t.Fatalf("u2 after failed replace: v=%d %+v %v", v, u, err)
		}

		// Documents that are not JSON objects.
		for _, bad := range []any{"a string", []int{1}, 42, nil, make(chan int)} {
			if err := items.Insert(ctx, "bad", bad); err == nil {
				t.Errorf("insert %#v: no error", bad)
			}
		}
		if _, err := items.Get(ctx, "bad", &d); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a bad document was stored: %v", err)
		}
		// Bad collection names.
		if err := dbOf(items).Collection("Bad-Name").Insert(ctx, "x", doc{}); err == nil {
			t.Errorf("insert into bad collection name: no error")
		}
	})
}

// dbOf recovers the DB of a collection for tests.
func dbOf(c store.Collection) *DB {
	return &DB{db: c.(*Collection).c.Database()}
}

type item struct {
	Tag  string  `json:"tag"`
	N    int64   `json:"n"`
	F    float64 `json:"f"`
	Flag bool    `json:"flag"`
	Opt  string  `json:"opt,omitempty"`
}

func ids(t *testing.T, c store.Collection, q store.Query) []string {
	t.Helper()
	var out []map[string]any
	if err := c.Find(context.Background(), q, &out); err != nil {
		t.Fatalf("find %+v: %v", q, err)
	}
	if out == nil {
		t.Fatalf("find %+v: nil slice", q)
	}
	r := make([]string, len(out))
	for i, m := range out {
		r[i] = m["name"].(string)
	}
	return r
}

func TestFind(t *testing.T) {
	backends(t, func(t *testing.T, uri string) {
		ctx := context.Background()
		_, items := migrated(t, uri)
		type named struct {
			item
			Name string `json:"name"`
		}
		docs := map[string]item{
			"a": {Tag: "red", N: 1, F: 0.5, Flag: true, Opt: "o"},
			"b": {Tag: "red", N: 2, F: 1.5},
			"c": {Tag: "blue", N: 2, F: 2.5, Flag: true},
			"d": {Tag: "blue", N: 3, F: -1, Opt: "o"},
			"e": {Tag: "green", N: 1 << 53, F: 1e10},
			"f": {Tag: "red", N: 2, F: 3},
		}
		for id, it := range docs {
			if err := items.Insert(ctx, id, named{it, id}); err != nil {
				t.Fatal(err)
			}
		}
		w := store.Where
		type tc struct {
			q    store.Query
			want []string
		}
		for _, c := range []tc{
			{store.Query{}, []string{"a", "b", "c", "d", "e", "f"}},
			{store.Query{Where: []store.Cond{w("tag", store.Eq, "red")}}, []string{"a", "b", "f"}},
			{store.Query{Where: []store.Cond{w("tag", store.Ne, "red")}}, []string{"c", "d", "e"}},
			{store.Query{Where: []store.Cond{w("opt", store.Ne, "o")}}, []string{"b", "c", "e", "f"}}, // missing matches Ne
			{store.Query{Where: []store.Cond{w("n", store.Gt, 1), w("n", store.Lte, 3)}}, []string{"b", "c", "d", "f"}},
			{store.Query{Where: []store.Cond{w("n", store.Gte, int64(1<<53))}}, []string{"e"}},
			{store.Query{Where: []store.Cond{w("n", store.Lt, 2)}}, []string{"a"}},
			{store.Query{Where: []store.Cond{w("f", store.Lt, 1.0)}}, []string{"a", "d"}},
			{store.Query{Where: []store.Cond{w("f", store.Eq, 3)}}, []string{"f"}},
			{store.Query{Where: []store.Cond{w("flag", store.Eq, true)}}, []string{"a", "c"}},
			{store.Query{Where: []store.Cond{w("tag", store.In, []string{"blue", "green"})}}, []string{"c", "d", "e"}},
			{store.Query{Where: []store.Cond{w("n", store.In, []int64{1, 3})}}, []string{"a", "d"}},
			{store.Query{Where: []store.Cond{w("n", store.In, []any{3, "red", 2.0})}}, []string{"b", "c", "d", "f"}},
			{store.Query{Where: []store.Cond{w("tag", store.In, []string{})}}, []string{}},
			{store.Query{Where: []store.Cond{w("tag", store.Eq, "purple")}}, []string{}},
			{store.Query{Where: []store.Cond{w("tag", store.Ne, "red"), w("tag", store.Ne, "blue")}}, []string{"e"}},
			{store.Query{Where: []store.Cond{w("tag", store.Eq, "red"), w("n", store.Eq, 2)}}, []string{"b", "f"}},
			// Sorting, with the id as the tie-break in the last key's direction.
			{store.Query{Sort: []store.SortKey{{Field: "n"}}}, []string{"a", "b", "c", "f", "d", "e"}},
			{store.Query{Sort: []store.SortKey{{Field: "n", Desc: true}}}, []string{"e", "d", "f", "c", "b", "a"}},
			{store.Query{Sort: []store.SortKey{{Field: "tag"}, {Field: "n", Desc: true}}}, []string{"d", "c", "e", "f", "b", "a"}},
			{store.Query{Sort: []store.SortKey{{Field: "tag", Desc: true}, {Field: "n"}}}, []string{"a", "b", "f", "e", "c", "d"}},
			{store.Query{Sort: []store.SortKey{{Field: "tag", Desc: true}, {Field: "n", Desc: true}}}, []string{"f", "b", "a", "e", "d", "c"}},
			// Paging.
			{store.Query{Sort: []store.SortKey{{Field: "n"}}, Limit: 2}, []string{"a", "b"}},
			{store.Query{Sort: []store.SortKey{{Field: "n"}}, Skip: 2, Limit: 2}, []string{"c", "f"}},
			{store.Query{Sort: []store.SortKey{{Field: "n"}}, Skip: 4}, []string{"d", "e"}},
			{store.Query{Sort: []store.SortKey{{Field: "n"}}, Skip: 10}, []string{}},
			{store.Query{Where: []store.Cond{w("tag", store.Eq, "red")}, Sort: []store.SortKey{{Field: "n", Desc: true}}, Skip: 1, Limit: 1}, []string{"b"}},
		} {
			got := ids(t, items, c.q)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("find %+v = %v, want %v", c.q, got, c.want)
			}
			n, err := items.Count(ctx, c.q)
			if err != nil {
				t.Fatalf("count %+v: %v", c.q, err)
			}
			all := ids(t, items, store.Query{Where: c.q.Where})
			if n != int64(len(all)) {
				t.Errorf("count %+v = %d, want %d", c.q, n, len(all))
			}
		}

		// Find replaces the slice: no stale elements or fields survive.
		out := make([]item, 3, 10)
		for i := range out {
			out[i] = item{Opt: "stale", Tag: "stale"}
		}
		if err := items.Find(ctx, store.Query{Where: []store.Cond{w("n", store.Eq, 2)}, Sort: []store.SortKey{{Field: "tag"}}}, &out); err != nil {
			t.Fatal(err)
		}
		if len(out) != 3 || out[0].Tag != "blue" || out[1].Opt != "" || out[2].Opt != "" {
			t.Errorf("stale slice: %+v", out)
		}
		if err := items.Find(ctx, store.Query{Where: []store.Cond{w("n", store.Eq, 99)}}, &out); err != nil || out == nil || len(out) != 0 {
			t.Errorf("empty result: %#v %v", out, err)
		}
		var typed []item
		if err := items.Find(ctx, store.Query{Where: []store.Cond{w("n", store.Eq, 99)}}, &typed); err != nil || typed == nil {
			t.Errorf("empty result into nil slice: %#v %v", typed, err)
		}
	})
}

type weird struct{ A int }

type myString string

func TestQueryValues(t *testing.T) {
	backends(t, func(t *testing.T, uri string) {
		ctx := context.Background()
		_, items := migrated(t, uri)
		if err := items.Insert(ctx, "a", map[string]any{"name": "a", "tag": "x", "n": 1}); err != nil {
			t.Fatal(err)
		}
		if err := items.Insert(ctx, "b", map[string]any{"name": "b", "tag": "", "n": 2}); err != nil {
			t.Fatal(err)
		}
		w := store.Where
		for _, c := range []store.Cond{
			w("tag", store.Eq, map[string]any{"$ne": ""}),
			w("tag", store.Eq, bson.D{{Key: "$ne", Value: ""}}),
			w("tag", store.Eq, bson.M{"$gt": ""}),
			w("tag", store.Ne, weird{}),
			w("tag", store.Eq, &weird{}),
			w("tag", store.Eq, nil),
			w("tag", store.Eq, []string{"x"}),
			w("tag", store.Eq, time.Now()),
			w("tag", store.In, "x"),
			w("tag", store.In, []any{"x", map[string]any{"$exists": true}}),
			w("tag", store.In, []any{nil}),
			w("n", store.Gt, math.NaN()),
			w("n", store.Gt, uint64(math.MaxUint64)),
			w("Tag", store.Eq, "x"),
			w("$where", store.Eq, "1"),
			w("tag.x", store.Eq, "x"),
			w("tag", "$regex", "x"),
		} {
			q := store.Query{Where: []store.Cond{c}}
			var out []map[string]any
			if err := items.Find(ctx, q, &out); err == nil {
				t.Errorf("find %+v: no error, got %v", c, out)
			}
			if n, err := items.Count(ctx, q); err == nil {
				t.Errorf("count %+v: no error, got %d", c, n)
			}
		}
		for _, q := range []store.Query{
			{Sort: []store.SortKey{{Field: "$natural"}}},
			{Skip: -1},
			{Limit: -1},
		} {
			var out []map[string]any
			if err := items.Find(ctx, q, &out); err == nil {
				t.Errorf("find %+v: no error", q)
			}
		}
		// Named scalar types are fine.
		if got := ids(t, items, store.Query{Where: []store.Cond{w("tag", store.Eq, myString("x"))}}); !reflect.DeepEqual(got, []string{"a"}) {
			t.Errorf("named string: %v", got)
		}
		if got := ids(t, items, store.Query{Where: []store.Cond{w("n", store.In, []uint8{2})}}); !reflect.DeepEqual(got, []string{"b"}) {
			t.Errorf("uint8 slice: %v", got)
		}
		if got := ids(t, items, store.Query{Where: []store.Cond{w("tag", store.Eq, "$ne")}}); len(got) != 0 {
			t.Errorf("operator-looking string matched: %v", got)
		}
	})
}

func TestMigrate(t *testing.T) {
	backends(t, func(t *testing.T, uri string) {
		ctx := context.Background()
		db := openDB(t, uri)
		for i := 0; i < 2; i++ {
			if err := db.Migrate(ctx, testMigrations); err != nil {
				t.Fatalf("migrate #%d: %v", i+1, err)
			}
		}
		more := append(append([]store.Migration{}, testMigrations...), store.Migration{
			ID: "0002_more", Steps: []store.Step{
				store.CreateCollection("items"), // exists: fine
				store.CreateCollection("others"),
				store.CreateIndex("items", "by_tag_n", false, "tag", "-n"), // same index again: fine
				store.CreateIndex("others", "by_n", false, "n"),
			},
		})
		for i := 0; i < 2; i++ {
			if err := db.Migrate(ctx, more); err != nil {
				t.Fatalf("migrate more #%d: %v", i+1, err)
			}
		}
		var recs []bson.M
		cur, err := db.db.Collection(migrationsCollection).Find(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		if err := cur.All(ctx, &recs); err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 {
			t.Errorf("recorded migrations: %v", recs)
		}
		names, err := db.db.ListCollectionNames(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		has := map[string]bool{}
		for _, n := range names {
			has[n] = true
		}
		if !has["items"] || !has["others"] {
			t.Errorf("collections: %v", names)
		}
		var idx []bson.M
		cur, err = db.db.Collection("items").Indexes().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := cur.All(ctx, &idx); err != nil {
			t.Fatal(err)
		}
		byName := map[string]bson.M{}
		for _, ix := range idx {
			byName[ix["name"].(string)] = ix
		}
		if ix := byName["by_email"]; ix == nil || ix["unique"] != true {
			t.Errorf("by_email: %v", ix)
		}
		if ix := byName["by_tag_n"]; ix == nil || fmt.Sprint(ix["key"]) != "map[n:-1 tag:1]" || ix["unique"] == true {
			t.Errorf("by_tag_n: %v", ix)
		}

		// A migration already recorded is not run again, even if its steps changed.
		changed := []store.Migration{{ID: "0001_items", Steps: []store.Step{store.CreateCollection("never")}}}
		if err := db.Migrate(ctx, changed); err != nil {
			t.Fatal(err)
		}
		if names, _ := db.db.ListCollectionNames(ctx, bson.D{{Key: "name", Value: "never"}}); len(names) != 0 {
			t.Errorf("recorded migration ran again")
		}

		for _, bad := range [][]store.Migration{
			{{ID: ""}},
			{{ID: "x"}, {ID: "x"}},
			{{ID: "b1", Steps: []store.Step{store.CreateCollection("Bad")}}},
			{{ID: "b2", Steps: []store.Step{store.CreateCollection("system.x")}}},
			{{ID: "b3", Steps: []store.Step{store.DeclareField("items", "a.b")}}},
			{{ID: "b4", Steps: []store.Step{store.CreateIndex("items", "ok", false, "$x")}}},
			{{ID: "b5", Steps: []store.Step{store.CreateIndex("items", "no_keys", false)}}},
			{{ID: "b6", Steps: []store.Step{{}}}},
			{{ID: "b7", Steps: []store.Step{{CreateCollection: "a", Field: &store.FieldStep{Collection: "a", Name: "b"}}}}},
		} {
			if err := db.Migrate(ctx, bad); err == nil {
				t.Errorf("migrate %+v: no error", bad)
			}
		}
	})
}

func TestDBBasics(t *testing.T) {
	backends(t, func(t *testing.T, uri string) {
		ctx := context.Background()
		d := openDB(t, uri)
		if d.Kind() != "mongo" {
			t.Errorf("kind %q", d.Kind())
		}
		if uri == ferretURI && d.FerretDB() == "" {
			t.Errorf("FerretDB() is empty on the embedded FerretDB")
		}
		if err := d.Ping(ctx); err != nil {
			t.Errorf("ping: %v", err)
		}
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := d.Ping(ctx); err == nil {
			t.Errorf("ping after close: no error")
		}
	})
	t.Run("default database", func(t *testing.T) {
		ctx := context.Background()
		d, err := Open(ctx, ferretURI, "")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if d.Name() != DefaultDatabase {
			t.Errorf("database %q, want %q", d.Name(), DefaultDatabase)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, err := Open(ctx, "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200", "x"); err == nil {
			t.Errorf("open unreachable server: no error")
		}
		if _, err := Open(ctx, "http://example.com/", ""); err == nil {
			t.Errorf("open http uri: no error")
		}
	})
}

func TestURIDatabase(t *testing.T) {
	for uri, want := range map[string]string{
		"mongodb://localhost":                                "",
		"mongodb://localhost/":                               "",
		"mongodb://localhost:27017/app":                      "app",
		"mongodb://u:p%40ss@h1:1,h2:2/app?replicaSet=rs&w=1": "app",
		"mongodb+srv://cluster.example.com/my%2Ddb?tls=true": "my-db",
		"mongodb://u:p@localhost/?authSource=admin":          "",
	} {
		got, err := uriDatabase(uri)
		if err != nil || got != want {
			t.Errorf("uriDatabase(%q) = %q, %v; want %q", uri, got, err, want)
		}
	}
	if _, err := uriDatabase("postgres://x/y"); err == nil {
		t.Errorf("postgres uri: no error")
	}
}

func TestEscapeKey(t *testing.T) {
	for _, k := range []string{"", "a", "_id", "_v", "$", "$$", "a$", "a.b", ".", "%", "%2E", "%24x", "%5Fid", "nul\x00", "ü.%$"} {
		for _, top := range []bool{false, true} {
			e := escapeKey(k, top)
			if strings.HasPrefix(e, "$") || strings.ContainsAny(e, ".\x00") {
				t.Errorf("escapeKey(%q, %v) = %q still reserved", k, top, e)
			}
			if top && (e == "_id" || e == "_v") {
				t.Errorf("escapeKey(%q, top) = %q", k, e)
			}
			if u := unescapeKey(e); u != k {
				t.Errorf("unescapeKey(escapeKey(%q, %v) = %q) = %q", k, top, e, u)
			}
		}
	}
	if got := escapeKey("plain_key", false); got != "plain_key" {
		t.Errorf("plain key escaped: %q", got)
	}
	for _, k := range []string{"%", "%z", "%2", "100%"} {
		if got := unescapeKey(k); got != k {
			t.Errorf("unescapeKey(%q) = %q", k, got)
		}
	}
}

// TestForeignTypes reads documents holding BSON types that JSON does not
// produce, as another tool might write them.
func TestForeignTypes(t *testing.T) {
	oid := primitive.NewObjectID()
	raw, err := bson.Marshal(bson.D{
		{Key: "_id", Value: "x"}, {Key: "_v", Value: int32(3)},
		{Key: "oid", Value: oid},
		{Key: "when", Value: primitive.NewDateTimeFromTime(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))},
		{Key: "d", Value: 2.0}, {Key: "e", Value: 1e-7}, {Key: "big", Value: 1e300}, {Key: "nan", Value: math.NaN()},
		{Key: "arr", Value: bson.A{primitive.Null{}, primitive.Undefined{}, int32(1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, v, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if v != 3 {
		t.Errorf("version %d", v)
	}
	want := `{"oid":{"$oid":"` + oid.Hex() + `"},"when":{"$date":"2024-01-02T03:04:05Z"},"d":2,"e":1e-07,"big":1e+300,"nan":{"$numberDouble":"NaN"},"arr":[null,null,1]}`
	if string(b) != want {
		t.Errorf("decode:\n got %s\nwant %s", b, want)
	}
	var d struct {
		D int `json:"d"`
	}
	if err := json.Unmarshal(b, &d); err != nil || d.D != 2 {
		t.Errorf("double 2.0 into int: %v %v", d, err)
	}
}
