// Package search is the full-text search of threads (Article 6.1.a: find what
// people look for "fully and accurately"): one Indexer interface that feature
// packages use, the Vietnamese analysis every backend shares, and the parsing
// of what a person types into terms and phrases.
//
// Backends live in sub-packages: search/bleve (the embedded default, files
// under the data directory) and search/meili (Meilisearch). Both pass the
// contract suite in search/searchtest.
//
// What a person types is never query syntax. Text is cut to MaxQueryRunes
// characters, split into words and "quoted phrases", and every other
// character (+ - : * ? ~ ^ ( ) [ ] { } \ / ! and the rest) is only a word
// separator. Backends build their queries from the parsed words, never from a
// query-string language.
//
// The package keeps no knowledge of who may see what: the caller decides which
// text goes into which index (masked public text in the public index, the
// original in the officers' index) and which Scope and States an officer's
// query is limited to.
package search

import (
	"context"
	"errors"
	"time"
)

// Paging limits. PerPage above MaxPerPage is clamped to MaxPerPage (not an
// error), zero or negative means DefaultPerPage; Page below 1 means 1. Pages
// past the last one, and every page beyond MaxPage, are empty while Total
// still counts every match: no request reads more than MaxPage*MaxPerPage
// ranked hits.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	MaxPage        = 1000
)

// Suggestion limits: Suggest returns DefaultSuggestions titles when asked for
// zero or fewer, and never more than MaxSuggestions.
const (
	DefaultSuggestions = 8
	MaxSuggestions     = 20
)

// Sort orders for Query.Sort.
const (
	// SortRelevance puts title matches first: threads whose title holds
	// every word, then the others, each ranked by how well the words match
	// (Meilisearch: title before answer before body). It is the default. A
	// query without words has no relevance and is sorted as SortNewest.
	SortRelevance = "relevance"
	// SortNewest orders by PublishedAt, newest first, falling back to
	// CreatedAt for threads that are not published (the officers' index).
	SortNewest = "newest"
)

// ErrClosed is returned (wrapped) by every method of a closed Indexer.
var ErrClosed = errors.New("search: index closed")

// Doc is one thread as an index holds it. The caller decides what text goes
// in: the masked public view for the public index, the original for the
// officers' index.
type Doc struct {
	ID     string
	Agency string
	// Scope is the agency and all its ancestors (agencies.Tree.Ancestors), so
	// "agency X and its whole subtree" is one term filter on Scope.
	Scope  []string
	Kind   string
	Topic  string
	State  string
	Year   int
	Title  string
	Body   string
	Answer string
	// CreatedAt and PublishedAt feed SortNewest; PublishedAt is zero for a
	// thread that is not published.
	CreatedAt   time.Time
	PublishedAt time.Time
}

// SortTime is the time SortNewest orders by: PublishedAt, or CreatedAt for a
// thread that was never published.
func (d Doc) SortTime() time.Time {
	if d.PublishedAt.IsZero() {
		return d.CreatedAt
	}
	return d.PublishedAt
}

// Query is one search. Text is the raw user input; everything else is a
// filter the caller sets (and, for officers, enforces).
type Query struct {
	// Text is what the person typed, parsed by Parse: words must all
	// match, in any of title, answer and body; "quoted phrases" must match
	// words adjacent and in order. Blank text lists every thread that
	// passes the filters; text with no words at all (only punctuation)
	// matches nothing.
	Text string
	// Scope keeps threads whose Scope holds any of these agency ids; empty
	// means no agency filter. Officers' queries must set it.
	Scope []string
	Kind  string
	Topic string
	Year  int
	// States keeps threads in any of these states; empty means no filter.
	States []string
	// Sort is SortRelevance (default, also for "") or SortNewest.
	Sort    string
	Page    int
	PerPage int
	// Facets asks for counts per agency, kind, topic and year over every
	// match (not only the page).
	Facets bool
}

// Normalized returns q with paging and sort filled in as documented on the
// constants: Page ≥ 1, 1 ≤ PerPage ≤ MaxPerPage, Sort one of the two orders.
// Backends call it; callers may, to echo the effective values.
func (q Query) Normalized() Query {
	if q.Page < 1 {
		q.Page = 1
	}
	switch {
	case q.PerPage <= 0:
		q.PerPage = DefaultPerPage
	case q.PerPage > MaxPerPage:
		q.PerPage = MaxPerPage
	}
	if q.Sort != SortNewest {
		q.Sort = SortRelevance
	}
	return q
}

// Offset is the number of ranked hits before the page, and ok is false when
// the page lies beyond MaxPage, so that backends return it empty without
// ranking anything. q must be normalized.
func (q Query) Offset() (offset int, ok bool) {
	if q.Page > MaxPage {
		return 0, false
	}
	return (q.Page - 1) * q.PerPage, true
}

// Result is one page of hits.
type Result struct {
	// Total counts every match, not only this page.
	Total   int
	Page    int
	PerPage int
	Hits    []Hit
	// Facets is filled when Query.Facets is set.
	Facets Facets
}

// Hit is one matching thread. TitleHTML and SnippetHTML are HTML: the stored
// text escaped, with the words that matched wrapped in <mark>…</mark> and
// nothing else unescaped, so templates may insert them as they are
// (template.HTML) and hostile text such as <script> stays text.
type Hit struct {
	ID string
	// Score is the backend's own relevance measure, for debugging: not
	// comparable between backends or queries, zero in newest order.
	Score       float64
	TitleHTML   string
	SnippetHTML string
	// The thread's labels, so a result list renders without reading the
	// store.
	Agency      string
	Kind        string
	Topic       string
	State       string
	CreatedAt   time.Time
	PublishedAt time.Time
}

// Facets counts matches per value. Agency counts per agency id in Scope
// terms, so a district's count includes its communes' threads; the caller
// picks which agencies to show (typically the children of the current
// filter).
type Facets struct {
	Agency map[string]int
	Kind   map[string]int
	Topic  map[string]int
	Year   map[int]int
}

// Suggestion is one title offered while the person types.
type Suggestion struct {
	ID string
	// Title is plain text: escape it when showing it.
	Title string
	// TitleHTML is Title escaped with the typed words marked, as in Hit.
	TitleHTML string
}

// Indexer is a search index of threads. Implementations are safe for
// concurrent use. After Index or Delete returns, Search sees the change.
type Indexer interface {
	// Index adds documents or replaces those with the same ID.
	Index(ctx context.Context, docs ...Doc) error
	// Delete removes documents by ID; unknown IDs are ignored.
	Delete(ctx context.Context, ids ...string) error
	// Search runs q. Bad user text is never an error: it is text.
	Search(ctx context.Context, q Query) (*Result, error)
	// Suggest returns up to limit titles whose words start with what is
	// typed in prefix (diacritics optional; every word but the last must be
	// complete), keeping q's Scope, States, Kind, Topic and Year filters.
	// q.Text, paging and sort are ignored.
	Suggest(ctx context.Context, prefix string, q Query, limit int) ([]Suggestion, error)
	// Count is the number of documents in the index.
	Count(ctx context.Context) (int, error)
	// Ping reports whether the index can serve, for readiness checks.
	Ping(ctx context.Context) error
	// Close releases the index; other methods then return ErrClosed.
	Close() error
}

// SuggestLimit clamps a Suggest limit as documented on DefaultSuggestions.
func SuggestLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultSuggestions
	case limit > MaxSuggestions:
		return MaxSuggestions
	}
	return limit
}
