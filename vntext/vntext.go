// Package vntext normalises and folds Vietnamese text so that everything the
// service stores, counts, searches and compares behaves the same no matter how
// the citizen's keyboard, phone or copy-paste source encoded it.
//
// Vietnamese is unusually exposed to encoding differences: the same word can
// arrive precomposed (NFC) or decomposed (NFD, common from macOS and some
// Android keyboards), with zero-width or bidi characters pasted in from chat
// apps and office documents, or without diacritics at all. Left alone, these
// make equal titles compare unequal, break search, let whitespace-only fields
// pass "required" checks and let right-to-left overrides spoof file names.
// This package is a leaf: it depends only on the standard library and
// golang.org/x/text, so every other package can use it.
package vntext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Clean is the normalisation every stored free-text field (question body,
// answer) goes through, so that what is stored, compared, length-checked and
// rendered is one canonical form rather than whatever the client sent.
//
// It converts to NFC; removes zero-width characters (U+200B, U+200C, U+2060,
// U+FEFF, U+00AD) and U+200D ZWJ unless it joins two emoji (so sequences such
// as 👨‍👩‍👧 survive); removes bidi controls (U+202A–U+202E, U+2066–U+2069,
// U+200E, U+200F, U+061C) and every other C0/C1 control except newline and
// tab; turns CRLF, CR, NEL, U+2028 and U+2029 into "\n" and tabs into a
// space; drops whitespace at the end of each line; collapses three or more
// consecutive line breaks to two; and trims leading and trailing whitespace
// (unicode.IsSpace, which covers NBSP and U+3000, plus blank-looking fillers
// such as U+2800 and U+3164). Invalid UTF-8 bytes become U+FFFD. Everything
// else, including emoji with variation selectors, flags, CJK Extension B and
// mathematical alphanumerics, is kept byte for byte.
//
// Clean is idempotent: Clean(Clean(s)) == Clean(s).
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	return layoutText(norm.NFC.String(filter(s)))
}

// CleanLine is Clean for single-line fields (title, name, agency-facing
// subject lines), where a pasted newline or tab would break list views and
// e-mail headers and where repeated spaces only serve to defeat duplicate
// detection: every run of whitespace, including line breaks and tabs, becomes
// one ASCII space.
func CleanLine(s string) string {
	return layoutLine(norm.NFC.String(filter(s)))
}

// Len counts characters the way a person (and a length limit shown to one)
// counts them: runes after NFC, so a decomposed "ế" counts once and a 4-byte
// Chữ Nôm character such as "𡨸" counts once rather than two UTF-16 units or
// four bytes. It deliberately does not count grapheme clusters: the rule is
// simple to explain, cheap, and stable across Unicode versions, at the cost of
// counting an emoji ZWJ sequence as several characters.
func Len(s string) int {
	return utf8.RuneCountInString(norm.NFC.String(s))
}

// isClean reports, in one cheap pass, whether Clean(s) == s for text made
// of ASCII, Vietnamese letters and common punctuation. It is a fast path
// only: false means "not known to be clean", and the full pipeline runs.
// Most calls see text that is already clean (stored text cleaned again,
// text typed on ordinary keyboards), so the pipeline's three passes and the
// general NFC check are skipped.
func isClean(s string) bool {
	if s == "" {
		return true
	}
	if first, _ := utf8.DecodeRuneInString(s); isBlank(first) {
		return false
	}
	if last, _ := utf8.DecodeLastRuneInString(s); isBlank(last) {
		return false
	}
	newlines := 0
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '\n':
				if space || newlines == 2 {
					return false
				}
				newlines++
			case c == ' ':
				space = true
			case c < 0x20 || c == 0x7f:
				return false
			default:
				newlines, space = 0, false
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !nfcSafe(r) {
			return false // also covers invalid UTF-8, controls and format characters
		}
		if unicode.IsSpace(r) {
			space = true
		} else {
			newlines, space = 0, false
		}
	}
	return true
}

// nfcSafe reports whether r is known to be left alone by every step of
// Clean when surrounded by other nfcSafe runes or ASCII: it is in NFC, does
// not combine with what precedes it, and is not removed or rewritten by
// filter. Only the ranges Vietnamese text uses are tabulated.
func nfcSafe(r rune) bool {
	switch {
	case r < safeLatinEnd:
		return safeLatin[r-utf8.RuneSelf]
	case r >= vnStart && r < vnEnd:
		return safeVN[r-vnStart]
	case r >= safePunctStart && r < safePunctEnd:
		return safePunct[r-safePunctStart]
	}
	return false
}

const (
	safeLatinEnd   = 0x250 // Latin-1 Supplement to Latin Extended-B
	safePunctStart = 0x2000
	safePunctEnd   = 0x2070 // General Punctuation
)

var (
	safeLatin [safeLatinEnd - utf8.RuneSelf]bool
	safeVN    [vnEnd - vnStart]bool
	safePunct [safePunctEnd - safePunctStart]bool
)

func init() {
	fill := func(table []bool, start rune) {
		for i := range table {
			r := start + rune(i)
			str := string(r)
			table[i] = norm.NFC.PropertiesString(str).BoundaryBefore() &&
				norm.NFC.IsNormalString(str) &&
				filter(str) == str
		}
	}
	fill(safeLatin[:], utf8.RuneSelf)
	fill(safeVN[:], vnStart)
	fill(safePunct[:], safePunctStart)
}

// filter performs the rune-level part of Clean: removal of invisible and
// control characters and line-break normalisation. It runs before NFC so that
// a combining mark separated from its base by a removed character is composed
// with it afterwards, which keeps Clean idempotent.
func filter(s string) string {
	// Fast path: find the first byte that needs attention. Printable ASCII
	// and "\n" are always kept as they are.
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf || (c < 0x20 && c != '\n') || c == 0x7f {
			break
		}
		i++
	}
	if i == len(s) {
		return s
	}
	// Check whether the non-ASCII rest actually needs changing before
	// allocating: most Vietnamese text only contains ordinary letters.
	if !needsFilter(s[i:]) {
		return s
	}

	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	prev := rune(-1) // last rune written, for the ZWJ rule
	if i > 0 {
		prev = rune(s[i-1])
	}
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
			prev = utf8.RuneError
			i++
			continue
		}
		i += size
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue // the '\n' that follows is written next
			}
			r = '\n'
		case r == '\t':
			r = ' '
		case r == 0x85 || r == 0x2028 || r == 0x2029:
			r = '\n'
		case r >= 0xFF10 && r <= 0xFF19:
			// Full-width digits (from some phone keyboards) become ASCII, so
			// numbers are validated, searched and masked as typed elsewhere.
			r = '0' + (r - 0xFF10)
		case r == zwj:
			next, _ := utf8.DecodeRuneInString(s[i:])
			if !isEmoji(prev) || !isEmoji(next) {
				continue
			}
		case isRemoved(r):
			continue
		}
		b.WriteRune(r)
		prev = r
	}
	return b.String()
}

// needsFilter reports whether filter would change s.
func needsFilter(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return true
			}
			continue
		}
		if r == '\r' || r == '\t' || r == 0x85 || r == 0x2028 || r == 0x2029 || r == zwj || isRemoved(r) || (r >= 0xFF10 && r <= 0xFF19) {
			return true
		}
	}
	return false
}

const zwj = '\u200d'

// isRemoved reports whether Clean drops r unconditionally: zero-width and
// bidi formatting characters and C0/C1 controls other than '\n' and '\t'
// (which are normalised rather than removed).
func isRemoved(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\n' && r != '\t' && r != '\r'
	case r < 0x7f:
		return false
	case r <= 0x9f:
		return r != 0x85 // DEL and C1 controls; NEL is a line break
	case r == 0xad, r == 0x61c:
		return true
	case r < 0x200b:
		return false
	case r <= 0x200c, r == 0x200e, r == 0x200f: // ZWSP, ZWNJ, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r == 0x2060: // word joiner
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0xfeff: // BOM / zero-width no-break space
		return true
	}
	return false
}

// isEmoji reports whether r can take part in an emoji ZWJ sequence, either
// as a pictograph or as the variation selector / modifier that ends one
// element of the sequence. It is a deliberately generous approximation of
// Extended_Pictographic: keeping a stray ZWJ between two symbols is harmless,
// while breaking a family or profession emoji is visible to the user.
func isEmoji(r rune) bool {
	switch {
	case r >= 0x1f000 && r <= 0x1faff: // emoji blocks, incl. skin tones and regional indicators
		return true
	case r >= 0x2190 && r <= 0x21ff, // arrows
		r >= 0x2300 && r <= 0x23ff, // misc technical (⌚, ⏰)
		r >= 0x25a0 && r <= 0x27bf, // geometric shapes, misc symbols, dingbats (❤, ☕)
		r >= 0x2900 && r <= 0x297f, // supplemental arrows
		r >= 0x2b00 && r <= 0x2bff: // misc symbols and arrows (⭐, ⬛)
		return true
	case r == 0xfe0f, r == 0x20e3: // emoji presentation selector, keycap
		return true
	case r >= 0xe0020 && r <= 0xe007f: // tag characters (subdivision flags)
		return true
	case r == 0xa9, r == 0xae, r == 0x203c, r == 0x2049, r == 0x2122, r == 0x2139,
		r == 0x3030, r == 0x303d, r == 0x3297, r == 0x3299:
		return true
	}
	return false
}

// isBlank reports whether r is invisible enough to be trimmed from the ends
// of a field: Unicode white space plus characters that render as nothing and
// are used to make "empty" titles look non-empty.
func isBlank(r rune) bool {
	if unicode.IsSpace(r) {
		return true
	}
	switch r {
	case 0x180e, 0x2800, 0x3164, 0xffa0, 0x115f, 0x1160:
		return true
	}
	return false
}

// trimBlank removes leading and trailing blank runes.
func trimBlank(s string) string {
	return strings.TrimFunc(s, isBlank)
}

// layoutText applies Clean's whitespace rules to filtered NFC text.
func layoutText(s string) string {
	s = trimBlank(s)
	if !needsLayout(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := -1 // start of a run of horizontal white space not yet written
	newlines := 0 // line breaks seen since the last visible character
	for i, r := range s {
		switch {
		case r == '\n':
			newlines++
			pending = -1 // white space at the end of a line is dropped
		case unicode.IsSpace(r):
			if pending < 0 {
				pending = i
			}
		default:
			if newlines > 0 {
				b.WriteString("\n\n"[:min(newlines, 2)])
				newlines = 0
			}
			if pending >= 0 {
				b.WriteString(s[pending:i])
				pending = -1
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// needsLayout reports whether layoutText would change the already trimmed s:
// white space before a line break or three line breaks in a row.
func needsLayout(s string) bool {
	newlines := 0
	space := false
	for _, r := range s {
		switch {
		case r == '\n':
			if space {
				return true
			}
			newlines++
			if newlines > 2 {
				return true
			}
		case unicode.IsSpace(r):
			space = true
		default:
			newlines = 0
			space = false
		}
	}
	return false
}

// layoutLine applies CleanLine's whitespace rules to filtered NFC text.
func layoutLine(s string) string {
	s = trimBlank(s)
	var b strings.Builder
	changed := false
	inSpace := false
	for i, r := range s {
		if unicode.IsSpace(r) {
			if !changed && (inSpace || r != ' ') {
				changed = true
				b.Grow(len(s))
				b.WriteString(s[:i])
				if inSpace { // the previous ' ' has been copied already
					continue
				}
			}
			if !inSpace && changed {
				b.WriteByte(' ')
			}
			inSpace = true
			continue
		}
		inSpace = false
		if changed {
			b.WriteRune(r)
		}
	}
	if !changed {
		return s
	}
	return b.String()
}
