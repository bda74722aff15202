package main

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"
)

// demoCorpus is the bundled corpus of 60 citizen questions with answers.
//
//go:embed corpus/questions.json
var demoCorpus []byte

// demoDraft is the regulation itself, opened for comments as a demo draft.
//
//go:embed corpus/quy-che-02-2023-an-giang.txt
var demoDraft string

// demo loads the corpus into a running instance through its HTTP API: it signs
// in as the bootstrap administrator, creates an officer and an editor for each
// agency the corpus uses, then submits every question, answers it as the
// officer and approves it as the editor.
func demo(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	base := fs.String("url", envOr("BASE_URL", "http://localhost:8080"), "address of the running instance")
	email := fs.String("admin-email", env("BOOTSTRAP_ADMIN_EMAIL"), "administrator to sign in as (BOOTSTRAP_ADMIN_EMAIL)")
	password := fs.String("admin-password", "", "administrator's password (default BOOTSTRAP_ADMIN_PASSWORD)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *password == "" {
		*password = env("BOOTSTRAP_ADMIN_PASSWORD")
	}
	if *email == "" || *password == "" {
		return errors.New("demo: set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD (or --admin-email and --admin-password)")
	}
	var qs []struct {
		ID, Agency, Kind, Topic, Title, Body, Answer, Lang string
		Asker                                              struct{ Name, Email, Phone string }
	}
	if err := json.Unmarshal(demoCorpus, &qs); err != nil {
		return fmt.Errorf("demo: corpus: %w", err)
	}
	admin, err := newAPIClient(ctx, *base, *email, *password)
	if err != nil {
		return err
	}
	officers := map[string]*apiClient{}
	editors := map[string]*apiClient{}
	pw := "demo-" + randomHex(8)
	for _, q := range qs {
		if officers[q.Agency] != nil {
			continue
		}
		for _, role := range []string{"officer", "editor"} {
			addr := fmt.Sprintf("demo.%s.%s@example.invalid", role, strings.ReplaceAll(q.Agency, ".", "-"))
			c := admin
			status, _, err := admin.call("POST", "/api/v1/admin/users", map[string]any{
				"email": addr, "password": pw, "name": fmt.Sprintf("Demo %s %s", role, q.Agency),
				"roles": []map[string]string{{"agency": q.Agency, "role": role}},
			})
			if err != nil {
				return err
			}
			if status == http.StatusCreated {
				if c, err = newAPIClient(ctx, *base, addr, pw); err != nil {
					return err
				}
			}
			if role == "officer" {
				officers[q.Agency] = c
			} else {
				editors[q.Agency] = c
			}
		}
	}
	anon := &apiClient{ctx: ctx, base: strings.TrimRight(*base, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	published, skipped := 0, 0
	for _, q := range qs {
		status, body, err := anon.call("POST", "/api/v1/threads", map[string]any{
			"agency": q.Agency, "kind": q.Kind, "topic": q.Topic, "title": q.Title, "body": q.Body,
			"name": q.Asker.Name, "email": q.Asker.Email, "phone": q.Asker.Phone, "lang": q.Lang, "consent": true,
		})
		if err != nil {
			return err
		}
		if status == http.StatusConflict {
			skipped++
			continue
		}
		if status != http.StatusCreated {
			return fmt.Errorf("demo: %s: submit: %d %s", q.ID, status, body)
		}
		var rec struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &rec); err != nil {
			return fmt.Errorf("demo: %s: %w", q.ID, err)
		}
		path := "/api/v1/moderation/threads/" + rec.ID + "/"
		for _, step := range []struct {
			c      *apiClient
			action string
			body   any
		}{
			{officers[q.Agency], "claim", nil},
			{officers[q.Agency], "answer", map[string]any{"body": q.Answer}},
			{editors[q.Agency], "approve", nil},
		} {
			status, body, err := step.c.call("POST", path+step.action, step.body)
			if err != nil {
				return err
			}
			if status != http.StatusOK {
				return fmt.Errorf("demo: %s: %s: %d %s", q.ID, step.action, status, body)
			}
		}
		published++
	}
	fmt.Fprintf(stdout, "demo: %d questions published, %d already there; see %s/threads\n", published, skipped, strings.TrimRight(*base, "/"))
	// A draft open for comments, so /consultations has something to show
	// (once: a second run finds it).
	if _, list, err := admin.call("GET", "/api/v1/consultations?per_page=100", nil); err == nil && strings.Contains(string(list), "(bản thử)") {
		return nil
	}
	now := time.Now()
	status, body, err := admin.call("POST", "/api/v1/consultations", map[string]any{
		"agency": "ubnd-tinh", "title": "Dự thảo Quy chế tương tác của cơ quan nhà nước tỉnh An Giang (bản thử)",
		"summary":  "Bản mẫu để thử tính năng góp ý dự thảo: văn bản Quy chế ban hành kèm theo Quyết định 02/2023/QĐ-UBND.",
		"opens_at": now.Add(-time.Minute).Format(time.RFC3339), "closes_at": now.AddDate(0, 0, 30).Format(time.RFC3339),
		"text": demoDraft, "format": "text",
	})
	switch {
	case err != nil:
		return err
	case status == http.StatusCreated:
		fmt.Fprintf(stdout, "demo: a draft is open for comments at %s/consultations\n", strings.TrimRight(*base, "/"))
	default:
		fmt.Fprintf(stdout, "demo: no demo draft (%d %s)\n", status, truncate(body, 200))
	}
	return nil
}

// apiClient calls the JSON API with a session.
type apiClient struct {
	ctx  context.Context
	base string
	http *http.Client
	csrf string
}

func newAPIClient(ctx context.Context, base, email, password string) (*apiClient, error) {
	jar, _ := cookiejar.New(nil)
	c := &apiClient{ctx: ctx, base: strings.TrimRight(base, "/"), http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	status, body, err := c.call("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("demo: sign in as %s: %d %s", email, status, body)
	}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("demo: sign in: %w", err)
	}
	c.csrf = out.CSRF
	return c, nil
}

func (c *apiClient) call(method, path string, v any) (int, []byte, error) {
	var rd io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("demo: %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, body, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
