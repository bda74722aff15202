package search

import (
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
// spelling: "dat dai" marks "Đất đai" and an NFD "đất đai".
type Highlighter struct {
	terms   map[string]bool
	phrases [][]string
	prefix  string
}

// NewHighlighter marks p's terms anywhere and its phrases where their words
// stand adjacent and in order.
func NewHighlighter(p Parsed) *Highlighter {
	h := &Highlighter{terms: make(map[string]bool, len(p.Terms)), phrases: p.Phrases}
	for _, t := range p.Terms {
		h.terms[t] = true
	}
	return h
}

// NewPrefixHighlighter marks the complete words and the words starting with
// prefix, for suggestions (see ParsePrefix).
func NewPrefixHighlighter(words []string, prefix string) *Highlighter {
	h := &Highlighter{terms: make(map[string]bool, len(words)), prefix: prefix}
	for _, w := range words {
		h.terms[w] = true
	}
	return h
}

// marked is a token and whether the query matched it.
type marked struct {
	Token
	hit bool
}

func (h *Highlighter) mark(text string) (toks []marked, hits int) {
	Scan(text, func(term []byte, start, end int) {
		t := string(term)
		hit := h.terms[t] || h.prefix != "" && strings.HasPrefix(t, h.prefix)
		toks = append(toks, marked{Token{t, start, end}, hit})
	})
	for _, ph := range h.phrases {
		for i := 0; i+len(ph) <= len(toks); i++ {
			ok := true
			for k, w := range ph {
				if toks[i+k].Term != w {
					ok = false
					break
				}
			}
			if ok {
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
	if bestScore > 0 {
		// Show some text before the first match, from a word start.
		start = bestToks[bestFrom].Start
		back := start
		for n := 0; n < snippetLead && back > 0; n++ {
			_, size := utf8.DecodeLastRuneInString(text[:back])
			back -= size
		}
		for k := bestFrom; k >= 0 && bestToks[k].Start >= back; k-- {
			start = bestToks[k].Start
		}
		if bestFrom == 0 || start == bestToks[0].Start {
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
			if t.End > end {
				break
			}
			if t.End > cut {
				cut = t.End
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
	for a := range hits {
		distinct := map[string]bool{}
		for b := a; b < len(hits) && toks[hits[b]].End-toks[hits[a]].Start <= width; b++ {
			distinct[toks[hits[b]].Term] = true
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
// run of matched tokens separated only by spaces gets one mark.
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
		if t.End <= from || t.Start < from {
			continue
		}
		if t.Start >= to {
			break
		}
		between := text[pos:t.Start]
		if open && (!t.hit || strings.TrimSpace(between) != "") {
			b.WriteString("</mark>")
			open = false
		}
		gap(between)
		if t.hit && !open {
			b.WriteString("<mark>")
			open = true
		}
		end := min(t.End, to)
		b.WriteString(html.EscapeString(text[t.Start:end]))
		pos = end
	}
	if open {
		b.WriteString("</mark>")
	}
	gap(text[pos:to])
}

// collapseSpace turns every run of white space into one space.
func collapseSpace(s string) string {
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
