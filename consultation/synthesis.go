package consultation

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"tuongtac/agencies"
	"tuongtac/consultation/legal"
	"tuongtac/problem"
	"tuongtac/store"
)

// Tally counts comments by the agency's response.
type Tally struct {
	Comments    int `json:"comments"`
	Accepted    int `json:"accepted"`
	Partly      int `json:"partly"`
	NotAccepted int `json:"not_accepted"`
	Noted       int `json:"noted"`
	Unanswered  int `json:"unanswered"`
}

func (t *Tally) add(outcome string) {
	t.Comments++
	switch outcome {
	case OutcomeAccepted:
		t.Accepted++
	case OutcomePartly:
		t.Partly++
	case OutcomeNotAccepted:
		t.NotAccepted++
	case OutcomeNoted:
		t.Noted++
	default:
		t.Unanswered++
	}
}

// Synthesis is the report of a consultation (báo cáo tổng hợp, tiếp thu,
// giải trình): every approved comment, personal data masked, with the
// agency's response, grouped by the article it concerns, with counts.
type Synthesis struct {
	Consultation string    `json:"consultation"`
	Agency       string    `json:"agency"`
	Title        string    `json:"title"`
	OpensAt      time.Time `json:"opens_at"`
	ClosesAt     time.Time `json:"closes_at"`
	// Published is false in an officer's preview.
	Published   bool       `json:"published"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	// Version is the draft version the report is grouped by.
	Version     int       `json:"version"`
	GeneratedAt time.Time `json:"generated_at"`
	Totals      Tally     `json:"totals"`
	// Groups come in the order of the draft: the whole draft first, then
	// each article (or chapter, section or paragraph commented on outside
	// any article), then comments on parts a later version removed.
	Groups []SynthesisGroup `json:"groups"`
}

// SynthesisGroup is the comments on one article (its clauses and points
// included).
type SynthesisGroup struct {
	// Anchor is the article's; "" for the whole draft and for removed parts.
	Anchor string     `json:"anchor"`
	Kind   legal.Kind `json:"kind,omitempty"`
	Number string     `json:"number,omitempty"`
	Title  string     `json:"title,omitempty"`
	// Citation names the group in Vietnamese ("Điều 7"), CitationEN in
	// English ("Article 7").
	Citation   string          `json:"citation"`
	CitationEN string          `json:"citation_en"`
	Removed    bool            `json:"removed,omitempty"`
	Counts     Tally           `json:"counts"`
	Comments   []SynthesisItem `json:"comments"`
}

// SynthesisItem is one comment in the report.
type SynthesisItem struct {
	ID string `json:"id"`
	// Anchor is the part commented on in the report's version ("" the whole
	// draft); for a removed part, the part as written on in Version.
	Anchor       string     `json:"anchor"`
	Citation     string     `json:"citation"`
	CitationEN   string     `json:"citation_en"`
	Version      int        `json:"version"`
	Name         string     `json:"name,omitempty"`
	Organisation string     `json:"organisation,omitempty"`
	Body         string     `json:"body"`
	CreatedAt    time.Time  `json:"created_at"`
	Outcome      string     `json:"outcome,omitempty"`
	Response     string     `json:"response,omitempty"`
	RespondedAt  *time.Time `json:"responded_at,omitempty"`
}

// PublishSynthesis publishes the synthesis of a closed consultation, for an
// editor. Every comment must be moderated and every approved one answered
// first (conflict.synthesis_incomplete with the two counts); afterwards the
// comments and responses no longer change.
func (s *Service) PublishSynthesis(ctx context.Context, a *Actor, id string) (*View, error) {
	c, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Can(s.Tree, c.Agency, agencies.RoleEditor) {
		return nil, problem.Forbidden()
	}
	if err := publishable(c, s.now()); err != nil {
		return nil, err
	}
	pending, err := s.Store.comments.Count(ctx, ConsultationQueueQuery(id, CommentPending, false, 0))
	if err != nil {
		return nil, fmt.Errorf("consultation: publish %s: %w", id, err)
	}
	unanswered, err := s.Store.comments.Count(ctx, ConsultationQueueQuery(id, CommentApproved, true, 0))
	if err != nil {
		return nil, fmt.Errorf("consultation: publish %s: %w", id, err)
	}
	if pending > 0 || unanswered > 0 {
		return nil, problem.Conflict("conflict.synthesis_incomplete", pending, unanswered)
	}
	c, err = s.Store.Update(ctx, id, s.now, func(c *Consultation) error {
		now := s.now()
		if err := publishable(c, now); err != nil {
			return err
		}
		c.SynthesisPublishedAt = stamp(now)
		c.SynthesisVersion = c.CurrentVersion
		c.Audit = append(c.Audit, AuditEntry{At: now, Actor: a.ID, ActorName: a.Name, Action: "publish_synthesis",
			From: StateClosed, To: StateSynthesisPublished, Version: c.CurrentVersion})
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

func publishable(c *Consultation, now time.Time) error {
	switch st := c.stateAt(now); st {
	case StateClosed:
		return nil
	case StateSynthesisPublished:
		return problem.Conflict("conflict.synthesis_published")
	default:
		return problem.Conflict("conflict.consultation_state", st)
	}
}

// Synthesis returns the published synthesis; before publication it is not
// found.
func (s *Service) Synthesis(ctx context.Context, id string) (*Synthesis, error) {
	c, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.SynthesisPublishedAt == "" {
		return nil, problem.NotFound()
	}
	return s.build(ctx, c, c.SynthesisVersion)
}

// PreviewSynthesis builds the synthesis as it stands, at any time, for an
// officer of the agency: approved comments so far, grouped by the current
// draft.
func (s *Service) PreviewSynthesis(ctx context.Context, a *Actor, id string) (*Synthesis, error) {
	c, _, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Can(s.Tree, c.Agency, agencies.RoleOfficer) {
		return nil, problem.Forbidden()
	}
	n := c.CurrentVersion
	if c.SynthesisVersion > 0 {
		n = c.SynthesisVersion
	}
	return s.build(ctx, c, n)
}

// build groups the approved comments by article of version n.
func (s *Service) build(ctx context.Context, c *Consultation, n int) (*Synthesis, error) {
	v, ix, err := s.Store.Version(ctx, c.ID, n)
	if err != nil {
		return nil, err
	}
	var ps []*PublicComment
	if err := s.Store.comments.Find(ctx, store.Query{
		Where:   []store.Cond{store.Where("consultation", store.Eq, c.ID), store.Where("state", store.Eq, CommentApproved)},
		Sort:    []store.SortKey{{Field: "created_at"}},
		Project: "public",
	}, &ps); err != nil {
		return nil, fmt.Errorf("consultation: synthesis %s: %w", c.ID, err)
	}
	syn := &Synthesis{
		Consultation: c.ID, Agency: c.Agency, Title: c.Title, OpensAt: c.OpensAt, ClosesAt: c.ClosesAt,
		Version: n, GeneratedAt: s.now(), Groups: []SynthesisGroup{},
	}
	if t, ok := parseStamp(c.SynthesisPublishedAt); ok {
		syn.Published, syn.PublishedAt = true, &t
	}
	groups := map[string]*SynthesisGroup{}
	order := map[string]int{}
	for _, p := range ps {
		if p == nil {
			continue
		}
		anchor, removed := resolve(v, p.Version, p.Anchor)
		it := SynthesisItem{ID: p.ID, Anchor: anchor, Version: p.Version, Name: p.Name, Organisation: p.Organisation,
			Body: p.Body, CreatedAt: p.CreatedAt, Outcome: p.Outcome, Response: p.Response, RespondedAt: p.RespondedAt}
		var key string
		switch {
		case removed:
			key = keyRemoved
			it.Anchor = p.Anchor
			if old, oix, err := s.Store.Version(ctx, c.ID, p.Version); err == nil && old != nil {
				it.Citation, it.CitationEN = legal.Cite(oix.Path(p.Anchor), "vi"), legal.Cite(oix.Path(p.Anchor), "en")
			}
		case anchor == "":
			key = keyDraft
			it.Citation, it.CitationEN = legal.Cite(nil, "vi"), legal.Cite(nil, "en")
		default:
			key = ix.Article(anchor)
			it.Citation, it.CitationEN = legal.Cite(ix.Path(anchor), "vi"), legal.Cite(ix.Path(anchor), "en")
		}
		g := groups[key]
		if g == nil {
			g = &SynthesisGroup{Comments: []SynthesisItem{}}
			switch key {
			case keyDraft:
				g.Citation, g.CitationEN = legal.Cite(nil, "vi"), legal.Cite(nil, "en")
				order[key] = -1
			case keyRemoved:
				g.Removed = true
				g.Citation, g.CitationEN = "Các phần đã bỏ khỏi dự thảo", "Parts removed from the draft"
				order[key] = ix.Len() + 1
			default:
				node, _ := ix.Node(key)
				g.Anchor, g.Kind, g.Number, g.Title = key, node.Kind, node.Number, node.Title
				g.Citation, g.CitationEN = legal.Cite(ix.Path(key), "vi"), legal.Cite(ix.Path(key), "en")
				order[key] = ix.Order(key)
			}
			groups[key] = g
		}
		g.Comments = append(g.Comments, it)
		g.Counts.add(it.Outcome)
		syn.Totals.add(it.Outcome)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return order[keys[i]] < order[keys[j]] })
	for _, k := range keys {
		syn.Groups = append(syn.Groups, *groups[k])
	}
	return syn, nil
}

// outcomeVI names an outcome in Vietnamese, for the CSV.
var outcomeVI = map[string]string{
	OutcomeAccepted:    "Tiếp thu",
	OutcomePartly:      "Tiếp thu một phần",
	OutcomeNotAccepted: "Không tiếp thu",
	OutcomeNoted:       "Ghi nhận",
	"":                 "Chưa trả lời",
}

// CSVHeader is the first row WriteCSV writes.
var CSVHeader = []string{
	"stt", "group_anchor", "group_citation", "anchor", "citation", "comment_id", "version",
	"created_at", "name", "organisation", "comment", "outcome", "outcome_vi", "response", "responded_at",
}

// WriteCSV writes the synthesis as CSV: a UTF-8 byte-order mark (so
// spreadsheet programs read Vietnamese correctly), the CSVHeader row, then
// one row per comment in report order. Times are RFC 3339 in Vietnam's
// time. Cells that a spreadsheet would read as a formula (starting with =,
// +, -, @, tab or carriage return) are prefixed with an apostrophe.
func WriteCSV(w io.Writer, syn *Synthesis) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	n := 0
	for _, g := range syn.Groups {
		for _, it := range g.Comments {
			n++
			responded := ""
			if it.RespondedAt != nil {
				responded = it.RespondedAt.In(Zone).Format(time.RFC3339)
			}
			row := []string{
				strconv.Itoa(n), g.Anchor, g.Citation, it.Anchor, it.Citation, it.ID, strconv.Itoa(it.Version),
				it.CreatedAt.In(Zone).Format(time.RFC3339), it.Name, it.Organisation, it.Body,
				it.Outcome, outcomeVI[it.Outcome], it.Response, responded,
			}
			for i := range row {
				row[i] = csvSafe(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
