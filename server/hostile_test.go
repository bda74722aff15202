package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"tuongtac/store"
)

type hostileCase struct {
	ID     string         `json:"id"`
	Why    string         `json:"why"`
	Input  map[string]any `json:"input"`
	Expect string         `json:"expect"`
}

// flat maps the corpus's nested asker to the API's flat fields.
func (h hostileCase) flat() map[string]any {
	out := map[string]any{}
	for k, v := range h.Input {
		if k == "asker" {
			if m, ok := v.(map[string]any); ok {
				for ak, av := range m {
					out[ak] = av
				}
				continue
			}
		}
		out[k] = v
	}
	return out
}

// postReal posts over a real loopback connection, asking for "100 Continue"
// first, as browsers and proxies do with large bodies, so a refusal arrives
// as a response rather than a reset connection.
func postReal(t *testing.T, ta *testApp, path string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", ta.listen()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, out
}

func countThreads(t *testing.T, ta *testApp) int64 {
	t.Helper()
	n, err := ta.db.Collection("threads").Count(t.Context(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHostile sends every case of testdata/hostile.json and checks the outcome
// its expect names: a 4xx that stores nothing, an accepted and stored text, or
// an accepted text that is never rendered as live markup.
func TestHostile(t *testing.T) {
	ta := newTestApp(t)
	var cases []hostileCase
	loadJSON(t, "../testdata/hostile.json", &cases)
	if len(cases) != 30 {
		t.Fatalf("%d hostile cases, want 30", len(cases))
	}
	admin := ta.login(adminEmail, testPass)
	for _, h := range cases {
		t.Run(h.ID, func(t *testing.T) {
			c := ta.anon()
			before := countThreads(t, ta)
			body, err := json.Marshal(h.flat())
			if err != nil {
				t.Fatal(err)
			}
			var res *http.Response
			var out []byte
			if len(body) > BodyLimit {
				res, out = postReal(t, ta, "/api/v1/threads", body)
			} else {
				res, out = c.raw("POST", "/api/v1/threads", "application/json", body)
			}
			switch h.Expect {
			case "reject-400":
				if res.StatusCode != 400 && !(h.ID == "h15" && res.StatusCode == 413) {
					t.Fatalf("%s: status %d, want 400: %s", h.Why, res.StatusCode, out)
				}
				var e apiError
				mustDecode(t, out, &e)
				if e.Error.Message == "" || (res.StatusCode == 400 && e.Error.Code == "validation" && len(e.Error.Fields) == 0 && !bytes.Contains(out, []byte("JSON"))) {
					t.Errorf("error without a message or fields: %s", out)
				}
				if n := countThreads(t, ta); n != before {
					t.Errorf("a rejected submission changed the store: %d → %d threads", before, n)
				}
				return
			}
			if res.StatusCode != 201 {
				t.Fatalf("%s: status %d, want 201: %s", h.Why, res.StatusCode, out)
			}
			var rec struct {
				ID    string `json:"id"`
				State string `json:"state"`
			}
			mustDecode(t, out, &rec)
			if rec.State != "queued" {
				t.Errorf("state %q, want queued", rec.State)
			}
			_, tb := admin.get("/api/v1/moderation/threads/" + rec.ID)
			var th struct {
				Title, Body, State string
				Answer             any
			}
			mustDecode(t, tb, &th)
			switch h.ID {
			case "h06", "h26", "h27", "h28", "h10", "h11":
				if th.Title != h.Input["title"] || th.Body != h.Input["body"] {
					t.Errorf("text did not round-trip byte-exact:\n got %q / %q\nwant %q / %q", th.Title, th.Body, h.Input["title"], h.Input["body"])
				}
			case "h07":
				if !strings.Contains(th.Title, "Hỏi về thủ tục đăng ký khai sinh") {
					t.Errorf("NFD title not stored as NFC: %q", th.Title)
				}
			case "h08":
				if !strings.Contains(th.Title, "đất đai") || !strings.Contains(th.Title, "tách thửa") {
					t.Errorf("zero-width characters kept: %q", th.Title)
				}
			case "h09":
				if strings.ContainsAny(th.Title+th.Body, "\u202e\u202c\u2067\u2069\u202b") {
					t.Errorf("bidi controls kept: %q", th.Title)
				}
			case "h30":
				if th.State != "queued" || th.Answer != nil || rec.ID == h.Input["id"] {
					t.Errorf("mass assignment took effect: %s", tb)
				}
			}
			if h.ID == "h25" {
				for i := range 19 {
					res, out := c.raw("POST", "/api/v1/threads", "application/json", body)
					if res.StatusCode != 409 && res.StatusCode != 429 {
						t.Fatalf("replay %d: %d %s", i+2, res.StatusCode, out)
					}
				}
				if n := countThreads(t, ta); n != before+1 {
					t.Errorf("replays stored %d threads, want 1", n-before)
				}
			}
		})
	}
}
