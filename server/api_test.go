package main

import (
	"strings"
	"sync"
	"testing"

	"tuongtac/agencies"
)

func validQuestion() map[string]any {
	return map[string]any{
		"agency": "sotnmt", "kind": "question", "topic": "dat-dai",
		"title": "Hỏi về thủ tục cấp đổi giấy chứng nhận",
		"body":  "Giấy chứng nhận quyền sử dụng đất của gia đình tôi bị rách. Xin hỏi thủ tục cấp đổi thế nào?",
		"name":  "Nguyễn Văn An", "email": "an@example.vn", "phone": "0912 345 678", "consent": true,
	}
}

func TestSubmitAnswerApprovePublish(t *testing.T) {
	ta := newTestApp(t)
	officer := ta.user("officer@sotnmt.vn", "Cán bộ A", agencies.Role{Agency: "sotnmt", Role: "officer"})
	editor := ta.user("editor@sotnmt.vn", "Biên tập B", agencies.Role{Agency: "sotnmt", Role: "editor"})

	res, body := ta.anon().json("POST", "/api/v1/threads", validQuestion())
	if res.StatusCode != 201 {
		t.Fatalf("submit: %d %s", res.StatusCode, body)
	}
	var rec struct {
		ID           string `json:"id"`
		TrackingCode string `json:"tracking_code"`
		State        string `json:"state"`
	}
	mustDecode(t, body, &rec)
	if rec.State != "queued" || len(strings.ReplaceAll(rec.TrackingCode, "-", "")) != 16 {
		t.Fatalf("receipt: %s", body)
	}
	if res, _ := ta.anon().get("/api/v1/threads/" + rec.ID); res.StatusCode != 404 {
		t.Fatalf("unpublished thread is public: %d", res.StatusCode)
	}
	// approving a queued thread is illegal
	if res, body := editor.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/approve", nil); res.StatusCode != 409 {
		t.Fatalf("approve queued: %d %s", res.StatusCode, body)
	}
	// two officers claim at once: one wins
	other := ta.user("other@sotnmt.vn", "Cán bộ C", agencies.Role{Agency: "sotnmt", Role: "officer"})
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, c := range []*client{officer, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := c.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/claim", nil)
			codes[i] = res.StatusCode
		}()
	}
	wg.Wait()
	if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
		t.Fatalf("concurrent claims: %v, want one 200 and one 409", codes)
	}
	holder := officer
	if codes[1] == 200 {
		holder = other
	}
	res, body = holder.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/answer", map[string]any{"body": "Sở trả lời: ông An (0912 345 678) liên hệ bộ phận một cửa."})
	if res.StatusCode != 200 || !strings.Contains(string(body), `"pending_approval"`) {
		t.Fatalf("answer: %d %s", res.StatusCode, body)
	}
	if res, _ := holder.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/approve", nil); res.StatusCode != 403 {
		t.Fatalf("officer approving: %d, want 403", res.StatusCode)
	}
	res, body = editor.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/approve", nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"published"`) {
		t.Fatalf("approve: %d %s", res.StatusCode, body)
	}
	res, body = ta.anon().get("/api/v1/threads/" + rec.ID)
	if res.StatusCode != 200 {
		t.Fatalf("public thread: %d %s", res.StatusCode, body)
	}
	for _, secret := range []string{"an@example.vn", "0912 345 678", "Nguyễn Văn An"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("public thread shows %q: %s", secret, body)
		}
	}
	for _, path := range []string{"/api/v1/threads", "/api/v1/threads?agency=ubnd-tinh", "/api/v1/threads?agency=sotnmt"} {
		res, body = ta.anon().get(path)
		if res.StatusCode != 200 || !strings.Contains(string(body), rec.ID) {
			t.Errorf("%s: %d, thread not listed: %s", path, res.StatusCode, body)
		}
	}
	res, body = ta.anon().get("/api/v1/track/" + strings.ToLower(rec.TrackingCode))
	if res.StatusCode != 200 || !strings.Contains(string(body), `"published"`) {
		t.Errorf("track: %d %s", res.StatusCode, body)
	}
	// the audit trail shows every step
	res, body = editor.get("/api/v1/moderation/threads/" + rec.ID)
	for _, action := range []string{"submitted", "claim", "answer", "approve"} {
		if !strings.Contains(string(body), `"action":"`+action+`"`) {
			t.Errorf("audit misses %s: %s", action, body)
		}
	}
}
