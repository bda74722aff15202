package consultation

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"tuongtac/problem"
	"tuongtac/store"
)

// revise makes version 2 of the regulation: a new Điều 27 (the old 27 and
// 28 become 28 and 29), Điều 13 removed, Điều 7.1.b reworded, clause 2 of
// Điều 9 removed.
func revise(reg string) string {
	s := strings.Replace(reg, "Điều 27. Quy định chuyển tiếp", "Điều 27. Giám sát việc lấy ý kiến\n1. Sở Tư pháp theo dõi việc lấy ý kiến trên Cổng.\nĐiều 28. Quy định chuyển tiếp", 1)
	s = strings.Replace(s, "Điều 28. Trong quá trình", "Điều 29. Trong quá trình", 1)
	i, j := strings.Index(s, "Điều 13. Nhân lực quản trị kỹ thuật"), strings.Index(s, "Điều 14. Bồi dưỡng nhân lực")
	s = s[:i] + s[j:]
	s = strings.Replace(s, "b) Hỗ trợ tính năng mạng xã hội.", "b) Hỗ trợ tính năng mạng xã hội, chia sẻ và theo dõi.", 1)
	i = strings.Index(s, "2. Ủy ban nhân dân tỉnh giao Sở Thông tin và Truyền thông hướng dẫn các sở,")
	j = strings.Index(s, "Chương III")
	return s[:i] + s[j:]
}

func TestVersionsKeepComments(t *testing.T) {
	e := newEnv(t, sqliteDB(t))
	ctx := context.Background()
	reg := regulationText(t)
	id := e.create(reg).ID
	e.clock.Set(vn(t, "2025-03-11 08:00"))
	on := map[string]string{} // anchor -> comment id
	for _, a := range []string{"chuong-vi/dieu-27", "chuong-vi/dieu-28", "chuong-iv/muc-1/dieu-13", "chuong-ii/dieu-7/khoan-1/diem-b", "chuong-ii/dieu-9/khoan-2", ""} {
		r := e.comment(id, CommentInput{Anchor: a, Body: "Ý kiến về phần " + a + " của dự thảo."})
		if _, err := e.svc.Approve(ctx, e.officer, r.ID); err != nil {
			t.Fatal(err)
		}
		on[a] = r.ID
	}

	// An officer may not upload; an editor may, with a note.
	_, err := e.svc.AddVersion(ctx, e.officer, id, VersionInput{Draft: DraftInput{Text: revise(reg)}})
	wantProblem(t, err, problem.KindForbidden, "error.forbidden")
	_, err = e.svc.AddVersion(ctx, e.editor, id, VersionInput{Draft: DraftInput{Text: ""}})
	wantProblem(t, err, problem.KindValidation, "text=field.text.required")
	v, err := e.svc.AddVersion(ctx, e.editor, id, VersionInput{Draft: DraftInput{Text: revise(reg)}, Note: "Tiếp thu ý kiến đợt 1"})
	if err != nil {
		t.Fatal(err)
	}
	// Removing Điều 13 leaves a gap before Điều 14: reported, not refused.
	if v.Version != 2 || len(v.Versions) != 2 || v.Versions[1].Note != "Tiếp thu ý kiến đợt 1" || len(v.Issues) != 1 || v.Issues[0].Code != "skipped_number" {
		t.Fatalf("version 2: %d %+v %v", v.Version, v.Versions, v.Issues)
	}
	want := map[string]int64{
		"":                                1,
		"chuong-vi/dieu-28":               1, // was Điều 27
		"chuong-vi/dieu-29":               1, // was Điều 28
		"chuong-ii/dieu-7/khoan-1/diem-b": 1, // reworded, same place
		"chuong-ii/dieu-9":                1, // its clause 2 is gone: the comment stays with the article
	}
	if !sameCounts(v.CommentCounts, want) || v.RemovedComments != 1 || v.CommentsTotal != 6 {
		t.Fatalf("counts after version 2: %v (removed %d), want %v", v.CommentCounts, v.RemovedComments, want)
	}

	// Comments show on their parts' new anchors.
	a28 := "chuong-vi/dieu-28"
	p, err := e.svc.Comments(ctx, id, CommentFilter{Anchor: &a28})
	if err != nil || p.Total != 1 || p.Items[0].ID != on["chuong-vi/dieu-27"] || p.Items[0].Anchor != a28 || p.Items[0].Version != 1 {
		t.Fatalf("Điều 28's comments: %v %+v", err, p)
	}
	all, _ := e.svc.Comments(ctx, id, CommentFilter{})
	for _, c := range all.Items {
		if c.ID == on["chuong-iv/muc-1/dieu-13"] && (!c.Removed || c.Anchor != "chuong-iv/muc-1/dieu-13") {
			t.Errorf("the comment on the removed article: %+v", c)
		}
	}

	// A comment on version 2's new Điều 27 is its own.
	e.clock.Set(vn(t, "2025-03-12 08:00"))
	r := e.comment(id, CommentInput{Anchor: "chuong-vi/dieu-27", Body: "Ý kiến về điều mới bổ sung."})
	if _, err := e.svc.Approve(ctx, e.officer, r.ID); err != nil {
		t.Fatal(err)
	}
	if v := e.get(id); v.CommentCounts["chuong-vi/dieu-27"] != 1 || v.CommentCounts["chuong-vi/dieu-28"] != 1 {
		t.Fatalf("counts %v", v.CommentCounts)
	}

	// The diff names the articles that changed.
	d, err := e.svc.Diff(ctx, id, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range d.Changes {
		got = append(got, c.Change+" "+c.OldNumber+">"+c.Number)
	}
	wantChanges := "modified 7>7 modified 9>9 removed 13> added >27 renumbered 27>28 renumbered 28>29"
	if strings.Join(got, " ") != wantChanges {
		t.Errorf("changes %q, want %q", strings.Join(got, " "), wantChanges)
	}
	if d.Unchanged != 23 { // 28 articles, five changed
		t.Errorf("%d unchanged", d.Unchanged)
	}
	if dd, _ := e.svc.Diff(ctx, id, 0, 0); dd.From != 1 || dd.To != 2 {
		t.Errorf("default diff %d..%d", dd.From, dd.To)
	}
	_, err = e.svc.Diff(ctx, id, 1, 3)
	wantProblem(t, err, problem.KindValidation, "to=field.version.unknown")
	old, err := e.svc.GetVersion(ctx, id, 1)
	if err != nil || len(old.Structure) != 6 || old.Structure[3].Children[0].Children[1].Anchor != "chuong-iv/muc-1/dieu-13" {
		t.Fatalf("version 1 kept: %v", err)
	}

	// Version 3 inserts a chapter before Chương VI: version 1's Điều 27
	// (version 2's 28) is now in Chương VII; the aliases compose.
	v3 := strings.Replace(revise(reg), "Chương VI \n", "Chương VI\nGIÁM SÁT\nĐiều 23a. Giám sát\nNội dung mới về giám sát việc cung cấp thông tin.\nChương VII\n", 1)
	v, err = e.svc.AddVersion(ctx, e.editor, id, VersionInput{Draft: DraftInput{Text: v3}})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]int64{
		"":                                1,
		"chuong-vii/dieu-27":              1,
		"chuong-vii/dieu-28":              1,
		"chuong-vii/dieu-29":              1,
		"chuong-ii/dieu-7/khoan-1/diem-b": 1,
		"chuong-ii/dieu-9":                1,
	}
	if !sameCounts(v.CommentCounts, want) || v.RemovedComments != 1 {
		t.Fatalf("counts after version 3: %v (removed %d), want %v", v.CommentCounts, v.RemovedComments, want)
	}
	a := "chuong-vii"
	if p, _ := e.svc.Comments(ctx, id, CommentFilter{Anchor: &a, Subtree: true}); p.Total != 3 {
		t.Errorf("Chương VII has %d comments", p.Total)
	}
	if err := e.svc.Store.Recount(ctx, id, e.svc.now); err != nil {
		t.Fatal(err)
	}
	if v := e.get(id); !sameCounts(v.CommentCounts, want) || v.RemovedComments != 1 {
		t.Errorf("recount %v", v.CommentCounts)
	}

	// The synthesis groups by the current draft, removed parts last.
	syn, err := e.svc.PreviewSynthesis(ctx, e.officer, id)
	if err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, g := range syn.Groups {
		groups = append(groups, fmt.Sprintf("%s:%d", g.Citation, g.Counts.Comments))
	}
	if got := strings.Join(groups, " "); got != "Toàn bộ dự thảo:1 Điều 7:1 Điều 9:1 Điều 27:1 Điều 28:1 Điều 29:1 Các phần đã bỏ khỏi dự thảo:1" {
		t.Errorf("groups %s", got)
	}
	if last := syn.Groups[len(syn.Groups)-1]; !last.Removed || last.Comments[0].Citation != "Điều 13" {
		t.Errorf("removed group %+v", last)
	}
}

// TestConcurrentApprovals approves many comments at once, while an editor
// uploads a revised draft: every count must be right at the end.
func TestConcurrentApprovals(t *testing.T) {
	e := newEnv(t, sqliteDB(t))
	ctx := context.Background()
	reg := regulationText(t)
	id := e.create(reg).ID
	e.clock.Set(vn(t, "2025-03-11 08:00"))
	anchors := []string{"", "chuong-ii/dieu-7", "chuong-ii/dieu-7/khoan-1/diem-dd", "chuong-vi/dieu-27", "chuong-iv/muc-1/dieu-13", "chuong-i/dieu-1"}
	var ids []string
	for i := range 60 {
		r := e.comment(id, CommentInput{Anchor: anchors[i%len(anchors)], Body: fmt.Sprintf("Ý kiến số %d về dự thảo.", i)})
		ids = append(ids, r.ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(ids)+1)
	work := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cid := range work {
				if _, err := e.svc.Approve(ctx, e.officer, cid); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := e.svc.AddVersion(ctx, e.editor, id, VersionInput{Draft: DraftInput{Text: revise(reg)}}); err != nil {
			errs <- err
		}
	}()
	for _, cid := range ids {
		work <- cid
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Entries a contended drain left behind are the worker's.
	w := &Worker{Store: e.svc.Store, Now: e.svc.now}
	if _, err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	v := e.get(id)
	want := map[string]int64{"": 10, "chuong-ii/dieu-7": 10, "chuong-ii/dieu-7/khoan-1/diem-dd": 10, "chuong-vi/dieu-28": 10, "chuong-i/dieu-1": 10}
	if !sameCounts(v.CommentCounts, want) || v.RemovedComments != 10 || v.CommentsTotal != 60 || v.Version != 2 {
		t.Fatalf("counts %v removed %d total %d version %d, want %v", v.CommentCounts, v.RemovedComments, v.CommentsTotal, v.Version, want)
	}
	if n, _ := e.db.Collection(collComments).Count(ctx, store.Query{Where: []store.Cond{store.Where("pending", store.Eq, true)}}); n != 0 {
		t.Errorf("%d comments with pending entries", n)
	}
}

// TestWorkerAppliesOnce leaves an approval's count entry in the outbox, as a
// process stopping between the two writes would, and checks that the worker
// applies it once, however often it runs.
func TestWorkerAppliesOnce(t *testing.T) {
	e := newEnv(t, sqliteDB(t))
	ctx := context.Background()
	id := e.create(regulationText(t)).ID
	e.clock.Set(vn(t, "2025-03-11 08:00"))
	r := e.comment(id, CommentInput{Anchor: "chuong-ii/dieu-7", Body: "Ý kiến chờ được đếm."})
	m, err := e.svc.transition(ctx, e.officer, r.ID, "approve",
		func(m *Comment) error { return commentIn(m, CommentPending) },
		func(m *Comment, _ *AuditEntry) {
			m.State = CommentApproved
			m.Public = publicComment(m)
			count(m, +1, e.svc.now())
		})
	if err != nil || !m.Pending {
		t.Fatalf("%v %+v", err, m)
	}
	if v := e.get(id); v.CommentsTotal != 0 {
		t.Fatalf("counted before the worker ran: %d", v.CommentsTotal)
	}
	entry := m.Outbox[0]
	w := &Worker{Store: e.svc.Store, Now: e.svc.now}
	for i, want := range []int{1, 0} {
		if n, err := w.RunOnce(ctx); err != nil || n != want {
			t.Fatalf("run %d drained %d, %v", i, n, err)
		}
	}
	if err := e.svc.Store.applyCount(ctx, id, entry, e.svc.now); err != nil {
		t.Fatal(err)
	}
	if v := e.get(id); v.CommentsTotal != 1 || v.CommentCounts["chuong-ii/dieu-7"] != 1 {
		t.Fatalf("counts %v total %d", v.CommentCounts, v.CommentsTotal)
	}
	// Withdrawing the approved comment takes it out of the counts.
	if _, err := e.svc.Reject(ctx, e.officer, r.ID, "Trùng lặp."); err != nil {
		t.Fatal(err)
	}
	if v := e.get(id); v.CommentsTotal != 0 || len(v.CommentCounts) != 0 {
		t.Fatalf("after withdrawal: %v total %d", v.CommentCounts, v.CommentsTotal)
	}
}

func TestList(t *testing.T) {
	e := newEnv(t, sqliteDB(t))
	ctx := context.Background()
	mk := func(title, agency, opens, closes string) string {
		t.Helper()
		ed := &Actor{ID: "u-admin", Name: "Quản trị", Roles: e.editor.Roles}
		ed.Roles = append(ed.Roles, e.outsider.Roles...)
		v, err := e.svc.Create(ctx, ed, CreateInput{Agency: agency, Title: title, OpensAt: opens, ClosesAt: closes,
			ShortPeriodReason: "Thử nghiệm.", Draft: DraftInput{Text: "Điều 1. X\nNội dung."}})
		if err != nil {
			t.Fatal(err)
		}
		return v.ID
	}
	e.clock.Set(vn(t, "2024-12-31 08:00"))
	closed := mk("Dự thảo đã đóng", "sotp", "2025-01-01", "2025-01-31")
	published := mk("Dự thảo đã tổng hợp", "sotp", "2025-01-02", "2025-01-20")
	open := mk("Dự thảo đang mở", "sotp", "2025-02-01", "2025-03-31")
	health := mk("Dự thảo của Sở Y tế", "soyt", "2025-02-10", "2025-03-20")
	scheduled := mk("Dự thảo sắp mở", "sotp", "2025-04-01", "2025-05-01")
	e.clock.Set(vn(t, "2025-02-15 08:00"))
	if _, err := e.svc.PublishSynthesis(ctx, e.editor, published); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f    ListFilter
		want []string
	}{
		{ListFilter{}, []string{scheduled, health, open, published, closed}},
		{ListFilter{Agency: "sotp"}, []string{scheduled, open, published, closed}},
		{ListFilter{Agency: "sotp", PerPage: 2, Page: 2}, []string{published, closed}},
		{ListFilter{State: StateOpen}, []string{health, open}},
		{ListFilter{State: StateScheduled}, []string{scheduled}},
		{ListFilter{State: StateClosed}, []string{closed}},
		{ListFilter{State: StateSynthesisPublished}, []string{published}},
		{ListFilter{Agency: "soyt", State: StateOpen}, []string{health}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s %d", tc.f.Agency, tc.f.State, tc.f.Page), func(t *testing.T) {
			p, err := e.svc.List(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range p.Items {
				got = append(got, it.ID)
				if tc.f.State != "" && it.State != tc.f.State {
					t.Errorf("%s in state %s", it.Title, it.State)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if tc.f.PerPage == 0 && p.Total != int64(len(tc.want)) {
				t.Errorf("total %d", p.Total)
			}
		})
	}
	_, err := e.svc.List(ctx, ListFilter{State: "draft"})
	wantProblem(t, err, problem.KindValidation, "state=field.state.oneof")
	_, err = e.svc.List(ctx, ListFilter{Agency: "nowhere"})
	wantProblem(t, err, problem.KindValidation, "agency=field.agency.unknown")
	if _, err := e.svc.Close(ctx, e.editor, scheduled); !problem.Is(err, problem.KindConflict) {
		t.Errorf("closing a scheduled consultation: %v", err)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		end  bool
		want string // UTC
		ok   bool
	}{
		{"2025-03-10T08:00:00+07:00", false, "2025-03-10T01:00:00Z", true},
		{"2025-03-10T08:00", false, "2025-03-10T01:00:00Z", true},
		{"2025-03-10 08:00", false, "2025-03-10T01:00:00Z", true},
		{"10/03/2025 08:00", false, "2025-03-10T01:00:00Z", true},
		{"2025-03-10", false, "2025-03-09T17:00:00Z", true},
		{"2025-03-10", true, "2025-03-10T16:59:59Z", true},
		{"10/03/2025", true, "2025-03-10T16:59:59Z", true},
		{"2025-02-30", false, "", false},
		{"", false, "", false},
		{"tomorrow", false, "", false},
	}
	for _, tc := range tests {
		got, ok := ParseTime(tc.in, tc.end)
		if ok != tc.ok || ok && got.Format(time.RFC3339) != tc.want {
			t.Errorf("ParseTime(%q, %v) = %v %v, want %s %v", tc.in, tc.end, got, ok, tc.want, tc.ok)
		}
	}
	if n := PeriodDays(vn(t, "2025-04-01 08:00"), vn(t, "2025-04-30 23:59").Add(59*time.Second)); n != 30 {
		t.Errorf("April: %d days", n)
	}
	if n := PeriodDays(vn(t, "2025-04-01 00:00"), vn(t, "2025-05-01 00:00")); n != 30 {
		t.Errorf("April to midnight: %d days", n)
	}
}
