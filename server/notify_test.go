package main

import (
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tuongtac/agencies"
)

// spooled reads the .eml files the mail spool wrote (no SMTP_URL set).
func spooled(t *testing.T, ta *testApp) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(ta.app.cfg.DataDir, "mail"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
			b, _ := os.ReadFile(p)
			out = append(out, string(b))
		}
		return nil
	})
	return out
}

func drainAll(t *testing.T, ta *testApp) {
	t.Helper()
	for range 3 {
		if _, err := ta.app.outbox().RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := ta.app.mailWorker().RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNotifications follows one question's mail: nothing but a verification
// link before the address is confirmed, then the held receipt with the
// tracking code, the officers' new-item notice, and the published notice.
func TestNotifications(t *testing.T) {
	ta := newTestApp(t)
	officer := ta.user("officer@sotnmt.vn", "Cán bộ A", agencies.Role{Agency: "sotnmt", Role: "editor"})
	q := validQuestion()
	_, body := ta.anon().json("POST", "/api/v1/threads", q)
	var rec struct {
		ID   string `json:"id"`
		Code string `json:"tracking_code"`
	}
	mustDecode(t, body, &rec)
	drainAll(t, ta)
	mails := spooled(t, ta)
	var verify string
	for _, m := range mails {
		if strings.Contains(m, "To: <an@example.vn>") || strings.Contains(m, "an@example.vn") {
			if strings.Contains(m, rec.Code) {
				t.Fatal("the receipt went out before the address was confirmed")
			}
			if v := regexp.MustCompile(`/verify/[A-Za-z0-9_-]+`).FindString(m); v != "" {
				verify = v
			}
		}
	}
	if verify == "" {
		t.Fatalf("no verification mail among %d", len(mails))
	}
	officerMail := false
	for _, m := range mails {
		officerMail = officerMail || strings.Contains(m, "officer@sotnmt.vn")
	}
	if !officerMail {
		t.Error("the agency's officer was not told of the new item")
	}
	// GET only shows a button; POST confirms.
	if res, _ := ta.anon().get(verify); res.StatusCode != 200 {
		t.Fatalf("verify page: %d", res.StatusCode)
	}
	if res, _ := ta.anon().form(verify, map[string]string{}); res.StatusCode != 200 {
		t.Fatalf("verify: %d", res.StatusCode)
	}
	drainAll(t, ta)
	found := false
	for _, m := range spooled(t, ta) {
		found = found || (strings.Contains(m, "an@example.vn") && strings.Contains(m, rec.Code))
	}
	if !found {
		t.Fatal("the held receipt with the tracking code was not sent after confirmation")
	}
	before := len(spooled(t, ta))
	for _, a := range []string{"claim", "answer", "approve"} {
		if res, b := officer.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/"+a, map[string]any{"body": "Sở trả lời như sau."}); res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", a, res.StatusCode, b)
		}
	}
	drainAll(t, ta)
	after := spooled(t, ta)
	if len(after) != before+1 {
		t.Fatalf("%d mails after publication, want %d", len(after), before+1)
	}
	drainAll(t, ta)
	if n := len(spooled(t, ta)); n != len(after) {
		t.Errorf("draining again sent %d more", n-len(after))
	}
	// one-click unsubscribe, no session, no CSRF token
	unsub := regexp.MustCompile(`/unsubscribe/[A-Za-z0-9_-]+`).FindString(strings.Join(after, "\n"))
	if unsub == "" {
		t.Fatal("no unsubscribe link")
	}
	if res, _ := ta.anon().raw("POST", unsub, "application/x-www-form-urlencoded", []byte("List-Unsubscribe=One-Click")); res.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %d", res.StatusCode)
	}
}

// TestCommentAnsweredMail: a commenter who confirmed the address hears of the
// agency's response to their comment on a draft.
func TestCommentAnsweredMail(t *testing.T) {
	ta := newTestApp(t)
	admin := ta.login(adminEmail, testPass)
	now := time.Now()
	res, body := admin.json("POST", "/api/v1/consultations", map[string]any{
		"agency": "sotp", "title": "Dự thảo quy định thử", "summary": "Thử",
		"opens_at": now.Add(-time.Minute).Format(time.RFC3339), "closes_at": now.AddDate(0, 0, 40).Format(time.RFC3339),
		"text": "Điều 1. Phạm vi điều chỉnh\nQuy định này áp dụng cho việc thử nghiệm.\nĐiều 2. Hiệu lực\nCó hiệu lực từ ngày ký.", "format": "text",
	})
	if res.StatusCode != 201 {
		t.Fatalf("create: %d %s", res.StatusCode, body)
	}
	var cons struct {
		ID string `json:"id"`
	}
	mustDecode(t, body, &cons)
	res, body = ta.anon().json("POST", "/api/v1/consultations/"+cons.ID+"/comments", map[string]any{
		"anchor": "dieu-1", "body": "Đề nghị nói rõ phạm vi áp dụng cho cấp xã.", "email": "gopy@example.vn", "consent": true,
	})
	if res.StatusCode != 201 {
		t.Fatalf("comment: %d %s", res.StatusCode, body)
	}
	var cm struct {
		ID string `json:"id"`
	}
	mustDecode(t, body, &cm)
	drainAll(t, ta)
	verify := regexp.MustCompile(`/verify/[A-Za-z0-9_-]+`).FindString(strings.Join(spooled(t, ta), "\n"))
	if verify == "" {
		t.Fatal("the commenter got no confirmation link")
	}
	ta.anon().form(verify, map[string]string{})
	for _, step := range []struct {
		action string
		body   map[string]any
	}{{"approve", nil}, {"respond", map[string]any{"outcome": "accepted", "text": "Ban soạn thảo tiếp thu, bổ sung cấp xã."}}} {
		if res, b := admin.json("POST", "/api/v1/moderation/comments/"+cm.ID+"/"+step.action, step.body); res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", step.action, res.StatusCode, b)
		}
	}
	drainAll(t, ta)
	found := false
	for _, m := range spooled(t, ta) {
		msg, err := mail.ReadMessage(strings.NewReader(m))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		found = found || (strings.Contains(msg.Header.Get("To"), "gopy@example.vn") && strings.Contains(subject, "phản hồi"))
	}
	if !found {
		t.Fatal("no mail told the commenter of the response")
	}
}

// subjectsTo decodes the subjects of the spooled mail to addr.
func subjectsTo(t *testing.T, ta *testApp, addr string) []string {
	t.Helper()
	var out []string
	for _, m := range spooled(t, ta) {
		msg, err := mail.ReadMessage(strings.NewReader(m))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(msg.Header.Get("To"), addr) {
			s, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			out = append(out, s)
		}
	}
	return out
}
