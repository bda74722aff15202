package legal

import (
	"strconv"
	"strings"
	"unicode"
)

// Segment returns the anchor segment of a unit: its kind, "-", and its number
// folded to ASCII (see the package documentation).
func Segment(kind Kind, number string) string {
	return string(kind) + "-" + foldNumber(number)
}

// foldNumber lower-cases a number and keeps ASCII letters and digits, with đ
// written "dd".
func foldNumber(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == 'đ' || r == 'Đ':
			b.WriteString("dd")
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r + ('a' - 'A'))
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// pointOrder is the order of point letters: the Vietnamese alphabet's
// letters a–y, đ after d, with f, j, w and z (not Vietnamese, but Word's
// automatic lettering produces them) in their Latin places.
const pointOrder = "abcdđefghijklmnopqrstuvwxyz"

// vnPoints is the sequence points follow in Vietnamese drafts.
var vnPoints = []rune("abcdđeghiklmnopqrstuvxy")

func pointValue(letter rune) int {
	i := 0
	for _, r := range pointOrder {
		i++
		if r == letter {
			return i
		}
	}
	return 0
}

// nextPoint returns the letter expected after letter ('a' after none).
func nextPoint(letter rune) rune {
	if letter == 0 {
		return 'a'
	}
	for i, r := range vnPoints {
		if r == letter && i+1 < len(vnPoints) {
			return vnPoints[i+1]
		}
	}
	return 0
}

var romanValues = map[rune]int{'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}

// romanValue returns the value of an upper-case Roman numeral, 0 if s is not
// one.
func romanValue(s string) int {
	total, prev := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		v := romanValues[rune(s[i])]
		if v == 0 {
			return 0
		}
		if v < prev {
			total -= v
		} else {
			total += v
			prev = v
		}
	}
	return total
}

// ordinals maps the Vietnamese ordinal words used for parts ("Phần thứ
// nhất") to numbers.
var ordinals = map[string]int{
	"nhất": 1, "một": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6,
	"bảy": 7, "bẩy": 7, "tám": 8, "chín": 9, "mười": 10,
}

// numberValue returns the number's value for ordering and a suffix ("a" in
// "15a"), or ok false when it cannot be read.
func numberValue(s string) (v int, suffix string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, "", false
		}
		return n, s[i:], true
	}
	if r := romanValue(s); r > 0 {
		return r, "", true
	}
	return 0, "", false
}

// Cite names a unit the way a reader cites it: given the node's path
// (Index.Path), in Vietnamese "Điểm đ khoản 1 Điều 7" and in English
// "Article 7(1)(đ)". Articles are cited without their chapter, as their
// numbers run through the whole document. An empty path is the whole draft.
func Cite(path []*Node, lang string) string {
	if len(path) == 0 {
		if lang == "en" {
			return "The whole draft"
		}
		return "Toàn bộ dự thảo"
	}
	// Start from the article if there is one: its number is unique.
	start := 0
	for i, n := range path {
		if n.Kind == KindArticle {
			start = i
		}
	}
	path = path[start:]
	if lang == "en" {
		return citeEN(path)
	}
	parts := make([]string, 0, len(path))
	for i := len(path) - 1; i >= 0; i-- {
		n := path[i]
		var w string
		switch n.Kind {
		case KindPart:
			w = "Phần " + n.Number
		case KindChapter:
			w = "Chương " + n.Number
		case KindSection:
			w = "Mục " + n.Number
		case KindArticle:
			w = "Điều " + n.Number
		case KindClause:
			w = "khoản " + n.Number
		case KindPoint:
			w = "điểm " + n.Number
		default:
			w = "đoạn " + n.Number
		}
		parts = append(parts, w)
	}
	s := strings.Join(parts, " ")
	return upperFirst(s)
}

func citeEN(path []*Node) string {
	var b strings.Builder
	for i, n := range path {
		switch n.Kind {
		case KindArticle:
			b.WriteString("Article " + n.Number)
		case KindClause, KindPoint:
			if i == 0 {
				if n.Kind == KindClause {
					b.WriteString("Clause " + n.Number)
				} else {
					b.WriteString("Point " + n.Number)
				}
			} else {
				b.WriteString("(" + n.Number + ")")
			}
		default:
			if i > 0 {
				b.WriteString(", ")
			}
			switch n.Kind {
			case KindPart:
				b.WriteString("Part " + n.Number)
			case KindChapter:
				b.WriteString("Chapter " + n.Number)
			case KindSection:
				b.WriteString("Section " + n.Number)
			default:
				b.WriteString("Paragraph " + n.Number)
			}
		}
	}
	return b.String()
}

func upperFirst(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

// toRoman writes n (1–3999) as an upper-case Roman numeral.
func toRoman(n int) string {
	if n <= 0 || n >= 4000 {
		return strconv.Itoa(n)
	}
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}
