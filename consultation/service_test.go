package consultation

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"tuongtac/problem"
	"tuongtac/store"
	"tuongtac/store/mongo/mongotest"
)

// TestLifecycle runs a consultation's whole life on a real SQLite file and
// on a MongoDB-protocol server (FerretDB embedded in the test).
func TestLifecycle(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { lifecycle(t, newEnv(t, sqliteDB(t))) })
	t.Run("ferretdb", func(t *testing.T) {
		if testing.Short() {
			t.Skip("short: no FerretDB run")
		}
		lifecycle(t, newEnv(t, mongotest.Open(t, false)))
	})
}

func lifecycle(t *testing.T, e *env) {
	ctx := context.Background()
	svc := e.svc

	// Create: the regulation as the draft, scheduled.
	v := e.create(regulationText(t))
	if v.State != StateScheduled || v.Version != 1 || len(v.Structure) != 6 || len(v.Issues) != 0 {
		t.Fatalf("created: state %s, version %d, %d top-level nodes, issues %v", v.State, v.Version, len(v.Structure), v.Issues)
	}
	if len(v.CommentCounts) != 0 || v.CommentsTotal != 0 {
		t.Fatalf("counts at creation: %v", v.CommentCounts)
	}
	id := v.ID

	// Before the period: refused, nothing stored.
	_, err := svc.Comment(ctx, id, CommentInput{Body: "Góp ý sớm về dự thảo.", Consent: true}, Meta{})
	wantProblem(t, err, problem.KindConflict, "conflict.consultation_not_open")
	if n := e.count(collComments); n != 0 {
		t.Fatalf("%d comments stored before the period", n)
	}

	// Open: comments on the whole draft, an article, a point.
	e.clock.Set(vn(t, "2025-03-10 09:00"))
	if st := e.get(id).State; st != StateOpen {
		t.Fatalf("state %s at 09:00 on the opening day", st)
	}
	whole := e.comment(id, CommentInput{Body: "Tôi là Nguyễn Văn An, số điện thoại 0918 234 567, đề nghị rút ngắn thời hạn trả lời.", Name: "Nguyễn Văn An", Email: "an.nguyen@example.vn"})
	art := e.comment(id, CommentInput{Anchor: "chuong-ii/dieu-7", Body: "Đề nghị bổ sung trách nhiệm công khai kết quả tiếp thu ý kiến.", Name: "Lê Văn Cường", Email: "cuong@hoiluatgia.vn", Organisation: "Hội Luật gia tỉnh An Giang"})
	pointDD := e.comment(id, CommentInput{Anchor: "chuong-ii/dieu-7/khoan-1/diem-dd", Body: "Nên quy định rõ thời hạn công khai thông tin tương tác.", Name: "Trần Thị Bình", ShowName: true})
	pointDD2 := e.comment(id, CommentInput{Anchor: "chuong-ii/dieu-7/khoan-1/diem-dd", Body: "Đồng ý với điểm đ, cần thêm định dạng dữ liệu mở."})
	spam := e.comment(id, CommentInput{Anchor: "chuong-i/dieu-1", Body: "Mua bán tài khoản giá rẻ, liên hệ ngay."})
	if whole.State != CommentPending {
		t.Fatalf("receipt %+v", whole)
	}
	if v := e.get(id); len(v.CommentCounts) != 0 {
		t.Fatalf("pending comments counted: %v", v.CommentCounts)
	}
	if p, _ := svc.Comments(ctx, id, CommentFilter{}); len(p.Items) != 0 {
		t.Fatalf("pending comments shown: %+v", p.Items)
	}

	// Moderation queue: the agency's officers see the five, oldest first.
	q, err := svc.Queue(ctx, e.officer, QueueFilter{})
	if err != nil || len(q) != 5 || q[0].ID != whole.ID || q[0].ConsultationTitle == "" {
		t.Fatalf("queue %v %+v", err, q)
	}
	if q, err := svc.Queue(ctx, e.outsider, QueueFilter{}); err != nil || len(q) != 0 {
		t.Fatalf("outsider's queue %v %+v", err, q)
	}
	_, err = svc.Queue(ctx, e.outsider, QueueFilter{Consultation: id})
	wantProblem(t, err, problem.KindForbidden, "error.forbidden")
	_, err = svc.Approve(ctx, e.outsider, whole.ID)
	wantProblem(t, err, problem.KindForbidden, "error.forbidden")

	for _, r := range []*CommentReceipt{whole, art, pointDD, pointDD2} {
		m, err := svc.Approve(ctx, e.officer, r.ID)
		if err != nil || m.State != CommentApproved {
			t.Fatalf("approve %s: %v", r.ID, err)
		}
	}
	_, err = svc.Approve(ctx, e.officer, whole.ID)
	wantProblem(t, err, problem.KindConflict, "conflict.comment_state")
	_, err = svc.Reject(ctx, e.officer, spam.ID, "  ")
	wantProblem(t, err, problem.KindValidation, "reason=field.reason.required")
	if m, err := svc.Reject(ctx, e.officer, spam.ID, "Quảng cáo, không liên quan đến dự thảo."); err != nil || m.State != CommentRejected {
		t.Fatalf("reject: %v", err)
	}

	// Counts: approved only, by anchor, rolled up to ancestors.
	v = e.get(id)
	wantCounts := map[string]int64{"": 1, "chuong-ii/dieu-7": 1, "chuong-ii/dieu-7/khoan-1/diem-dd": 2}
	if !sameCounts(v.CommentCounts, wantCounts) || v.CommentsTotal != 4 {
		t.Fatalf("counts %v (total %d), want %v", v.CommentCounts, v.CommentsTotal, wantCounts)
	}
	if v.CommentTotals["chuong-ii/dieu-7"] != 3 || v.CommentTotals["chuong-ii"] != 3 || v.CommentTotals["chuong-ii/dieu-7/khoan-1"] != 2 || v.CommentTotals["chuong-i/dieu-1"] != 0 {
		t.Fatalf("totals %v", v.CommentTotals)
	}

	// Public comments: masked; by part.
	all, err := svc.Comments(ctx, id, CommentFilter{})
	if err != nil || all.Total != 4 || len(all.Items) != 4 {
		t.Fatalf("comments %v %+v", err, all)
	}
	raw, _ := json.Marshal(all)
	for _, secret := range []string{"0918 234 567", "Nguyễn Văn An", "an.nguyen@example.vn", "cuong@hoiluatgia.vn", "Lê Văn Cường"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("public comments show %q: %s", secret, raw)
		}
	}
	if !bytes.Contains(raw, []byte("Trần Thị Bình")) || !bytes.Contains(raw, []byte("Hội Luật gia tỉnh An Giang")) {
		t.Errorf("the shown name and the organisation are missing: %s", raw)
	}
	a7 := "chuong-ii/dieu-7"
	if p, _ := svc.Comments(ctx, id, CommentFilter{Anchor: &a7, Subtree: true}); p.Total != 3 {
		t.Errorf("Điều 7 with its points: %d comments", p.Total)
	}
	if p, _ := svc.Comments(ctx, id, CommentFilter{Anchor: &a7}); p.Total != 1 || p.Items[0].ID != art.ID {
		t.Errorf("Điều 7 alone: %+v", p)
	}
	draft := ""
	if p, _ := svc.Comments(ctx, id, CommentFilter{Anchor: &draft}); p.Total != 1 || p.Items[0].ID != whole.ID {
		t.Errorf("whole draft: %+v", p)
	}

	// Responses.
	_, err = svc.Respond(ctx, e.officer, art.ID, ResponseInput{Outcome: OutcomeNotAccepted})
	wantProblem(t, err, problem.KindValidation, "text=field.response.text.required")
	_, err = svc.Respond(ctx, e.officer, art.ID, ResponseInput{Outcome: "maybe", Text: "x"})
	wantProblem(t, err, problem.KindValidation, "outcome=field.outcome.oneof")
	_, err = svc.Respond(ctx, e.officer, spam.ID, ResponseInput{Outcome: OutcomeNoted})
	wantProblem(t, err, problem.KindConflict, "conflict.comment_state")
	responses := []struct {
		id string
		in ResponseInput
	}{
		{whole.ID, ResponseInput{Outcome: OutcomeAccepted, Text: "Tiếp thu; gửi ông Nguyễn Văn An lời cảm ơn."}},
		{art.ID, ResponseInput{Outcome: OutcomePartly, Text: "Bổ sung tại khoản 2 Điều 7."}},
		{pointDD.ID, ResponseInput{Outcome: OutcomeNotAccepted, Text: "Thời hạn đã quy định tại văn bản khác."}},
	}
	for _, r := range responses {
		if _, err := svc.Respond(ctx, e.officer, r.id, r.in); err != nil {
			t.Fatalf("respond: %v", err)
		}
	}

	// Publishing needs a closed period.
	_, err = svc.PublishSynthesis(ctx, e.editor, id)
	wantProblem(t, err, problem.KindConflict, "conflict.consultation_state")
	_, err = svc.Close(ctx, e.officer, id)
	wantProblem(t, err, problem.KindForbidden, "error.forbidden")
	e.clock.Set(vn(t, "2025-03-20 10:00"))
	if v, err := svc.Close(ctx, e.editor, id); err != nil || v.State != StateClosed || !v.ClosedEarly {
		t.Fatalf("close: %v %+v", err, v)
	}
	_, err = svc.Comment(ctx, id, CommentInput{Body: "Góp ý muộn về dự thảo.", Consent: true}, Meta{})
	wantProblem(t, err, problem.KindConflict, "conflict.consultation_closed")

	// ...and every comment answered.
	_, err = svc.PublishSynthesis(ctx, e.editor, id)
	wantProblem(t, err, problem.KindConflict, "conflict.synthesis_incomplete")
	if _, err := svc.Synthesis(ctx, id); !problem.Is(err, problem.KindNotFound) {
		t.Fatalf("synthesis before publication: %v", err)
	}
	preview, err := svc.PreviewSynthesis(ctx, e.officer, id)
	if err != nil || preview.Published || preview.Totals.Unanswered != 1 {
		t.Fatalf("preview %v %+v", err, preview)
	}
	if _, err := svc.Respond(ctx, e.officer, pointDD2.ID, ResponseInput{Outcome: OutcomeNoted}); err != nil {
		t.Fatal(err)
	}
	v, err = svc.PublishSynthesis(ctx, e.editor, id)
	if err != nil || v.State != StateSynthesisPublished || v.SynthesisPublishedAt == nil {
		t.Fatalf("publish: %v %+v", err, v)
	}
	_, err = svc.PublishSynthesis(ctx, e.editor, id)
	wantProblem(t, err, problem.KindConflict, "conflict.synthesis_published")
	_, err = svc.Respond(ctx, e.officer, whole.ID, ResponseInput{Outcome: OutcomeNoted})
	wantProblem(t, err, problem.KindConflict, "conflict.synthesis_published")

	// The synthesis: grouped by article, counted, masked.
	syn, err := svc.Synthesis(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if syn.Totals != (Tally{Comments: 4, Accepted: 1, Partly: 1, NotAccepted: 1, Noted: 1}) {
		t.Errorf("totals %+v", syn.Totals)
	}
	if len(syn.Groups) != 2 || syn.Groups[0].Anchor != "" || syn.Groups[1].Anchor != "chuong-ii/dieu-7" {
		t.Fatalf("groups %+v", syn.Groups)
	}
	g := syn.Groups[1]
	if g.Citation != "Điều 7" || g.Title != "Tương tác với tổ chức, cá nhân trên môi trường mạng" || g.Counts.Comments != 3 || g.Counts.Partly != 1 || g.Counts.NotAccepted != 1 || g.Counts.Noted != 1 {
		t.Errorf("Điều 7 group %+v", g)
	}
	if g.Comments[1].Citation != "Điểm đ khoản 1 Điều 7" || g.Comments[1].CitationEN != "Article 7(1)(đ)" || g.Comments[1].Name != "Trần Thị Bình" {
		t.Errorf("point đ comment %+v", g.Comments[1])
	}
	raw, _ = json.Marshal(syn)
	for _, secret := range []string{"0918 234 567", "Nguyễn Văn An", "an.nguyen@example.vn", "Lê Văn Cường"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("synthesis shows %q", secret)
		}
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, syn); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\uFEFF")) {
		t.Error("CSV without a byte-order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
	if err != nil || len(rows) != 5 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("CSV %v: %q", err, rows)
	}
	if rows[2][2] != "Điều 7" || rows[2][11] != OutcomePartly || rows[2][9] != "Hội Luật gia tỉnh An Giang" {
		t.Errorf("CSV row %q", rows[2])
	}
	if strings.Contains(buf.String(), "0918 234 567") || strings.Contains(buf.String(), "Nguyễn Văn An") {
		t.Error("CSV shows personal data")
	}

	// Audit trails.
	c, err := svc.Editor(ctx, e.officer, id)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range c.Audit {
		actions = append(actions, a.Action+":"+a.To)
	}
	if strings.Join(actions, " ") != "create:scheduled close:closed publish_synthesis:synthesis_published" {
		t.Errorf("consultation audit %v", actions)
	}
	m, err := svc.GetComment(ctx, e.officer, art.ID)
	if err != nil || m.Author.Email != "cuong@hoiluatgia.vn" {
		t.Fatalf("officer's view %v %+v", err, m)
	}
	actions = nil
	for _, a := range m.Audit {
		actions = append(actions, a.Action+":"+a.Actor)
	}
	if strings.Join(actions, " ") != "submitted:citizen approve:u-minh respond:u-minh" || m.Pending {
		t.Errorf("comment audit %v, pending %v", actions, m.Pending)
	}
	if m.Author.IPHash != "h" {
		t.Errorf("client hash not stored: %+v", m.Author)
	}
	if raw, _ := json.Marshal(m.Officer()); bytes.Contains(raw, []byte(`"ip_hash"`)) || bytes.Contains(raw, []byte(`"outbox"`)) || !bytes.Contains(raw, []byte("cuong@hoiluatgia.vn")) {
		t.Errorf("officer's JSON %s", raw)
	}
	if _, err := svc.GetComment(ctx, e.outsider, art.ID); !problem.Is(err, problem.KindForbidden) {
		t.Errorf("outsider reads a comment: %v", err)
	}
}

func sameCounts(got, want map[string]int64) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func TestCreateBadInput(t *testing.T) {
	e := newEnv(t, sqliteDB(t))
	ctx := context.Background()
	good := func() CreateInput {
		return CreateInput{
			Agency: "sotp", Title: "Dự thảo quy chế", OpensAt: "2025-03-10", ClosesAt: "2025-04-09",
			Draft: DraftInput{Text: "Điều 1. Phạm vi\nQuy chế này áp dụng trong tỉnh."},
		}
	}
	bigFile := make([]byte, 50<<20)
	copy(bigFile, "PK\x03\x04")
	tests := []struct {
		name  string
		actor *Actor
		edit  func(in *CreateInput)
		kind  problem.Kind
		key   string
	}{
		{"no agency", nil, func(in *CreateInput) { in.Agency = "" }, problem.KindValidation, "agency=field.consultation.agency.required"},
		{"unknown agency", nil, func(in *CreateInput) { in.Agency = "nowhere" }, problem.KindValidation, "agency=field.agency.unknown"},
		{"another agency's editor", e.outsider, nil, problem.KindForbidden, "error.forbidden"},
		{"an officer, not an editor", e.officer, nil, problem.KindForbidden, "error.forbidden"},
		{"no title", nil, func(in *CreateInput) { in.Title = "  " }, problem.KindValidation, "title=field.consultation.title.required"},
		{"short title", nil, func(in *CreateInput) { in.Title = "Dự" }, problem.KindValidation, "title=field.title.min"},
		{"no opening", nil, func(in *CreateInput) { in.OpensAt = "" }, problem.KindValidation, "opens_at=field.opens_at.required"},
		{"bad opening", nil, func(in *CreateInput) { in.OpensAt = "next monday" }, problem.KindValidation, "opens_at=field.opens_at.invalid"},
		{"opening in the past", nil, func(in *CreateInput) { in.OpensAt = "2025-03-01" }, problem.KindValidation, "opens_at=field.opens_at.past"},
		{"closing before opening", nil, func(in *CreateInput) { in.ClosesAt = "2025-03-09" }, problem.KindValidation, "closes_at=field.closes_at.before_open"},
		{"a period of years", nil, func(in *CreateInput) { in.ClosesAt = "2027-03-09" }, problem.KindValidation, "closes_at=field.closes_at.too_far"},
		{"a short period without a reason", nil, func(in *CreateInput) { in.ClosesAt = "2025-03-20" }, problem.KindValidation, "short_period_reason=field.short_period_reason.required"},
		{"no draft", nil, func(in *CreateInput) { in.Draft.Text = " \n " }, problem.KindValidation, "text=field.text.required"},
		{"unknown format", nil, func(in *CreateInput) { in.Draft.Format = "pdf" }, problem.KindValidation, "format=field.format.oneof"},
		{"docx without a file", nil, func(in *CreateInput) { in.Draft = DraftInput{Format: "docx"} }, problem.KindValidation, "file=field.file.required"},
		{"a DOCX that is not a zip", nil, func(in *CreateInput) { in.Draft = DraftInput{File: []byte("Điều 1. Không phải DOCX")} }, problem.KindValidation, "file=field.file.not_docx"},
		{"a legacy .doc", nil, func(in *CreateInput) {
			in.Draft = DraftInput{File: append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 100)...)}
		}, problem.KindValidation, "file=field.file.legacy_doc"},
		{"a DOCX without text", nil, func(in *CreateInput) { in.Draft = DraftInput{File: smallDOCX(t)} }, problem.KindValidation, "file=field.file.empty"},
		{"a zip bomb", nil, func(in *CreateInput) { in.Draft = DraftInput{File: zipBomb(t)} }, problem.KindValidation, "file=field.file.unpacked_too_large"},
		{"a 50 MB upload", nil, func(in *CreateInput) { in.Draft = DraftInput{File: bigFile} }, problem.KindTooLarge, "error.file_too_large"},
		{"too much text", nil, func(in *CreateInput) { in.Draft.Text = strings.Repeat("Điều 1. X\n", 300000) }, problem.KindValidation, "text=field.text.too_long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := good()
			if tc.edit != nil {
				tc.edit(&in)
			}
			a := tc.actor
			if a == nil {
				a = e.editor
			}
			_, err := e.svc.Create(ctx, a, in)
			wantProblem(t, err, tc.kind, tc.key)
			if n, m := e.count(collConsultations), e.count(collVersions); n != 0 || m != 0 {
				t.Fatalf("stored %d consultations and %d versions", n, m)
			}
		})
	}

	t.Run("a short period with a reason", func(t *testing.T) {
		in := good()
		in.ClosesAt, in.ShortPeriodReason = "2025-03-20", "Văn bản cần ban hành gấp để thi hành luật mới."
		v, err := e.svc.Create(ctx, e.editor, in)
		if err != nil || v.ShortPeriodReason == "" || PeriodDays(v.OpensAt, v.ClosesAt) != 11 {
			t.Fatalf("%v %+v", err, v)
		}
	})
	t.Run("a configured minimum", func(t *testing.T) {
		svc := *e.svc
		svc.MinPeriodDays = 60
		_, err := svc.Create(ctx, e.editor, good())
		wantProblem(t, err, problem.KindValidation, "short_period_reason=field.short_period_reason.required")
	})
	t.Run("duplicated article numbers are kept and flagged", func(t *testing.T) {
		in := good()
		in.Draft.Text = "Điều 1. Một\nNội dung.\nĐiều 1. Lặp lại\nNội dung.\nĐiều 3. Ba\nNội dung."
		v, err := e.svc.Create(ctx, e.editor, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Issues) != 2 || v.Issues[0].Code != "duplicate_number" || v.Structure[1].Anchor != "dieu-1-2" {
			t.Errorf("issues %+v", v.Issues)
		}
	})
	t.Run("markdown and a real DOCX", func(t *testing.T) {
		in := good()
		in.Draft = DraftInput{Format: "markdown", Text: "## Chương I\n## QUY ĐỊNH CHUNG\n### Điều 1. Phạm vi\nNội dung."}
		v, err := e.svc.Create(ctx, e.editor, in)
		if err != nil || v.Structure[0].Anchor != "chuong-i" || v.Structure[0].Children[0].Anchor != "chuong-i/dieu-1" {
			t.Fatalf("markdown: %v %+v", err, v)
		}
		in.Draft = DraftInput{File: smallDOCX(t, "Điều 1. Phạm vi", "1. Khoản một.", "a) Điểm a."), Filename: "du-thao.docx"}
		v, err = e.svc.Create(ctx, e.editor, in)
		if err != nil || v.Structure[0].Children[0].Children[0].Anchor != "dieu-1/khoan-1/diem-a" {
			t.Fatalf("docx: %v %+v", err, v)
		}
	})
	t.Run("ReadFile refuses a large upload", func(t *testing.T) {
		_, err := e.svc.ReadFile(bytes.NewReader(bigFile))
		wantProblem(t, err, problem.KindTooLarge, "error.file_too_large")
	})
}

func TestCommentBadInput(t *testing.T) {
	e := newEnv(t, sqliteDB(t))
	ctx := context.Background()
	id := e.create(regulationText(t)).ID
	e.clock.Set(vn(t, "2025-03-12 10:00"))
	good := func() CommentInput {
		return CommentInput{Anchor: "chuong-ii/dieu-7/khoan-1/diem-c", Body: "Đề nghị làm rõ hình thức tham gia.", Name: "Phạm Văn Dũng", Email: "dung@example.vn", Consent: true}
	}
	tests := []struct {
		name string
		edit func(in *CommentInput)
		id   string
		kind problem.Kind
		key  string
	}{
		{"an anchor that does not exist", func(in *CommentInput) { in.Anchor = "chuong-ii/dieu-7/khoan-9" }, "", problem.KindValidation, "anchor=field.anchor.unknown"},
		{"an anchor of the wrong shape", func(in *CommentInput) { in.Anchor = "Điều 7" }, "", problem.KindValidation, "anchor=field.anchor.unknown"},
		{"a very long anchor", func(in *CommentInput) { in.Anchor = strings.Repeat("a/", 400) }, "", problem.KindValidation, "anchor=field.anchor.unknown"},
		{"no consent", func(in *CommentInput) { in.Consent = false }, "", problem.KindValidation, "consent=field.comment.consent.required"},
		{"no body", func(in *CommentInput) { in.Body = "\u200b \n" }, "", problem.KindValidation, "body=field.comment.body.required"},
		{"a short body", func(in *CommentInput) { in.Body = "Ok" }, "", problem.KindValidation, "body=field.comment.body.min"},
		{"a long body", func(in *CommentInput) { in.Body = strings.Repeat("ý ", 6000) }, "", problem.KindValidation, "body=field.comment.body.max"},
		{"markup in the name", func(in *CommentInput) { in.Name = "<script>x</script>" }, "", problem.KindValidation, "name=field.name.markup"},
		{"a bad email", func(in *CommentInput) { in.Email = "not-an-email" }, "", problem.KindValidation, "email=field.email"},
		{"markup in the organisation", func(in *CommentInput) { in.Organisation = "<b>Hội</b>" }, "", problem.KindValidation, "organisation=field.organisation.markup"},
		{"an unknown consultation", nil, "nope", problem.KindNotFound, "error.not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := good()
			if tc.edit != nil {
				tc.edit(&in)
			}
			cid := id
			if tc.id != "" {
				cid = tc.id
			}
			_, err := e.svc.Comment(ctx, cid, in, Meta{})
			wantProblem(t, err, tc.kind, tc.key)
			if n := e.count(collComments); n != 0 {
				t.Fatalf("%d comments stored", n)
			}
		})
	}
	t.Run("the same comment twice", func(t *testing.T) {
		if _, err := e.svc.Comment(ctx, id, good(), Meta{}); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Comment(ctx, id, good(), Meta{})
		wantProblem(t, err, problem.KindConflict, "conflict.comment_duplicate")
		if n := e.count(collComments); n != 1 {
			t.Fatalf("%d comments stored", n)
		}
	})
	t.Run("after the period", func(t *testing.T) {
		e.clock.Set(vn(t, "2025-04-09 17:00"))
		_, err := e.svc.Comment(ctx, id, CommentInput{Body: "Góp ý đúng lúc hết hạn.", Consent: true}, Meta{})
		wantProblem(t, err, problem.KindConflict, "conflict.consultation_closed")
		if n := e.count(collComments); n != 1 {
			t.Fatalf("%d comments stored", n)
		}
	})
}

// TestHotQueriesUseIndexes checks with SQLite's query planner that every
// list and queue on a request path reads an index, with no scan and no
// sort step.
func TestHotQueriesUseIndexes(t *testing.T) {
	e := newEnv(t, sqliteDB(t))
	type explainer interface {
		Explain(ctx context.Context, coll string, q store.Query) (string, error)
	}
	db := e.db.(explainer)
	now := e.clock.Now()
	type hot struct {
		name, coll string
		q          store.Query
	}
	var hots []hot
	for _, ag := range []string{"", "sotp", "longxuyen", "myhoa.longxuyen"} {
		for _, st := range []string{"", StateOpen, StateScheduled, StateClosed, StateSynthesisPublished} {
			hots = append(hots, hot{"list " + ag + " " + st, collConsultations, e.svc.ListQuery(ListFilter{Agency: ag, State: st, Page: 2, PerPage: 20}, now)})
		}
		if ag != "" {
			for _, st := range CommentStates {
				hots = append(hots, hot{"queue " + ag + " " + st, collComments, e.svc.QueueQuery(ag, st, false, 50)})
			}
			hots = append(hots, hot{"unanswered " + ag, collComments, e.svc.QueueQuery(ag, CommentApproved, true, 50)})
		}
	}
	base := []store.Cond{store.Where("consultation", store.Eq, "x"), store.Where("state", store.Eq, CommentApproved)}
	hots = append(hots,
		hot{"consultation queue", collComments, ConsultationQueueQuery("x", CommentPending, false, 50)},
		hot{"consultation unanswered", collComments, ConsultationQueueQuery("x", CommentApproved, true, 50)},
		hot{"public comments", collComments, store.Query{Where: base, Sort: []store.SortKey{{Field: "created_at"}}, Skip: 40, Limit: 20}},
		hot{"one part's comments", collComments, store.Query{Where: append(base, store.Where("anchor", store.Eq, "chuong-ii/dieu-7")), Sort: []store.SortKey{{Field: "created_at"}}, Limit: 5000}},
		hot{"outbox", collComments, store.Query{Where: []store.Cond{store.Where("pending", store.Eq, true)}, Sort: []store.SortKey{{Field: "updated_at"}}, Limit: 100}},
	)
	for _, h := range hots {
		plan, err := db.Explain(context.Background(), h.coll, h.q)
		if err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
		if strings.Contains(plan, "SCAN") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s scans or sorts:\n%s", h.name, plan)
		}
	}
}
