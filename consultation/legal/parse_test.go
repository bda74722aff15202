package legal

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// regulation is Quyết định 02/2023/QĐ-UBND as extracted from its PDF: page
// breaks, wrapped lines and all.
func regulation(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/quy-che-02-2023-an-giang.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustParse(t testing.TB, text string, format Format) *Document {
	t.Helper()
	d, err := Parse(text, format)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	checkTree(t, d)
	return d
}

// checkTree checks what must hold for any parsed document: anchors valid,
// unique, each the parent's anchor plus one segment.
func checkTree(t testing.TB, d *Document) {
	t.Helper()
	seen := map[string]bool{}
	d.Walk(func(n *Node, anc []*Node) bool {
		if !ValidAnchor(n.Anchor) {
			t.Errorf("invalid anchor %q", n.Anchor)
		}
		if seen[n.Anchor] {
			t.Errorf("anchor %q twice", n.Anchor)
		}
		seen[n.Anchor] = true
		want := ""
		if len(anc) > 0 {
			want = anc[len(anc)-1].Anchor + "/"
		}
		if !strings.HasPrefix(n.Anchor, want) || strings.Contains(n.Anchor[len(want):], "/") {
			t.Errorf("anchor %q under %q", n.Anchor, want)
		}
		if n.Children == nil {
			t.Errorf("%s: nil children", n.Anchor)
		}
		return true
	})
}

// outline writes the tree one node a line: anchor, and title when set.
func outline(d *Document) string {
	var b strings.Builder
	d.Walk(func(n *Node, _ []*Node) bool {
		b.WriteString(n.Anchor)
		if n.Title != "" {
			b.WriteString(" | " + n.Title)
		}
		if len(n.Flags) > 0 {
			b.WriteString(" !" + strings.Join(n.Flags, ","))
		}
		b.WriteString("\n")
		return true
	})
	return b.String()
}

func TestRegulation(t *testing.T) {
	d := mustParse(t, regulation(t), FormatText)
	if len(d.Issues) != 0 {
		t.Errorf("issues: %+v", d.Issues)
	}
	var chapters []string
	for _, n := range d.Nodes {
		if n.Kind != KindChapter {
			t.Errorf("top-level %s %s", n.Kind, n.Anchor)
		}
		chapters = append(chapters, n.Number)
	}
	if got := strings.Join(chapters, ","); got != "I,II,III,IV,V,VI" {
		t.Errorf("chapters %s", got)
	}
	arts := d.Articles()
	if len(arts) != 28 {
		t.Fatalf("%d articles", len(arts))
	}
	for i, a := range arts {
		if want := itoa(i + 1); a.Number != want {
			t.Errorf("article %d numbered %s", i+1, a.Number)
		}
	}
	ix := d.Index()
	iv, _ := ix.Node("chuong-iv")
	var sections []string
	for _, c := range iv.Children {
		sections = append(sections, c.Anchor+"="+c.Title)
	}
	if got, want := strings.Join(sections, "; "), "chuong-iv/muc-1=BẢO ĐẢM NHÂN LỰC; chuong-iv/muc-2=BẢO ĐẢM KINH PHÍ; chuong-iv/muc-3=ĐẢM BẢO HẠ TẦNG KỸ THUẬT"; got != want {
		t.Errorf("Chương IV sections:\n got %s\nwant %s", got, want)
	}
	if iv.Title != "BẢO ĐẢM HOẠT ĐỘNG CUNG CẤP THÔNG TIN VÀ DỊCH VỤ CÔNG TRỰC TUYẾN TRÊN MÔI TRƯỜNG MẠNG" {
		t.Errorf("Chương IV title %q (two lines in the text)", iv.Title)
	}

	a7, ok := ix.Node("chuong-ii/dieu-7")
	if !ok {
		t.Fatal("no chuong-ii/dieu-7")
	}
	if a7.Title != "Tương tác với tổ chức, cá nhân trên môi trường mạng" || len(a7.Children) != 2 {
		t.Fatalf("Điều 7: %q with %d clauses", a7.Title, len(a7.Children))
	}
	var points []string
	for _, p := range a7.Children[0].Children {
		points = append(points, p.Number+"="+p.Anchor)
	}
	if got, want := strings.Join(points, " "), "a=chuong-ii/dieu-7/khoan-1/diem-a b=chuong-ii/dieu-7/khoan-1/diem-b c=chuong-ii/dieu-7/khoan-1/diem-c d=chuong-ii/dieu-7/khoan-1/diem-d đ=chuong-ii/dieu-7/khoan-1/diem-dd"; got != want {
		t.Errorf("Điều 7 khoản 1 points:\n got %s\nwant %s", got, want)
	}
	c := a7.Children[0].Children[2]
	if c.Text != "Cho phép tham gia trong hoạt động xây dựng pháp luật, thực thi chính sách, pháp luật của cơ quan nhà nước theo quy định của pháp luật." {
		t.Errorf("7.1.c text %q", c.Text)
	}
	dd := a7.Children[0].Children[4]
	if !strings.HasPrefix(dd.Text, "Công khai toàn bộ") || strings.Contains(dd.Text, "\n") {
		t.Errorf("7.1.đ text %q", dd.Text)
	}
	if a7.Children[1].Number != "2" || len(a7.Children[1].Children) != 0 {
		t.Errorf("Điều 7 khoản 2: %+v", a7.Children[1])
	}
	// Điều 7.1.d wraps across a page break (the next line starts with a
	// space in the extract).
	if d7 := a7.Children[0].Children[3]; !strings.Contains(d7.Text, "cấp tỉnh; Ủy ban nhân dân cấp huyện") {
		t.Errorf("7.1.d lost its wrapped line: %q", d7.Text)
	}

	tests := []struct {
		name, anchor, title, text string
	}{
		{"title wrapped over two lines", "chuong-ii/dieu-8", "Kết nối, chia sẻ thông tin của cơ quan nhà nước trên môi trường mạng", ""},
		{"title ending in a lower-case line", "chuong-iv/muc-2/dieu-15", "Kinh phí duy trì và phát triển các hoạt động cung cấp thông tin của cơ quan nhà nước trên môi trường mạng", ""},
		{"title with a semicolon", "chuong-vi/dieu-26", "Trách nhiệm của các sở, ban, ngành và Ủy ban nhân dân cấp huyện; Ủy ban nhân dân cấp xã", ""},
		{"text before the clauses", "chuong-iv/muc-1/dieu-12", "Nhân lực biên tập Cổng thông tin điện tử", "Sở, ban, ngành cấp tỉnh; Ủy ban nhân dân cấp huyện; Ủy ban nhân dân cấp xã có trách nhiệm phân công, bố trí đủ nhân lực biên tập Cổng thông tin điện tử để tiếp nhận, xử lý, biên tập, cập nhật thông tin, bảo đảm hoạt động của Cổng thông tin điện tử, Trang thông tin điện tử theo quy định của pháp luật."},
		{"an article without a title", "chuong-vi/dieu-28", "", "Trong quá trình thực hiện có khó khăn, vướng mắc hoặc kiến nghị bổ sung, các đơn vị kịp thời báo cáo về Sở Thông tin và Truyền thông để tổng hợp trình Ủy ban nhân dân tỉnh xem xét quyết định./."},
		{"a clause continued after a page break", "chuong-ii/dieu-5/khoan-5", "", "Ủy ban nhân dân tỉnh An Giang có trách nhiệm bổ sung, thay đổi tên miền truy cập theo quy định tại khoản 4 Điều này."},
		{"a point ending in a lower-case line", "chuong-ii/dieu-5/khoan-4/diem-a", "", "Đối với Ủy ban nhân dân tỉnh, sử dụng tên miền cấp 3 có dạng: angiang.gov.vn."},
		{"paragraphs inside a point", "chuong-iv/muc-2/dieu-15/khoan-1/diem-a", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, ok := ix.Node(tc.anchor)
			if !ok {
				t.Fatalf("no %s", tc.anchor)
			}
			if n.Title != tc.title {
				t.Errorf("title %q, want %q", n.Title, tc.title)
			}
			if tc.text != "" && n.Text != tc.text {
				t.Errorf("text %q\nwant %q", n.Text, tc.text)
			}
		})
	}
	pa, _ := ix.Node("chuong-iv/muc-2/dieu-15/khoan-1/diem-a")
	if paras := strings.Split(pa.Text, "\n"); len(paras) != 3 || paras[0] != "Ngân sách nhà nước:" || !strings.HasPrefix(paras[2], "Kinh phí chi cho công tác đào tạo") {
		t.Errorf("15.1.a paragraphs: %q", paras)
	}
	if d.Title != "QUY CHẾ Quản lý, vận hành, cung cấp thông tin của cơ quan nhà nước trên môi trường mạng trên địa bàn tỉnh An Giang" {
		t.Errorf("title guess %q", d.Title)
	}
	if !strings.Contains(d.Preamble, "Kèm theo Quyết định số 02/2023/QĐ-UBND") {
		t.Errorf("preamble %q", d.Preamble)
	}
	if got := Cite(ix.Path("chuong-ii/dieu-7/khoan-1/diem-dd"), "vi"); got != "Điểm đ khoản 1 Điều 7" {
		t.Errorf("cite vi %q", got)
	}
	if got := Cite(ix.Path("chuong-ii/dieu-7/khoan-1/diem-dd"), "en"); got != "Article 7(1)(đ)" {
		t.Errorf("cite en %q", got)
	}
	if got := ix.Article("chuong-ii/dieu-7/khoan-1/diem-dd"); got != "chuong-ii/dieu-7" {
		t.Errorf("article of 7.1.đ: %q", got)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestRegulationNoise adds the noise of other extracts to the regulation —
// Windows line ends, decomposed Unicode, form feeds, page numbers in three
// styles and a running header at every page — and expects the same tree.
func TestRegulationNoise(t *testing.T) {
	clean := mustParse(t, regulation(t), FormatText)
	lines := strings.Split(regulation(t), "\n")
	var b strings.Builder
	page := 1
	for i, l := range lines {
		b.WriteString(l + "\r\n")
		if i > 0 && i%45 == 0 {
			page++
			switch page % 3 {
			case 0:
				b.WriteString("\r\n- " + itoa(page) + " -\r\n")
			case 1:
				b.WriteString("Trang " + itoa(page) + "/20\r\n")
			default:
				b.WriteString(itoa(page) + "\r\n")
			}
			b.WriteString("\fCÔNG BÁO/Số 05 + 06/Ngày 20-01-2023\r\n")
		}
	}
	noisy := norm.NFD.String(b.String())
	got := mustParse(t, noisy, FormatText)
	if a, b := outline(clean), outline(got); a != b {
		t.Errorf("noise changed the tree:\n%s", firstDiff(a, b))
	}
	for _, art := range got.Articles() {
		if strings.Contains(art.Text, "CÔNG BÁO") || regexp.MustCompile(`Trang \d`).MatchString(art.Text) {
			t.Errorf("%s keeps noise: %q", art.Anchor, art.Text)
		}
	}
	var texts strings.Builder
	got.Walk(func(n *Node, _ []*Node) bool { texts.WriteString(n.Text + "\n"); return true })
	if strings.Contains(texts.String(), "CÔNG BÁO") {
		t.Error("the running header survived")
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + itoa(i+1) + ":\n- " + al[i] + "\n+ " + bl[i]
		}
	}
	return "lengths differ"
}

const markdownDraft = `# DỰ THẢO QUY CHẾ
Quy chế lấy ý kiến *thử nghiệm*

## Chương I. QUY ĐỊNH CHUNG

### Điều 1. Phạm vi điều chỉnh

Quy chế này quy định việc lấy ý kiến
trên cổng thông tin.

### Điều 2. Đối tượng áp dụng

1. Cơ quan nhà nước cấp tỉnh.
2. Tổ chức, cá nhân có liên quan:
   a) Người dân;
   b) **Doanh nghiệp**;
   đ) Tổ chức xã hội.

## Chương II
## TỔ CHỨC THỰC HIỆN

### Mục 1. TRÁCH NHIỆM

**Điều 3.** Trách nhiệm thi hành

- Sở Tư pháp chủ trì.
- Các sở phối hợp.
`

func TestMarkdown(t *testing.T) {
	d := mustParse(t, markdownDraft, FormatMarkdown)
	want := `chuong-i | QUY ĐỊNH CHUNG
chuong-i/dieu-1 | Phạm vi điều chỉnh
chuong-i/dieu-2 | Đối tượng áp dụng
chuong-i/dieu-2/khoan-1
chuong-i/dieu-2/khoan-2
chuong-i/dieu-2/khoan-2/diem-a
chuong-i/dieu-2/khoan-2/diem-b
chuong-i/dieu-2/khoan-2/diem-dd
chuong-ii | TỔ CHỨC THỰC HIỆN
chuong-ii/muc-1 | TRÁCH NHIỆM
chuong-ii/muc-1/dieu-3 | Trách nhiệm thi hành
`
	if got := outline(d); got != want {
		t.Errorf("outline:\n%s\nwant:\n%s", got, want)
	}
	ix := d.Index()
	if n, _ := ix.Node("chuong-i/dieu-1"); n.Text != "Quy chế này quy định việc lấy ý kiến trên cổng thông tin." {
		t.Errorf("Điều 1 text %q", n.Text)
	}
	if n, _ := ix.Node("chuong-i/dieu-2/khoan-2/diem-b"); n.Text != "Doanh nghiệp;" {
		t.Errorf("2.2.b text %q", n.Text)
	}
	if n, _ := ix.Node("chuong-ii/muc-1/dieu-3"); n.Text != "- Sở Tư pháp chủ trì.\n- Các sở phối hợp." {
		t.Errorf("Điều 3 text %q", n.Text)
	}
	if d.Title != "DỰ THẢO QUY CHẾ Quy chế lấy ý kiến thử nghiệm" {
		t.Errorf("title %q", d.Title)
	}
	// đ) follows b) with d) skipped: points are not checked for gaps.
	if len(d.Issues) != 0 {
		t.Errorf("issues %+v", d.Issues)
	}
}

func TestParseCases(t *testing.T) {
	tests := []struct {
		name    string
		format  Format
		text    string
		outline string
		issues  []string // code@anchor
		check   func(t *testing.T, d *Document)
	}{
		{
			name:    "no structure: paragraphs",
			format:  FormatText,
			text:    "Góp ý chung về dự thảo.\n\nĐề nghị bổ sung quy định về lấy ý kiến.\nCảm ơn.",
			outline: "doan-1\ndoan-2\ndoan-3\n",
			check: func(t *testing.T, d *Document) {
				if d.Nodes[1].Kind != KindParagraph || d.Nodes[1].Text != "Đề nghị bổ sung quy định về lấy ý kiến." {
					t.Errorf("paragraph 2: %+v", d.Nodes[1])
				}
			},
		},
		{
			name:    "no structure, wrapped: paragraphs by sentence",
			format:  FormatText,
			text:    "Dự thảo này được xây dựng nhằm lấy ý kiến\nrộng rãi của nhân dân trên địa bàn tỉnh\nvề chính sách mới.\nMọi góp ý gửi về Sở Tư pháp\ntrước ngày 30 tháng 4.",
			outline: "doan-1\ndoan-2\n",
		},
		{
			name:    "duplicated article numbers are kept and flagged",
			format:  FormatText,
			text:    "Điều 1. Một\nNội dung.\nĐiều 2. Hai\nNội dung.\nĐiều 2. Hai nữa\nNội dung.\nĐiều 3. Ba\nNội dung.",
			outline: "dieu-1 | Một\ndieu-2 | Hai\ndieu-2-2 | Hai nữa !duplicate_number\ndieu-3 | Ba\n",
			issues:  []string{"duplicate_number@dieu-2-2"},
		},
		{
			name:    "out-of-order and skipped article numbers",
			format:  FormatText,
			text:    "Điều 1. Một\nĐiều 3. Ba\nĐiều 2. Hai\nĐiều 4. Bốn",
			outline: "dieu-1 | Một\ndieu-3 | Ba !skipped_number\ndieu-2 | Hai !out_of_order\ndieu-4 | Bốn\n",
			issues:  []string{"skipped_number@dieu-3", "out_of_order@dieu-2"},
		},
		{
			name:    "a duplicated number in another chapter",
			format:  FormatText,
			text:    "Chương I\nMỘT\nĐiều 1. A\nChương II\nHAI\nĐiều 1. B",
			outline: "chuong-i | MỘT\nchuong-i/dieu-1 | A\nchuong-ii | HAI\nchuong-ii/dieu-1 | B !duplicate_number\n",
			issues:  []string{"duplicate_number@chuong-ii/dieu-1"},
		},
		{
			name:    "references at the start of wrapped lines are text",
			format:  FormatText,
			text:    "Điều 1. Phạm vi\nQuy định tại khoản 1 của Luật và\nChương II của Luật này được áp dụng theo\nĐiều 5 của Nghị định và\nMục 3 của Thông tư hướng dẫn thi hành.",
			outline: "dieu-1 | Phạm vi\n",
		},
		{
			name:    "a wrapped line starting with a number is not a clause",
			format:  FormatText,
			text:    "Điều 1. Thời hạn\n1. Thời hạn góp ý là\n30 ngày, kể từ ngày đăng tải theo quy định tại khoản\n3. Điều này không áp dụng cho\nvăn bản khẩn cấp.\n2. Hết thời hạn, cơ quan tổng hợp.",
			outline: "dieu-1 | Thời hạn\ndieu-1/khoan-1\ndieu-1/khoan-2\n",
		},
		{
			name:    "points directly under an article",
			format:  FormatText,
			text:    "Điều 1. Nguyên tắc\na) Công khai;\nb) Minh bạch.",
			outline: "dieu-1 | Nguyên tắc\ndieu-1/diem-a\ndieu-1/diem-b\n",
		},
		{
			name:    "parts with ordinal words, sections and chapters",
			format:  FormatText,
			text:    "PHẦN THỨ NHẤT\nQUY ĐỊNH CHUNG\nChương I\nPHẠM VI\nĐiều 1. A\nPhần thứ hai\nQUY ĐỊNH CỤ THỂ\nChương II: THỦ TỤC\nMục 1. HỒ SƠ\nĐiều 2. B",
			outline: "phan-1 | QUY ĐỊNH CHUNG\nphan-1/chuong-i | PHẠM VI\nphan-1/chuong-i/dieu-1 | A\nphan-2 | QUY ĐỊNH CỤ THỂ\nphan-2/chuong-ii | THỦ TỤC\nphan-2/chuong-ii/muc-1 | HỒ SƠ\nphan-2/chuong-ii/muc-1/dieu-2 | B\n",
		},
		{
			name:    "heading variants",
			format:  FormatText,
			text:    "ĐIỀU 1. VIẾT HOA\nĐiều 2: Dấu hai chấm\nĐiều 3 - Gạch ngang\nĐiều 4\nNội dung điều 4.\nĐiều 15a. Điều bổ sung.",
			outline: "dieu-1 | VIẾT HOA\ndieu-2 | Dấu hai chấm\ndieu-3 | Gạch ngang\ndieu-4\ndieu-15a | Điều bổ sung !skipped_number\n",
			issues:  []string{"skipped_number@dieu-15a"},
		},
		{
			name:    "the signature block after ./. is the closing",
			format:  FormatText,
			text:    "Điều 1. Hiệu lực\nQuyết định có hiệu lực từ ngày ký./.\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH",
			outline: "dieu-1 | Hiệu lực\n",
			check: func(t *testing.T, d *Document) {
				if d.Closing != "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH" || d.Nodes[0].Text != "Quyết định có hiệu lực từ ngày ký./." {
					t.Errorf("closing %q, text %q", d.Closing, d.Nodes[0].Text)
				}
			},
		},
		{
			name:    "points d and đ have distinct anchors",
			format:  FormatText,
			text:    "Điều 1. X\n1. Gồm:\na) A;\nb) B;\nc) C;\nd) D;\nđ) Đ;\ne) E.",
			outline: "dieu-1 | X\ndieu-1/khoan-1\ndieu-1/khoan-1/diem-a\ndieu-1/khoan-1/diem-b\ndieu-1/khoan-1/diem-c\ndieu-1/khoan-1/diem-d\ndieu-1/khoan-1/diem-dd\ndieu-1/khoan-1/diem-e\n",
		},
		{
			name:    "duplicated points and clauses",
			format:  FormatText,
			text:    "Điều 1. X\n1. Một.\n1. Một nữa.\na) A;\na) A nữa.",
			outline: "dieu-1 | X\ndieu-1/khoan-1\ndieu-1/khoan-1-2 !duplicate_number\ndieu-1/khoan-1-2/diem-a\ndieu-1/khoan-1-2/diem-a-2 !duplicate_number\n",
			issues:  []string{"duplicate_number@dieu-1/khoan-1-2", "duplicate_number@dieu-1/khoan-1-2/diem-a-2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, tc.text, tc.format)
			if got := outline(d); got != tc.outline {
				t.Errorf("outline:\n%s\nwant:\n%s", got, tc.outline)
			}
			var issues []string
			for _, is := range d.Issues {
				issues = append(issues, is.Code+"@"+is.Anchor)
			}
			if strings.Join(issues, " ") != strings.Join(tc.issues, " ") {
				t.Errorf("issues %v, want %v", issues, tc.issues)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		lim  Limits
		want error
	}{
		{"empty", "", Limits{}, ErrEmpty},
		{"blank and noise only", "  \n\f\n- 3 -\n____\n", Limits{}, ErrEmpty},
		{"too long", strings.Repeat("Điều 1. X\n", 100), Limits{MaxTextBytes: 500}, ErrTextTooLong},
		{"too many units", strings.Repeat("Điều 1. X\n", 100), Limits{MaxUnits: 50}, ErrTooManyUnits},
		{"too many paragraphs", strings.Repeat("Câu văn.\n", 100), Limits{MaxUnits: 50}, ErrTooManyUnits},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Import([]byte(tc.text), FormatText, tc.lim)
			if !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Import([]byte("x"), Format("pdf"), Limits{}); !errors.Is(err, ErrFormat) {
		t.Errorf("pdf: %v", err)
	}
}

func TestSegment(t *testing.T) {
	tests := []struct {
		kind   Kind
		number string
		want   string
	}{
		{KindChapter, "IV", "chuong-iv"},
		{KindArticle, "15a", "dieu-15a"},
		{KindPoint, "d", "diem-d"},
		{KindPoint, "đ", "diem-dd"},
		{KindPoint, "Đ", "diem-dd"},
		{KindPart, "2", "phan-2"},
		{KindParagraph, "12", "doan-12"},
		{KindArticle, "?", "dieu-x"},
	}
	for _, tc := range tests {
		if got := Segment(tc.kind, tc.number); got != tc.want {
			t.Errorf("Segment(%s, %q) = %q, want %q", tc.kind, tc.number, got, tc.want)
		}
	}
	for s, ok := range map[string]bool{"chuong-i/dieu-1": true, "": false, "a//b": false, "Dieu-1": false, "dieu-1/": false, "đieu": false} {
		if ValidAnchor(s) != ok {
			t.Errorf("ValidAnchor(%q) = %v", s, !ok)
		}
	}
}

func TestCite(t *testing.T) {
	d := mustParse(t, "Chương IV\nX\nMục 2\nY\nĐiều 15. Z\n3. W:\nđ) V.", FormatText)
	ix := d.Index()
	tests := []struct {
		anchor, vi, en string
	}{
		{"chuong-iv", "Chương IV", "Chapter IV"},
		{"chuong-iv/muc-2", "Mục 2 Chương IV", "Chapter IV, Section 2"},
		{"chuong-iv/muc-2/dieu-15", "Điều 15", "Article 15"},
		{"chuong-iv/muc-2/dieu-15/khoan-3", "Khoản 3 Điều 15", "Article 15(3)"},
		{"chuong-iv/muc-2/dieu-15/khoan-3/diem-dd", "Điểm đ khoản 3 Điều 15", "Article 15(3)(đ)"},
		{"", "Toàn bộ dự thảo", "The whole draft"},
	}
	for _, tc := range tests {
		p := ix.Path(tc.anchor)
		if got := Cite(p, "vi"); got != tc.vi {
			t.Errorf("%s vi: %q, want %q", tc.anchor, got, tc.vi)
		}
		if got := Cite(p, "en"); got != tc.en {
			t.Errorf("%s en: %q, want %q", tc.anchor, got, tc.en)
		}
	}
}
