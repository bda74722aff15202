package main

import (
	"testing"

	"tuongtac/agencies"
	"tuongtac/chat"
)

// TestLiveConsole: an officer's console socket hears of a new question in
// its agency, and of another officer claiming it, as they happen; a console
// of another agency hears nothing of it.
func TestLiveConsole(t *testing.T) {
	ta := newTestApp(t)
	base := ta.listen()
	city := ta.user("o@longxuyen.vn", "Cán bộ thành phố", agencies.Role{Agency: "longxuyen", Role: "officer"})
	ward := ta.user("o@myhoa.vn", "Cán bộ phường", agencies.Role{Agency: "myhoa.longxuyen", Role: "officer"})
	other := ta.user("o@chaudoc.vn", "Cán bộ Châu Đốc", agencies.Role{Agency: "chaudoc", Role: "officer"})
	con := dialWS(t, base, "/ws/console", city.cookie, nil)
	far := dialWS(t, base, "/ws/console", other.cookie, nil)
	con.expect("welcome")
	far.expect("welcome")

	q := validQuestion()
	q["agency"] = "myhoa.longxuyen"
	_, body := ta.anon().json("POST", "/api/v1/threads", q)
	var rec struct {
		ID string `json:"id"`
	}
	mustDecode(t, body, &rec)
	f := con.expect(chat.TypeThread)
	if f.str("thread_id") != rec.ID || f.str("action") != "submitted" || f.str("state") != "queued" {
		t.Fatalf("new item frame: %v", f)
	}
	if res, b := ward.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/claim", nil); res.StatusCode != 200 {
		t.Fatalf("claim: %d %s", res.StatusCode, b)
	}
	f = con.expect(chat.TypeThread)
	if f.str("action") != "claim" || f.str("state") != "assigned" {
		t.Fatalf("claim frame: %v", f)
	}
	if f, err := far.read(300_000_000); err == nil && f.str("type") == chat.TypeThread {
		t.Fatalf("another agency's console heard of it: %v", f)
	}
}
