package search

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"tuongtac/vntext"
)

// MaxWordRunes bounds the length of one word. Longer runs of letters and
// digits (encoded blobs, keyboard mashing) are not words anyone searches
// for, and are dropped from the index and from queries alike.
const MaxWordRunes = 64

// Token is one word of a text: its folded form and where it sits in the
// original.
type Token struct {
	// Term is the word as the index holds it: vntext.Fold semantics
	// (NFC, lower case, no diacritics, đ → d).
	Term string
	// Start and End are byte offsets of the word in the original text.
	Start, End int
}

// Tokens splits text into words, the same way for indexing, querying and
// highlighting in every backend.
func Tokens(text string) []Token {
	var out []Token
	Scan(text, func(term []byte, start, end int) {
		out = append(out, Token{Term: string(term), Start: start, End: end})
	})
	return out
}

// Scan calls fn for every word of text, in order, with its folded form and its
// byte range in text. term is only valid during the call.
//
// A word is a maximal run of letters, digits and combining marks, so a word
// typed in decomposed (NFD) Unicode stays one word and folds like its NFC
// form. Invisible characters that vntext.Fold drops (zero-width joiners and
// spaces, soft hyphens) do not split a word, again as under Fold. Everything
// else, punctuation and query-syntax characters included, separates words.
// Han, Hiragana and Katakana characters are words of their own, since those
// scripts do not write spaces. Words longer than MaxWordRunes are dropped.
//
// Folding is done rune by rune with vntext.FoldRune, which keeps the mapping
// between the folded word and its original bytes exact.
func Scan(text string, fn func(term []byte, start, end int)) {
	var buf [4 * MaxWordRunes]byte
	w := word{term: buf[:0], start: -1}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			default:
				w.flush(i, fn)
				i++
				continue
			}
			w.add(i, rune(c))
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case isIdeograph(r):
			w.flush(i, fn)
			w.add(i, r)
			w.flush(i+size, fn)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			w.add(i, r)
		default:
			if _, ok := vntext.FoldRune(r); ok {
				// A visible separator. Invisible characters that Fold
				// drops neither start nor end a word.
				w.flush(i, fn)
			}
		}
		i += size
	}
	w.flush(len(text), fn)
}

// word is the word Scan is reading.
type word struct {
	term     []byte
	start    int // -1 between words
	runes    int // folded runes seen, counted past MaxWordRunes
	nonLatin bool
}

func (w *word) add(at int, r rune) {
	if w.start < 0 {
		w.start = at
	}
	f, ok := vntext.FoldRune(r)
	if !ok {
		return // a combining mark (NFD input)
	}
	w.runes++
	if w.runes <= MaxWordRunes {
		w.term = utf8.AppendRune(w.term, f)
		w.nonLatin = w.nonLatin || f >= 0x300
	}
}

func (w *word) flush(end int, fn func(term []byte, start, end int)) {
	if w.start >= 0 && w.runes > 0 && w.runes <= MaxWordRunes {
		t := w.term
		if w.nonLatin {
			// Scripts such as Hangul compose without nonspacing marks, so
			// NFC and NFD input only fold alike once recomposed (what
			// vntext.Fold does for whole texts).
			t = norm.NFC.Bytes(t)
		}
		fn(t, w.start, end)
	}
	w.term = w.term[:0]
	w.start, w.runes, w.nonLatin = -1, 0, false
}

func isIdeograph(r rune) bool {
	return r >= 0x2e80 && (unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r))
}
