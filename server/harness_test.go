package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"tuongtac/agencies"
	"tuongtac/store"
	"tuongtac/store/sqlite"
)

// Test accounts the harness creates.
const (
	adminEmail = "admin@example.vn"
	testPass   = "mat-khau-thu-nghiem"
)

// testApp is a whole service over a real SQLite file in a temporary folder.
type testApp struct {
	t   testing.TB
	app *App
	db  store.DB
	log *bytes.Buffer
}

// newTestApp builds the service with cheap password hashing and a bootstrap
// administrator; logs go to a buffer tests can search for personal data.
func newTestApp(t testing.TB, opts ...func(*Config)) *testApp {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tuongtac.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newTestAppOn(t, db, opts...)
}

// newTestAppOn builds the service over an open, unmigrated store.
func newTestAppOn(t testing.TB, db store.DB, opts ...func(*Config)) *testApp {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	cfg := Config{
		Addr: ":0", DataDir: dir, BaseURL: "http://localhost:8080", LogLevel: "debug",
		BootstrapAdminEmail: adminEmail, BootstrapAdminPassword: testPass,
		SubmitBurst: 10000, SubmitPerHour: 10000, testPasswords: true, MaxInFlight: 1024,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if err := db.Migrate(ctx, Migrations()); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	app, err := NewApp(ctx, cfg, db, slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return &testApp{t: t, app: app, db: db, log: &logs}
}

// do sends a request through the fiber app with no timeout.
func (ta *testApp) do(req *http.Request) *http.Response {
	ta.t.Helper()
	res, err := ta.app.Fiber().Test(req, -1)
	if err != nil {
		ta.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return res
}

// client is a caller with an optional session.
type client struct {
	ta     *testApp
	cookie string
	csrf   string
	// header holds extra request headers (fiber's Test ignores RemoteAddr:
	// every test request comes from 0.0.0.0).
	header map[string]string
}

func (ta *testApp) anon() *client { return &client{ta: ta} }

// login signs in and returns a client that sends the cookie and CSRF token.
func (ta *testApp) login(email, password string) *client {
	ta.t.Helper()
	c := &client{ta: ta}
	res, body := c.json("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password})
	if res.StatusCode != 200 {
		ta.t.Fatalf("login %s: %d %s", email, res.StatusCode, body)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie {
			c.cookie = ck.Value
		}
	}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	mustDecode(ta.t, body, &out)
	c.csrf = out.CSRF
	if c.cookie == "" || c.csrf == "" {
		ta.t.Fatalf("login gave no cookie or csrf token: %s", body)
	}
	return c
}

// user creates an account through the admin API and signs it in.
func (ta *testApp) user(email, name string, roles ...agencies.Role) *client {
	ta.t.Helper()
	admin := ta.login(adminEmail, testPass)
	res, body := admin.json("POST", "/api/v1/admin/users", map[string]any{"email": email, "password": testPass, "name": name, "roles": roles})
	if res.StatusCode != 201 {
		ta.t.Fatalf("create user %s: %d %s", email, res.StatusCode, body)
	}
	return ta.login(email, testPass)
}

// raw sends body as is with the given content type.
func (c *client) raw(method, path, contentType string, body []byte) (*http.Response, []byte) {
	c.ta.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	res := c.ta.do(req)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, b
}

// json sends v as JSON (nil sends no body).
func (c *client) json(method, path string, v any) (*http.Response, []byte) {
	c.ta.t.Helper()
	if v == nil {
		return c.raw(method, path, "", nil)
	}
	b, err := json.Marshal(v)
	if err != nil {
		c.ta.t.Fatal(err)
	}
	return c.raw(method, path, "application/json", b)
}

// get fetches a path.
func (c *client) get(path string) (*http.Response, []byte) {
	c.ta.t.Helper()
	return c.raw("GET", path, "", nil)
}

// form posts url-encoded form values.
func (c *client) form(path string, values map[string]string) (*http.Response, []byte) {
	c.ta.t.Helper()
	var parts []string
	for k, v := range values {
		parts = append(parts, urlEncode(k)+"="+urlEncode(v))
	}
	return c.raw("POST", path, "application/x-www-form-urlencoded", []byte(strings.Join(parts, "&")))
}

func mustDecode(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// listen serves the app on a loopback port for tests that need a real
// connection (body limits are enforced before fiber's Test sees a request).
func (ta *testApp) listen() string {
	ta.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ta.t.Fatal(err)
	}
	go ta.app.Fiber().Listener(ln)
	ta.t.Cleanup(func() { _ = ta.app.Fiber().Shutdown() })
	return "http://" + ln.Addr().String()
}

// drainOutbox runs the outbox worker until nothing waits: indexing is
// asynchronous, as in the running service.
func (ta *testApp) drainOutbox() {
	ta.t.Helper()
	for range 20 {
		n, err := ta.app.outbox().RunOnce(context.Background())
		if err != nil {
			ta.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}
