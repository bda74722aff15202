// Package legal reads Vietnamese legal drafts — plain text (as extracted from a
// PDF, noise and all), Markdown or DOCX — into a tree of their units: Phần
// (part), Chương (chapter), Mục (section), Điều (article), khoản (clause,
// "1."), điểm (point, "a)", "đ)"), with a stable ASCII anchor for each, so that
// citizens can comment on any part of a draft and the comments stay attached
// when the draft is revised. Text with no legal structure becomes paragraphs
// (đoạn).
//
// # Anchors
//
// An anchor is the path of a unit from the top of the tree, one segment per
// level joined by "/", each segment the unit's kind and its number folded to
// lower-case ASCII: "chuong-iv/muc-2/dieu-15/khoan-3/diem-dd". Folding:
// Roman numerals are lower-cased ("IV" → "iv"), "Phần thứ hai" becomes
// "phan-2", an article "15a" stays "dieu-15a", and the letter đ becomes "dd"
// so that points d) and đ) never collide: "diem-d" is d), "diem-dd" is đ).
// Paragraphs of unstructured text are "doan-1", "doan-2", …. A number that
// repeats under the same parent (a duplicated article in the same chapter)
// gets "-2", "-3" appended in order ("dieu-5-2"); numbers never contain "-",
// so such a suffix cannot collide with a real number. Anchors are unique
// within a document and use only a–z, 0–9, "-" and "/".
//
// The whole draft (a comment on no particular part) is the empty anchor "".
//
// # Numbering problems
//
// Duplicated, out-of-order and skipped numbers are kept as written and
// reported (Node.Flags and Document.Issues): a draft with a mistake in its
// numbering is still a draft people may comment on.
package legal

import (
	"errors"
	"strings"

	"tuongtac/vntext"
)

// Kind is the kind of a legal unit, as it appears in the API.
type Kind string

// The kinds of unit, from the largest to the smallest. KindParagraph is used
// only for text with no legal structure.
const (
	KindPart      Kind = "phan"   // Phần
	KindChapter   Kind = "chuong" // Chương
	KindSection   Kind = "muc"    // Mục
	KindArticle   Kind = "dieu"   // Điều
	KindClause    Kind = "khoan"  // khoản: "1."
	KindPoint     Kind = "diem"   // điểm: "a)"
	KindParagraph Kind = "doan"   // đoạn: a paragraph of unstructured text
)

// level orders kinds: a unit nests inside the nearest open unit of a lower
// level.
func (k Kind) level() int {
	switch k {
	case KindPart:
		return 0
	case KindChapter:
		return 1
	case KindSection:
		return 2
	case KindArticle:
		return 3
	case KindClause:
		return 4
	case KindPoint:
		return 5
	}
	return 6
}

// Format is how a draft is written.
type Format string

// The formats Import reads.
const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
	FormatDOCX     Format = "docx"
)

// Node is one unit of a draft.
type Node struct {
	Anchor string `json:"anchor"`
	Kind   Kind   `json:"kind"`
	// Number is the unit's number without punctuation: "IV" for a chapter,
	// "7" for an article, "1" for a clause, "đ" for a point, "2" for
	// "Phần thứ hai".
	Number string `json:"number"`
	// Title is the heading of a part, chapter, section or article.
	Title string `json:"title"`
	// Text is the unit's own text, before its first child; paragraphs are
	// separated by "\n".
	Text     string  `json:"text"`
	Children []*Node `json:"children"`
	// Flags name numbering problems of this unit: IssueDuplicate,
	// IssueOutOfOrder or IssueSkipped.
	Flags []string `json:"flags,omitempty"`
}

// Issue codes for numbering problems.
const (
	IssueDuplicate  = "duplicate_number" // the number was used before in the same sequence
	IssueOutOfOrder = "out_of_order"     // the number is lower than the one before it
	IssueSkipped    = "skipped_number"   // numbers were skipped (articles, chapters, clauses)
)

// Issue is a numbering problem found while parsing.
type Issue struct {
	Code   string `json:"code"`
	Anchor string `json:"anchor"`
	Kind   Kind   `json:"kind"`
	Number string `json:"number"`
	// Expected is the number that would have continued the sequence.
	Expected string `json:"expected,omitempty"`
	// Line is the line (text, Markdown) or paragraph (DOCX) of the unit's
	// heading, counting from 1.
	Line int `json:"line"`
}

// Document is a parsed draft.
type Document struct {
	Format Format `json:"format"`
	// Title is a guess at the draft's title from the text before its first
	// unit (the title block), for forms to offer; it may be empty.
	Title string `json:"title,omitempty"`
	// Preamble is the text before the first unit: the title block, the
	// "Căn cứ" recitals.
	Preamble string `json:"preamble,omitempty"`
	// Nodes are the top-level units.
	Nodes []*Node `json:"structure"`
	// Closing is the text after the end mark "./." (signatures, recipients),
	// kept apart from the last unit.
	Closing string  `json:"closing,omitempty"`
	Issues  []Issue `json:"issues,omitempty"`
}

// Limits bound what Import accepts, so that hostile input costs little.
type Limits struct {
	// MaxTextBytes bounds the draft's text, typed or extracted from a file.
	MaxTextBytes int
	// MaxUnits bounds the number of nodes in the tree.
	MaxUnits int
	// MaxFileBytes bounds an uploaded DOCX file (compressed).
	MaxFileBytes int64
	// MaxEntries bounds the number of entries in the DOCX archive.
	MaxEntries int
	// MaxEntryBytes bounds the uncompressed size of one archive entry that
	// is read (word/document.xml, word/numbering.xml).
	MaxEntryBytes int64
	// MaxTotalBytes bounds the declared uncompressed size of all entries.
	MaxTotalBytes int64
}

// DefaultLimits are generous for real drafts: the regulation this service
// exists for is 60 KB of text and 500 units; a long law is under 1 MB.
var DefaultLimits = Limits{
	MaxTextBytes:  2 << 20,
	MaxUnits:      20000,
	MaxFileBytes:  10 << 20,
	MaxEntries:    2000,
	MaxEntryBytes: 32 << 20,
	MaxTotalBytes: 256 << 20,
}

// WithDefaults returns l with its zero fields taken from DefaultLimits.
func (l Limits) WithDefaults() Limits { return l.orDefault() }

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.MaxTextBytes > 0 {
		d.MaxTextBytes = l.MaxTextBytes
	}
	if l.MaxUnits > 0 {
		d.MaxUnits = l.MaxUnits
	}
	if l.MaxFileBytes > 0 {
		d.MaxFileBytes = l.MaxFileBytes
	}
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxEntryBytes > 0 {
		d.MaxEntryBytes = l.MaxEntryBytes
	}
	if l.MaxTotalBytes > 0 {
		d.MaxTotalBytes = l.MaxTotalBytes
	}
	return d
}

// Errors Import returns, matched with errors.Is. Every one of them is the
// caller's input, never a fault of the service.
var (
	ErrFormat           = errors.New("legal: unknown format")
	ErrEmpty            = errors.New("legal: the draft has no text")
	ErrFileTooLarge     = errors.New("legal: file too large")
	ErrTextTooLong      = errors.New("legal: text too long")
	ErrTooManyUnits     = errors.New("legal: too many units")
	ErrNotZip           = errors.New("legal: not a DOCX file (not a zip archive)")
	ErrLegacyDoc        = errors.New("legal: a legacy Word .doc file, not DOCX")
	ErrNotDOCX          = errors.New("legal: zip archive without a Word document")
	ErrTooManyEntries   = errors.New("legal: too many entries in the archive")
	ErrUnpackedTooLarge = errors.New("legal: archive too large when unpacked")
	ErrCorrupt          = errors.New("legal: damaged DOCX file")
)

// Import parses a draft in the given format with the given limits (zero
// fields take DefaultLimits). Bad input is one of the package's Err values.
func Import(data []byte, format Format, lim Limits) (*Document, error) {
	lim = lim.orDefault()
	switch format {
	case FormatText, FormatMarkdown:
		if len(data) > lim.MaxTextBytes {
			return nil, ErrTextTooLong
		}
		return parse(rawLines(string(data), format), format, lim)
	case FormatDOCX:
		paras, err := DOCXParagraphs(data, lim)
		if err != nil {
			return nil, err
		}
		return ParseParagraphs(paras, lim)
	}
	return nil, ErrFormat
}

// Parse parses plain text or Markdown with DefaultLimits.
func Parse(text string, format Format) (*Document, error) {
	return Import([]byte(text), format, Limits{})
}

// Walk calls fn for every node in document order with its ancestors,
// outermost first (the slice is reused: copy it to keep it). When fn returns
// false the node's children are skipped.
func (d *Document) Walk(fn func(n *Node, ancestors []*Node) bool) {
	var stack []*Node
	var walk func(ns []*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			if fn(n, stack) {
				stack = append(stack, n)
				walk(n.Children)
				stack = stack[:len(stack)-1]
			}
		}
	}
	walk(d.Nodes)
}

// Count returns the number of nodes.
func (d *Document) Count() int {
	n := 0
	d.Walk(func(*Node, []*Node) bool { n++; return true })
	return n
}

// Articles returns the articles in document order.
func (d *Document) Articles() []*Node {
	var out []*Node
	d.Walk(func(n *Node, _ []*Node) bool {
		if n.Kind == KindArticle {
			out = append(out, n)
			return false
		}
		return true
	})
	return out
}

// Index looks nodes up by anchor. Build it once per document with
// Document.Index; it is read-only and safe to share.
type Index struct {
	entries map[string]indexEntry
	order   []string
}

type indexEntry struct {
	node  *Node
	path  []*Node // outermost first, ending with node
	order int
}

// Index builds the document's anchor index.
func (d *Document) Index() *Index {
	ix := &Index{entries: map[string]indexEntry{}}
	d.Walk(func(n *Node, anc []*Node) bool {
		path := make([]*Node, len(anc)+1)
		copy(path, anc)
		path[len(anc)] = n
		ix.entries[n.Anchor] = indexEntry{node: n, path: path, order: len(ix.order)}
		ix.order = append(ix.order, n.Anchor)
		return true
	})
	return ix
}

// Has reports whether anchor names a node ("" the whole draft, is not a node).
func (ix *Index) Has(anchor string) bool { _, ok := ix.entries[anchor]; return ok }

// Node returns the node with this anchor.
func (ix *Index) Node(anchor string) (*Node, bool) {
	e, ok := ix.entries[anchor]
	return e.node, ok
}

// Path returns the node's ancestors and the node itself, outermost first; nil
// for an unknown anchor. The slice is shared: do not modify it.
func (ix *Index) Path(anchor string) []*Node { return ix.entries[anchor].path }

// Order returns the node's position in document order, or -1.
func (ix *Index) Order(anchor string) int {
	e, ok := ix.entries[anchor]
	if !ok {
		return -1
	}
	return e.order
}

// Anchors lists every anchor in document order.
func (ix *Index) Anchors() []string { return ix.order }

// Len is the number of nodes.
func (ix *Index) Len() int { return len(ix.order) }

// Article returns the anchor of the article that contains anchor (the anchor
// itself for an article), or anchor unchanged when it is not inside an
// article (a chapter, a paragraph, the whole draft).
func (ix *Index) Article(anchor string) string {
	for _, n := range ix.entries[anchor].path {
		if n.Kind == KindArticle {
			return n.Anchor
		}
	}
	return anchor
}

// Parent returns the anchor of the node's parent, "" at the top.
func (ix *Index) Parent(anchor string) string {
	p := ix.entries[anchor].path
	if len(p) < 2 {
		return ""
	}
	return p[len(p)-2].Anchor
}

// ValidAnchor reports whether s has the shape of an anchor (it may still name
// no node): segments of lower-case ASCII letters, digits and "-", joined by
// "/", at most 300 bytes.
func ValidAnchor(s string) bool {
	if s == "" || len(s) > 300 {
		return false
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// ParseParagraphs parses a draft given as paragraphs, one a line, as
// DOCXParagraphs returns them (zero fields of lim take DefaultLimits).
func ParseParagraphs(paras []string, lim Limits) (*Document, error) {
	lim = lim.orDefault()
	lines := make([]line, 0, len(paras))
	size := 0
	for i, p := range paras {
		size += len(p) + 1
		if size > lim.MaxTextBytes {
			return nil, ErrTextTooLong
		}
		for _, l := range strings.Split(p, "\n") {
			if l = vntext.CleanLine(l); l != "" {
				lines = append(lines, line{text: l, no: i + 1, hard: true})
			}
		}
	}
	return parse(lines, FormatDOCX, lim)
}
