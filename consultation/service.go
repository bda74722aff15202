package consultation

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"tuongtac/agencies"
	"tuongtac/consultation/legal"
	"tuongtac/problem"
	"tuongtac/store"
	"tuongtac/vntext"
)

// Limits on what editors and citizens send, in characters after NFC.
const (
	TitleMin        = 5
	TitleMax        = 200
	SummaryMax      = 2000
	ReasonMax       = 2000
	NoteMax         = 500
	BodyMin         = 5
	BodyMax         = 10000
	NameMax         = 100
	EmailMax        = 254
	OrganisationMax = 200
	ResponseMax     = 10000
)

// Period rules.
const (
	// DefaultMinPeriodDays is the shortest comment period that needs no
	// recorded reason, in calendar days (Service.MinPeriodDays overrides it).
	DefaultMinPeriodDays = 30
	// MaxPeriodDays bounds a period, catching a mistyped year.
	MaxPeriodDays = 366
	// OpenGrace is how far in the past opens_at may be, for the time between
	// an editor filling in the form and sending it.
	OpenGrace = 10 * time.Minute
)

// Service runs consultations: the editor's side (create, revise, close,
// publish the synthesis), the citizen's (read, comment) and the officer's
// (moderate, respond). Every method takes the context first and returns
// problem errors for anything the caller did wrong.
type Service struct {
	Store *Store
	Tree  *agencies.Tree
	// Now is the clock; tests may set it.
	Now func() time.Time
	// MinPeriodDays is the shortest period without a recorded reason.
	MinPeriodDays int
	// Limits bound the drafts Create and AddVersion accept.
	Limits legal.Limits
}

// NewService builds a Service with the default period and limits.
func NewService(st *Store, tree *agencies.Tree) *Service {
	return &Service{Store: st, Tree: tree, Now: store.Now, MinPeriodDays: DefaultMinPeriodDays, Limits: legal.DefaultLimits}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

func (s *Service) minDays() int {
	if s.MinPeriodDays > 0 {
		return s.MinPeriodDays
	}
	return DefaultMinPeriodDays
}

// Zone is Asia/Ho_Chi_Minh: dates typed without a zone are read in it, and
// calendar days are counted in it.
var Zone = func() *time.Location {
	z, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return z
}()

// ParseTime reads a time as people and forms send it: RFC 3339 with a zone;
// "2006-01-02T15:04[:05]", "2006-01-02 15:04" or "02/01/2006 15:04" in
// Vietnam's time; or a date alone ("2006-01-02", "02/01/2006"), which is the
// start of that day, or its last second when endOfDay is set (a period that
// "closes on 30/04" includes 30/04). The result is UTC, whole seconds.
func ParseTime(s string, endOfDay bool) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Second), true
	}
	for _, l := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "02/01/2006 15:04"} {
		if t, err := time.ParseInLocation(l, s, Zone); err == nil {
			return t.UTC(), true
		}
	}
	for _, l := range []string{"2006-01-02", "02/01/2006"} {
		if t, err := time.ParseInLocation(l, s, Zone); err == nil {
			if endOfDay {
				t = t.AddDate(0, 0, 1).Add(-time.Second)
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// PeriodDays counts the calendar days (in Vietnam) a period [opens, closes)
// touches: 08:00 on 01/04 to 23:59:59 on 30/04 is 30 days.
func PeriodDays(opens, closes time.Time) int {
	if !closes.After(opens) {
		return 0
	}
	a := opens.In(Zone)
	b := closes.Add(-time.Nanosecond).In(Zone)
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours()/24) + 1
}

// formatLocal writes a time as pages show it, for messages.
func formatLocal(t time.Time) string { return t.In(Zone).Format("15:04 02/01/2006") }

var b32 = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// newID returns an opaque id that sorts by creation time: 48 bits of
// milliseconds and 32 random bits, in lower-case Crockford base32.
func newID(now time.Time) string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return strings.ToLower(b32.EncodeToString(b[:]))
}

// DraftInput is a draft as an editor sends it: text or Markdown in Text, or
// a DOCX file's bytes in File (read with ReadFile).
type DraftInput struct {
	// Format is "text" (the default for Text), "markdown" or "docx" (the
	// default when File is set).
	Format   string
	Text     string
	File     []byte
	Filename string
}

// CreateInput is a new consultation.
type CreateInput struct {
	Agency  string
	Title   string
	Summary string
	// OpensAt and ClosesAt are read by ParseTime; a date alone closes at the
	// end of that day.
	OpensAt  string
	ClosesAt string
	// ShortPeriodReason is required when the period is shorter than the
	// minimum.
	ShortPeriodReason string
	Draft             DraftInput
}

// VersionInput is a revised draft.
type VersionInput struct {
	Draft DraftInput
	// Note says what changed, for readers.
	Note string
}

// ReadFile reads an uploaded file up to the DOCX size limit; a larger one is
// a problem of KindTooLarge, so the server can stream the multipart part
// into it.
func (s *Service) ReadFile(r io.Reader) ([]byte, error) {
	max := s.Limits.WithDefaults().MaxFileBytes
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("consultation: read upload: %w", err)
	}
	if int64(len(b)) > max {
		return nil, tooLarge(max)
	}
	return b, nil
}

func tooLarge(max int64) error {
	return &problem.Error{Kind: problem.KindTooLarge, Message: problem.Msg("error.file_too_large", int(max>>20))}
}

// parseDraft parses a draft, adding field errors to f. A nil document with
// a nil error means f has the reason.
func (s *Service) parseDraft(in DraftInput, f *problem.Fields) (*legal.Document, string, string, error) {
	format := strings.ToLower(strings.TrimSpace(in.Format))
	if format == "" {
		format = string(legal.FormatText)
		if len(in.File) > 0 {
			format = string(legal.FormatDOCX)
		}
	}
	lim := s.Limits
	var (
		doc    *legal.Document
		source string
		err    error
		field  = "text"
	)
	switch legal.Format(format) {
	case legal.FormatText, legal.FormatMarkdown:
		if strings.TrimSpace(in.Text) == "" {
			f.Add("text", "field.text.required")
			return nil, "", format, nil
		}
		source = strings.ToValidUTF8(in.Text, "\uFFFD")
		doc, err = legal.Import([]byte(source), legal.Format(format), lim)
	case legal.FormatDOCX:
		field = "file"
		if len(in.File) == 0 {
			f.Add("file", "field.file.required")
			return nil, "", format, nil
		}
		var paras []string
		paras, err = legal.DOCXParagraphs(in.File, lim)
		if err == nil {
			source = strings.Join(paras, "\n")
			doc, err = legal.ParseParagraphs(paras, lim)
		}
	default:
		f.Add("format", "field.format.oneof")
		return nil, "", format, nil
	}
	if err == nil {
		return doc, source, format, nil
	}
	full := lim.WithDefaults()
	switch {
	case errors.Is(err, legal.ErrFileTooLarge):
		return nil, "", format, tooLarge(full.MaxFileBytes)
	case errors.Is(err, legal.ErrEmpty) && field == "file":
		f.Add(field, "field.file.empty")
	case errors.Is(err, legal.ErrEmpty):
		f.Add(field, "field.text.required")
	case errors.Is(err, legal.ErrTextTooLong):
		f.Add(field, "field.text.too_long", full.MaxTextBytes>>10)
	case errors.Is(err, legal.ErrTooManyUnits):
		f.Add(field, "field.text.too_many_units", full.MaxUnits)
	case errors.Is(err, legal.ErrLegacyDoc):
		f.Add(field, "field.file.legacy_doc")
	case errors.Is(err, legal.ErrNotZip), errors.Is(err, legal.ErrNotDOCX):
		f.Add(field, "field.file.not_docx")
	case errors.Is(err, legal.ErrTooManyEntries):
		f.Add(field, "field.file.too_many_entries")
	case errors.Is(err, legal.ErrUnpackedTooLarge):
		f.Add(field, "field.file.unpacked_too_large")
	case errors.Is(err, legal.ErrCorrupt):
		f.Add(field, "field.file.corrupt")
	default:
		return nil, "", format, fmt.Errorf("consultation: parse draft: %w", err)
	}
	return nil, "", format, nil
}

// period is a validated comment period.
type period struct {
	opens, closes time.Time
	reason        string
}

// checkPeriod validates opens_at, closes_at and the reason for a short
// period.
func (s *Service) checkPeriod(in CreateInput, now time.Time, f *problem.Fields) period {
	var p period
	var okOpen, okClose bool
	switch {
	case strings.TrimSpace(in.OpensAt) == "":
		f.Add("opens_at", "field.opens_at.required")
	default:
		if p.opens, okOpen = ParseTime(in.OpensAt, false); !okOpen {
			f.Add("opens_at", "field.opens_at.invalid")
		} else if p.opens.Before(now.Add(-OpenGrace)) {
			f.Add("opens_at", "field.opens_at.past")
			okOpen = false
		}
	}
	switch {
	case strings.TrimSpace(in.ClosesAt) == "":
		f.Add("closes_at", "field.closes_at.required")
	default:
		if p.closes, okClose = ParseTime(in.ClosesAt, true); !okClose {
			f.Add("closes_at", "field.closes_at.invalid")
		}
	}
	p.reason = vntext.Clean(in.ShortPeriodReason)
	if vntext.Len(p.reason) > ReasonMax {
		f.Add("short_period_reason", "field.max", ReasonMax)
	}
	if okOpen && okClose {
		days := PeriodDays(p.opens, p.closes)
		switch {
		case !p.closes.After(p.opens):
			f.Add("closes_at", "field.closes_at.before_open")
		case days > MaxPeriodDays:
			f.Add("closes_at", "field.closes_at.too_far", MaxPeriodDays)
		case days < s.minDays() && p.reason == "":
			f.Add("short_period_reason", "field.short_period_reason.required", s.minDays())
		}
	}
	return p
}

// Create stores a new consultation for an editor of its agency (or of an
// ancestor). Nothing is stored unless everything is valid; numbering
// problems in the draft do not stop it and are reported in the view's
// issues.
func (s *Service) Create(ctx context.Context, a *Actor, in CreateInput) (*View, error) {
	now := s.now()
	var f problem.Fields
	agency := strings.TrimSpace(in.Agency)
	_, known := s.Tree.Get(agency)
	switch {
	case agency == "":
		f.Add("agency", "field.consultation.agency.required")
	case !known:
		f.Add("agency", "field.agency.unknown")
	case !a.Can(s.Tree, agency, agencies.RoleEditor):
		return nil, problem.Forbidden()
	}
	title := vntext.CleanLine(in.Title)
	switch n := vntext.Len(title); {
	case n == 0:
		f.Add("title", "field.consultation.title.required")
	case n < TitleMin:
		f.Add("title", "field.title.min", TitleMin)
	case n > TitleMax:
		f.Add("title", "field.title.max", TitleMax)
	}
	summary := vntext.Clean(in.Summary)
	if vntext.Len(summary) > SummaryMax {
		f.Add("summary", "field.max", SummaryMax)
	}
	p := s.checkPeriod(in, now, &f)
	doc, source, format, err := s.parseDraft(in.Draft, &f)
	if err != nil {
		return nil, err
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	id := newID(now)
	ver := &Version{ID: versionID(id, 1), Consultation: id, N: 1, Source: source, Document: doc, Aliases: map[string]string{}, CreatedAt: now}
	path := s.Tree.Path(agency)
	c := &Consultation{
		ID: id, Agency: agency, A1: path[0], A2: path[1], A3: path[2], A4: path[3],
		Title: title, Summary: summary,
		OpensAt: p.opens, ClosesAt: p.closes, PlannedClosesAt: p.closes,
		CurrentVersion: 1,
		Versions:       []VersionInfo{versionInfo(1, format, in.Draft.Filename, "", doc, now, a)},
		Counts:         map[string]int64{},
		CreatedAt:      now, CreatedBy: a.ID,
		Audit: []AuditEntry{{At: now, Actor: a.ID, ActorName: a.Name, Action: "create", To: initialState(p, now), Version: 1}},
	}
	if PeriodDays(p.opens, p.closes) < s.minDays() {
		c.ShortPeriodReason = p.reason
	}
	c.touch(now)
	if err := s.Store.versions.Insert(ctx, ver.ID, ver); err != nil {
		return nil, fmt.Errorf("consultation: create %s: %w", id, err)
	}
	if err := s.Store.cons.Insert(ctx, id, c); err != nil {
		_ = s.Store.versions.Delete(ctx, ver.ID)
		return nil, fmt.Errorf("consultation: create %s: %w", id, err)
	}
	ix := doc.Index()
	s.Store.cache.put(ver.ID, &loadedVersion{v: ver, ix: ix})
	return s.view(c, ver, ix, now), nil
}

func initialState(p period, now time.Time) string {
	if now.Before(p.opens) {
		return StateScheduled
	}
	return StateOpen
}

func versionInfo(n int, format, filename, note string, doc *legal.Document, now time.Time, a *Actor) VersionInfo {
	return VersionInfo{
		N: n, Format: format, Filename: vntext.CleanLine(filename), Note: note,
		Units: doc.Count(), Articles: len(doc.Articles()), Issues: len(doc.Issues),
		CreatedAt: now, CreatedBy: a.ID,
	}
}

// View is a consultation as the public page and the API show it: the
// current draft's structure with approved-comment counts by anchor. The
// structure is shared with a cache: read it, do not change it.
type View struct {
	ID                string    `json:"id"`
	Agency            string    `json:"agency"`
	Title             string    `json:"title"`
	Summary           string    `json:"summary"`
	State             string    `json:"state"`
	OpensAt           time.Time `json:"opens_at"`
	ClosesAt          time.Time `json:"closes_at"`
	ClosedEarly       bool      `json:"closed_early"`
	ShortPeriodReason string    `json:"short_period_reason,omitempty"`
	// Version is the current version of the draft.
	Version    int              `json:"version"`
	Versions   []VersionSummary `json:"versions"`
	DraftTitle string           `json:"draft_title,omitempty"`
	Preamble   string           `json:"preamble,omitempty"`
	Structure  []*legal.Node    `json:"structure"`
	Closing    string           `json:"closing,omitempty"`
	// Issues are numbering problems found in the current draft.
	Issues []legal.Issue `json:"issues,omitempty"`
	// CommentCounts are approved comments by anchor; the key "" is the
	// whole draft. CommentTotals add each part's descendants (an article's
	// total includes its clauses and points).
	CommentCounts map[string]int64 `json:"comment_counts"`
	CommentTotals map[string]int64 `json:"comment_totals"`
	CommentsTotal int64            `json:"comments_total"`
	// RemovedComments counts approved comments on parts a later version
	// removed.
	RemovedComments      int64      `json:"removed_comments,omitempty"`
	SynthesisPublishedAt *time.Time `json:"synthesis_published_at,omitempty"`
	CreatedAt            time.Time  `json:"created_at"`
}

// VersionSummary is a version as readers see it.
type VersionSummary struct {
	N         int       `json:"n"`
	Note      string    `json:"note,omitempty"`
	Articles  int       `json:"articles"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Service) view(c *Consultation, v *Version, ix *legal.Index, now time.Time) *View {
	doc := v.Document
	w := &View{
		ID: c.ID, Agency: c.Agency, Title: c.Title, Summary: c.Summary, State: c.stateAt(now),
		OpensAt: c.OpensAt, ClosesAt: c.ClosesAt, ClosedEarly: c.ClosedEarly, ShortPeriodReason: c.ShortPeriodReason,
		Version: c.CurrentVersion, Versions: make([]VersionSummary, 0, len(c.Versions)),
		DraftTitle: doc.Title, Preamble: doc.Preamble, Structure: doc.Nodes, Closing: doc.Closing, Issues: doc.Issues,
		CommentCounts: make(map[string]int64, len(c.Counts)), CommentTotals: make(map[string]int64, len(c.Counts)),
		CommentsTotal: c.Approved, CreatedAt: c.CreatedAt,
	}
	if w.Structure == nil {
		w.Structure = []*legal.Node{}
	}
	for _, vi := range c.Versions {
		w.Versions = append(w.Versions, VersionSummary{N: vi.N, Note: vi.Note, Articles: vi.Articles, CreatedAt: vi.CreatedAt})
	}
	for k, n := range c.Counts {
		switch {
		case k == keyDraft:
			w.CommentCounts[""] += n
			w.CommentTotals[""] += n
		case k == keyRemoved || !ix.Has(k):
			w.RemovedComments += n
		default:
			w.CommentCounts[k] += n
			for _, p := range ix.Path(k) {
				w.CommentTotals[p.Anchor] += n
			}
		}
	}
	if t, ok := parseStamp(c.SynthesisPublishedAt); ok {
		w.SynthesisPublishedAt = &t
	}
	return w
}

// Get returns a consultation's public view. Every consultation is public
// from its creation: a scheduled one shows as upcoming with its draft, so
// people can read ahead; comments are taken only while it is open.
func (s *Service) Get(ctx context.Context, id string) (*View, error) {
	c, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	v, ix, err := s.Store.Version(ctx, c.ID, c.CurrentVersion)
	if err != nil {
		return nil, err
	}
	return s.view(c, v, ix, s.now()), nil
}

// Editor returns the consultation as the console shows it, every version
// and the audit trail included, for an officer of its agency.
func (s *Service) Editor(ctx context.Context, a *Actor, id string) (*EditorView, error) {
	c, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Can(s.Tree, c.Agency, agencies.RoleOfficer) {
		return nil, problem.Forbidden()
	}
	return c.editorView(s.now()), nil
}

// Close ends an open comment period now (an editor's decision, recorded in
// the audit trail; the planned end is kept).
func (s *Service) Close(ctx context.Context, a *Actor, id string) (*View, error) {
	c, err := s.Store.Update(ctx, id, s.now, func(c *Consultation) error {
		if !a.Can(s.Tree, c.Agency, agencies.RoleEditor) {
			return problem.Forbidden()
		}
		now := s.now()
		if st := c.stateAt(now); st != StateOpen {
			return problem.Conflict("conflict.consultation_state", st)
		}
		c.ClosesAt, c.ClosedEarly = now, true
		c.Audit = append(c.Audit, AuditEntry{At: now, Actor: a.ID, ActorName: a.Name, Action: "close", From: StateOpen, To: StateClosed})
		return nil
	})
	if err != nil {
		return nil, err
	}
	v, ix, err := s.Store.Version(ctx, c.ID, c.CurrentVersion)
	if err != nil {
		return nil, err
	}
	return s.view(c, v, ix, s.now()), nil
}

// AddVersion stores a revised draft as the current version, for an editor,
// in any state (the draft revised after the consultation is a version too;
// a published synthesis stays grouped by the version it was published
// with). Comments keep their parts: each part of the old version maps to
// the same part in the new one (see legal.Compare), and the counts move
// with them.
func (s *Service) AddVersion(ctx context.Context, a *Actor, id string, in VersionInput) (*View, error) {
	c, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Can(s.Tree, c.Agency, agencies.RoleEditor) {
		return nil, problem.Forbidden()
	}
	var f problem.Fields
	note := vntext.Clean(in.Note)
	if vntext.Len(note) > NoteMax {
		f.Add("note", "field.max", NoteMax)
	}
	doc, source, format, err := s.parseDraft(in.Draft, &f)
	if err != nil {
		return nil, err
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	prevN := c.CurrentVersion
	prev, _, err := s.Store.Version(ctx, id, prevN)
	if err != nil {
		return nil, err
	}
	diff := legal.Compare(prev.Document, doc)
	now := s.now()
	n := prevN + 1
	ver := &Version{ID: versionID(id, n), Consultation: id, N: n, Source: source, Document: doc,
		Aliases: composeAliases(prev.Aliases, diff.Remap, prevN), CreatedAt: now}
	if err := s.Store.versions.Insert(ctx, ver.ID, ver); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return nil, problem.Conflict("conflict.version_changed")
		}
		return nil, fmt.Errorf("consultation: add version %s: %w", ver.ID, err)
	}
	updated, err := s.Store.Update(ctx, id, s.now, func(c *Consultation) error {
		if c.CurrentVersion != prevN {
			return problem.Conflict("conflict.version_changed")
		}
		counts := make(map[string]int64, len(c.Counts))
		for k, cnt := range c.Counts {
			to := k
			if b, ok := diff.Remap[k]; ok && k != keyDraft && k != keyRemoved {
				to = b
				if b == "" {
					to = keyRemoved
				}
			}
			counts[to] += cnt
		}
		c.Counts = counts
		c.CurrentVersion = n
		c.Versions = append(c.Versions, versionInfo(n, format, in.Draft.Filename, note, doc, now, a))
		st := c.stateAt(now)
		c.Audit = append(c.Audit, AuditEntry{At: now, Actor: a.ID, ActorName: a.Name, Action: "add_version", From: st, To: st, Version: n, Reason: note})
		return nil
	})
	if err != nil {
		_ = s.Store.versions.Delete(ctx, ver.ID)
		return nil, err
	}
	ix := doc.Index()
	s.Store.cache.put(ver.ID, &loadedVersion{v: ver, ix: ix})
	return s.view(updated, ver, ix, now), nil
}

// VersionView is one version of a draft.
type VersionView struct {
	N         int           `json:"n"`
	Format    string        `json:"format"`
	Filename  string        `json:"filename,omitempty"`
	Note      string        `json:"note,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	Title     string        `json:"draft_title,omitempty"`
	Preamble  string        `json:"preamble,omitempty"`
	Structure []*legal.Node `json:"structure"`
	Closing   string        `json:"closing,omitempty"`
	Issues    []legal.Issue `json:"issues,omitempty"`
}

// GetVersion returns version n of a consultation's draft.
func (s *Service) GetVersion(ctx context.Context, id string, n int) (*VersionView, error) {
	c, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > c.CurrentVersion {
		return nil, problem.NotFound()
	}
	v, _, err := s.Store.Version(ctx, id, n)
	if err != nil {
		return nil, err
	}
	vi := c.Versions[n-1]
	d := v.Document
	return &VersionView{N: n, Format: vi.Format, Filename: vi.Filename, Note: vi.Note, CreatedAt: vi.CreatedAt,
		Title: d.Title, Preamble: d.Preamble, Structure: d.Nodes, Closing: d.Closing, Issues: d.Issues}, nil
}

// DiffView is what changed between two versions, article by article.
type DiffView struct {
	From      int            `json:"from"`
	To        int            `json:"to"`
	Changes   []legal.Change `json:"changes"`
	Unchanged int            `json:"unchanged"`
}

// Diff compares version from with version to. Zero values mean the
// current version (to) and the one before it (from).
func (s *Service) Diff(ctx context.Context, id string, from, to int) (*DiffView, error) {
	c, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if to == 0 {
		to = c.CurrentVersion
	}
	if from == 0 {
		from = max(to-1, 1)
	}
	var f problem.Fields
	if from < 1 || from > c.CurrentVersion {
		f.Add("from", "field.version.unknown")
	}
	if to < 1 || to > c.CurrentVersion {
		f.Add("to", "field.version.unknown")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	a, _, err := s.Store.Version(ctx, id, from)
	if err != nil {
		return nil, err
	}
	b, _, err := s.Store.Version(ctx, id, to)
	if err != nil {
		return nil, err
	}
	d := legal.Compare(a.Document, b.Document)
	return &DiffView{From: from, To: to, Changes: d.Changes, Unchanged: d.Unchanged}, nil
}

// Paging limits for public lists.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	MaxPage        = 1000
	// maxUpcoming bounds the scheduled and open consultations of one
	// agency's subtree read to page them.
	maxUpcoming = 1000
)

// ListFilter selects consultations.
type ListFilter struct {
	// Agency includes its sub-agencies; "" is the whole province.
	Agency string
	// State is "" (all, newest period first), or one of States.
	State   string
	Page    int
	PerPage int
}

// ListPage is one page of consultations.
type ListPage struct {
	Items   []ListItem `json:"items"`
	Total   int64      `json:"total"`
	Page    int        `json:"page"`
	PerPage int        `json:"per_page"`
}

func (s *Service) checkList(f *ListFilter) error {
	var fe problem.Fields
	fe.Paging(&f.Page, &f.PerPage, DefaultPerPage, MaxPerPage, MaxPage)
	if f.Agency != "" {
		if _, ok := s.Tree.Get(f.Agency); !ok {
			fe.Add("agency", "field.agency.unknown")
		}
	}
	if f.State != "" && !slices.Contains(States, f.State) {
		fe.Add("state", "field.state.oneof")
	}
	return fe.Err()
}

// ListQuery is the store query behind a list (for the scheduled and open
// states, before they are told apart by opens_at). Every one is served by
// an index.
func (s *Service) ListQuery(f ListFilter, now time.Time) store.Query {
	agency := f.Agency
	if agency == "" {
		agency = s.Tree.Root().ID
	}
	scope := store.Where(s.Tree.ScopeField(agency), store.Eq, agency)
	page := store.Query{Skip: (max(f.Page, 1) - 1) * f.PerPage, Limit: f.PerPage}
	switch f.State {
	case StateSynthesisPublished:
		page.Where = []store.Cond{scope, store.Where("synthesis_published_at", store.Gt, "")}
		page.Sort = []store.SortKey{{Field: "synthesis_published_at", Desc: true}}
	case StateClosed:
		page.Where = []store.Cond{scope, store.Where("synthesis_published_at", store.Eq, ""), store.Where("closes_at", store.Lte, stamp(now))}
		page.Sort = []store.SortKey{{Field: "closes_at", Desc: true}}
	case StateOpen, StateScheduled:
		return store.Query{
			Where: []store.Cond{scope, store.Where("synthesis_published_at", store.Eq, ""), store.Where("closes_at", store.Gt, stamp(now))},
			Sort:  []store.SortKey{{Field: "closes_at"}},
			Limit: maxUpcoming,
		}
	default:
		page.Where = []store.Cond{scope}
		page.Sort = []store.SortKey{{Field: "opens_at", Desc: true}}
	}
	return page
}

// List returns a page of consultations, public to everyone. Open ones come
// soonest-closing first, scheduled ones soonest-closing first, closed ones
// and published syntheses latest first, and all of them newest period
// first.
func (s *Service) List(ctx context.Context, f ListFilter) (*ListPage, error) {
	if err := s.checkList(&f); err != nil {
		return nil, err
	}
	now := s.now()
	q := s.ListQuery(f, now)
	q.Project = "card"
	var cards []*ListItem
	if err := s.Store.cons.Find(ctx, q, &cards); err != nil {
		return nil, fmt.Errorf("consultation: list: %w", err)
	}
	page := &ListPage{Items: []ListItem{}, Page: f.Page, PerPage: f.PerPage}
	if f.State == StateOpen || f.State == StateScheduled {
		var keep []ListItem
		for _, c := range cards {
			if c != nil && (now.Before(c.OpensAt) == (f.State == StateScheduled)) {
				keep = append(keep, *c)
			}
		}
		page.Total = int64(len(keep))
		from := min((f.Page-1)*f.PerPage, len(keep))
		to := min(from+f.PerPage, len(keep))
		for _, c := range keep[from:to] {
			c.State = f.State
			page.Items = append(page.Items, c)
		}
		return page, nil
	}
	for _, c := range cards {
		if c == nil {
			continue
		}
		it := *c
		it.State = cardState(it, now)
		page.Items = append(page.Items, it)
	}
	cq := q
	cq.Project, cq.Sort, cq.Skip, cq.Limit = "", nil, 0, 0
	n, err := s.Store.cons.Count(ctx, cq)
	if err != nil {
		return nil, fmt.Errorf("consultation: list: %w", err)
	}
	page.Total = n
	return page, nil
}

func cardState(c ListItem, now time.Time) string {
	switch {
	case c.SynthesisPublishedAt != nil:
		return StateSynthesisPublished
	case now.Before(c.OpensAt):
		return StateScheduled
	case now.Before(c.ClosesAt):
		return StateOpen
	}
	return StateClosed
}
