package frontend

import (
	"bytes"
	"io/fs"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParagraphs(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want [][]string
	}{
		{"empty", "", nil},
		{"one line", "Xin hỏi", [][]string{{"Xin hỏi"}}},
		{"lines in a paragraph", "Dòng một\r\nDòng hai", [][]string{{"Dòng một", "Dòng hai"}}},
		{"paragraphs", "Một\n\n  \nHai\n\n\nBa", [][]string{{"Một"}, {"Hai"}, {"Ba"}}},
		{"markup stays text", "<b>x</b>", [][]string{{"<b>x</b>"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Paragraphs(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Paragraphs(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLangURL(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		query      url.Values
		want       string
	}{
		{"plain", "/threads", nil, "/threads?lang=en"},
		{"keeps the query", "/threads", url.Values{"agency": {"sotnmt"}, "lang": {"vi"}}, "/threads?agency=sotnmt&lang=en"},
		{"never off the site", "//evil.example/x", nil, "/?lang=en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Page{Lang: "vi", Path: tc.path, Query: tc.query}
			if got := p.LangURL("en"); got != tc.want {
				t.Errorf("LangURL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderEscapesAndFrames(t *testing.T) {
	var buf bytes.Buffer
	p := &Page{Lang: "en", Title: `<script>alert(1)</script>`, Path: "/x", Data: struct {
		Status           int
		Heading, Message string
		SignIn           bool
	}{404, "Not found", `<img src=x onerror=alert(1)>`, false}}
	if err := Render(&buf, "error", p); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script>alert(1)", "<img src=x"} {
		if strings.Contains(out, bad) {
			t.Errorf("unescaped %q", bad)
		}
	}
	for _, want := range []string{`<html lang="en">`, "&lt;img src=x onerror=alert(1)&gt;", "/static/app.js?v=" + Version} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if err := Render(&buf, "nope", p); err == nil {
		t.Error("unknown page rendered")
	}
}

func TestStatic(t *testing.T) {
	for _, name := range []string{"app.css", "app.js"} {
		if _, err := fs.Stat(Static(), name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(Version) != 12 {
		t.Errorf("Version %q", Version)
	}
	if ContentType("app.css") != "text/css; charset=utf-8" || ContentType("app.js") != "text/javascript; charset=utf-8" {
		t.Error("content types")
	}
}
