package meili

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"tuongtac/search"
)

// fake answers the few Meilisearch endpoints this package calls and records
// what it was sent. It checks request shapes, not Meilisearch's behaviour:
// that is the contract suite's job when MEILI_URL is set.
type fake struct {
	mu       sync.Mutex
	requests map[string][]map[string]any // "METHOD path" → JSON bodies
	search   map[string]any              // the next search response
	created  bool
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.Method + " " + r.URL.Path
	body, _ := io.ReadAll(r.Body)
	var v any
	_ = json.Unmarshal(body, &v)
	switch v := v.(type) {
	case map[string]any:
		f.requests[key] = append(f.requests[key], v)
	case []any:
		f.requests[key] = append(f.requests[key], map[string]any{"array": v, "query": r.URL.RawQuery})
	default:
		f.requests[key] = append(f.requests[key], nil)
	}
	w.Header().Set("Content-Type", "application/json")
	task := func() {
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"taskUid":7,"indexUid":"t","status":"enqueued","type":"x","enqueuedAt":"2025-01-01T00:00:00Z"}`)
	}
	switch {
	case key == "GET /health":
		io.WriteString(w, `{"status":"available"}`)
	case key == "GET /indexes/t":
		if !f.created {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Index t not found.","code":"index_not_found","type":"invalid_request","link":""}`)
			return
		}
		io.WriteString(w, `{"uid":"t","primaryKey":"id"}`)
	case key == "POST /indexes":
		f.created = true
		task()
	case strings.HasPrefix(key, "GET /tasks/"):
		io.WriteString(w, `{"uid":7,"indexUid":"t","status":"succeeded","type":"x"}`)
	case key == "PATCH /indexes/t/settings", key == "POST /indexes/t/documents",
		key == "POST /indexes/t/documents/delete-batch", key == "DELETE /indexes/t":
		task()
	case key == "GET /indexes/t/stats":
		io.WriteString(w, `{"numberOfDocuments":2}`)
	case key == "POST /indexes/t/search":
		json.NewEncoder(w).Encode(f.search)
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"unexpected","code":"x","type":"x","link":""}`)
	}
}

func (f *fake) last(key string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	rs := f.requests[key]
	if len(rs) == 0 {
		return nil
	}
	return rs[len(rs)-1]
}

func TestAgainstFakeServer(t *testing.T) {
	f := &fake{requests: map[string][]map[string]any{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx := context.Background()

	ix, err := Open(ctx, srv.URL, "key", "t")
	if err != nil {
		t.Fatal(err)
	}
	if f.last("POST /indexes") == nil {
		t.Error("index not created")
	}
	s := f.last("PATCH /indexes/t/settings")
	if got, _ := json.Marshal(s["searchableAttributes"]); string(got) != `["title_f","answer_f","body_f"]` {
		t.Errorf("searchable attributes %s", got)
	}
	if got, _ := json.Marshal(s["rankingRules"]); !strings.HasPrefix(string(got), `["sort",`) {
		t.Errorf("ranking rules %s", got)
	}

	when := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	err = ix.Index(ctx, search.Doc{ID: "a", Title: norm.NFD.String("Thủ tục ĐẤT ĐAI"), Body: "Nội dung", Scope: []string{"ubnd-tinh", "longxuyen"},
		Kind: "question", Year: 2025, PublishedAt: when})
	if err != nil {
		t.Fatal(err)
	}
	docs := f.last("POST /indexes/t/documents")["array"].([]any)
	d := docs[0].(map[string]any)
	if d["title_f"] != "thu tuc dat dai" || d["body_f"] != "noi dung" || d["date"] != float64(when.UnixMilli()) {
		t.Errorf("document %v", d)
	}

	f.search = map[string]any{
		"hits": []any{map[string]any{"id": "a", "title": "Thủ tục <b>đất</b> đai", "body": "Về đất", "answer": "",
			"kind": "question", "published_at": when.Format(time.RFC3339Nano), "_rankingScore": 0.75}},
		"totalHits": 1, "page": 1, "hitsPerPage": 20,
		"facetDistribution": map[string]any{"scope": map[string]int{"longxuyen": 1}, "year": map[string]int{"2025": 1}, "kind": map[string]int{"question": 1}},
	}
	res, err := ix.Search(ctx, search.Query{
		Text:  `+title:ĐẤT "thủ tục" -x *`,
		Scope: []string{`longxuyen" OR kind = "y`}, Kind: `q\`, Year: 2025, States: []string{"published"},
		Sort: search.SortNewest, Facets: true, PerPage: 500,
	})
	if err != nil {
		t.Fatal(err)
	}
	req := f.last("POST /indexes/t/search")
	if req["q"] != `title dat x "thu tuc"` {
		t.Errorf("q = %q", req["q"])
	}
	wantFilter := `scope IN ["longxuyen\" OR kind = \"y"] AND state IN ["published"] AND kind = "q\\" AND year = 2025`
	if req["filter"] != wantFilter {
		t.Errorf("filter = %s\nwant     %s", req["filter"], wantFilter)
	}
	if got, _ := json.Marshal(req["sort"]); string(got) != `["date:desc"]` {
		t.Errorf("sort = %s", got)
	}
	if req["hitsPerPage"] != float64(search.MaxPerPage) || req["page"] != float64(1) || req["matchingStrategy"] != "all" {
		t.Errorf("paging %v %v %v", req["hitsPerPage"], req["page"], req["matchingStrategy"])
	}
	if res.Total != 1 || len(res.Hits) != 1 {
		t.Fatalf("result %+v", res)
	}
	h := res.Hits[0]
	if h.TitleHTML != "<mark>Thủ tục</mark> &lt;b&gt;<mark>đất</mark>&lt;/b&gt; đai" || h.SnippetHTML != "Về <mark>đất</mark>" || h.Score != 0.75 || !h.PublishedAt.Equal(when) {
		t.Errorf("hit %+v", h)
	}
	if res.Facets.Agency["longxuyen"] != 1 || res.Facets.Year[2025] != 1 || res.Facets.Kind["question"] != 1 {
		t.Errorf("facets %+v", res.Facets)
	}

	// Beyond MaxPage: no hits asked for, Total still counted.
	if _, err := ix.Search(ctx, search.Query{Text: "x", Page: search.MaxPage + 1}); err != nil {
		t.Fatal(err)
	}
	if req := f.last("POST /indexes/t/search"); req["hitsPerPage"] != float64(0) {
		t.Errorf("beyond MaxPage: hitsPerPage %v", req["hitsPerPage"])
	}
	// No words: Meilisearch is not asked.
	n := len(f.requests["POST /indexes/t/search"])
	if res, err := ix.Search(ctx, search.Query{Text: "*"}); err != nil || res.Total != 0 {
		t.Errorf("*: %+v, %v", res, err)
	}
	if len(f.requests["POST /indexes/t/search"]) != n {
		t.Error("* reached Meilisearch")
	}

	if _, err := ix.Suggest(ctx, "thủ tụ", search.Query{Scope: []string{"sotp"}}, 0); err != nil {
		t.Fatal(err)
	}
	req = f.last("POST /indexes/t/search")
	if req["q"] != "thu tu" || req["limit"] != float64(search.DefaultSuggestions) || req["filter"] != `scope IN ["sotp"]` {
		t.Errorf("suggest request %v", req)
	}
	if got, _ := json.Marshal(req["attributesToSearchOn"]); string(got) != `["title_f"]` {
		t.Errorf("suggest searches %s", got)
	}

	if err := ix.Delete(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	if n, err := ix.Count(ctx); err != nil || n != 2 {
		t.Errorf("Count = %d, %v", n, err)
	}
	if err := ix.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if err := ix.Ping(ctx); err == nil {
		t.Error("Ping after Close: no error")
	}
}
