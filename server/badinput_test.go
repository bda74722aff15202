package main

import (
	"net/http"
	"strings"
	"testing"

	"tuongtac/agencies"
)

// TestBadInput checks that bad requests get a clear 4xx in the API's error
// shape and change nothing.
func TestBadInput(t *testing.T) {
	ta := newTestApp(t)
	c := ta.anon()
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		status      int
		field       string
	}{
		{"broken JSON", "POST", "/api/v1/threads", "application/json", `{"agency": "sotnmt",`, 400, ""},
		{"JSON array", "POST", "/api/v1/threads", "application/json", `[1,2]`, 400, ""},
		{"two objects", "POST", "/api/v1/threads", "application/json", `{} {}`, 400, ""},
		{"wrong content type", "POST", "/api/v1/threads", "text/plain", `{"agency":"sotnmt"}`, 415, ""},
		{"no content type", "POST", "/api/v1/threads", "", `{"agency":"sotnmt"}`, 415, ""},
		{"operator in agency", "POST", "/api/v1/threads", "application/json", `{"agency":{"$gt":""},"kind":"question","title":"Tiêu đề đủ dài","body":"Nội dung câu hỏi đủ dài để qua kiểm tra.","consent":true}`, 400, "agency"},
		{"operator in kind", "POST", "/api/v1/threads", "application/json", `{"agency":"sotnmt","kind":{"$ne":null},"title":"Tiêu đề đủ dài","body":"Nội dung câu hỏi đủ dài để qua kiểm tra.","consent":true}`, 400, "kind"},
		{"consent as string", "POST", "/api/v1/threads", "application/json", `{"agency":"sotnmt","kind":"question","title":"Tiêu đề đủ dài","body":"Nội dung câu hỏi đủ dài để qua kiểm tra.","consent":"true"}`, 400, "consent"},
		{"consent false", "POST", "/api/v1/threads", "application/json", `{"agency":"sotnmt","kind":"question","title":"Tiêu đề đủ dài","body":"Nội dung câu hỏi đủ dài để qua kiểm tra.","consent":false}`, 400, "consent"},
		{"unknown agency", "POST", "/api/v1/threads", "application/json", `{"agency":"khong-co","kind":"question","title":"Tiêu đề đủ dài","body":"Nội dung câu hỏi đủ dài để qua kiểm tra.","consent":true}`, 400, "agency"},
		{"bad kind", "POST", "/api/v1/threads", "application/json", `{"agency":"sotnmt","kind":"khieu-nai","title":"Tiêu đề đủ dài","body":"Nội dung câu hỏi đủ dài để qua kiểm tra.","consent":true}`, 400, "kind"},
		{"bad topic", "POST", "/api/v1/threads", "application/json", `{"agency":"sotnmt","kind":"question","topic":"Đất Đai!","title":"Tiêu đề đủ dài","body":"Nội dung câu hỏi đủ dài để qua kiểm tra.","consent":true}`, 400, "topic"},
		{"two emails", "POST", "/api/v1/threads", "application/json", `{"agency":"sotnmt","kind":"question","email":"a@x.vn, b@x.vn","title":"Tiêu đề đủ dài","body":"Nội dung câu hỏi đủ dài để qua kiểm tra.","consent":true}`, 400, "email"},
		{"list: operator-shaped agency", "GET", "/api/v1/threads?agency[$gt]=", "", "", 200, ""},
		{"list: unknown agency", "GET", "/api/v1/threads?agency=khong-co", "", "", 400, "agency"},
		{"list: per_page over 100", "GET", "/api/v1/threads?per_page=101", "", "", 400, "per_page"},
		{"list: page zero", "GET", "/api/v1/threads?page=0", "", "", 400, "page"},
		{"list: page text", "GET", "/api/v1/threads?page=abc", "", "", 400, "page"},
		{"list: page past the end", "GET", "/api/v1/threads?page=999", "", "", 200, ""},
		{"thread: unknown id", "GET", "/api/v1/threads/nope", "", "", 404, ""},
		{"thread: path traversal id", "GET", "/api/v1/threads/..%2F..%2Fetc", "", "", 404, ""},
		{"track: malformed code", "GET", "/api/v1/track/'%20OR%201=1", "", "", 404, ""},
		{"track: unknown code", "GET", "/api/v1/track/AAAA-BBBB-CCCC-DDDD", "", "", 404, ""},
		{"unknown route", "GET", "/api/v1/nope", "", "", 404, ""},
		{"moderation without session", "GET", "/api/v1/moderation/queue", "", "", 401, ""},
		{"admin without session", "POST", "/api/v1/admin/users", "application/json", `{}`, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := countThreads(t, ta)
			res, body := c.raw(tt.method, tt.path, tt.contentType, []byte(tt.body))
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, body)
			}
			if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Errorf("content type %q", res.Header.Get("Content-Type"))
			}
			if tt.status >= 400 {
				var e apiError
				mustDecode(t, body, &e)
				if e.Error.Code == "" || e.Error.Message == "" {
					t.Errorf("error shape: %s", body)
				}
				if tt.field != "" && e.Error.Fields[tt.field] == "" {
					t.Errorf("no message for field %s: %s", tt.field, body)
				}
			}
			if n := countThreads(t, ta); n != before {
				t.Errorf("store changed: %d → %d", before, n)
			}
		})
	}
}

func TestValidationMessagesInEnglish(t *testing.T) {
	ta := newTestApp(t)
	res, body := ta.anon().raw("POST", "/api/v1/threads?lang=en", "application/json", []byte(`{"agency":"sotnmt","kind":"question","title":"","body":"?"}`))
	if res.StatusCode != 400 {
		t.Fatalf("status %d", res.StatusCode)
	}
	var e apiError
	mustDecode(t, body, &e)
	want := map[string]string{"title": "Enter a title", "body": "at least 20", "consent": "agree"}
	for f, w := range want {
		if !strings.Contains(e.Error.Fields[f], w) {
			t.Errorf("field %s: %q, want it to contain %q", f, e.Error.Fields[f], w)
		}
	}
	res, body = ta.anon().raw("POST", "/api/v1/threads", "application/json", []byte(`{"agency":"sotnmt","kind":"question","title":"","body":"?"}`))
	mustDecode(t, body, &e)
	if e.Error.Fields["title"] != "Nhập tiêu đề câu hỏi." {
		t.Errorf("Vietnamese title message: %q", e.Error.Fields["title"])
	}
}

// TestIllegalTransitions checks the state machine refuses what the workflow
// does not allow, with 409 and nothing changed.
func TestIllegalTransitions(t *testing.T) {
	ta := newTestApp(t)
	officer := ta.user("o@sotnmt.vn", "Cán bộ", agencies.Role{Agency: "sotnmt", Role: "officer"})
	editor := ta.user("e@sotnmt.vn", "Biên tập", agencies.Role{Agency: "sotnmt", Role: "editor"})
	stranger := ta.user("o@soyt.vn", "Cán bộ Y tế", agencies.Role{Agency: "soyt", Role: "officer"})
	ward := ta.user("o@myhoa.vn", "Cán bộ phường", agencies.Role{Agency: "myhoa.longxuyen", Role: "officer"})
	city := ta.user("o@longxuyen.vn", "Cán bộ thành phố", agencies.Role{Agency: "longxuyen", Role: "officer"})
	_, body := ta.anon().json("POST", "/api/v1/threads", validQuestion())
	var rec struct {
		ID string `json:"id"`
	}
	mustDecode(t, body, &rec)
	act := func(c *client, action string, in map[string]any) (int, string) {
		t.Helper()
		var v any
		if in != nil {
			v = in
		}
		res, b := c.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/"+action, v)
		return res.StatusCode, string(b)
	}
	steps := []struct {
		name   string
		c      *client
		action string
		in     map[string]any
		status int
	}{
		{"approve a queued thread", editor, "approve", nil, 409},
		{"answer without claiming", officer, "answer", map[string]any{"body": "Trả lời"}, 409},
		{"another agency claims", stranger, "claim", nil, 403},
		{"release unclaimed", officer, "release", nil, 409},
		{"reject without reason", editor, "reject", map[string]any{}, 400},
		{"transfer without reason", officer, "transfer", map[string]any{"agency": "soxd"}, 400},
		{"transfer to unknown agency", officer, "transfer", map[string]any{"agency": "../admin", "reason": "Không thuộc thẩm quyền"}, 400},
		{"transfer to the same agency", officer, "transfer", map[string]any{"agency": "sotnmt", "reason": "x"}, 409},
		{"unknown action", officer, "delete", nil, 404},
		{"claim", officer, "claim", nil, 200},
		{"claim twice by the holder is refused", officer, "claim", nil, 409},
		{"another officer answers", ta.user("o2@sotnmt.vn", "Cán bộ 2", agencies.Role{Agency: "sotnmt", Role: "officer"}), "answer", map[string]any{"body": "x"}, 409},
		{"empty answer", officer, "answer", map[string]any{"body": "   "}, 400},
		{"answer", officer, "answer", map[string]any{"body": "Sở trả lời như sau."}, 200},
		{"return without note", editor, "return", map[string]any{}, 400},
		{"return", editor, "return", map[string]any{"note": "Bổ sung căn cứ pháp lý."}, 200},
		{"answer again", officer, "answer", map[string]any{"body": "Sở trả lời như sau, căn cứ Luật Đất đai 2024."}, 200},
		{"approve", editor, "approve", map[string]any{"body": "Sở Tài nguyên và Môi trường trả lời như sau."}, 200},
		{"claim a published thread", officer, "claim", nil, 409},
		{"transfer a published thread", officer, "transfer", map[string]any{"agency": "soxd", "reason": "x"}, 409},
		{"reject a published thread", editor, "reject", map[string]any{"reason": "spam"}, 409},
		{"officer archives", officer, "archive", map[string]any{"reason": "Hết hiệu lực"}, 403},
		{"archive", editor, "archive", map[string]any{"reason": "Văn bản đã hết hiệu lực"}, 200},
	}
	for _, s := range steps {
		status, b := act(s.c, s.action, s.in)
		if status != s.status {
			t.Fatalf("%s: %d, want %d: %s", s.name, status, s.status, b)
		}
	}
	if res, _ := ta.anon().get("/api/v1/threads/" + rec.ID); res.StatusCode != 404 {
		t.Errorf("archived thread still public: %d", res.StatusCode)
	}
	// A ward transfers to the city; the city (a parent) sees it, the ward no longer does.
	_, body = ta.anon().json("POST", "/api/v1/threads", map[string]any{
		"agency": "myhoa.longxuyen", "kind": "complaint", "title": "Đèn đường hẻm 5 bị hỏng",
		"body": "Đèn chiếu sáng hẻm 5 khóm Tây Khánh bị hỏng hơn hai tuần, đề nghị sửa.", "consent": true,
	})
	mustDecode(t, body, &rec)
	if s, b := act(ward, "transfer", map[string]any{"agency": "longxuyen", "reason": "Thuộc thẩm quyền của thành phố"}); s != 200 {
		t.Fatalf("ward transfer: %d %s", s, b)
	}
	_, q := city.get("/api/v1/moderation/queue")
	if !strings.Contains(string(q), rec.ID) {
		t.Errorf("city queue misses the transferred thread: %s", q)
	}
	_, q = ward.get("/api/v1/moderation/queue")
	if strings.Contains(string(q), rec.ID) {
		t.Errorf("ward queue still shows a thread it transferred away")
	}
	_, tb := city.get("/api/v1/moderation/threads/" + rec.ID)
	if !strings.Contains(string(tb), `"from_agency":"myhoa.longxuyen"`) || !strings.Contains(string(tb), "Thuộc thẩm quyền của thành phố") {
		t.Errorf("transfer history missing: %s", tb)
	}
}

func TestAuth(t *testing.T) {
	ta := newTestApp(t)
	officer := ta.user("o@sotnmt.vn", "Cán bộ", agencies.Role{Agency: "sotnmt", Role: "officer"})

	t.Run("cookie flags", func(t *testing.T) {
		res, _ := ta.anon().json("POST", "/api/v1/auth/login", map[string]any{"email": adminEmail, "password": testPass})
		var ck *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == sessionCookie {
				ck = c
			}
		}
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie: %+v", ck)
		}
	})
	t.Run("csrf required", func(t *testing.T) {
		noCSRF := *officer
		noCSRF.csrf = ""
		res, body := noCSRF.json("POST", "/api/v1/moderation/threads/x/claim", nil)
		if res.StatusCode != 403 {
			t.Fatalf("without CSRF: %d %s", res.StatusCode, body)
		}
		noCSRF.csrf = "wrong"
		if res, _ := noCSRF.json("POST", "/api/v1/moderation/threads/x/claim", nil); res.StatusCode != 403 {
			t.Fatalf("wrong CSRF: %d", res.StatusCode)
		}
	})
	t.Run("non-admin cannot create users", func(t *testing.T) {
		res, _ := officer.json("POST", "/api/v1/admin/users", map[string]any{"email": "x@x.vn", "password": testPass, "name": "X", "roles": []agencies.Role{{Agency: "sotnmt", Role: "admin"}}})
		if res.StatusCode != 403 {
			t.Fatalf("officer created a user: %d", res.StatusCode)
		}
	})
	t.Run("admin validation", func(t *testing.T) {
		admin := ta.login(adminEmail, testPass)
		res, body := admin.json("POST", "/api/v1/admin/users", map[string]any{"email": "not-an-email", "password": "short", "name": "", "roles": []agencies.Role{{Agency: "nope", Role: "king"}}})
		if res.StatusCode != 400 {
			t.Fatalf("bad user: %d %s", res.StatusCode, body)
		}
		for _, f := range []string{"email", "password", "name", "roles[0].role", "roles[0].agency"} {
			if !strings.Contains(string(body), `"`+f+`"`) {
				t.Errorf("no message for %s: %s", f, body)
			}
		}
		res, _ = admin.json("POST", "/api/v1/admin/users", map[string]any{"email": "O@sotnmt.vn", "password": testPass, "name": "Trùng", "roles": []agencies.Role{{Agency: "sotnmt", Role: "officer"}}})
		if res.StatusCode != 409 {
			t.Fatalf("duplicate email (other case): %d", res.StatusCode)
		}
	})
	t.Run("logout ends the session", func(t *testing.T) {
		c := ta.login(adminEmail, testPass)
		if res, _ := c.json("POST", "/api/v1/auth/logout", nil); res.StatusCode != 200 {
			t.Fatalf("logout: %d", res.StatusCode)
		}
		if res, _ := c.get("/api/v1/moderation/queue"); res.StatusCode != 401 {
			t.Fatalf("after logout: %d", res.StatusCode)
		}
	})
	t.Run("throttling", func(t *testing.T) {
		c := ta.anon()
		var last *http.Response
		for range 6 {
			last, _ = c.json("POST", "/api/v1/auth/login", map[string]any{"email": "o@sotnmt.vn", "password": "wrong password"})
		}
		if last.StatusCode != 429 || last.Header.Get("Retry-After") == "" {
			t.Fatalf("sixth failure: %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
		}
		// even the right password waits now
		if res, _ := c.json("POST", "/api/v1/auth/login", map[string]any{"email": "o@sotnmt.vn", "password": testPass}); res.StatusCode != 429 {
			t.Fatalf("right password while throttled: %d", res.StatusCode)
		}
	})
}
