package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"tuongtac/vntext"
)

// prepareNames folds each usable name (at least two words containing a
// letter) into one rune slice whose words are separated by a single ' ',
// which matches any run of white space in the text.
func prepareNames(names []string) [][]rune {
	var out [][]rune
	for _, name := range names {
		folded := make([]rune, 0, len(name))
		words := 0
		for _, w := range strings.Fields(name) {
			mark := len(folded)
			if words > 0 {
				folded = append(folded, ' ')
			}
			letter := false
			for _, r := range w {
				if f, ok := vntext.FoldRune(r); ok {
					letter = letter || unicode.IsLetter(f)
					folded = append(folded, f)
				}
			}
			if !letter {
				folded = folded[:mark] // punctuation only: not a word of the name
				continue
			}
			words++
		}
		if words >= 2 {
			out = append(out, folded)
		}
	}
	return out
}

// findNames appends the spans of every whole-word occurrence of one of the
// prepared names. Text is folded rune by rune (vntext.FoldRune), so case,
// diacritics, NFC/NFD and invisible characters inside the name do not
// matter, and the words may be separated by any run of white space.
func findNames(s string, names [][]rune, spans []span) []span {
	if len(names) == 0 {
		return spans
	}
	prev := ' ' // folded previous rune, for the word boundary
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		f, ok := vntext.FoldRune(r)
		if !ok {
			i += size
			continue
		}
		for _, name := range names {
			if f != name[0] || isAlnum(prev) {
				continue
			}
			if end, ok := matchName(s, i, name); ok {
				spans = append(spans, span{i, end})
				break
			}
		}
		prev = f
		i += size
	}
	return spans
}

// matchName reports whether the folded name occurs at s[i], ending on a
// word boundary, and returns the end of the occurrence (including any
// combining marks on its last letter).
func matchName(s string, i int, name []rune) (int, bool) {
	j := i
	for k := 0; k < len(name); {
		if j >= len(s) {
			return 0, false
		}
		r, size := utf8.DecodeRuneInString(s[j:])
		f, ok := vntext.FoldRune(r)
		switch {
		case !ok: // a mark or invisible character: part of the word
			j += size
		case name[k] == ' ':
			// One or more white-space runes between two words.
			if !unicode.IsSpace(f) {
				return 0, false
			}
			for j < len(s) {
				r, size := utf8.DecodeRuneInString(s[j:])
				if f, ok := vntext.FoldRune(r); ok && !unicode.IsSpace(f) {
					break
				}
				j += size
			}
			k++
		case f == name[k]:
			j += size
			k++
		default:
			return 0, false
		}
	}
	// Swallow trailing marks, then require a word boundary.
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		f, ok := vntext.FoldRune(r)
		if ok {
			if isAlnum(f) {
				return 0, false
			}
			break
		}
		j += size
	}
	return j, true
}
