package main

import (
	"io/fs"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tuongtac/agencies"
	"tuongtac/frontend"
	"tuongtac/i18n"
	"tuongtac/moderation"
	"tuongtac/problem"
	"tuongtac/threads"
)

// pageRoutes registers the server-rendered pages: the public ones (home, ask,
// published threads, agencies, tracking) and the officers' console. Every
// form posts and every link links, so all of it works without JavaScript.
func (a *App) pageRoutes(app *fiber.App) {
	app.Get("/static/*", serveStatic)

	app.Get("/", a.pageHome)
	app.Get("/ask", a.pageAsk)
	app.Post("/ask", a.pageAskPost)
	app.Get("/search", a.pageSearch)
	app.Get("/threads", a.pageThreads)
	app.Get("/threads/:id", a.pageThread)
	app.Get("/agencies/:id", a.pageAgency)
	app.Get("/track", a.pageTrackForm)
	app.Get("/track/:code", a.pageTrack)

	// The console's routes take their middleware one by one: a group on
	// "/console" would also wrap the sign-in form.
	app.Get("/console", a.pageConsole)
	app.Post("/console/login", a.pageLogin)
	app.Post("/console/logout", a.consoleSession, a.requireCSRF, a.pageLogout)
	app.Get("/console/threads/:id", a.consoleSession, a.pageConsoleThread)
	app.Get("/console/search", a.consoleSession, a.pageConsoleSearch)
	app.Post("/console/threads/:id/:action", a.consoleSession, a.requireCSRF, a.pageConsoleAction)
}

// renderError shows an error page: what went wrong in the reader's language,
// the status, and a way home.
func (a *App) renderError(c *fiber.Ctx, status int, msg string) error {
	lang := langOf(c)
	key := "error.page." + strconv.Itoa(status)
	if !i18n.Has(key) {
		key = "error.page.other"
	}
	heading := i18n.T(lang, key)
	p := a.page(c, "", heading, errorData{
		Status: status, Heading: heading, Message: msg,
		SignIn: status == fiber.StatusUnauthorized,
	})
	c.Response().ResetBody()
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err := a.render(c, status, "error", p); err != nil {
		return c.Status(status).SendString(msg)
	}
	return nil
}

// Static assets.

// staticFiles is the embedded stylesheet and script, read once.
var staticFiles = func() map[string][]byte {
	out := map[string][]byte{}
	st := frontend.Static()
	_ = fs.WalkDir(st, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := fs.ReadFile(st, p); err == nil {
				out[p] = b
			}
		}
		return nil
	})
	return out
}()

// serveStatic serves /static/*. Pages link with ?v=frontend.Version, and
// those addresses are cached for a year: a new build has a new version.
func serveStatic(c *fiber.Ctx) error {
	name := c.Params("*")
	b, ok := staticFiles[name]
	if !ok {
		return problem.NotFound()
	}
	c.Set(fiber.HeaderContentType, frontend.ContentType(name))
	if c.Query("v") == frontend.Version {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	return c.Send(b)
}

// Rendering.

// page builds the frame every template gets.
func (a *App) page(c *fiber.Ctx, nav, title string, data any) *frontend.Page {
	q := url.Values{}
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) { q.Add(string(k), string(v)) })
	return &frontend.Page{
		Lang: langOf(c), Title: title, Path: readablePath(c), Query: q, Nav: nav,
		BaseURL: a.cfg.BaseURL, Tree: a.tree, Data: data,
	}
}

// readablePath is the page to link to for the current one in another
// language: after a form post, the page the form lives on.
func readablePath(c *fiber.Ctx) string {
	if c.Method() != fiber.MethodPost {
		return c.Path()
	}
	switch c.Route().Path {
	case "/console/login", "/console/logout":
		return "/console"
	case "/console/threads/:id/:action":
		return "/console/threads/" + url.PathEscape(c.Params("id"))
	}
	return c.Path()
}

// consolePage is page for a signed-in officer: their name in the header and
// the CSRF token for the forms.
func (a *App) consolePage(c *fiber.Ctx, s *agencies.Session, title string, data any) *frontend.Page {
	p := a.page(c, "console", title, data)
	p.Officer, p.OfficerID, p.CSRF, p.NoIndex = s.User.Name, s.User.ID, s.CSRF, true
	return p
}

func (a *App) render(c *fiber.Ctx, status int, name string, p *frontend.Page) error {
	c.Status(status)
	c.Type("html", "utf-8")
	return frontend.Render(c.Response().BodyWriter(), name, p)
}

// fieldMsg is one line of an error summary: the id of the input it links to
// and the message.
type fieldMsg struct {
	Field   string
	Message string
}

// formErrors is what a form shows after a failed post: a message beside each
// bad field, the same messages in a summary at the top in page order, or one
// message for the whole form.
type formErrors struct {
	Errors  map[string]string
	Summary []fieldMsg
	Message string
}

// ready gives the form an empty message map, so templates can look up any
// field (a nil map yields no value at all in text/template).
func (fe formErrors) ready() formErrors {
	if fe.Errors == nil {
		fe.Errors = map[string]string{}
	}
	return fe
}

// formProblem turns err into formErrors and the status to answer with. Field
// names become input ids through id; fields follow order, then the rest by
// name. Errors that are not problems come back for the error handler.
func formProblem(c *fiber.Ctx, err error, order []string, id func(string) string) (formErrors, int, error) {
	p, ok := problem.As(err)
	if !ok {
		return formErrors{}, 0, err
	}
	lang := langOf(c)
	if p.Kind == problem.KindTooMany && p.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(p.RetryAfter))
	}
	fe := formErrors{}
	if len(p.Fields) == 0 {
		fe.Message = msg(lang, p.Message)
		return fe, kindStatus[p.Kind].status, nil
	}
	fields := append([]string(nil), order...)
	var rest []string
	for f := range p.Fields {
		if !slices.Contains(order, f) {
			rest = append(rest, f)
		}
	}
	sort.Strings(rest)
	fe.Errors = map[string]string{}
	for _, f := range append(fields, rest...) {
		m, ok := p.Fields[f]
		if !ok {
			continue
		}
		msg := translateField(lang, m)
		fe.Errors[id(f)] = msg
		fe.Summary = append(fe.Summary, fieldMsg{Field: id(f), Message: msg})
	}
	return fe, kindStatus[p.Kind].status, nil
}

// asIs is the field-to-id mapping of forms whose inputs are named like the
// fields.
func asIs(s string) string { return s }

// errorData is the error page's content.
type errorData struct {
	Status  int
	Heading string
	Message string
	SignIn  bool
}

// agencyOption and agencyGroup feed an agency <select>: one <optgroup> per
// agency that has sub-agencies, holding the agency itself and its leaves.
type agencyOption struct {
	ID   string
	Name string
}

type agencyGroup struct {
	Label   string
	Options []agencyOption
}

func (a *App) agencyGroups(lang, exclude string) []agencyGroup {
	var out []agencyGroup
	root := a.tree.Root().ID
	for _, ag := range a.tree.All() {
		kids := a.tree.Children(ag.ID)
		if len(kids) == 0 {
			continue
		}
		g := agencyGroup{Label: ag.DisplayName(lang)}
		if ag.ID == root {
			g.Label = i18n.T(lang, "ask.group.province")
		}
		for _, k := range append([]agencies.Agency{ag}, kids...) {
			if k.ID == exclude || (k.ID != ag.ID && len(a.tree.Children(k.ID)) > 0) {
				continue
			}
			g.Options = append(g.Options, agencyOption{ID: k.ID, Name: k.DisplayName(lang)})
		}
		out = append(out, g)
	}
	return out
}

// Paging.

type pageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool
}

type pager struct {
	Prev, Next string
	Links      []pageLink
}

// makePager links pages 1..pages of path with query q: the first, the last
// and two either side of the current one.
func makePager(path string, q url.Values, page, pages int) pager {
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Del("page")
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	var p pager
	if pages <= 1 {
		return p
	}
	if page > 1 {
		p.Prev = link(min(page-1, pages))
	}
	if page < pages {
		p.Next = link(page + 1)
	}
	last := 0
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < page-2 || n > page+2) {
			continue
		}
		if last != 0 && n > last+1 {
			p.Links = append(p.Links, pageLink{Gap: true})
		}
		p.Links = append(p.Links, pageLink{N: n, URL: link(n), Current: n == page})
		last = n
	}
	return p
}

func pageNumber(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, threads.MaxPage)
}

func pageCount(total int64, perPage int) int {
	if perPage <= 0 {
		return 0
	}
	return min(int((total+int64(perPage)-1)/int64(perPage)), threads.MaxPage)
}

// Home.

type homeData struct {
	Latest      []threads.PublicItem
	Root        agencies.Agency
	Departments []agencies.Agency
	Localities  []agencies.Agency
}

func (a *App) pageHome(c *fiber.Ctx) error {
	latest, err := a.threads.ListPublic(c.UserContext(), threads.ListFilter{PerPage: 5})
	if err != nil {
		return err
	}
	d := homeData{Latest: latest.Items, Root: a.tree.Root()}
	for _, ag := range a.tree.Children(d.Root.ID) {
		if ag.Level == "district" || len(a.tree.Children(ag.ID)) > 0 {
			d.Localities = append(d.Localities, ag)
		} else {
			d.Departments = append(d.Departments, ag)
		}
	}
	return a.render(c, fiber.StatusOK, "home", a.page(c, "home", "", d))
}

// Asking.

// askForm is the question form's values as posted.
type askForm struct {
	Agency, Kind, Topic, Title, Body, Name, Email, Phone string
	ShowName, Consent                                    bool
}

func askFormFrom(c *fiber.Ctx) askForm {
	return askForm{
		Agency: c.FormValue("agency"), Kind: c.FormValue("kind"), Topic: c.FormValue("topic"),
		Title: c.FormValue("title"), Body: c.FormValue("body"),
		Name: c.FormValue("name"), Email: c.FormValue("email"), Phone: c.FormValue("phone"),
		ShowName: c.FormValue("show_name") != "", Consent: c.FormValue("consent") != "",
	}
}

func (f askForm) input(lang string) threads.Input {
	return threads.Input{
		Agency: f.Agency, Kind: f.Kind, Topic: f.Topic, Title: f.Title, Body: f.Body,
		Name: f.Name, Email: f.Email, Phone: f.Phone, ShowName: f.ShowName, Consent: f.Consent, Lang: lang,
	}
}

func formOf(in threads.Input) askForm {
	return askForm{
		Agency: in.Agency, Kind: in.Kind, Topic: in.Topic, Title: in.Title, Body: in.Body,
		Name: in.Name, Email: in.Email, Phone: in.Phone, ShowName: in.ShowName, Consent: in.Consent,
	}
}

// askFields is the order of the fields on the form, for the error summary.
var askFields = []string{"agency", "kind", "title", "body", "topic", "name", "email", "phone", "consent"}

// askTopics are suggestions for the free topic slug.
var askTopics = []string{"dat-dai", "ho-tich", "xay-dung", "giao-thong", "moi-truong", "y-te", "giao-duc", "lao-dong-viec-lam", "thue-phi", "kinh-doanh"}

type askLimits struct{ Title, Body, Name, Email, Phone int }

type askData struct {
	formErrors
	Form   askForm
	Groups []agencyGroup
	Kinds  []string
	Topics []string
	Max    askLimits
}

func (a *App) renderAsk(c *fiber.Ctx, status int, f askForm, fe formErrors) error {
	if status != fiber.StatusOK || f.Name != "" || f.Email != "" || f.Phone != "" {
		c.Set(fiber.HeaderCacheControl, "no-store") // it holds what the citizen typed
	}
	d := askData{
		formErrors: fe.ready(), Form: f, Groups: a.agencyGroups(langOf(c), ""),
		Kinds: threads.Kinds, Topics: askTopics,
		Max: askLimits{Title: threads.TitleMax, Body: threads.BodyMax, Name: threads.NameMax, Email: threads.EmailMax, Phone: threads.PhoneMax},
	}
	title := i18n.T(langOf(c), "ask.heading")
	if len(fe.Summary) > 0 || fe.Message != "" {
		title = i18n.T(langOf(c), "form.error_title") + " " + title
	}
	return a.render(c, status, "ask", a.page(c, "ask", title, d))
}

func (a *App) pageAsk(c *fiber.Ctx) error {
	f := askForm{Kind: "question"}
	if id := c.Query("agency"); id != "" {
		if _, ok := a.tree.Get(id); ok {
			f.Agency = id
		}
	}
	return a.renderAsk(c, fiber.StatusOK, f, formErrors{})
}

type confirmData struct {
	Code      string
	Agency    string
	Due       time.Time
	TrackPath string
	HasEmail  bool
}

// pageAskPost runs the form's three steps on one address: the form again
// with errors (400), the check-your-answers page, and, with confirm=1, the
// submission and its confirmation.
func (a *App) pageAskPost(c *fiber.Ctx) error {
	lang := langOf(c)
	f := askFormFrom(c)
	if c.FormValue("edit") != "" {
		return a.renderAsk(c, fiber.StatusOK, f, formErrors{})
	}
	in := f.input(lang)
	var fields problem.Fields
	a.threads.Validate(&in, &fields)
	f = formOf(in)
	if err := fields.Err(); err != nil {
		fe, status, err := formProblem(c, err, askFields, asIs)
		if err != nil {
			return err
		}
		return a.renderAsk(c, status, f, fe)
	}
	if c.FormValue("confirm") != "1" {
		// A fresh token per check page: sending the same page twice (a lost
		// reply, the Back button) gives back the same receipt.
		c.Set(fiber.HeaderCacheControl, "no-store")
		return a.render(c, fiber.StatusOK, "check", a.page(c, "ask", i18n.T(lang, "check.heading"), struct {
			Form  askForm
			Token string
		}{f, threads.NewSubmissionToken()}))
	}
	err := a.submitAllowed(c)
	var rec *threads.Receipt
	if err == nil {
		rec, err = a.threads.Submit(c.UserContext(), in, threads.Meta{ClientHash: a.clientHash(a.clientIP(c)), Token: c.FormValue("submission")}, nil)
	}
	if err != nil {
		fe, status, err := formProblem(c, err, askFields, asIs)
		if err != nil {
			return err
		}
		return a.renderAsk(c, status, f, fe)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	d := confirmData{Code: rec.TrackingCode, Agency: in.Agency, Due: rec.DueAt, TrackPath: "/track/" + rec.TrackingCode, HasEmail: in.Email != ""}
	p := a.page(c, "ask", i18n.T(lang, "confirm.heading"), d)
	p.NoIndex = true
	return a.render(c, fiber.StatusOK, "confirm", p)
}

// Published threads.

type listData struct {
	Items []threads.PublicItem
	Total int64
	Pager pager
}

func (a *App) list(c *fiber.Ctx, lf threads.ListFilter) (listData, error) {
	lf.Page = pageNumber(c)
	res, err := a.threads.ListPublic(c.UserContext(), lf)
	if err != nil {
		return listData{}, err
	}
	q := url.Values{}
	for _, k := range []string{"agency", "kind"} {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	return listData{
		Items: res.Items, Total: res.Total,
		Pager: makePager(c.Path(), q, res.Page, pageCount(res.Total, res.PerPage)),
	}, nil
}

type threadsData struct {
	listData
	Agency, Kind string
	Groups       []agencyGroup
	Kinds        []string
}

func (a *App) pageThreads(c *fiber.Ctx) error {
	lf := threads.ListFilter{Agency: c.Query("agency"), Kind: c.Query("kind")}
	ld, err := a.list(c, lf)
	if err != nil {
		return err
	}
	d := threadsData{listData: ld, Agency: lf.Agency, Kind: lf.Kind, Groups: a.agencyGroups(langOf(c), ""), Kinds: threads.Kinds}
	return a.render(c, fiber.StatusOK, "threads", a.page(c, "threads", i18n.T(langOf(c), "threads.heading"), d))
}

type threadData struct {
	T        *threads.PublicThread
	URL      string
	Zalo     string
	Facebook string
}

func (a *App) pageThread(c *fiber.Ctx) error {
	t, err := a.threads.GetPublic(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	u := strings.TrimRight(a.cfg.BaseURL, "/") + "/threads/" + url.PathEscape(t.ID)
	d := threadData{
		T: t, URL: u,
		Zalo:     "https://sp.zalo.me/share_inline?url=" + url.QueryEscape(u),
		Facebook: "https://www.facebook.com/sharer/sharer.php?u=" + url.QueryEscape(u),
	}
	return a.render(c, fiber.StatusOK, "thread", a.page(c, "threads", t.Title, d))
}

type agencyData struct {
	listData
	Agency   agencies.Agency
	Parent   agencies.Agency
	Children []agencies.Agency
}

func (a *App) pageAgency(c *fiber.Ctx) error {
	ag, ok := a.tree.Get(c.Params("id"))
	if !ok {
		return problem.NotFound()
	}
	ld, err := a.list(c, threads.ListFilter{Agency: ag.ID})
	if err != nil {
		return err
	}
	d := agencyData{listData: ld, Agency: ag, Children: a.tree.Children(ag.ID)}
	d.Parent, _ = a.tree.Get(ag.Parent)
	return a.render(c, fiber.StatusOK, "agency", a.page(c, "threads", ag.DisplayName(langOf(c)), d))
}

// Tracking.

type trackFormData struct {
	formErrors
	Code string
}

type trackData struct {
	V       *threads.TrackView
	Code    string
	Open    bool
	Overdue bool
}

// normalCode writes a plausible tracking code the way the confirmation page
// shows it: upper case, four groups of four.
func normalCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ':
			continue
		case 'O':
			r = '0' // as TrackingHash reads it
		case 'I', 'L':
			r = '1'
		}
		b.WriteRune(r)
	}
	raw := b.String()
	if len(raw) != 16 {
		return raw
	}
	return raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
}

func (a *App) renderTrackForm(c *fiber.Ctx, status int, code, key string) error {
	lang := langOf(c)
	d := trackFormData{formErrors: formErrors{}.ready(), Code: code}
	title := i18n.T(lang, "track.form_heading")
	if key != "" {
		msg := i18n.T(lang, key)
		d.Errors = map[string]string{"code": msg}
		d.Summary = []fieldMsg{{Field: "code", Message: msg}}
		title = i18n.T(lang, "form.error_title") + " " + title
	}
	p := a.page(c, "track", title, d)
	p.NoIndex = true
	c.Set(fiber.HeaderCacheControl, "no-store")
	return a.render(c, status, "track_form", p)
}

func (a *App) pageTrackForm(c *fiber.Ctx) error {
	code := strings.TrimSpace(c.Query("code"))
	switch {
	case code == "":
		return a.renderTrackForm(c, fiber.StatusOK, "", "")
	case !threads.ValidTrackingCode(code):
		return a.renderTrackForm(c, fiber.StatusBadRequest, code, "track.invalid")
	}
	return c.Redirect("/track/"+normalCode(code), fiber.StatusSeeOther)
}

func (a *App) pageTrack(c *fiber.Ctx) error {
	code := c.Params("code")
	v, err := a.threads.Track(c.UserContext(), code)
	if problem.Is(err, problem.KindNotFound) {
		return a.renderTrackForm(c, fiber.StatusNotFound, normalCode(code), "track.not_found")
	}
	if err != nil {
		return err
	}
	open := threads.IsOpen(v.State)
	d := trackData{V: v, Code: normalCode(code), Open: open, Overdue: open && time.Now().After(v.DueAt)}
	p := a.page(c, "track", i18n.T(langOf(c), "track.heading"), d)
	p.NoIndex = true
	c.Set(fiber.HeaderCacheControl, "no-store")
	return a.render(c, fiber.StatusOK, "track", p)
}

// The console.

// consoleSession sends a caller without a session to the sign-in form,
// remembering the thread they were on. Console pages hold personal data, so
// nothing is cached.
func (a *App) consoleSession(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if a.session(c) != nil {
		return c.Next()
	}
	next := "/console"
	if id := c.Params("id"); id != "" {
		next = "/console/threads/" + url.PathEscape(id)
	}
	return c.Redirect("/console?next="+url.QueryEscape(next), fiber.StatusSeeOther)
}

// safeNext keeps a post-sign-in destination only if it is a console page on
// this site.
func safeNext(s string) string {
	if s == "/console" || strings.HasPrefix(s, "/console/") && !strings.ContainsAny(s, "\\\r\n") {
		return s
	}
	return "/console"
}

// sameOrigin refuses cross-site form posts where the browser says so, for
// the sign-in form (which has no session to hold a CSRF token yet). Origin
// may name the public address (BASE_URL) when a proxy rewrites Host.
func (a *App) sameOrigin(c *fiber.Ctx) bool {
	switch c.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := c.Get(fiber.HeaderOrigin)
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	base, _ := url.Parse(a.cfg.BaseURL)
	return u.Host == string(c.Request().Host()) || base != nil && u.Host == base.Host
}

type loginData struct {
	formErrors
	Email string
	Next  string
	Flash string
}

func (a *App) renderLogin(c *fiber.Ctx, status int, d loginData) error {
	d.formErrors = d.formErrors.ready()
	title := i18n.T(langOf(c), "login.heading")
	if len(d.Summary) > 0 || d.Message != "" {
		title = i18n.T(langOf(c), "form.error_title") + " " + title
	}
	p := a.page(c, "console", title, d)
	p.NoIndex = true
	c.Set(fiber.HeaderCacheControl, "no-store")
	return a.render(c, status, "login", p)
}

func (a *App) pageLogin(c *fiber.Ctx) error {
	if !a.sameOrigin(c) {
		return problem.Forbidden()
	}
	d := loginData{Email: strings.TrimSpace(c.FormValue("email")), Next: safeNext(c.FormValue("next"))}
	password := c.FormValue("password")
	var f problem.Fields
	if d.Email == "" {
		f.Add("email", "field.login.email")
	}
	if password == "" {
		f.Add("password", "field.login.password")
	}
	err := f.Err()
	if err == nil {
		_, err = a.login(c, d.Email, password)
	}
	if err != nil {
		fe, status, err := formProblem(c, err, []string{"email", "password"}, asIs)
		if err != nil {
			return err
		}
		d.formErrors = fe
		return a.renderLogin(c, status, d)
	}
	return c.Redirect(d.Next, fiber.StatusSeeOther)
}

func (a *App) pageLogout(c *fiber.Ctx) error {
	if err := a.accounts.Logout(c.UserContext(), a.session(c).Token); err != nil {
		return err
	}
	a.setSessionCookie(c, "", -1)
	return c.Redirect("/console?done=logout", fiber.StatusSeeOther)
}

type stateCount struct {
	State string
	N     int64
	URL   string
}

type queueRow struct {
	moderation.QueueItem
	DueToday bool
}

type scopeOption struct {
	ID    string
	Label string
}

type queueData struct {
	Flash     string
	Counts    []stateCount
	Agency    string
	State     string
	Agencies  []scopeOption
	States    []string
	Items     []queueRow
	Shortcuts []string
}

// doneMessage is the message for ?done=action after a redirect.
func doneMessage(c *fiber.Ctx) string {
	done := c.Query("done")
	if done == "" || !i18n.Has("done."+done) {
		return ""
	}
	return i18n.T(langOf(c), "done."+done)
}

// sameDay reports whether a and b fall on the same day in Vietnam.
func sameDay(a, b time.Time) bool {
	return i18n.Date(a) == i18n.Date(b)
}

// pageConsole is the sign-in form, or the signed-in officer's queue.
func (a *App) pageConsole(c *fiber.Ctx) error {
	s := a.session(c)
	if s == nil {
		return a.renderLogin(c, fiber.StatusOK, loginData{Next: safeNext(c.Query("next")), Flash: doneMessage(c)})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, act, lang := c.UserContext(), actor(s), langOf(c)
	d := queueData{Agency: c.Query("agency"), State: c.Query("state"), States: threads.States, Flash: doneMessage(c), Shortcuts: []string{"/", "j", "k"}}
	items, err := a.mod.Queue(ctx, act, moderation.QueueFilter{Agency: d.Agency, State: d.State})
	if err != nil {
		return err
	}
	now := time.Now()
	for _, it := range items {
		d.Items = append(d.Items, queueRow{QueueItem: it, DueToday: threads.IsOpen(it.State) && !it.Overdue && sameDay(it.DueAt, now)})
	}
	mine := act.Scopes(a.tree)
	scopes := mine
	if d.Agency != "" {
		scopes = []string{d.Agency}
	}
	totals := map[string]int64{}
	for _, sc := range scopes {
		n, err := a.mod.Counts(ctx, act, sc)
		if err != nil {
			return err
		}
		for st, k := range n {
			totals[st] += k
		}
	}
	for _, st := range []string{threads.StateQueued, threads.StateAssigned, threads.StatePendingApproval, threads.StateHeld} {
		q := url.Values{"state": {st}}
		if d.Agency != "" {
			q.Set("agency", d.Agency)
		}
		d.Counts = append(d.Counts, stateCount{State: st, N: totals[st], URL: "/console?" + q.Encode()})
	}
	seen := map[string]bool{}
	for _, sc := range mine {
		base := a.tree.Depth(sc)
		for _, id := range a.tree.Subtree(sc) {
			if seen[id] {
				continue
			}
			seen[id] = true
			ag, _ := a.tree.Get(id)
			d.Agencies = append(d.Agencies, scopeOption{ID: id, Label: strings.Repeat("— ", a.tree.Depth(id)-base) + ag.DisplayName(lang)})
		}
	}
	return a.render(c, fiber.StatusOK, "queue", a.consolePage(c, s, i18n.T(lang, "queue.heading"), d))
}

// consoleActions lists the actions the console's forms may post.
var consoleActions = []string{"claim", "release", "answer", "approve", "return", "reject", "transfer", "archive"}

type consoleLimits struct{ Answer, Reason int }

type consoleThreadData struct {
	formErrors
	T         *threads.Thread
	Can       map[string]bool
	Flash     string
	Done      string
	ErrAction string
	FieldErr  map[string]string
	Values    map[string]string
	Open      bool
	Overdue   bool
	DueToday  bool
	Max       consoleLimits
	// TransferGroups lists every agency but the thread's own.
	TransferGroups []agencyGroup
	Shortcuts      []string
}

// can says which actions fit the thread's state and the officer's roles,
// mirroring the checks moderation makes (which remain the authority).
func (a *App) can(s *agencies.Session, t *threads.Thread) map[string]bool {
	officer := agencies.Allowed(a.tree, s.User.Roles, t.Agency, agencies.RoleOfficer)
	editor := agencies.Allowed(a.tree, s.User.Roles, t.Agency, agencies.RoleEditor)
	holder := t.Assignee == s.User.ID
	m := map[string]bool{}
	switch t.State {
	case threads.StateQueued:
		m["claim"], m["transfer"], m["reject"] = officer, officer, editor
	case threads.StateAssigned:
		m["answer"] = officer && holder
		m["release"] = officer && holder || editor
		m["transfer"] = officer && holder || editor
		m["reject"] = editor
	case threads.StatePendingApproval:
		m["approve"], m["return"], m["reject"] = editor, editor, editor
	case threads.StateHeld:
		m["transfer"], m["reject"] = officer, editor
	case threads.StatePublished, threads.StateAnsweredPrivate, threads.StateRejected:
		m["archive"] = editor
	}
	return m
}

func (a *App) consoleThreadData(c *fiber.Ctx, s *agencies.Session, t *threads.Thread) *consoleThreadData {
	now := time.Now()
	open := threads.IsOpen(t.State)
	d := &consoleThreadData{
		T: officerThread(t), Can: a.can(s, t), Flash: doneMessage(c),
		FieldErr: map[string]string{}, Values: map[string]string{},
		Open: open, Overdue: open && now.After(t.DueAt), Max: consoleLimits{Answer: threads.AnswerMax, Reason: threads.ReasonMax},
		TransferGroups: a.agencyGroups(langOf(c), t.Agency),
		Shortcuts:      []string{"c", "a"},
	}
	d.DueToday = open && !d.Overdue && sameDay(t.DueAt, now)
	if done := c.Query("done"); slices.Contains(consoleActions, done) {
		d.Done = done
	}
	if t.Draft != nil {
		d.Values["answer"], d.Values["approve"] = t.Draft.Body, t.Draft.Body
	}
	return d
}

func (a *App) pageConsoleThread(c *fiber.Ctx) error {
	s := a.session(c)
	t, err := a.mod.Get(c.UserContext(), actor(s), c.Params("id"))
	if err != nil {
		return err
	}
	return a.render(c, fiber.StatusOK, "console_thread", a.consolePage(c, s, t.Title, a.consoleThreadData(c, s, t)))
}

// pageConsoleAction runs one workflow action from a console form, then
// redirects back (303) with ?done=action; on a refusal it shows the thread
// again with the message and what the officer typed.
func (a *App) pageConsoleAction(c *fiber.Ctx) error {
	action, id := c.Params("action"), c.Params("id")
	if !slices.Contains(consoleActions, action) {
		return problem.NotFound()
	}
	s := a.session(c)
	in := actionInput{
		body: c.FormValue("body"), reason: c.FormValue("reason"), note: c.FormValue("note"),
		agency: c.FormValue("agency"), private: c.FormValue("private") != "",
	}
	t, err := a.runAction(c, action, id, in)
	if err == nil {
		dest := "/console/threads/" + url.PathEscape(t.ID) + "?done=" + action
		if !agencies.Allowed(a.tree, s.User.Roles, t.Agency, agencies.RoleOfficer) {
			dest = "/console?done=" + action // transferred out of the officer's reach
		}
		return c.Redirect(dest, fiber.StatusSeeOther)
	}
	fe, status, perr := formProblem(c, err, []string{"body", "note", "agency", "reason"}, func(f string) string { return action + "-" + f })
	if perr != nil {
		return perr
	}
	cur, gerr := a.mod.Get(c.UserContext(), actor(s), id)
	if gerr != nil {
		return err
	}
	d := a.consoleThreadData(c, s, cur)
	d.formErrors, d.ErrAction, d.Done, d.Flash = fe, action, "", ""
	d.FieldErr = fe.Errors
	if d.FieldErr == nil {
		d.FieldErr = map[string]string{}
	}
	switch action {
	case "answer", "approve":
		d.Values[action] = in.body
	case "return":
		d.Values[action] = in.note
	case "transfer":
		d.Values["transfer_agency"] = in.agency
		d.Values[action] = in.reason
	default:
		d.Values[action] = in.reason
	}
	if in.private {
		d.Values["private"] = "1"
	}
	return a.render(c, status, "console_thread", a.consolePage(c, s, cur.Title, d))
}
