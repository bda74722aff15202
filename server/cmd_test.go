package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"tuongtac/agencies"
)

func TestUserAddCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out bytes.Buffer
	args := []string{"add", "--data", dir, "--email", "Lan@MyHoa.vn", "--name", "Nguyễn Thị Lan", "--agency", "myhoa.longxuyen", "--role", "editor"}
	if err := userAdd(ctx, args[1:], strings.NewReader("mat-khau-rat-dai\n"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "lan@myhoa.vn") {
		t.Errorf("output: %s", out.String())
	}
	cfg := Config{DataDir: dir}
	db, err := OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := agencies.Default()
	s, err := agencies.NewAccounts(db, tree, agencies.TestPasswordParams).Login(ctx, "lan@myhoa.vn", "mat-khau-rat-dai")
	if err != nil {
		t.Fatalf("sign in with the new account: %v", err)
	}
	if len(s.User.Roles) != 1 || s.User.Roles[0] != (agencies.Role{Agency: "myhoa.longxuyen", Role: "editor"}) {
		t.Errorf("roles: %+v", s.User.Roles)
	}
	db.Close()

	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"short password", []string{"--data", dir, "--email", "a@b.vn", "--name", "A", "--agency", "sotp"}, "short\n", "password"},
		{"unknown agency", []string{"--data", dir, "--email", "a@b.vn", "--name", "A", "--agency", "nope"}, "mat-khau-rat-dai\n", "roles[0].agency"},
		{"bad role", []string{"--data", dir, "--email", "a@b.vn", "--name", "A", "--agency", "sotp", "--role", "boss"}, "mat-khau-rat-dai\n", "roles[0].role"},
		{"taken email", []string{"--data", dir, "--email", "lan@myhoa.vn", "--name", "A", "--agency", "sotp"}, "mat-khau-rat-dai\n", "already has an account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := userAdd(ctx, tt.args, strings.NewReader(tt.stdin), &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	ta := newTestApp(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		res, body := ta.anon().get(p)
		if res.StatusCode != 200 || !strings.Contains(string(body), `"status":"ok"`) {
			t.Errorf("%s: %d %s", p, res.StatusCode, body)
		}
		if res.Header.Get("X-Request-ID") == "" {
			t.Errorf("%s: no request id", p)
		}
	}
	ta.db.Close()
	if res, _ := ta.anon().get("/readyz"); res.StatusCode != 503 {
		t.Errorf("readyz with the store closed: %d", res.StatusCode)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"ok", Config{DataDir: "d", BaseURL: "https://hoidap.angiang.gov.vn", LogLevel: "info", MaxInFlight: 1, TrustedProxies: []string{"10.0.0.0/8", "127.0.0.1"}}, ""},
		{"bad base url", Config{DataDir: "d", BaseURL: "ftp://x", LogLevel: "info"}, "BASE_URL"},
		{"bad proxy", Config{DataDir: "d", BaseURL: "http://x", LogLevel: "info", TrustedProxies: []string{"nope"}}, "TRUSTED_PROXIES"},
		{"half bootstrap", Config{DataDir: "d", BaseURL: "http://x", LogLevel: "info", BootstrapAdminEmail: "a@b.vn"}, "BOOTSTRAP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}
