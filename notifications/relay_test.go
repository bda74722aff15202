package notifications_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"

	"tuongtac/notifications"
	"tuongtac/store"
	"tuongtac/store/sqlite"
)

// relay is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that keeps
// every message it accepts. It can be stopped and started again on the same
// address, refuse chosen recipients, require STARTTLS and AUTH, or speak
// implicit TLS.
type relay struct {
	t    testing.TB
	addr string

	tlsConfig *tls.Config // STARTTLS offered when set
	implicit  bool        // smtps
	user      string
	pass      string

	mu         sync.Mutex
	srv        *smtp.Server
	msgs       []received
	reject     map[string]int // recipient → reply code
	rejectFrom int            // reply code to every MAIL FROM
	onData     func()         // called before accepting DATA
	authOK     int
	arrived    chan struct{}
}

type received struct {
	From string
	To   []string
	Data []byte
	At   time.Time
}

type relayOption func(*relay)

func withTLS(cfg *tls.Config) relayOption    { return func(r *relay) { r.tlsConfig = cfg } }
func withAuth(user, pass string) relayOption { return func(r *relay) { r.user, r.pass = user, pass } }
func withImplicitTLS(cfg *tls.Config) relayOption {
	return func(r *relay) { r.tlsConfig, r.implicit = cfg, true }
}

func startRelay(t testing.TB, opts ...relayOption) *relay {
	t.Helper()
	r := &relay{t: t, reject: map[string]int{}, arrived: make(chan struct{}, 1)}
	for _, o := range opts {
		o(r)
	}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *relay) start() {
	r.t.Helper()
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var l net.Listener
	var err error
	for i := 0; i < 50; i++ { // the old socket may linger a moment after a stop
		l, err = net.Listen("tcp", addr)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = l.Addr().String()
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{r: r}, nil }))
	s.Domain = "relay.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.MaxMessageBytes = 10 << 20
	s.EnableSMTPUTF8 = true
	if r.tlsConfig != nil && !r.implicit {
		s.TLSConfig = r.tlsConfig
	}
	if r.implicit {
		l = tls.NewListener(l, r.tlsConfig)
	}
	r.mu.Lock()
	r.srv = s
	r.mu.Unlock()
	go func() { _ = s.Serve(l) }()
}

// stop closes the listener and every open connection: the relay is down.
func (r *relay) stop() {
	r.mu.Lock()
	s := r.srv
	r.srv = nil
	r.mu.Unlock()
	if s != nil {
		_ = s.Close()
	}
}

func (r *relay) auths() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.authOK
}

func (r *relay) host() string { h, _, _ := net.SplitHostPort(r.addr); return h }
func (r *relay) port() string { _, p, _ := net.SplitHostPort(r.addr); return p }

// url is the SMTP_URL of the relay.
func (r *relay) url() string { return "smtp://" + r.addr }

func (r *relay) setReject(rcpt string, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if code == 0 {
		delete(r.reject, rcpt)
	} else {
		r.reject[rcpt] = code
	}
}

func (r *relay) messages() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.msgs...)
}

// waitFor waits until the relay holds at least n messages.
func (r *relay) waitFor(t testing.TB, n int, within time.Duration) []received {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ms := r.messages()
		if len(ms) >= n {
			return ms
		}
		if time.Now().After(deadline) {
			t.Fatalf("relay has %d messages, want %d", len(ms), n)
		}
		select {
		case <-r.arrived:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type session struct {
	r      *relay
	from   string
	to     []string
	authed bool
}

func (s *session) AuthMechanisms() []string {
	if s.r.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.r.user || password != s.r.pass {
			return errors.New("bad credentials")
		}
		s.authed = true
		s.r.mu.Lock()
		s.r.authOK++
		s.r.mu.Unlock()
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.r.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.r.mu.Lock()
	code := s.r.rejectFrom
	s.r.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 7, 1}, Message: "sender not allowed"}
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.r.mu.Lock()
	code := s.r.reject[to]
	s.r.mu.Unlock()
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "no such user here"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	hook := s.r.onData
	s.r.mu.Unlock()
	if hook != nil {
		hook()
	}
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, received{From: s.from, To: append([]string(nil), s.to...), Data: b, At: time.Now()})
	s.r.mu.Unlock()
	select {
	case s.r.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// parsed is a received message taken apart.
type parsed struct {
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
	Type    string
}

var wordDecoder = &mime.WordDecoder{}

func parseMessage(t testing.TB, data []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, data)
	}
	p := parsed{Header: m.Header}
	p.Subject, err = wordDecoder.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	p.Type = mt
	if !strings.HasPrefix(mt, "multipart/") {
		p.Text = decodePart(t, m.Header.Get("Content-Transfer-Encoding"), m.Body)
		return p
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		body := decodePart(t, part.Header.Get("Content-Transfer-Encoding"), part)
		switch ct {
		case "text/plain":
			p.Text = body
		case "text/html":
			p.HTML = body
		}
	}
	return p
}

func decodePart(t testing.TB, cte string, r io.Reader) string {
	t.Helper()
	if strings.EqualFold(cte, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)} // a Monday, 15:00 in An Giang
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openSQLite opens a fresh migrated SQLite file.
func openSQLite(t testing.TB) store.DB {
	t.Helper()
	return openSQLiteAt(t, filepath.Join(t.TempDir(), "n.db"))
}

func openSQLiteAt(t testing.TB, path string) store.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), notifications.Migrations()); err != nil {
		t.Fatal(err)
	}
	return db
}

func newService(t testing.TB, db store.DB, cfg notifications.Config) *notifications.Service {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://hoidap.angiang.gov.vn"
	}
	if cfg.From == "" {
		cfg.From = "Cổng Tương tác An Giang <no-reply@angiang.gov.vn>"
	}
	s, err := notifications.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newSMTP(t testing.TB, r *relay) notifications.Mailer {
	t.Helper()
	m, err := notifications.NewMailer(r.url(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// drain runs the worker until nothing is due.
func drain(t testing.TB, w *notifications.Worker) int {
	t.Helper()
	total := 0
	for range 100 {
		n, err := w.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if n == 0 {
			return total
		}
	}
	t.Fatal("worker never ran dry")
	return total
}

var (
	verifyRE = regexp.MustCompile(`/verify/([0-9a-f]+)`)
	unsubRE  = regexp.MustCompile(`/unsubscribe/([0-9a-f]+)`)
)

// verifyAddress runs the double opt-in for email through the relay, as a
// citizen would, and returns her unsubscribe token.
func verifyAddress(t testing.TB, s *notifications.Service, w *notifications.Worker, r *relay, email, lang string) string {
	t.Helper()
	ctx := context.Background()
	before := len(r.messages())
	if err := s.RequestVerification(ctx, email, lang); err != nil {
		t.Fatal(err)
	}
	drain(t, w)
	ms := r.waitFor(t, before+1, 5*time.Second)
	p := parseMessage(t, ms[before].Data)
	m := verifyRE.FindStringSubmatch(p.Text)
	if m == nil {
		t.Fatalf("no verification link in:\n%s", p.Text)
	}
	if _, err := s.Verify(ctx, m[1]); err != nil {
		t.Fatal(err)
	}
	u := unsubRE.FindStringSubmatch(p.Header.Get("List-Unsubscribe"))
	if u == nil {
		t.Fatalf("no unsubscribe link in List-Unsubscribe: %q", p.Header.Get("List-Unsubscribe"))
	}
	return u[1]
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client config
// that trusts it.
func selfSigned(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"relay.test"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}
