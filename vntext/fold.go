package vntext

import (
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// Fold maps text to the key used for search and matching, so that a citizen
// who types "thu tuc dat dai" (no diacritics, as many phone users do), "THỦ
// TỤC ĐẤT ĐAI", or an NFD-encoded "thủ tục đất đai" finds the same documents.
// It lower-cases, removes all diacritics (every nonspacing mark, after
// canonical decomposition), maps đ/Đ to d, and drops the invisible
// characters Clean removes (including every ZWJ). Other characters, white
// space included, are kept, so word boundaries survive.
//
// Fold runs on every indexed document, so it is written to be cheap: pure
// ASCII input without upper-case letters is returned without allocating, and
// other input costs one allocation and a table lookup per Vietnamese letter.
func Fold(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			break
		}
		i++
	}
	if i == len(s) {
		return s
	}

	buf := make([]byte, i, len(s)+utf8.UTFMax)
	copy(buf, s[:i])
	needNFC := false
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		f, ok := FoldRune(r)
		switch {
		case !ok:
		case f < utf8.RuneSelf:
			buf = append(buf, byte(f))
		default:
			needNFC = needNFC || !nfcSafe(f)
			buf = utf8.AppendRune(buf, f)
		}
	}
	// buf is never modified again, so it can back the result directly.
	out := unsafe.String(unsafe.SliceData(buf), len(buf))
	if needNFC {
		// Scripts whose canonical compositions do not involve nonspacing
		// marks (Hangul jamo, some Indic vowel signs) must be recomposed so
		// NFD and NFC input still fold alike. Folded Latin text and common
		// punctuation never need it.
		out = norm.NFC.String(out)
	}
	return out
}

// FoldRune is Fold for a single rune. It exists for callers that must map a
// match found in folded text back to the original text (highlighting search
// hits, masking a name in place): Fold never turns one rune into several, so
// such callers can fold rune by rune and keep their own offsets. ok is false
// for runes Fold drops (nonspacing marks and invisible format characters).
//
// The only difference from Fold is the final recomposition Fold applies to
// scripts such as Hangul that compose without nonspacing marks; Latin,
// Vietnamese included, is unaffected.
func FoldRune(r rune) (f rune, ok bool) {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r, true
	}
	if r < latinEnd {
		f = latinFold[r-latinStart]
		return f, f >= 0
	}
	if r >= vnStart && r < vnEnd {
		return vnFold[r-vnStart], true
	}
	return foldSlow(r)
}

// The tables cover Latin-1 Supplement through Latin Extended-B, combining
// diacritics and Latin Extended Additional (where most precomposed Vietnamese
// letters with two marks live), so Vietnamese text never reaches foldSlow.
const (
	latinStart = 0x80
	latinEnd   = 0x370
	vnStart    = 0x1e00
	vnEnd      = 0x1f00
)

var (
	latinFold [latinEnd - latinStart]rune // -1: dropped
	vnFold    [vnEnd - vnStart]rune
)

func init() {
	for r := rune(latinStart); r < latinEnd; r++ {
		f, ok := foldSlow(r)
		if !ok {
			f = -1
		}
		latinFold[r-latinStart] = f
	}
	for r := rune(vnStart); r < vnEnd; r++ {
		f, ok := foldSlow(r)
		if !ok {
			panic("vntext: unexpected dropped rune in Latin Extended Additional")
		}
		vnFold[r-vnStart] = f
	}
}

// foldSlow computes FoldRune from the Unicode tables; it is used directly for
// runes outside the precomputed ranges.
func foldSlow(r rune) (rune, bool) {
	if r == 'đ' || r == 'Đ' {
		// đ has no decomposition (the bar is not a combining mark), but
		// every Vietnamese typing without diacritics writes it as d.
		return 'd', true
	}
	if isRemoved(r) || r == zwj || unicode.Is(unicode.Mn, r) {
		return 0, false
	}
	r = unicode.ToLower(r)
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFD.Properties(buf[:n]).Decomposition()
	if d == nil {
		return r, true
	}
	base, size := utf8.DecodeRune(d)
	for _, m := range string(d[size:]) {
		if !unicode.Is(unicode.Mn, m) {
			// Not a letter plus marks (e.g. a Hangul syllable): keep it.
			return r, true
		}
	}
	if base == 'đ' || base == 'Đ' {
		return 'd', true
	}
	return base, true
}
