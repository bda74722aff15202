package main

import (
	"html/template"
	"net/url"
	"sort"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"tuongtac/i18n"
	"tuongtac/problem"
	"tuongtac/search"
	"tuongtac/threads"
)

// searchHit is a search result as the page shows it. The HTML fields come
// from the search package, which escapes all stored text and adds only
// <mark> tags around matched words.
type searchHit struct {
	ID          string
	Agency      string
	Kind        string
	PublishedAt any
	TitleHTML   template.HTML
	SnippetHTML template.HTML
}

type facetLink struct {
	Label  string
	Count  int
	URL    string
	Active bool
}

type searchData struct {
	Q, Agency, Kind, Sort string
	Year                  int
	Searched              bool
	Total                 int
	Hits                  []searchHit
	Pager                 pager
	Groups                []agencyGroup
	Kinds                 []string
	KindFacets            []facetLink
	YearFacets            []facetLink
	AgencyFacets          []facetLink
	Error                 string
}

// pageSearch is /search: the public search with filters, facets and
// highlighted results; it works as a plain GET form without JavaScript.
func (a *App) pageSearch(c *fiber.Ctx) error {
	lang := langOf(c)
	var f problem.Fields
	q := a.searchQuery(c, &f)
	q.Page, q.PerPage = pageNumber(c), threads.DefaultPerPage
	d := searchData{Q: q.Text, Agency: c.Query("agency"), Kind: q.Kind, Sort: q.Sort, Year: q.Year,
		Groups: a.agencyGroups(lang, ""), Kinds: threads.Kinds}
	if err := f.Err(); err != nil {
		// A hand-edited address: show the form with the message, not an error page.
		d.Error = msg(lang, problem.Msg("error.validation"))
		return a.render(c, fiber.StatusBadRequest, "search", a.page(c, "threads", i18n.T(lang, "search.heading"), d))
	}
	d.Searched = q.Text != "" || c.Query("agency") != "" || q.Kind != "" || q.Year != 0
	if d.Searched {
		r, err := a.publicSearch(c.UserContext(), q)
		if err != nil {
			return err
		}
		d.Total = r.Total
		for _, h := range r.Hits {
			d.Hits = append(d.Hits, searchHit{ID: h.ID, Agency: h.Agency, Kind: h.Kind, PublishedAt: h.PublishedAt,
				TitleHTML: template.HTML(h.TitleHTML), SnippetHTML: template.HTML(h.SnippetHTML)})
		}
		params := url.Values{}
		for _, k := range []string{"q", "agency", "kind", "year", "sort"} {
			if v := c.Query(k); v != "" {
				params.Set(k, v)
			}
		}
		d.Pager = makePager("/search", params, q.Page, pageCount(int64(min(r.Total, search.MaxPage*q.PerPage)), q.PerPage))
		link := func(key, val string) string {
			v := url.Values{}
			for k, vs := range params {
				v[k] = vs
			}
			if v.Get(key) == val {
				v.Del(key)
			} else {
				v.Set(key, val)
			}
			return "/search?" + v.Encode()
		}
		for _, k := range threads.Kinds {
			if n := r.Facets.Kind[k]; n > 0 {
				d.KindFacets = append(d.KindFacets, facetLink{i18n.T(lang, "kind."+k), n, link("kind", k), k == q.Kind})
			}
		}
		years := make([]int, 0, len(r.Facets.Year))
		for y := range r.Facets.Year {
			years = append(years, y)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(years)))
		for _, y := range years {
			d.YearFacets = append(d.YearFacets, facetLink{strconv.Itoa(y), r.Facets.Year[y], link("year", strconv.Itoa(y)), y == q.Year})
		}
		// Agencies: the children of the current filter (or the province's).
		parent := d.Agency
		if parent == "" {
			parent = a.tree.Root().ID
		}
		for _, ch := range a.tree.Children(parent) {
			if n := r.Facets.Agency[ch.ID]; n > 0 {
				d.AgencyFacets = append(d.AgencyFacets, facetLink{ch.DisplayName(lang), n, link("agency", ch.ID), false})
			}
		}
		sort.SliceStable(d.AgencyFacets, func(i, j int) bool { return d.AgencyFacets[i].Count > d.AgencyFacets[j].Count })
		if len(d.AgencyFacets) > 12 {
			d.AgencyFacets = d.AgencyFacets[:12]
		}
	}
	return a.render(c, fiber.StatusOK, "search", a.page(c, "threads", i18n.T(lang, "search.heading"), d))
}

// consoleSearchData is the officers' search page.
type consoleSearchData struct {
	Q, State string
	States   []string
	Searched bool
	Total    int
	Hits     []consoleHit
	Pager    pager
}

type consoleHit struct {
	ID, Agency, State string
	TitleHTML         template.HTML
	SnippetHTML       template.HTML
}

// pageConsoleSearch is /console/search: full-text search over the officer's
// own agencies' threads in every state, as written (officers see the
// original), filtered on the server to the officer's agencies.
func (a *App) pageConsoleSearch(c *fiber.Ctx) error {
	lang := langOf(c)
	var f problem.Fields
	q := a.searchQuery(c, &f)
	q.Page, q.PerPage = pageNumber(c), threads.DefaultPerPage
	d := consoleSearchData{Q: q.Text, State: c.Query("state"), States: threads.States}
	if d.State != "" {
		q.States = []string{d.State}
	}
	if err := f.Err(); err != nil {
		return err
	}
	if d.Searched = q.Text != "" || d.State != ""; d.Searched {
		r, err := a.officerSearch(c.UserContext(), actor(a.session(c)), q)
		if err != nil {
			return err
		}
		d.Total = r.Total
		for _, h := range r.Hits {
			d.Hits = append(d.Hits, consoleHit{ID: h.ID, Agency: h.Agency, State: h.State,
				TitleHTML: template.HTML(h.TitleHTML), SnippetHTML: template.HTML(h.SnippetHTML)})
		}
		params := url.Values{}
		for _, k := range []string{"q", "state"} {
			if v := c.Query(k); v != "" {
				params.Set(k, v)
			}
		}
		d.Pager = makePager("/console/search", params, q.Page, pageCount(int64(min(r.Total, search.MaxPage*q.PerPage)), q.PerPage))
	}
	return a.render(c, fiber.StatusOK, "console_search", a.page(c, "console", i18n.T(lang, "search.officer_heading"), d))
}
