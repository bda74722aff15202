package notifications

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tuongtac/store"
	"tuongtac/store/sqlite"
)

func openDB(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), Migrations()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestHotQueriesUseIndexes checks with EXPLAIN QUERY PLAN that every query
// the worker, the reaper, consent and digests run is served by an index with
// no sort step.
func TestHotQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	now := ts(time.Now())
	// Counts (state = ?) read the same (state, next_at) index; Explain
	// shows SELECTs with an ORDER BY only, so they are not listed.
	queries := []struct {
		name, coll string
		q          store.Query
	}{
		{"due messages", collMail, store.Query{Where: []store.Cond{store.Where("state", store.Eq, StateQueued), store.Where("next_at", store.Lte, now)}, Sort: []store.SortKey{{Field: "next_at"}}, Limit: 100, Project: "ref"}},
		{"expired leases", collMail, store.Query{Where: []store.Cond{store.Where("state", store.Eq, StateSending), store.Where("next_at", store.Lte, now)}, Sort: []store.SortKey{{Field: "next_at"}}, Limit: 200, Project: "ref"}},
		{"purge sent", collMail, store.Query{Where: []store.Cond{store.Where("state", store.Eq, StateSent), store.Where("next_at", store.Lt, now)}, Sort: []store.SortKey{{Field: "next_at"}}, Limit: 500, Project: "ref"}},
		{"admin list", collMail, store.Query{Where: []store.Cond{store.Where("state", store.Eq, StateDead)}, Sort: []store.SortKey{{Field: "next_at", Desc: true}}, Limit: 100}},
		{"a subscriber's held mail", collMail, store.Query{Where: []store.Cond{store.Where("subscriber", store.Eq, "abc"), store.Where("state", store.Eq, StateHeld)}, Project: "ref"}},
		{"purge tokens", collTokens, store.Query{Where: []store.Cond{store.Where("purge_at", store.Gt, ""), store.Where("purge_at", store.Lte, now)}, Sort: []store.SortKey{{Field: "purge_at"}}, Limit: 500}},
		{"purge subscribers", collSubscribers, store.Query{Where: []store.Cond{store.Where("purge_at", store.Gt, ""), store.Where("purge_at", store.Lte, now)}, Sort: []store.SortKey{{Field: "purge_at"}}, Limit: 200}},
		{"followers", collFollows, store.Query{Where: []store.Cond{store.Where("thread", store.Eq, "t1")}, Skip: 500, Limit: 500}},
		{"pending digest lines", collDigest, store.Query{Where: []store.Cond{store.Where("state", store.Eq, digestPending)}, Sort: []store.SortKey{{Field: "user"}, {Field: "at"}}, Limit: 500}},
		{"leftover batches", collDigest, store.Query{Where: []store.Cond{store.Where("state", store.Eq, digestBatched)}, Sort: []store.SortKey{{Field: "user"}, {Field: "at"}}, Limit: 1000}},
		{"purge digest", collDigest, store.Query{Where: []store.Cond{store.Where("state", store.Eq, digestDone), store.Where("at", store.Lt, now)}, Sort: []store.SortKey{{Field: "at"}}, Limit: 500}},
	}
	for _, q := range queries {
		plan, err := db.Explain(ctx, q.coll, q.q)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		if strings.Contains(plan, "SCAN") || strings.Contains(plan, "TEMP B-TREE") || !strings.Contains(plan, "USING INDEX") {
			t.Errorf("%s does not use an index cleanly:\n%s", q.name, plan)
		}
	}
}

// TestTemplatesRender renders every template in both languages with every
// field set, and checks that nothing is missing or left unrendered.
func TestTemplatesRender(t *testing.T) {
	due := time.Date(2025, 3, 14, 16, 59, 59, 0, time.UTC)
	full := view{
		Data: Data{
			Name: "Nguyễn Văn A", Title: "Tiêu đề <b>thử</b>", Kind: "question", Code: "AAAA-BBBB-CCCC-DDDD",
			TrackURL: "https://x.vn/track/1", ThreadURL: "https://x.vn/q/1", RatingURL: "https://x.vn/rate/1", ConsoleURL: "https://x.vn/console/1",
			Agency: "Sở Y tế", FromAgency: "UBND phường Mỹ Hòa", ToAgency: "Sở Xây dựng", Reason: "Lý do\n\ndòng hai",
			Answer: "Trả lời dòng một\ndòng hai", Draft: "Dự thảo Quyết định", Comment: "Góp ý", Reply: "Phản hồi",
			DueAt: due, OverdueDays: 3, Level: 2,
			Items: []Item{{Template: TmplOfficerNewItem, Title: "Mục 1", URL: "https://x.vn/c/1", DueAt: due}, {Template: TmplOfficerOverdue, Title: "Mục 2"}},
		},
		BaseURL: "https://x.vn", Date: due, VerifyURL: "https://x.vn/verify/abc", ExpiresAt: due, UnsubscribeURL: "https://x.vn/unsubscribe/def",
	}
	for _, lang := range []string{"vi", "en"} {
		for _, name := range append(append([]string{}, CitizenTemplates...), OfficerTemplates...) {
			v := full
			v.Officer = strings.HasPrefix(name, "officer_")
			r, err := render(name, lang, v)
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, name, err)
			}
			if r.Subject == "" || strings.TrimSpace(r.Text) == "" || !strings.Contains(r.HTML, "</html>") {
				t.Errorf("%s/%s: empty part", lang, name)
			}
			for _, part := range []string{r.Subject, r.Text, r.HTML} {
				if strings.Contains(part, "<no value>") || strings.Contains(part, "{{") || strings.Contains(part, "ZgotmplZ") {
					t.Errorf("%s/%s: unrendered or unsafe output:\n%s", lang, name, part)
				}
			}
			if strings.Contains(r.HTML, "<b>thử</b>") {
				t.Errorf("%s/%s: user markup not escaped", lang, name)
			}
			viWord := strings.Contains(r.Text, "Xin chào") || strings.Contains(r.Text, "thư tự động") || strings.Contains(r.Text, "Bạn nhận thư")
			if (lang == "en") == viWord {
				t.Errorf("%s/%s: wrong language:\n%s", lang, name, r.Text)
			}
			if !v.Officer && !strings.Contains(r.Text, v.UnsubscribeURL) {
				t.Errorf("%s/%s: no unsubscribe link in the text", lang, name)
			}
		}
	}
	if _, err := render("nope", "vi", full); err == nil {
		t.Error("unknown template")
	}
}

// TestDigestFinishesABatchLeftByACrash: lines batched by a run that died
// before queueing the message are sent by the next run, once.
func TestDigestFinishesABatchLeftByACrash(t *testing.T) {
	ctx := context.Background()
	s, err := New(openDB(t), Config{BaseURL: "https://x.vn"})
	if err != nil {
		t.Fatal(err)
	}
	users := []Recipient{{ID: "u1", Email: "u1@x.vn", Digest: true}}
	for _, ev := range []string{"a", "b", "c"} {
		if err := s.NotifyOfficers(ctx, ev, users, TmplOfficerNewItem, Data{Title: "T " + ev}); err != nil {
			t.Fatal(err)
		}
	}
	// A run batched two lines and died.
	for _, id := range []string{"a/u:u1", "b/u:u1"} {
		if ok, err := s.markDigest(ctx, id, digestPending, func(x *digestDoc) { x.State, x.Batch = digestBatched, "digest/u1/crashed" }); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	n, err := s.Digest(ctx, time.Now())
	if err != nil || n != 2 {
		t.Fatalf("digest: %d %v (want the left batch and a new one)", n, err)
	}
	m, err := s.Get(ctx, "digest/u1/crashed")
	if err != nil || !strings.Contains(m.Text, "T a") || !strings.Contains(m.Text, "T b") || strings.Contains(m.Text, "T c") {
		t.Errorf("left batch: %+v %v", m, err)
	}
	if n, _ := s.Digest(ctx, time.Now()); n != 0 {
		t.Errorf("third run queued %d", n)
	}
}

func TestHeaderText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Plain", "Plain"},
		{"a\r\nBcc: x@y.z", "a Bcc: x@y.z"},
		{"tab\tand\x00nul\x1b[31m", "tab andnul[31m"},
		{"line\u2028sep\u0085", "line sep"},
		{"  spaced   out  ", "spaced out"},
		{"Đã tiếp nhận", "Đã tiếp nhận"},
	}
	for _, tt := range tests {
		if got := HeaderText(tt.in, 0); got != tt.want {
			t.Errorf("HeaderText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := HeaderText(strings.Repeat("á", 300), 10); got != strings.Repeat("á", 9)+"…" {
		t.Errorf("cut: %q", got)
	}
}

// TestForgetAddressesWithoutConsent: a record that allows no mail (never
// verified, or unsubscribed) is deleted after its time; a verified one stays.
func TestForgetAddressesWithoutConsent(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := New(openDB(t), Config{BaseURL: "https://x.vn", Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	w := &Worker{Service: s, Mailer: &Spool{Dir: t.TempDir()}}
	for _, a := range []string{"pending@x.vn", "kept@x.vn", "gone@x.vn"} {
		if err := s.RequestVerification(ctx, a, "vi"); err != nil {
			t.Fatal(err)
		}
	}
	verify := func(addr string) *Subscriber {
		var sub Subscriber
		if _, err := s.subs.Get(ctx, hashHex(addr), &sub); err != nil {
			t.Fatal(err)
		}
		sub.Verified, sub.PendingUntil, sub.PurgeAt = true, time.Time{}, ""
		v, _ := s.subs.Get(ctx, sub.ID, &Subscriber{})
		if err := s.subs.Replace(ctx, sub.ID, v, &sub); err != nil {
			t.Fatal(err)
		}
		return &sub
	}
	verify("kept@x.vn")
	gone := verify("gone@x.vn")
	if _, err := s.Unsubscribe(ctx, gone.UnsubToken); err != nil {
		t.Fatal(err)
	}
	now = now.Add(8 * 24 * time.Hour)
	if _, err := w.Reap(ctx); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"pending@x.vn": false, "kept@x.vn": true, "gone@x.vn": false} {
		_, err := s.subs.Get(ctx, hashHex(addr), &Subscriber{})
		if (err == nil) != want {
			t.Errorf("%s kept=%v, want %v", addr, err == nil, want)
		}
	}
	if _, err := s.tokens.Get(ctx, "u:"+hashHex(gone.UnsubToken), &tokenDoc{}); err == nil {
		t.Error("the unsubscribe token of a forgotten address is still there")
	}
	if _, err := s.Unsubscribe(ctx, gone.UnsubToken); err == nil {
		t.Error("unsubscribing a forgotten address should be not found")
	}
}

// TestDailyDigestOncePerDay: with DigestAt set, the first worker past the
// hour runs the digest; others (other instances) do not run it again.
func TestDailyDigestOncePerDay(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 10, 23, 30, 0, 0, time.UTC) // 06:30 on the 11th in An Giang
	s, err := New(openDB(t), Config{BaseURL: "https://x.vn", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.NotifyOfficers(ctx, "e", []Recipient{{ID: "u", Email: "u@x.vn", Digest: true}}, TmplOfficerNewItem, Data{Title: "T"}); err != nil {
		t.Fatal(err)
	}
	w1 := &Worker{Service: s, DigestAt: "07:00"}
	w2 := &Worker{Service: s, DigestAt: "07:00"}
	w1.init()
	w2.init()
	w1.maybeDigest(ctx)
	if c, _ := s.Counts(ctx); c[StateQueued] != 0 {
		t.Fatal("digest ran before 07:00")
	}
	now = now.Add(time.Hour)
	w1.maybeDigest(ctx)
	w2.maybeDigest(ctx)
	if err := s.NotifyOfficers(ctx, "e2", []Recipient{{ID: "u", Email: "u@x.vn", Digest: true}}, TmplOfficerNewItem, Data{Title: "T2"}); err != nil {
		t.Fatal(err)
	}
	w2.maybeDigest(ctx)
	w1.maybeDigest(ctx)
	if c, _ := s.Counts(ctx); c[StateQueued] != 1 {
		t.Fatalf("queued %d digests today, want 1", c[StateQueued])
	}
	now = now.Add(24 * time.Hour)
	w2.maybeDigest(ctx)
	if c, _ := s.Counts(ctx); c[StateQueued] != 2 {
		t.Fatalf("next day: %d", c[StateQueued])
	}
}
