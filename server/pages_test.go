package main

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"tuongtac/agencies"
	"tuongtac/frontend"
)

// Page helpers.

// getPage fetches path with c and checks the status and that it is HTML.
func getPage(t *testing.T, c *client, path string, want int) string {
	t.Helper()
	res, body := c.get(path)
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", path, res.StatusCode, want, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET %s: Content-Type %q, want HTML", path, ct)
	}
	return string(body)
}

// postForm sends a form and checks the status.
func postForm(t *testing.T, c *client, path string, values map[string]string, want int) (*http.Response, string) {
	t.Helper()
	res, body := c.form(path, values)
	if res.StatusCode != want {
		t.Fatalf("POST %s: %d, want %d\n%s", path, res.StatusCode, want, body)
	}
	return res, string(body)
}

func pageHas(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s: missing %q", what, s)
		}
	}
}

func pageLacks(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(body, s) {
			t.Errorf("%s: shows %q", what, s)
		}
	}
}

// submitQuestion sends a question through the API and returns its id and tracking
// code.
func submitQuestion(t *testing.T, ta *testApp, q map[string]any) (id, code string) {
	t.Helper()
	res, body := ta.anon().json("POST", "/api/v1/threads", q)
	if res.StatusCode != 201 {
		t.Fatalf("submit: %d %s", res.StatusCode, body)
	}
	var rec struct {
		ID   string `json:"id"`
		Code string `json:"tracking_code"`
	}
	mustDecode(t, body, &rec)
	return rec.ID, rec.Code
}

// publishThread claims, answers and approves thread id through the API.
func publishThread(t *testing.T, officer, editor *client, id, answer string) {
	t.Helper()
	for _, step := range []struct {
		c      *client
		action string
		body   map[string]any
	}{
		{officer, "claim", nil},
		{officer, "answer", map[string]any{"body": answer}},
		{editor, "approve", nil},
	} {
		res, body := step.c.json("POST", "/api/v1/moderation/threads/"+id+"/"+step.action, step.body)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", step.action, res.StatusCode, body)
		}
	}
}

// sotnmtStaff creates an officer and an editor of sotnmt.
func sotnmtStaff(t *testing.T, ta *testApp) (officer, editor *client) {
	t.Helper()
	officer = ta.user("officer@sotnmt.vn", "Cán bộ Minh", agencies.Role{Agency: "sotnmt", Role: agencies.RoleOfficer})
	editor = ta.user("editor@sotnmt.vn", "Biên tập Hạnh", agencies.Role{Agency: "sotnmt", Role: agencies.RoleEditor})
	return officer, editor
}

var (
	csrfFieldRE    = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	trackingCodeRE = regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`)
	ddmmyyyyRE     = regexp.MustCompile(`\b\d{2}/\d{2}/\d{4}\b`)
	ddmmyyyyHHMMRE = regexp.MustCompile(`\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b`)
	// untranslatedRE finds catalogue keys that reached a page untranslated.
	untranslatedRE = regexp.MustCompile(`\b(site|layout|nav|footer|form|count|pager|home|ask|check|confirm|threads|thread|agency|track|login|console|queue|audit|done|shortcuts|error|state|kind|action|field)\.[a-z_./]+`)
	// formControlRE finds form controls with an id, to check each has a label.
	formControlRE = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	htmlIDRE      = regexp.MustCompile(`\bid="([^"]+)"`)
)

// formLogin signs in through the console's form and returns a client with
// the session cookie (and no CSRF header: forms carry _csrf).
func formLogin(t *testing.T, ta *testApp, email string) *client {
	t.Helper()
	res, _ := postForm(t, ta.anon(), "/console/login", map[string]string{"email": email, "password": testPass}, http.StatusSeeOther)
	c := &client{ta: ta}
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie {
			c.cookie = ck.Value
		}
	}
	if c.cookie == "" {
		t.Fatal("console login set no session cookie")
	}
	return c
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfFieldRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("page has no _csrf field")
	}
	return m[1]
}

// checkPage checks what every page must have: the language, a title, the
// viewport, a skip link and landmarks, labels for every control, nothing the
// CSP would block, and no catalogue key left untranslated.
func checkPage(t *testing.T, what, body, lang string) {
	t.Helper()
	pageHas(t, what, body,
		`<html lang="`+lang+`">`, `<title>`, `name="viewport"`, `class="skip-link" href="#main"`,
		`<main id="main"`, `<header`, `<footer`, `/static/app.css?v=`+frontend.Version)
	for _, bad := range []string{` style="`, `<style`, ` onclick=`, ` onload=`, `javascript:`} {
		if strings.Contains(body, bad) {
			t.Errorf("%s: contains %q, which the CSP blocks", what, bad)
		}
	}
	for _, tag := range regexp.MustCompile(`<script\b[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(tag, `src="/static/app.js`) {
			t.Errorf("%s: inline script %s", what, tag)
		}
	}
	if k := untranslatedRE.FindString(body); k != "" {
		t.Errorf("%s: untranslated key %q", what, k)
	}
	for _, ctl := range formControlRE.FindAllString(body, -1) {
		if strings.Contains(ctl, `type="hidden"`) {
			continue
		}
		m := htmlIDRE.FindStringSubmatch(ctl)
		if m == nil {
			t.Errorf("%s: control without an id: %s", what, ctl)
			continue
		}
		if !strings.Contains(body, `<label for="`+m[1]+`"`) {
			t.Errorf("%s: no label for #%s", what, m[1])
		}
	}
}

func TestPublicPagesInBothLanguages(t *testing.T) {
	ta := newTestApp(t)
	officer, editor := sotnmtStaff(t, ta)
	q := validQuestion()
	q["title"] = "Hỏi <em>gấp</em> về giấy chứng nhận"
	q["body"] = "Giấy chứng nhận của gia đình tôi bị rách <b>nặng</b>.\n\nXin hỏi thủ tục cấp đổi thế nào?"
	id, code := submitQuestion(t, ta, q)
	publishThread(t, officer, editor, id, "Sở trả lời:\nông An liên hệ bộ phận một cửa.")
	_, openCode := submitQuestion(t, ta, validQuestion())

	words := map[string][]string{
		"vi": {"Đặt câu hỏi", "Tra cứu", "Hỏi đáp", "Trang chủ", "Cán bộ"},
		"en": {"Ask a question", "Track", "Answers", "Home", "Officers"},
	}
	paths := []struct {
		name, path string
		extra      map[string][]string
	}{
		{"home", "/", map[string][]string{"vi": {"Quyết định 02/2023/QĐ-UBND", "Câu trả lời mới nhất"}, "en": {"Decision 02/2023/QĐ-UBND", "Latest answers"}}},
		{"ask", "/ask", map[string][]string{"vi": {"Họ và tên", "Nghị định 13/2023/NĐ-CP"}, "en": {"Full name", "Decree 13/2023/NĐ-CP"}}},
		{"ask for an agency", "/ask?agency=myhoa.longxuyen", map[string][]string{"vi": {`<option value="myhoa.longxuyen" selected>Phường Mỹ Hòa`}}},
		{"threads", "/threads", map[string][]string{"vi": {"/threads/" + id, "1 câu hỏi"}, "en": {"/threads/" + id, "Questions: 1"}}},
		{"threads filtered", "/threads?agency=sotnmt&kind=question&page=1", map[string][]string{"vi": {"/threads/" + id}}},
		{"thread", "/threads/" + id, map[string][]string{"vi": {"Sở Tài nguyên và Môi trường", "bộ phận một cửa", "sp.zalo.me", "facebook.com/sharer"}, "en": {"Department of Natural Resources and Environment"}}},
		{"province", "/agencies/ubnd-tinh", map[string][]string{"vi": {"Đơn vị trực thuộc", "/ask?agency=ubnd-tinh"}, "en": {"Sub-agencies"}}},
		{"department", "/agencies/sotnmt", map[string][]string{"vi": {"10 ngày làm việc", "/threads/" + id}, "en": {"10 working days"}}},
		{"track form", "/track", map[string][]string{"vi": {"Mã tra cứu"}, "en": {"Tracking code"}}},
		{"track published", "/track/" + code, map[string][]string{"vi": {"Đã trả lời công khai", "bộ phận một cửa"}, "en": {"Answered publicly"}}},
		{"track open", "/track/" + strings.ToLower(openCode), map[string][]string{"vi": {"Chờ tiếp nhận", "Hạn trả lời"}, "en": {"Waiting", "Answer due by"}}},
		{"sign-in", "/console", map[string][]string{"vi": {"Mật khẩu"}, "en": {"Password"}}},
	}
	for _, tc := range paths {
		for _, lang := range []string{"vi", "en"} {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				sep := "?"
				if strings.Contains(tc.path, "?") {
					sep = "&"
				}
				body := getPage(t, ta.anon(), tc.path+sep+"lang="+lang, http.StatusOK)
				checkPage(t, tc.path, body, lang)
				pageHas(t, tc.path, body, words[lang]...)
				pageHas(t, tc.path, body, tc.extra[lang]...)
				pageLacks(t, tc.path, body, "<em>gấp", "<b>nặng")
			})
		}
	}

	t.Run("language switch keeps the path", func(t *testing.T) {
		body := getPage(t, ta.anon(), "/threads?agency=sotnmt&lang=vi", http.StatusOK)
		pageHas(t, "switch", body, `href="/threads?agency=sotnmt&amp;lang=en"`)
	})
	t.Run("paragraphs", func(t *testing.T) {
		body := getPage(t, ta.anon(), "/threads/"+id, http.StatusOK)
		pageHas(t, "thread", body, "<p>Sở trả lời:<br>ông An liên hệ bộ phận một cửa.</p>", "&lt;b&gt;nặng&lt;/b&gt;.</p><p>Xin hỏi")
	})
	t.Run("tracking pages are private", func(t *testing.T) {
		res, body := ta.anon().get("/track/" + code)
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("track Cache-Control %q", cc)
		}
		pageHas(t, "track", string(body), `<meta name="robots" content="noindex">`)
	})
}

func TestAskWithoutJavaScript(t *testing.T) {
	ta := newTestApp(t)
	anon := ta.anon()
	form := func(over map[string]string) map[string]string {
		v := map[string]string{
			"agency": "myhoa.longxuyen", "kind": "question", "topic": "ho-tich",
			"title": "Đăng ký khai sinh cho con ở đâu?",
			"body":  "Con tôi mới sinh tại bệnh viện tỉnh. Xin hỏi làm giấy khai sinh ở phường nào, cần giấy tờ gì?",
			"name":  "Trần Thị Lan", "email": "lan@example.vn", "phone": "0918 234 567", "consent": "1",
		}
		for k, x := range over {
			if x == "" {
				delete(v, k)
			} else {
				v[k] = x
			}
		}
		return v
	}

	body := getPage(t, anon, "/ask", http.StatusOK)
	pageHas(t, "form", body, `action="/ask"`, `name="title"`, `maxlength="10000"`, `id="body-count"`, `value="question" id="kind" aria-describedby="kind-question-hint" checked`)

	t.Run("errors", func(t *testing.T) {
		_, body := postForm(t, anon, "/ask", form(map[string]string{"title": ""}), http.StatusBadRequest)
		pageHas(t, "errors", body, `class="error-summary"`, `<a href="#title">Nhập tiêu đề câu hỏi.</a>`,
			`id="title-error"`, `aria-describedby="title-hint title-error" aria-invalid="true"`,
			"Con tôi mới sinh tại bệnh viện tỉnh.", `value="lan@example.vn"`, "<title>Lỗi: Đặt câu hỏi")
		pageLacks(t, "errors", body, `href="#body"`)
	})
	t.Run("errors in page order", func(t *testing.T) {
		_, body := postForm(t, anon, "/ask", map[string]string{"email": "not an email"}, http.StatusBadRequest)
		last := -1
		for _, f := range []string{"#agency", "#kind", "#title", "#body", "#email", "#consent"} {
			i := strings.Index(body, `href="`+f+`"`)
			if i < 0 {
				t.Fatalf("summary misses %s", f)
			}
			if i < last {
				t.Errorf("summary: %s out of order", f)
			}
			last = i
		}
		pageHas(t, "messages", body, "Chọn cơ quan nhận câu hỏi.", "Địa chỉ email không hợp lệ.", "Bạn cần đồng ý")
	})
	t.Run("errors in English", func(t *testing.T) {
		_, body := postForm(t, anon, "/ask?lang=en", form(map[string]string{"title": "", "consent": ""}), http.StatusBadRequest)
		pageHas(t, "errors", body, "Enter a title for your question.", "You need to agree", `<html lang="en">`)
	})

	var check string
	t.Run("check your answers", func(t *testing.T) {
		_, check = postForm(t, anon, "/ask", form(nil), http.StatusOK)
		pageHas(t, "check", check, "Kiểm tra lại thông tin", "Phường Mỹ Hòa", "Trần Thị Lan", "0918 234 567",
			`name="title" value="Đăng ký khai sinh cho con ở đâu?"`, `name="consent" value="1"`,
			`name="confirm" value="1"`, `name="edit" value="1"`)
	})
	t.Run("change", func(t *testing.T) {
		_, body := postForm(t, anon, "/ask", form(map[string]string{"edit": "1"}), http.StatusOK)
		pageHas(t, "edit", body, `value="Đăng ký khai sinh cho con ở đâu?"`, `<option value="myhoa.longxuyen" selected>`, `id="consent" name="consent" value="1" checked`)
		pageLacks(t, "edit", body, "error-summary")
	})

	var code string
	t.Run("send", func(t *testing.T) {
		res, body := postForm(t, anon, "/ask", form(map[string]string{"confirm": "1"}), http.StatusOK)
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("confirmation Cache-Control %q", cc)
		}
		code = trackingCodeRE.FindString(body)
		if code == "" {
			t.Fatalf("no tracking code on the confirmation page:\n%s", body)
		}
		pageHas(t, "confirmation", body, "Đã gửi câu hỏi", `href="/track/`+code+`"`,
			"Phường Mỹ Hòa cam kết trả lời chậm nhất vào ngày", "Chúng tôi sẽ gửi email")
		if !ddmmyyyyRE.MatchString(body[strings.Index(body, "cam kết"):]) {
			t.Error("no dd/mm/yyyy due date")
		}
	})
	t.Run("duplicate shows on the form", func(t *testing.T) {
		_, body := postForm(t, anon, "/ask", form(map[string]string{"confirm": "1"}), http.StatusConflict)
		pageHas(t, "duplicate", body, `action="/ask"`, "error-summary", "Câu hỏi giống hệt đã được gửi gần đây")
	})
	t.Run("track", func(t *testing.T) {
		body := getPage(t, anon, "/track/"+code, http.StatusOK)
		pageHas(t, "track", body, "Chờ tiếp nhận", "Phường Mỹ Hòa", "Đã gửi câu hỏi", "Đăng ký khai sinh cho con ở đâu?")
		res, _ := anon.get("/track?code=" + urlEncode(" "+strings.ToLower(strings.ReplaceAll(code, "-", " "))+" "))
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/track/"+code {
			t.Errorf("track form: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		body = getPage(t, anon, "/track?code=abc", http.StatusBadRequest)
		pageHas(t, "bad code", body, `<a href="#code">`, `aria-invalid="true"`)
		body = getPage(t, anon, "/track/AAAA-AAAA-AAAA-AAAA", http.StatusNotFound)
		pageHas(t, "unknown code", body, "Không tìm thấy câu hỏi có mã này")
	})
	t.Run("rate limit shows on the form", func(t *testing.T) {
		ta.app.submitLimit = newLimiter(0, 1.0/3600)
		res, body := postForm(t, anon, "/ask", form(map[string]string{"confirm": "1", "title": "Một câu hỏi khác hẳn"}), http.StatusTooManyRequests)
		if res.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		pageHas(t, "rate limit", body, `action="/ask"`, "error-summary", "Bạn thao tác quá nhanh", `value="Một câu hỏi khác hẳn"`)
	})
}

func TestHostileTextIsEscaped(t *testing.T) {
	ta := newTestApp(t)
	officer, editor := sotnmtStaff(t, ta)
	q := validQuestion()
	q["title"] = "Hỏi về lệ phí trước bạ <script>alert(1)</script>"
	q["body"] = "Tôi gửi kèm ảnh: <img src=x onerror=alert(1)> Mong Sở hướng dẫn thủ tục cấp đổi giấy chứng nhận giúp tôi."
	id, code := submitQuestion(t, ta, q)
	consoleBefore := getPage(t, editor, "/console/threads/"+id, http.StatusOK)
	publishThread(t, officer, editor, id, `Trả lời <a href="javascript:alert(1)">bấm</a> "đây" & 'kia'`)

	raw := []string{"<script>alert(1)</script>", "<img src=x onerror=alert(1)>", `<a href="javascript:alert(1)">`}
	for _, tc := range []struct {
		name string
		c    *client
		path string
	}{
		{"thread", ta.anon(), "/threads/" + id},
		{"list", ta.anon(), "/threads"},
		{"agency", ta.anon(), "/agencies/sotnmt"},
		{"home", ta.anon(), "/"},
		{"track", ta.anon(), "/track/" + code},
		{"console thread", editor, "/console/threads/" + id},
		{"console queue", officer, "/console?state=published"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := getPage(t, tc.c, tc.path, http.StatusOK)
			pageLacks(t, tc.path, body, raw...)
			if tc.name != "list" && tc.name != "agency" && tc.name != "home" && tc.name != "console queue" {
				pageHas(t, tc.path, body, "&lt;img src=x onerror=alert(1)&gt;")
			}
			pageHas(t, tc.path, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
		})
	}
	pageLacks(t, "console before publishing", consoleBefore, raw...)

	t.Run("check page", func(t *testing.T) {
		_, body := postForm(t, ta.anon(), "/ask", map[string]string{
			"agency": "sotnmt", "kind": "question", "title": `Tiêu đề "><script>alert(1)</script>`,
			"body": "Nội dung đủ dài để hợp lệ <img src=x onerror=alert(1)> và thêm chữ.", "consent": "1",
		}, http.StatusOK)
		pageLacks(t, "check", body, raw...)
		pageHas(t, "check", body, `value="Tiêu đề &#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`)
	})
}

func TestPublishedThreadHidesTheAsker(t *testing.T) {
	ta := newTestApp(t)
	officer, editor := sotnmtStaff(t, ta)
	q := validQuestion()
	q["body"] = "Tôi là Nguyễn Văn An, số điện thoại 0912 345 678. Giấy chứng nhận của gia đình tôi bị rách, xin hỏi thủ tục."
	id, _ := submitQuestion(t, ta, q)
	publishThread(t, officer, editor, id, "Đề nghị ông Nguyễn Văn An (0912 345 678) liên hệ bộ phận một cửa.")
	secrets := []string{"an@example.vn", "0912 345 678", "Nguyễn Văn An"}
	for _, path := range []string{"/threads/" + id, "/threads", "/", "/agencies/sotnmt"} {
		pageLacks(t, path, getPage(t, ta.anon(), path, http.StatusOK), secrets...)
	}
	// officers see the original
	pageHas(t, "console", getPage(t, officer, "/console/threads/"+id, http.StatusOK), secrets...)

	t.Run("show_name shows the name only", func(t *testing.T) {
		q := validQuestion()
		q["title"] = "Hỏi về thủ tục chuyển mục đích sử dụng đất"
		q["name"], q["show_name"] = "Lê Thị Bình", true
		id, _ := submitQuestion(t, ta, q)
		publishThread(t, officer, editor, id, "Sở trả lời bà Bình: liên hệ bộ phận một cửa.")
		body := getPage(t, ta.anon(), "/threads/"+id, http.StatusOK)
		pageHas(t, "shown name", body, "Lê Thị Bình")
		pageLacks(t, "shown name", body, "an@example.vn", "0912 345 678")
	})
}

func TestConsoleByForm(t *testing.T) {
	ta := newTestApp(t)
	ta.user("officer@sotnmt.vn", "Cán bộ Minh", agencies.Role{Agency: "sotnmt", Role: agencies.RoleOfficer})
	ta.user("editor@sotnmt.vn", "Biên tập Hạnh", agencies.Role{Agency: "sotnmt", Role: agencies.RoleEditor})
	ta.user("officer@soyt.vn", "Cán bộ Y tế", agencies.Role{Agency: "soyt", Role: agencies.RoleOfficer})
	id, code := submitQuestion(t, ta, validQuestion())
	threadPath := "/console/threads/" + id

	t.Run("signed out", func(t *testing.T) {
		body := getPage(t, ta.anon(), "/console", http.StatusOK)
		pageHas(t, "sign-in", body, `action="/console/login"`, `autocomplete="current-password"`, `<meta name="robots" content="noindex">`)
		res, _ := ta.anon().get(threadPath)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console?next="+urlEncode(threadPath) {
			t.Errorf("thread signed out: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		body = getPage(t, ta.anon(), "/console?next="+urlEncode(threadPath), http.StatusOK)
		pageHas(t, "next", body, `name="next" value="`+threadPath+`"`)
		res, _ = ta.anon().form(threadPath+"/claim", map[string]string{"_csrf": "x"})
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("action signed out: %d", res.StatusCode)
		}
	})
	t.Run("sign-in errors", func(t *testing.T) {
		_, body := postForm(t, ta.anon(), "/console/login", map[string]string{"email": ""}, http.StatusBadRequest)
		pageHas(t, "empty", body, `<a href="#email">Nhập email đăng nhập.</a>`, `<a href="#password">Nhập mật khẩu.</a>`)
		_, body = postForm(t, ta.anon(), "/console/login", map[string]string{"email": "officer@sotnmt.vn", "password": "sai-mat-khau-roi"}, http.StatusUnauthorized)
		pageHas(t, "wrong", body, "Email hoặc mật khẩu không đúng.", `value="officer@sotnmt.vn"`)
		pageLacks(t, "wrong", body, "sai-mat-khau-roi")
	})
	t.Run("cross-site sign-in refused", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "/console/login", strings.NewReader("email=officer%40sotnmt.vn&password="+urlEncode(testPass)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if res := ta.do(req); res.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site login: %d", res.StatusCode)
		}
		for origin, want := range map[string]int{"https://evil.example": http.StatusForbidden, "http://localhost:8080": http.StatusSeeOther} {
			req, _ := http.NewRequest("POST", "/console/login", strings.NewReader("email=officer%40sotnmt.vn&password="+urlEncode(testPass)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", origin)
			if res := ta.do(req); res.StatusCode != want {
				t.Errorf("login from %s: %d, want %d", origin, res.StatusCode, want)
			}
		}
	})
	t.Run("redirect after sign-in", func(t *testing.T) {
		res, _ := postForm(t, ta.anon(), "/console/login", map[string]string{"email": "officer@sotnmt.vn", "password": testPass, "next": threadPath}, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != threadPath {
			t.Errorf("next: %q", loc)
		}
		res, _ = postForm(t, ta.anon(), "/console/login", map[string]string{"email": "officer@sotnmt.vn", "password": testPass, "next": "https://evil.example/"}, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != "/console" {
			t.Errorf("foreign next: %q", loc)
		}
	})

	officer := formLogin(t, ta, "officer@sotnmt.vn")
	editor := formLogin(t, ta, "editor@sotnmt.vn")

	t.Run("queue", func(t *testing.T) {
		body := getPage(t, officer, "/console", http.StatusOK)
		checkPage(t, "queue", body, "vi")
		pageHas(t, "queue", body, "Hàng chờ xử lý", `href="/console/threads/`+id+`"`, "Hỏi về thủ tục cấp đổi giấy chứng nhận",
			"Sở Tài nguyên và Môi trường", "Chờ tiếp nhận", `<span class="count-n">1</span> <span class="count-label">Chờ tiếp nhận`,
			"Cán bộ Minh", `data-label="Hạn trả lời"`)
		if !ddmmyyyyRE.MatchString(body) {
			t.Error("queue shows no dd/mm/yyyy date")
		}
		pageLacks(t, "queue", body, "an@example.vn")
		getPage(t, officer, "/console?agency=sotnmt&state=queued", http.StatusOK)
		getPage(t, officer, "/console?agency=soyt", http.StatusForbidden)
	})

	var csrf string
	t.Run("thread", func(t *testing.T) {
		body := getPage(t, officer, threadPath, http.StatusOK)
		checkPage(t, "console thread", body, "vi")
		csrf = csrfOf(t, body)
		pageHas(t, "thread", body, "Nguyễn Văn An", `href="mailto:an@example.vn"`, `href="tel:0912345678">0912 345 678</a>`, `action="`+threadPath+`/claim"`, `data-shortcut="c"`, `action="`+threadPath+`/transfer"`)
		pageLacks(t, "thread", body, `/approve"`, `/reject"`, `/archive"`, code)
	})
	t.Run("no csrf", func(t *testing.T) {
		postForm(t, officer, threadPath+"/claim", map[string]string{}, http.StatusForbidden)
		postForm(t, officer, threadPath+"/claim", map[string]string{"_csrf": "wrong-token-wrong-token-1234"}, http.StatusForbidden)
	})
	t.Run("other agency", func(t *testing.T) {
		other := formLogin(t, ta, "officer@soyt.vn")
		getPage(t, other, threadPath, http.StatusForbidden)
		postForm(t, other, threadPath+"/claim", map[string]string{"_csrf": csrfOf(t, getPage(t, other, "/console", http.StatusOK))}, http.StatusForbidden)
	})
	t.Run("claim", func(t *testing.T) {
		res, _ := postForm(t, officer, threadPath+"/claim", map[string]string{"_csrf": csrf}, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != threadPath+"?done=claim" {
			t.Fatalf("claim redirect %q", loc)
		}
		body := getPage(t, officer, threadPath+"?done=claim", http.StatusOK)
		pageHas(t, "claimed", body, "Bạn đã nhận xử lý câu hỏi này.", `data-done="claim"`, `id="answer-body"`, `data-draft-prefix="tt:draft:u_`, `:`+id+`:"`, `:answer"`, `/release"`)
		pageLacks(t, "claimed", body, `/claim"`)
		postForm(t, officer, threadPath+"/claim", map[string]string{"_csrf": csrf}, http.StatusConflict)
	})
	t.Run("answer errors", func(t *testing.T) {
		_, body := postForm(t, officer, threadPath+"/answer", map[string]string{"_csrf": csrf, "body": "   "}, http.StatusBadRequest)
		pageHas(t, "empty answer", body, `<a href="#answer-body">Nhập nội dung trả lời.</a>`, `id="answer-body-error"`, `aria-invalid="true"`)
		_, body = postForm(t, officer, threadPath+"/transfer", map[string]string{"_csrf": csrf, "agency": "soyt", "reason": ""}, http.StatusBadRequest)
		pageHas(t, "transfer", body, `<a href="#transfer-reason">Nhập lý do.</a>`, `<details class="action-details" open>`, `<option value="soyt" selected>`)
	})
	t.Run("answer", func(t *testing.T) {
		res, _ := postForm(t, officer, threadPath+"/answer", map[string]string{"_csrf": csrf, "body": "Sở hướng dẫn: nộp hồ sơ tại bộ phận một cửa."}, http.StatusSeeOther)
		body := getPage(t, officer, res.Header.Get("Location"), http.StatusOK)
		pageHas(t, "answered", body, "Chờ phê duyệt", "Sở hướng dẫn: nộp hồ sơ tại bộ phận một cửa.", `data-done="answer"`)
		pageLacks(t, "answered", body, `/approve"`)
	})
	t.Run("approve", func(t *testing.T) {
		body := getPage(t, editor, threadPath, http.StatusOK)
		pageHas(t, "editor", body, `/approve"`, `/return"`, `/reject"`, ">Sở hướng dẫn: nộp hồ sơ tại bộ phận một cửa.</textarea>")
		res, _ := postForm(t, editor, threadPath+"/approve", map[string]string{"_csrf": csrfOf(t, body), "body": "Sở hướng dẫn: nộp hồ sơ tại bộ phận một cửa của Sở."}, http.StatusSeeOther)
		body = getPage(t, editor, res.Header.Get("Location"), http.StatusOK)
		pageHas(t, "approved", body, "Đã phê duyệt câu trả lời.", "Đã trả lời công khai", `href="/threads/`+id+`"`, `/archive"`)
		pageHas(t, "public", getPage(t, ta.anon(), "/threads/"+id, http.StatusOK), "bộ phận một cửa của Sở.")
	})
	t.Run("audit trail", func(t *testing.T) {
		body := getPage(t, editor, threadPath, http.StatusOK)
		audit := body[strings.Index(body, `class="audit"`):]
		pageHas(t, "audit", audit, "Người hỏi", "Gửi câu hỏi", "Cán bộ Minh", "Nhận xử lý", "Gửi dự thảo trả lời", "Biên tập Hạnh", "Phê duyệt",
			"Chờ tiếp nhận → Đang xử lý", "Chờ phê duyệt → Đã trả lời công khai")
		if !ddmmyyyyHHMMRE.MatchString(audit) {
			t.Error("audit shows no dd/mm/yyyy HH:MM time")
		}
	})
	t.Run("transfer out of reach", func(t *testing.T) {
		id2, code2 := submitQuestion(t, ta, map[string]any{"agency": "sotnmt", "kind": "complaint", "title": "Rác thải ở chợ Mỹ Hòa", "body": "Rác thải để lâu ngày ở cổng chợ Mỹ Hòa, đề nghị xử lý.", "consent": true})
		res, _ := postForm(t, officer, "/console/threads/"+id2+"/transfer", map[string]string{"_csrf": csrf, "agency": "myhoa.longxuyen", "reason": "Thuộc thẩm quyền của phường."}, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); loc != "/console?done=transfer" {
			t.Errorf("transfer redirect %q", loc)
		}
		body := getPage(t, ta.anon(), "/track/"+code2, http.StatusOK)
		pageHas(t, "asker sees the transfer", body, "Chuyển cơ quan", "đến Phường Mỹ Hòa", "Thuộc thẩm quyền của phường.")
	})
	t.Run("sign out", func(t *testing.T) {
		res, _ := postForm(t, officer, "/console/logout", map[string]string{"_csrf": csrf}, http.StatusSeeOther)
		if res.Header.Get("Location") != "/console?done=logout" {
			t.Errorf("logout redirect %q", res.Header.Get("Location"))
		}
		pageHas(t, "signed out", getPage(t, officer, "/console?done=logout", http.StatusOK), `action="/console/login"`, "Bạn đã đăng xuất.")
	})
	t.Run("sign-in throttled", func(t *testing.T) {
		// five failures (from this address or for this email) and the form
		// says to wait, even with the right password
		var res *http.Response
		var body []byte
		for range 7 {
			res, body = ta.anon().form("/console/login", map[string]string{"email": "editor@sotnmt.vn", "password": "sai-mat-khau-roi"})
			if res.StatusCode != http.StatusUnauthorized {
				break
			}
		}
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("no throttling: %d", res.StatusCode)
		}
		res, _ = postForm(t, ta.anon(), "/console/login", map[string]string{"email": "editor@sotnmt.vn", "password": testPass}, http.StatusTooManyRequests)
		pageHas(t, "throttled", string(body), `action="/console/login"`, "Bạn thao tác quá nhanh", `href="/console?lang=en"`)
		if res.Header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
	})
}

func TestStaticAndErrorPages(t *testing.T) {
	ta := newTestApp(t)
	for _, tc := range []struct {
		name, path, ctype, cache string
		status                   int
	}{
		{"css", "/static/app.css?v=" + frontend.Version, "text/css", "immutable", 200},
		{"js", "/static/app.js?v=" + frontend.Version, "text/javascript", "immutable", 200},
		{"unversioned", "/static/app.css", "text/css", "max-age=300", 200},
		{"missing", "/static/nope.css", "text/html", "no-store", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := ta.anon().get(tc.path)
			if res.StatusCode != tc.status || !strings.HasPrefix(res.Header.Get("Content-Type"), tc.ctype) || !strings.Contains(res.Header.Get("Cache-Control"), tc.cache) {
				t.Errorf("%s: %d %q %q", tc.path, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
			}
		})
	}
	t.Run("not found", func(t *testing.T) {
		for _, path := range []string{"/nope", "/threads/nope", "/agencies/nope"} {
			body := getPage(t, ta.anon(), path, http.StatusNotFound)
			checkPage(t, path, body, "vi")
			pageHas(t, path, body, "Không tìm thấy trang", `<a href="/">Về trang chủ</a>`)
		}
		body := getPage(t, ta.anon(), "/nope?lang=en", http.StatusNotFound)
		pageHas(t, "en", body, "Page not found")
		if res, body := ta.anon().get("/api/v1/nope"); res.StatusCode != 404 || !strings.Contains(string(body), `"not_found"`) {
			t.Errorf("API 404: %d %s", res.StatusCode, body)
		}
	})
	t.Run("bad filter", func(t *testing.T) {
		getPage(t, ta.anon(), "/threads?agency=nope", http.StatusBadRequest)
	})
}

func TestPageHelpers(t *testing.T) {
	t.Run("pager", func(t *testing.T) {
		for _, tc := range []struct {
			name        string
			page, pages int
			want        string // page numbers, "…" for a gap, * for the current one
			prev, next  string
		}{
			{"one page", 1, 1, "", "", ""},
			{"first of three", 1, 3, "*1 2 3", "", "/threads?kind=question&page=2"},
			{"middle of many", 10, 20, "1 … 8 9 *10 11 12 … 20", "/threads?kind=question&page=9", "/threads?kind=question&page=11"},
			{"second links back to the first", 2, 2, "1 *2", "/threads?kind=question", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := makePager("/threads", map[string][]string{"kind": {"question"}}, tc.page, tc.pages)
				var got []string
				for _, l := range p.Links {
					switch {
					case l.Gap:
						got = append(got, "…")
					case l.Current:
						got = append(got, "*"+strconv.Itoa(l.N))
					default:
						got = append(got, strconv.Itoa(l.N))
					}
				}
				if s := strings.Join(got, " "); s != tc.want || p.Prev != tc.prev || p.Next != tc.next {
					t.Errorf("got %q prev %q next %q", s, p.Prev, p.Next)
				}
			})
		}
	})
	t.Run("tracking code", func(t *testing.T) {
		for in, want := range map[string]string{"abcd efgh jkmn pqrs": "ABCD-EFGH-JKMN-PQRS", "ABCD-EFGH-JKMN-PQRS": "ABCD-EFGH-JKMN-PQRS", "abc": "ABC"} {
			if got := normalCode(in); got != want {
				t.Errorf("normalCode(%q) = %q, want %q", in, got, want)
			}
		}
	})
	t.Run("next", func(t *testing.T) {
		for in, want := range map[string]string{"/console/threads/x": "/console/threads/x", "/console": "/console", "https://evil.example": "/console", "/threads": "/console", "": "/console", "/consolex": "/console"} {
			if got := safeNext(in); got != want {
				t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
			}
		}
	})
}
