package main

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"tuongtac/agencies"
	"tuongtac/consultation"
	"tuongtac/i18n"
	"tuongtac/store"
)

// The regulation this service exists for: 6 chapters, 28 articles.
const regulationFile = "../testdata/quy-che-02-2023-an-giang.txt"

// pointDD is point đ of clause 1 of Article 7.
const pointDD = "chuong-ii/dieu-7/khoan-1/diem-dd"

func regulation(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(regulationFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// vnTime writes now+d as RFC 3339 in Vietnam's time, as a form would.
func vnTime(d time.Duration) string {
	return time.Now().Add(d).In(i18n.Zone).Format(time.RFC3339)
}

// consultStaff creates the people of a consultation: an editor and an
// officer of Sở Tư pháp, and an editor of Sở Y tế (another agency).
type consultStaff struct {
	editor, officer, outsider *client
}

func newConsultStaff(t *testing.T, ta *testApp) consultStaff {
	t.Helper()
	return consultStaff{
		editor:   ta.user("hanh@sotp.vn", "Chị Hạnh", agencies.Role{Agency: "sotp", Role: agencies.RoleEditor}),
		officer:  ta.user("minh@sotp.vn", "Anh Minh", agencies.Role{Agency: "sotp", Role: agencies.RoleOfficer}),
		outsider: ta.user("lan@soyt.vn", "Chị Lan", agencies.Role{Agency: "soyt", Role: agencies.RoleEditor}),
	}
}

// newConsultation is a valid create request for Sở Tư pháp, open from
// opens (relative to now) for 40 days.
func newConsultation(t testing.TB, opens time.Duration) map[string]any {
	return map[string]any{
		"agency": "sotp", "title": "Dự thảo Quy chế cung cấp thông tin trên môi trường mạng",
		"summary":  "Lấy ý kiến nhân dân về dự thảo Quy chế.",
		"opens_at": vnTime(opens), "closes_at": vnTime(opens + 40*24*time.Hour),
		"text": regulation(t),
	}
}

// consultView is the part of a consultation's JSON the tests read.
type consultView struct {
	ID            string           `json:"id"`
	State         string           `json:"state"`
	Version       int              `json:"version"`
	Structure     []*nodeJSON      `json:"structure"`
	CommentCounts map[string]int64 `json:"comment_counts"`
	CommentsTotal int64            `json:"comments_total"`
}

type nodeJSON struct {
	Anchor   string      `json:"anchor"`
	Kind     string      `json:"kind"`
	Number   string      `json:"number"`
	Children []*nodeJSON `json:"children"`
}

// walk calls fn on every node.
func walk(ns []*nodeJSON, fn func(n *nodeJSON)) {
	for _, n := range ns {
		fn(n)
		walk(n.Children, fn)
	}
}

// createConsultation creates one through the API and returns its view.
func createConsultation(t *testing.T, c *client, in map[string]any) consultView {
	t.Helper()
	res, body := c.json("POST", "/api/v1/consultations", in)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var v consultView
	mustDecode(t, body, &v)
	if res.Header.Get("Location") != "/api/v1/consultations/"+v.ID {
		t.Errorf("Location %q", res.Header.Get("Location"))
	}
	return v
}

// comment posts a comment and returns its id.
func comment(t *testing.T, ta *testApp, id string, in map[string]any) string {
	t.Helper()
	in["consent"] = true
	res, body := ta.anon().json("POST", "/api/v1/consultations/"+id+"/comments", in)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("comment on %v: %d %s", in["anchor"], res.StatusCode, body)
	}
	var r map[string]any
	mustDecode(t, body, &r)
	if len(r) != 2 || r["state"] != "pending" || r["id"] == "" {
		t.Fatalf("comment receipt %s, want {id, state: pending}", body)
	}
	return r["id"].(string)
}

// wantStatus checks a response's status and, for errors, the field named.
func wantStatus(t *testing.T, what string, res *http.Response, body []byte, status int, field string) {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("%s: %d, want %d: %s", what, res.StatusCode, status, body)
	}
	if field == "" {
		return
	}
	var e apiError
	mustDecode(t, body, &e)
	if e.Error.Fields[field] == "" {
		t.Errorf("%s: no message for %s: %s", what, field, body)
	}
}

// personal is the personal data the journey's comments carry; none of it
// may be public.
var personal = []string{"0918 234 567", "Nguyễn Văn An", "an.nguyen@example.vn", "cuong@hoiluatgia.vn", "Lê Văn Cường", "binh@example.vn"}

// TestConsultationJourney runs a consultation's life through the API with
// the real regulation: create, comment (before, during, after), moderate,
// count, respond, close, publish, read the synthesis as JSON, CSV and pages.
func TestConsultationJourney(t *testing.T) {
	ta := newTestApp(t)
	st := newConsultStaff(t, ta)

	v := createConsultation(t, st.editor, newConsultation(t, -2*time.Minute))
	if v.State != consultation.StateOpen || v.Version != 1 {
		t.Fatalf("created %+v", v)
	}
	chapters, articles, anchors := 0, 0, map[string]bool{}
	walk(v.Structure, func(n *nodeJSON) {
		anchors[n.Anchor] = true
		switch n.Kind {
		case "chuong":
			chapters++
		case "dieu":
			articles++
		}
		if n.Anchor == pointDD && n.Number != "đ" {
			t.Errorf("point đ numbered %q", n.Number)
		}
	})
	if len(v.Structure) != 6 || chapters != 6 || articles != 28 || !anchors[pointDD] || !anchors["chuong-ii/dieu-7"] {
		t.Fatalf("structure: %d top-level, %d chapters, %d articles, point đ %v", len(v.Structure), chapters, articles, anchors[pointDD])
	}
	if v.Structure[1].Number != "II" || len(v.CommentCounts) != 0 {
		t.Errorf("chapter II numbered %q; counts %v", v.Structure[1].Number, v.CommentCounts)
	}
	id := v.ID

	// A consultation that opens in two days takes no comment yet.
	later := createConsultation(t, st.editor, newConsultation(t, 48*time.Hour))
	if later.State != consultation.StateScheduled {
		t.Fatalf("later: %s", later.State)
	}
	res, body := ta.anon().json("POST", "/api/v1/consultations/"+later.ID+"/comments", map[string]any{"body": "Góp ý sớm về dự thảo.", "consent": true})
	wantStatus(t, "comment before open", res, body, http.StatusConflict, "")
	if !strings.Contains(string(body), "bắt đầu nhận góp ý lúc") {
		t.Errorf("before open: %s", body)
	}
	page := getPage(t, ta.anon(), "/consultations/"+later.ID, http.StatusOK)
	pageHas(t, "upcoming", page, "Sắp lấy ý kiến", "Bắt đầu nhận góp ý lúc", "Điều 7.")
	pageLacks(t, "upcoming", page, `<form method="post"`)
	_, page2 := postForm(t, ta.anon(), "/consultations/"+later.ID+"/comments", map[string]string{"body": "Góp ý sớm về dự thảo.", "consent": "1"}, http.StatusConflict)
	pageHas(t, "comment form before open", page2, "bắt đầu nhận góp ý lúc")

	// Comments: the whole draft, Article 7, point đ, with personal data.
	whole := comment(t, ta, id, map[string]any{
		"body": "Tôi là Nguyễn Văn An, số điện thoại 0918 234 567, email an.nguyen@example.vn, đề nghị rút ngắn thời hạn trả lời.",
		"name": "Nguyễn Văn An", "email": "an.nguyen@example.vn",
	})
	art7 := comment(t, ta, id, map[string]any{
		"anchor": "chuong-ii/dieu-7", "body": "Đề nghị bổ sung trách nhiệm công khai kết quả tiếp thu ý kiến; liên hệ cuong@hoiluatgia.vn.",
		"name": "Lê Văn Cường", "email": "cuong@hoiluatgia.vn", "organisation": "Hội Luật gia tỉnh An Giang",
	})
	dd := comment(t, ta, id, map[string]any{
		"anchor": pointDD, "body": "Nên quy định rõ thời hạn công khai thông tin tương tác.",
		"name": "Trần Thị Bình", "email": "binh@example.vn", "show_name": true,
	})
	spam := comment(t, ta, id, map[string]any{"anchor": "chuong-i/dieu-1", "body": "Mua bán tài khoản giá rẻ, liên hệ ngay."})

	// Nothing is public or counted before moderation.
	_, body = ta.anon().get("/api/v1/consultations/" + id + "/comments")
	if !bytes.Contains(body, []byte(`"items":[]`)) {
		t.Fatalf("pending comments are public: %s", body)
	}

	// Moderation: the agency's officer sees the four; an
	// editor of another agency neither sees nor acts on them.
	res, body = st.officer.get("/api/v1/moderation/comments")
	var queue struct {
		Items []consultation.QueueItem `json:"items"`
	}
	mustDecode(t, body, &queue)
	if res.StatusCode != 200 || len(queue.Items) != 4 {
		t.Fatalf("queue: %d %s", res.StatusCode, body)
	}
	res, body = st.outsider.get("/api/v1/moderation/comments?consultation=" + id)
	wantStatus(t, "outsider's queue", res, body, http.StatusForbidden, "")
	res, body = st.outsider.json("POST", "/api/v1/moderation/comments/"+whole+"/approve", nil)
	wantStatus(t, "outsider approves", res, body, http.StatusForbidden, "")
	res, body = st.outsider.get("/api/v1/moderation/comments/" + whole)
	wantStatus(t, "outsider reads", res, body, http.StatusForbidden, "")
	res, body = st.officer.get("/api/v1/moderation/comments/" + art7)
	if res.StatusCode != 200 || !bytes.Contains(body, []byte("cuong@hoiluatgia.vn")) || bytes.Contains(body, []byte("ip_hash")) {
		t.Fatalf("officer's view: %d %s", res.StatusCode, body)
	}

	for _, c := range []string{whole, art7, dd} {
		res, body := st.officer.json("POST", "/api/v1/moderation/comments/"+c+"/approve", nil)
		if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"state":"approved"`)) {
			t.Fatalf("approve: %d %s", res.StatusCode, body)
		}
	}
	res, body = st.officer.json("POST", "/api/v1/moderation/comments/"+whole+"/approve", nil)
	wantStatus(t, "approve twice", res, body, http.StatusConflict, "")
	if !strings.Contains(string(body), "Đã duyệt") {
		t.Errorf("state conflict names the state in words: %s", body)
	}
	res, body = st.officer.json("POST", "/api/v1/moderation/comments/"+spam+"/reject", map[string]any{})
	wantStatus(t, "reject without a reason", res, body, http.StatusBadRequest, "reason")
	res, body = st.officer.json("POST", "/api/v1/moderation/comments/"+spam+"/reject", map[string]any{"reason": "Quảng cáo, không liên quan đến dự thảo."})
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"state":"rejected"`)) {
		t.Fatalf("reject: %d %s", res.StatusCode, body)
	}

	// Counts: approved comments by anchor.
	_, body = ta.anon().get("/api/v1/consultations/" + id)
	mustDecode(t, body, &v)
	want := map[string]int64{"": 1, "chuong-ii/dieu-7": 1, pointDD: 1}
	if fmt.Sprint(v.CommentCounts) != fmt.Sprint(want) || v.CommentsTotal != 3 {
		t.Fatalf("comment_counts %v (total %d), want %v", v.CommentCounts, v.CommentsTotal, want)
	}
	_, body = ta.anon().get("/api/v1/consultations/" + id + "/comments?anchor=chuong-ii/dieu-7&subtree=true")
	if !bytes.Contains(body, []byte(`"total":2`)) {
		t.Errorf("Article 7 with its points: %s", body)
	}
	_, body = ta.anon().get("/api/v1/consultations/" + id + "/comments?anchor=")
	if !bytes.Contains(body, []byte(`"total":1`)) || !bytes.Contains(body, []byte(whole)) {
		t.Errorf("whole draft: %s", body)
	}
	_, body = ta.anon().get("/api/v1/consultations/" + id + "/comments")
	for _, s := range personal {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("public comments show %q", s)
		}
	}
	if !bytes.Contains(body, []byte("Trần Thị Bình")) || !bytes.Contains(body, []byte("Hội Luật gia tỉnh An Giang")) {
		t.Errorf("the chosen name and the organisation are missing: %s", body)
	}

	// Responses.
	res, body = st.officer.json("POST", "/api/v1/moderation/comments/"+art7+"/respond", map[string]any{"outcome": "not_accepted"})
	wantStatus(t, "not accepted without a reason", res, body, http.StatusBadRequest, "text")
	res, body = st.officer.json("POST", "/api/v1/moderation/comments/"+art7+"/respond", map[string]any{"outcome": map[string]any{"$ne": ""}})
	wantStatus(t, "operator as outcome", res, body, http.StatusBadRequest, "outcome")
	for c, r := range map[string]map[string]any{
		whole: {"outcome": "accepted", "text": "Tiếp thu; cảm ơn ông Nguyễn Văn An."},
		art7:  {"outcome": "partly", "text": "Bổ sung tại khoản 2 Điều 7."},
		dd:    {"outcome": "noted"},
	} {
		res, body := st.officer.json("POST", "/api/v1/moderation/comments/"+c+"/respond", r)
		if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"responded":true`)) {
			t.Fatalf("respond: %d %s", res.StatusCode, body)
		}
	}

	// Close, then publish.
	res, body = st.editor.json("POST", "/api/v1/consultations/"+id+"/synthesis/publish", nil)
	wantStatus(t, "publish while open", res, body, http.StatusConflict, "")
	res, body = st.officer.json("POST", "/api/v1/consultations/"+id+"/close", nil)
	wantStatus(t, "an officer closes", res, body, http.StatusForbidden, "")
	res, body = st.outsider.json("POST", "/api/v1/consultations/"+id+"/close", nil)
	wantStatus(t, "another agency closes", res, body, http.StatusForbidden, "")
	res, body = st.editor.json("POST", "/api/v1/consultations/"+id+"/close", nil)
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"state":"closed"`)) {
		t.Fatalf("close: %d %s", res.StatusCode, body)
	}
	res, body = ta.anon().json("POST", "/api/v1/consultations/"+id+"/comments", map[string]any{"body": "Góp ý muộn về dự thảo.", "consent": true})
	wantStatus(t, "comment after close", res, body, http.StatusConflict, "")
	res, body = ta.anon().get("/api/v1/consultations/" + id + "/synthesis")
	wantStatus(t, "synthesis before publication", res, body, http.StatusNotFound, "")
	res, body = st.editor.json("POST", "/api/v1/consultations/"+id+"/synthesis/publish", nil)
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"state":"synthesis_published"`)) {
		t.Fatalf("publish: %d %s", res.StatusCode, body)
	}
	res, body = st.editor.json("POST", "/api/v1/consultations/"+id+"/synthesis/publish", nil)
	wantStatus(t, "publish twice", res, body, http.StatusConflict, "")

	// The synthesis: JSON, CSV, masked.
	res, body = ta.anon().get("/api/v1/consultations/" + id + "/synthesis")
	var syn consultation.Synthesis
	mustDecode(t, body, &syn)
	if res.StatusCode != 200 || !syn.Published || syn.Totals.Comments != 3 || syn.Totals.Accepted != 1 || syn.Totals.Partly != 1 || syn.Totals.Noted != 1 {
		t.Fatalf("synthesis: %d %s", res.StatusCode, body)
	}
	if len(syn.Groups) != 2 || syn.Groups[0].Anchor != "" || syn.Groups[1].Anchor != "chuong-ii/dieu-7" || syn.Groups[1].Counts.Comments != 2 {
		t.Fatalf("groups: %+v", syn.Groups)
	}
	for _, s := range personal {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("synthesis shows %q", s)
		}
	}
	res, body = ta.anon().get("/api/v1/consultations/" + id + "/synthesis.csv")
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("CSV headers: %q %q", ct, res.Header.Get("Content-Disposition"))
	}
	if !bytes.HasPrefix(body, []byte("\uFEFF")) {
		t.Error("CSV without a byte-order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF")))).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "stt" {
		t.Fatalf("CSV %v: %q", err, rows)
	}
	for _, s := range personal {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("CSV shows %q", s)
		}
	}

	// The pages show masked comments only, in both languages.
	for _, lang := range []string{"vi", "en"} {
		for _, path := range []string{"/consultations/" + id + "/synthesis", "/consultations/" + id, "/consultations"} {
			page := getPage(t, ta.anon(), path+"?lang="+lang, http.StatusOK)
			checkPage(t, path, page, lang)
			for _, s := range personal {
				if strings.Contains(page, s) {
					t.Errorf("%s shows %q", path, s)
				}
			}
			if path != "/consultations" {
				pageHas(t, path, page, "Trần Thị Bình", "Hội Luật gia tỉnh An Giang", "Bổ sung tại khoản 2 Điều 7.")
			}
		}
	}
	page = getPage(t, ta.anon(), "/consultations/"+id+"/synthesis", http.StatusOK)
	pageHas(t, "synthesis", page, "Báo cáo tổng hợp, tiếp thu, giải trình ý kiến", "Điều 7", "Điểm đ khoản 1 Điều 7", "Tiếp thu một phần", "synthesis.csv")
	page = getPage(t, ta.anon(), "/consultations/"+id+"/synthesis?lang=en", http.StatusOK)
	pageHas(t, "synthesis en", page, "Article 7(1)(đ)", "Partly accepted")
	page = getPage(t, ta.anon(), "/consultations/"+id, http.StatusOK)
	pageHas(t, "published draft", page, `href="/consultations/`+id+`/synthesis"`, `id="u-chuong-ii_dieu-7_khoan-1_diem-dd"`)
	pageLacks(t, "published draft", page, `action="/consultations/`+id+`/comments`)
}

// multipartBody builds a multipart/form-data body from fields and one file.
func multipartBody(t testing.TB, fields map[string]string, file []byte, filename string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		fw, err := w.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// docx writes a Word document with one paragraph per argument.
func docx(t testing.TB, paras ...string) []byte {
	t.Helper()
	var body strings.Builder
	for _, p := range paras {
		body.WriteString(`<w:p><w:r><w:t>`)
		xml.EscapeText(&body, []byte(p))
		body.WriteString(`</w:t></w:r></w:p>`)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`+body.String()+`</w:body></w:document>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// slowStart holds the body back a moment after "100 Continue": the server
// answers a body over the limit right after it, and a client still writing
// when the server closes the connection gets a reset instead of the answer.
type slowStart struct{ waited bool }

func (s *slowStart) Read(p []byte) (int, error) {
	if !s.waited {
		s.waited = true
		time.Sleep(300 * time.Millisecond)
	}
	return 0, io.EOF
}

// postRealMultipart posts a body over a real connection with "Expect:
// 100-continue", as proxies send large uploads.
func postRealMultipart(t *testing.T, ta *testApp, c *client, path, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", ta.listen()+path, io.MultiReader(&slowStart{}, bytes.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Expect", "100-continue")
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	hc := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res, out
}

func countDocs(t *testing.T, ta *testApp, coll string) int64 {
	t.Helper()
	n, err := ta.db.Collection(coll).Count(t.Context(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConsultationBadInput sends what clients get wrong and what attackers
// try: each is a 4xx that stores nothing.
func TestConsultationBadInput(t *testing.T) {
	ta := newTestApp(t)
	st := newConsultStaff(t, ta)
	id := createConsultation(t, st.editor, newConsultation(t, -time.Minute)).ID
	good := func() map[string]any {
		return map[string]any{"anchor": pointDD, "body": "Đề nghị làm rõ hình thức tham gia.", "consent": true}
	}

	comments := []struct {
		name   string
		edit   func(m map[string]any)
		status int
		field  string
	}{
		{"an anchor that does not exist", func(m map[string]any) { m["anchor"] = "chuong-ii/dieu-7/khoan-9" }, 400, "anchor"},
		{"an operator as the anchor", func(m map[string]any) { m["anchor"] = map[string]any{"$gt": ""} }, 400, "anchor"},
		{"an operator as the body", func(m map[string]any) { m["body"] = map[string]any{"$ne": nil} }, 400, "body"},
		{"an array as the body", func(m map[string]any) { m["body"] = []string{"Đề nghị làm rõ hình thức tham gia."} }, 400, "body"},
		{"consent as a string", func(m map[string]any) { m["consent"] = "true" }, 400, "consent"},
		{"consent as an operator", func(m map[string]any) { m["consent"] = map[string]any{"$ne": false} }, 400, "consent"},
		{"consent as 1", func(m map[string]any) { m["consent"] = 1 }, 400, "consent"},
		{"no consent", func(m map[string]any) { delete(m, "consent") }, 400, "consent"},
		{"markup in the organisation", func(m map[string]any) { m["organisation"] = "<b>Hội</b>" }, 400, "organisation"},
		{"show_name as a string", func(m map[string]any) { m["show_name"] = "yes" }, 400, "show_name"},
	}
	for _, tc := range comments {
		t.Run(tc.name, func(t *testing.T) {
			m := good()
			tc.edit(m)
			res, body := ta.anon().json("POST", "/api/v1/consultations/"+id+"/comments", m)
			wantStatus(t, tc.name, res, body, tc.status, tc.field)
		})
	}
	for name, raw := range map[string]string{
		"not JSON":   `{"body": `,
		"an array":   `[{"body": "x"}]`,
		"two values": `{"body": "Đề nghị làm rõ."} {"consent": true}`,
	} {
		res, body := ta.anon().raw("POST", "/api/v1/consultations/"+id+"/comments", "application/json", []byte(raw))
		wantStatus(t, name, res, body, http.StatusBadRequest, "")
	}
	res, body := ta.anon().raw("POST", "/api/v1/consultations/"+id+"/comments", "text/plain", []byte("Góp ý"))
	wantStatus(t, "text/plain", res, body, http.StatusUnsupportedMediaType, "")
	res, body = ta.anon().json("POST", "/api/v1/consultations/nope/comments", good())
	wantStatus(t, "unknown consultation", res, body, http.StatusNotFound, "")
	if n := countDocs(t, ta, "consultation_comments"); n != 0 {
		t.Fatalf("%d comments stored from bad input", n)
	}

	// Queries.
	for _, q := range []string{"?page=0", "?per_page=1000", "?state=nope", "?agency=nowhere", "?page=abc"} {
		res, body := ta.anon().get("/api/v1/consultations" + q)
		wantStatus(t, "list"+q, res, body, http.StatusBadRequest, "")
	}
	for _, q := range []string{"?subtree=maybe", "?anchor=Điều%207", "?per_page=0"} {
		res, body := ta.anon().get("/api/v1/consultations/" + id + "/comments" + q)
		wantStatus(t, "comments"+q, res, body, http.StatusBadRequest, "")
	}
	res, body = ta.anon().get("/api/v1/consultations/" + id + "/diff?from=-1")
	wantStatus(t, "diff", res, body, http.StatusBadRequest, "from")
	res, body = ta.anon().get("/api/v1/consultations/" + id + "/versions/x")
	wantStatus(t, "version x", res, body, http.StatusNotFound, "")
	res, body = st.officer.get("/api/v1/moderation/comments?limit=1000")
	wantStatus(t, "queue limit", res, body, http.StatusBadRequest, "limit")

	// Creating.
	before := countDocs(t, ta, "consultations")
	creates := []struct {
		name   string
		c      *client
		edit   func(m map[string]any)
		status int
		field  string
	}{
		{"signed out", ta.anon(), nil, 401, ""},
		{"without the CSRF token", &client{ta: ta, cookie: st.editor.cookie}, nil, 403, ""},
		{"an officer, not an editor", st.officer, nil, 403, ""},
		{"an editor of another agency", st.outsider, nil, 403, ""},
		{"an operator as the agency", st.editor, func(m map[string]any) { m["agency"] = map[string]any{"$ne": ""} }, 400, "agency"},
		{"a number as the title", st.editor, func(m map[string]any) { m["title"] = 42 }, 400, "title"},
		{"no draft", st.editor, func(m map[string]any) { delete(m, "text") }, 400, "text"},
		{"opening in the past", st.editor, func(m map[string]any) { m["opens_at"] = "2020-01-01" }, 400, "opens_at"},
		{"a short period without a reason", st.editor, func(m map[string]any) { m["closes_at"] = vnTime(5 * 24 * time.Hour) }, 400, "short_period_reason"},
	}
	for _, tc := range creates {
		t.Run("create "+tc.name, func(t *testing.T) {
			m := newConsultation(t, time.Hour)
			if tc.edit != nil {
				tc.edit(m)
			}
			res, body := tc.c.json("POST", "/api/v1/consultations", m)
			wantStatus(t, tc.name, res, body, tc.status, tc.field)
		})
	}

	// A DOCX that is not a zip archive, and a real one.
	fields := map[string]string{"agency": "sotp", "title": "Dự thảo quy chế từ tệp", "opens_at": vnTime(time.Hour), "closes_at": vnTime(41 * 24 * time.Hour)}
	b, ct := multipartBody(t, fields, []byte("Điều 1. Không phải DOCX"), "du-thao.docx")
	res, body = st.editor.raw("POST", "/api/v1/consultations", ct, b)
	wantStatus(t, "not a zip", res, body, http.StatusBadRequest, "file")
	if !strings.Contains(string(body), "DOCX") {
		t.Errorf("not a zip: %s", body)
	}
	if n := countDocs(t, ta, "consultations"); n != before {
		t.Fatalf("bad creates stored %d consultations", n-before)
	}
	b, ct = multipartBody(t, fields, docx(t, "Điều 1. Phạm vi", "1. Khoản một.", "a) Điểm a."), "du-thao.docx")
	res, body = st.editor.raw("POST", "/api/v1/consultations", ct, b)
	if res.StatusCode != http.StatusCreated || !bytes.Contains(body, []byte(`"anchor":"dieu-1/khoan-1/diem-a"`)) {
		t.Fatalf("DOCX create: %d %s", res.StatusCode, body)
	}

	// A file over the limit: 11 MiB reaches the handler (413 from the
	// service); 50 MB is refused as its headers arrive.
	big := make([]byte, 11<<20)
	copy(big, "PK\x03\x04")
	b, ct = multipartBody(t, fields, big, "lon.docx")
	res, body = st.editor.raw("POST", "/api/v1/consultations", ct, b)
	wantStatus(t, "11 MiB", res, body, http.StatusRequestEntityTooLarge, "")
	if !strings.Contains(string(body), "10 MB") {
		t.Errorf("11 MiB: %s", body)
	}
	huge := make([]byte, 50<<20)
	copy(huge, "PK\x03\x04")
	b, ct = multipartBody(t, fields, huge, "rat-lon.docx")
	res, body = postRealMultipart(t, ta, st.editor, "/api/v1/consultations", ct, b)
	wantStatus(t, "50 MB", res, body, http.StatusRequestEntityTooLarge, "")
	b, ct = multipartBody(t, map[string]string{"note": "x"}, huge, "rat-lon.docx")
	res, body = postRealMultipart(t, ta, st.editor, "/api/v1/consultations/"+id+"/versions", ct, b)
	wantStatus(t, "50 MB version", res, body, http.StatusRequestEntityTooLarge, "")
	// Every other route keeps the small limit.
	long := []byte(`{"body":"` + strings.Repeat("ý", 200000) + `","consent":true}`)
	res, body = postRealMultipart(t, ta, ta.anon(), "/api/v1/consultations/"+id+"/comments", "application/json", long)
	if res.StatusCode != http.StatusRequestEntityTooLarge && res.StatusCode != http.StatusBadRequest {
		t.Errorf("a 200,000-character comment: %d %s", res.StatusCode, body)
	}
	if n := countDocs(t, ta, "consultations"); n != before+1 {
		t.Fatalf("%d consultations stored, want %d", n, before+1)
	}
}

func TestIsUploadPath(t *testing.T) {
	for uri, want := range map[string]bool{
		"/api/v1/consultations":                 true,
		"/api/v1/consultations/":                true,
		"/API/V1/Consultations?x=1":             true,
		"/api/v1/consultations/abc/versions":    true,
		"/api/v1/consultations/abc/versions/":   true,
		"/console/consultations":                true,
		"/console/consultations/abc/versions":   true,
		"http://host/api/v1/consultations":      true,
		"/api/v1/consultations/abc/comments":    false,
		"/api/v1/consultations/abc/versions/2":  false,
		"/api/v1/consultations//versions":       false,
		"/api/v1/threads":                       false,
		"/console/consultations/abc/close":      false,
		"/api/v1/consultations/abc/versionsx":   false,
		"/api/v1/consultationsx":                false,
		"/console/comments/abc/respond":         false,
		"/api/v1/consultations/a/b/versions":    false,
		"/api/v1/moderation/comments/a/approve": false,
	} {
		if got := isUploadPath(uri); got != want {
			t.Errorf("isUploadPath(%q) = %v, want %v", uri, got, want)
		}
	}
}

// TestConsultationVersions adds a revised draft: comments stay with their
// article when it is renumbered, and the changes page shows what changed.
func TestConsultationVersions(t *testing.T) {
	ta := newTestApp(t)
	st := newConsultStaff(t, ta)
	id := createConsultation(t, st.editor, newConsultation(t, -time.Minute)).ID
	c27 := comment(t, ta, id, map[string]any{"anchor": "chuong-vi/dieu-27", "body": "Góp ý về quy định chuyển tiếp."})
	if res, body := st.officer.json("POST", "/api/v1/moderation/comments/"+c27+"/approve", nil); res.StatusCode != 200 {
		t.Fatalf("approve: %d %s", res.StatusCode, body)
	}
	revised := strings.Replace(regulation(t), "Điều 27. Quy định chuyển tiếp", "Điều 27. Giám sát thi hành\n1. Sở Tư pháp theo dõi việc thi hành Quy chế.\nĐiều 28. Quy định chuyển tiếp", 1)
	revised = strings.Replace(revised, "Điều 28. Trong quá trình", "Điều 29. Trong quá trình", 1)
	res, body := st.outsider.json("POST", "/api/v1/consultations/"+id+"/versions", map[string]any{"text": revised})
	wantStatus(t, "another agency's version", res, body, http.StatusForbidden, "")
	res, body = st.editor.json("POST", "/api/v1/consultations/"+id+"/versions", map[string]any{"text": revised, "note": "Thêm điều về giám sát."})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("version: %d %s", res.StatusCode, body)
	}
	var v consultView
	mustDecode(t, body, &v)
	if v.Version != 2 || v.CommentCounts["chuong-vi/dieu-28"] != 1 {
		t.Fatalf("version 2: %d, counts %v", v.Version, v.CommentCounts)
	}
	res, body = ta.anon().get("/api/v1/consultations/" + id + "/diff")
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"change":"added"`)) || !bytes.Contains(body, []byte(`"change":"renumbered"`)) {
		t.Fatalf("diff: %d %s", res.StatusCode, body)
	}
	res, body = ta.anon().get("/api/v1/consultations/" + id + "/versions/1")
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"n":1`)) {
		t.Fatalf("version 1: %d %s", res.StatusCode, body)
	}
	res, body = ta.anon().get("/api/v1/consultations/" + id + "/versions/3")
	wantStatus(t, "version 3", res, body, http.StatusNotFound, "")
	for _, lang := range []string{"vi", "en"} {
		page := getPage(t, ta.anon(), "/consultations/"+id+"/changes?lang="+lang, http.StatusOK)
		checkPage(t, "changes", page, lang)
		pageHas(t, "changes", page, "<ins>", "Giám sát thi hành", `href="/consultations/`+id+`#u-chuong-vi_dieu-28"`)
		page = getPage(t, ta.anon(), "/consultations/"+id+"?lang="+lang, http.StatusOK)
		pageHas(t, "draft v2", page, "/consultations/"+id+"/changes", "Thêm điều về giám sát.")
	}
}

// TestConsultationPagesWithoutJavaScript comments through the draft page's
// form, and runs the console's forms: create (text and DOCX), moderate,
// respond, close, publish.
func TestConsultationPagesWithoutJavaScript(t *testing.T) {
	ta := newTestApp(t)
	st := newConsultStaff(t, ta)
	id := createConsultation(t, st.editor, newConsultation(t, -time.Minute)).ID
	path := "/consultations/" + id
	anon := ta.anon()

	t.Run("the draft page", func(t *testing.T) {
		for _, lang := range []string{"vi", "en"} {
			page := getPage(t, anon, path+"?lang="+lang, http.StatusOK)
			checkPage(t, path, page, lang)
			pageHas(t, "draft", page, `id="u-chuong-ii_dieu-7"`, `name="anchor" value="`+pointDD+`"`, `action="`+path+`/comments#u-chuong-ii_dieu-7_khoan-1_diem-dd"`,
				"Chương II", "Điều 7.", `<span class="unit-num">đ)</span>`, `id="draft-body"`)
			if !ddmmyyyyRE.MatchString(page) {
				t.Error("no dd/mm/yyyy date")
			}
		}
		page := getPage(t, anon, path, http.StatusOK)
		pageHas(t, "draft vi", page, "Góp ý về Điểm đ khoản 1 Điều 7", "Đang lấy ý kiến")
		page = getPage(t, anon, path+"?lang=en", http.StatusOK)
		pageHas(t, "draft en", page, "Comment on Article 7(1)(đ)", "Open for comments")
		for _, p := range []string{"/consultations", "/consultations?page=2"} {
			page := getPage(t, anon, p, http.StatusOK)
			pageHas(t, p, page, "Lấy ý kiến dự thảo văn bản")
		}
		page = getPage(t, anon, "/consultations", http.StatusOK)
		pageHas(t, "list", page, `href="/consultations/`+id+`"`, `href="/consultations" aria-current="page"`, ">Dự thảo<")
		getPage(t, anon, "/consultations/nope", http.StatusNotFound)
		getPage(t, anon, path+"/synthesis", http.StatusNotFound)
	})

	t.Run("a refused comment shows the form again", func(t *testing.T) {
		_, page := postForm(t, anon, path+"/comments", map[string]string{"anchor": pointDD, "body": "Góp ý chưa đánh dấu đồng ý."}, http.StatusBadRequest)
		m := regexp.MustCompile(`value="` + pointDD + `">\s*<div class="field[^"]*">\s*<label for="(f\d+)-body"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no form for point đ:\n%s", page)
		}
		pageHas(t, "refused", page, `<a href="#`+m[1]+`-consent">`, `id="`+m[1]+`-consent-error"`, "Góp ý chưa đánh dấu đồng ý.</textarea>", `class="comment-details" open`)
		checkPage(t, "refused", page, "vi")
		_, page = postForm(t, anon, path+"/comments", map[string]string{"anchor": "chuong-ix", "body": "Góp ý về phần không có.", "consent": "1"}, http.StatusBadRequest)
		pageHas(t, "unknown part", page, `<a href="#draft-body">`, "Góp ý về phần không có.</textarea>")
		if n := countDocs(t, ta, "consultation_comments"); n != 0 {
			t.Fatalf("%d comments stored", n)
		}
	})

	t.Run("a comment by the form", func(t *testing.T) {
		res, _ := postForm(t, anon, path+"/comments", map[string]string{
			"anchor": pointDD, "body": "Đề nghị bổ sung thời hạn; gọi tôi 0918 234 567.", "name": "Phạm Văn Dũng", "consent": "1",
		}, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != path+"?done=comment#u-chuong-ii_dieu-7_khoan-1_diem-dd" {
			t.Fatalf("Location %q", loc)
		}
		page := getPage(t, anon, path+"?done=comment", http.StatusOK)
		pageHas(t, "thanks", page, "Cảm ơn bạn đã góp ý")
		postForm(t, anon, path+"/comments", map[string]string{"body": "Góp ý chung về dự thảo.", "consent": "on"}, http.StatusSeeOther)
		_, page = postForm(t, anon, path+"/comments", map[string]string{"body": "Góp ý chung về dự thảo.", "consent": "on"}, http.StatusConflict)
		pageHas(t, "duplicate", page, "không nhận bản trùng")
	})

	officer := formLogin(t, ta, "minh@sotp.vn")
	editor := formLogin(t, ta, "hanh@sotp.vn")
	item := "/console/consultations/" + id

	t.Run("moderation by form", func(t *testing.T) {
		page := getPage(t, officer, "/console/consultations", http.StatusOK)
		checkPage(t, "console", page, "vi")
		pageHas(t, "console", page, "Góp ý chờ duyệt", `href="/console/consultations/`+id+`#comments"`, "Dự thảo Quy chế cung cấp thông tin")
		pageLacks(t, "officer's console", page, `action="/console/consultations"`)
		page = getPage(t, officer, item, http.StatusOK)
		checkPage(t, "console item", page, "vi")
		pageHas(t, "console item", page, "0918 234 567", "Phạm Văn Dũng", "Điểm đ khoản 1 Điều 7", "Góp ý chung về dự thảo.")
		csrf := csrfOf(t, page)
		s, err := ta.app.accounts.Session(t.Context(), officer.cookie)
		if err != nil {
			t.Fatal(err)
		}
		queue, err := ta.app.consult.Queue(t.Context(), consultActor(s), consultation.QueueFilter{Consultation: id})
		if err != nil || len(queue) != 2 {
			t.Fatalf("queue %v %+v", err, queue)
		}
		first, second := queue[0].ID, queue[1].ID
		if queue[0].Anchor != pointDD {
			first, second = second, first
		}
		res, _ := postForm(t, officer, "/console/comments/"+first+"/approve", map[string]string{"_csrf": csrf}, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != item+"?done=approve#comments" {
			t.Errorf("Location %q", loc)
		}
		postForm(t, officer, "/console/comments/"+first+"/approve", map[string]string{}, http.StatusForbidden)
		_, page = postForm(t, officer, "/console/comments/"+second+"/reject", map[string]string{"_csrf": csrf}, http.StatusBadRequest)
		pageHas(t, "reject without a reason", page, `<a href="#cm-`+second+`-reason">`)
		postForm(t, officer, "/console/comments/"+second+"/reject", map[string]string{"_csrf": csrf, "reason": "Trùng lặp."}, http.StatusSeeOther)
		_, page = postForm(t, officer, "/console/comments/"+first+"/respond", map[string]string{"_csrf": csrf, "outcome": "partly"}, http.StatusBadRequest)
		pageHas(t, "respond without text", page, `<a href="#cm-`+first+`-text">`, `<option value="partly" selected>`)
		postForm(t, officer, "/console/comments/"+first+"/respond", map[string]string{"_csrf": csrf, "outcome": "partly", "text": "Tiếp thu một phần tại khoản 1."}, http.StatusSeeOther)
		page = getPage(t, anon, path, http.StatusOK)
		pageHas(t, "public", page, "Tiếp thu một phần tại khoản 1.", `<span class="count-badge">1</span>`)
		pageLacks(t, "public", page, "0918 234 567", "Phạm Văn Dũng", "Trùng lặp.")
	})

	t.Run("the editor's forms", func(t *testing.T) {
		page := getPage(t, editor, "/console/consultations?lang=en", http.StatusOK)
		checkPage(t, "editor's console", page, "en")
		csrf := csrfOf(t, page)
		pageHas(t, "editor's console", page, `action="/console/consultations"`, `enctype="multipart/form-data"`)

		// Create with typed text; a mistake shows the form again.
		fields := map[string]string{"_csrf": csrf, "agency": "sotp", "title": "Dự thảo Quy định về thu phí", "opens_at": "",
			"closes_at": time.Now().AddDate(0, 2, 0).In(i18n.Zone).Format("02/01/2006"), "format": "text",
			"text": "Điều 1. Phạm vi\nQuy định này áp dụng trong tỉnh.\nĐiều 2. Mức phí\n1. Mức phí bằng không."}
		b, ct := multipartBody(t, fields, nil, "")
		res, out := editor.raw("POST", "/console/consultations", ct, b)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(out), `<a href="#new-opens_at">`) || !strings.Contains(string(out), "Dự thảo Quy định về thu phí") {
			t.Fatalf("create without opening: %d\n%s", res.StatusCode, out)
		}
		fields["opens_at"] = time.Now().Add(time.Hour).In(i18n.Zone).Format("02/01/2006 15:04")
		b, ct = multipartBody(t, fields, nil, "")
		res, out = editor.raw("POST", "/console/consultations", ct, b)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/consultations/") {
			t.Fatalf("create: %d %s\n%s", res.StatusCode, res.Header.Get("Location"), out)
		}
		page = getPage(t, editor, res.Header.Get("Location"), http.StatusOK)
		checkPage(t, "created", page, "vi")
		pageHas(t, "created", page, "Đã tạo dự thảo lấy ý kiến.", "Sắp lấy ý kiến", "Văn bản thường")

		// Create with a DOCX file.
		delete(fields, "text")
		b, ct = multipartBody(t, fields, docx(t, "Điều 1. Phạm vi", "1. Khoản một.", "a) Điểm a."), "du-thao.docx")
		res, out = editor.raw("POST", "/console/consultations", ct, b)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create from DOCX: %d\n%s", res.StatusCode, out)
		}
		page = getPage(t, editor, res.Header.Get("Location"), http.StatusOK)
		pageHas(t, "created from DOCX", page, "du-thao.docx")

		// A new version, then close and publish.
		page = getPage(t, editor, item, http.StatusOK)
		pageHas(t, "item", page, `action="`+item+`/close"`, `action="`+item+`/versions"`)
		b, ct = multipartBody(t, map[string]string{"_csrf": csrf, "format": "text", "text": "", "note": "Bản sửa"}, nil, "")
		res, out = editor.raw("POST", item+"/versions", ct, b)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(out), `<a href="#versions-text">`) {
			t.Fatalf("empty version: %d\n%s", res.StatusCode, out)
		}
		b, ct = multipartBody(t, map[string]string{"_csrf": csrf, "format": "text", "text": strings.Replace(regulation(t), "Phạm vi điều chỉnh", "Phạm vi áp dụng", 1), "note": "Sửa Điều 1."}, nil, "")
		res, out = editor.raw("POST", item+"/versions", ct, b)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("version: %d\n%s", res.StatusCode, out)
		}
		_, page = postForm(t, editor, item+"/synthesis", map[string]string{"_csrf": csrf}, http.StatusConflict)
		pageHas(t, "publish while open", page, "Đang lấy ý kiến")
		postForm(t, editor, item+"/close", map[string]string{"_csrf": csrf}, http.StatusSeeOther)
		page = getPage(t, editor, item+"?lang=en", http.StatusOK)
		checkPage(t, "closed item", page, "en")
		pageHas(t, "closed item", page, "Publish the synthesis", "Closed")
		page = getPage(t, editor, item+"/synthesis", http.StatusOK)
		checkPage(t, "preview", page, "vi")
		pageHas(t, "preview", page, "Bản xem trước báo cáo tổng hợp", "Tiếp thu một phần tại khoản 1.")
		postForm(t, editor, item+"/synthesis", map[string]string{"_csrf": csrf}, http.StatusSeeOther)
		page = getPage(t, anon, path+"/synthesis", http.StatusOK)
		pageHas(t, "published", page, "Tiếp thu một phần tại khoản 1.")
		pageLacks(t, "published", page, "0918 234 567", "Phạm Văn Dũng")
		postForm(t, editor, item+"/nope", map[string]string{"_csrf": csrf}, http.StatusNotFound)
	})

	t.Run("signed out", func(t *testing.T) {
		res, _ := anon.get(item)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console?next="+urlEncode(item) {
			t.Errorf("console signed out: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		outsider := formLogin(t, ta, "lan@soyt.vn")
		getPage(t, outsider, item, http.StatusForbidden)
	})
}

// TestConsultationCompressesPages checks the draft page goes out compressed
// to a browser that asks, and stays readable to one that does not.
func TestConsultationCompressesPages(t *testing.T) {
	ta := newTestApp(t)
	st := newConsultStaff(t, ta)
	id := createConsultation(t, st.editor, newConsultation(t, -time.Minute)).ID
	c := ta.anon()
	c.header = map[string]string{"Accept-Encoding": "gzip"}
	res, body := c.get("/consultations/" + id)
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("draft page: %d, Content-Encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	_, plain := ta.anon().get("/consultations/" + id)
	if len(body)*5 > len(plain) {
		t.Errorf("compressed %d bytes of %d", len(body), len(plain))
	}
	t.Logf("draft page: %d bytes, %d compressed", len(plain), len(body))
}
