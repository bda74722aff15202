package search

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"tuongtac/vntext"
)

func terms(s string) []string {
	var out []string
	for _, t := range Tokens(s) {
		out = append(out, t.Term)
	}
	return out
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []string
	}{
		{"vietnamese", "Thủ tục đất đai", []string{"thu", "tuc", "dat", "dai"}},
		{"nfd", norm.NFD.String("THỦ TỤC ĐẤT ĐAI"), []string{"thu", "tuc", "dat", "dai"}},
		{"no diacritics", "thu tuc dat dai", []string{"thu", "tuc", "dat", "dai"}},
		{"syntax is separation", `+agency:x title: * "a" (b) [c] {d} e~ f^2 g\h i/j !k ?l %m`,
			[]string{"agency", "x", "title", "a", "b", "c", "d", "e", "f", "2", "g", "h", "i", "j", "k", "l", "m"}},
		{"numbers", "Nghị định 61/2018/NĐ-CP", []string{"nghi", "dinh", "61", "2018", "nd", "cp"}},
		{"zero width inside a word", "đất\u200bđai đ\u00adất", []string{"datdai", "dat"}},
		{"invisible between words", "a \u200b b", []string{"a", "b"}},
		{"english", "Rice-processing plant's", []string{"rice", "processing", "plant", "s"}},
		{"han", "漢字 chữ", []string{"漢", "字", "chu"}},
		{"lone mark", "a \u0301 b", []string{"a", "b"}},
		{"too long", strings.Repeat("a", MaxWordRunes+1) + " ok " + strings.Repeat("b", MaxWordRunes), []string{"ok", strings.Repeat("b", MaxWordRunes)}},
		{"invalid utf-8", "a\xffb", []string{"a", "b"}},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := terms(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// Scan must fold each word exactly as vntext.Fold folds it, and its offsets
// must point at the word in the original.
func TestScanMatchesFold(t *testing.T) {
	for _, s := range []string{
		"Hồ sơ nộp trực tuyến đã quá hạn gần một tháng",
		norm.NFD.String("Đề nghị cơ quan có thẩm quyền kiểm tra, Ưu tiên"),
		"Ǆemal Ⱥ ſ ﬁ Ångström 한국어 " + norm.NFD.String("한국어"),
	} {
		for _, tok := range Tokens(s) {
			if f := vntext.Fold(s[tok.Start:tok.End]); f != tok.Term {
				t.Errorf("%q: token %q at %d:%d, Fold gives %q", s, tok.Term, tok.Start, tok.End, f)
			}
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Parsed
	}{
		{"blank", "  \t", Parsed{Blank: true}},
		{"no words", "*", Parsed{}},
		{"terms", "Đất  đai đất", Parsed{Terms: []string{"dat", "dai"}}},
		{"phrase", `thủ tục "đất đai" x`, Parsed{Terms: []string{"thu", "tuc", "x"}, Phrases: [][]string{{"dat", "dai"}}}},
		{"typographic quotes", `“đất đai”`, Parsed{Phrases: [][]string{{"dat", "dai"}}}},
		{"one-word phrase is a term", `"đất"`, Parsed{Terms: []string{"dat"}}},
		{"empty phrase", `"" a`, Parsed{Terms: []string{"a"}}},
		{"unbalanced", `"đất đai`, Parsed{Terms: []string{"dat", "dai"}}},
		{"unbalanced after a phrase", `"a b" "c d`, Parsed{Terms: []string{"c", "d"}, Phrases: [][]string{{"a", "b"}}}},
		{"same phrase twice", `"a b" "A B"`, Parsed{Phrases: [][]string{{"a", "b"}}}},
		{"field prefix", "title:đất", Parsed{Terms: []string{"title", "dat"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Parse(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	long := strings.Repeat("đất ", 5000)
	p := Parse(long)
	if !reflect.DeepEqual(p.Terms, []string{"dat"}) {
		t.Errorf("long query: %+v", p)
	}
	var words []string
	for i := range 100 {
		words = append(words, "w"+strings.Repeat("x", i%7)+string(rune('a'+i%26)))
	}
	p = Parse(strings.Join(words, " "))
	if n := len(p.Terms); n > MaxQueryWords {
		t.Errorf("%d terms, want at most %d", n, MaxQueryWords)
	}
	if got := truncateRunes("đấtđai", 3); got != "đất" {
		t.Errorf("truncateRunes = %q", got)
	}
}

func TestParsePrefix(t *testing.T) {
	for _, tc := range []struct {
		in     string
		words  []string
		prefix string
	}{
		{"thủ t", []string{"thu"}, "t"},
		{"Thủ tục ", []string{"thu", "tuc"}, ""},
		{"ngậ", nil, "nga"},
		{norm.NFD.String("ngậ"), nil, "nga"},
		{"", nil, ""},
		{`"+title:`, []string{"title"}, ""},
		{"a*", []string{"a"}, ""},
	} {
		w, p := ParsePrefix(tc.in)
		if !reflect.DeepEqual(w, tc.words) || p != tc.prefix {
			t.Errorf("ParsePrefix(%q) = %q, %q; want %q, %q", tc.in, w, p, tc.words, tc.prefix)
		}
	}
}

func TestHighlightHTML(t *testing.T) {
	for _, tc := range []struct {
		name, query, text, want string
	}{
		{"folded match", "dat dai", "Tranh chấp Đất đai ở xã", "Tranh chấp <mark>Đất đai</mark> ở xã"},
		{"nfd text", "đất", norm.NFD.String("đất"), "<mark>" + norm.NFD.String("đất") + "</mark>"},
		{"escapes", "script", `<script>alert("x")</script> & 'q'`, `&lt;<mark>script</mark>&gt;alert(&#34;x&#34;)&lt;/<mark>script</mark>&gt; &amp; &#39;q&#39;`},
		{"phrase only adjacent", `"thủ tục"`, "thủ tục và tục thủ", "<mark>thủ tục</mark> và tục thủ"},
		{"separate marks across punctuation", "a b", "a, b", "<mark>a</mark>, <mark>b</mark>"},
		{"no match", "x", "a < b", "a &lt; b"},
		{"mark-like text", "mark", "</mark><mark>", "&lt;/<mark>mark</mark>&gt;&lt;<mark>mark</mark>&gt;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NewHighlighter(Parse(tc.query)).HTML(tc.text); got != tc.want {
				t.Errorf("HTML = %q, want %q", got, tc.want)
			}
		})
	}
	if got := NewPrefixHighlighter([]string{"thu"}, "tu").HTML("Thủ tục và tuyển"); got != "<mark>Thủ tục</mark> và <mark>tuyển</mark>" {
		t.Errorf("prefix: %q", got)
	}
}

func TestSnippet(t *testing.T) {
	filler := strings.Repeat("lorem ipsum dolor sit amet ", 30)
	h := NewHighlighter(Parse("đất đai"))

	got := h.Snippet("mở đầu. "+filler+"tranh chấp đất đai\n\n kéo dài "+filler, "không liên quan")
	if !strings.Contains(got, "<mark>đất đai</mark>") || !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") {
		t.Errorf("middle match: %q", got)
	}
	if n := len([]rune(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(got))); n > SnippetRunes+2 {
		t.Errorf("snippet of %d characters", n)
	}
	if strings.Contains(got, "\n") {
		t.Errorf("line breaks kept: %q", got)
	}

	// The second text wins when only it matches; the first is the fallback.
	if got := h.Snippet("không có gì", "về đất đai"); got != "về <mark>đất đai</mark>" {
		t.Errorf("second text: %q", got)
	}
	if got := h.Snippet("", "a < b"); got != "a &lt; b" {
		t.Errorf("fallback: %q", got)
	}
	if got := h.Snippet("", ""); got != "" {
		t.Errorf("empty: %q", got)
	}
	// More distinct words beat more repetitions.
	if got := h.Snippet("đất đất đất", "đất đai"); got != "<mark>đất đai</mark>" {
		t.Errorf("distinct words: %q", got)
	}
	// A match at the start has no leading ellipsis.
	if got := h.Snippet("Đất " + filler); strings.HasPrefix(got, "…") || !strings.HasPrefix(got, "<mark>Đất</mark>") {
		t.Errorf("start: %q", got)
	}
}

func TestNormalized(t *testing.T) {
	for _, tc := range []struct {
		in, want Query
	}{
		{Query{}, Query{Page: 1, PerPage: DefaultPerPage, Sort: SortRelevance}},
		{Query{Page: -1, PerPage: 1000, Sort: "bogus"}, Query{Page: 1, PerPage: MaxPerPage, Sort: SortRelevance}},
		{Query{Page: 3, PerPage: 7, Sort: SortNewest}, Query{Page: 3, PerPage: 7, Sort: SortNewest}},
	} {
		if got := tc.in.Normalized(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v.Normalized() = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if off, ok := (Query{Page: 3, PerPage: 7}).Offset(); off != 14 || !ok {
		t.Errorf("Offset = %d, %v", off, ok)
	}
	if _, ok := (Query{Page: MaxPage + 1, PerPage: 7}).Offset(); ok {
		t.Error("Offset beyond MaxPage: ok")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`"a b" c`, `+x:y`, "\xff\"", "đất \u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := Parse(s)
		n := len(p.Terms)
		for _, ph := range p.Phrases {
			if len(ph) < 2 {
				t.Fatalf("phrase of %d words", len(ph))
			}
			n += len(ph)
		}
		if n > MaxQueryWords {
			t.Fatalf("%d words", n)
		}
		h := NewHighlighter(p)
		out := h.HTML(s) + h.Snippet(s)
		if strings.ContainsAny(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(out), "<>\"'") {
			t.Fatalf("unescaped: %q", out)
		}
	})
}
