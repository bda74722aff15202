package notifications_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tuongtac/notifications"
	"tuongtac/problem"
)

// TestMessagesOverSMTP sends citizen messages in Vietnamese and English
// through a real SMTP server and checks what arrives: headers, both parts,
// the links.
func TestMessagesOverSMTP(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	s := newService(t, openSQLite(t), notifications.Config{})
	w := &notifications.Worker{Service: s, Mailer: newSMTP(t, r)}

	unsubVI := verifyAddress(t, s, w, r, "Lan.Nguyen@Example.vn", "vi")
	verifyAddress(t, s, w, r, "john@example.com", "en")
	base := len(r.messages())

	due := time.Date(2025, 3, 21, 16, 59, 59, 0, time.UTC)
	out, err := s.Notify(ctx, "evt-1", "lan.nguyen@example.vn", notifications.TmplReceived, notifications.Data{
		Name: "Nguyễn Thị Lan", Title: "Thủ tục cấp giấy khai sinh cho con", Code: "ABCD-EFGH-JKMN-PQRS",
		TrackURL: "https://hoidap.angiang.gov.vn/track/ABCD-EFGH-JKMN-PQRS", Agency: "UBND phường Mỹ Hòa", DueAt: due,
	})
	if err != nil || out != notifications.Queued {
		t.Fatalf("notify: %v %v", out, err)
	}
	out, err = s.Notify(ctx, "evt-2", "JOHN@example.com", notifications.TmplPublished, notifications.Data{
		Title: "Business licence", ThreadURL: "https://hoidap.angiang.gov.vn/q/abc", RatingURL: "https://hoidap.angiang.gov.vn/rate/xyz",
		Agency: "Department of Health",
	})
	if err != nil || out != notifications.Queued {
		t.Fatalf("notify: %v %v", out, err)
	}
	if n := drain(t, w); n != 2 {
		t.Fatalf("sent %d, want 2", n)
	}
	ms := r.waitFor(t, base+2, 5*time.Second)[base:]
	byTo := map[string]parsed{}
	for _, m := range ms {
		if len(m.To) != 1 {
			t.Fatalf("one recipient per message, got %v", m.To)
		}
		if m.From != "no-reply@angiang.gov.vn" {
			t.Errorf("envelope sender %q", m.From)
		}
		byTo[m.To[0]] = parseMessage(t, m.Data)
	}

	vi := byTo["lan.nguyen@example.vn"]
	from, err := mail.ParseAddress(vi.Header.Get("From"))
	if err != nil || from.Address != "no-reply@angiang.gov.vn" || from.Name != "Cổng Tương tác An Giang" {
		t.Errorf("From %q (%v)", vi.Header.Get("From"), err)
	}
	to, err := mail.ParseAddress(vi.Header.Get("To"))
	if err != nil || to.Address != "lan.nguyen@example.vn" || to.Name != "Nguyễn Thị Lan" {
		t.Errorf("To %q (%v)", vi.Header.Get("To"), err)
	}
	if raw := vi.Header.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?") {
		t.Errorf("Vietnamese subject not encoded: %q", raw)
	}
	if vi.Subject != "Đã tiếp nhận câu hỏi: Thủ tục cấp giấy khai sinh cho con" {
		t.Errorf("subject %q", vi.Subject)
	}
	if vi.Type != "multipart/alternative" || vi.Text == "" || vi.HTML == "" {
		t.Fatalf("want multipart/alternative with both parts, got %q text=%d html=%d", vi.Type, len(vi.Text), len(vi.HTML))
	}
	for _, want := range []string{"ABCD-EFGH-JKMN-PQRS", "https://hoidap.angiang.gov.vn/track/ABCD-EFGH-JKMN-PQRS", "21/03/2025", "UBND phường Mỹ Hòa", "Xin chào Nguyễn Thị Lan"} {
		if !strings.Contains(vi.Text, want) || !strings.Contains(vi.HTML, want) {
			t.Errorf("both parts should contain %q", want)
		}
	}
	if strings.Contains(vi.Text, "<p>") {
		t.Errorf("HTML in the text part:\n%s", vi.Text)
	}
	if got := vi.Header.Get("Content-Language"); got != "vi" {
		t.Errorf("Content-Language %q", got)
	}
	if id := vi.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@angiang.gov.vn>") {
		t.Errorf("Message-ID %q", id)
	}
	wantUnsub := "<https://hoidap.angiang.gov.vn/unsubscribe/" + unsubVI + ">"
	if got := vi.Header.Get("List-Unsubscribe"); got != wantUnsub {
		t.Errorf("List-Unsubscribe %q, want %q", got, wantUnsub)
	}
	if got := vi.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	if got := vi.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted %q", got)
	}
	if !strings.Contains(vi.Text, "/unsubscribe/"+unsubVI) || !strings.Contains(vi.HTML, "/unsubscribe/"+unsubVI) {
		t.Error("the unsubscribe link should be in both parts")
	}
	if vi.Header.Get("Date") == "" {
		t.Error("no Date")
	}

	en := byTo["john@example.com"]
	if en.Subject != "Your question has been answered: Business licence" {
		t.Errorf("English subject %q", en.Subject)
	}
	if got := en.Header.Get("Content-Language"); got != "en" {
		t.Errorf("Content-Language %q", got)
	}
	for _, want := range []string{"https://hoidap.angiang.gov.vn/q/abc", "https://hoidap.angiang.gov.vn/rate/xyz", "Department of Health"} {
		if !strings.Contains(en.Text, want) || !strings.Contains(en.HTML, want) {
			t.Errorf("both English parts should contain %q", want)
		}
	}
	if strings.Contains(en.Text, "Xin chào") {
		t.Error("English message has Vietnamese text")
	}

	// The same event again: stored once, nothing more sent.
	out, err = s.Notify(ctx, "evt-1", "lan.nguyen@example.vn", notifications.TmplReceived, notifications.Data{Title: "x"})
	if err != nil || out != notifications.Duplicate {
		t.Fatalf("repeat notify: %v %v", out, err)
	}
	drain(t, w)
	if n := len(r.messages()); n != base+2 {
		t.Errorf("repeat event sent again: %d messages", n)
	}
}

// TestInjectionAttempts feeds CR/LF, header-shaped text and template syntax
// through every user-controlled field: no extra header, no template run, a
// clear error for a bad address, and the other recipients unaffected.
func TestInjectionAttempts(t *testing.T) {
	ctx := context.Background()
	r := startRelay(t)
	s := newService(t, openSQLite(t), notifications.Config{})
	w := &notifications.Worker{Service: s, Mailer: newSMTP(t, r)}
	verifyAddress(t, s, w, r, "lan@example.vn", "vi")
	base := len(r.messages())

	evil := notifications.Data{
		Name:     "Lan\r\nBcc: victim@evil.example\r\nX-Injected: yes",
		Title:    "Hỏi\r\nBcc: victim@evil.example\nX-Injected: yes {{.Code}} {{template \"html\" .}} <script>alert(1)</script>",
		Reason:   "{{range .Items}}x{{end}} {{ printf \"%s\" \"pwned\" }}",
		Code:     "CODE-1234",
		TrackURL: "javascript:alert(1)",
	}
	if _, err := s.Notify(ctx, "evt-evil", "lan@example.vn", notifications.TmplReceived, evil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Notify(ctx, "evt-evil2", "lan@example.vn", notifications.TmplRejected, evil); err != nil {
		t.Fatal(err)
	}
	// Addresses with CR/LF or several addresses are refused with a field error.
	for _, bad := range []string{"lan@example.vn\r\nBcc: victim@evil.example", "a@example.vn, b@example.vn", "Lan <lan@example.vn>", "lan@example.vn>\r\nRCPT TO:<x@y.z", "", strings.Repeat("a", 250) + "@example.vn"} {
		_, err := s.Notify(ctx, "evt-bad", bad, notifications.TmplReceived, notifications.Data{Title: "t"})
		if !problem.Is(err, problem.KindValidation) {
			t.Errorf("address %q: want a validation error, got %v", bad, err)
		}
	}
	// Officers: one bad recipient among good ones.
	users := []notifications.Recipient{
		{ID: "u1", Email: "minh@soyte.angiang.gov.vn", Name: "Minh\r\nBcc: x@evil.example"},
		{ID: "u2", Email: "bad@example.vn\nBcc: x@evil.example", Name: "Bad"},
		{ID: "u3", Email: "hanh@soyte.angiang.gov.vn", Name: "Hạnh", Lang: "en"},
	}
	err := s.NotifyOfficers(ctx, "evt-new", users, notifications.TmplOfficerNewItem, notifications.Data{Title: evil.Title, ConsoleURL: "https://hoidap.angiang.gov.vn/console/t/1"})
	if err == nil || !strings.Contains(err.Error(), `"u2"`) || strings.Contains(err.Error(), `"u1"`) {
		t.Errorf("want an error naming u2 only, got %v", err)
	}
	if n := drain(t, w); n != 4 {
		t.Fatalf("sent %d, want 4", n)
	}
	ms := r.waitFor(t, base+4, 5*time.Second)[base:]
	for _, m := range ms {
		if len(m.To) != 1 || strings.Contains(m.To[0], "evil") {
			t.Errorf("recipients %v", m.To)
		}
		p := parseMessage(t, m.Data)
		for k := range p.Header {
			if strings.EqualFold(k, "Bcc") || strings.EqualFold(k, "X-Injected") || strings.EqualFold(k, "Cc") {
				t.Errorf("injected header %s: %q", k, p.Header.Get(k))
			}
		}
		if got := len(p.Header["To"]); got != 1 {
			t.Errorf("%d To headers", got)
		}
		if strings.Contains(p.Subject, "\n") || strings.Contains(p.Subject, "\r") {
			t.Errorf("line break in subject %q", p.Subject)
		}
		// Template syntax shows literally in both parts; markup is escaped in HTML.
		if !strings.Contains(p.Text, `{{.Code}} {{template "html" .}} <script>alert(1)</script>`) {
			t.Errorf("text part does not show the title literally:\n%s", p.Text)
		}
		if !strings.Contains(p.HTML, `{{.Code}} {{template &#34;html&#34; .}} &lt;script&gt;alert(1)&lt;/script&gt;`) {
			t.Errorf("HTML part does not show the title escaped:\n%s", p.HTML)
		}
		if strings.Contains(p.HTML, "<script>") || strings.Contains(p.HTML, "javascript:") {
			t.Errorf("active content in HTML:\n%s", p.HTML)
		}
		if strings.Contains(p.Text, "pwned") && !strings.Contains(p.Text, `printf "%s" "pwned"`) {
			t.Error("user text was executed as a template")
		}
	}
}

// TestSpoolWritesEML checks the default backend: parseable .eml files,
// written atomically, one per message.
func TestSpoolWritesEML(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "mail")
	m, err := notifications.NewMailer("", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(*notifications.Spool); !ok {
		t.Fatalf("no SMTP_URL should give the spool, got %T", m)
	}
	s := newService(t, openSQLite(t), notifications.Config{})
	w := &notifications.Worker{Service: s, Mailer: m}
	users := []notifications.Recipient{{ID: "u1", Email: "a@example.vn", Name: "Anh Minh"}, {ID: "u2", Email: "b@example.vn", Lang: "en"}}
	if err := s.NotifyOfficers(ctx, "e1", users, notifications.TmplOfficerDueTomorrow, notifications.Data{Title: "Đất đai", DueAt: time.Now(), ConsoleURL: "https://x.vn/c/1"}); err != nil {
		t.Fatal(err)
	}
	if n := drain(t, w); n != 2 {
		t.Fatalf("sent %d", n)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%d files in the spool, want 2", len(entries))
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("unexpected file %s", e.Name())
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		p := parseMessage(t, b)
		if p.Type != "multipart/alternative" || p.Text == "" || p.HTML == "" || p.Subject == "" || p.Header.Get("Message-Id") == "" {
			t.Errorf("%s: incomplete message %+v", e.Name(), p.Header)
		}
	}
	// A message that cannot be built is refused, not written.
	err = m.Send(ctx, &notifications.Message{From: "x@example.vn", To: "bad\r\n@x", Subject: "s", Text: "t"})
	if !errors.Is(err, notifications.ErrInvalidMessage) {
		t.Errorf("bad address: %v", err)
	}
}

// TestDKIM signs with an Ed25519 key and checks the signature header.
func TestDKIM(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := notifications.DKIMFromPEM("angiang.gov.vn", "tt2025", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m, err := notifications.NewMailer("", dir, notifications.WithDKIM(signer))
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), &notifications.Message{ID: "x1@angiang.gov.vn", From: "no-reply@angiang.gov.vn", To: "a@example.vn", Subject: "Chào", Text: "Xin chào", HTML: "<p>Xin chào</p>"})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d files", len(files))
	}
	b, _ := os.ReadFile(files[0])
	p := parseMessage(t, b)
	sig := p.Header.Get("Dkim-Signature")
	if !strings.Contains(sig, "d=angiang.gov.vn") || !strings.Contains(sig, "s=tt2025") || !strings.Contains(sig, "a=ed25519-sha256") {
		t.Errorf("DKIM-Signature %q", sig)
	}
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		name, url string
		want      notifications.SMTPConfig
		err       bool
	}{
		{name: "local relay", url: "smtp://127.0.0.1:2525", want: notifications.SMTPConfig{Host: "127.0.0.1", Port: 2525, TLS: "opportunistic", Timeout: 30 * time.Second}},
		{name: "default port", url: "smtp://relay.example.vn", want: notifications.SMTPConfig{Host: "relay.example.vn", Port: 25, TLS: "opportunistic", Timeout: 30 * time.Second}},
		{name: "credentials force STARTTLS", url: "smtp://user%40x:p%40ss@mail.example.vn:587", want: notifications.SMTPConfig{Host: "mail.example.vn", Port: 587, TLS: "mandatory", Username: "user@x", Password: "p@ss", Timeout: 30 * time.Second}},
		{name: "implicit TLS", url: "smtps://u:pw123@mail.example.vn", want: notifications.SMTPConfig{Host: "mail.example.vn", Port: 465, ImplicitTLS: true, TLS: "mandatory", Username: "u", Password: "pw123", Timeout: 30 * time.Second}},
		{name: "options", url: "smtp://h:25?tls=mandatory&timeout=5s&helo=tt.example.vn", want: notifications.SMTPConfig{Host: "h", Port: 25, TLS: "mandatory", Timeout: 5 * time.Second, HELO: "tt.example.vn"}},
		{name: "explicitly plain with credentials", url: "smtp://u:pw123@h:25?tls=none", want: notifications.SMTPConfig{Host: "h", Port: 25, TLS: "none", Username: "u", Password: "pw123", Timeout: 30 * time.Second}},
		{name: "opportunistic with credentials", url: "smtp://u:p@h?tls=opportunistic", err: true},
		{name: "scheme", url: "http://h", err: true},
		{name: "no host", url: "smtp://", err: true},
		{name: "bad port", url: "smtp://h:0", err: true},
		{name: "bad timeout", url: "smtp://h?timeout=soon", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := notifications.ParseSMTPURL(tt.url)
			if tt.err {
				if err == nil {
					t.Fatalf("want an error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if strings.Contains(got.Redacted(), "p@ss") || (got.Password != "" && strings.Contains(got.Redacted(), got.Password)) {
				t.Errorf("password in %q", got.Redacted())
			}
		})
	}
}

// TestSMTPTLS: credentials go only over TLS (STARTTLS or implicit), and a
// relay that does not offer STARTTLS is refused rather than sent the
// password in clear.
func TestSMTPTLS(t *testing.T) {
	ctx := context.Background()
	srvTLS, cliTLS := selfSigned(t)
	msg := func() *notifications.Message {
		return &notifications.Message{From: "no-reply@angiang.gov.vn", To: "a@example.vn", Subject: "Kiểm tra", Text: "Xin chào", HTML: "<p>Xin chào</p>"}
	}
	t.Run("STARTTLS and AUTH", func(t *testing.T) {
		r := startRelay(t, withTLS(srvTLS), withAuth("tt", "s3cret"))
		cfg, err := notifications.ParseSMTPURL("smtp://tt:s3cret@" + r.addr)
		if err != nil {
			t.Fatal(err)
		}
		cfg.TLSConfig = cliTLS
		m, err := notifications.NewSMTP(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.Send(ctx, msg()); err != nil {
			t.Fatal(err)
		}
		r.waitFor(t, 1, 5*time.Second)
	})
	t.Run("no STARTTLS offered with credentials", func(t *testing.T) {
		r := startRelay(t, withAuth("tt", "s3cret"))
		cfg, _ := notifications.ParseSMTPURL("smtp://tt:s3cret@" + r.addr)
		m, err := notifications.NewSMTP(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		err = m.Send(ctx, msg())
		if !errors.Is(err, notifications.ErrRelayUnavailable) {
			t.Fatalf("want ErrRelayUnavailable, got %v", err)
		}
		if r.auths() != 0 || len(r.messages()) != 0 {
			t.Error("credentials or message went over a plain connection")
		}
	})
	t.Run("implicit TLS", func(t *testing.T) {
		r := startRelay(t, withImplicitTLS(srvTLS), withAuth("tt", "s3cret"))
		cfg, _ := notifications.ParseSMTPURL("smtps://tt:s3cret@" + r.addr)
		cfg.TLSConfig = cliTLS
		m, err := notifications.NewSMTP(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.Send(ctx, msg()); err != nil {
			t.Fatal(err)
		}
		r.waitFor(t, 1, 5*time.Second)
	})
	t.Run("plain local relay", func(t *testing.T) {
		r := startRelay(t)
		m := newSMTP(t, r)
		for range 3 { // the connection is kept and reused
			if err := m.Send(ctx, msg()); err != nil {
				t.Fatal(err)
			}
		}
		r.waitFor(t, 3, 5*time.Second)
	})
}
