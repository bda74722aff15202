package legal

import (
	"strconv"
	"strings"
	"testing"
)

// generatedDraft writes a draft of n articles in the regulation's style:
// chapters of ten articles, three clauses each, the second with points
// a–đ, lines wrapped at about 80 characters as in a PDF extract.
func generatedDraft(n int) string {
	var b strings.Builder
	b.WriteString("QUY CHẾ\nThử nghiệm hiệu năng của bộ phân tích\n(Kèm theo Quyết định số 01/2025/QĐ-UBND)\n")
	wrap := func(s string) {
		for len(s) > 80 {
			i := strings.LastIndex(s[:80], " ")
			if i <= 0 {
				break
			}
			b.WriteString(s[:i] + " \n")
			s = s[i+1:]
		}
		b.WriteString(s + "\n")
	}
	for i := 1; i <= n; i++ {
		if i%10 == 1 {
			b.WriteString("Chương " + toRoman(i/10+1) + "\nNHỮNG QUY ĐỊNH VỀ NHÓM NỘI DUNG SỐ " + strconv.Itoa(i/10+1) + "\n")
		}
		b.WriteString("Điều " + strconv.Itoa(i) + ". Trách nhiệm của cơ quan, tổ chức trong lĩnh vực số " + strconv.Itoa(i) + "\n")
		for k := 1; k <= 3; k++ {
			wrap(strconv.Itoa(k) + ". Sở, ban, ngành cấp tỉnh; Ủy ban nhân dân cấp huyện; Ủy ban nhân dân cấp xã có trách nhiệm tổ chức thực hiện, kiểm tra, giám sát và báo cáo định kỳ theo quy định của pháp luật" + map[bool]string{true: ", bao gồm:", false: "."}[k == 2])
			if k == 2 {
				for _, pt := range []string{"a", "b", "c", "d", "đ"} {
					wrap(pt + ") Cung cấp đầy đủ, chính xác thông tin trên môi trường mạng cho tổ chức, cá nhân có nhu cầu tra cứu;")
				}
			}
		}
	}
	return b.String()
}

func BenchmarkParseRegulation(b *testing.B) {
	text := regulation(b)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := Parse(text, FormatText); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse300Articles(b *testing.B) {
	text := generatedDraft(300)
	d, err := Parse(text, FormatText)
	if err != nil || len(d.Articles()) != 300 || len(d.Issues) != 0 {
		b.Fatalf("generated draft: %v, %d articles, %v", err, len(d.Articles()), d.Issues)
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := Parse(text, FormatText); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompare300Articles(b *testing.B) {
	text := generatedDraft(300)
	old, _ := Parse(text, FormatText)
	nw, _ := Parse(strings.Replace(text, "Điều 150. ", "Điều 150. Sửa đổi: ", 1), FormatText)
	for b.Loop() {
		Compare(old, nw)
	}
}
