package search

import (
	"bytes"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SnippetRunes is the length of a snippet, in characters, before the
// ellipses.
const SnippetRunes = 220

// snippetLead is how much text a snippet shows before its first match.
const snippetLead = 40

// Highlighter marks the words of one query in stored text. Every backend
// builds hits with it from the stored original text, so the words marked are
// exactly those the query matched under the shared analysis (Scan), in any
// spelling: "dat dai" marks "Đất đai" and an NFD "đất đai". It is safe for
// concurrent use.
type Highlighter struct {
	ids     map[string]int // query word → id
	single  []bool         // by id: the word matches on its own (a term)
	phrases [][]int        // phrases as word ids
	prefix  []byte
}

// NewHighlighter marks p's terms anywhere and its phrases where their words
// stand adjacent and in order.
func NewHighlighter(p Parsed) *Highlighter {
	h := &Highlighter{ids: map[string]int{}}
	for _, t := range p.Terms {
		h.single[h.id(t)] = true
	}
	for _, ph := range p.Phrases {
		ids := make([]int, len(ph))
		for i, w := range ph {
			ids[i] = h.id(w)
		}
		h.phrases = append(h.phrases, ids)
	}
	return h
}

// NewPrefixHighlighter marks the complete words and the words starting with
// prefix, for suggestions (see ParsePrefix).
func NewPrefixHighlighter(words []string, prefix string) *Highlighter {
	h := &Highlighter{ids: map[string]int{}, prefix: []byte(prefix)}
	for _, w := range words {
		h.single[h.id(w)] = true
	}
	return h
}

func (h *Highlighter) id(w string) int {
	if id, ok := h.ids[w]; ok {
		return id
	}
	h.ids[w] = len(h.single)
	h.single = append(h.single, false)
	return len(h.single) - 1
}

// Ids of tokens that are not query words.
const (
	other    = -1
	prefixed = -2 // not a query word, but starts with the prefix
)

// marked is a word of the text: where it is, which query word it is, and
// whether the query matched it there.
type marked struct {
	start, end int
	id         int
	hit        bool
}

func (h *Highlighter) mark(text string) (toks []marked, hits int) {
	toks = make([]marked, 0, len(text)/6+1)
	Scan(text, func(term []byte, start, end int) {
		id, ok := h.ids[string(term)] // no allocation: a map lookup
		if !ok {
			id = other
			if len(h.prefix) > 0 && bytes.HasPrefix(term, h.prefix) {
				id = prefixed
			}
		}
		hit := id == prefixed || id >= 0 && h.single[id]
		toks = append(toks, marked{start, end, id, hit})
	})
	for _, ph := range h.phrases {
		for i := 0; i+len(ph) <= len(toks); i++ {
			k := 0
			for k < len(ph) && toks[i+k].id == ph[k] {
				k++
			}
			if k == len(ph) {
				for k := range ph {
					toks[i+k].hit = true
				}
			}
		}
	}
	for _, t := range toks {
		if t.hit {
			hits++
		}
	}
	return toks, hits
}

// HTML returns all of text escaped, matches marked.
func (h *Highlighter) HTML(text string) string {
	toks, _ := h.mark(text)
	var b strings.Builder
	b.Grow(len(text) + 32)
	render(&b, text, toks, 0, len(text), false)
	return b.String()
}

// Snippet returns about SnippetRunes characters of the first of texts with the
// most distinct matched words, around the place where most of them are
// found, escaped, matches marked, with "…" where it cuts text. With no match
// anywhere it is the start of the first non-empty text. White space runs,
// line breaks included, show as one space.
func (h *Highlighter) Snippet(texts ...string) string {
	best, bestScore, bestFrom := -1, 0, 0
	var bestToks []marked
	for i, text := range texts {
		toks, hits := h.mark(text)
		if hits == 0 {
			if best < 0 && strings.TrimSpace(text) != "" {
				best, bestToks, bestFrom = i, toks, 0
			}
			continue
		}
		from, score := bestWindow(text, toks)
		if score > bestScore {
			best, bestScore, bestToks, bestFrom = i, score, toks, from
		}
	}
	if best < 0 {
		return ""
	}
	text := texts[best]
	start := 0
	if bestScore > 0 && bestFrom > 0 {
		// Show some text before the first match, from a word start.
		start = bestToks[bestFrom].start
		back := start
		for n := 0; n < snippetLead && back > 0; n++ {
			_, size := utf8.DecodeLastRuneInString(text[:back])
			back -= size
		}
		for k := bestFrom; k >= 0 && bestToks[k].start >= back; k-- {
			start = bestToks[k].start
		}
		if start == bestToks[0].start {
			start = 0
		}
	}
	end := len(text)
	n := 0
	for i := range text[start:] {
		if n == SnippetRunes {
			end = start + i
			break
		}
		n++
	}
	if end < len(text) {
		// Cut after the last whole word.
		cut := start
		for _, t := range bestToks {
			if t.end > end {
				break
			}
			if t.end > cut {
				cut = t.end
			}
		}
		if cut > start {
			end = cut
		}
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	render(&b, text, bestToks, start, end, true)
	if end < len(text) {
		b.WriteString("…")
	}
	return b.String()
}

// bestWindow finds the token index at which a window of SnippetRunes
// characters holds the most distinct matched words, and that count.
func bestWindow(text string, toks []marked) (from, score int) {
	var hits []int
	for i, t := range toks {
		if t.hit {
			hits = append(hits, i)
		}
	}
	// Byte windows are close enough for choosing; Vietnamese letters take
	// two or three bytes, so the byte window is scaled.
	width := SnippetRunes * 2
	if ascii(text) {
		width = SnippetRunes
	}
	distinct := map[int]bool{}
	for a := range hits {
		clear(distinct)
		for b := a; b < len(hits) && toks[hits[b]].end-toks[hits[a]].start <= width; b++ {
			distinct[toks[hits[b]].id] = true
		}
		if len(distinct) > score {
			from, score = hits[a], len(distinct)
		}
	}
	return from, score
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// render writes text[from:to] escaped, wrapping matched tokens in <mark>; a
// run of matched tokens separated only by spaces gets one mark. collapse
// turns runs of white space into one space.
func render(b *strings.Builder, text string, toks []marked, from, to int, collapse bool) {
	pos := from
	open := false
	gap := func(s string) {
		if collapse {
			s = collapseSpace(s)
		}
		b.WriteString(html.EscapeString(s))
	}
	for _, t := range toks {
		if t.start < from || !t.hit {
			continue
		}
		if t.start >= to {
			break
		}
		between := text[pos:t.start]
		if open && strings.TrimSpace(between) != "" {
			b.WriteString("</mark>")
			open = false
		}
		gap(between)
		if !open {
			b.WriteString("<mark>")
			open = true
		}
		end := min(t.end, to)
		b.WriteString(html.EscapeString(text[t.start:end]))
		pos = end
	}
	if open {
		// Close before the text that follows the last mark.
		b.WriteString("</mark>")
	}
	gap(text[pos:to])
}

// collapseSpace turns every run of white space into one space.
func collapseSpace(s string) string {
	if !strings.Contains(s, "  ") && !strings.ContainsFunc(s, func(r rune) bool { return r != ' ' && unicode.IsSpace(r) }) {
		return s
	}
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
