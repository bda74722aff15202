package pii

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzMask checks the properties Mask must keep on any input: no panic,
// valid UTF-8 in gives valid UTF-8 out, bounded growth (the 9-byte token
// replaces items of at least 3 bytes), and text without digits, "@" or a
// usable name is returned unchanged.
func FuzzMask(f *testing.F) {
	seeds := []struct{ text, name string }{
		{"", ""},
		{"Tôi tên Lê Thị Ngọc Hân, CCCD số 089184012357.", "Lê Thị Ngọc Hân"},
		{"SĐT 0918 234 567, (+84) 918.234.567, +84918234567, 0296 3852 123", ""},
		{"email tuyen.huynh95@example.vn.", ""},
		{"biển số 67A-123.45, 67B1-234.56, 51F-12345, 67A1 234.56, 59-X1 123.45", ""},
		{"tài khoản 6703 205 118 492 và 0451 0003 827 16", "Trần Văn Lượm"},
		{"Mã 000.00.19.H01-250401-0001, 61/2018/NĐ-CP, 2.000.000.000 đồng, 24/03/2025", ""},
		{"Theo Thông tư số 111/2013/TT-BTC", "Tư"},
		{"Theo Thông tư", "Nguyễn Văn Tư"},
		{norm.NFD.String("Trần Văn Lượm"), "Trần Văn Lượm"},
		{"(+", ""},
		{"(0", ""},
		{"((+84)", "a b"},
		{"0918234567 0987654321 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8", ""},
		{"a@b.cc x\xffy 12345678", "x y"},
	}
	for _, s := range seeds {
		f.Add(s.text, s.name)
	}
	f.Fuzz(func(t *testing.T, text, name string) {
		out := Mask(text, name)
		if utf8.ValidString(text) && !utf8.ValidString(out) {
			t.Fatalf("Mask(%q, %q) = %q is not valid UTF-8", text, name, out)
		}
		if len(out) > 3*len(text) {
			t.Fatalf("Mask(%q, %q) = %q grew from %d to %d bytes", text, name, out, len(text), len(out))
		}
		if !strings.ContainsAny(text, "0123456789@") && len(strings.Fields(name)) < 2 && out != text {
			t.Fatalf("Mask(%q, %q) = %q changed text without digits, e-mail or name", text, name, out)
		}
	})
}
