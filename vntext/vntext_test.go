package vntext

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// nfd returns the decomposed form of s, the way macOS and some Android
// keyboards send Vietnamese.
func nfd(s string) string { return norm.NFD.String(s) }

func TestClean(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"plain ascii unchanged", "Hello world", "Hello world"},
		{"vietnamese nfc unchanged", "Thủ tục đất đai", "Thủ tục đất đai"},
		{"nfd to nfc", nfd("Hỏi về thủ tục đăng ký khai sinh"), "Hỏi về thủ tục đăng ký khai sinh"},
		{"zero width inside words", "đ\u200bất đ\u200cai", "đất đai"},
		{"zwj word joiner bom soft hyphen", "t\u200dách th\u2060ửa\ufeff cho con", "tách thửa cho con"},
		{"zero width between base and mark", "e\u200b\u0301", "é"},
		{"bom at start", "\ufeffXin chào", "Xin chào"},
		{"rlo removed", "hoso_\u202efdp.exe\u202c", "hoso_fdp.exe"},
		{"bidi isolates removed", "\u2067Xin hỏi\u2069 \u202bbằng\u202c \u200e\u200f\u061c", "Xin hỏi bằng"},
		{"emoji zwj family kept", "Gia đình 👨\u200d👩\u200d👧 cảm ơn", "Gia đình 👨\u200d👩\u200d👧 cảm ơn"},
		{"emoji zwj with variation selector kept", "🏳\ufe0f\u200d🌈", "🏳\ufe0f\u200d🌈"},
		{"heart on fire kept", "❤\ufe0f\u200d🔥", "❤\ufe0f\u200d🔥"},
		{"zwj between letter and emoji removed", "a\u200d😀", "a😀"},
		{"zwj at end removed", "😀\u200d", "😀"},
		{"emoji and flag kept", "🙏👍 😡🌧️ 🇻🇳", "🙏👍 😡🌧️ 🇻🇳"},
		{"cjk ext b kept", "chữ Nôm 𡨸喃 𠊛", "chữ Nôm 𡨸喃 𠊛"},
		{"math alphanumerics kept", "𝐀𝐁𝐂 𝔸", "𝐀𝐁𝐂 𝔸"},
		{"crlf and cr", "a\r\nb\rc", "a\nb\nc"},
		{"tab to space", "a\tb", "a b"},
		{"controls removed", "a\x00b\x07c\x1bd\x7fe\u0080f\u009fg", "abcdefg"},
		{"nel and line separators", "a\u0085b\u2028c\u2029d", "a\nb\nc\nd"},
		{"three newlines collapse", "a\n\n\nb", "a\n\nb"},
		{"many newlines with blank lines collapse", "a\n \n\t\n\u00a0\n\nb", "a\n\nb"},
		{"two newlines kept", "a\n\nb", "a\n\nb"},
		{"trailing line space dropped", "a  \nb", "a\nb"},
		{"indentation kept", "a\n  b", "a\n  b"},
		{"interior nbsp kept", "100\u00a0000", "100\u00a0000"},
		{"trim unicode spaces", "\u3000\u00a0 \t Tiêu đề \u2003\n", "Tiêu đề"},
		{"whitespace-only title", "   \t\u00a0\u3000  ", ""},
		{"blank fillers trimmed", "\u2800\u3164abc\u3164", "abc"},
		{"invalid utf8 replaced", "a\xffb", "a\ufffdb"},
		{"leading combining mark kept", " \u0301a", "\u0301a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Errorf("Clean(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
			checkCleanInvariants(t, tt.in)
		})
	}
}

func TestCleanLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"unchanged", "Nguyễn Văn An", "Nguyễn Văn An"},
		{"newlines and tabs", "Hỏi về\r\nthủ tục\tđất  đai", "Hỏi về thủ tục đất đai"},
		{"nbsp and ideographic space collapse", "Trần\u00a0\u00a0Văn\u3000Hậu", "Trần Văn Hậu"},
		{"whitespace-only", " \t\u00a0\u3000\n ", ""},
		{"nfd name", nfd("Lê Thị Ngọc Hân"), "Lê Thị Ngọc Hân"},
		{"zero width and bidi", "Lê\u200b Thị\u202e Hân", "Lê Thị Hân"},
		{"emoji kept", "Cảm ơn 👨\u200d👩\u200d👧", "Cảm ơn 👨\u200d👩\u200d👧"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CleanLine(tt.in)
			if got != tt.want {
				t.Errorf("CleanLine(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
			if again := CleanLine(got); again != got {
				t.Errorf("CleanLine not idempotent: %+q -> %+q", got, again)
			}
		})
	}
}

func TestLen(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"empty", "", 0},
		{"ascii", "abc", 3},
		{"nfc vietnamese", "đất đai", 7},
		{"nfd vietnamese counts as nfc", nfd("đất đai"), 7},
		{"cjk ext b is one", "𡨸", 1},
		{"emoji is one rune", "😀", 1},
		{"zwj family counts runes", "👨\u200d👩\u200d👧", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Len(tt.in); got != tt.want {
				t.Errorf("Len(%+q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestFold(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"upper", "THỦ TỤC ĐẤT ĐAI", "thu tuc dat dai"},
		{"lower", "thủ tục đất đai", "thu tuc dat dai"},
		{"nfd", nfd("thủ tục đất đai"), "thu tuc dat dai"},
		{"nfd upper", nfd("THỦ TỤC ĐẤT ĐAI"), "thu tuc dat dai"},
		{"no diacritics", "thu tuc dat dai", "thu tuc dat dai"},
		{"ascii upper", "Thu Tuc", "thu tuc"},
		{"all vowels", "àáảãạ ăằắẳẵặ âầấẩẫậ èéẻẽẹ êềếểễệ ìíỉĩị òóỏõọ ôồốổỗộ ơờớởỡợ ùúủũụ ưừứửữự ỳýỷỹỵ",
			"aaaaa aaaaaa aaaaaa eeeee eeeeee iiiii ooooo oooooo oooooo uuuuu uuuuuu yyyyy"},
		{"upper vowels", "ÀÁẢÃẠ ƯỪỨỬỮỰ ỲÝỶỸỴ Đ", "aaaaa uuuuuu yyyyy d"},
		{"zero width dropped", "đ\u200bất đ\u200cai", "dat dai"},
		{"bidi dropped", "\u202eabc\u202c", "abc"},
		{"punctuation kept", "“đang xử lý”, 61/2018/NĐ-CP", "“dang xu ly”, 61/2018/nd-cp"},
		{"other scripts lower-cased", "ΆΣΙΑ Привет", "ασια привет"},
		{"hangul nfc kept", "한국", "한국"},
		{"hangul nfd recomposed", nfd("한국"), "한국"},
		{"cjk kept", "𡨸喃", "𡨸喃"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFoldASCIINoAlloc(t *testing.T) {
	s := "thu tuc dat dai 61/2018/nd-cp"
	if n := testing.AllocsPerRun(100, func() { _ = Fold(s) }); n != 0 {
		t.Errorf("Fold on folded ASCII allocated %v times, want 0", n)
	}
	v := benchParagraph
	if n := testing.AllocsPerRun(100, func() { _ = Fold(v) }); n > 1 {
		t.Errorf("Fold on Vietnamese paragraph allocated %v times, want at most 1", n)
	}
}

func TestFoldRuneMatchesFold(t *testing.T) {
	// Fold must be FoldRune applied rune by rune (for Latin and Vietnamese),
	// since callers rely on that to map offsets.
	for r := rune(0); r < 0x2000; r++ {
		s := string(r)
		f, ok := FoldRune(r)
		want := ""
		if ok {
			want = string(f)
		}
		if got := Fold(s); got != norm.NFC.String(want) {
			t.Errorf("Fold(%U) = %+q, FoldRune gives %+q", r, got, want)
		}
	}
}

// TestCleanFastPath checks the fast path against the full pipeline for
// every tabulated rune in the contexts that matter: between letters, after a
// letter, before a combining mark, and next to white space and newlines.
func TestCleanFastPath(t *testing.T) {
	for _, rng := range [][2]rune{{0x80, safeLatinEnd}, {vnStart, vnEnd}, {safePunctStart, safePunctEnd}} {
		for r := rng[0]; r < rng[1]; r++ {
			c := string(r)
			for _, s := range []string{c, "a" + c + "b", "a" + c, "a" + c + "\u0301", "a " + c + "\nb", "a\n" + c + "\n\nb"} {
				checkCleanInvariants(t, s)
			}
		}
	}
}

// TestCleanCorpus runs Clean over every text of the question corpus: the
// corpus is clean NFC already, so Clean must not change a byte, and Fold of a
// text and of its NFD form must agree.
func TestCleanCorpus(t *testing.T) {
	for _, q := range loadQuestions(t) {
		for field, text := range map[string]string{"title": q.Title, "body": q.Body, "answer": q.Answer} {
			if got := Clean(text); got != text {
				t.Errorf("%s %s: Clean changed clean text:\n got %+q\nwant %+q", q.ID, field, got, text)
			}
			if Fold(text) != Fold(nfd(text)) {
				t.Errorf("%s %s: Fold differs between NFC and NFD", q.ID, field)
			}
			if Len(text) != Len(nfd(text)) {
				t.Errorf("%s %s: Len differs between NFC and NFD", q.ID, field)
			}
		}
		if got := CleanLine(q.Title); got != q.Title {
			t.Errorf("%s: CleanLine changed title %+q to %+q", q.ID, q.Title, got)
		}
	}
}

type question struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Answer string `json:"answer"`
}

func loadQuestions(t *testing.T) []question {
	t.Helper()
	data, err := os.ReadFile("../testdata/questions.json")
	if err != nil {
		t.Fatalf("read corpus: %v", err)
	}
	var qs []question
	if err := json.Unmarshal(data, &qs); err != nil {
		t.Fatalf("decode corpus: %v", err)
	}
	if len(qs) == 0 {
		t.Fatal("empty corpus")
	}
	return qs
}

// checkCleanInvariants asserts the properties every Clean output must have.
func checkCleanInvariants(t *testing.T, in string) {
	t.Helper()
	out := Clean(in)
	if !utf8.ValidString(out) {
		t.Fatalf("Clean(%+q) = %+q is not valid UTF-8", in, out)
	}
	if isClean(in) {
		if full := layoutText(norm.NFC.String(filter(in))); full != in {
			t.Fatalf("fast path wrongly accepts %+q (full pipeline gives %+q)", in, full)
		}
	}
	if again := Clean(out); again != out {
		t.Fatalf("Clean not idempotent for %+q:\n once  %+q\n twice %+q", in, out, again)
	}
	if !norm.NFC.IsNormalString(out) {
		t.Fatalf("Clean(%+q) = %+q is not NFC", in, out)
	}
	if strings.Contains(out, "\n\n\n") || strings.Contains(out, "\r") || strings.Contains(out, "\t") {
		t.Fatalf("Clean(%+q) = %+q keeps line-break or tab noise", in, out)
	}
	if out != trimBlank(out) {
		t.Fatalf("Clean(%+q) = %+q is not trimmed", in, out)
	}
	line := CleanLine(in)
	if !utf8.ValidString(line) || CleanLine(line) != line || strings.ContainsAny(line, "\n\t\r") {
		t.Fatalf("CleanLine(%+q) = %+q breaks its invariants", in, line)
	}
}

func FuzzClean(f *testing.F) {
	seeds := []string{
		"", " ", "Thủ tục đất đai", nfd("Thủ tục đất đai"),
		"đ\u200bất đ\u200cai", "hoso_\u202efdp.exe\u202c", "👨\u200d👩\u200d👧",
		"😀\u200d\u200b😀", "😀\u200b\u200d😀", "a\r\n\r\n\r\nb", " \t\u00a0\u3000 ",
		"e\u200b\u0301", "\u0301", "a\xff\xfeb", "x \u0301", "\u1100\u200b\u1161",
		"a\n \n\n\u2028b", "🏳\ufe0f\u200d🌈", "𡨸 𝐀",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkCleanInvariants(t, s)
		if Len(s) < 0 {
			t.Fatal("negative length")
		}
		folded := Fold(s)
		if utf8.ValidString(s) && !utf8.ValidString(folded) {
			t.Fatalf("Fold(%+q) = %+q is not valid UTF-8", s, folded)
		}
	})
}

func TestCleanFullWidthDigits(t *testing.T) {
	if got := Clean("SĐT ０９１８２３４５６７"); got != "SĐT 0918234567" {
		t.Fatalf("Clean = %q", got)
	}
}
