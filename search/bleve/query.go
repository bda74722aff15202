package bleve

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	blv "github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"tuongtac/search"
)

// titleBoost weighs the optional title clauses against the match in "text"
// (which holds the title too).
const titleBoost = 3

// clause is one condition a document must meet: one of the terms any, or,
// when phrase is set, the triples of a phrase of four or more words at
// consecutive positions of "triples". Both the Bleve queries and the bitmap
// evaluation in matches.go are built from clauses, so they cannot disagree.
type clause struct {
	any    []fieldTerm
	phrase []string
}

type fieldTerm struct{ field, term string }

// gram is the "pairs" or "triples" term of adjacent words.
func gram(words ...string) string { return strings.Join(words, gramSeparator) }

// textClauses requires every term of p in "text" and every phrase: a two-
// or three-word phrase is one term of "pairs" or "triples", a longer one its
// triples at consecutive positions.
func textClauses(p search.Parsed) []clause {
	var cs []clause
	for _, t := range p.Terms {
		cs = append(cs, clause{any: []fieldTerm{{"text", t}}})
	}
	for _, ph := range p.Phrases {
		switch len(ph) {
		case 2:
			cs = append(cs, clause{any: []fieldTerm{{"pairs", gram(ph...)}}})
		case 3:
			cs = append(cs, clause{any: []fieldTerm{{"triples", gram(ph...)}}})
		default:
			ts := make([]string, len(ph)-2)
			for i := range ts {
				ts[i] = gram(ph[i : i+3]...)
			}
			cs = append(cs, clause{phrase: ts})
		}
	}
	return cs
}

// filterClauses expresses q's filters.
func filterClauses(q search.Query) []clause {
	var cs []clause
	oneOf := func(field, prefix string, values []string) {
		if len(values) == 0 {
			return
		}
		c := clause{any: make([]fieldTerm, len(values))}
		for i, v := range values {
			c.any[i] = fieldTerm{field, prefix + v}
		}
		cs = append(cs, c)
	}
	oneOf("f", scopePrefix, q.Scope)
	oneOf("state", "", q.States)
	if q.Kind != "" {
		oneOf("f", kindPrefix, []string{q.Kind})
	}
	if q.Topic != "" {
		oneOf("f", topicPrefix, []string{q.Topic})
	}
	if q.Year != 0 {
		oneOf("f", yearPrefix, []string{strconv.Itoa(q.Year)})
	}
	return cs
}

func (c clause) query() query.Query {
	if c.phrase != nil {
		return query.NewPhraseQuery(c.phrase, "triples")
	}
	qs := make([]query.Query, len(c.any))
	for i, ft := range c.any {
		qs[i] = term(ft.field, ft.term)
	}
	return anyOf(qs)
}

func queries(cs []clause) []query.Query {
	qs := make([]query.Query, len(cs))
	for i, c := range cs {
		qs[i] = c.query()
	}
	return qs
}

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
	switch len(qs) {
	case 0:
		return query.NewMatchAllQuery()
	case 1:
		return qs[0]
	}
	return query.NewConjunctionQuery(qs)
}

// Relevance tiers: which documents a ranked query keeps.
type tier int

const (
	anyTitle  tier = iota // every match
	allTitle              // matches whose title holds every word
	someTitle             // the other matches
)

// ranked scores the documents that meet text and filters: BM25 over "text",
// plus boosted title words, plus adjacent typed words (proximity), limited to
// tier t. Filters never change scores.
func ranked(p search.Parsed, text, filters []clause, t tier) query.Query {
	words := p.Words()
	var should, title []query.Query
	for _, w := range words {
		q := term("title", w)
		q.SetBoost(titleBoost)
		should = append(should, q)
		title = append(title, term("title", w))
	}
	for i := 0; i+1 < len(p.Terms); i++ {
		should = append(should, term("pairs", gram(p.Terms[i], p.Terms[i+1])))
	}
	must := queries(text)
	var mustNot []query.Query
	switch t {
	case allTitle:
		must = append(must, title...)
	case someTitle:
		mustNot = append(mustNot, allOf(title))
	}
	b := query.NewBooleanQuery(must, should, mustNot)
	if len(filters) > 0 {
		b.AddFilter(allOf(queries(filters)))
	}
	return b
}

var hitFields = []string{"title", "body", "answer", "agency", "kind", "topic", "state", "created", "published"}

// Search runs q. A search first finds its matches as bitmaps (matches.go),
// which gives Total and the facet counts. Newest first then sorts only the
// newest weeks' matches. Relevance ranks in two tiers: the matches whose
// title holds every word, then the others, each by BM25 with title words
// boosted; the second tier is ranked only when the page reaches it, which
// spares scoring most matches of a common word.
//
// A phrase of four or more words needs positions, which bitmaps do not
// hold: such a search is ranked in one pass, without tiers, that also
// counts, and its matches are collected only for facets or newest first.
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
	text, filters := textClauses(p), filterClauses(q)
	all := append(text[:len(text):len(text)], filters...)
	positional := slices.ContainsFunc(text, func(c clause) bool { return c.phrase != nil })
	newest := p.Blank || q.Sort == search.SortNewest
	from, ok := q.Offset()
	size := q.PerPage
	if !ok {
		from, size = 0, 0
	}

	var ms *matchSet
	if !positional || newest || q.Facets {
		var err error
		if ms, err = ix.matches(ctx, all); err != nil {
			return nil, err
		}
		defer ms.close()
		res.Total = ms.total
		if q.Facets {
			if err := ms.countFacets(&res.Facets); err != nil {
				return nil, err
			}
		}
		if size == 0 || from >= ms.total {
			return res, nil
		}
	}

	var hits []*bsearch.DocumentMatch
	var err error
	switch {
	case newest:
		hits, err = ix.newest(ctx, ms, all, from, size)
	case positional:
		var sr *blv.SearchResult
		sr, err = ix.page(ctx, ranked(p, text, filters, anyTitle), from, size, false)
		if err == nil {
			hits = sr.Hits
			if ms == nil {
				res.Total = int(sr.Total)
			}
		}
	default:
		hits, err = ix.relevant(ctx, p, text, filters, from, size)
	}
	if err != nil {
		return nil, err
	}
	hl := search.NewHighlighter(p)
	for _, h := range hits {
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

// page runs one Bleve request for hits [from, from+size) of bq.
func (ix *Index) page(ctx context.Context, bq query.Query, from, size int, newest bool) (*blv.SearchResult, error) {
	req := blv.NewSearchRequestOptions(bq, size, from, false)
	req.Fields = hitFields
	if newest {
		req.SortBy([]string{"-d"})
		req.Score = blv.ScoreNone
	}
	sr, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: bleve: search: %w", err)
	}
	return sr, nil
}

// newest returns hits [from, from+size) newest first, sorting only the
// matches of the newest weeks that hold them.
func (ix *Index) newest(ctx context.Context, ms *matchSet, cs []clause, from, size int) ([]*bsearch.DocumentMatch, error) {
	weeks, err := ms.newestWeeks(from + size)
	if err != nil {
		return nil, err
	}
	qs := queries(cs)
	if weeks != nil {
		alts := make([]query.Query, len(weeks))
		for i, w := range weeks {
			alts[i] = term("f", w)
		}
		qs = append(qs, anyOf(alts))
	}
	sr, err := ix.page(ctx, allOf(qs), from, size, true)
	if err != nil {
		return nil, err
	}
	return sr.Hits, nil
}

// relevant returns hits [from, from+size) by relevance, title tier first.
func (ix *Index) relevant(ctx context.Context, p search.Parsed, text, filters []clause, from, size int) ([]*bsearch.DocumentMatch, error) {
	first, err := ix.page(ctx, ranked(p, text, filters, allTitle), from, size, false)
	if err != nil {
		return nil, err
	}
	hits := first.Hits
	inTitle := int(first.Total)
	if from+size <= inTitle {
		return hits, nil
	}
	second, err := ix.page(ctx, ranked(p, text, filters, someTitle), max(0, from-inTitle), size-len(hits), false)
	if err != nil {
		return nil, err
	}
	return append(hits, second.Hits...), nil
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
	if fs := filterClauses(q); len(fs) > 0 {
		b.AddFilter(allOf(queries(fs)))
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
