// Package meili is the production search backend: Meilisearch, through
// meilisearch-go, for deployments with several instances (MEILI_URL,
// MEILI_API_KEY).
//
// Folding is not left to Meilisearch: each text field is indexed a second
// time as its words folded by the shared analysis (search.Scan, vntext.Fold
// semantics, đ → d), only those folded fields are searchable, and queries
// are folded the same way. So "thu tuc dat dai", "THỦ TỤC ĐẤT ĐAI" and NFD
// input find the same threads whatever Meilisearch's own normaliser does
// with đ, and Bleve and Meilisearch agree on what a word is. The original
// text is stored for the marked titles and snippets, which
// search.Highlighter builds as for Bleve.
//
// Settings: searchable title_f > answer_f > body_f (Meilisearch's
// "attribute" rule puts title matches first), filterable scope, kind, topic,
// state, year; sortable date; ranking rules with "sort" first so that newest
// is strictly newest; typo tolerance as Meilisearch sets it; totals exact up
// to search.MaxPage × search.MaxPerPage hits. What a person types only ever
// reaches Meilisearch as folded words and "quoted phrases" in q; filter values
// are quoted and escaped.
//
// Unlike Bleve, Meilisearch also matches the last word of a search as a
// prefix and tolerates typos in longer words, so it may find a few more
// threads for the same text. Index and Delete wait until Meilisearch has
// applied the change, so a search right after them sees it.
package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"tuongtac/search"
)

// Index is a search.Indexer on one Meilisearch index.
type Index struct {
	client meilisearch.ServiceManager
	index  meilisearch.IndexManager
	uid    string
	closed atomic.Bool
}

var _ search.Indexer = (*Index)(nil)

// taskPoll is how often a pending Meilisearch task is checked.
const taskPoll = 25 * time.Millisecond

// batchSize bounds the documents sent in one request.
const batchSize = 1000

// doc is a thread as Meilisearch stores it.
type doc struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Answer      string   `json:"answer"`
	Body        string   `json:"body"`
	TitleF      string   `json:"title_f"`
	AnswerF     string   `json:"answer_f"`
	BodyF       string   `json:"body_f"`
	Agency      string   `json:"agency,omitempty"`
	Scope       []string `json:"scope"`
	Kind        string   `json:"kind,omitempty"`
	Topic       string   `json:"topic,omitempty"`
	State       string   `json:"state,omitempty"`
	Year        int      `json:"year,omitempty"`
	Date        int64    `json:"date"`
	CreatedAt   string   `json:"created_at,omitempty"`
	PublishedAt string   `json:"published_at,omitempty"`
}

var settings = meilisearch.Settings{
	SearchableAttributes: []string{"title_f", "answer_f", "body_f"},
	DisplayedAttributes:  []string{"id", "title", "answer", "body", "agency", "kind", "topic", "state", "created_at", "published_at"},
	FilterableAttributes: []string{"scope", "kind", "topic", "state", "year"},
	SortableAttributes:   []string{"date"},
	RankingRules:         []string{"sort", "words", "typo", "proximity", "attribute", "exactness"},
	Pagination:           &meilisearch.Pagination{MaxTotalHits: search.MaxPage * search.MaxPerPage},
	Faceting:             &meilisearch.Faceting{MaxValuesPerFacet: 10000},
}

// Open connects to the Meilisearch server at url, creates the index uid if
// it does not exist, and applies the settings above, waiting for each step.
func Open(ctx context.Context, url, apiKey, uid string) (*Index, error) {
	var opts []meilisearch.Option
	if apiKey != "" {
		opts = append(opts, meilisearch.WithAPIKey(apiKey))
	}
	client := meilisearch.New(url, opts...)
	ix := &Index{client: client, index: client.Index(uid), uid: uid}
	if err := ix.Ping(ctx); err != nil {
		return nil, err
	}
	if _, err := client.GetIndex(ctx, uid); err != nil {
		var me *meilisearch.Error
		if !errors.As(err, &me) || !me.HasCode(meilisearch.APIErrCodeIndexNotFound) {
			return nil, fmt.Errorf("search: meili: open %s: %w", uid, err)
		}
		task, err := client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: "id"})
		if err := ix.wait(ctx, "create index", task, err); err != nil {
			return nil, err
		}
	}
	s := settings
	task, err := ix.index.UpdateSettings(ctx, &s)
	if err := ix.wait(ctx, "settings", task, err); err != nil {
		return nil, err
	}
	return ix, nil
}

// wait waits for the task that a call started (or returns the call's error).
func (ix *Index) wait(ctx context.Context, what string, info *meilisearch.TaskInfo, err error) error {
	if err != nil {
		return fmt.Errorf("search: meili: %s: %w", what, err)
	}
	task, err := ix.client.WaitForTask(ctx, info.TaskUID, taskPoll)
	if err != nil {
		return fmt.Errorf("search: meili: %s: wait for task %d: %w", what, info.TaskUID, err)
	}
	if task.Status != meilisearch.TaskStatusSucceeded {
		return fmt.Errorf("search: meili: %s: task %d %s: %s (%s)", what, task.UID, task.Status, task.Error.Message, task.Error.Code)
	}
	return nil
}

func (ix *Index) check() error {
	if ix.closed.Load() {
		return fmt.Errorf("search: meili: %w", search.ErrClosed)
	}
	return nil
}

// folded is text as the searchable fields hold it: its words, folded,
// separated by spaces.
func folded(text string) string {
	var b strings.Builder
	search.Scan(text, func(term []byte, _, _ int) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.Write(term)
	})
	return b.String()
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func toDoc(d search.Doc) doc {
	scope := d.Scope
	if scope == nil {
		scope = []string{}
	}
	return doc{
		ID: d.ID, Title: d.Title, Answer: d.Answer, Body: d.Body,
		TitleF: folded(d.Title), AnswerF: folded(d.Answer), BodyF: folded(d.Body),
		Agency: d.Agency, Scope: scope, Kind: d.Kind, Topic: d.Topic, State: d.State, Year: d.Year,
		Date:      d.SortTime().UnixMilli(),
		CreatedAt: timeText(d.CreatedAt), PublishedAt: timeText(d.PublishedAt),
	}
}

// Index adds or replaces docs and waits until Meilisearch has applied them.
func (ix *Index) Index(ctx context.Context, docs ...search.Doc) error {
	if err := ix.check(); err != nil {
		return err
	}
	pk := "id"
	for len(docs) > 0 {
		n := min(len(docs), batchSize)
		batch := make([]doc, n)
		for i, d := range docs[:n] {
			if d.ID == "" {
				return errors.New("search: meili: index: document without id")
			}
			batch[i] = toDoc(d)
		}
		task, err := ix.index.AddDocuments(ctx, batch, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err := ix.wait(ctx, "index", task, err); err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
}

// Delete removes ids and waits until Meilisearch has applied it.
func (ix *Index) Delete(ctx context.Context, ids ...string) error {
	if err := ix.check(); err != nil {
		return err
	}
	for len(ids) > 0 {
		n := min(len(ids), batchSize)
		task, err := ix.index.DeleteDocuments(ctx, ids[:n], nil)
		if err := ix.wait(ctx, "delete", task, err); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// quote makes v a Meilisearch filter string literal.
func quote(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

func oneOf(field string, values []string) string {
	qs := make([]string, len(values))
	for i, v := range values {
		qs[i] = quote(v)
	}
	return field + " IN [" + strings.Join(qs, ", ") + "]"
}

// filter expresses q's filters in Meilisearch's filter language, values
// quoted; "" when there are none.
func filter(q search.Query) string {
	var and []string
	if len(q.Scope) > 0 {
		and = append(and, oneOf("scope", q.Scope))
	}
	if len(q.States) > 0 {
		and = append(and, oneOf("state", q.States))
	}
	if q.Kind != "" {
		and = append(and, "kind = "+quote(q.Kind))
	}
	if q.Topic != "" {
		and = append(and, "topic = "+quote(q.Topic))
	}
	if q.Year != 0 {
		and = append(and, "year = "+strconv.Itoa(q.Year))
	}
	return strings.Join(and, " AND ")
}

// text turns parsed words into q: folded words and quoted phrases of folded
// words, which hold only letters, digits and spaces, so nothing in them is
// Meilisearch syntax.
func text(p search.Parsed) string {
	parts := append([]string(nil), p.Terms...)
	for _, ph := range p.Phrases {
		parts = append(parts, `"`+strings.Join(ph, " ")+`"`)
	}
	return strings.Join(parts, " ")
}

// Search runs q.
func (ix *Index) Search(ctx context.Context, q search.Query) (*search.Result, error) {
	if err := ix.check(); err != nil {
		return nil, err
	}
	q = q.Normalized()
	res := &search.Result{Page: q.Page, PerPage: q.PerPage, Hits: []search.Hit{}}
	if q.Facets {
		res.Facets = search.Facets{Agency: map[string]int{}, Kind: map[string]int{}, Topic: map[string]int{}, Year: map[int]int{}}
	}
	p := search.Parse(q.Text)
	if !p.Blank && p.Empty() {
		return res, nil
	}
	perPage := int64(q.PerPage)
	page := int64(q.Page)
	if _, ok := q.Offset(); !ok {
		perPage, page = 0, 1
	}
	req := &meilisearch.SearchRequest{
		Query:            text(p),
		Page:             page,
		HitsPerPage:      &perPage,
		MatchingStrategy: meilisearch.All,
		ShowRankingScore: true,
	}
	if f := filter(q); f != "" {
		req.Filter = f
	}
	if p.Blank || q.Sort == search.SortNewest {
		req.Sort = []string{"date:desc"}
	}
	if q.Facets {
		req.Facets = []string{"scope", "kind", "topic", "year"}
	}
	sr, err := ix.index.Search(ctx, req.Query, req)
	if err != nil {
		return nil, fmt.Errorf("search: meili: search: %w", err)
	}
	res.Total = int(sr.TotalHits)
	hl := search.NewHighlighter(p)
	for _, h := range sr.Hits {
		var d doc
		if err := h.DecodeInto(&d); err != nil {
			return nil, fmt.Errorf("search: meili: search: decode hit: %w", err)
		}
		var score float64
		if raw, ok := h["_rankingScore"]; ok {
			_ = json.Unmarshal(raw, &score)
		}
		res.Hits = append(res.Hits, search.Hit{
			ID: d.ID, Score: score,
			TitleHTML:   hl.HTML(d.Title),
			SnippetHTML: hl.Snippet(d.Body, d.Answer),
			Agency:      d.Agency, Kind: d.Kind, Topic: d.Topic, State: d.State,
			CreatedAt:   parseTime(d.CreatedAt),
			PublishedAt: parseTime(d.PublishedAt),
		})
	}
	if q.Facets && len(sr.FacetDistribution) > 0 {
		var dist map[string]map[string]int
		if err := json.Unmarshal(sr.FacetDistribution, &dist); err != nil {
			return nil, fmt.Errorf("search: meili: search: facets: %w", err)
		}
		for k, v := range dist["scope"] {
			res.Facets.Agency[k] = v
		}
		for k, v := range dist["kind"] {
			res.Facets.Kind[k] = v
		}
		for k, v := range dist["topic"] {
			res.Facets.Topic[k] = v
		}
		for k, v := range dist["year"] {
			if y, err := strconv.Atoi(k); err == nil {
				res.Facets.Year[y] = v
			}
		}
	}
	return res, nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// Suggest returns titles whose words start with what is typed: Meilisearch
// matches the last word of q as a prefix, searching titles only.
func (ix *Index) Suggest(ctx context.Context, prefix string, q search.Query, limit int) ([]search.Suggestion, error) {
	if err := ix.check(); err != nil {
		return nil, err
	}
	limit = search.SuggestLimit(limit)
	words, last := search.ParsePrefix(prefix)
	if len(words) == 0 && last == "" {
		return []search.Suggestion{}, nil
	}
	qs := strings.Join(append(append([]string(nil), words...), last), " ")
	req := &meilisearch.SearchRequest{
		Query:                qs,
		Limit:                int64(limit),
		AttributesToSearchOn: []string{"title_f"},
		AttributesToRetrieve: []string{"id", "title"},
		MatchingStrategy:     meilisearch.All,
	}
	if f := filter(q); f != "" {
		req.Filter = f
	}
	sr, err := ix.index.Search(ctx, qs, req)
	if err != nil {
		return nil, fmt.Errorf("search: meili: suggest: %w", err)
	}
	hl := search.NewPrefixHighlighter(words, last)
	out := make([]search.Suggestion, 0, len(sr.Hits))
	for _, h := range sr.Hits {
		var d doc
		if err := h.DecodeInto(&d); err != nil {
			return nil, fmt.Errorf("search: meili: suggest: decode hit: %w", err)
		}
		out = append(out, search.Suggestion{ID: d.ID, Title: d.Title, TitleHTML: hl.HTML(d.Title)})
	}
	return out, nil
}

// Count is the number of documents in the index.
func (ix *Index) Count(ctx context.Context) (int, error) {
	if err := ix.check(); err != nil {
		return 0, err
	}
	st, err := ix.index.GetStats(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("search: meili: count: %w", err)
	}
	return int(st.NumberOfDocuments), nil
}

// Ping reports whether the server is available.
func (ix *Index) Ping(ctx context.Context) error {
	if err := ix.check(); err != nil {
		return err
	}
	h, err := ix.client.Health(ctx)
	if err != nil {
		return fmt.Errorf("search: meili: ping: %w", err)
	}
	if h.Status != "available" {
		return fmt.Errorf("search: meili: ping: status %q", h.Status)
	}
	return nil
}

// Drop deletes the whole index from the server, for tests and rebuilds.
func (ix *Index) Drop(ctx context.Context) error {
	task, err := ix.client.DeleteIndex(ctx, ix.uid)
	return ix.wait(ctx, "drop", task, err)
}

// Close marks the index closed; the server keeps the data.
func (ix *Index) Close() error {
	ix.closed.Store(true)
	return nil
}
