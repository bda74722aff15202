package notifications

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"tuongtac/i18n"
)

// Template names: one e-mail per event, each in Vietnamese and English.
const (
	// Citizens.
	TmplVerifyEmail     = "verify_email"     // double opt-in link; the only mail sent to an unverified address
	TmplReceived        = "received"         // question received, with the tracking code and link
	TmplTransferred     = "transferred"      // moved to another agency, with why and the new due date
	TmplPublished       = "published"        // answered publicly: the link and the rating link
	TmplAnsweredPrivate = "answered_private" // answered to the asker only: the answer and the rating link
	TmplRejected        = "rejected"         // not accepted, with the reason
	TmplCommentAnswered = "comment_answered" // a consultation comment got a reply
	TmplFollowedUpdate  = "followed_update"  // a thread the reader follows changed
	TmplChatTranscript  = "chat_transcript"  // a live chat's transcript, asked for by the citizen
	// Officers.
	TmplOfficerNewItem     = "officer_new_item"     // a new item in the agency's queue
	TmplOfficerDueTomorrow = "officer_due_tomorrow" // one working day left
	TmplOfficerOverdue     = "officer_overdue"      // past due; Level says who is told
	TmplOfficerDigest      = "officer_digest"       // one message listing Items
)

// CitizenTemplates and OfficerTemplates list the templates of each audience.
var (
	CitizenTemplates = []string{TmplVerifyEmail, TmplReceived, TmplTransferred, TmplPublished, TmplAnsweredPrivate, TmplRejected, TmplCommentAnswered, TmplFollowedUpdate, TmplChatTranscript}
	OfficerTemplates = []string{TmplOfficerNewItem, TmplOfficerDueTomorrow, TmplOfficerOverdue, TmplOfficerDigest}
)

// Data is what an event tells its template. Every field is data, never
// template text: user input (a title, a name, a reason) shows exactly as
// typed, escaped for HTML in the HTML part. Fields a template does not use
// are ignored; URLs must be absolute http(s) links.
type Data struct {
	// Name greets the recipient; it is also the To display name.
	Name string `json:"name,omitempty"`
	// Title is the thread's (or for officers, the queue item's) title.
	Title string `json:"title,omitempty"`
	// Kind is the thread kind: question, feedback or complaint.
	Kind string `json:"kind,omitempty"`
	// Code is the tracking code (received only: it is not stored anywhere else).
	Code     string `json:"code,omitempty"`
	TrackURL string `json:"track_url,omitempty"`
	// ThreadURL is the public page; RatingURL the satisfaction rating link.
	ThreadURL string `json:"thread_url,omitempty"`
	RatingURL string `json:"rating_url,omitempty"`
	// ConsoleURL is the officers' link to the item.
	ConsoleURL string `json:"console_url,omitempty"`
	// Agency is the agency's name in the recipient's language; FromAgency and
	// ToAgency describe a transfer.
	Agency     string `json:"agency,omitempty"`
	FromAgency string `json:"from_agency,omitempty"`
	ToAgency   string `json:"to_agency,omitempty"`
	// Reason explains a rejection or a transfer.
	Reason string `json:"reason,omitempty"`
	// Answer is the answer itself, for answered_private.
	Answer string `json:"answer,omitempty"`
	// Draft, Comment and Reply describe a consultation comment's reply.
	Draft   string `json:"draft,omitempty"`
	Comment string `json:"comment,omitempty"`
	Reply   string `json:"reply,omitempty"`
	// DueAt is the answer deadline.
	DueAt time.Time `json:"due_at,omitzero"`
	// OverdueDays counts working days past DueAt.
	OverdueDays int `json:"overdue_days,omitempty"`
	// Level of an overdue notice: 0 the officers, 1 the agency's editors,
	// 2 the parent agency's editors.
	Level int `json:"level,omitempty"`
	// Items are the lines of a digest.
	Items []Item `json:"items,omitempty"`
}

// Item is one line of an officer's digest.
type Item struct {
	// Template is the event the line stands for (officer_new_item, ...).
	Template string    `json:"template"`
	Title    string    `json:"title"`
	Agency   string    `json:"agency,omitempty"`
	URL      string    `json:"url,omitempty"`
	DueAt    time.Time `json:"due_at,omitzero"`
	At       time.Time `json:"at"`
}

// view is what a template executes on: the event's Data and what the
// service adds.
type view struct {
	Data
	Lang           string
	Site           string
	BaseURL        string
	Date           time.Time
	VerifyURL      string
	ExpiresAt      time.Time
	UnsubscribeURL string
	Officer        bool
}

//go:embed templates
var templateFS embed.FS

type tmplPair struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var funcs = map[string]any{
	"date":     i18n.Date,
	"datetime": i18n.DateTime,
	"paras":    paras,
	"link":     func(url, label string) linkView { return linkView{URL: url, Label: label} },
}

type linkView struct{ URL, Label string }

// loadTemplates parses every template once. A template that fails to parse is
// a programming error caught by the tests.
var loadTemplates = sync.OnceValues(func() (map[string]*tmplPair, error) {
	out := map[string]*tmplPair{}
	for _, lang := range i18n.Languages {
		for _, name := range append(append([]string{}, CitizenTemplates...), OfficerTemplates...) {
			files := []string{"templates/layout.tmpl", "templates/" + lang + "/" + name + ".tmpl"}
			tt, err := texttemplate.New(name).Funcs(funcs).Option("missingkey=error").ParseFS(templateFS, files...)
			if err != nil {
				return nil, fmt.Errorf("notifications: template %s/%s: %w", lang, name, err)
			}
			ht, err := htmltemplate.New(name).Funcs(funcs).Option("missingkey=error").ParseFS(templateFS, files...)
			if err != nil {
				return nil, fmt.Errorf("notifications: template %s/%s: %w", lang, name, err)
			}
			out[lang+"/"+name] = &tmplPair{text: tt, html: ht}
		}
	}
	return out, nil
})

// siteName is the sender's name in each language.
func siteName(lang string) string {
	if lang == "en" {
		return "An Giang Public Interaction Portal"
	}
	return "Cổng Tương tác An Giang"
}

// rendered is a message's subject and bodies.
type rendered struct {
	Subject, Text, HTML string
}

// render executes template name in lang on v.
func render(name, lang string, v view) (rendered, error) {
	ts, err := loadTemplates()
	if err != nil {
		return rendered{}, err
	}
	lang = i18n.Lang(lang)
	p, ok := ts[lang+"/"+name]
	if !ok {
		return rendered{}, fmt.Errorf("notifications: unknown template %q", name)
	}
	v.Lang = lang
	v.Site = siteName(lang)
	var subj, text, html bytes.Buffer
	if err := p.text.ExecuteTemplate(&subj, "subject", v); err != nil {
		return rendered{}, fmt.Errorf("notifications: render %s/%s subject: %w", lang, name, err)
	}
	if err := p.text.ExecuteTemplate(&text, "text_page", v); err != nil {
		return rendered{}, fmt.Errorf("notifications: render %s/%s text: %w", lang, name, err)
	}
	if err := p.html.ExecuteTemplate(&html, "html_page", v); err != nil {
		return rendered{}, fmt.Errorf("notifications: render %s/%s html: %w", lang, name, err)
	}
	return rendered{Subject: HeaderText(subj.String(), 200), Text: tidyText(text.String()), HTML: html.String()}, nil
}

// paras splits user text into paragraphs of lines, so that the HTML part
// shows its line breaks with every piece escaped.
func paras(s string) [][]string {
	s = normalizeNewlines(strings.TrimSpace(s))
	if s == "" {
		return nil
	}
	var out [][]string
	for _, p := range strings.Split(s, "\n\n") {
		p = strings.Trim(p, "\n")
		if strings.TrimSpace(p) == "" {
			continue
		}
		out = append(out, strings.Split(p, "\n"))
	}
	return out
}

// tidyText trims trailing spaces and collapses runs of blank lines that
// template conditionals leave behind.
func tidyText(s string) string {
	lines := strings.Split(normalizeNewlines(s), "\n")
	out := make([]string, 0, len(lines))
	blank := true
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}
