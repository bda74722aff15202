package legal

import (
	"strings"
	"testing"
)

// FuzzParse parses anything as text and as Markdown: no panic, and a
// parsed tree has unique, valid anchors, each under its parent's.
func FuzzParse(f *testing.F) {
	f.Add(regulation(f)[:6000])
	f.Add(markdownDraft)
	for _, s := range []string{
		"Điều 1. A\nĐiều 1. A\nđ) x\n1.\n1.\na)\nđ)",
		"Chương I\nChương I\nMục 1\nMục 1\nPhần thứ nhất\nPHẦN I",
		"\f\f- 1 -\nTrang 2/3\n\f",
		"Điều 9999a.\n999. \nz99) x",
		"### Điều 1.\n> ## Chương IV.\n```\nĐiều 2. code\n```",
		"a) b) c)\nĐiều 1 . x ./.\nTM. UBND",
		strings.Repeat("Điều 2. X\n1. Y:\na) Z;\n", 20),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, format := range []Format{FormatText, FormatMarkdown} {
			d, err := Import([]byte(s), format, Limits{MaxUnits: 5000})
			if err != nil {
				continue
			}
			checkTree(t, d)
			ix := d.Index()
			if ix.Len() != d.Count() {
				t.Fatalf("index has %d nodes, tree %d", ix.Len(), d.Count())
			}
			d.Walk(func(n *Node, _ []*Node) bool {
				if n.Kind == KindPoint && len(ix.Path(n.Anchor)) < 2 {
					t.Errorf("point %s outside an article", n.Anchor)
				}
				return true
			})
			if diff := Compare(d, d); len(diff.Changes) != 0 || len(diff.Remap) != 0 || diff.Unchanged != len(units(d)) {
				t.Fatalf("a document differs from itself: %+v", diff)
			}
		}
	})
}

// FuzzDOCX feeds damaged DOCX files to the reader: errors, never a panic.
func FuzzDOCX(f *testing.F) {
	f.Add(sampleDOCX(f))
	f.Add(buildDOCX(f, p("Điều 1. A"), nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Import(b, FormatDOCX, Limits{MaxEntryBytes: 1 << 20, MaxTotalBytes: 4 << 20})
		if err == nil {
			checkTree(t, d)
		}
	})
}
