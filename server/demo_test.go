package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestDemo runs `tuongtac demo` against a live instance over loopback, then
// runs it again: the second run finds everything already there.
func TestDemo(t *testing.T) {
	ta := newTestApp(t)
	url := ta.listen()
	var out bytes.Buffer
	args := []string{"--url", url, "--admin-email", adminEmail, "--admin-password", testPass}
	if err := demo(t.Context(), args, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "60 questions published") || !strings.Contains(out.String(), "a draft is open for comments") {
		t.Fatalf("demo said: %s", out.String())
	}
	out.Reset()
	if err := demo(t.Context(), args, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 questions published, 60 already there") || strings.Contains(out.String(), "draft") {
		t.Fatalf("second demo said: %s", out.String())
	}
	_, body := ta.anon().get("/api/v1/threads?per_page=1")
	if !strings.Contains(string(body), `"total":60`) {
		t.Errorf("public list after demo: %s", body)
	}
}
