package consultation

import (
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"
)

// seeded is a consultation of the regulation with n approved, answered
// comments spread over the whole draft and each of its parts, on SQLite.
func seeded(b *testing.B, n int) (*env, string) {
	b.Helper()
	e := newEnv(b, sqliteDB(b))
	ctx := context.Background()
	id := e.create(regulationText(b)).ID
	_, ix, err := e.svc.Store.Version(ctx, id, 1)
	if err != nil {
		b.Fatal(err)
	}
	anchors := append([]string{""}, ix.Anchors()...)
	start := vn(b, "2025-03-10 08:00")
	var batch []*Comment
	for i := range n {
		at := start.Add(time.Duration(i) * time.Minute)
		m := &Comment{
			ID: newID(at), Consultation: id, ConsultationTitle: "Dự thảo", Agency: "sotp", A1: "ubnd-tinh", A2: "sotp",
			Version: 1, Anchor: anchors[i%len(anchors)],
			Body:   fmt.Sprintf("Ý kiến số %d: đề nghị cơ quan soạn thảo làm rõ phạm vi áp dụng và thời hạn thực hiện, liên hệ 0918 234 %03d.", i, i%1000),
			Author: Author{Name: fmt.Sprintf("Người góp ý %d", i), Email: fmt.Sprintf("nguoi%d@example.vn", i)},
			Lang:   "vi", State: CommentApproved, Responded: true, CreatedAt: at,
			Response: &Response{Outcome: Outcomes[i%len(Outcomes)], Text: "Cơ quan soạn thảo tiếp thu và chỉnh lý dự thảo.", By: "u-minh", ByName: "Anh Minh", At: at.Add(time.Hour)},
		}
		m.Public = publicComment(m)
		batch = append(batch, m)
		if len(batch) == 1000 || i == n-1 {
			if err := e.svc.Store.InsertComments(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := e.svc.Store.Recount(ctx, id, e.svc.now); err != nil {
		b.Fatal(err)
	}
	e.clock.Set(vn(b, "2025-03-20 08:00"))
	if v := e.get(id); v.CommentsTotal != int64(n) {
		b.Fatalf("seeded %d comments", v.CommentsTotal)
	}
	return e, id
}

// loopP95 runs fn in the benchmark loop and reports the 95th percentile.
func loopP95(b *testing.B, fn func()) {
	b.Helper()
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		fn()
		ds = append(ds, time.Since(t0))
	}
	slices.Sort(ds)
	if len(ds) > 0 {
		b.ReportMetric(float64(ds[len(ds)*95/100].Microseconds()), "p95-µs")
	}
}

// BenchmarkConsultationPage is what the public page reads with 5,000
// approved comments: the consultation with its structure and counts, and
// the first page of comments.
func BenchmarkConsultationPage(b *testing.B) {
	e, id := seeded(b, 5000)
	ctx := context.Background()
	loopP95(b, func() {
		v, err := e.svc.Get(ctx, id)
		if err != nil || v.CommentsTotal != 5000 {
			b.Fatal(err)
		}
		if _, err := e.svc.Comments(ctx, id, CommentFilter{}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkGet5000 is the consultation view alone: structure and counts.
func BenchmarkGet5000(b *testing.B) {
	e, id := seeded(b, 5000)
	ctx := context.Background()
	loopP95(b, func() {
		if _, err := e.svc.Get(ctx, id); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkArticleComments pages one article's comments (with its clauses
// and points) among 5,000.
func BenchmarkArticleComments(b *testing.B) {
	e, id := seeded(b, 5000)
	ctx := context.Background()
	a := "chuong-ii/dieu-7"
	loopP95(b, func() {
		if _, err := e.svc.Comments(ctx, id, CommentFilter{Anchor: &a, Subtree: true}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkSynthesis5000 generates the synthesis of 5,000 comments.
func BenchmarkSynthesis5000(b *testing.B) {
	e, id := seeded(b, 5000)
	ctx := context.Background()
	loopP95(b, func() {
		s, err := e.svc.PreviewSynthesis(ctx, e.officer, id)
		if err != nil || s.Totals.Comments != 5000 {
			b.Fatal(err)
		}
	})
}

// BenchmarkSynthesisCSV5000 generates the synthesis and writes its CSV.
func BenchmarkSynthesisCSV5000(b *testing.B) {
	e, id := seeded(b, 5000)
	ctx := context.Background()
	loopP95(b, func() {
		s, err := e.svc.PreviewSynthesis(ctx, e.officer, id)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteCSV(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	})
}
