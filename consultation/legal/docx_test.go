package legal

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

const wordNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"`

// buildDOCX writes a minimal DOCX package around body (the inside of
// w:body), with extra parts added as given.
func buildDOCX(t testing.TB, body string, extra map[string]string) []byte {
	t.Helper()
	files := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`,
		"_rels/.rels":         `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
		"word/document.xml":   `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ` + wordNS + `><w:body>` + body + `</w:body></w:document>`,
	}
	for k, v := range extra {
		files[k] = v
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		if v, ok := files[name]; ok {
			w, err := zw.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(v))
			delete(files, name)
		}
	}
	for name, v := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(v))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// p is a paragraph of one run; runs split a paragraph's text in several.
func p(text string) string { return runs(text) }

func runs(parts ...string) string {
	var b strings.Builder
	b.WriteString("<w:p>")
	for _, s := range parts {
		b.WriteString(`<w:r><w:t xml:space="preserve">` + esc(s) + `</w:t></w:r>`)
	}
	b.WriteString("</w:p>")
	return b.String()
}

// numbered is a paragraph in Word's automatic list numID at level ilvl.
func numbered(numID, ilvl, text string) string {
	return `<w:p><w:pPr><w:numPr><w:ilvl w:val="` + ilvl + `"/><w:numId w:val="` + numID + `"/></w:numPr></w:pPr><w:r><w:t>` + esc(text) + `</w:t></w:r></w:p>`
}

const numberingXML = `<?xml version="1.0" encoding="UTF-8"?><w:numbering ` + wordNS + `>
<w:abstractNum w:abstractNumId="0">
 <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>
 <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/></w:lvl>
</w:abstractNum>
<w:abstractNum w:abstractNumId="1">
 <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl>
</w:abstractNum>
<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>
<w:num w:numId="3"><w:abstractNumId w:val="1"/></w:num>
</w:numbering>`

func sampleDOCX(t testing.TB) []byte {
	body := p("DỰ THẢO QUY ĐỊNH") +
		p("Chương I") + p("QUY ĐỊNH CHUNG") +
		runs("Điều", " 1. ", "Phạm vi điều chỉnh") +
		`<w:p><w:r><w:t>Quy định này áp dụng</w:t></w:r><w:del><w:r><w:delText> ĐÃ XOÁ</w:delText></w:r></w:del><w:r><w:tab/><w:t>trong toàn tỉnh.</w:t></w:r></w:p>` +
		p("Điều 2. Nguyên tắc") +
		numbered("1", "0", "Công khai, minh bạch:") +
		numbered("1", "1", "Đăng tải toàn văn;") +
		numbered("1", "1", "Trả lời từng ý kiến.") +
		numbered("1", "0", "Đúng thời hạn.") +
		numbered("3", "0", "Một gạch đầu dòng") +
		`<w:p><w:r><w:t>Chương II</w:t><w:br/><w:t>TỔ CHỨC THỰC HIỆN</w:t></w:r></w:p>` +
		p("Điều 3. Hiệu lực") +
		numbered("2", "0", "Có hiệu lực từ ngày ký.") +
		`<w:p><w:r><mc:AlternateContent><mc:Choice><w:t>Hộp văn bản</w:t></mc:Choice><mc:Fallback><w:t>Hộp văn bản</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>` +
		`<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r><w:r><w:t>Trích yếu.</w:t></w:r></w:p>`
	return buildDOCX(t, body, map[string]string{"word/numbering.xml": numberingXML})
}

func TestDOCX(t *testing.T) {
	d, err := Import(sampleDOCX(t), FormatDOCX, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	checkTree(t, d)
	want := `chuong-i | QUY ĐỊNH CHUNG
chuong-i/dieu-1 | Phạm vi điều chỉnh
chuong-i/dieu-2 | Nguyên tắc
chuong-i/dieu-2/khoan-1
chuong-i/dieu-2/khoan-1/diem-a
chuong-i/dieu-2/khoan-1/diem-b
chuong-i/dieu-2/khoan-2
chuong-ii | TỔ CHỨC THỰC HIỆN
chuong-ii/dieu-3 | Hiệu lực
chuong-ii/dieu-3/khoan-1
`
	if got := outline(d); got != want {
		t.Errorf("outline:\n%s\nwant:\n%s", got, want)
	}
	ix := d.Index()
	tests := []struct{ anchor, text string }{
		{"chuong-i/dieu-1", "Quy định này áp dụng trong toàn tỉnh."},
		{"chuong-i/dieu-2/khoan-1", "Công khai, minh bạch:"},
		{"chuong-i/dieu-2/khoan-1/diem-b", "Trả lời từng ý kiến."},
		{"chuong-i/dieu-2/khoan-2", "Đúng thời hạn.\n- Một gạch đầu dòng"},
		{"chuong-ii/dieu-3/khoan-1", "Có hiệu lực từ ngày ký.\nHộp văn bản\nTrích yếu."},
	}
	for _, tc := range tests {
		n, _ := ix.Node(tc.anchor)
		if n == nil || n.Text != tc.text {
			t.Errorf("%s: %+v, want text %q", tc.anchor, n, tc.text)
		}
	}
	if d.Title != "DỰ THẢO QUY ĐỊNH" || d.Format != FormatDOCX {
		t.Errorf("title %q format %q", d.Title, d.Format)
	}
}

// rawEntry adds an entry whose declared uncompressed size is a lie.
func rawEntry(t testing.TB, zw *zip.Writer, name string, content []byte, declared uint64) {
	t.Helper()
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	fw.Write(content)
	fw.Close()
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared, CRC32: 0})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
}

func zipOf(t testing.TB, build func(zw *zip.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	build(zw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDOCXHostile(t *testing.T) {
	bomb := append([]byte(`<?xml version="1.0"?><w:document `+wordNS+`><w:body><w:p><w:r><w:t>`), bytes.Repeat([]byte("a"), 8<<20)...)
	valid := sampleDOCX(t)
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><w:document ` + wordNS + `><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>`
	small := Limits{MaxEntryBytes: 1 << 20, MaxTotalBytes: 4 << 20}
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want []error
	}{
		{"plain text", []byte("Điều 1. Đây không phải tệp DOCX"), Limits{}, []error{ErrNotZip}},
		{"a PDF", []byte("%PDF-1.7\n%âãÏÓ\n1 0 obj"), Limits{}, []error{ErrNotZip}},
		{"a legacy .doc", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), Limits{}, []error{ErrLegacyDoc}},
		{"an empty zip", zipOf(t, func(*zip.Writer) {}), Limits{}, []error{ErrNotZip}},
		{"a truncated DOCX", valid[:len(valid)/2], Limits{}, []error{ErrNotZip}},
		{"a zip without a Word document", zipOf(t, func(zw *zip.Writer) { w, _ := zw.Create("hello.txt"); w.Write([]byte("hi")) }), Limits{}, []error{ErrNotDOCX}},
		{"a zip bomb (declared size over the entry limit)", buildDOCX(t, "", map[string]string{"word/document.xml": string(bomb)}), small, []error{ErrUnpackedTooLarge}},
		{"a zip bomb that lies about its size", zipOf(t, func(zw *zip.Writer) { rawEntry(t, zw, "word/document.xml", bomb, 100) }), small, []error{ErrUnpackedTooLarge, ErrCorrupt}},
		{"a zip bomb that lies within the limit", zipOf(t, func(zw *zip.Writer) { rawEntry(t, zw, "word/document.xml", bomb, 1<<20) }), small, []error{ErrUnpackedTooLarge, ErrCorrupt}},
		{"too many entries", zipOf(t, func(zw *zip.Writer) {
			for i := range 30 {
				w, _ := zw.Create("x/" + itoa(i))
				w.Write([]byte("x"))
			}
		}), Limits{MaxEntries: 10}, []error{ErrTooManyEntries}},
		{"entries too large together", buildDOCX(t, p("Điều 1. A"), map[string]string{"media/a.bin": strings.Repeat("a", 3<<20), "media/b.bin": strings.Repeat("b", 3<<20)}), small, []error{ErrUnpackedTooLarge}},
		{"a file over the size limit", valid, Limits{MaxFileBytes: 1000}, []error{ErrFileTooLarge}},
		{"broken XML", buildDOCX(t, "", map[string]string{"word/document.xml": `<w:document><w:body><w:p><w:r><w:t>Điều 1.`}), Limits{}, []error{ErrCorrupt}},
		{"entity expansion", buildDOCX(t, "", map[string]string{"word/document.xml": laughs}), Limits{}, []error{ErrCorrupt}},
		{"a non-UTF-8 encoding", buildDOCX(t, "", map[string]string{"word/document.xml": `<?xml version="1.0" encoding="windows-1258"?><w:document/>`}), Limits{}, []error{ErrCorrupt}},
		{"an empty document", buildDOCX(t, "<w:p/>", nil), Limits{}, []error{ErrEmpty}},
		{"text over the limit", buildDOCX(t, strings.Repeat(p("Điều 1. Một điều khá dài"), 50), nil), Limits{MaxTextBytes: 200}, []error{ErrTextTooLong}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Import(tc.data, FormatDOCX, tc.lim)
			for _, w := range tc.want {
				if errors.Is(err, w) {
					return
				}
			}
			t.Errorf("err %v, want one of %v", err, tc.want)
		})
	}
}
