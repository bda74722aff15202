package main

// Consultations on draft regulations (Article 7.1.c): the JSON API, the
// public pages (the list, a draft with a comment form on every article,
// clause and point, what changed between versions, the synthesis) and the
// officers' section of the console. The consultation package decides
// everything; these handlers read requests member by member, build its
// actor from the session, and hand its errors to the one error handler.

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/valyala/fasthttp"

	"tuongtac/agencies"
	"tuongtac/consultation"
	"tuongtac/consultation/legal"
	"tuongtac/i18n"
	"tuongtac/problem"
)

// UploadLimit bounds the body of the requests that may carry a draft as a
// DOCX file: the file itself (consultation.Service refuses one past 10 MiB,
// with a message that says so) and the form's other fields. Every other
// request keeps BodyLimit.
const UploadLimit = 12 << 20

// uploadReadTimeout is how long an upload may take to arrive: a 10 MiB file
// from a provincial office's connection needs more than ReadTimeout.
const uploadReadTimeout = 2 * time.Minute

// consultationRoutes registers the consultation API, pages and console.
func (a *App) consultationRoutes(app *fiber.App) {
	a.allowUploads(app.Server())
	editor := func(h fiber.Handler) []fiber.Handler {
		return []fiber.Handler{noStore, a.requireSession, a.requireCSRF, h}
	}
	const api = "/api/v1/consultations"
	app.Post(api, editor(a.apiCreateConsultation)...)
	app.Get(api, a.apiListConsultations)
	app.Get(api+"/:id", a.apiGetConsultation)
	app.Post(api+"/:id/close", editor(a.apiCloseConsultation)...)
	app.Post(api+"/:id/versions", editor(a.apiAddVersion)...)
	app.Get(api+"/:id/versions/:n", a.apiGetVersion)
	app.Get(api+"/:id/diff", a.apiDiff)
	app.Post(api+"/:id/comments", noStore, a.apiComment)
	app.Get(api+"/:id/comments", a.apiComments)
	app.Post(api+"/:id/synthesis/publish", editor(a.apiPublishSynthesis)...)
	app.Get(api+"/:id/synthesis", a.apiSynthesis)
	app.Get(api+"/:id/synthesis.csv", a.apiSynthesisCSV)

	const mod = "/api/v1/moderation/comments"
	app.Get(mod, noStore, a.requireSession, a.apiCommentQueue)
	app.Get(mod+"/:id", noStore, a.requireSession, a.apiGetComment)
	app.Post(mod+"/:id/approve", editor(a.apiApproveComment)...)
	app.Post(mod+"/:id/reject", editor(a.apiRejectComment)...)
	app.Post(mod+"/:id/respond", editor(a.apiRespondComment)...)

	// A draft page holds a form for every article, clause and point: the
	// same few lines a hundred times, which compress twentyfold. These pages
	// carry no secret (no CSRF token, no session data) for a compression
	// side channel to reveal.
	zip := compress.New()
	app.Get("/consultations", a.pageConsultations)
	app.Get("/consultations/:id", zip, a.pageConsultation)
	app.Post("/consultations/:id/comments", noStore, a.pageConsultationComment)
	app.Get("/consultations/:id/changes", zip, a.pageConsultationChanges)
	app.Get("/consultations/:id/synthesis", zip, a.pageConsultationSynthesis)

	console := func(h fiber.Handler) []fiber.Handler {
		return []fiber.Handler{a.consultConsoleSession, a.requireCSRF, h}
	}
	app.Get("/console/consultations", a.consultConsoleSession, a.pageConsoleConsultations)
	app.Post("/console/consultations", console(a.pageConsoleCreate)...)
	app.Get("/console/consultations/:id", a.consultConsoleSession, a.pageConsoleConsultation)
	app.Get("/console/consultations/:id/synthesis", a.consultConsoleSession, a.pageConsoleSynthesis)
	app.Post("/console/consultations/:id/:action", console(a.pageConsoleConsultationAction)...)
	app.Post("/console/comments/:id/:action", console(a.pageConsoleCommentAction)...)
}

// consultWorker is the worker that applies approved-comment counts a stopped
// process left in comments' outboxes.
func (a *App) consultWorker() *consultation.Worker {
	return &consultation.Worker{Store: a.consult.Store, Log: a.log, Interval: 5 * time.Second}
}

// allowUploads raises the body limit to UploadLimit, and the read timeout
// with it, for the requests that may carry a draft file, as soon as their
// headers arrive: the limit is then enforced while the body is read, before
// any of it is buffered past the limit, and every other request keeps
// BodyLimit.
func (a *App) allowUploads(srv *fasthttp.Server) {
	prev := srv.HeaderReceived
	srv.HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		var rc fasthttp.RequestConfig
		if prev != nil {
			rc = prev(h)
		}
		if string(h.Method()) == fiber.MethodPost && isUploadPath(string(h.RequestURI())) {
			rc.MaxRequestBodySize = UploadLimit
			rc.ReadTimeout = uploadReadTimeout
		}
		return rc
	}
}

// isUploadPath reports whether uri is one of the routes that take a draft:
// creating a consultation and adding a version, in the API and the console.
// It matches as loosely as the router (any case, a trailing slash).
func isUploadPath(uri string) bool {
	if i := strings.Index(uri, "://"); i >= 0 { // absolute form
		uri = uri[i+3:]
		if j := strings.IndexByte(uri, '/'); j >= 0 {
			uri = uri[j:]
		}
	}
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	p := strings.TrimSuffix(strings.ToLower(uri), "/")
	for _, base := range []string{"/api/v1/consultations", "/console/consultations"} {
		if p == base {
			return true
		}
		if rest, ok := strings.CutPrefix(p, base+"/"); ok {
			id, tail, _ := strings.Cut(rest, "/")
			if id != "" && tail == "versions" {
				return true
			}
		}
	}
	return false
}

// consultActor is the signed-in officer as the consultation package sees
// them.
func consultActor(s *agencies.Session) *consultation.Actor {
	return &consultation.Actor{ID: s.User.ID, Name: s.User.Name, Roles: s.User.Roles}
}

// consultErr names the state in a state conflict in the reader's language:
// the package gives the state's code, the handler's msg translates a message
// argument.
func consultErr(err error) error {
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.KindConflict || len(p.Message.Args) != 1 {
		return err
	}
	st, ok := p.Message.Args[0].(string)
	if !ok {
		return err
	}
	var prefix string
	switch p.Message.Key {
	case "conflict.consultation_state":
		prefix = "consultation.state."
	case "conflict.comment_state":
		prefix = "comment.state."
	default:
		return err
	}
	if !i18n.Has(prefix + st) {
		return err
	}
	cp := *p
	cp.Message = problem.Msg(p.Message.Key, problem.Msg(prefix+st))
	return &cp
}

// The API.

// mediaType is the request's content type without parameters.
func mediaType(c *fiber.Ctx) string {
	return strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
}

// draftForm is a draft as sent: JSON members or multipart form fields, and
// the uploaded file.
type draftForm struct {
	values map[string]string
	file   *multipart.FileHeader
}

// readDraftForm reads a create or version request: a JSON object (the draft
// as text) or multipart/form-data (the same fields, and a DOCX file in part
// "file"). names are the string members it reads.
func readDraftForm(c *fiber.Ctx, names []string) (draftForm, error) {
	out := draftForm{values: map[string]string{}}
	if mediaType(c) == fiber.MIMEMultipartForm {
		form, err := c.MultipartForm()
		if err != nil {
			return out, &problem.Error{Kind: problem.KindValidation, Message: problem.Msg("error.validation")}
		}
		for _, n := range names {
			if vs := form.Value[n]; len(vs) > 0 {
				out.values[n] = vs[0]
			}
		}
		if fs := form.File["file"]; len(fs) > 0 && fs[0].Size > 0 {
			out.file = fs[0]
		}
		return out, nil
	}
	m, err := object(c)
	if err != nil {
		return out, err
	}
	var f problem.Fields
	for _, n := range names {
		var s string
		str(m, n, &s, &f)
		out.values[n] = s
	}
	return out, f.Err()
}

// draft builds the package's draft from the form, reading the file through
// the service's size limit. A file is a DOCX draft unless format says
// otherwise.
func (a *App) draft(d draftForm, format string) (consultation.DraftInput, error) {
	in := consultation.DraftInput{Format: format, Text: d.values["text"]}
	if d.file == nil {
		return in, nil
	}
	f, err := d.file.Open()
	if err != nil {
		return in, err
	}
	defer f.Close()
	in.File, err = a.consult.ReadFile(f)
	if err != nil {
		return in, err
	}
	in.Filename = d.file.Filename
	return in, nil
}

// createFields are the members of a new consultation.
var createFields = []string{"agency", "title", "summary", "opens_at", "closes_at", "short_period_reason", "format", "text"}

func (a *App) apiCreateConsultation(c *fiber.Ctx) error {
	d, err := readDraftForm(c, createFields)
	if err != nil {
		return err
	}
	draft, err := a.draft(d, d.values["format"])
	if err != nil {
		return err
	}
	v, err := a.consult.Create(c.UserContext(), consultActor(a.session(c)), consultation.CreateInput{
		Agency: d.values["agency"], Title: d.values["title"], Summary: d.values["summary"],
		OpensAt: d.values["opens_at"], ClosesAt: d.values["closes_at"], ShortPeriodReason: d.values["short_period_reason"],
		Draft: draft,
	})
	if err != nil {
		return consultErr(err)
	}
	c.Location("/api/v1/consultations/" + url.PathEscape(v.ID))
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (a *App) apiListConsultations(c *fiber.Ctx) error {
	var f problem.Fields
	lf := consultation.ListFilter{
		Agency: c.Query("agency"), State: c.Query("state"),
		Page: intQuery(c, "page", "field.page", &f), PerPage: intQuery(c, "per_page", "field.per_page", &f),
	}
	if err := f.Err(); err != nil {
		return err
	}
	page, err := a.consult.List(c.UserContext(), lf)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (a *App) apiGetConsultation(c *fiber.Ctx) error {
	v, err := a.consult.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (a *App) apiCloseConsultation(c *fiber.Ctx) error {
	v, err := a.consult.Close(c.UserContext(), consultActor(a.session(c)), c.Params("id"))
	if err != nil {
		return consultErr(err)
	}
	return c.JSON(v)
}

func (a *App) apiAddVersion(c *fiber.Ctx) error {
	d, err := readDraftForm(c, []string{"format", "text", "note"})
	if err != nil {
		return err
	}
	draft, err := a.draft(d, d.values["format"])
	if err != nil {
		return err
	}
	v, err := a.consult.AddVersion(c.UserContext(), consultActor(a.session(c)), c.Params("id"), consultation.VersionInput{Draft: draft, Note: d.values["note"]})
	if err != nil {
		return consultErr(err)
	}
	c.Location("/api/v1/consultations/" + url.PathEscape(v.ID) + "/versions/" + strconv.Itoa(v.Version))
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (a *App) apiGetVersion(c *fiber.Ctx) error {
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil {
		return problem.NotFound()
	}
	v, err := a.consult.GetVersion(c.UserContext(), c.Params("id"), n)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// versionQuery reads a version number from the query: absent is 0 (the
// default), anything but a whole number from 0 up is a field error.
func versionQuery(c *fiber.Ctx, name string, f *problem.Fields) int {
	s := c.Query(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		f.Add(name, "field.version.unknown")
		return 0
	}
	return n
}

func (a *App) apiDiff(c *fiber.Ctx) error {
	var f problem.Fields
	from, to := versionQuery(c, "from", &f), versionQuery(c, "to", &f)
	if err := f.Err(); err != nil {
		return err
	}
	d, err := a.consult.Diff(c.UserContext(), c.Params("id"), from, to)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// apiComment takes a citizen's or an organisation's comment. Members are
// read by type (consent only as JSON true); the client's submission tokens
// are the ones questions spend.
func (a *App) apiComment(c *fiber.Ctx) error {
	m, err := object(c)
	if err != nil {
		return err
	}
	var in consultation.CommentInput
	var f problem.Fields
	for name, dst := range map[string]*string{
		"anchor": &in.Anchor, "body": &in.Body, "name": &in.Name, "email": &in.Email,
		"organisation": &in.Organisation, "lang": &in.Lang,
	} {
		str(m, name, dst, &f)
	}
	boolean(m, "show_name", &in.ShowName, &f)
	boolean(m, "consent", &in.Consent, &f)
	if err := f.Err(); err != nil {
		return err
	}
	if _, ok := m["lang"]; !ok {
		in.Lang = langOf(c)
	}
	if err := a.submitAllowed(c); err != nil {
		return err
	}
	r, err := a.consult.Comment(c.UserContext(), c.Params("id"), in, consultation.Meta{ClientHash: a.clientHash(a.clientIP(c))})
	if err != nil {
		return err
	}
	a.confirmCommenter(c, in.Email, in.Lang)
	return c.Status(fiber.StatusCreated).JSON(r)
}

// boolQuery reads true/false (or 1/0) from the query; absent is false.
func boolQuery(c *fiber.Ctx, name string, f *problem.Fields) bool {
	switch strings.ToLower(c.Query(name)) {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	f.Add(name, "field.boolean")
	return false
}

func (a *App) apiComments(c *fiber.Ctx) error {
	var f problem.Fields
	cf := consultation.CommentFilter{
		Subtree: boolQuery(c, "subtree", &f),
		Page:    intQuery(c, "page", "field.page", &f), PerPage: intQuery(c, "per_page", "field.per_page", &f),
	}
	if c.Request().URI().QueryArgs().Has("anchor") {
		anchor := c.Query("anchor")
		cf.Anchor = &anchor
	}
	if err := f.Err(); err != nil {
		return err
	}
	page, err := a.consult.Comments(c.UserContext(), c.Params("id"), cf)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (a *App) apiPublishSynthesis(c *fiber.Ctx) error {
	v, err := a.consult.PublishSynthesis(c.UserContext(), consultActor(a.session(c)), c.Params("id"))
	if err != nil {
		return consultErr(err)
	}
	return c.JSON(v)
}

func (a *App) apiSynthesis(c *fiber.Ctx) error {
	s, err := a.consult.Synthesis(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(s)
}

func (a *App) apiSynthesisCSV(c *fiber.Ctx) error {
	s, err := a.consult.Synthesis(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := consultation.WriteCSV(&buf, s); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="tong-hop-y-kien-`+s.Consultation+`.csv"`)
	return c.Send(buf.Bytes())
}

func (a *App) apiCommentQueue(c *fiber.Ctx) error {
	var f problem.Fields
	limit := intQuery(c, "limit", "field.limit", &f)
	if limit > consultation.MaxQueue {
		f.Add("limit", "field.limit")
	}
	qf := consultation.QueueFilter{
		Agency: c.Query("agency"), Consultation: c.Query("consultation"), State: c.Query("state"),
		Unanswered: boolQuery(c, "unanswered", &f), Limit: limit,
	}
	if err := f.Err(); err != nil {
		return err
	}
	items, err := a.consult.Queue(c.UserContext(), consultActor(a.session(c)), qf)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

func (a *App) apiGetComment(c *fiber.Ctx) error {
	m, err := a.consult.GetComment(c.UserContext(), consultActor(a.session(c)), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(m.Officer())
}

// optionalObject reads an optional JSON object body: none (or null) is an
// empty object.
func optionalObject(c *fiber.Ctx) (map[string]json.RawMessage, error) {
	if b := bytes.TrimSpace(c.Body()); len(b) == 0 || string(b) == "null" {
		return map[string]json.RawMessage{}, nil
	}
	return object(c)
}

func (a *App) apiApproveComment(c *fiber.Ctx) error {
	if _, err := optionalObject(c); err != nil {
		return err
	}
	m, err := a.consult.Approve(c.UserContext(), consultActor(a.session(c)), c.Params("id"))
	if err != nil {
		return consultErr(err)
	}
	return c.JSON(m.Officer())
}

func (a *App) apiRejectComment(c *fiber.Ctx) error {
	m, err := optionalObject(c)
	if err != nil {
		return err
	}
	var reason string
	var f problem.Fields
	str(m, "reason", &reason, &f)
	if err := f.Err(); err != nil {
		return err
	}
	cm, err := a.consult.Reject(c.UserContext(), consultActor(a.session(c)), c.Params("id"), reason)
	if err != nil {
		return consultErr(err)
	}
	return c.JSON(cm.Officer())
}

func (a *App) apiRespondComment(c *fiber.Ctx) error {
	m, err := optionalObject(c)
	if err != nil {
		return err
	}
	var in consultation.ResponseInput
	var f problem.Fields
	str(m, "outcome", &in.Outcome, &f)
	str(m, "text", &in.Text, &f)
	if err := f.Err(); err != nil {
		return err
	}
	cm, err := a.consult.Respond(c.UserContext(), consultActor(a.session(c)), c.Params("id"), in)
	if err != nil {
		return consultErr(err)
	}
	return c.JSON(cm.Officer())
}

// Public pages.

// consultDone is the flash message for ?done= after a redirect.
func consultDone(c *fiber.Ctx) string {
	key := "consultation.done." + c.Query("done")
	if c.Query("done") == "" || !i18n.Has(key) {
		return ""
	}
	return i18n.T(langOf(c), key)
}

type consultListData struct {
	Open, Upcoming    []consultation.ListItem
	Closed, Published []consultation.ListItem
	Pager             pager
	// Console links signed-in officers to their section.
	Console bool
}

// pageConsultations lists consultations: open ones soonest-closing first,
// upcoming ones, then closed ones and published syntheses, latest first,
// paged together.
func (a *App) pageConsultations(c *fiber.Ctx) error {
	ctx, page := c.UserContext(), pageNumber(c)
	list := func(state string, page, per int) (*consultation.ListPage, error) {
		return a.consult.List(ctx, consultation.ListFilter{State: state, Page: page, PerPage: per})
	}
	var d consultListData
	open, err := list(consultation.StateOpen, 1, consultation.MaxPerPage)
	if err != nil {
		return err
	}
	soon, err := list(consultation.StateScheduled, 1, consultation.MaxPerPage)
	if err != nil {
		return err
	}
	page = min(page, consultation.MaxPage)
	closed, err := list(consultation.StateClosed, page, consultation.DefaultPerPage)
	if err != nil {
		return err
	}
	done, err := list(consultation.StateSynthesisPublished, page, consultation.DefaultPerPage)
	if err != nil {
		return err
	}
	d.Open, d.Upcoming, d.Closed, d.Published = open.Items, soon.Items, closed.Items, done.Items
	pages := max(pageCount(closed.Total, closed.PerPage), pageCount(done.Total, done.PerPage))
	d.Pager = makePager(c.Path(), url.Values{}, page, min(pages, consultation.MaxPage))
	d.Console = a.session(c) != nil
	return a.render(c, fiber.StatusOK, "consultations", a.page(c, "consultations", i18n.T(langOf(c), "consultation.list.heading"), d))
}

// commentValues is what a comment form holds.
type commentValues struct {
	Body, Name, Email, Organisation string
	ShowName, Consent               bool
}

// commentForm is the comment form of one part of a draft (or of the whole
// draft), with what was typed and the messages after a failed post.
type commentForm struct {
	// Prefix starts the ids of the form's inputs.
	Prefix string
	Anchor string
	// Cite names the part ("Điểm đ khoản 1 Điều 7").
	Cite   string
	Action string
	Open   bool
	Values commentValues
	// Errors are messages by input id (Prefix-field).
	Errors map[string]string
	Max    commentLimits
}

// commentLimits are the lengths a comment form allows.
type commentLimits struct{ Body, Name, Email, Organisation int }

var commentMax = commentLimits{
	Body: consultation.BodyMax, Name: consultation.NameMax, Email: consultation.EmailMax, Organisation: consultation.OrganisationMax,
}

// unitView is a part of the draft as the page prints it.
type unitView struct {
	ID     string
	Anchor string
	Kind   legal.Kind
	// Heading is "Chương II", "Mục 1", "Điều 7. Title" for containers and
	// articles; Number is "1." or "a)" for clauses and points.
	Heading  string
	Subtitle string
	Number   string
	// H is the heading level of containers and articles.
	H     int
	Paras []string
	Flags []string
	// Countable parts (articles, clauses, points, paragraphs) show their
	// comment count and take comments.
	Countable bool
	Count     int64
	Total     int64
	Comments  []consultation.CommentView
	Form      *commentForm
	Children  []*unitView
}

type consultPageData struct {
	formErrors
	V         *consultation.View
	Units     []*unitView
	Whole     *commentForm
	WholeComm []consultation.CommentView
	Removed   []consultation.CommentView
	// Shown is how many approved comments the page lists; Total how many
	// there are.
	Shown     int
	Flash     string
	Open      bool
	Scheduled bool
	DaysLeft  int
	Preamble  []string
	CommentOK bool
	// Active is the form that was just posted, when the page shows again.
	Active *commentForm
	forms  int
}

// maxPageComments bounds the approved comments a draft page lists; the API
// pages through all of them.
const maxPageComments = 500

// unitID is the HTML id of the part with this anchor.
func unitID(anchor string) string {
	if anchor == "" {
		return "draft"
	}
	return "u-" + strings.ReplaceAll(anchor, "/", "_")
}

func splitParas(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// heading names a container or an article as the draft writes it.
func heading(n *legal.Node) (string, string) {
	switch n.Kind {
	case legal.KindPart:
		return "Phần thứ " + n.Number, n.Title
	case legal.KindChapter:
		return "Chương " + n.Number, n.Title
	case legal.KindSection:
		return "Mục " + n.Number, n.Title
	case legal.KindArticle:
		if n.Title != "" {
			return "Điều " + n.Number + ". " + n.Title, ""
		}
		return "Điều " + n.Number + ".", ""
	}
	return "", ""
}

// units builds the page's tree of parts with their counts, comments and
// forms.
func (a *App) units(nodes []*legal.Node, path []*legal.Node, d *consultPageData, byAnchor map[string][]consultation.CommentView, lang string, inSection bool) []*unitView {
	out := make([]*unitView, 0, len(nodes))
	for _, n := range nodes {
		p := append(slices.Clip(path), n)
		u := &unitView{
			ID: unitID(n.Anchor), Anchor: n.Anchor, Kind: n.Kind, Paras: splitParas(n.Text), Flags: n.Flags,
			Count: d.V.CommentCounts[n.Anchor], Total: d.V.CommentTotals[n.Anchor], Comments: byAnchor[n.Anchor],
		}
		u.Heading, u.Subtitle = heading(n)
		switch n.Kind {
		case legal.KindPart, legal.KindChapter:
			u.H = 3
		case legal.KindSection:
			u.H = 4
		case legal.KindArticle:
			u.H = 4
			if inSection {
				u.H = 5
			}
		case legal.KindClause:
			u.Number = n.Number + "."
		case legal.KindPoint:
			u.Number = n.Number + ")"
		}
		switch n.Kind {
		case legal.KindArticle, legal.KindClause, legal.KindPoint, legal.KindParagraph:
			u.Countable = true
			if d.CommentOK {
				// Short ids: a draft page holds a hundred forms.
				d.forms++
				u.Form = &commentForm{Prefix: "f" + strconv.Itoa(d.forms), Anchor: n.Anchor, Cite: legal.Cite(p, lang), Max: commentMax,
					Action: "/consultations/" + url.PathEscape(d.V.ID) + "/comments#" + u.ID, Errors: map[string]string{}}
			}
		}
		u.Children = a.units(n.Children, p, d, byAnchor, lang, inSection || n.Kind == legal.KindSection)
		out = append(out, u)
	}
	return out
}

// consultationPage builds a draft's page. active, when set, is the form that
// was just posted: it opens with what was typed (Active is that form: the
// part's, or the whole draft's when the part is not in the draft).
func (a *App) consultationPage(c *fiber.Ctx, id string, active *commentForm) (*consultPageData, error) {
	ctx, lang := c.UserContext(), langOf(c)
	v, err := a.consult.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &consultPageData{
		V: v, Flash: consultDone(c), Preamble: splitParas(v.Preamble),
		Open: v.State == consultation.StateOpen, Scheduled: v.State == consultation.StateScheduled,
	}
	d.CommentOK = d.Open
	if d.Open {
		d.DaysLeft = int(time.Until(v.ClosesAt).Hours()/24) + 1
	}
	byAnchor := map[string][]consultation.CommentView{}
	for p := 1; d.Shown < maxPageComments; p++ {
		page, err := a.consult.Comments(ctx, v.ID, consultation.CommentFilter{Page: p, PerPage: consultation.MaxPerPage})
		if err != nil {
			return nil, err
		}
		for _, cm := range page.Items {
			switch {
			case cm.Removed:
				d.Removed = append(d.Removed, cm)
			case cm.Anchor == "":
				d.WholeComm = append(d.WholeComm, cm)
			default:
				byAnchor[cm.Anchor] = append(byAnchor[cm.Anchor], cm)
			}
		}
		d.Shown += len(page.Items)
		if len(page.Items) < page.PerPage {
			break
		}
	}
	d.Units = a.units(v.Structure, nil, d, byAnchor, lang, false)
	if d.CommentOK {
		d.Whole = &commentForm{Prefix: "draft", Cite: legal.Cite(nil, lang), Max: commentMax,
			Action: "/consultations/" + url.PathEscape(v.ID) + "/comments#draft", Errors: map[string]string{}}
	}
	if active != nil && d.CommentOK {
		target := d.Whole
		var find func(us []*unitView)
		find = func(us []*unitView) {
			for _, u := range us {
				if u.Form != nil && u.Anchor == active.Anchor {
					target = u.Form
				}
				find(u.Children)
			}
		}
		if active.Anchor != "" {
			find(d.Units)
		}
		target.Open, target.Values = true, active.Values
		d.Active = target
	}
	return d, nil
}

func (a *App) renderConsultation(c *fiber.Ctx, status int, d *consultPageData) error {
	title := d.V.Title
	if len(d.Summary) > 0 || d.Message != "" {
		title = i18n.T(langOf(c), "form.error_title") + " " + title
	}
	d.formErrors = d.formErrors.ready()
	p := a.page(c, "consultations", title, d)
	p.Path = "/consultations/" + url.PathEscape(d.V.ID)
	return a.render(c, status, "consultation", p)
}

func (a *App) pageConsultation(c *fiber.Ctx) error {
	d, err := a.consultationPage(c, c.Params("id"), nil)
	if err != nil {
		return err
	}
	return a.renderConsultation(c, fiber.StatusOK, d)
}

// commentFields is the order of a comment form's fields, for the summary.
var commentFields = []string{"body", "name", "organisation", "email", "consent"}

// pageConsultationComment takes a comment from a draft page's form, then
// goes back (303) to the part commented on with a thank-you; on a refusal
// the page shows again with that form open, what was typed and why.
func (a *App) pageConsultationComment(c *fiber.Ctx) error {
	id := c.Params("id")
	vals := commentValues{
		Body: c.FormValue("body"), Name: c.FormValue("name"), Email: c.FormValue("email"), Organisation: c.FormValue("organisation"),
		ShowName: c.FormValue("show_name") != "", Consent: c.FormValue("consent") != "",
	}
	anchor := strings.TrimSpace(c.FormValue("anchor"))
	in := consultation.CommentInput{
		Anchor: anchor, Body: vals.Body, Name: vals.Name, Email: vals.Email, Organisation: vals.Organisation,
		ShowName: vals.ShowName, Consent: vals.Consent, Lang: langOf(c),
	}
	err := a.submitAllowed(c)
	if err == nil {
		_, err = a.consult.Comment(c.UserContext(), id, in, consultation.Meta{ClientHash: a.clientHash(a.clientIP(c))})
	}
	if err == nil {
		a.confirmCommenter(c, in.Email, in.Lang)
	}
	if err == nil {
		return c.Redirect("/consultations/"+url.PathEscape(id)+"?done=comment#"+unitID(anchor), fiber.StatusSeeOther)
	}
	if problem.Is(err, problem.KindNotFound) {
		return err
	}
	d, gerr := a.consultationPage(c, id, &commentForm{Anchor: anchor, Values: vals})
	if gerr != nil {
		return gerr
	}
	prefix := "draft"
	if d.Active != nil {
		prefix = d.Active.Prefix
	}
	fe, status, perr := formProblem(c, err, commentFields, func(f string) string {
		if f == "anchor" {
			f = "body" // a part not in the draft: the message goes by the text
		}
		return prefix + "-" + f
	})
	if perr != nil {
		return perr
	}
	if d.Active != nil && fe.Errors != nil {
		d.Active.Errors = fe.Errors
	}
	d.formErrors = fe
	c.Set(fiber.HeaderCacheControl, "no-store")
	return a.renderConsultation(c, status, d)
}

type consultChangesData struct {
	V       *consultation.View
	D       *consultation.DiffView
	Changes []changeView
	Options []int
}

// changeView is one article's change, with the id of the article on the
// draft page.
type changeView struct {
	C  legal.Change
	ID string
}

// pageConsultationChanges shows what changed between two versions of a
// draft, article by article (by default the previous version against the
// current one).
func (a *App) pageConsultationChanges(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v, err := a.consult.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	from, _ := strconv.Atoi(c.Query("from"))
	to, _ := strconv.Atoi(c.Query("to"))
	d := consultChangesData{V: v}
	if v.Version > 1 {
		if d.D, err = a.consult.Diff(ctx, v.ID, max(from, 0), max(to, 0)); err != nil {
			return err
		}
		for _, ch := range d.D.Changes {
			d.Changes = append(d.Changes, changeView{C: ch, ID: unitID(ch.Anchor)})
		}
	}
	for n := 1; n <= v.Version; n++ {
		d.Options = append(d.Options, n)
	}
	return a.render(c, fiber.StatusOK, "consultation_changes", a.page(c, "consultations", i18n.T(langOf(c), "consultation.changes.heading")+" — "+v.Title, d))
}

type consultSynthesisData struct {
	S       *consultation.Synthesis
	Groups  []synthesisGroup
	Preview bool
	URL     string
}

// synthesisGroup is a group of the synthesis named in the reader's
// language, its comments numbered through the whole report.
type synthesisGroup struct {
	N      int
	Cite   string
	Title  string
	Counts consultation.Tally
	Items  []synthesisItem
}

type synthesisItem struct {
	consultation.SynthesisItem
	N    int
	Cite string
}

// synthesisData numbers the report's comments and names its parts in lang.
func synthesisData(s *consultation.Synthesis, lang string) consultSynthesisData {
	d := consultSynthesisData{S: s}
	n := 0
	for i, g := range s.Groups {
		sg := synthesisGroup{N: i + 1, Cite: g.Citation, Title: g.Title, Counts: g.Counts}
		if lang == "en" {
			sg.Cite = g.CitationEN
		}
		for _, it := range g.Comments {
			n++
			cite := it.Citation
			if lang == "en" {
				cite = it.CitationEN
			}
			if cite == "" {
				cite = it.Anchor
			}
			sg.Items = append(sg.Items, synthesisItem{SynthesisItem: it, N: n, Cite: cite})
		}
		d.Groups = append(d.Groups, sg)
	}
	return d
}

func (a *App) pageConsultationSynthesis(c *fiber.Ctx) error {
	s, err := a.consult.Synthesis(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	d := synthesisData(s, langOf(c))
	d.URL = strings.TrimRight(a.cfg.BaseURL, "/") + "/consultations/" + url.PathEscape(s.Consultation) + "/synthesis"
	return a.render(c, fiber.StatusOK, "consultation_synthesis", a.page(c, "consultations", i18n.T(langOf(c), "consultation.synthesis.heading")+" — "+s.Title, d))
}

// The console.

// consultConsoleSession sends a caller without a session to the sign-in
// form, to come back to the page they asked for. Nothing is cached.
func (a *App) consultConsoleSession(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if a.session(c) != nil {
		return c.Next()
	}
	next := "/console/consultations"
	if c.Method() == fiber.MethodGet {
		next = c.Path()
	}
	return c.Redirect("/console?next="+url.QueryEscape(safeNext(next)), fiber.StatusSeeOther)
}

// createValues is the create form as posted.
type createValues struct {
	Agency, Title, Summary, OpensAt, ClosesAt, ShortPeriodReason, Format, Text string
}

type consultConsoleData struct {
	formErrors
	Flash     string
	CanCreate bool
	Agencies  []scopeOption
	Form      createValues
	Items     []consultation.ListItem
	Pending   []consultation.QueueItem
	Formats   []string
	TitleMax  int
}

// draftFormats are the formats of a typed draft; a file is DOCX.
var draftFormats = []string{string(legal.FormatText), string(legal.FormatMarkdown)}

// editorAgencies lists the agencies the officer may open a consultation for,
// each under the agency it belongs to.
func (a *App) editorAgencies(s *agencies.Session, lang string) []scopeOption {
	var out []scopeOption
	seen := map[string]bool{}
	for _, sc := range consultActor(s).Scopes(a.tree) {
		base := a.tree.Depth(sc)
		for _, id := range a.tree.Subtree(sc) {
			if seen[id] || !agencies.Allowed(a.tree, s.User.Roles, id, agencies.RoleEditor) {
				continue
			}
			seen[id] = true
			ag, _ := a.tree.Get(id)
			out = append(out, scopeOption{ID: id, Label: strings.Repeat("— ", a.tree.Depth(id)-base) + ag.DisplayName(lang)})
		}
	}
	return out
}

func (a *App) renderConsoleConsultations(c *fiber.Ctx, status int, form createValues, fe formErrors) error {
	s := a.session(c)
	ctx, act, lang := c.UserContext(), consultActor(s), langOf(c)
	d := consultConsoleData{formErrors: fe.ready(), Flash: consultDone(c), Form: form, Formats: draftFormats, TitleMax: consultation.TitleMax}
	d.Agencies = a.editorAgencies(s, lang)
	d.CanCreate = len(d.Agencies) > 0
	seen := map[string]bool{}
	for _, sc := range act.Scopes(a.tree) {
		if _, ok := a.tree.Get(sc); !ok {
			continue
		}
		page, err := a.consult.List(ctx, consultation.ListFilter{Agency: sc, PerPage: consultation.MaxPerPage})
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			if !seen[it.ID] {
				seen[it.ID] = true
				d.Items = append(d.Items, it)
			}
		}
	}
	pending, err := a.consult.Queue(ctx, act, consultation.QueueFilter{})
	if err != nil && !problem.Is(err, problem.KindForbidden) {
		return err
	}
	d.Pending = pending
	title := i18n.T(lang, "consultation.console.heading")
	if len(fe.Summary) > 0 || fe.Message != "" {
		title = i18n.T(lang, "form.error_title") + " " + title
	}
	p := a.consolePage(c, s, title, d)
	p.Path = "/console/consultations"
	return a.render(c, status, "consultation_console", p)
}

func (a *App) pageConsoleConsultations(c *fiber.Ctx) error {
	return a.renderConsoleConsultations(c, fiber.StatusOK, createValues{Format: string(legal.FormatText)}, formErrors{})
}

// createOrder is the order of the create form's fields, for the summary.
var createOrder = []string{"agency", "title", "summary", "opens_at", "closes_at", "short_period_reason", "format", "text", "file"}

// consoleDraft reads a draft from a console form: the file when one was
// chosen (DOCX), else the typed text in the chosen format.
func (a *App) consoleDraft(c *fiber.Ctx) (consultation.DraftInput, error) {
	d := draftForm{values: map[string]string{"text": c.FormValue("text")}}
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		d.file = fh
		return a.draft(d, "")
	}
	return a.draft(d, c.FormValue("format"))
}

// pageConsoleCreate opens a consultation from the console's form
// (multipart: the draft typed or as a DOCX file), then goes to its page.
func (a *App) pageConsoleCreate(c *fiber.Ctx) error {
	form := createValues{
		Agency: c.FormValue("agency"), Title: c.FormValue("title"), Summary: c.FormValue("summary"),
		OpensAt: c.FormValue("opens_at"), ClosesAt: c.FormValue("closes_at"), ShortPeriodReason: c.FormValue("short_period_reason"),
		Format: c.FormValue("format"), Text: c.FormValue("text"),
	}
	draft, err := a.consoleDraft(c)
	var v *consultation.View
	if err == nil {
		v, err = a.consult.Create(c.UserContext(), consultActor(a.session(c)), consultation.CreateInput{
			Agency: form.Agency, Title: form.Title, Summary: form.Summary, OpensAt: form.OpensAt, ClosesAt: form.ClosesAt,
			ShortPeriodReason: form.ShortPeriodReason, Draft: draft,
		})
	}
	if err == nil {
		return c.Redirect("/console/consultations/"+url.PathEscape(v.ID)+"?done=created", fiber.StatusSeeOther)
	}
	fe, status, perr := formProblem(c, consultErr(err), createOrder, func(f string) string { return "new-" + f })
	if perr != nil {
		return perr
	}
	return a.renderConsoleConsultations(c, status, form, fe)
}

// commentCard is a comment in the console: everything the officer may see,
// and the part it is on.
type commentCard struct {
	C    *consultation.OfficerComment
	Cite string
}

type consultItemData struct {
	formErrors
	E          *consultation.EditorView
	Flash      string
	Editor     bool
	Pending    []commentCard
	Unanswered []commentCard
	// ErrFor names the form the messages belong to: close, publish,
	// versions, or a comment's id and action ("cm-ID-reject").
	ErrFor   string
	FieldErr map[string]string
	Values   map[string]string
	Outcomes []string
	Formats  []string
	More     bool
}

// cite names a comment's part in the version it was written on.
func (a *App) cite(c *fiber.Ctx, consultationID string, version int, anchor string) string {
	lang := langOf(c)
	if anchor == "" {
		return legal.Cite(nil, lang)
	}
	_, ix, err := a.consult.Store.Version(c.UserContext(), consultationID, version)
	if err != nil || !ix.Has(anchor) {
		return anchor
	}
	return legal.Cite(ix.Path(anchor), lang)
}

// commentCards reads the queue's comments in full.
func (a *App) commentCards(c *fiber.Ctx, act *consultation.Actor, items []consultation.QueueItem) ([]commentCard, error) {
	out := make([]commentCard, 0, len(items))
	for _, it := range items {
		m, err := a.consult.GetComment(c.UserContext(), act, it.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, commentCard{C: m.Officer(), Cite: a.cite(c, m.Consultation, m.Version, m.Anchor)})
	}
	return out, nil
}

// consoleItemData builds a consultation's console page: its period and
// versions, the comments waiting for moderation and those waiting for a
// response.
func (a *App) consoleItemData(c *fiber.Ctx, id string) (*consultItemData, error) {
	s := a.session(c)
	ctx, act := c.UserContext(), consultActor(s)
	e, err := a.consult.Editor(ctx, act, id)
	if err != nil {
		return nil, err
	}
	d := &consultItemData{
		E: e, Flash: consultDone(c), Editor: agencies.Allowed(a.tree, s.User.Roles, e.Agency, agencies.RoleEditor),
		FieldErr: map[string]string{}, Values: map[string]string{}, Outcomes: consultation.Outcomes, Formats: draftFormats,
	}
	pending, err := a.consult.Queue(ctx, act, consultation.QueueFilter{Consultation: id, Limit: consultation.DefaultQueue})
	if err != nil {
		return nil, err
	}
	unanswered, err := a.consult.Queue(ctx, act, consultation.QueueFilter{Consultation: id, Unanswered: true, Limit: consultation.DefaultQueue})
	if err != nil {
		return nil, err
	}
	d.More = len(pending) == consultation.DefaultQueue || len(unanswered) == consultation.DefaultQueue
	if d.Pending, err = a.commentCards(c, act, pending); err != nil {
		return nil, err
	}
	if d.Unanswered, err = a.commentCards(c, act, unanswered); err != nil {
		return nil, err
	}
	return d, nil
}

func (a *App) renderConsoleItem(c *fiber.Ctx, status int, d *consultItemData) error {
	d.formErrors = d.formErrors.ready()
	title := d.E.Title
	if len(d.Summary) > 0 || d.Message != "" {
		title = i18n.T(langOf(c), "form.error_title") + " " + title
	}
	p := a.consolePage(c, a.session(c), title, d)
	p.Path = "/console/consultations/" + url.PathEscape(d.E.ID)
	return a.render(c, status, "consultation_console_item", p)
}

func (a *App) pageConsoleConsultation(c *fiber.Ctx) error {
	d, err := a.consoleItemData(c, c.Params("id"))
	if err != nil {
		return err
	}
	return a.renderConsoleItem(c, fiber.StatusOK, d)
}

func (a *App) pageConsoleSynthesis(c *fiber.Ctx) error {
	s, err := a.consult.PreviewSynthesis(c.UserContext(), consultActor(a.session(c)), c.Params("id"))
	if err != nil {
		return err
	}
	d := synthesisData(s, langOf(c))
	d.Preview = !s.Published
	title := i18n.T(langOf(c), "consultation.synthesis.preview") + " — " + s.Title
	return a.render(c, fiber.StatusOK, "consultation_synthesis", a.consolePage(c, a.session(c), title, d))
}

// pageConsoleConsultationAction closes a consultation, publishes its
// synthesis or adds a version from the console's forms, then goes back to
// its page (303) with a message; a refusal shows the page again with why.
func (a *App) pageConsoleConsultationAction(c *fiber.Ctx) error {
	ctx, act, id, action := c.UserContext(), consultActor(a.session(c)), c.Params("id"), c.Params("action")
	var err error
	var done string
	values := map[string]string{}
	switch action {
	case "close":
		done = "closed"
		_, err = a.consult.Close(ctx, act, id)
	case "synthesis":
		done = "published"
		_, err = a.consult.PublishSynthesis(ctx, act, id)
	case "versions":
		done = "version"
		values["versions-note"], values["versions-text"], values["versions-format"] = c.FormValue("note"), c.FormValue("text"), c.FormValue("format")
		var draft consultation.DraftInput
		if draft, err = a.consoleDraft(c); err == nil {
			_, err = a.consult.AddVersion(ctx, act, id, consultation.VersionInput{Draft: draft, Note: c.FormValue("note")})
		}
	default:
		return problem.NotFound()
	}
	if err == nil {
		return c.Redirect("/console/consultations/"+url.PathEscape(id)+"?done="+done, fiber.StatusSeeOther)
	}
	fe, status, perr := formProblem(c, consultErr(err), []string{"format", "text", "file", "note"}, func(f string) string { return action + "-" + f })
	if perr != nil {
		return perr
	}
	d, gerr := a.consoleItemData(c, id)
	if gerr != nil {
		return err
	}
	d.formErrors, d.ErrFor, d.Flash, d.Values = fe, action, "", values
	if fe.Errors != nil {
		d.FieldErr = fe.Errors
	}
	return a.renderConsoleItem(c, status, d)
}

// pageConsoleCommentAction approves, rejects or answers a comment from the
// console, then goes back to its consultation's page (303).
func (a *App) pageConsoleCommentAction(c *fiber.Ctx) error {
	ctx, act, id, action := c.UserContext(), consultActor(a.session(c)), c.Params("id"), c.Params("action")
	var m *consultation.Comment
	var err error
	values := map[string]string{}
	prefix := "cm-" + id + "-"
	switch action {
	case "approve":
		m, err = a.consult.Approve(ctx, act, id)
	case "reject":
		values[prefix+"reason"] = c.FormValue("reason")
		m, err = a.consult.Reject(ctx, act, id, c.FormValue("reason"))
	case "respond":
		values[prefix+"outcome"], values[prefix+"text"] = c.FormValue("outcome"), c.FormValue("text")
		m, err = a.consult.Respond(ctx, act, id, consultation.ResponseInput{Outcome: c.FormValue("outcome"), Text: c.FormValue("text")})
	default:
		return problem.NotFound()
	}
	if err == nil {
		return c.Redirect("/console/consultations/"+url.PathEscape(m.Consultation)+"?done="+action+"#comments", fiber.StatusSeeOther)
	}
	fe, status, perr := formProblem(c, consultErr(err), []string{"outcome", "text", "reason"}, func(f string) string { return prefix + f })
	if perr != nil {
		return perr
	}
	cur, gerr := a.consult.GetComment(ctx, act, id)
	if gerr != nil {
		return err
	}
	d, gerr := a.consoleItemData(c, cur.Consultation)
	if gerr != nil {
		return err
	}
	d.formErrors, d.ErrFor, d.Flash, d.Values = fe, prefix+action, "", values
	if fe.Errors != nil {
		d.FieldErr = fe.Errors
	}
	return a.renderConsoleItem(c, status, d)
}

// confirmCommenter sends a commenter who left an address the confirmation
// link, so the agency's response can reach them (double opt-in, as for
// questions). Failing to send it never fails the comment.
func (a *App) confirmCommenter(c *fiber.Ctx, email, lang string) {
	if email == "" {
		return
	}
	_ = a.mail.RequestVerification(c.UserContext(), email, i18n.Lang(lang))
}
