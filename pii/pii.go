// Package pii removes personal data from text before it is published.
//
// Citizens routinely put their own CCCD number, phone, e-mail, bank account
// or licence plate into the body of a question, although only the question
// and the agency's answer are meant to become public (Nghị định
// 13/2023/NĐ-CP on personal data protection). Everything the portal shows
// the public therefore goes through Mask.
//
// The detectors are tuned for how Vietnamese users actually write these
// items and, just as much, for what must survive: dates (24/03/2025), money
// with dot separators (1.500.000 đồng), legal document numbers
// (61/2018/NĐ-CP), dossier codes (000.00.19.H01-250401-0001), years,
// hotlines (1022, 1900 1234), percentages and article numbers. House
// addresses are not detected.
package pii

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token replaces every masked item (see Mask).
const token = "•••"

// Mask returns text with personal data replaced, so that the result can be
// published.
//
// Each item becomes "•••" (three U+2022 bullets) and nothing else: readable
// in any language the portal is shown in, obviously deliberate, and free of
// type hints, since even "[phone]" tells a reader what kind of record to
// look for. Overlapping or touching items collapse into one "•••".
//
// names are the asker's full names (typically just one); they are matched
// case-, diacritic- and normalisation-insensitively, on word boundaries, with
// any white space between the words.
//
// A name is only used when it has at least two words. A one-word name such as
// "Tư" or "Hà" cannot be told apart from ordinary words ("Thông tư", "Hà
// Nội"), and masking every occurrence would corrupt legal citations. Matching
// ignores diacritics on purpose: people often retype their own name without
// them, and over-masking a name that differs only in tone marks is the safe
// failure.
//
// Detected without being asked for: e-mail addresses; Vietnamese mobile and
// landline numbers in the usual spellings (0918234567, 0918 234 567,
// 0918.234.567, 0918-234-567, +84 918 234 567, (+84) 918..., 84918234567,
// 0296 3852 123) and other "+"-prefixed international numbers; standalone
// digit runs of 8–19 digits, which covers CMND (9) and CCCD (12) numbers and
// bank accounts, also when written as space-separated groups
// ("6703 205 118 492"); and licence plates (67A-123.45, 67B1-234.56,
// 51F-12345, 67A1 234.56, 59-X1 123.45).
//
// Digit groups joined by "." or "-" (1.500.000, 2025-2026, 24.03.2025) are
// masked only where they are shaped like a phone number, and numbers
// attached to letters, directly or through ".", ",", "-", "@" or "_"
// (000.00.19.H01-250401-0001, B2, 1,5), are part of a code or a decimal and
// are left alone. Mask does not normalise text: bytes outside masked items
// are returned unchanged, so it can run on stored text without a diff
// beyond the masks.
func Mask(text string, names ...string) string {
	var buf [16]span // enough for any ordinary text, without allocating
	spans := findEmails(text, buf[:0])
	spans = scanNumbers(text, spans)
	spans = findGroupedIDs(text, spans)
	if len(names) > 0 {
		spans = findNames(text, prepareNames(names), spans)
	}
	if len(spans) == 0 {
		return text
	}
	return replace(text, spans)
}

// groupedIDRE matches a 12-digit citizen ID (CCCD, which starts with 0) or a
// 9-digit CMND written in groups of three with dots or dashes, which the
// number scanner leaves alone because dotted numbers are usually money.
var groupedIDRE = regexp.MustCompile(`(?:^|[^\p{L}\p{N}.\-])(0\d{2}[.\-]\d{3}[.\-]\d{3}[.\-]\d{3}|\d{3}-\d{3}-\d{3})(?:$|[^\p{L}\p{N}]|[.\-][^\p{N}]|[.\-]$)`)

func findGroupedIDs(text string, spans []span) []span {
	if !hasGroupedDigits(text) {
		return spans // the common case, without touching the regexp engine
	}
	for _, m := range groupedIDRE.FindAllStringSubmatchIndex(text, -1) {
		spans = append(spans, span{m[2], m[3]})
	}
	return spans
}

// hasGroupedDigits reports whether text has "ddd.ddd." or "ddd-ddd-" (two
// groups of three digits, each followed by a dot or dash): the only way a
// grouped ID number can start. Ordinary text, money like 100.000 among it,
// never reaches the regular expression.
func hasGroupedDigits(text string) bool {
	for i := 0; i+8 <= len(text); i++ {
		if isDigits(text[i:i+3]) && isSep(text[i+3]) && isDigits(text[i+4:i+7]) && isSep(text[i+7]) {
			return true
		}
	}
	return false
}

func isSep(c byte) bool { return c == '.' || c == '-' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// span is a byte range [start, end) of text to mask.
type span struct{ start, end int }

// findEmails appends the spans of e-mail addresses: a local part of letters,
// digits and "._%+-" (in any script, since a false positive costs only a few
// masked characters), "@", and a domain of at least two dot-separated labels
// of letters, digits and "-" whose last label starts with two letters. It is
// the regular expression
//
//	[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)*\.\p{L}{2,}
//
// written out by hand: anchored on "@", it costs nothing on text without
// one and a few nanoseconds per address, where the regexp engine spent
// most of Mask's time on a 1 KB body.
func findEmails(s string, spans []span) []span {
	from := 0 // a local part cannot reach back into the previous address
	for {
		k := strings.IndexByte(s[from:], '@')
		if k < 0 {
			return spans
		}
		at := from + k
		start := at
		for start > from {
			r, n := utf8.DecodeLastRuneInString(s[from:start])
			if !isLocalPart(r) {
				break
			}
			start -= n
		}
		if end := domainEnd(s, at+1); start < at && end > 0 {
			spans = append(spans, span{start, end})
			from = end
		} else {
			from = at + 1
		}
	}
}

// isLocalPart reports whether r may appear in the local part of an address.
func isLocalPart(r rune) bool {
	return isAlnum(r) || r == '.' || r == '%' || r == '+' || r == '-'
}

// domainEnd returns the end of the longest e-mail domain starting at s[i],
// or -1 if there is none.
func domainEnd(s string, i int) int {
	end := -1
	for labels := 0; ; labels++ {
		j, letters := i, 0
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if r != '-' && !isAlnum(r) {
				break
			}
			if letters == j-i && unicode.IsLetter(r) {
				letters += n // length of the label's leading letters
			}
			j += n
		}
		if j == i {
			return end
		}
		if labels > 0 && utf8.RuneCountInString(s[i:i+letters]) >= 2 {
			end = i + letters
		}
		if j+1 >= len(s) || s[j] != '.' {
			return end
		}
		i = j + 1
	}
}

// replace builds the masked text, merging overlapping or touching spans.
func replace(text string, spans []span) string {
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for i := 0; i < len(spans); {
		start, end := spans[i].start, spans[i].end
		for i++; i < len(spans) && spans[i].start <= end; i++ {
			end = max(end, spans[i].end)
		}
		b.WriteString(text[last:start])
		b.WriteString(token)
		last = end
	}
	b.WriteString(text[last:])
	return b.String()
}
