package bleve

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"tuongtac/search"
)

// Bleve counts, facets and sorts by visiting every hit: about a microsecond
// a hit for facets and field sorts, which is 50–150 ms when a common word
// matches half of 100,000 threads. This file finds a query's matches as
// roaring bitmaps instead, one per index segment:
//
//   - a clause's matches are the posting bitmap of its term (or the union of
//     its terms' bitmaps) in the segment, and a query's the intersection of
//     its clauses', minus the segment's deleted documents; only a phrase of
//     four or more words needs positions, and then the query is run
//     unscored and its hits collected;
//   - Total is the sum of the cardinalities;
//   - a facet count is the intersection cardinality with the posting bitmap
//     of the facet's term, cached per immutable segment;
//   - newest first needs only the weeks that hold the page: the page query
//     is then restricted to those weeks, and Bleve sorts their few hundred
//     documents by doc values.
//
// It relies on two properties of Bleve's scorch index, checked by the
// contract tests (totals against Bleve's own, facet counts against filtered
// totals, newest order): postings lists hold local document numbers of
// their segment, and a hit's internal id is its global number, the
// segment's local number plus the Count() of the segments before it.

// matchSet is the matches of one query on one snapshot.
type matchSet struct {
	cache  *segmentCache
	reader index.IndexReader
	segs   []*scorch.SegmentSnapshot
	hits   []*roaring.Bitmap // per segment
	total  int
}

func (ms *matchSet) close() { ms.reader.Close() }

// matches finds the documents that meet every clause (every document when
// there is none).
func (ix *Index) matches(ctx context.Context, cs []clause) (*matchSet, error) {
	adv, err := ix.idx.Advanced()
	if err != nil {
		return nil, fmt.Errorf("search: bleve: match: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("search: bleve: match: %w", err)
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		r.Close()
		return nil, errors.New("search: bleve: match: not a scorch index")
	}
	ms := &matchSet{cache: &ix.cache, reader: r, segs: snap.Segments()}
	ms.hits = make([]*roaring.Bitmap, len(ms.segs))
	if slices.ContainsFunc(cs, func(c clause) bool { return c.phrase != nil }) {
		err = ms.collect(ctx, allOf(queries(cs)), ix)
	} else {
		err = ms.evaluate(cs)
	}
	if err != nil {
		ms.close()
		return nil, fmt.Errorf("search: bleve: match: %w", err)
	}
	for _, h := range ms.hits {
		ms.total += int(h.GetCardinality())
	}
	ix.cache.retain(ms.segs)
	return ms, nil
}

// evaluate computes the matches from posting bitmaps.
func (ms *matchSet) evaluate(cs []clause) error {
	for i, s := range ms.segs {
		var acc *roaring.Bitmap
		for _, c := range cs {
			u, err := ms.union(s.Segment(), c.any)
			if err != nil {
				return err
			}
			if acc == nil {
				acc = u.Clone()
			} else {
				acc.And(u)
			}
			if acc.IsEmpty() {
				break
			}
		}
		if acc == nil {
			acc = s.DocNumbersLive()
		} else if d := s.Deleted(); d != nil {
			acc.AndNot(d)
		}
		ms.hits[i] = acc
	}
	return nil
}

var emptyBitmap = roaring.New()

// union is the documents of seg holding any of fts. The result may be
// shared: do not modify it.
func (ms *matchSet) union(seg segment.Segment, fts []fieldTerm) (*roaring.Bitmap, error) {
	st := ms.cache.get(seg)
	if len(fts) == 1 {
		bm, err := st.bitmap(fts[0])
		if bm == nil {
			bm = emptyBitmap
		}
		return bm, err
	}
	parts := make([]*roaring.Bitmap, 0, len(fts))
	for _, ft := range fts {
		bm, err := st.bitmap(ft)
		if err != nil {
			return nil, err
		}
		if bm != nil {
			parts = append(parts, bm)
		}
	}
	return roaring.FastOr(parts...), nil
}

// collect runs q unscored and collects its hits: the way for queries that
// need positions.
func (ms *matchSet) collect(ctx context.Context, q query.Query, ix *Index) error {
	ends := make([]uint64, len(ms.segs))
	var running uint64
	for i, s := range ms.segs {
		ms.hits[i] = roaring.New()
		running += s.Segment().Count()
		ends[i] = running
	}
	s, err := q.Searcher(ctx, ms.reader, ix.idx.Mapping(), bsearch.SearcherOptions{Score: "none"})
	if err != nil {
		return err
	}
	defer s.Close()
	sctx := &bsearch.SearchContext{
		DocumentMatchPool: bsearch.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0),
		IndexReader:       ms.reader,
	}
	seg, base := 0, uint64(0)
	buf := make([]uint32, 0, 4096)
	flush := func() {
		if len(buf) > 0 {
			ms.hits[seg].AddMany(buf)
			buf = buf[:0]
		}
	}
	for n := 0; ; n++ {
		if n%8192 == 8191 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		dm, err := s.Next(sctx)
		if err != nil {
			return err
		}
		if dm == nil {
			break
		}
		num := dm.IndexInternalID.Value()
		for seg < len(ends) && num >= ends[seg] {
			flush()
			base = ends[seg]
			seg++
		}
		if seg == len(ends) {
			return fmt.Errorf("document number %d beyond the snapshot's segments", num)
		}
		buf = append(buf, uint32(num-base))
		sctx.DocumentMatchPool.Put(dm)
	}
	flush()
	return nil
}

// countFacets fills out with the matches' counts per "f" value (weeks
// excluded).
func (ms *matchSet) countFacets(out *search.Facets) error {
	if ms.total == 0 {
		return nil
	}
	terms, err := ms.terms("")
	if err != nil {
		return err
	}
	for _, t := range terms {
		if strings.HasPrefix(t, weekPrefix) {
			continue
		}
		n, err := ms.count(t)
		if err != nil {
			return err
		}
		if n > 0 {
			addFacet(out, t, n)
		}
	}
	return nil
}

// newestWeeks returns the newest week terms that together hold at least
// need matches, or nil when all of them are needed.
func (ms *matchSet) newestWeeks(need int) ([]string, error) {
	if need >= ms.total {
		return nil, nil
	}
	weeks, err := ms.terms(weekPrefix)
	if err != nil {
		return nil, err
	}
	slices.Reverse(weeks)
	have := 0
	for i, w := range weeks {
		n, err := ms.count(w)
		if err != nil {
			return nil, err
		}
		if have += n; have >= need {
			return weeks[:i+1], nil
		}
	}
	return nil, nil
}

// terms lists, sorted, the "f" terms of the snapshot's segments that start
// with prefix.
func (ms *matchSet) terms(prefix string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, s := range ms.segs {
		ts, err := ms.cache.get(s.Segment()).filterTerms()
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			if strings.HasPrefix(t, prefix) && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// count is the number of matches holding "f" term t.
func (ms *matchSet) count(t string) (int, error) {
	n := 0
	for i, s := range ms.segs {
		h := ms.hits[i]
		if h.IsEmpty() {
			continue
		}
		bm, err := ms.cache.get(s.Segment()).bitmap(fieldTerm{"f", t})
		if err != nil {
			return 0, err
		}
		if bm != nil {
			n += int(h.AndCardinality(bm))
		}
	}
	return n, nil
}

// segmentCache keeps term dictionaries and the posting bitmaps of filter
// terms ("f" and "state") per segment. Segments never change once built, so
// entries stay valid until the segment leaves the index (merged or
// emptied), when retain drops them.
type segmentCache struct {
	mu   sync.Mutex
	segs map[segment.Segment]*segmentTerms
}

type segmentTerms struct {
	mu      sync.Mutex
	seg     segment.Segment
	dicts   map[string]segment.TermDictionary
	terms   map[fieldTerm]*roaring.Bitmap // nil: no document has the term
	fTerms  []string                      // every "f" term
	fListed bool
}

func (c *segmentCache) get(seg segment.Segment) *segmentTerms {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.segs == nil {
		c.segs = map[segment.Segment]*segmentTerms{}
	}
	st, ok := c.segs[seg]
	if !ok {
		st = &segmentTerms{seg: seg, dicts: map[string]segment.TermDictionary{}, terms: map[fieldTerm]*roaring.Bitmap{}}
		c.segs[seg] = st
	}
	return st
}

// retain drops the segments that are not in live.
func (c *segmentCache) retain(live []*scorch.SegmentSnapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.segs) <= len(live) {
		return
	}
	keep := make(map[segment.Segment]bool, len(live))
	for _, s := range live {
		keep[s.Segment()] = true
	}
	for seg := range c.segs {
		if !keep[seg] {
			delete(c.segs, seg)
		}
	}
}

func (c *segmentCache) clear() {
	c.mu.Lock()
	c.segs = nil
	c.mu.Unlock()
}

// filterTerms lists the segment's "f" terms.
func (st *segmentTerms) filterTerms() ([]string, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.fListed {
		return st.fTerms, nil
	}
	d, err := st.dict("f")
	if err != nil {
		return nil, err
	}
	it := d.AutomatonIterator(everything{}, nil, nil)
	for {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if e == nil {
			break
		}
		st.fTerms = append(st.fTerms, e.Term)
	}
	st.fListed = true
	return st.fTerms, nil
}

// dict returns the segment's dictionary of field; st.mu must be held.
func (st *segmentTerms) dict(field string) (segment.TermDictionary, error) {
	if d, ok := st.dicts[field]; ok {
		return d, nil
	}
	d, err := st.seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	st.dicts[field] = d
	return d, nil
}

// everything is the automaton that accepts every term.
type everything struct{}

func (everything) Start() int               { return 0 }
func (everything) IsMatch(int) bool         { return true }
func (everything) CanMatch(int) bool        { return true }
func (everything) WillAlwaysMatch(int) bool { return true }
func (everything) Accept(int, byte) int     { return 0 }

// orIntoer is implemented by zap postings lists: the postings as a bitmap,
// without iterating.
type orIntoer interface{ OrInto(*roaring.Bitmap) }

// cached reports whether a field's term bitmaps are kept: the filter fields,
// whose few terms every query reuses. Words are looked up afresh.
func cached(field string) bool { return field == "f" || field == "state" }

// bitmap returns the documents of the segment holding ft, nil when none.
// The result must not be modified.
func (st *segmentTerms) bitmap(ft fieldTerm) (*roaring.Bitmap, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if bm, ok := st.terms[ft]; ok {
		return bm, nil
	}
	d, err := st.dict(ft.field)
	if err != nil {
		return nil, err
	}
	pl, err := d.PostingsList([]byte(ft.term), nil, nil)
	if err != nil {
		return nil, err
	}
	bm := roaring.New()
	if o, ok := pl.(orIntoer); ok {
		o.OrInto(bm)
		// The postings may point into the segment's memory map, which
		// goes away when the segment is merged: own the containers.
		bm.CloneCopyOnWriteContainers()
	} else if pl != nil {
		it := pl.Iterator(false, false, false, nil)
		for {
			p, err := it.Next()
			if err != nil {
				return nil, err
			}
			if p == nil {
				break
			}
			bm.Add(uint32(p.Number()))
		}
	}
	if bm.IsEmpty() {
		bm = nil
	}
	if cached(ft.field) {
		st.terms[ft] = bm
	}
	return bm, nil
}
