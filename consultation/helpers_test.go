package consultation

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tuongtac/agencies"
	"tuongtac/problem"
	"tuongtac/store"
	"tuongtac/store/sqlite"
)

// clock is a settable clock shared by the service under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// env is a service on a real store with a clock and three officers.
type env struct {
	t        testing.TB
	db       store.DB
	svc      *Service
	clock    *clock
	editor   *Actor // editor of Sở Tư pháp
	officer  *Actor // officer of Sở Tư pháp
	outsider *Actor // editor of Sở Y tế
}

// vn reads a time in Vietnam's zone.
func vn(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, Zone)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC()
}

func sqliteDB(t testing.TB) store.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newEnv(t testing.TB, db store.DB) *env {
	t.Helper()
	if err := db.Migrate(context.Background(), Migrations()); err != nil {
		t.Fatal(err)
	}
	tree, err := agencies.Default()
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(NewStore(db), tree)
	clk := &clock{t: vn(t, "2025-03-03 08:00")}
	svc.Now = clk.Now
	return &env{
		t: t, db: db, svc: svc, clock: clk,
		editor:   &Actor{ID: "u-hanh", Name: "Chị Hạnh", Roles: []agencies.Role{{Agency: "sotp", Role: agencies.RoleEditor}}},
		officer:  &Actor{ID: "u-minh", Name: "Anh Minh", Roles: []agencies.Role{{Agency: "sotp", Role: agencies.RoleOfficer}}},
		outsider: &Actor{ID: "u-lan", Name: "Chị Lan", Roles: []agencies.Role{{Agency: "soyt", Role: agencies.RoleEditor}}},
	}
}

func regulationText(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/quy-che-02-2023-an-giang.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// create makes a consultation of the regulation for Sở Tư pháp, open from
// 10/03/2025 08:00 to 09/04/2025 17:00.
func (e *env) create(text string) *View {
	e.t.Helper()
	v, err := e.svc.Create(context.Background(), e.editor, CreateInput{
		Agency: "sotp", Title: "Dự thảo Quy chế cung cấp thông tin trên môi trường mạng",
		Summary: "Lấy ý kiến nhân dân về dự thảo.",
		OpensAt: "2025-03-10T08:00:00+07:00", ClosesAt: "2025-04-09T17:00:00+07:00",
		Draft: DraftInput{Text: text},
	})
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	return v
}

func (e *env) count(coll string) int64 {
	e.t.Helper()
	n, err := e.db.Collection(coll).Count(context.Background(), store.Query{})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) comment(id string, in CommentInput) *CommentReceipt {
	e.t.Helper()
	in.Consent = true
	r, err := e.svc.Comment(context.Background(), id, in, Meta{ClientHash: "h"})
	if err != nil {
		e.t.Fatalf("comment on %q: %v", in.Anchor, err)
	}
	// One comment a second, so that lists have a known order.
	e.clock.Set(e.clock.Now().Add(time.Second))
	return r
}

func (e *env) get(id string) *View {
	e.t.Helper()
	v, err := e.svc.Get(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// wantProblem checks that err is a problem of kind whose message key (or,
// for a validation problem, the field's key) is key. For validation, key is
// "field=message.key".
func wantProblem(t testing.TB, err error, kind problem.Kind, key string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("err %v, want a problem %s", err, key)
	}
	if p.Kind != kind {
		t.Fatalf("problem %v of kind %d, want kind %d", p, p.Kind, kind)
	}
	if kind == problem.KindValidation {
		field, k, _ := strings.Cut(key, "=")
		if m, ok := p.Fields[field]; !ok || m.Key != k {
			t.Fatalf("fields %v, want %s=%s", p.Fields, field, k)
		}
		return
	}
	if p.Message.Key != key {
		t.Fatalf("problem %s, want %s", p.Message.Key, key)
	}
}

// smallDOCX writes a DOCX file with one paragraph per argument.
func smallDOCX(t testing.TB, paras ...string) []byte {
	t.Helper()
	var body strings.Builder
	for _, p := range paras {
		body.WriteString(`<w:p><w:r><w:t>`)
		xml.EscapeText(&body, []byte(p))
		body.WriteString(`</w:t></w:r></w:p>`)
	}
	return zipFiles(t, map[string][]byte{
		"word/document.xml": []byte(`<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() + `</w:body></w:document>`),
	})
}

// zipBomb is a DOCX whose document unpacks to 33 MiB from a few kilobytes.
func zipBomb(t testing.TB) []byte {
	t.Helper()
	doc := append([]byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`), bytes.Repeat([]byte{'a'}, 33<<20)...)
	return zipFiles(t, map[string][]byte{"word/document.xml": doc})
}

func zipFiles(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for name, b := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
