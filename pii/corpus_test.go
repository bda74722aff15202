package pii

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

type asker struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

type question struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Answer string `json:"answer"`
	Asker  asker  `json:"asker"`
}

type piiItem struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	Start int    `json:"start"`
}

// loadJSON decodes a file from the repository's testdata folder, a copy of
// the shared corpus.
func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
}

func loadCorpus(t *testing.T) ([]question, map[string][]piiItem) {
	t.Helper()
	var qs []question
	loadJSON(t, "questions.json", &qs)
	var index map[string][]piiItem
	loadJSON(t, "pii_index.json", &index)
	if len(qs) == 0 || len(index) == 0 {
		t.Fatal("empty corpus")
	}
	return qs, index
}

// fields returns the publishable texts of a question.
func (q question) fields() map[string]string {
	return map[string]string{"title": q.Title, "body": q.Body, "answer": q.Answer}
}

// squeezeDigits removes the separators people put inside numbers, so that a
// phone number that survives as "0918 462 735" is still caught when looking
// for "0918462735".
func squeezeDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c == ' ' || c == '.' || c == '-') && i > 0 && i+1 < len(s) && isDigit(s[i-1]) && isDigit(s[i+1]) {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// assertGone fails if value, in any spacing, is still present in masked.
func assertGone(t *testing.T, where, kind, value, masked string) {
	t.Helper()
	if strings.Contains(masked, value) ||
		(strings.ContainsAny(value, "0123456789") && strings.Contains(squeezeDigits(masked), squeezeDigits(value))) {
		t.Errorf("%s: %s %q survived masking:\n%s", where, kind, value, masked)
	}
}

// TestMaskCorpusIndexedItems checks that every indexed personal item of the
// ten corpus questions with personal data is masked (house addresses are out
// of scope), and that the offsets of the index still point at the values, so
// the copy in testdata cannot silently drift.
func TestMaskCorpusIndexedItems(t *testing.T) {
	qs, index := loadCorpus(t)
	byID := map[string]question{}
	for _, q := range qs {
		byID[q.ID] = q
	}
	types := map[string]int{}
	for id, items := range index {
		q, ok := byID[id]
		if !ok {
			t.Fatalf("pii_index entry %s has no question", id)
		}
		masked := Mask(q.Body, q.Asker.Name)
		for _, it := range items {
			types[it.Type]++
			if got := runeSlice(q.Body, it.Start, len([]rune(it.Value))); got != it.Value {
				t.Errorf("%s: index says %q at rune %d, body has %q", id, it.Value, it.Start, got)
			}
			if it.Type == "address" {
				continue
			}
			assertGone(t, id+" body", it.Type, it.Value, masked)
		}
		if !strings.Contains(masked, token) {
			t.Errorf("%s: nothing masked", id)
		}
	}
	for _, typ := range []string{"name", "cccd", "phone", "email", "bank_account", "licence_plate"} {
		if types[typ] == 0 {
			t.Errorf("corpus has no %s item: test would prove nothing for it", typ)
		}
	}
}

// runeSlice returns n runes of s starting at rune offset start.
func runeSlice(s string, start, n int) string {
	r := []rune(s)
	if start < 0 || start+n > len(r) {
		return ""
	}
	return string(r[start : start+n])
}

// TestMaskCorpusAskerContacts checks that no asker's own e-mail address or
// phone number survives in any published text of any question.
func TestMaskCorpusAskerContacts(t *testing.T) {
	qs, _ := loadCorpus(t)
	for _, q := range qs {
		for field, text := range q.fields() {
			masked := Mask(text, q.Asker.Name)
			where := q.ID + " " + field
			assertGone(t, where, "asker email", q.Asker.Email, masked)
			assertGone(t, where, "asker phone", q.Asker.Phone, masked)
			if strings.Count(q.Asker.Name, " ") > 0 {
				assertGone(t, where, "asker name", q.Asker.Name, masked)
			}
		}
	}
}

// corpusPersonalOutsideIndex lists texts of questions outside pii_index that
// nevertheless contain personal data, with their expected masked form. After
// reading all 50 of them (titles, bodies, answers) there are none: the
// street names they mention (Hà Hoàng Hổ, Trần Quang Khải, Ung Văn Khiêm,
// Tôn Đức Thắng, ...) are public places, not people, and no asker names
// themselves. The map stays so that a future corpus entry has a place.
var corpusPersonalOutsideIndex = map[string]string{}

// TestMaskCorpusNoFalsePositives runs Mask over every title, body and answer
// of the questions without personal data and requires the text back byte
// for byte: their dates, amounts, legal document numbers, hotlines and
// percentages must all survive.
func TestMaskCorpusNoFalsePositives(t *testing.T) {
	qs, index := loadCorpus(t)
	checked := 0
	for _, q := range qs {
		if _, ok := index[q.ID]; ok {
			continue
		}
		for field, text := range q.fields() {
			key := q.ID + "." + field
			want := text
			if w, ok := corpusPersonalOutsideIndex[key]; ok {
				want = w
			}
			if got := Mask(text, q.Asker.Name); got != want {
				t.Errorf("%s changed:\n got %q\nwant %q", key, got, want)
			}
			checked++
		}
	}
	if checked != 150 {
		t.Errorf("checked %d texts, want 150 (50 questions × 3 fields)", checked)
	}
}

// TestMaskCorpusAnswersAndTitlesOfIndexed checks that masking the titles and
// answers of the ten questions with personal data changes nothing: agencies
// do not repeat personal data, and false positives there would be visible.
func TestMaskCorpusAnswersAndTitlesOfIndexed(t *testing.T) {
	qs, index := loadCorpus(t)
	for _, q := range qs {
		if _, ok := index[q.ID]; !ok {
			continue
		}
		for field, text := range map[string]string{"title": q.Title, "answer": q.Answer} {
			if got := Mask(text, q.Asker.Name); got != text {
				t.Errorf("%s.%s changed:\n got %q\nwant %q", q.ID, field, got, text)
			}
		}
	}
}

// TestMaskCorpusExactBodies pins the full masked form of a few indexed
// bodies, so that over-masking around the items (eating a comma, a date or
// an amount) is caught, not only under-masking.
func TestMaskCorpusExactBodies(t *testing.T) {
	qs, _ := loadCorpus(t)
	byID := map[string]question{}
	for _, q := range qs {
		byID[q.ID] = q
	}
	tests := []struct {
		name string
		id   string
		want []string // substitutions applied to the body: old, new, ...
	}{
		{"name cccd address", "q009", []string{"Lê Thị Ngọc Hân", M, "089184012357", M}},
		{"name phone", "q015", []string{"Phạm Văn Đức", M, "0918 462 735", M}},
		{"cccd phone", "q018", []string{"089148003162", M, "0387 215 964", M}},
		{"name cccd bank", "q026", []string{"Võ Thị Mỹ Tiên", M, "089193007741", M, "6703 205 118 492", M}},
		{"name cccd email", "q030", []string{"Huỳnh Thị Bích Tuyền", M, "089195011284", M, "tuyen.huynh95@example.vn", M}},
		{"plate dotted phone", "q034", []string{"67A-123.45", M, "0909.318.276", M}},
		{"plate", "q042", []string{"67A-245.18", M}},
		{"bank name", "q052", []string{"0451 0003 827 16", M, "Trần Văn Lượm", M}},
		{"name phone email", "q055", []string{"Nguyễn Thị Kim Loan", M, "0336 571 928", M, "kimloan.nguyen84@example.vn", M}},
		{"name cccd plate money", "q059", []string{"Trương Thị Thu Hà", M, "089187020519", M, "67B1-234.56", M}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := byID[tt.id]
			want := strings.NewReplacer(tt.want...).Replace(q.Body)
			if got := Mask(q.Body, q.Asker.Name); got != want {
				t.Errorf("%s:\n got %q\nwant %q", tt.id, got, want)
			}
		})
	}
}
