package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"tuongtac/agencies"
)

// loadDemo publishes the corpus through the API of a live test instance.
func loadDemo(t *testing.T, ta *testApp) {
	t.Helper()
	var out bytes.Buffer
	if err := demo(t.Context(), []string{"--url", ta.listen(), "--admin-email", adminEmail, "--admin-password", testPass}, &out); err != nil {
		t.Fatal(err)
	}
}

type searchReply struct {
	Items []struct {
		ID          string `json:"id"`
		Agency      string `json:"agency"`
		Title       string `json:"title"`
		TitleHTML   string `json:"title_html"`
		SnippetHTML string `json:"snippet_html"`
	} `json:"items"`
	Total  int `json:"total"`
	Facets struct {
		Agency map[string]int `json:"agency"`
		Kind   map[string]int `json:"kind"`
		Year   map[string]int `json:"year"`
	} `json:"facets"`
}

func searchAPI(t *testing.T, c *client, path string, want int) searchReply {
	t.Helper()
	res, body := c.get(path)
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d: %s", path, res.StatusCode, want, body)
	}
	var r searchReply
	if want == 200 {
		mustDecode(t, body, &r)
	}
	return r
}

// TestSearch runs the public search over the published corpus: Vietnamese
// with and without diacritics, in upper case and decomposed Unicode,
// phrases, filters and facets, hostile queries, and no personal data.
func TestSearch(t *testing.T) {
	ta := newTestApp(t)
	loadDemo(t, ta)
	ta.drainOutbox()
	c := ta.anon()
	q := func(s string) string { return "/api/v1/threads?q=" + url.QueryEscape(s) }

	base := searchAPI(t, c, q("giấy khai sinh"), 200)
	if base.Total == 0 {
		t.Fatal("nothing found for giấy khai sinh")
	}
	for _, variant := range []string{"giay khai sinh", "GIẤY KHAI SINH", norm.NFD.String("giấy khai sinh"), "Giay Khai Sinh"} {
		r := searchAPI(t, c, q(variant), 200)
		if r.Total != base.Total || r.Items[0].ID != base.Items[0].ID {
			t.Errorf("%q: %d hits (first %s), want %d (first %s)", variant, r.Total, r.Items[0].ID, base.Total, base.Items[0].ID)
		}
	}
	if !strings.Contains(base.Items[0].TitleHTML+base.Items[0].SnippetHTML, "<mark>") {
		t.Errorf("no highlighted words: %+v", base.Items[0])
	}
	// đ folds to d
	if r := searchAPI(t, c, q("dat dai"), 200); r.Total == 0 {
		t.Error("dat dai found nothing")
	}
	// a quoted phrase is narrower than its words
	words := searchAPI(t, c, q("đăng ký kinh doanh"), 200)
	phrase := searchAPI(t, c, q(`"đăng ký kinh doanh"`), 200)
	if phrase.Total == 0 || phrase.Total > words.Total {
		t.Errorf("phrase %d hits, words %d", phrase.Total, words.Total)
	}
	// filters: a ward's threads are under the ward, its city and the province
	all := searchAPI(t, c, "/api/v1/threads?sort=newest&per_page=100", 200)
	if all.Total != 60 || all.Facets.Kind["question"] == 0 {
		t.Fatalf("all published: %d, facets %v", all.Total, all.Facets.Kind)
	}
	ward := searchAPI(t, c, "/api/v1/threads?sort=newest&agency=myhoa.longxuyen", 200)
	city := searchAPI(t, c, "/api/v1/threads?sort=newest&agency=longxuyen", 200)
	other := searchAPI(t, c, "/api/v1/threads?sort=newest&agency=chaudoc", 200)
	if ward.Total == 0 || city.Total < ward.Total || all.Facets.Agency["longxuyen"] != city.Total {
		t.Errorf("scope: ward %d, city %d, facet %d", ward.Total, city.Total, all.Facets.Agency["longxuyen"])
	}
	for _, it := range other.Items {
		if it.Agency == "myhoa.longxuyen" {
			t.Errorf("a Long Xuyên ward thread under Châu Đốc")
		}
	}
	kinds := searchAPI(t, c, "/api/v1/threads?sort=newest&kind=complaint&per_page=100", 200)
	if kinds.Total != all.Facets.Kind["complaint"] {
		t.Errorf("kind filter %d, facet %d", kinds.Total, all.Facets.Kind["complaint"])
	}
	// hostile queries are text
	for _, h := range []string{strings.Repeat("dat ", 2500), "+agency:x", "title:", "*", `"unbalanced`, `\`, "%", "agency:sotp OR 1=1"} {
		searchAPI(t, c, q(h), 200)
	}
	if r := searchAPI(t, c, q("giấy")+"&page=999", 200); len(r.Items) != 0 || r.Total == 0 {
		t.Errorf("page past the end: %d items, total %d", len(r.Items), r.Total)
	}
	searchAPI(t, c, q("giấy")+"&per_page=101", 400)
	searchAPI(t, c, q("giấy")+"&sort=random", 400)
	searchAPI(t, c, q("giấy")+"&year=abc", 400)
	// suggestions as one types, without diacritics
	res, body := c.get("/api/v1/threads/suggest?q=" + url.QueryEscape("giay khai s"))
	if res.StatusCode != 200 || !strings.Contains(string(body), `"id"`) {
		t.Errorf("suggest: %d %s", res.StatusCode, body)
	}
	// no personal data: searching for it finds nothing, and nothing returned shows it
	qs := loadCorpus(t)
	for _, s := range personalData(t, qs) {
		if s == "" {
			continue
		}
		_, body := c.get(q(s))
		if strings.Contains(string(body), s) {
			t.Errorf("search for %q shows it", s)
		}
	}
	// the page
	for _, p := range []string{"/search?q=" + url.QueryEscape("giay khai sinh"), "/search?q=dat+dai&lang=en", "/search"} {
		res, body := c.get(p)
		if res.StatusCode != 200 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
		if strings.Contains(p, "khai") && !strings.Contains(string(body), "<mark>") {
			t.Errorf("%s: no highlight", p)
		}
	}
}

// TestSearchEscapesHostileText publishes a thread with markup in its title:
// search results carry it escaped.
func TestSearchEscapesHostileText(t *testing.T) {
	ta := newTestApp(t)
	ed := ta.user("e@sotnmt.vn", "Biên tập", agencies.Role{Agency: "sotnmt", Role: "editor"})
	q := validQuestion()
	q["title"] = "Thủ tục đất đai <script>alert(1)</script>"
	_, b := ta.anon().json("POST", "/api/v1/threads", q)
	var rec struct {
		ID string `json:"id"`
	}
	mustDecode(t, b, &rec)
	for _, a := range []string{"claim", "answer", "approve"} {
		ed.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/"+a, map[string]any{"body": "Trả lời về đất đai."})
	}
	ta.drainOutbox()
	_, body := ta.anon().get("/search?q=dat+dai")
	if strings.Contains(string(body), "<script>alert") {
		t.Fatal("search page renders markup from a title")
	}
	_, body = ta.anon().get("/api/v1/threads?q=dat+dai")
	var r searchReply
	mustDecode(t, body, &r)
	if len(r.Items) != 1 || strings.Contains(r.Items[0].TitleHTML, "<script>") {
		t.Fatalf("title_html: %+v", r.Items)
	}
}

// TestOfficerSearch: officers find their own agencies' threads in every
// state, never another agency's.
func TestOfficerSearch(t *testing.T) {
	ta := newTestApp(t)
	sotp := ta.user("o@sotp.vn", "Cán bộ Tư pháp", agencies.Role{Agency: "sotp", Role: "officer"})
	soyt := ta.user("o@soyt.vn", "Cán bộ Y tế", agencies.Role{Agency: "soyt", Role: "officer"})
	q := validQuestion()
	q["agency"], q["title"], q["body"] = "sotp", "Đăng ký khai sinh quá hạn cho con", "Con tôi sinh năm 2024, chưa đăng ký khai sinh. Nay phải làm gì?"
	_, b := ta.anon().json("POST", "/api/v1/threads", q)
	var rec struct {
		ID string `json:"id"`
	}
	mustDecode(t, b, &rec)
	// The submission is indexed by the outbox worker.
	if _, err := ta.app.outbox().RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := searchAPI(t, sotp, "/api/v1/moderation/search?q=khai+sinh", 200)
	if r.Total != 1 || r.Items[0].ID != rec.ID {
		t.Fatalf("officer of the agency: %+v", r)
	}
	if r := searchAPI(t, soyt, "/api/v1/moderation/search?q=khai+sinh", 200); r.Total != 0 {
		t.Errorf("officer of another agency found %d", r.Total)
	}
	searchAPI(t, soyt, "/api/v1/moderation/search?q=khai+sinh&agency=sotp", 403)
	// the console's search page
	if res, body := sotp.get("/console/search?q=khai+sinh"); res.StatusCode != 200 || !strings.Contains(string(body), "/console/threads/"+rec.ID) {
		t.Errorf("console search: %d", res.StatusCode)
	}
	if _, body := soyt.get("/console/search?q=khai+sinh"); strings.Contains(string(body), rec.ID) {
		t.Error("another agency's console search shows the thread")
	}
	if r := searchAPI(t, ta.anon(), "/api/v1/threads?q=khai+sinh", 200); r.Total != 0 {
		t.Errorf("an unpublished thread is in the public search")
	}
	// outbox lag shows on readiness
	_, body := ta.anon().get("/readyz")
	var ready map[string]any
	if err := json.Unmarshal(body, &ready); err != nil || ready["search"] != "ok" {
		t.Errorf("readyz: %s", body)
	}
}
