package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tuongtac/agencies"
)

// TestClientAddressBehindProxies checks that X-Forwarded-For is read from the
// right and only from trusted proxies: a client cannot dodge the sign-in
// limit by sending addresses of its own choosing.
func TestClientAddressBehindProxies(t *testing.T) {
	attempt := func(ta *testApp, i int, xff string) int {
		t.Helper()
		c := ta.anon()
		c.header = map[string]string{"X-Forwarded-For": xff}
		res, _ := c.json("POST", "/api/v1/auth/login", map[string]any{"email": fmt.Sprintf("v%d@x.vn", i), "password": "wrong password"})
		return res.StatusCode
	}
	t.Run("trusted proxy: rightmost untrusted address counts", func(t *testing.T) {
		// fiber's Test connects from 0.0.0.0: that is the proxy here.
		ta := newTestApp(t, func(c *Config) { c.TrustedProxies = []string{"0.0.0.0", "10.0.0.0/8"} })
		last := 0
		for i := range 31 {
			last = attempt(ta, i, fmt.Sprintf("198.18.0.%d, 203.0.113.9, 10.1.2.3", i))
		}
		if last != 429 {
			t.Fatalf("31st failed sign-in from one client with spoofed left entries: %d, want 429", last)
		}
		// another client behind the same proxy is not affected
		if s := attempt(ta, 99, "203.0.113.77, 10.1.2.3"); s != 401 {
			t.Fatalf("another client: %d, want 401", s)
		}
	})
	t.Run("untrusted peer: header ignored", func(t *testing.T) {
		ta := newTestApp(t)
		last := 0
		for i := range 31 {
			last = attempt(ta, i, fmt.Sprintf("198.18.1.%d", i))
		}
		if last != 429 {
			t.Fatalf("31st failed sign-in: %d, want 429", last)
		}
	})
}

// TestSubmissionIsIdempotent sends the same check page twice: the second
// answer is the same receipt, not a duplicate error, and one thread exists.
func TestSubmissionIsIdempotent(t *testing.T) {
	ta := newTestApp(t)
	form := map[string]string{
		"agency": "sotp", "kind": "question", "title": "Hỏi về đăng ký khai sinh quá hạn",
		"body": "Con tôi sinh năm 2024 nhưng chưa đăng ký khai sinh, xin hỏi thủ tục thế nào?", "consent": "1",
	}
	_, check := ta.anon().form("/ask", form)
	token := between(string(check), `name="submission" value="`, `"`)
	if len(token) < 16 {
		t.Fatalf("check page has no submission token")
	}
	form["confirm"], form["submission"] = "1", token
	res1, page1 := ta.anon().form("/ask", form)
	res2, page2 := ta.anon().form("/ask", form)
	if res1.StatusCode != 200 || res2.StatusCode != 200 {
		t.Fatalf("statuses %d %d", res1.StatusCode, res2.StatusCode)
	}
	code1 := between(string(page1), `/track/`, `"`)
	code2 := between(string(page2), `/track/`, `"`)
	if code1 == "" || code1 != code2 {
		t.Fatalf("codes %q and %q", code1, code2)
	}
	if n := countThreads(t, ta); n != 1 {
		t.Fatalf("%d threads stored", n)
	}
	// API: the same Idempotency-Key gives the same receipt; another key with
	// the same content is a duplicate.
	c := ta.anon()
	c.header = map[string]string{"Idempotency-Key": "portal-request-000123"}
	q := validQuestion()
	r1, b1 := c.json("POST", "/api/v1/threads", q)
	r2, b2 := c.json("POST", "/api/v1/threads", q)
	if r1.StatusCode != 201 || r2.StatusCode != 201 || string(b1) != string(b2) {
		t.Fatalf("idempotent API: %d %s / %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
	}
	c.header["Idempotency-Key"] = "portal-request-000124"
	if r, _ := c.json("POST", "/api/v1/threads", q); r.StatusCode != 409 {
		t.Fatalf("other key, same content: %d", r.StatusCode)
	}
	c.header["Idempotency-Key"] = "bad key!"
	if r, _ := c.json("POST", "/api/v1/threads", q); r.StatusCode != 400 {
		t.Fatalf("malformed key: %d", r.StatusCode)
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return ""
}

// TestPrivateAnswersAreNotCached checks officers' API answers carry no-store.
func TestPrivateAnswersAreNotCached(t *testing.T) {
	ta := newTestApp(t)
	admin := ta.login(adminEmail, testPass)
	for _, p := range []string{"/api/v1/moderation/queue", "/api/v1/auth/me"} {
		res, _ := admin.get(p)
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", p, res.Header.Get("Cache-Control"))
		}
	}
}

// TestTopicWithPersonalDataIsNotPublished: a topic slug is free text too.
func TestTopicWithPersonalDataIsNotPublished(t *testing.T) {
	ta := newTestApp(t)
	o := ta.user("o@sotnmt.vn", "Cán bộ", agencies.Role{Agency: "sotnmt", Role: "editor"})
	q := validQuestion()
	q["topic"] = "nguyen-van-an-0918234567"
	_, b := ta.anon().json("POST", "/api/v1/threads", q)
	var rec struct {
		ID string `json:"id"`
	}
	mustDecode(t, b, &rec)
	for _, a := range []string{"claim", "answer", "approve"} {
		if res, body := o.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/"+a, map[string]any{"body": "Trả lời."}); res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", a, res.StatusCode, body)
		}
	}
	for _, p := range []string{"/api/v1/threads/" + rec.ID, "/threads/" + rec.ID, "/api/v1/threads"} {
		_, body := ta.anon().get(p)
		if strings.Contains(string(body), "0918234567") || strings.Contains(string(body), "nguyen-van-an") {
			t.Errorf("%s shows the topic with personal data", p)
		}
	}
}

// TestLargeCookiesAndPreRoutingErrors: browsers with big shared cookies still
// get pages, and errors fiber raises itself keep the API's shape.
func TestLargeCookiesAndPreRoutingErrors(t *testing.T) {
	ta := newTestApp(t)
	base := ta.listen()
	req, _ := http.NewRequest("GET", base+"/", nil)
	req.Header.Set("Cookie", "_ga="+strings.Repeat("a", 6000))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("page with a 6 KB cookie: %d", res.StatusCode)
	}
	res, err = http.Get(base + "/api/v1/threads/" + strings.Repeat("x", 40000))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode < 400 || res.StatusCode >= 500 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("oversized API path: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("pre-routing error without security headers")
	}
}
