package search

import (
	"strings"
	"unicode/utf8"
)

// Limits on what a person types. Longer text is cut (never refused): a
// 10,000-character paste searches for its first MaxQueryRunes characters,
// and at most MaxQueryWords words of it count.
const (
	MaxQueryRunes = 256
	MaxQueryWords = 32
)

// Parsed is search text reduced to what an index can match: folded words and
// phrases, no syntax.
type Parsed struct {
	// Terms are single words, folded, each once, in the order typed.
	Terms []string
	// Phrases are quoted runs of two or more words, folded, each once.
	Phrases [][]string
	// Blank is true when the text was empty or only white space: list
	// everything. Text with characters but no words (such as "*") is not
	// blank and matches nothing.
	Blank bool
}

// Empty reports whether there is nothing to match.
func (p Parsed) Empty() bool { return len(p.Terms) == 0 && len(p.Phrases) == 0 }

// Words lists every distinct word of the terms and phrases, for highlighting.
func (p Parsed) Words() []string {
	seen := make(map[string]bool)
	var out []string
	add := func(w string) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, t := range p.Terms {
		add(t)
	}
	for _, ph := range p.Phrases {
		for _, w := range ph {
			add(w)
		}
	}
	return out
}

// isQuote reports the characters that open or close a phrase: the ASCII
// double quote and the typographic quotes phone keyboards substitute for it.
func isQuote(r rune) bool {
	switch r {
	case '"', '“', '”', '„', '«', '»':
		return true
	}
	return false
}

// Parse turns what a person typed into terms and "quoted phrases". Only
// double quotes mean anything: an unbalanced last quote is ignored, so the
// text after it is plain terms. Every other character is either part of a
// word or a separator (see Scan); + - : * ? ~ ^ ( ) [ ] { } \ / ! and field
// prefixes such as "title:" have no meaning. Text beyond MaxQueryRunes and
// words beyond MaxQueryWords are ignored.
func Parse(text string) Parsed {
	if strings.TrimSpace(text) == "" {
		return Parsed{Blank: true}
	}
	text = truncateRunes(text, MaxQueryRunes)

	// Split at quotes; segments alternate outside, inside, outside…
	var segs []string
	last := 0
	for i, r := range text {
		if isQuote(r) {
			segs = append(segs, text[last:i])
			last = i + utf8.RuneLen(r)
		}
	}
	segs = append(segs, text[last:])
	if len(segs)%2 == 0 {
		// An odd number of quotes: the last one opens nothing.
		n := len(segs)
		segs[n-2] += " " + segs[n-1]
		segs = segs[:n-1]
	}

	var p Parsed
	words := 0
	seenTerm := make(map[string]bool)
	seenPhrase := make(map[string]bool)
	addTerm := func(w string) {
		if !seenTerm[w] {
			seenTerm[w] = true
			p.Terms = append(p.Terms, w)
		}
	}
	for i, seg := range segs {
		var ws []string
		Scan(seg, func(term []byte, _, _ int) {
			if words < MaxQueryWords {
				ws = append(ws, string(term))
				words++
			}
		})
		if i%2 == 0 || len(ws) == 1 {
			for _, w := range ws {
				addTerm(w)
			}
			continue
		}
		if len(ws) == 0 {
			continue
		}
		key := strings.Join(ws, " ")
		if !seenPhrase[key] {
			seenPhrase[key] = true
			p.Phrases = append(p.Phrases, ws)
		}
	}
	return p
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// ParsePrefix parses what is typed into a suggestion box: every word but the
// last must be complete, the last may be the start of a word. When the text
// ends in a separator (a space after the last word) the last word is complete
// too and prefix is "". Quotes have no meaning here.
func ParsePrefix(text string) (words []string, prefix string) {
	text = truncateRunes(text, MaxQueryRunes)
	end := 0
	Scan(text, func(term []byte, _, e int) {
		if len(words) < MaxQueryWords {
			words = append(words, string(term))
			end = e
		}
	})
	if len(words) > 0 && end == len(text) {
		prefix = words[len(words)-1]
		words = words[:len(words)-1]
	}
	if len(words) == 0 {
		words = nil
	}
	return words, prefix
}
