package notifications_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"tuongtac/agencies"
	"tuongtac/notifications"
)

// TestOfficerPreferences: immediate messages for some, one digest for the
// others; each event once per user however often it is reported.
func TestOfficerPreferences(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	r := startRelay(t)
	s := newService(t, openSQLite(t), notifications.Config{Now: clk.Now})
	w := &notifications.Worker{Service: s, Mailer: newSMTP(t, r)}
	users := []notifications.Recipient{
		{ID: "minh", Email: "minh@soyte.angiang.gov.vn", Name: "Anh Minh"},
		{ID: "hanh", Email: "hanh@soyte.angiang.gov.vn", Name: "Chị Hạnh", Digest: true},
		{ID: "tom", Email: "tom@soyte.angiang.gov.vn", Name: "Tom", Lang: "en", Digest: true},
	}
	due := time.Date(2025, 3, 14, 16, 59, 59, 0, time.UTC)
	for i, title := range []string{"Tiêm chủng mở rộng", "Giấy phép hành nghề"} {
		ev := []string{"t1/new", "t2/new"}[i]
		for range 2 { // reported twice (a retried thread outbox entry)
			if err := s.NotifyOfficers(ctx, ev, users, notifications.TmplOfficerNewItem, notifications.Data{Title: title, Agency: "Sở Y tế", ConsoleURL: "https://x.vn/console/" + ev, DueAt: due}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.NotifyOfficers(ctx, "x", users, notifications.TmplOfficerDigest, notifications.Data{}); err == nil {
		t.Error("the digest template is not an event")
	}
	if err := s.NotifyOfficers(ctx, "x", users, notifications.TmplReceived, notifications.Data{}); err == nil {
		t.Error("a citizen template is not an officer event")
	}
	drain(t, w)
	r.waitFor(t, 2, 5*time.Second)
	clk.Advance(time.Hour)
	n, err := s.Digest(ctx, clk.Now())
	if err != nil || n != 2 {
		t.Fatalf("digest: %d %v", n, err)
	}
	if n, err := s.Digest(ctx, clk.Now()); err != nil || n != 0 {
		t.Fatalf("second digest: %d %v", n, err)
	}
	// Reported again after the digest went out: still nothing new.
	if err := s.NotifyOfficers(ctx, "t1/new", users, notifications.TmplOfficerNewItem, notifications.Data{Title: "x"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Digest(ctx, clk.Now()); n != 0 {
		t.Errorf("a reported-again event made another digest")
	}
	drain(t, w)
	ms := r.waitFor(t, 4, 5*time.Second)
	time.Sleep(30 * time.Millisecond)
	if len(r.messages()) != 4 {
		t.Fatalf("%d messages, want 2 immediate + 2 digests", len(r.messages()))
	}
	per := map[string][]parsed{}
	for _, m := range ms {
		per[m.To[0]] = append(per[m.To[0]], parseMessage(t, m.Data))
	}
	if len(per["minh@soyte.angiang.gov.vn"]) != 2 {
		t.Errorf("immediate user got %d", len(per["minh@soyte.angiang.gov.vn"]))
	}
	h := per["hanh@soyte.angiang.gov.vn"]
	if len(h) != 1 || !strings.Contains(h[0].Subject, "2 mục") || !strings.Contains(h[0].Text, "Tiêm chủng mở rộng") || !strings.Contains(h[0].HTML, "Giấy phép hành nghề") {
		t.Errorf("Vietnamese digest: %+v", h)
	}
	if tom := per["tom@soyte.angiang.gov.vn"]; len(tom) != 1 || !strings.HasPrefix(tom[0].Subject, "Queue digest") || !strings.Contains(tom[0].Text, "[New]") {
		t.Errorf("English digest: %+v", tom)
	}
	if h[0].Header.Get("List-Unsubscribe") != "" {
		t.Error("officer mail is work mail: no list unsubscribe")
	}
}

// people is a small agency tree for the escalation tests: a department
// under the province.
type people struct{}

func (people) Officers(_ context.Context, agency string) ([]notifications.Recipient, error) {
	return []notifications.Recipient{{ID: agency + "-officer", Email: agency + "-officer@x.vn"}}, nil
}

func (people) Editors(_ context.Context, agency string) ([]notifications.Recipient, error) {
	return []notifications.Recipient{{ID: agency + "-editor", Email: agency + "-editor@x.vn"}}, nil
}

func (people) User(_ context.Context, id string) (notifications.Recipient, bool, error) {
	if id == "gone" {
		return notifications.Recipient{}, false, nil
	}
	return notifications.Recipient{ID: id, Email: id + "@x.vn"}, true, nil
}

func (people) Parent(agency string) string {
	if agency == "soyte" {
		return "ubnd-tinh"
	}
	return ""
}

func TestEscalation(t *testing.T) {
	ctx := context.Background()
	cal, err := agencies.DefaultCalendar()
	if err != nil {
		t.Fatal(err)
	}
	e := notifications.Escalation{People: people{}, Calendar: cal}
	// Monday 10 March 2025, 15:00 in An Giang.
	now := time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)
	endOf := func(d int) time.Time { return time.Date(2025, 3, d, 23, 59, 59, 0, cal.Location()).UTC() }
	tests := []struct {
		name   string
		d      notifications.Deadline
		events []string
		to     [][]string
	}{
		{"two days left", notifications.Deadline{ThreadID: "t", Agency: "soyte", DueAt: endOf(12)}, nil, nil},
		{"due tomorrow, unassigned", notifications.Deadline{ThreadID: "t", Agency: "soyte", DueAt: endOf(11)},
			[]string{notifications.TmplOfficerDueTomorrow}, [][]string{{"soyte-officer"}}},
		{"due tomorrow, assigned", notifications.Deadline{ThreadID: "t", Agency: "soyte", Assignee: "minh", DueAt: endOf(11)},
			[]string{notifications.TmplOfficerDueTomorrow}, [][]string{{"minh"}}},
		{"due today", notifications.Deadline{ThreadID: "t", Agency: "soyte", DueAt: endOf(10)}, nil, nil},
		{"one working day late (due Friday)", notifications.Deadline{ThreadID: "t", Agency: "soyte", Assignee: "minh", DueAt: endOf(7)},
			[]string{notifications.TmplOfficerOverdue}, [][]string{{"minh", "soyte-editor"}}},
		{"two working days late: the parent's editors too", notifications.Deadline{ThreadID: "t", Agency: "soyte", Assignee: "gone", DueAt: endOf(6)},
			[]string{notifications.TmplOfficerOverdue, notifications.TmplOfficerOverdue}, [][]string{{"soyte-editor"}, {"ubnd-tinh-editor"}}},
		{"late at the root: nobody above", notifications.Deadline{ThreadID: "t", Agency: "ubnd-tinh", DueAt: endOf(3)},
			[]string{notifications.TmplOfficerOverdue}, [][]string{{"ubnd-tinh-editor"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, err := e.Plan(ctx, tt.d, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(ns) != len(tt.events) {
				t.Fatalf("%d notices, want %d: %+v", len(ns), len(tt.events), ns)
			}
			for i, n := range ns {
				if n.Template != tt.events[i] {
					t.Errorf("notice %d: %s", i, n.Template)
				}
				var ids []string
				for _, r := range n.To {
					ids = append(ids, r.ID)
				}
				sort.Strings(ids)
				if !slices.Equal(ids, tt.to[i]) {
					t.Errorf("notice %d to %v, want %v", i, ids, tt.to[i])
				}
				if n.Data.Level != 0 && n.Data.Level != i+1 {
					t.Errorf("level %d", n.Data.Level)
				}
			}
		})
	}

	// Remind sends each notice once, however often it runs.
	r := startRelay(t)
	s := newService(t, openSQLite(t), notifications.Config{})
	w := &notifications.Worker{Service: s, Mailer: newSMTP(t, r)}
	ds := []notifications.Deadline{
		{ThreadID: "a", Title: "Quá hạn", Agency: "soyte", AgencyName: "Sở Y tế", ConsoleURL: "https://x.vn/c/a", DueAt: endOf(6)},
		{ThreadID: "b", Title: "Sắp hạn", Agency: "soyte", AgencyName: "Sở Y tế", ConsoleURL: "https://x.vn/c/b", DueAt: endOf(11)},
	}
	for range 3 {
		if _, err := s.Remind(ctx, e, ds, now); err != nil {
			t.Fatal(err)
		}
	}
	drain(t, w)
	ms := r.waitFor(t, 3, 5*time.Second)
	time.Sleep(30 * time.Millisecond)
	if len(r.messages()) != 3 {
		t.Fatalf("%d messages, want 3", len(r.messages()))
	}
	var subjects []string
	for _, m := range ms {
		p := parseMessage(t, m.Data)
		subjects = append(subjects, m.To[0]+" "+p.Subject)
		if m.To[0] == "ubnd-tinh-editor@x.vn" && !strings.Contains(p.Text, "cơ quan cấp trên") {
			t.Errorf("the parent's editors should be told why they get it:\n%s", p.Text)
		}
	}
	sort.Strings(subjects)
	want := []string{
		"soyte-editor@x.vn [Quá hạn] Quá hạn",
		"soyte-officer@x.vn [Còn 1 ngày] Hạn trả lời 11/03/2025: Sắp hạn",
		"ubnd-tinh-editor@x.vn [Quá hạn] Quá hạn",
	}
	if !slices.Equal(subjects, want) {
		t.Errorf("got %q\nwant %q", subjects, want)
	}
}
