package notifications_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"tuongtac/notifications"
	"tuongtac/problem"
)

// TestVerificationGating: nothing but the verification message reaches an
// address before it is verified; what was held goes out when she confirms.
func TestVerificationGating(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	r := startRelay(t)
	s := newService(t, openSQLite(t), notifications.Config{Now: clk.Now})
	w := &notifications.Worker{Service: s, Mailer: newSMTP(t, r)}
	data := notifications.Data{Title: "Giấy khai sinh", Code: "AAAA-BBBB-CCCC-DDDD", TrackURL: "https://hoidap.angiang.gov.vn/track/AAAA-BBBB-CCCC-DDDD"}

	// An address nobody asked to verify gets nothing, and nothing is kept.
	out, err := s.Notify(ctx, "t1/received", "lan@example.vn", notifications.TmplReceived, data)
	if err != nil || out != notifications.Skipped {
		t.Fatalf("unknown address: %v %v", out, err)
	}
	// She gives her address with the question: the verification goes out,
	// the "received" message waits for her.
	if err := s.RequestVerification(ctx, "Lan@Example.vn", "vi"); err != nil {
		t.Fatal(err)
	}
	out, err = s.Notify(ctx, "t1/received", "lan@example.vn", notifications.TmplReceived, data)
	if err != nil || out != notifications.Held {
		t.Fatalf("pending address: %v %v", out, err)
	}
	drain(t, w)
	ms := r.waitFor(t, 1, 5*time.Second)
	time.Sleep(30 * time.Millisecond)
	if len(r.messages()) != 1 {
		t.Fatalf("before verification %d messages went out, want only the verification", len(r.messages()))
	}
	p := parseMessage(t, ms[0].Data)
	if p.Subject != "Xác nhận địa chỉ email của bạn" {
		t.Errorf("verification subject %q", p.Subject)
	}
	tok := verifyRE.FindStringSubmatch(p.Text)[1]
	if !strings.Contains(p.Text, "https://hoidap.angiang.gov.vn/verify/"+tok) || !strings.Contains(p.HTML, "https://hoidap.angiang.gov.vn/verify/"+tok) {
		t.Error("the verification link should be BASE_URL/verify/{token} in both parts")
	}
	if p.Header.Get("List-Unsubscribe") == "" {
		t.Error("even the verification message carries an unsubscribe link")
	}

	if _, err := s.Verify(ctx, "0123456789abcdef0123456789abcdef"); !problem.Is(err, problem.KindNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	sub, err := s.Verify(ctx, tok)
	if err != nil || !sub.Verified || sub.Lang != "vi" || sub.Email != "lan@example.vn" {
		t.Fatalf("verify: %+v %v", sub, err)
	}
	if sub2, err := s.Verify(ctx, tok); err != nil || !sub2.Verified {
		t.Errorf("opening the link twice: %v", err)
	}
	drain(t, w)
	ms = r.waitFor(t, 2, 5*time.Second)
	p = parseMessage(t, ms[1].Data)
	if !strings.HasPrefix(p.Subject, "Đã tiếp nhận câu hỏi") || !strings.Contains(p.Text, "AAAA-BBBB-CCCC-DDDD") {
		t.Errorf("held message: %q", p.Subject)
	}
	// Verified: no second verification message.
	if err := s.RequestVerification(ctx, "lan@example.vn", "vi"); err != nil {
		t.Fatal(err)
	}
	drain(t, w)
	time.Sleep(30 * time.Millisecond)
	if len(r.messages()) != 2 {
		t.Errorf("a verified address got another verification: %d", len(r.messages()))
	}

	// Unsubscribe with one click: what is queued is cancelled, nothing more
	// is recorded.
	if _, err := s.Notify(ctx, "t1/transferred", "lan@example.vn", notifications.TmplTransferred, notifications.Data{Title: "x", ToAgency: "Sở Tư pháp"}); err != nil {
		t.Fatal(err)
	}
	unsub := unsubRE.FindStringSubmatch(p.Header.Get("List-Unsubscribe"))[1]
	if _, err := s.Unsubscribe(ctx, "nope"); !problem.Is(err, problem.KindNotFound) {
		t.Errorf("bad unsubscribe token: %v", err)
	}
	sub, err = s.Unsubscribe(ctx, unsub)
	if err != nil || !sub.Unsubscribed || sub.CanReceive() {
		t.Fatalf("unsubscribe: %+v %v", sub, err)
	}
	m, _ := s.Get(ctx, "t1/transferred/"+sub.ID[:32])
	if m == nil || m.State != notifications.StateCancelled || m.Text != "" {
		t.Errorf("queued mail after unsubscribe: %+v", m)
	}
	out, err = s.Notify(ctx, "t1/published", "lan@example.vn", notifications.TmplPublished, notifications.Data{Title: "x", ThreadURL: "https://x.vn/q/1"})
	if err != nil || out != notifications.Skipped {
		t.Errorf("after unsubscribe: %v %v", out, err)
	}
	drain(t, w)
	time.Sleep(30 * time.Millisecond)
	if len(r.messages()) != 2 {
		t.Errorf("mail went to an unsubscribed address: %d", len(r.messages()))
	}
	// She asks again later (a new question with her address): a new
	// double opt-in, then mail flows again.
	clk.Advance(time.Hour)
	verifyAddress(t, s, w, r, "lan@example.vn", "en")
	out, err = s.Notify(ctx, "t2/received", "lan@example.vn", notifications.TmplReceived, data)
	if err != nil || out != notifications.Queued {
		t.Errorf("re-subscribed: %v %v", out, err)
	}
	drain(t, w)
	ms = r.waitFor(t, 4, 5*time.Second)
	if p := parseMessage(t, ms[3].Data); !strings.HasPrefix(p.Subject, "We received your question") {
		t.Errorf("she chose English this time: %q", p.Subject)
	}
}

// TestVerificationLimits: per-address limits on verification messages, and
// held mail dropped when the link expires.
func TestVerificationLimits(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	r := startRelay(t)
	s := newService(t, openSQLite(t), notifications.Config{Now: clk.Now})
	w := &notifications.Worker{Service: s, Mailer: newSMTP(t, r)}
	for i := range 5 {
		if err := s.RequestVerification(ctx, "x@example.vn", "vi"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		// A second click right away sends nothing new.
		if err := s.RequestVerification(ctx, "x@example.vn", "vi"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(11 * time.Minute)
	}
	err := s.RequestVerification(ctx, "x@example.vn", "vi")
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.KindTooMany || p.RetryAfter <= 0 {
		t.Fatalf("sixth request in a day: %v", err)
	}
	drain(t, w)
	r.waitFor(t, 5, 5*time.Second)
	time.Sleep(30 * time.Millisecond)
	if n := len(r.messages()); n != 5 {
		t.Errorf("%d verification messages, want 5", n)
	}
	clk.Advance(24 * time.Hour)
	if err := s.RequestVerification(ctx, "x@example.vn", "vi"); err != nil {
		t.Errorf("a day later: %v", err)
	}
	if err := s.RequestVerification(ctx, "not an address", "vi"); !problem.Is(err, problem.KindValidation) {
		t.Errorf("bad address: %v", err)
	}

	// Held mail expires with the link.
	if err := s.RequestVerification(ctx, "y@example.vn", "vi"); err != nil {
		t.Fatal(err)
	}
	out, err := s.Notify(ctx, "e/received", "y@example.vn", notifications.TmplReceived, notifications.Data{Title: "t"})
	if err != nil || out != notifications.Held {
		t.Fatal(out, err)
	}
	clk.Advance(8 * 24 * time.Hour)
	if _, err := w.Reap(ctx); err != nil {
		t.Fatal(err)
	}
	id, _ := notifications.SubscriberID("y@example.vn")
	m, err := s.Get(ctx, "e/received/"+id[:32])
	if err != nil || m.State != notifications.StateCancelled || m.Text != "" {
		t.Errorf("held mail after the link expired: %+v %v", m, err)
	}
	out, err = s.Notify(ctx, "e/other", "y@example.vn", notifications.TmplReceived, notifications.Data{Title: "t"})
	if err != nil || out != notifications.Skipped {
		t.Errorf("expired pending address: %v %v", out, err)
	}
}

// TestFollow: following a published thread by a verified address.
func TestFollow(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	s := newService(t, openSQLite(t), notifications.Config{})
	w := &notifications.Worker{Service: s, Mailer: newSMTP(t, r)}
	verifyAddress(t, s, w, r, "fan@example.vn", "vi")
	base := len(r.messages())

	ok, err := s.Follow(ctx, "fan@example.vn", "vi", "01jq5abc")
	if err != nil || !ok {
		t.Fatalf("verified follower: %v %v", ok, err)
	}
	ok, err = s.Follow(ctx, "new@example.vn", "en", "01jq5abc")
	if err != nil || ok {
		t.Fatalf("unverified follower: %v %v", ok, err)
	}
	if _, err := s.Follow(ctx, "fan@example.vn", "vi", "../etc"); err == nil {
		t.Error("a bad thread id should be refused")
	}
	n, err := s.NotifyFollowers(ctx, "upd-1", "01jq5abc", notifications.TmplFollowedUpdate, notifications.Data{Title: "Đường Trần Hưng Đạo", ThreadURL: "https://x.vn/q/01jq5abc"})
	if err != nil || n != 1 {
		t.Fatalf("followers: %d %v", n, err)
	}
	if n, _ := s.NotifyFollowers(ctx, "upd-1", "01jq5abc", notifications.TmplFollowedUpdate, notifications.Data{Title: "again"}); n != 0 {
		t.Errorf("the same event queued %d more", n)
	}
	drain(t, w)
	ms := r.waitFor(t, base+2, 5*time.Second) // the update, and new@'s verification
	var update, verify int
	for _, m := range ms[base:] {
		p := parseMessage(t, m.Data)
		switch {
		case m.To[0] == "fan@example.vn" && strings.Contains(p.Subject, "Đường Trần Hưng Đạo"):
			update++
		case m.To[0] == "new@example.vn" && p.Subject == "Confirm your email address":
			verify++
		default:
			t.Errorf("unexpected %s: %q", m.To[0], p.Subject)
		}
	}
	if update != 1 || verify != 1 {
		t.Errorf("update %d, verification %d", update, verify)
	}
	if err := s.Unfollow(ctx, "fan@example.vn", "01jq5abc"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.NotifyFollowers(ctx, "upd-2", "01jq5abc", notifications.TmplFollowedUpdate, notifications.Data{Title: "x", ThreadURL: "https://x.vn/q/1"}); n != 0 {
		t.Errorf("after unfollow: %d", n)
	}
}
