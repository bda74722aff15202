package main

import (
	"strings"
	"testing"

	"tuongtac/agencies"
)

// TestPersonalDataRequest: an administrator exports what is held under an
// address, then erases it; the public thread stays, masked, and the asker's
// contact is gone from the officers' view too.
func TestPersonalDataRequest(t *testing.T) {
	ta := newTestApp(t)
	admin := ta.login(adminEmail, testPass)
	ed := ta.user("e@sotnmt.vn", "Biên tập", agencies.Role{Agency: "sotnmt", Role: "editor"})
	q := validQuestion()
	q["body"] = "Tôi là Nguyễn Văn An, số điện thoại 0912 345 678. Xin hỏi thủ tục cấp đổi giấy chứng nhận?"
	_, body := ta.anon().json("POST", "/api/v1/threads", q)
	var rec struct {
		ID string `json:"id"`
	}
	mustDecode(t, body, &rec)
	for _, a := range []string{"claim", "answer", "approve"} {
		if res, b := ed.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/"+a, map[string]any{"body": "Trả lời."}); res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", a, res.StatusCode, b)
		}
	}
	if res, _ := ed.get("/api/v1/admin/personal-data?email=an@example.vn"); res.StatusCode != 403 {
		t.Fatalf("an editor exported personal data: %d", res.StatusCode)
	}
	res, body := admin.get("/api/v1/admin/personal-data?email=AN@example.vn")
	if res.StatusCode != 200 || !strings.Contains(string(body), rec.ID) || !strings.Contains(string(body), "0912 345 678") {
		t.Fatalf("export: %d %s", res.StatusCode, body)
	}
	res, body = admin.json("POST", "/api/v1/admin/personal-data/erase", map[string]any{"email": "an@example.vn"})
	if res.StatusCode != 200 || !strings.Contains(string(body), `"threads":1`) {
		t.Fatalf("erase: %d %s", res.StatusCode, body)
	}
	_, officer := ed.get("/api/v1/moderation/threads/" + rec.ID)
	for _, s := range []string{"an@example.vn", "0912 345 678", "Nguyễn Văn An"} {
		if strings.Contains(string(officer), s) {
			t.Errorf("after erasure the officers' view still holds %q", s)
		}
	}
	if !strings.Contains(string(officer), `"action":"erase"`) {
		t.Error("the erasure is not in the audit trail")
	}
	if res, _ := ta.anon().get("/api/v1/threads/" + rec.ID); res.StatusCode != 200 {
		t.Errorf("the public thread is gone: %d", res.StatusCode)
	}
	_, body = admin.get("/api/v1/admin/personal-data?email=an@example.vn")
	if strings.Contains(string(body), rec.ID) {
		t.Errorf("still held after erasure: %s", body)
	}
}
