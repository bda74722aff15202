package pii

import (
	"unicode"
	"unicode/utf8"
)

// scanNumbers finds phone numbers, ID and account numbers and licence plates
// in one left-to-right pass and appends their spans. skip holds spans already
// found (e-mail addresses), which are not rescanned; it is returned extended.
func scanNumbers(s string, skip []span) []span {
	spans := skip
	var groupBuf [16]group // avoids allocating for ordinary clusters
	next := 0              // index into skip of the next span to jump over
	for i := 0; i < len(s); {
		if next < len(skip) && i >= skip[next].start {
			i = max(i, skip[next].end)
			next++
			continue
		}
		c := s[i]
		if !isDigit(c) && c != '+' && c != '(' {
			i++
			continue
		}
		// Numbers end where an e-mail address begins, so that
		// "0918234567 123abc@mail.vn" still masks the phone.
		t := s
		if next < len(skip) {
			t = s[:skip[next].start]
		}
		if end, ok := matchPlate(t, i); ok {
			spans = append(spans, span{i, end})
			i = end
			continue
		}
		cl, ok := parseCluster(t, i, groupBuf[:0])
		if !ok {
			i++
			continue
		}
		// The left glue check starts at the first digit: "ĐT(0296) ..." and
		// "ĐT+84..." are separated from the letters by "(" and "+".
		if !glued(t, cl.groups[0].start, cl.end) {
			spans = cl.mask(t, spans)
		}
		i = cl.end
	}
	return spans
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// isAlnum reports whether r is a letter or digit in any script; such a rune
// next to a number makes the number part of a word or code.
func isAlnum(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// glued reports whether s[start:end] is attached to surrounding text in a
// way that makes it part of a larger token: a letter or digit right next to
// it, or a ".", ",", "-", "@" or "_" followed by one (a code such as
// "H01-250401", a decimal "1,5", an amount "2.000.000"). "/" is not glue:
// it separates numbers in dates and legal numbers, which are short enough to
// survive on their own, but also two phone numbers ("0918.../0987...").
func glued(s string, start, end int) bool {
	return gluedLeft(s, start) || gluedRight(s, end)
}

// gluedLeft is the left half of glued: whether the text before s[start]
// attaches to it.
func gluedLeft(s string, start int) bool {
	if start == 0 {
		return false
	}
	r, n := utf8.DecodeLastRuneInString(s[:start])
	if isAlnum(r) {
		return true
	}
	if isJoiner(r) && start-n > 0 {
		r2, _ := utf8.DecodeLastRuneInString(s[:start-n])
		return isAlnum(r2)
	}
	return false
}

// gluedRight is the right half of glued: whether the text from s[end] on
// attaches to what precedes it.
func gluedRight(s string, end int) bool {
	if end >= len(s) {
		return false
	}
	r, n := utf8.DecodeRuneInString(s[end:])
	if isAlnum(r) {
		return true
	}
	if isJoiner(r) && end+n < len(s) {
		r2, _ := utf8.DecodeRuneInString(s[end+n:])
		return isAlnum(r2)
	}
	return false
}

func isJoiner(r rune) bool {
	return r == '.' || r == ',' || r == '-' || r == '@' || r == '_'
}

// matchPlate matches a Vietnamese licence plate starting at s[i]: a two-digit
// province code, an optional "-", one or two capital series letters with an
// optional digit, an optional separator, and a 4–5 digit number, the 5-digit
// form optionally written "123.45". With a space before the number only the
// dotted form is accepted, so prose such as "10 KM 2000" is not a plate.
func matchPlate(s string, i int) (int, bool) {
	if i+2 > len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) || gluedLeft(s, i) {
		return 0, false
	}
	j := i + 2
	if j < len(s) && s[j] == '-' {
		j++
	}
	k := j
	for k < len(s) && k-j < 2 && isUpper(s[k]) {
		k++
	}
	if k == j {
		return 0, false
	}
	// The series may end with a digit ("67B1"); try with and without it,
	// since "51F12345" is also a valid plate without separators.
	for _, withDigit := range [2]bool{true, false} {
		m := k
		if withDigit {
			if m >= len(s) || !isDigit(s[m]) {
				continue
			}
			m++
		}
		sep := byte(0)
		if m < len(s) && (s[m] == '-' || s[m] == '.' || s[m] == ' ') {
			sep = s[m]
			m++
		}
		if end, ok := plateNumber(s, m, sep == ' '); ok && !glued(s, i, end) {
			return end, true
		}
	}
	return 0, false
}

// plateNumber matches the numeric part of a plate at s[m]: "123.45", or
// (unless dottedOnly) four or five digits.
func plateNumber(s string, m int, dottedOnly bool) (int, bool) {
	n := digitRun(s, m)
	if n == 3 && m+6 <= len(s) && s[m+3] == '.' && digitRun(s, m+4) == 2 {
		return m + 6, true
	}
	if !dottedOnly && (n == 4 || n == 5) {
		return m + n, true
	}
	return 0, false
}

// digitRun returns the number of ASCII digits starting at s[i].
func digitRun(s string, i int) int {
	n := 0
	for i+n < len(s) && isDigit(s[i+n]) {
		n++
	}
	return n
}

// cluster is a run of digit groups joined by single separators
// (" ", "." or "-"), possibly with a "+" or parenthesised prefix:
// "0918 234 567", "+84 918.234.567", "(0296) 3852 123", "1.500.000".
type cluster struct {
	start, end int
	plus       bool    // written with a leading "+" (international form)
	groups     []group // digit groups, in order
}

type group struct {
	start, end int  // the digits of the group
	sep        byte // separator before this group (0 for the first)
}

// parseCluster reads a cluster starting at s[i], which is a digit, "+" or
// "(". ok is false when no digits follow or the parentheses do not hold a
// country or area code. Groups are appended to buf.
func parseCluster(s string, i int, buf []group) (cluster, bool) {
	cl := cluster{start: i, groups: buf}
	j := i
	closeParen := false
	if s[j] == '(' {
		j++
		closeParen = true
	}
	if j < len(s) && s[j] == '+' {
		cl.plus = true
		j++
	}
	n := digitRun(s, j)
	if n == 0 {
		return cl, false
	}
	cl.groups = append(cl.groups, group{start: j, end: j + n})
	j += n
	if closeParen {
		// Only a country or area code in parentheses starts a cluster:
		// "(+84) 918 ...", "(84) 918 ...", "(0296) 3852 123"; not an
		// enumeration such as "(1) ...".
		code := s[j-n : j]
		switch {
		case cl.plus && n <= 3:
		case code == "84":
		case code[0] == '0' && n >= 3 && n <= 4:
		default:
			return cl, false
		}
		if j >= len(s) || s[j] != ')' {
			return cl, false
		}
		j++
		if j < len(s) && s[j] == ' ' {
			j++
		}
		m := digitRun(s, j)
		if m == 0 {
			return cl, false
		}
		cl.groups = append(cl.groups, group{start: j, end: j + m, sep: ' '})
		j += m
	}
	for j+1 < len(s) && (s[j] == ' ' || s[j] == '.' || s[j] == '-') && isDigit(s[j+1]) {
		m := digitRun(s, j+1)
		cl.groups = append(cl.groups, group{start: j + 1, end: j + 1 + m, sep: s[j]})
		j += 1 + m
	}
	cl.end = j
	return cl, true
}

// maxDigits bounds the digits considered in one masked item: 19 is the
// longest bank account number in use; phones are at most 15 (E.164).
const maxDigits = 19

// mask appends the spans of the cluster that hold personal data.
//
// Amounts of money are left alone. Otherwise the whole cluster is masked if
// it is shaped like a phone number or an account number (see isAccount);
// failing that, it is cut into the longest such pieces, preferring phone
// numbers, so that two phone numbers written side by side are both masked.
func (cl cluster) mask(s string, spans []span) []span {
	n := len(cl.groups)
	if cl.isAmount(s) {
		return spans
	}
	if cl.isPhone(s, 0, n-1) || cl.isAccount(s, 0, n-1) {
		return append(spans, span{cl.start, cl.end})
	}
	for i := 0; i < n; {
		k, ok := -1, false
		for j, digits := i, 0; j < n; j++ {
			digits += cl.groups[j].end - cl.groups[j].start
			if digits > 15 {
				break
			}
			if cl.isPhone(s, i, j) {
				k, ok = j, true
				break
			}
		}
		if !ok {
			for j := n - 1; j >= i; j-- {
				if cl.isAccount(s, i, j) {
					k, ok = j, true
					break
				}
			}
		}
		if !ok {
			i++
			continue
		}
		start := cl.groups[i].start
		if i == 0 {
			start = cl.start
		}
		spans = append(spans, span{start, cl.groups[k].end})
		i = k + 1
	}
	return spans
}

// digits returns the digits of groups i..j, stored in buf, or nil if there
// are more than maxDigits of them.
func (cl cluster) digits(s string, i, j int, buf *[maxDigits]byte) []byte {
	n := 0
	for _, g := range cl.groups[i : j+1] {
		if n+g.end-g.start > maxDigits {
			return nil
		}
		n += copy(buf[n:], s[g.start:g.end])
	}
	return buf[:n]
}

// isPhone reports whether groups i..j form a phone number: a Vietnamese
// mobile (10 digits, 03/05/07/08/09) or landline (11 digits, 02), written
// nationally, with 84 or +84, or any "+"-prefixed number of 8–15 digits.
func (cl cluster) isPhone(s string, i, j int) bool {
	var buf [maxDigits]byte
	d := cl.digits(s, i, j, &buf)
	if len(d) < 8 || len(d) > 15 {
		return false
	}
	if cl.plus && i == 0 {
		return true
	}
	if len(d) == 11 && string(d[:2]) == "84" {
		d[1] = '0' // 84 918 234 567 -> 0918 234 567
		d = d[1:]
	}
	switch {
	case len(d) == 10 && d[0] == '0':
		switch d[1] {
		case '3', '5', '7', '8', '9':
			return true
		}
	case len(d) == 11 && string(d[:2]) == "02":
		return true
	}
	return false
}

// isAccount reports whether groups i..j are a standalone digit string of
// 8–19 digits (ID card, bank account), possibly split by single spaces into
// groups of at least two digits, and neither a list of years ("2022 2023")
// nor a hotline ("1900 1234").
func (cl cluster) isAccount(s string, i, j int) bool {
	if cl.plus && i == 0 {
		return false // international numbers are judged by isPhone
	}
	for g := i + 1; g <= j; g++ {
		if cl.groups[g].sep != ' ' {
			return false
		}
	}
	// Account and card numbers are grouped in twos to fours; single digits
	// separated by spaces are a list ("1 2 3 4 5 6 7 8"), not a number.
	if j > i {
		for _, g := range cl.groups[i : j+1] {
			if g.end-g.start < 2 {
				return false
			}
		}
	}
	// The piece must not be cut out of a dotted or hyphenated group.
	if i > 0 && cl.groups[i].sep != ' ' {
		return false
	}
	if j+1 < len(cl.groups) && cl.groups[j+1].sep != ' ' {
		return false
	}
	var buf [maxDigits]byte
	d := cl.digits(s, i, j, &buf)
	if len(d) < 8 {
		return false
	}
	if (string(d[:4]) == "1800" || string(d[:4]) == "1900") && len(d) <= 10 {
		return false
	}
	years := true
	for _, g := range cl.groups[i : j+1] {
		y := s[g.start:g.end]
		if len(y) != 4 || !(y[:2] == "19" || y[:2] == "20") {
			years = false
			break
		}
	}
	if years && j > i {
		return false
	}
	return true
}

// isAmount reports whether the cluster is an amount of money written in
// space-separated thousands and followed by a currency
// ("12 500 000 000 đồng"); dotted amounts are never masked anyway.
func (cl cluster) isAmount(s string) bool {
	n := len(cl.groups)
	if cl.plus || n < 2 || !currencyFollows(s[cl.groups[n-1].end:]) {
		return false
	}
	if n := cl.groups[0].end - cl.groups[0].start; n > 3 {
		return false
	}
	for _, g := range cl.groups[1:] {
		if g.sep != ' ' || g.end-g.start != 3 {
			return false
		}
	}
	return true
}

// currencyFollows reports whether rest starts (after optional spaces) with a
// currency or amount word ("đồng", "đ", "VND", "triệu", ...).
func currencyFollows(rest string) bool {
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	for _, w := range [...]string{"đồng", "đ", "Đ", "VND", "VNĐ", "vnd", "vnđ", "USD", "usd", "$", "triệu", "tỷ", "nghìn", "ngàn"} {
		if len(rest) < len(w) || rest[:len(w)] != w {
			continue
		}
		// A whole word only: "đ" must not match "đến".
		if r, _ := utf8.DecodeRuneInString(rest[len(w):]); !unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
