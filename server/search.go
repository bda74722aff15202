package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"tuongtac/moderation"
	"tuongtac/problem"
	"tuongtac/search"
	"tuongtac/search/bleve"
	"tuongtac/store"
	"tuongtac/threads"
)

// OpenIndexes opens the two thread indexes: Bleve under the data dir by
// default. The caller closes them.
func OpenIndexes(cfg Config) (threads.Indexes, error) {
	if cfg.MeiliURL != "" {
		return openMeili(cfg)
	}
	dir := filepath.Join(cfg.DataDir, "search")
	pub, err := bleve.Open(filepath.Join(dir, "public"))
	if err != nil {
		return threads.Indexes{}, fmt.Errorf("search index: %w", err)
	}
	off, err := bleve.Open(filepath.Join(dir, "officer"))
	if err != nil {
		pub.Close()
		return threads.Indexes{}, fmt.Errorf("search index: %w", err)
	}
	return threads.Indexes{Public: pub, Officer: off}, nil
}

func closeIndexes(ix threads.Indexes) error {
	var errs []error
	for _, i := range []search.Indexer{ix.Public, ix.Officer} {
		if i != nil {
			errs = append(errs, i.Close())
		}
	}
	return errors.Join(errs...)
}

// searchQuery reads the search parameters shared by the public and officer
// searches: q, agency, kind, topic, year, sort, page, per_page.
func (a *App) searchQuery(c *fiber.Ctx, f *problem.Fields) search.Query {
	q := search.Query{
		Text: c.Query("q"), Kind: c.Query("kind"), Topic: c.Query("topic"), Sort: c.Query("sort"),
		Page: intQuery(c, "page", "field.page", f), PerPage: intQuery(c, "per_page", "field.per_page", f),
		Facets: true,
	}
	if q.PerPage > search.MaxPerPage {
		f.Add("per_page", "field.per_page")
	}
	if q.Page > search.MaxPage {
		f.Add("page", "field.page")
	}
	if ag := c.Query("agency"); ag != "" {
		if _, ok := a.tree.Get(ag); !ok {
			f.Add("agency", "field.agency.unknown")
		}
		q.Scope = []string{ag}
	}
	if y := c.Query("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			f.Add("year", "field.year")
		}
		q.Year = n
	}
	switch q.Sort {
	case "", search.SortRelevance, search.SortNewest:
	default:
		f.Add("sort", "field.sort")
	}
	if q.Kind != "" && q.Kind != "question" && q.Kind != "feedback" && q.Kind != "complaint" {
		f.Add("kind", "field.kind.oneof")
	}
	return q
}

// searchItem is a hit in the public list's shape, with the highlighted
// title and snippet added, and for officers the state.
type searchItem struct {
	ID          string    `json:"id"`
	Agency      string    `json:"agency"`
	Kind        string    `json:"kind"`
	Topic       string    `json:"topic"`
	Title       string    `json:"title"`
	Excerpt     string    `json:"excerpt"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	State       string    `json:"state,omitempty"`
	TitleHTML   string    `json:"title_html"`
	SnippetHTML string    `json:"snippet_html"`
}

// searchPage is GET /api/v1/threads?q=…: the list's shape plus facets.
type searchPage struct {
	Items   []searchItem `json:"items"`
	Total   int          `json:"total"`
	Page    int          `json:"page"`
	PerPage int          `json:"per_page"`
	Facets  facets       `json:"facets"`
}

type facets struct {
	Agency map[string]int `json:"agency"`
	Kind   map[string]int `json:"kind"`
	Topic  map[string]int `json:"topic"`
	Year   map[string]int `json:"year"`
}

func toFacets(f search.Facets) facets {
	out := facets{Agency: f.Agency, Kind: f.Kind, Topic: f.Topic, Year: map[string]int{}}
	for y, n := range f.Year {
		out.Year[strconv.Itoa(y)] = n
	}
	for _, m := range []*map[string]int{&out.Agency, &out.Kind, &out.Topic} {
		if *m == nil {
			*m = map[string]int{}
		}
	}
	return out
}

func toSearchPage(r *search.Result, withState bool) searchPage {
	p := searchPage{Items: make([]searchItem, 0, len(r.Hits)), Total: r.Total, Page: r.Page, PerPage: r.PerPage, Facets: toFacets(r.Facets)}
	for _, h := range r.Hits {
		it := searchItem{
			ID: h.ID, Agency: h.Agency, Kind: h.Kind, Topic: h.Topic,
			Title: threads.HighlightText(h.TitleHTML), Excerpt: threads.HighlightText(h.SnippetHTML),
			PublishedAt: h.PublishedAt, TitleHTML: h.TitleHTML, SnippetHTML: h.SnippetHTML,
		}
		if withState {
			it.State = h.State
		}
		p.Items = append(p.Items, it)
	}
	return p
}

// publicSearch runs a search over published threads only.
func (a *App) publicSearch(ctx context.Context, q search.Query) (*search.Result, error) {
	q.States = []string{threads.StatePublished}
	r, err := a.indexes.Public.Search(ctx, q)
	if err != nil {
		return nil, unavailable(err)
	}
	return r, nil
}

// unavailable turns a backend failure into a 503 the client may retry.
func unavailable(err error) error {
	return &problem.Error{Kind: problem.KindUnavailable, Message: problem.Msg("error.search_unavailable"), RetryAfter: 5}
}

func (a *App) apiSearchThreads(c *fiber.Ctx) error {
	var f problem.Fields
	q := a.searchQuery(c, &f)
	if err := f.Err(); err != nil {
		return err
	}
	r, err := a.publicSearch(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(toSearchPage(r, false))
}

// apiSuggest offers published titles as the person types.
func (a *App) apiSuggest(c *fiber.Ctx) error {
	var f problem.Fields
	q := a.searchQuery(c, &f)
	if err := f.Err(); err != nil {
		return err
	}
	q.States = []string{threads.StatePublished}
	limit := intQuery(c, "limit", "field.suggest_limit", &f)
	if limit > search.MaxSuggestions || c.Query("limit") != "" && limit == 0 {
		f.Add("limit", "field.suggest_limit")
	}
	if err := f.Err(); err != nil {
		return err
	}
	ss, err := a.indexes.Public.Suggest(c.UserContext(), c.Query("q"), q, limit)
	if err != nil {
		return unavailable(err)
	}
	type item struct {
		ID        string `json:"id"`
		Title     string `json:"title"`
		TitleHTML string `json:"title_html"`
	}
	items := make([]item, 0, len(ss))
	for _, s := range ss {
		items = append(items, item{s.ID, s.Title, s.TitleHTML})
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.JSON(fiber.Map{"items": items})
}

// apiModSearch is the officers' full-text search over their own agencies'
// threads in every state; the scope is the caller's, whatever is asked.
func (a *App) apiModSearch(c *fiber.Ctx) error {
	var f problem.Fields
	q := a.searchQuery(c, &f)
	if st := c.Query("state"); st != "" {
		q.States = []string{st}
		known := false
		for _, s := range threads.States {
			known = known || s == st
		}
		if !known {
			f.Add("state", "field.state.oneof")
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	r, err := a.officerSearch(c.UserContext(), actor(a.session(c)), q)
	if err != nil {
		return err
	}
	return c.JSON(toSearchPage(r, true))
}

// officerSearch limits q to the actor's agencies (an asked-for agency must be
// one of them or inside one) and searches the officers' index.
func (a *App) officerSearch(ctx context.Context, act *moderation.Actor, q search.Query) (*search.Result, error) {
	scopes := act.Scopes(a.tree)
	if len(q.Scope) == 1 {
		if !act.Can(a.tree, q.Scope[0], "officer") {
			return nil, problem.Forbidden()
		}
	} else {
		q.Scope = scopes
	}
	if len(q.Scope) == 0 {
		return nil, problem.Forbidden()
	}
	r, err := a.indexes.Officer.Search(ctx, q)
	if err != nil {
		return nil, unavailable(err)
	}
	return r, nil
}

// reindex is `tuongtac reindex`: rebuild both search indexes from the
// documents, with the server stopped.
func reindex(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	cfg := Flags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := OpenStore(ctx, *cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	ix, err := OpenIndexes(*cfg)
	if err != nil {
		return err
	}
	defer closeIndexes(ix)
	start := time.Now()
	n, err := Reindex(ctx, db, ix)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reindex: %d threads in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// Reindex writes every thread to both indexes as it is now, in id order.
// Index entries still waiting are harmless: draining them writes the same.
func Reindex(ctx context.Context, db store.DB, ix threads.Indexes) (int, error) {
	st := threads.NewStore(db)
	st.SetIndexes(ix)
	c := db.Collection("threads")
	after, n := "", 0
	for {
		page, err := c.Scan(ctx, after, 1000)
		if err != nil {
			return n, err
		}
		if len(page) == 0 {
			return n, nil
		}
		ts := make([]*threads.Thread, 0, len(page))
		for _, d := range page {
			var t threads.Thread
			if err := json.Unmarshal(d.JSON, &t); err != nil {
				return n, fmt.Errorf("reindex %s: %w", d.ID, err)
			}
			ts = append(ts, &t)
			after = d.ID
		}
		if err := st.IndexAll(ctx, ts); err != nil {
			return n, err
		}
		n += len(ts)
	}
}
