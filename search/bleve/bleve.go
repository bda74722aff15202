// Package bleve is the embedded search backend: a Bleve (scorch) index in a
// directory under the data directory, so that `go run ./server` searches with
// no other service.
//
// Text goes through the shared analysis (search.Scan: words, folded as
// vntext.Fold folds), registered with Bleve as tokenizers so indexing and
// querying cannot drift apart. Queries are built as Bleve query objects from
// search.Parse's output, never through Bleve's query-string syntax.
//
// The layout is chosen for speed at 100,000 threads, where a common word
// matches half of them (BenchmarkSearch100k):
//   - title, answer and body are indexed together as one field "text", so a
//     word is one posting list rather than a disjunction over three fields;
//   - the same text is indexed as pairs and triples of adjacent words
//     ("pairs", "triples"), so a two- or three-word phrase is one term and a
//     longer phrase a positional match over triples, far rarer than single
//     syllables (none spans two of title, answer and body, so neither does a
//     phrase); pairs of typed words also rank adjacent matches higher;
//   - kind, topic, year, week and every agency of the scope are values of one
//     keyword field "f" ("k:complaint", "t:dat-dai", "y:2025", "w:2025-03-03",
//     "s:longxuyen"), so a filter is one term;
//   - a query's matches are computed as per-segment roaring bitmaps from the
//     posting lists (matches.go): Total, facet counts and the weeks that
//     hold a newest-first page come from them without visiting hits;
//   - relevance ranks in two tiers, matches whose title holds every word
//     first, each by BM25 with title words boosted and adjacent typed words
//     (proximity) preferred; the second tier is scored only when a page
//     reaches it;
//   - titles are also indexed as edge n-grams of their folded words, which
//     makes a typed prefix one term lookup for suggestions.
//
// Hits are built from the stored title, answer and body by
// search.Highlighter.
package bleve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	blv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/token/edgengram"
	"github.com/blevesearch/bleve/v2/mapping"
	"golang.org/x/sync/errgroup"

	"tuongtac/search"
)

// Index is a search.Indexer on a Bleve index directory. It is safe for
// concurrent use.
type Index struct {
	idx    blv.Index
	closed atomic.Bool
	cache  segmentCache
}

var _ search.Indexer = (*Index)(nil)

// mappingVersion changes whenever the mapping or the analysis changes in a
// way that needs documents indexed again; Open refuses an index built under
// another version.
const mappingVersion = "tuongtac-search-7"

var versionKey = []byte("tuongtac_mapping_version")

// ErrIncompatible is returned (wrapped) by Open for an index built with
// another mapping or analysis. Delete the directory and index the threads
// again.
var ErrIncompatible = errors.New("search: bleve: index built by another version of the analysis; rebuild it")

// maxPrefixRunes is the longest edge n-gram of a title word; longer typed
// prefixes fall back to a prefix query.
const maxPrefixRunes = 16

// batchSize bounds one Bleve batch, so indexing a whole corpus does not build
// one huge in-memory segment.
const batchSize = 1000

func newMapping() (*mapping.IndexMappingImpl, error) {
	im := blv.NewIndexMapping()
	for _, def := range []struct {
		name string
		conf map[string]any
	}{
		{wordsAnalyzer, map[string]any{"type": custom.Name, "tokenizer": wordsTokenizer}},
		{pairsAnalyzer, map[string]any{"type": custom.Name, "tokenizer": pairsTokenizer}},
		{triplesAnalyzer, map[string]any{"type": custom.Name, "tokenizer": triplesTokenizer}},
		{prefixAnalyzer, map[string]any{"type": custom.Name, "tokenizer": wordsTokenizer, "token_filters": []any{edgeFilter}}},
	} {
		if def.name == prefixAnalyzer {
			if err := im.AddCustomTokenFilter(edgeFilter, map[string]any{
				"type": edgengram.Name, "min": 1.0, "max": float64(maxPrefixRunes),
			}); err != nil {
				return nil, err
			}
		}
		if err := im.AddCustomAnalyzer(def.name, def.conf); err != nil {
			return nil, err
		}
	}
	im.DefaultAnalyzer = wordsAnalyzer
	im.ScoringModel = "bm25"
	im.StoreDynamic, im.IndexDynamic, im.DocValuesDynamic = false, false, false

	stored := &mapping.FieldMapping{Type: "text", Store: true}
	dm := mapping.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt("text", &mapping.FieldMapping{Type: "text", Analyzer: wordsAnalyzer, Index: true})
	dm.AddFieldMappingsAt("pairs", &mapping.FieldMapping{Type: "text", Analyzer: pairsAnalyzer, Index: true})
	dm.AddFieldMappingsAt("triples", &mapping.FieldMapping{Type: "text", Analyzer: triplesAnalyzer, Index: true, IncludeTermVectors: true})
	dm.AddFieldMappingsAt("title",
		&mapping.FieldMapping{Name: "title", Type: "text", Analyzer: wordsAnalyzer, Store: true, Index: true},
		&mapping.FieldMapping{Name: "title_prefix", Type: "text", Analyzer: prefixAnalyzer, Index: true, SkipFreqNorm: true})
	for _, f := range []string{"answer", "body", "agency", "kind", "topic", "created", "published"} {
		dm.AddFieldMappingsAt(f, stored)
	}
	dm.AddFieldMappingsAt("f", &mapping.FieldMapping{Type: "text", Analyzer: keyword.Name, Index: true, SkipFreqNorm: true})
	dm.AddFieldMappingsAt("d", &mapping.FieldMapping{Type: "text", Analyzer: keyword.Name, Index: true, DocValues: true, SkipFreqNorm: true})
	dm.AddFieldMappingsAt("state", &mapping.FieldMapping{Type: "text", Analyzer: keyword.Name, Store: true, Index: true, SkipFreqNorm: true})
	// No catch-all "_all" field: every query names its fields.
	dm.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
	im.DefaultMapping = dm
	return im, im.Validate()
}

// Open opens the index in dir, creating it (and dir's parents) when dir does
// not exist yet. It returns ErrIncompatible for an index built by another
// version of this package.
func Open(dir string) (*Index, error) {
	var idx blv.Index
	_, err := os.Stat(filepath.Join(dir, "index_meta.json"))
	switch {
	case err == nil:
		idx, err = blv.Open(dir)
		if err != nil {
			return nil, fmt.Errorf("search: bleve: open %s: %w", dir, err)
		}
		v, err := idx.GetInternal(versionKey)
		if err != nil || string(v) != mappingVersion {
			idx.Close()
			return nil, fmt.Errorf("search: bleve: open %s: found %q, want %q: %w", dir, v, mappingVersion, ErrIncompatible)
		}
	case errors.Is(err, os.ErrNotExist):
		m, err := newMapping()
		if err != nil {
			return nil, fmt.Errorf("search: bleve: mapping: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
			return nil, fmt.Errorf("search: bleve: create %s: %w", dir, err)
		}
		idx, err = blv.New(dir, m)
		if err != nil {
			return nil, fmt.Errorf("search: bleve: create %s: %w", dir, err)
		}
		if err := idx.SetInternal(versionKey, []byte(mappingVersion)); err != nil {
			idx.Close()
			return nil, fmt.Errorf("search: bleve: create %s: %w", dir, err)
		}
	default:
		return nil, fmt.Errorf("search: bleve: open %s: %w", dir, err)
	}
	return &Index{idx: idx}, nil
}

func (ix *Index) check() error {
	if ix.closed.Load() {
		return fmt.Errorf("search: bleve: %w", search.ErrClosed)
	}
	return nil
}

// Index adds or replaces docs. Large calls (a rebuild) are split into
// batches of batchSize built in parallel, one per CPU: building a segment is
// single-threaded in Bleve. When an ID occurs twice, the later document wins.
// ctx is checked between batches.
func (ix *Index) Index(ctx context.Context, docs ...search.Doc) error {
	if err := ix.check(); err != nil {
		return err
	}
	for _, d := range docs {
		if d.ID == "" {
			return errors.New("search: bleve: index: document without id")
		}
	}
	if len(docs) > batchSize {
		docs = lastByID(docs)
	}
	var batches [][]search.Doc
	for len(docs) > 0 {
		n := min(len(docs), batchSize)
		batches = append(batches, docs[:n])
		docs = docs[n:]
	}
	workers := min(len(batches), runtime.GOMAXPROCS(0), 4)
	if workers <= 1 {
		for _, b := range batches {
			if err := ix.batch(ctx, b); err != nil {
				return err
			}
		}
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	next := make(chan []search.Doc)
	for range workers {
		g.Go(func() error {
			for b := range next {
				if err := ix.batch(ctx, b); err != nil {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(next)
		for _, b := range batches {
			select {
			case next <- b:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	})
	return g.Wait()
}

func (ix *Index) batch(ctx context.Context, docs []search.Doc) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("search: bleve: index: %w", err)
	}
	b := ix.idx.NewBatch()
	for _, d := range docs {
		if err := b.Index(d.ID, fields(d)); err != nil {
			return fmt.Errorf("search: bleve: index %s: %w", d.ID, err)
		}
	}
	if err := ix.idx.Batch(b); err != nil {
		return fmt.Errorf("search: bleve: index: %w", err)
	}
	return nil
}

// lastByID drops every document that a later one with the same ID replaces,
// so that parallel batches cannot apply an older version last.
func lastByID(docs []search.Doc) []search.Doc {
	last := make(map[string]int, len(docs))
	for i, d := range docs {
		last[d.ID] = i
	}
	if len(last) == len(docs) {
		return docs
	}
	out := make([]search.Doc, 0, len(last))
	for i, d := range docs {
		if last[d.ID] == i {
			out = append(out, d)
		}
	}
	return out
}

// Prefixes of the values of the filter field "f".
const (
	scopePrefix = "s:"
	kindPrefix  = "k:"
	topicPrefix = "t:"
	yearPrefix  = "y:"
	weekPrefix  = "w:"
)

// weekKey is the layout of week terms, the Monday that starts the week:
// text order is time order.
const weekKey = "2006-01-02"

// week is the term of the week (Monday to Sunday, UTC) holding t.
func week(t time.Time) string {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	d = d.AddDate(0, 0, -(int(d.Weekday())+6)%7)
	return weekPrefix + d.Format(weekKey)
}

// timeKey is the layout of the sort key "d": fixed width, so text order is
// time order.
const timeKey = "2006-01-02T15:04:05.000"

func fields(d search.Doc) map[string]any {
	sortTime := d.SortTime().UTC()
	f := make([]string, 0, len(d.Scope)+4)
	for _, s := range d.Scope {
		f = append(f, scopePrefix+s)
	}
	if d.Kind != "" {
		f = append(f, kindPrefix+d.Kind)
	}
	if d.Topic != "" {
		f = append(f, topicPrefix+d.Topic)
	}
	if d.Year != 0 {
		f = append(f, yearPrefix+strconv.Itoa(d.Year))
	}
	f = append(f, week(sortTime))
	text := d.Title + fieldBreak + d.Answer + fieldBreak + d.Body
	m := map[string]any{
		"text":    text,
		"pairs":   text,
		"triples": text,
		"title":   d.Title,
		"answer":  d.Answer,
		"body":    d.Body,
		"f":       f,
		"d":       sortTime.Format(timeKey),
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("agency", d.Agency)
	set("kind", d.Kind)
	set("topic", d.Topic)
	set("state", d.State)
	set("created", timeText(d.CreatedAt))
	set("published", timeText(d.PublishedAt))
	return m
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Delete removes ids.
func (ix *Index) Delete(ctx context.Context, ids ...string) error {
	if err := ix.check(); err != nil {
		return err
	}
	for len(ids) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("search: bleve: delete: %w", err)
		}
		n := min(len(ids), batchSize)
		b := ix.idx.NewBatch()
		for _, id := range ids[:n] {
			b.Delete(id)
		}
		if err := ix.idx.Batch(b); err != nil {
			return fmt.Errorf("search: bleve: delete: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// Count is the number of documents.
func (ix *Index) Count(ctx context.Context) (int, error) {
	if err := ix.check(); err != nil {
		return 0, err
	}
	n, err := ix.idx.DocCount()
	if err != nil {
		return 0, fmt.Errorf("search: bleve: count: %w", err)
	}
	return int(n), nil
}

// Ping reports whether the index is open and readable.
func (ix *Index) Ping(ctx context.Context) error {
	_, err := ix.Count(ctx)
	return err
}

// Close closes the index. Closing twice is not an error.
func (ix *Index) Close() error {
	if ix.closed.Swap(true) {
		return nil
	}
	ix.cache.clear()
	if err := ix.idx.Close(); err != nil {
		return fmt.Errorf("search: bleve: close: %w", err)
	}
	return nil
}
