package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
