package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"tuongtac/agencies"
)

// corpusQuestion is one entry of testdata/questions.json: real-sounding
// questions with invented askers and plausible official answers.
type corpusQuestion struct {
	ID     string `json:"id"`
	Agency string `json:"agency"`
	Kind   string `json:"kind"`
	Topic  string `json:"topic"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Asker  struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Phone string `json:"phone"`
	} `json:"asker"`
	Answer string `json:"answer"`
	Lang   string `json:"lang"`
}

type piiItem struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func loadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func loadCorpus(t testing.TB) []corpusQuestion {
	t.Helper()
	var qs []corpusQuestion
	loadJSON(t, "../testdata/questions.json", &qs)
	if len(qs) != 60 {
		t.Fatalf("corpus has %d questions, want 60", len(qs))
	}
	return qs
}

// submission maps a corpus question to the API's flat body.
func (q corpusQuestion) submission() map[string]any {
	return map[string]any{
		"agency": q.Agency, "kind": q.Kind, "topic": q.Topic, "title": q.Title, "body": q.Body,
		"name": q.Asker.Name, "email": q.Asker.Email, "phone": q.Asker.Phone,
		"lang": q.Lang, "consent": true,
	}
}

// personalData lists every personal item of the corpus that must never be
// public: each asker's name, email and phone (as written and as digits), and
// every non-address item of pii_index.json.
func personalData(t testing.TB, qs []corpusQuestion) []string {
	t.Helper()
	var index map[string][]piiItem
	loadJSON(t, "../testdata/pii_index.json", &index)
	var out []string
	for _, q := range qs {
		out = append(out, q.Asker.Name, q.Asker.Email, q.Asker.Phone)
		for _, it := range index[q.ID] {
			if it.Type == "address" {
				continue
			}
			out = append(out, it.Value)
			if it.Type == "phone" || it.Type == "cccd" || it.Type == "bank_account" {
				out = append(out, regexp.MustCompile(`\D`).ReplaceAllString(it.Value, ""))
			}
		}
	}
	return out
}

// TestCorpus is the foundation's end-to-end journey on real input: all 60
// questions are submitted through the API, answered by an officer of their
// agency, approved by that agency's editor, and then every public output is
// checked for each thread's presence and for the absence of personal data.
func TestCorpus(t *testing.T) {
	ta := newTestApp(t)
	qs := loadCorpus(t)
	officers := map[string]*client{}
	editors := map[string]*client{}
	for _, q := range qs {
		if officers[q.Agency] != nil {
			continue
		}
		officers[q.Agency] = ta.user("officer@"+q.Agency+".vn", "Cán bộ "+q.Agency, agencies.Role{Agency: q.Agency, Role: "officer"})
		editors[q.Agency] = ta.user("editor@"+q.Agency+".vn", "Biên tập "+q.Agency, agencies.Role{Agency: q.Agency, Role: "editor"})
	}
	ids := map[string]string{} // corpus id → thread id
	citizen := ta.anon()
	for _, q := range qs {
		res, body := citizen.json("POST", "/api/v1/threads", q.submission())
		if res.StatusCode != 201 {
			t.Fatalf("%s: submit: %d %s", q.ID, res.StatusCode, body)
		}
		var rec struct {
			ID string `json:"id"`
		}
		mustDecode(t, body, &rec)
		ids[q.ID] = rec.ID
	}
	for _, q := range qs {
		id := ids[q.ID]
		base := "/api/v1/moderation/threads/" + id
		steps := []struct {
			c      *client
			action string
			body   map[string]any
			state  string
		}{
			{officers[q.Agency], "claim", nil, "assigned"},
			{officers[q.Agency], "answer", map[string]any{"body": q.Answer}, "pending_approval"},
			{editors[q.Agency], "approve", nil, "published"},
		}
		for _, s := range steps {
			res, body := s.c.json("POST", base+"/"+s.action, s.body)
			if res.StatusCode != 200 || !strings.Contains(string(body), `"state":"`+s.state+`"`) {
				t.Fatalf("%s: %s: %d %s", q.ID, s.action, res.StatusCode, body)
			}
		}
	}

	// Collect every public output.
	public := map[string]string{}
	get := func(path string) string {
		t.Helper()
		res, body := citizen.get(path)
		if res.StatusCode != 200 {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
		public[path] = string(body)
		return string(body)
	}
	listed := func(path string) map[string]bool {
		t.Helper()
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			Total int `json:"total"`
		}
		mustDecode(t, []byte(get(path)), &page)
		got := map[string]bool{}
		for _, it := range page.Items {
			got[it.ID] = true
		}
		return got
	}
	province := listed("/api/v1/threads?agency=ubnd-tinh&per_page=100")
	all := listed("/api/v1/threads?per_page=100")
	for _, q := range qs {
		id := ids[q.ID]
		if !province[id] || !all[id] {
			t.Errorf("%s: not listed under the province", q.ID)
		}
		if !listed("/api/v1/threads?per_page=100&agency=" + q.Agency)[id] {
			t.Errorf("%s: not listed under its agency %s", q.ID, q.Agency)
		}
		get("/api/v1/threads/" + id)
		get("/threads/" + id)
		get("/threads/" + id + "?lang=en")
	}
	for _, p := range []string{"/", "/threads", "/threads?lang=en", "/threads?page=2", "/threads?page=3", "/agencies/ubnd-tinh", "/agencies/longxuyen"} {
		get(p)
	}

	secrets := personalData(t, qs)
	for path, body := range public {
		for _, s := range secrets {
			if s != "" && strings.Contains(body, s) {
				t.Errorf("%s shows personal data %q", path, s)
			}
		}
	}
	logs := ta.log.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the log shows personal data %q", s)
		}
	}
	// Officers still see the original.
	res, body := editors["sotp"].get("/api/v1/moderation/threads/" + ids["q030"])
	if res.StatusCode != 200 || !strings.Contains(string(body), "089195011284") {
		t.Errorf("officer view lost the original text: %d", res.StatusCode)
	}
	fmt.Fprintf(os.Stderr, "corpus: %d threads published, %d public outputs checked against %d personal items\n", len(ids), len(public), len(secrets))
}
