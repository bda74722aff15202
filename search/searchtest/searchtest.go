// Package searchtest is the contract suite every search backend passes: the
// same documents, the same queries, the same answers, on Bleve and on
// Meilisearch. It indexes the 60-question corpus in testdata/questions.json
// for realistic tests, plus small hand-made documents where a test needs
// exact control.
package searchtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"tuongtac/agencies"
	"tuongtac/search"
)

// Question is one entry of testdata/questions.json.
type Question struct {
	ID     string `json:"id"`
	Agency string `json:"agency"`
	Kind   string `json:"kind"`
	Topic  string `json:"topic"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Answer string `json:"answer"`
	Lang   string `json:"lang"`
}

// CorpusPath is the location of the question corpus, found from this source
// file so that tests in any package can read it.
func CorpusPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "questions.json")
}

// Questions reads the corpus.
func Questions(tb testing.TB) []Question {
	tb.Helper()
	data, err := os.ReadFile(CorpusPath())
	if err != nil {
		tb.Fatalf("read corpus: %v", err)
	}
	var qs []Question
	if err := json.Unmarshal(data, &qs); err != nil {
		tb.Fatalf("parse corpus: %v", err)
	}
	return qs
}

// Epoch is the creation time of the first corpus document; the others follow
// every 17 days, so the corpus spans 2023 to 2025.
var Epoch = time.Date(2023, 1, 2, 9, 0, 0, 0, time.UTC)

// Corpus turns the questions into published documents with their scope from
// the bundled agency tree, deterministic dates (published five days after
// creation) and Year from the publication date.
func Corpus(tb testing.TB) []search.Doc {
	tb.Helper()
	tree, err := agencies.Default()
	if err != nil {
		tb.Fatalf("agency tree: %v", err)
	}
	qs := Questions(tb)
	docs := make([]search.Doc, len(qs))
	for i, q := range qs {
		scope := tree.Ancestors(q.Agency)
		if scope == nil {
			tb.Fatalf("corpus %s: agency %q not in the tree", q.ID, q.Agency)
		}
		created := Epoch.Add(time.Duration(i) * 17 * 24 * time.Hour)
		published := created.Add(5 * 24 * time.Hour)
		docs[i] = search.Doc{
			ID: q.ID, Agency: q.Agency, Scope: scope, Kind: q.Kind, Topic: q.Topic,
			State: "published", Year: published.Year(),
			Title: q.Title, Body: q.Body, Answer: q.Answer,
			CreatedAt: created, PublishedAt: published,
		}
	}
	return docs
}

// Run runs the contract suite. open must return a new, empty index on every
// call (a unique directory or index name) and arrange its cleanup.
func Run(t *testing.T, open func(t *testing.T) search.Indexer) {
	ctx := context.Background()
	docs := Corpus(t)
	byID := map[string]search.Doc{}
	for _, d := range docs {
		byID[d.ID] = d
	}
	ix := open(t)
	if err := ix.Index(ctx, docs...); err != nil {
		t.Fatalf("index corpus: %v", err)
	}
	if n, err := ix.Count(ctx); err != nil || n != len(docs) {
		t.Fatalf("Count = %d, %v; want %d", n, err, len(docs))
	}
	if err := ix.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	c := &corpus{ix: ix, docs: docs, byID: byID}

	t.Run("Folding", c.testFolding)
	t.Run("DocumentWithoutDiacritics", c.testDocumentWithoutDiacritics)
	t.Run("Phrases", c.testPhrases)
	t.Run("AllWordsRequired", c.testAllWords)
	t.Run("English", c.testEnglish)
	t.Run("ScopeSubtree", c.testScope)
	t.Run("Filters", c.testFilters)
	t.Run("Facets", c.testFacets)
	t.Run("Newest", c.testNewest)
	t.Run("Paging", c.testPaging)
	t.Run("Highlight", c.testHighlight)
	t.Run("HostileQueries", c.testHostile)
	t.Run("Suggest", c.testSuggest)

	t.Run("TitleFirst", func(t *testing.T) { testTitleFirst(t, open(t)) })
	t.Run("PhraseAdjacency", func(t *testing.T) { testPhraseAdjacency(t, open(t)) })
	t.Run("UpsertAndDelete", func(t *testing.T) { testUpsertDelete(t, open(t)) })
	t.Run("EscapesHostileContent", func(t *testing.T) { testEscaping(t, open(t)) })
	t.Run("States", func(t *testing.T) { testStates(t, open(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t), docs) })
	t.Run("Close", func(t *testing.T) { testClose(t, open(t)) })
}

type corpus struct {
	ix   search.Indexer
	docs []search.Doc
	byID map[string]search.Doc
}

// search runs q and fails the test on error.
func run(t *testing.T, ix search.Indexer, q search.Query) *search.Result {
	t.Helper()
	res, err := ix.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	if res == nil {
		t.Fatalf("Search(%+v): nil result", q)
	}
	return res
}

// all returns the ids of every hit of q, over all pages, sorted.
func all(t *testing.T, ix search.Indexer, q search.Query) []string {
	t.Helper()
	q.PerPage = search.MaxPerPage
	var ids []string
	for q.Page = 1; ; q.Page++ {
		res := run(t, ix, q)
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		if len(res.Hits) < q.PerPage || len(ids) >= res.Total {
			if len(ids) != res.Total {
				t.Fatalf("Search(%+v): collected %d hits over all pages, Total %d", q, len(ids), res.Total)
			}
			break
		}
	}
	sort.Strings(ids)
	return ids
}

func words(s string) []string {
	var out []string
	for _, tok := range search.Tokens(s) {
		out = append(out, tok.Term)
	}
	return out
}

// model lists the corpus documents holding every word of text in some text
// field (what an all-words search must at least find), sorted.
func (c *corpus) model(text string) []string {
	want := words(text)
	var ids []string
	for _, d := range c.docs {
		have := map[string]bool{}
		for _, w := range words(d.Title + " " + d.Body + " " + d.Answer) {
			have[w] = true
		}
		ok := true
		for _, w := range want {
			ok = ok && have[w]
		}
		if ok {
			ids = append(ids, d.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// phraseModel lists the documents where phrase's words stand adjacent and in
// order within one field.
func (c *corpus) phraseModel(phrase string) []string {
	ph := words(phrase)
	var ids []string
	for _, d := range c.docs {
		for _, f := range []string{d.Title, d.Body, d.Answer} {
			if containsRun(words(f), ph) {
				ids = append(ids, d.ID)
				break
			}
		}
	}
	sort.Strings(ids)
	return ids
}

func containsRun(ws, run []string) bool {
	for i := 0; i+len(run) <= len(ws); i++ {
		if slices.Equal(ws[i:i+len(run)], run) {
			return true
		}
	}
	return false
}

func subset(sub, super []string) bool {
	for _, s := range sub {
		if !slices.Contains(super, s) {
			return false
		}
	}
	return true
}

func (c *corpus) testFolding(t *testing.T) {
	for _, group := range [][]string{
		{"thủ tục đất đai", "thu tuc dat dai", "THỦ TỤC ĐẤT ĐAI", "Thủ Tục Đất Đai", norm.NFD.String("thủ tục đất đai"), "thủ tuc đat dai"},
		{"đăng ký", "dang ky", "ĐĂNG KÝ", norm.NFD.String("Đăng ký"), "dăng ky"},
		{"bảo hiểm y tế", "bao hiem y te", norm.NFD.String("BẢO HIỂM Y TẾ")},
		{"đường", "duong", "Đường", "ĐƯỜNG"},
	} {
		want := c.model(group[1])
		if len(want) == 0 {
			t.Fatalf("corpus has no document for %q", group[1])
		}
		first := all(t, c.ix, search.Query{Text: group[0]})
		if !subset(want, first) {
			t.Errorf("%q: found %v, want at least %v", group[0], first, want)
		}
		for _, v := range group[1:] {
			if got := all(t, c.ix, search.Query{Text: v}); !slices.Equal(got, first) {
				t.Errorf("%q found %v, but %q found %v", v, got, group[0], first)
			}
		}
	}
}

// A title typed without diacritics (q044) is found by the same words typed
// with them, and the other way round.
func (c *corpus) testDocumentWithoutDiacritics(t *testing.T) {
	for _, q := range []string{"đèn chiếu sáng hẻm", "den chieu sang hem", "Tôn Đức Thắng"} {
		if got := all(t, c.ix, search.Query{Text: q}); !slices.Contains(got, "q044") {
			t.Errorf("%q: found %v, want q044", q, got)
		}
	}
}

func (c *corpus) testPhrases(t *testing.T) {
	for _, tc := range []struct{ text, phrase string }{
		{`"thủ tục hành chính"`, "thủ tục hành chính"},
		{`"dich vu cong"`, "dịch vụ công"},
		{`“đất đai”`, "đất đai"}, // typographic quotes from phone keyboards
		{`"tục thủ"`, "tục thủ"}, // order matters
	} {
		want := c.phraseModel(tc.phrase)
		got := all(t, c.ix, search.Query{Text: tc.text})
		if !slices.Equal(got, want) {
			t.Errorf("%s: found %v, want %v", tc.text, got, want)
		}
		loose := all(t, c.ix, search.Query{Text: tc.phrase})
		if !subset(got, loose) || len(loose) <= len(got) {
			t.Errorf("%s: phrase hits %v should be a strict subset of word hits %v", tc.text, got, loose)
		}
	}
	// A phrase and a word together: both must match.
	got := all(t, c.ix, search.Query{Text: `"thủ tục hành chính" Bảy`})
	want := intersect(c.phraseModel("thủ tục hành chính"), c.model("bảy"))
	if !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("phrase and word: found %v, want %v", got, want)
	}
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func (c *corpus) testAllWords(t *testing.T) {
	for _, q := range []string{"học phí", "thu tuc dat dai", "bảo hiểm y tế"} {
		want := c.model(q)
		got := all(t, c.ix, search.Query{Text: q})
		if !subset(want, got) {
			t.Errorf("%q: found %v, want at least %v", q, got, want)
		}
		if !subset(got, c.model(strings.Fields(q)[0])) {
			t.Errorf("%q: found %v, some without the word %q", q, got, strings.Fields(q)[0])
		}
	}
	// A word that is nowhere finds nothing.
	if res := run(t, c.ix, search.Query{Text: "zzyzx"}); res.Total != 0 || len(res.Hits) != 0 {
		t.Errorf("zzyzx: Total %d, %d hits; want none", res.Total, len(res.Hits))
	}
}

func (c *corpus) testEnglish(t *testing.T) {
	for _, tc := range []struct{ q, id string }{
		{"investment incentives", "q004"},
		{"Rice-Processing plant", "q004"},
		{"work permit foreign engineer", "q028"},
		{"TOUTS parking", "q046"},
	} {
		res := run(t, c.ix, search.Query{Text: tc.q})
		if len(res.Hits) == 0 || res.Hits[0].ID != tc.id {
			t.Errorf("%q: hits %v, want %s first", tc.q, hitIDs(res), tc.id)
		}
	}
}

func hitIDs(res *search.Result) []string {
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func (c *corpus) testScope(t *testing.T) {
	// q055 is addressed to a ward of Long Xuyên.
	title := c.byID["q055"].Title
	for _, tc := range []struct {
		scope []string
		found bool
	}{
		{[]string{"myhoa.longxuyen"}, true},
		{[]string{"longxuyen"}, true},
		{[]string{"ubnd-tinh"}, true},
		{[]string{"chaudoc"}, false},
		{[]string{"vinhmy.chaudoc"}, false},
		{[]string{"chaudoc", "longxuyen"}, true},
		{[]string{"no-such-agency"}, false},
	} {
		for _, text := range []string{title, ""} {
			got := all(t, c.ix, search.Query{Text: text, Scope: tc.scope})
			if slices.Contains(got, "q055") != tc.found {
				t.Errorf("scope %v, text %q: found %v, want q055 found=%v", tc.scope, text, got, tc.found)
			}
		}
	}
	// Every hit under a scope is in it.
	for _, h := range all(t, c.ix, search.Query{Scope: []string{"longxuyen"}}) {
		if !slices.Contains(c.byID[h].Scope, "longxuyen") {
			t.Errorf("scope longxuyen: hit %s of %s", h, c.byID[h].Agency)
		}
	}
	if n := len(all(t, c.ix, search.Query{Scope: []string{"ubnd-tinh"}})); n != len(c.docs) {
		t.Errorf("province scope: %d hits, want %d", n, len(c.docs))
	}
}

func (c *corpus) count(match func(search.Doc) bool) int {
	n := 0
	for _, d := range c.docs {
		if match(d) {
			n++
		}
	}
	return n
}

func (c *corpus) testFilters(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     search.Query
		match func(search.Doc) bool
	}{
		{"kind", search.Query{Kind: "complaint"}, func(d search.Doc) bool { return d.Kind == "complaint" }},
		{"topic", search.Query{Topic: "dat-dai"}, func(d search.Doc) bool { return d.Topic == "dat-dai" }},
		{"year", search.Query{Year: 2024}, func(d search.Doc) bool { return d.Year == 2024 }},
		{"kind and year", search.Query{Kind: "question", Year: 2025}, func(d search.Doc) bool { return d.Kind == "question" && d.Year == 2025 }},
		{"unknown kind", search.Query{Kind: "nope"}, func(search.Doc) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := c.count(tc.match)
			got := all(t, c.ix, tc.q)
			if len(got) != want {
				t.Errorf("%d hits, want %d", len(got), want)
			}
			for _, id := range got {
				if !tc.match(c.byID[id]) {
					t.Errorf("hit %s does not pass the filter", id)
				}
			}
			// With text too.
			q := tc.q
			q.Text = "dân"
			for _, id := range all(t, c.ix, q) {
				if !tc.match(c.byID[id]) {
					t.Errorf("text and filter: hit %s does not pass the filter", id)
				}
			}
		})
	}
	res := run(t, c.ix, search.Query{Text: "hồ sơ", Kind: "complaint", PerPage: 100})
	for _, h := range res.Hits {
		if h.Kind != "complaint" || h.Agency != c.byID[h.ID].Agency || h.Topic != c.byID[h.ID].Topic || h.State != "published" {
			t.Errorf("hit %s labels: %+v", h.ID, h)
		}
		if !h.PublishedAt.Equal(c.byID[h.ID].PublishedAt) || !h.CreatedAt.Equal(c.byID[h.ID].CreatedAt) {
			t.Errorf("hit %s times: created %v published %v", h.ID, h.CreatedAt, h.PublishedAt)
		}
	}
}

func (c *corpus) testFacets(t *testing.T) {
	for _, base := range []search.Query{
		{},
		{Text: "dân"},
		{Text: "hồ sơ", Kind: "question"},
		{Scope: []string{"longxuyen"}},
		{Year: 2024},
	} {
		q := base
		q.Facets = true
		q.PerPage = 5
		res := run(t, c.ix, q)
		name := fmt.Sprintf("%+v", base)
		if res.Total == 0 {
			t.Fatalf("%s: no hits", name)
		}
		sum := func(m map[string]int) int {
			n := 0
			for _, v := range m {
				n += v
			}
			return n
		}
		if n := sum(res.Facets.Kind); n != res.Total {
			t.Errorf("%s: kind facets sum to %d, Total %d", name, n, res.Total)
		}
		if n := sum(res.Facets.Topic); n != res.Total {
			t.Errorf("%s: topic facets sum to %d, Total %d", name, n, res.Total)
		}
		years := 0
		for _, v := range res.Facets.Year {
			years += v
		}
		if years != res.Total {
			t.Errorf("%s: year facets sum to %d, Total %d", name, years, res.Total)
		}
		if res.Facets.Agency["ubnd-tinh"] != res.Total {
			t.Errorf("%s: province facet %d, Total %d", name, res.Facets.Agency["ubnd-tinh"], res.Total)
		}
		// Each facet count is the Total of the query with that filter added.
		for kind, n := range res.Facets.Kind {
			f := base
			f.Kind = kind
			if got := run(t, c.ix, f).Total; got != n {
				t.Errorf("%s: facet kind %s = %d, filtered Total %d", name, kind, n, got)
			}
		}
		for year, n := range res.Facets.Year {
			f := base
			f.Year = year
			if got := run(t, c.ix, f).Total; got != n {
				t.Errorf("%s: facet year %d = %d, filtered Total %d", name, year, n, got)
			}
		}
		for _, agency := range []string{"longxuyen", "myhoa.longxuyen", "chaudoc", "sotnmt"} {
			f := base
			f.Scope = []string{agency}
			if base.Scope != nil && agency != "longxuyen" && agency != "myhoa.longxuyen" {
				continue // the intersection of two scopes is not one query
			}
			if got := run(t, c.ix, f).Total; got != res.Facets.Agency[agency] {
				t.Errorf("%s: facet agency %s = %d, filtered Total %d", name, agency, res.Facets.Agency[agency], got)
			}
		}
		topic := ""
		for k := range res.Facets.Topic {
			topic = k
			break
		}
		f := base
		f.Topic = topic
		if got := run(t, c.ix, f).Total; got != res.Facets.Topic[topic] {
			t.Errorf("%s: facet topic %s = %d, filtered Total %d", name, topic, res.Facets.Topic[topic], got)
		}
	}
	// Without Facets, no counts are computed.
	if res := run(t, c.ix, search.Query{}); len(res.Facets.Kind) != 0 {
		t.Errorf("facets not asked for: %+v", res.Facets)
	}
}

func (c *corpus) testNewest(t *testing.T) {
	for _, q := range []search.Query{
		{Sort: search.SortNewest, PerPage: 100},
		{Text: "dân", Sort: search.SortNewest, PerPage: 100},
		{PerPage: 100}, // no words: newest first too
	} {
		res := run(t, c.ix, q)
		if len(res.Hits) < 2 {
			t.Fatalf("%+v: %d hits", q, len(res.Hits))
		}
		for i := 1; i < len(res.Hits); i++ {
			if res.Hits[i].PublishedAt.After(res.Hits[i-1].PublishedAt) {
				t.Errorf("%+v: hit %d (%s, %v) after hit %d (%s, %v)", q, i, res.Hits[i].ID, res.Hits[i].PublishedAt, i-1, res.Hits[i-1].ID, res.Hits[i-1].PublishedAt)
			}
		}
	}
	res := run(t, c.ix, search.Query{Sort: search.SortNewest, PerPage: 1})
	if len(res.Hits) != 1 || res.Hits[0].ID != c.docs[len(c.docs)-1].ID {
		t.Errorf("newest: %v, want %s", hitIDs(res), c.docs[len(c.docs)-1].ID)
	}
}

func (c *corpus) testPaging(t *testing.T) {
	for _, tc := range []struct{ text, sort string }{{"", search.SortNewest}, {"dân", search.SortNewest}, {"dân", search.SortRelevance}, {"hồ sơ", ""}} {
		text := tc.text
		total := run(t, c.ix, search.Query{Text: text}).Total
		var seen []string
		for page := 1; ; page++ {
			res := run(t, c.ix, search.Query{Text: text, Page: page, PerPage: 7, Sort: tc.sort})
			if res.Total != total || res.Page != page || res.PerPage != 7 {
				t.Fatalf("page %d: Total %d Page %d PerPage %d; want %d %d 7", page, res.Total, res.Page, res.PerPage, total, page)
			}
			if len(res.Hits) == 0 {
				break
			}
			seen = append(seen, hitIDs(res)...)
			if page > 20 {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != total {
			t.Errorf("text %q: pages hold %d hits, Total %d", text, len(seen), total)
		}
		sorted := slices.Clone(seen)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(seen) {
			t.Errorf("text %q: a hit appears on two pages: %v", text, seen)
		}
	}
	for _, tc := range []struct {
		name          string
		q             search.Query
		page, perPage int
		hits          int
	}{
		{"past the end", search.Query{Page: 100}, 100, search.DefaultPerPage, 0},
		{"far past the end", search.Query{Page: 1 << 40, PerPage: 100}, 1 << 40, 100, 0},
		{"beyond MaxPage", search.Query{Page: search.MaxPage + 1, PerPage: 1}, search.MaxPage + 1, 1, 0},
		{"per page clamped", search.Query{PerPage: 1000}, 1, search.MaxPerPage, len(c.docs)},
		{"defaults", search.Query{Page: -3, PerPage: -1}, 1, search.DefaultPerPage, search.DefaultPerPage},
	} {
		res := run(t, c.ix, tc.q)
		if res.Page != tc.page || res.PerPage != tc.perPage || len(res.Hits) != tc.hits || res.Total != len(c.docs) {
			t.Errorf("%s: Page %d PerPage %d hits %d Total %d; want %d %d %d %d", tc.name, res.Page, res.PerPage, len(res.Hits), res.Total, tc.page, tc.perPage, tc.hits, len(c.docs))
		}
		if res.Hits == nil {
			t.Errorf("%s: Hits is nil, want an empty slice (renders as [] in JSON)", tc.name)
		}
	}
}

func (c *corpus) testHighlight(t *testing.T) {
	res := run(t, c.ix, search.Query{Text: "ngap", PerPage: 100})
	if len(res.Hits) == 0 {
		t.Fatal("ngap: no hits")
	}
	top := res.Hits[0]
	if top.ID != "q047" {
		t.Errorf("ngap: first hit %s, want q047 (the word is in its title)", top.ID)
	}
	if !strings.Contains(top.TitleHTML, "<mark>ngập</mark>") {
		t.Errorf("TitleHTML %q: want <mark>ngập</mark>", top.TitleHTML)
	}
	for _, h := range res.Hits {
		if !strings.Contains(h.TitleHTML+h.SnippetHTML, "<mark>") {
			t.Errorf("hit %s: no mark in %q / %q", h.ID, h.TitleHTML, h.SnippetHTML)
		}
		if n := len([]rune(stripTags(h.SnippetHTML))); n > search.SnippetRunes+2 {
			t.Errorf("hit %s: snippet of %d characters", h.ID, n)
		}
	}
	// A phrase marks its words together.
	res = run(t, c.ix, search.Query{Text: `"dịch vụ công"`})
	if len(res.Hits) == 0 || !strings.Contains(res.Hits[0].TitleHTML+res.Hits[0].SnippetHTML, "<mark>dịch vụ công</mark>") &&
		!strings.Contains(res.Hits[0].TitleHTML+res.Hits[0].SnippetHTML, "<mark>Dịch vụ công</mark>") {
		t.Errorf("phrase highlight: %+v", res.Hits)
	}
	// Without words nothing is marked and the snippet is the body's start.
	res = run(t, c.ix, search.Query{PerPage: 1, Sort: search.SortNewest})
	h := res.Hits[0]
	if strings.Contains(h.TitleHTML+h.SnippetHTML, "<mark>") || h.SnippetHTML == "" {
		t.Errorf("no words: %q / %q", h.TitleHTML, h.SnippetHTML)
	}
}

func stripTags(s string) string {
	return strings.NewReplacer("<mark>", "", "</mark>", "").Replace(s)
}

func (c *corpus) testHostile(t *testing.T) {
	long := strings.Repeat("đất đai ", 1250) // 10,000 characters
	for _, tc := range []struct {
		text string
		same string // must find what this plain text finds; "-" for nothing
	}{
		{long, "đất đai"},
		{strings.Repeat("x", 10000), "-"},
		{"+agency:x", "agency x"},
		{"title:", "title"},
		{"title:đất", "title đất"},
		{"*", "-"},
		{"đất*", "đất"},
		{`"unbalanced`, "unbalanced"},
		{`"đất đai`, "đất đai"},
		{`"đất" đai"`, "đất đai"},
		{`\`, "-"},
		{`%`, "-"},
		{`%đất%`, "đất"},
		{"đất AND đai OR NOT hồ", "đất and đai or not hồ"},
		{"(đất) [đai] {hồ} ~sơ^2 !a /b/ ?c", "đất đai hồ sơ 2 a b c"},
		{"-đất", "đất"},
		{"đất -đai", "đất đai"},
		{"' OR 1=1 --", "or 1 1"},
		{`q = "x"; filter = "kind = complaint"`, "q x filter kind complaint"},
		{"\x00\u202e\u200b", "-"},
		{"\xff\xfe", "-"},
		{"<script>alert(1)</script>", "script alert 1 script"},
		{"_id:q001", "id q001"},
	} {
		name := tc.text
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := c.ix.Search(ctx, search.Query{Text: tc.text, PerPage: 100, Facets: true})
			if err != nil {
				t.Fatalf("Search: %v", err)
			}
			if tc.same == "-" {
				if res.Total != 0 || len(res.Hits) != 0 {
					t.Errorf("Total %d, hits %v; want nothing", res.Total, hitIDs(res))
				}
				return
			}
			want := all(t, c.ix, search.Query{Text: tc.same})
			got := hitIDs(res)
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("found %v, want %v (as for %q)", got, want, tc.same)
			}
		})
	}
	// Filter values are values, never filter syntax.
	for _, v := range []string{`x" OR kind = "complaint`, `x' OR 1=1`, `complaint OR kind != x`, `*`, `\"`} {
		res, err := c.ix.Search(context.Background(), search.Query{Kind: v, Topic: v, Scope: []string{v}, States: []string{v}})
		if err != nil {
			t.Errorf("filter %q: %v", v, err)
			continue
		}
		if res.Total != 0 {
			t.Errorf("filter %q: Total %d, want 0", v, res.Total)
		}
	}
}

func (c *corpus) testSuggest(t *testing.T) {
	ctx := context.Background()
	check := func(prefix string, q search.Query, limit int) []search.Suggestion {
		t.Helper()
		got, err := c.ix.Suggest(ctx, prefix, q, limit)
		if err != nil {
			t.Fatalf("Suggest(%q): %v", prefix, err)
		}
		typed, last := search.ParsePrefix(prefix)
		for _, s := range got {
			d, ok := c.byID[s.ID]
			if !ok || s.Title != d.Title {
				t.Errorf("Suggest(%q): %+v is not a corpus title", prefix, s)
				continue
			}
			tw := words(d.Title)
			for _, w := range typed {
				if !slices.Contains(tw, w) {
					t.Errorf("Suggest(%q): %q lacks the word %q", prefix, d.Title, w)
				}
			}
			if last != "" && !slices.ContainsFunc(tw, func(w string) bool { return strings.HasPrefix(w, last) }) {
				t.Errorf("Suggest(%q): %q has no word starting with %q", prefix, d.Title, last)
			}
			if !strings.Contains(s.TitleHTML, "<mark>") {
				t.Errorf("Suggest(%q): TitleHTML %q marks nothing", prefix, s.TitleHTML)
			}
		}
		return got
	}
	for _, tc := range []struct {
		prefix string
		want   string // an id that must be among the suggestions
	}{
		{"ngậ", "q047"},
		{"ngap", "q047"},
		{"NGẬP", "q047"},
		{norm.NFD.String("Hẻm bị ngậ"), "q047"},
		{"hem bi ng", "q047"},
		{"homest", "q048"},
		{"Tou", "q046"},
	} {
		got := check(tc.prefix, search.Query{}, 20)
		if !slices.ContainsFunc(got, func(s search.Suggestion) bool { return s.ID == tc.want }) {
			t.Errorf("Suggest(%q) = %v, want %s among them", tc.prefix, got, tc.want)
		}
	}
	// Limits and filters.
	if got := check("d", search.Query{}, 3); len(got) != 3 {
		t.Errorf("limit 3: %d suggestions", len(got))
	}
	if got := check("d", search.Query{}, 0); len(got) != search.DefaultSuggestions {
		t.Errorf("limit 0: %d suggestions, want %d", len(got), search.DefaultSuggestions)
	}
	if got := check("d", search.Query{}, 1000); len(got) > search.MaxSuggestions {
		t.Errorf("limit 1000: %d suggestions, want at most %d", len(got), search.MaxSuggestions)
	}
	for _, s := range check("d", search.Query{Scope: []string{"chaudoc"}}, 20) {
		if !slices.Contains(c.byID[s.ID].Scope, "chaudoc") {
			t.Errorf("scope chaudoc: suggestion %s of %s", s.ID, c.byID[s.ID].Agency)
		}
	}
	if got := check("ngậ", search.Query{Scope: []string{"longxuyen"}}, 20); len(got) != 0 {
		t.Errorf("ngậ under longxuyen: %v, want none", got)
	}
	for _, p := range []string{"", "   ", "*", `"`, "+title:", strings.Repeat("đ", 10000)} {
		got, err := c.ix.Suggest(ctx, p, search.Query{}, 5)
		if err != nil {
			t.Errorf("Suggest(%.20q): %v", p, err)
		}
		if p != strings.Repeat("đ", 10000) && len(got) != 0 {
			t.Errorf("Suggest(%.20q) = %v, want none", p, got)
		}
	}
}

func testTitleFirst(t *testing.T, ix search.Indexer) {
	ctx := context.Background()
	filler := strings.Repeat("Người dân phản ánh tình trạng kéo dài nhiều tháng. ", 8)
	docs := []search.Doc{
		{ID: "body", Title: "Phản ánh về giao thông", Body: filler + "Cầu Cồn Tiên xuống cấp. " + filler, Answer: "Đã tiếp nhận."},
		{ID: "answer", Title: "Kiến nghị về giao thông", Body: filler, Answer: "Sở sẽ kiểm tra cầu Cồn Tiên. " + filler},
		{ID: "title", Title: "Cầu Cồn Tiên xuống cấp nghiêm trọng", Body: filler, Answer: "Đã tiếp nhận."},
	}
	for i := range docs {
		docs[i].State, docs[i].CreatedAt, docs[i].PublishedAt = "published", Epoch, Epoch
	}
	if err := ix.Index(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"cầu cồn tiên", "con tien", "cồn"} {
		res := run(t, ix, search.Query{Text: q})
		if got := hitIDs(res); len(got) != 3 || got[0] != "title" {
			t.Errorf("%q: order %v, want the title match first of 3", q, got)
		}
	}
}

func testPhraseAdjacency(t *testing.T, ix search.Indexer) {
	ctx := context.Background()
	docs := []search.Doc{
		{ID: "adjacent", Title: "Hỏi về thủ tục đất đai", Body: "Nội dung."},
		{ID: "apart", Title: "Đất đai và thủ tục", Body: "Nội dung."},
		{ID: "split", Title: "Thủ tục", Body: "Đất đai."},
		{ID: "punct", Title: "Thủ tục: đất-đai!", Body: "Nội dung."},
	}
	if err := ix.Index(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{`"thủ tục đất đai"`, []string{"adjacent", "punct"}},
		{`"thu tuc dat dai"`, []string{"adjacent", "punct"}},
		{`"đất đai và"`, []string{"apart"}},
		{`"tục đất đai"`, []string{"adjacent", "punct"}}, // not across title and body
		{`"tục đất"`, []string{"adjacent", "punct"}},
		{"thủ tục đất đai", []string{"adjacent", "apart", "punct", "split"}},
		{`"thủ tục" "đất đai"`, []string{"adjacent", "apart", "punct", "split"}},
		{`"tục đất" thủ`, []string{"adjacent", "punct"}},
	} {
		if got := all(t, ix, search.Query{Text: tc.q}); !slices.Equal(got, tc.want) {
			t.Errorf("%s: found %v, want %v", tc.q, got, tc.want)
		}
	}
}

func testUpsertDelete(t *testing.T, ix search.Indexer) {
	ctx := context.Background()
	d := search.Doc{ID: "t1", Agency: "longxuyen", Scope: []string{"ubnd-tinh", "longxuyen"}, Kind: "question",
		Topic: "dat-dai", State: "queued", Year: 2025, Title: "Xin hỏi về sổ đỏ", Body: "Nội dung cũ về sổ đỏ.", CreatedAt: Epoch}
	if err := ix.Index(ctx, d); err != nil {
		t.Fatal(err)
	}
	d2 := d
	d2.Title, d2.Body, d2.State, d2.Kind = "Xin hỏi về giấy phép", "Nội dung mới.", "published", "feedback"
	d2.PublishedAt = Epoch.Add(time.Hour)
	if err := ix.Index(ctx, d2, search.Doc{ID: "t2", Title: "Khác hẳn", Body: "Không liên quan.", CreatedAt: Epoch}); err != nil {
		t.Fatal(err)
	}
	if n, err := ix.Count(ctx); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}
	if got := all(t, ix, search.Query{Text: "sổ đỏ"}); len(got) != 0 {
		t.Errorf("old text still found: %v", got)
	}
	res := run(t, ix, search.Query{Text: "giấy phép"})
	if len(res.Hits) != 1 || res.Hits[0].ID != "t1" || res.Hits[0].State != "published" || res.Hits[0].Kind != "feedback" {
		t.Errorf("new text: %+v", res.Hits)
	}
	if got := all(t, ix, search.Query{States: []string{"queued"}}); len(got) != 0 {
		t.Errorf("old state still found: %v", got)
	}
	if got := all(t, ix, search.Query{Kind: "feedback"}); !slices.Equal(got, []string{"t1"}) {
		t.Errorf("new kind: %v", got)
	}
	if err := ix.Delete(ctx, "t1", "no-such-id"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := all(t, ix, search.Query{Text: "giấy phép"}); len(got) != 0 {
		t.Errorf("deleted document found: %v", got)
	}
	if got, _ := ix.Suggest(ctx, "giấy ph", search.Query{}, 5); len(got) != 0 {
		t.Errorf("deleted document suggested: %v", got)
	}
	if n, err := ix.Count(ctx); err != nil || n != 1 {
		t.Errorf("Count after delete = %d, %v; want 1", n, err)
	}
	if err := ix.Delete(ctx); err != nil {
		t.Errorf("Delete(): %v", err)
	}
	if err := ix.Index(ctx); err != nil {
		t.Errorf("Index(): %v", err)
	}
}

func testEscaping(t *testing.T, ix search.Indexer) {
	ctx := context.Background()
	d := search.Doc{
		ID:     "x",
		Title:  `<b onmouseover="x">Đất</b> & "đai" <script>alert('t')</script>`,
		Body:   `Mở đầu <script>alert("đất")</script> <img src=x onerror=alert(1)> đất đai &amp; 'quote' </mark><mark>`,
		Answer: "<iframe src=//evil>đất</iframe>",
	}
	if err := ix.Index(ctx, d); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"đất", "script alert", "mark", `"đất đai"`} {
		res := run(t, ix, search.Query{Text: q})
		if len(res.Hits) != 1 {
			t.Fatalf("%q: %d hits", q, len(res.Hits))
		}
		h := res.Hits[0]
		if !strings.Contains(h.TitleHTML+h.SnippetHTML, "<mark>") {
			t.Errorf("%q: nothing marked in %q / %q", q, h.TitleHTML, h.SnippetHTML)
		}
		for _, s := range []string{h.TitleHTML, h.SnippetHTML} {
			if rest := stripTags(s); strings.ContainsAny(rest, `<>"'`) {
				t.Errorf("%q: unescaped markup in %q", q, s)
			}
			if strings.Count(s, "<mark>") != strings.Count(s, "</mark>") {
				t.Errorf("%q: unbalanced marks in %q", q, s)
			}
		}
	}
	sug, err := ix.Suggest(ctx, "scri", search.Query{}, 5)
	if err != nil || len(sug) != 1 {
		t.Fatalf("Suggest: %v, %v", sug, err)
	}
	if rest := stripTags(sug[0].TitleHTML); strings.ContainsAny(rest, `<>"'`) {
		t.Errorf("suggestion: unescaped markup in %q", sug[0].TitleHTML)
	}
}

func testStates(t *testing.T, ix search.Indexer) {
	ctx := context.Background()
	var docs []search.Doc
	for i, st := range []string{"queued", "assigned", "pending_approval", "published", "rejected", "archived"} {
		docs = append(docs, search.Doc{ID: st, State: st, Agency: "soyt", Scope: []string{"ubnd-tinh", "soyt"},
			Title: "Hỏi về bảo hiểm y tế", Body: "Nội dung " + st, CreatedAt: Epoch.Add(time.Duration(i) * time.Hour)})
	}
	docs = append(docs, search.Doc{ID: "other", State: "queued", Agency: "sogddt", Scope: []string{"ubnd-tinh", "sogddt"},
		Title: "Hỏi về bảo hiểm y tế học sinh", Body: "Nội dung", CreatedAt: Epoch})
	if err := ix.Index(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	// An officer of soyt, open work only.
	q := search.Query{Text: "bảo hiểm", Scope: []string{"soyt"}, States: []string{"queued", "assigned", "pending_approval"}}
	if got := all(t, ix, q); !slices.Equal(got, []string{"assigned", "pending_approval", "queued"}) {
		t.Errorf("open states: %v", got)
	}
	q.Text, q.Sort = "", search.SortNewest
	res := run(t, ix, q)
	if got := hitIDs(res); !slices.Equal(got, []string{"pending_approval", "assigned", "queued"}) {
		t.Errorf("newest by creation time when unpublished: %v", got)
	}
	sug, err := ix.Suggest(ctx, "bảo h", search.Query{Scope: []string{"soyt"}, States: []string{"rejected"}}, 10)
	if err != nil || len(sug) != 1 || sug[0].ID != "rejected" {
		t.Errorf("Suggest with states: %v, %v", sug, err)
	}
}

// testConcurrent searches (with facets, newest first, suggestions) while the
// same documents are indexed again in small batches: no errors, and the
// counts never see a document missing or twice.
func testConcurrent(t *testing.T, ix search.Indexer, docs []search.Doc) {
	ctx := context.Background()
	if err := ix.Index(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 16)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(stop)
		for i := 0; i < len(docs); i += 15 {
			batch := slices.Clone(docs[i:min(i+15, len(docs))])
			for k := range batch {
				batch[k].Title += " (sửa)"
			}
			if err := ix.Index(ctx, batch...); err != nil {
				errs <- err
				return
			}
		}
	}()
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				q := search.Query{Facets: true, PerPage: 5}
				switch (w + i) % 3 {
				case 1:
					q.Text = "dân"
				case 2:
					q.Sort = search.SortNewest
				}
				res, err := ix.Search(ctx, q)
				if err != nil {
					errs <- err
					return
				}
				kinds := 0
				for _, n := range res.Facets.Kind {
					kinds += n
				}
				if kinds != res.Total || (q.Text == "" && res.Total != len(docs)) {
					errs <- fmt.Errorf("%+v: Total %d, kind facets %d", q, res.Total, kinds)
					return
				}
				if _, err := ix.Suggest(ctx, "h", search.Query{}, 5); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testClose(t *testing.T, ix search.Indexer) {
	ctx := context.Background()
	if err := ix.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := ix.Search(ctx, search.Query{Text: "x"}); !errors.Is(err, search.ErrClosed) {
		t.Errorf("Search after Close: %v, want ErrClosed", err)
	}
	if err := ix.Ping(ctx); !errors.Is(err, search.ErrClosed) {
		t.Errorf("Ping after Close: %v, want ErrClosed", err)
	}
	if err := ix.Index(ctx, search.Doc{ID: "x"}); !errors.Is(err, search.ErrClosed) {
		t.Errorf("Index after Close: %v, want ErrClosed", err)
	}
	if err := ix.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
