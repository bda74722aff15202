package bleve

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	blv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"tuongtac/search"
)

// titleBoost weighs the optional title clauses against the match in "text"
// (which holds the title too), so that title matches come first.
const titleBoost = 3

// term is a term query on field: values are matched as they are, never
// parsed.
func term(field, value string) *query.TermQuery {
	q := query.NewTermQuery(value)
	q.SetField(field)
	return q
}

func anyOf(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

func allOf(qs []query.Query) query.Query {
	if len(qs) == 1 {
		return qs[0]
	}
	return query.NewConjunctionQuery(qs)
}

// filter is the conjunction of q's filters, nil when there are none.
func filter(q search.Query) query.Query {
	var must []query.Query
	oneOf := func(field, prefix string, values []string) {
		if len(values) == 0 {
			return
		}
		alts := make([]query.Query, len(values))
		for i, v := range values {
			alts[i] = term(field, prefix+v)
		}
		must = append(must, anyOf(alts))
	}
	oneOf("f", scopePrefix, q.Scope)
	oneOf("state", "", q.States)
	if q.Kind != "" {
		must = append(must, term("f", kindPrefix+q.Kind))
	}
	if q.Topic != "" {
		must = append(must, term("f", topicPrefix+q.Topic))
	}
	if q.Year != 0 {
		must = append(must, term("f", yearPrefix+strconv.Itoa(q.Year)))
	}
	if len(must) == 0 {
		return nil
	}
	return allOf(must)
}

// required lists what a document must contain: every term in "text" and
// every phrase as adjacent pairs in "pairs".
func required(p search.Parsed) []query.Query {
	var must []query.Query
	for _, t := range p.Terms {
		must = append(must, term("text", t))
	}
	for _, ph := range p.Phrases {
		ps := make([]string, len(ph)-1)
		for i := range ps {
			ps[i] = ph[i] + pairSeparator + ph[i+1]
		}
		if len(ps) == 1 {
			must = append(must, term("pairs", ps[0]))
		} else {
			must = append(must, query.NewPhraseQuery(ps, "pairs"))
		}
	}
	return must
}

// matchQuery selects the documents p and f match, for unscored passes
// (counting, facets, newest first). Without words it selects by f alone.
func matchQuery(p search.Parsed, f query.Query) query.Query {
	must := required(p)
	if f != nil {
		must = append(must, f)
	}
	if len(must) == 0 {
		return query.NewMatchAllQuery()
	}
	return allOf(must)
}

// rankedQuery matches as matchQuery does and scores: BM25 over "text", plus
// boosted title matches, plus adjacent typed words (proximity). f filters
// without scoring.
func rankedQuery(p search.Parsed, f query.Query) query.Query {
	var should []query.Query
	for _, w := range p.Words() {
		q := term("title", w)
		q.SetBoost(titleBoost)
		should = append(should, q)
	}
	for i := 0; i+1 < len(p.Terms); i++ {
		should = append(should, term("pairs", p.Terms[i]+pairSeparator+p.Terms[i+1]))
	}
	b := query.NewBooleanQuery(required(p), should, nil)
	if f != nil {
		b.AddFilter(f)
	}
	return b
}

var hitFields = []string{"title", "body", "answer", "agency", "kind", "topic", "state", "created", "published"}

// Search runs q: ranked by relevance through Bleve's scorer, or newest first
// (and counted and faceted) through the match-set pass in matches.go.
func (ix *Index) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	if err := ix.check(); err != nil {
		return nil, err
	}
	q = q.Normalized()
	res := &search.Result{Page: q.Page, PerPage: q.PerPage, Hits: []search.Hit{}}
	p := search.Parse(q.Text)
	if q.Facets {
		res.Facets = search.Facets{Agency: map[string]int{}, Kind: map[string]int{}, Topic: map[string]int{}, Year: map[int]int{}}
	}
	if !p.Blank && p.Empty() {
		return res, nil // characters but no words: nothing can match
	}
	f := filter(q)
	from, ok := q.Offset()
	size := q.PerPage
	if !ok {
		from, size = 0, 0
	}
	newest := p.Blank || q.Sort == search.SortNewest

	var req *blv.SearchRequest
	if newest || q.Facets {
		ms, err := ix.matches(ctx, matchQuery(p, f))
		if err != nil {
			return nil, err
		}
		defer ms.close()
		res.Total = ms.total
		if q.Facets {
			if err := ms.countFacets(&res.Facets); err != nil {
				return nil, err
			}
		}
		if newest && size > 0 && from < ms.total {
			page := matchQuery(p, f)
			if months, err := ms.newestMonths(from + size); err != nil {
				return nil, err
			} else if months != nil {
				alts := make([]query.Query, len(months))
				for i, m := range months {
					alts[i] = term("f", m)
				}
				page = query.NewConjunctionQuery([]query.Query{page, anyOf(alts)})
			}
			req = blv.NewSearchRequestOptions(page, size, from, false)
			req.SortBy([]string{"-d"})
			req.Score = blv.ScoreNone
		}
	}
	if !newest {
		req = blv.NewSearchRequestOptions(rankedQuery(p, f), size, from, false)
	}
	if req == nil {
		return res, nil
	}
	req.Fields = hitFields
	sr, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: bleve: search: %w", err)
	}
	if !newest && !q.Facets {
		res.Total = int(sr.Total)
	}
	hl := search.NewHighlighter(p)
	for _, h := range sr.Hits {
		res.Hits = append(res.Hits, search.Hit{
			ID:          h.ID,
			Score:       h.Score,
			TitleHTML:   hl.HTML(str(h.Fields["title"])),
			SnippetHTML: hl.Snippet(str(h.Fields["body"]), str(h.Fields["answer"])),
			Agency:      str(h.Fields["agency"]),
			Kind:        str(h.Fields["kind"]),
			Topic:       str(h.Fields["topic"]),
			State:       str(h.Fields["state"]),
			CreatedAt:   parseTime(h.Fields["created"]),
			PublishedAt: parseTime(h.Fields["published"]),
		})
	}
	return res, nil
}

// addFacet files one "f" term's count under its facet.
func addFacet(out *search.Facets, t string, n int) {
	switch {
	case strings.HasPrefix(t, scopePrefix):
		out.Agency[t[len(scopePrefix):]] = n
	case strings.HasPrefix(t, kindPrefix):
		out.Kind[t[len(kindPrefix):]] = n
	case strings.HasPrefix(t, topicPrefix):
		out.Topic[t[len(topicPrefix):]] = n
	case strings.HasPrefix(t, yearPrefix):
		if y, err := strconv.Atoi(t[len(yearPrefix):]); err == nil {
			out.Year[y] = n
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func parseTime(v any) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, str(v))
	return t
}

// Suggest returns titles whose words start with what is typed: complete words
// as title terms, the last, partial word as an edge n-gram of a title word.
func (ix *Index) Suggest(ctx context.Context, prefix string, q search.Query, limit int) ([]search.Suggestion, error) {
	if err := ix.check(); err != nil {
		return nil, err
	}
	limit = search.SuggestLimit(limit)
	words, last := search.ParsePrefix(prefix)
	if len(words) == 0 && last == "" {
		return []search.Suggestion{}, nil
	}
	var must []query.Query
	for _, w := range words {
		must = append(must, term("title", w))
	}
	if last != "" {
		if utf8.RuneCountInString(last) <= maxPrefixRunes {
			must = append(must, term("title_prefix", last))
		} else {
			pq := query.NewPrefixQuery(last)
			pq.SetField("title")
			must = append(must, pq)
		}
	}
	b := query.NewBooleanQuery(must, nil, nil)
	if f := filter(q); f != nil {
		b.AddFilter(f)
	}
	req := blv.NewSearchRequestOptions(b, limit, 0, false)
	req.Fields = []string{"title"}
	sr, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: bleve: suggest: %w", err)
	}
	hl := search.NewPrefixHighlighter(words, last)
	out := make([]search.Suggestion, 0, len(sr.Hits))
	for _, h := range sr.Hits {
		t := str(h.Fields["title"])
		out = append(out, search.Suggestion{ID: h.ID, Title: t, TitleHTML: hl.HTML(t)})
	}
	return out, nil
}
