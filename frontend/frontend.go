// Package frontend holds the server-rendered pages: html/template templates,
// the stylesheet and a small script, all embedded in the binary so the service
// runs without a Node build. Templates are parsed once, at start-up, into one
// set per language, so `t "key"` in a template needs no language argument.
//
// Everything a person typed is printed through html/template's contextual
// escaping; nothing here ever turns user text into template.HTML. The pages
// work without JavaScript: app.js only adds character counters, keyboard
// shortcuts in the console and drafts kept in localStorage.
package frontend

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"tuongtac/agencies"
	"tuongtac/i18n"
)

//go:embed templates/*.html static/*
var files embed.FS

// Page is what every template receives: the frame the layout needs (language,
// title, where the reader is) and the page's own Data.
type Page struct {
	// Lang is "vi" or "en".
	Lang string
	// Title is the page's own title, already translated; the layout appends
	// the site name.
	Title string
	// Path and Query are the request's, for the language switch.
	Path  string
	Query url.Values
	// Nav names the header link to mark as current: home, ask, threads,
	// track or console.
	Nav string
	// NoIndex asks search engines not to index the page (private pages).
	NoIndex bool
	// Officer is the signed-in officer's name, "" for the public.
	Officer string
	// OfficerID is the signed-in officer's id, to keep one person's drafts
	// in the browser apart from another's.
	OfficerID string
	// CSRF is the session's token for the console's forms.
	CSRF string
	// BaseURL is the service's public address, for links that leave the page
	// (share links, the printed URL).
	BaseURL string
	// Tree names agencies.
	Tree *agencies.Tree
	// Data is the page's own content.
	Data any
}

// LangURL is the current page in language l: the same path and query, with
// lang set.
func (p *Page) LangURL(l string) string {
	q := url.Values{}
	for k, v := range p.Query {
		if k != "lang" {
			q[k] = v
		}
	}
	q.Set("lang", l)
	path := p.Path
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.Contains(path, "\\") {
		path = "/" // never a link off the site
	}
	return path + "?" + q.Encode()
}

// AgencyName is the agency's name in the page's language, its id if the tree
// no longer knows it (a reorganisation may remove an agency old threads name).
func (p *Page) AgencyName(id string) string {
	if p.Tree == nil {
		return id
	}
	a, ok := p.Tree.Get(id)
	if !ok {
		return id
	}
	return a.DisplayName(p.Lang)
}

// URL is an absolute address on this service for path.
func (p *Page) URL(path string) string {
	return strings.TrimRight(p.BaseURL, "/") + path
}

// pages lists the page templates; each defines "content" for the layout.
var pages = []string{
	"home", "ask", "check", "confirm", "threads", "thread", "agency", "search", "mail", "console_search",
	"track_form", "track", "login", "queue", "console_thread", "error",
	"chat", "chat_console",
	"consultations", "consultation", "consultation_changes", "consultation_synthesis",
	"consultation_console", "consultation_console_item",
}

// sets holds, per language, one parsed template per page.
var sets = func() map[string]map[string]*template.Template {
	out := map[string]map[string]*template.Template{}
	for _, lang := range i18n.Languages {
		base := template.Must(template.New("layout.html").Option("missingkey=zero").Funcs(funcs(lang)).ParseFS(files, "templates/layout.html", "templates/partials.html"))
		out[lang] = map[string]*template.Template{}
		for _, name := range pages {
			out[lang][name] = template.Must(template.Must(base.Clone()).ParseFS(files, "templates/"+name+".html"))
		}
	}
	return out
}()

// Render writes page name with p into w. It renders into a buffer first, so a
// template error never leaves half a page on the wire.
func Render(w io.Writer, name string, p *Page) error {
	set, ok := sets[i18n.Lang(p.Lang)]
	if !ok {
		set = sets["vi"]
	}
	tpl, ok := set[name]
	if !ok {
		return fmt.Errorf("frontend: no page %q", name)
	}
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, p); err != nil {
		return fmt.Errorf("frontend: render %s: %w", name, err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// Static is the embedded stylesheet and script, served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

// Version is a short hash of the static files; pages link to
// /static/app.css?v=Version so a long cache never serves a stale asset.
var Version = func() string {
	h := sha256.New()
	var names []string
	_ = fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		b, _ := files.ReadFile(n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

// ContentType is the MIME type for a static file name.
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	}
	return "application/octet-stream"
}

var blankLines = regexp.MustCompile(`\n[ \t]*\n`)

// Paragraphs splits text on blank lines into paragraphs, and each paragraph
// into its lines, for templates to print escaped with <p> and <br>.
func Paragraphs(s string) [][]string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var out [][]string
	for _, para := range blankLines.Split(s, -1) {
		var lines []string
		for _, l := range strings.Split(para, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 0 {
			out = append(out, lines)
		}
	}
	return out
}

// funcs are the template functions bound to one language.
func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":        func(key string, args ...any) string { return i18n.T(lang, key, args...) },
		"date":     i18n.Date,
		"datetime": i18n.DateTime,
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"paras":    Paragraphs,
		"version":  func() string { return Version },
		// tel keeps the digits and + of a phone number as people write it
		// (0918 234 567), for a tel: link.
		"tel": func(s string) string {
			return strings.Map(func(r rune) rune {
				if r == '+' || r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, s)
		},
		// dict builds a map for passing several values to a partial.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		// describedby joins the ids of a field's hint and error for
		// aria-describedby, skipping the empty ones.
		"describedby": func(ids ...string) string {
			var out []string
			for _, id := range ids {
				if id != "" {
					out = append(out, id)
				}
			}
			return strings.Join(out, " ")
		},
	}
}
