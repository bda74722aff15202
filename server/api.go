package main

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tuongtac/agencies"
	"tuongtac/moderation"
	"tuongtac/problem"
	"tuongtac/search"
	"tuongtac/threads"
)

func (a *App) routes(app *fiber.App) {
	app.Get("/healthz", a.healthz)
	app.Get("/readyz", a.readyz)

	api := app.Group("/api/v1")
	api.Get("/openapi.json", a.openAPI)
	api.Get("/agencies", a.apiAgencies)
	api.Post("/threads", a.apiSubmit)
	api.Get("/threads", a.apiListThreads)
	api.Get("/threads/suggest", a.apiSuggest)
	api.Get("/threads/:id", a.apiGetThread)
	api.Post("/threads/:id/follow", a.apiFollow)
	api.Get("/track/:code", a.apiTrack)

	api.Post("/auth/login", noStore, a.apiLogin)
	api.Post("/auth/logout", noStore, a.requireSession, a.requireCSRF, a.apiLogout)
	api.Get("/auth/me", noStore, a.requireSession, a.apiMe)

	admin := api.Group("/admin", noStore, a.requireSession, a.requireCSRF)
	admin.Post("/users", a.apiCreateUser)
	admin.Get("/mail", a.apiMailList)
	admin.Get("/personal-data", a.apiPersonalExport)
	admin.Post("/personal-data/erase", a.apiPersonalErase)
	for _, act := range []string{"requeue", "mark-sent", "discard"} {
		admin.Post("/mail/:id/"+act, a.apiMailAction(act))
	}

	mod := api.Group("/moderation", noStore, a.requireSession, a.requireCSRF)
	mod.Get("/queue", a.apiQueue)
	mod.Get("/search", a.apiModSearch)
	mod.Get("/threads/:id", a.apiModThread)
	mod.Post("/threads/:id/:action", a.apiModAction)

	a.chatRoutes(app)
	a.consultationRoutes(app)
	a.mailRoutes(app)
	a.pageRoutes(app)
}

// noStore keeps private answers out of every cache.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

func (a *App) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (a *App) readyz(c *fiber.Ctx) error {
	ctx := c.UserContext()
	out := fiber.Map{"status": "ok", "store": a.db.Kind(), "search": "ok"}
	if err := a.db.Ping(ctx); err != nil {
		out["status"], out["store"] = "unavailable", "down"
	}
	for _, ix := range []search.Indexer{a.indexes.Public, a.indexes.Officer} {
		if err := ix.Ping(ctx); err != nil {
			out["status"], out["search"] = "unavailable", "down"
		}
	}
	if lag, pending, err := a.threads.Store.Lag(ctx, time.Now()); err == nil {
		out["outbox_lag_seconds"], out["outbox_pending"] = int(lag.Seconds()), pending
	}
	if out["status"] != "ok" {
		c.Set(fiber.HeaderRetryAfter, "5")
		return c.Status(fiber.StatusServiceUnavailable).JSON(out)
	}
	return c.JSON(out)
}

// object decodes a JSON object body into its raw members. Anything but
// application/json is 415; malformed JSON or a non-object is 400.
func object(c *fiber.Ctx) (map[string]json.RawMessage, error) {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	if ct != fiber.MIMEApplicationJSON {
		return nil, &problem.Error{Kind: problem.KindUnsupported, Message: problem.Msg("error.unsupported")}
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		return nil, &problem.Error{Kind: problem.KindValidation, Message: problem.Msg("error.bad_json")}
	}
	return m, nil
}

// str reads member name as a string into dst. Absent or null leaves dst
// alone; any other JSON type is a field error, never coerced.
func str(m map[string]json.RawMessage, name string, dst *string, f *problem.Fields) {
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		f.Add(name, "field.string")
	}
}

// boolean reads member name as a JSON boolean.
func boolean(m map[string]json.RawMessage, name string, dst *bool, f *problem.Fields) {
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		f.Add(name, "field.boolean")
	}
}

func (a *App) apiAgencies(c *fiber.Ctx) error {
	type item struct {
		ID             string              `json:"id"`
		Name           agencies.AgencyName `json:"name"`
		Level          string              `json:"level"`
		Parent         *string             `json:"parent"`
		Domain         string              `json:"domain"`
		SLAWorkingDays int                 `json:"sla_working_days"`
	}
	all := a.tree.All()
	items := make([]item, 0, len(all))
	for _, ag := range all {
		it := item{ID: ag.ID, Name: ag.Name, Level: ag.Level, Domain: ag.Domain, SLAWorkingDays: ag.SLAWorkingDays}
		if ag.Parent != "" {
			p := ag.Parent
			it.Parent = &p
		}
		items = append(items, it)
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.JSON(fiber.Map{"items": items})
}

// submitAllowed spends one of the client's submission tokens.
func (a *App) submitAllowed(c *fiber.Ctx) error {
	if ok, wait := a.submitLimit.take(a.clientIP(c)); !ok {
		return problem.TooMany(wait)
	}
	return nil
}

func (a *App) apiSubmit(c *fiber.Ctx) error {
	m, err := object(c)
	if err != nil {
		return err
	}
	var in threads.Input
	var f problem.Fields
	for name, dst := range map[string]*string{
		"agency": &in.Agency, "kind": &in.Kind, "topic": &in.Topic, "title": &in.Title, "body": &in.Body,
		"name": &in.Name, "email": &in.Email, "phone": &in.Phone, "lang": &in.Lang,
	} {
		str(m, name, dst, &f)
	}
	boolean(m, "show_name", &in.ShowName, &f)
	boolean(m, "consent", &in.Consent, &f)
	// Validate before spending a rate-limit token, so a client fixing its
	// input is not locked out by its own mistakes.
	check := in
	pre := problem.Fields{}
	for k, v := range f {
		pre[k] = v
	}
	a.threads.Validate(&check, &pre)
	if err := pre.Err(); err != nil {
		return err
	}
	if err := a.submitAllowed(c); err != nil {
		return err
	}
	r, err := a.threads.Submit(c.UserContext(), in, threads.Meta{ClientHash: a.clientHash(a.clientIP(c)), Token: c.Get("Idempotency-Key")}, f)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// intQuery reads a positive integer query parameter; "" gives 0.
func intQuery(c *fiber.Ctx, name, key string, f *problem.Fields) int {
	s := c.Query(name)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		f.Add(name, key)
		return 0
	}
	return n
}

func (a *App) listFilter(c *fiber.Ctx) (threads.ListFilter, error) {
	var f problem.Fields
	lf := threads.ListFilter{
		Agency: c.Query("agency"), Kind: c.Query("kind"), Topic: c.Query("topic"),
		Page: intQuery(c, "page", "field.page", &f), PerPage: intQuery(c, "per_page", "field.per_page", &f),
	}
	return lf, f.Err()
}

func (a *App) apiListThreads(c *fiber.Ctx) error {
	if c.Query("q") != "" || c.Query("year") != "" || c.Query("sort") != "" {
		return a.apiSearchThreads(c)
	}
	lf, err := a.listFilter(c)
	if err != nil {
		return err
	}
	page, err := a.threads.ListPublic(c.UserContext(), lf)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (a *App) apiGetThread(c *fiber.Ctx) error {
	t, err := a.threads.GetPublic(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (a *App) apiTrack(c *fiber.Ctx) error {
	v, err := a.threads.Track(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(v)
}

// Sessions.

const sessionCookie = "tt_session"

func (a *App) setSessionCookie(c *fiber.Ctx, token string, maxAge int) {
	ck := &fiber.Cookie{
		Name: sessionCookie, Value: token, Path: "/", MaxAge: maxAge,
		HTTPOnly: true, SameSite: "Lax", Secure: a.cfg.SecureCookies(),
	}
	if maxAge < 0 {
		ck.Expires = time.Unix(1, 0) // tell the browser to drop it now
	}
	c.Cookie(ck)
}

// session loads the caller's session, if any, caching it for the request.
func (a *App) session(c *fiber.Ctx) *agencies.Session {
	if s, ok := c.Locals("session").(*agencies.Session); ok {
		return s
	}
	tok := c.Cookies(sessionCookie)
	if tok == "" {
		return nil
	}
	s, err := a.accounts.Session(c.UserContext(), tok)
	if err != nil {
		return nil
	}
	c.Locals("session", s)
	return s
}

func (a *App) requireSession(c *fiber.Ctx) error {
	if a.session(c) == nil {
		return problem.Unauthorized()
	}
	return c.Next()
}

// requireCSRF checks, on unsafe methods, that the X-CSRF-Token header (or the
// _csrf form field) matches the session's token.
func (a *App) requireCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	s := a.session(c)
	if s == nil {
		return problem.Unauthorized()
	}
	tok := c.Get("X-CSRF-Token")
	if tok == "" {
		tok = c.FormValue("_csrf")
	}
	if !constantEqual(tok, s.CSRF) {
		return &problem.Error{Kind: problem.KindForbidden, Message: problem.Msg("error.csrf")}
	}
	return c.Next()
}

func constantEqual(a, b string) bool {
	if len(a) != len(b) || a == "" {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

func actor(s *agencies.Session) *moderation.Actor {
	return &moderation.Actor{ID: s.User.ID, Name: s.User.Name, Roles: s.User.Roles}
}

// login signs in with throttling per address and per email: five failures,
// then one more try every three minutes.
func (a *App) login(c *fiber.Ctx, email, password string) (*agencies.Session, error) {
	keyIP := a.clientIP(c)
	keyEmail := agencies.NormalizeEmail(email)
	if ok, wait := a.loginIPLimit.peek(keyIP); !ok {
		return nil, problem.TooMany(wait)
	}
	if ok, wait := a.loginLimit.peek(keyEmail); !ok {
		return nil, problem.TooMany(wait)
	}
	s, err := a.accounts.Login(c.UserContext(), email, password)
	if err != nil {
		if problem.Is(err, problem.KindUnauthorized) {
			a.loginIPLimit.take(keyIP)
			a.loginLimit.take(keyEmail)
		}
		return nil, err
	}
	a.loginLimit.reset(keyEmail)
	a.setSessionCookie(c, s.Token, int(agencies.SessionTTL.Seconds()))
	return s, nil
}

func (a *App) apiLogin(c *fiber.Ctx) error {
	m, err := object(c)
	if err != nil {
		return err
	}
	var email, password string
	var f problem.Fields
	str(m, "email", &email, &f)
	str(m, "password", &password, &f)
	if email == "" {
		f.Add("email", "field.required")
	}
	if password == "" {
		f.Add("password", "field.required")
	}
	if err := f.Err(); err != nil {
		return err
	}
	s, err := a.login(c, email, password)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"csrf_token": s.CSRF, "user": s.User.Public()})
}

func (a *App) apiLogout(c *fiber.Ctx) error {
	if err := a.accounts.Logout(c.UserContext(), a.session(c).Token); err != nil {
		return err
	}
	a.setSessionCookie(c, "", -1)
	return c.JSON(fiber.Map{"status": "ok"})
}

func (a *App) apiMe(c *fiber.Ctx) error {
	s := a.session(c)
	return c.JSON(fiber.Map{"csrf_token": s.CSRF, "user": s.User.Public()})
}

func (a *App) apiCreateUser(c *fiber.Ctx) error {
	m, err := object(c)
	if err != nil {
		return err
	}
	var in agencies.NewUser
	var f problem.Fields
	str(m, "email", &in.Email, &f)
	str(m, "password", &in.Password, &f)
	str(m, "name", &in.Name, &f)
	str(m, "lang", &in.Lang, &f)
	boolean(m, "digest", &in.Digest, &f)
	if in.Lang != "" && in.Lang != "vi" && in.Lang != "en" {
		f.Add("lang", "field.lang.oneof")
	}
	if raw, ok := m["roles"]; ok {
		if err := json.Unmarshal(raw, &in.Roles); err != nil {
			f.Add("roles", "field.type")
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	if err := a.canGrant(a.session(c), in.Roles); err != nil {
		return err
	}
	u, err := a.accounts.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u.Public())
}

// canGrant checks the caller is an administrator over every agency a new
// account gets a role in.
func (a *App) canGrant(s *agencies.Session, roles []agencies.Role) error {
	if !agencies.Allowed(a.tree, s.User.Roles, a.tree.Root().ID, agencies.RoleAdmin) {
		admin := false
		for _, r := range s.User.Roles {
			admin = admin || r.Role == agencies.RoleAdmin
		}
		if !admin {
			return problem.Forbidden()
		}
	}
	for _, r := range roles {
		if _, ok := a.tree.Get(r.Agency); ok && !agencies.Allowed(a.tree, s.User.Roles, r.Agency, agencies.RoleAdmin) {
			return problem.Forbidden()
		}
	}
	return nil
}

// Moderation.

func (a *App) apiQueue(c *fiber.Ctx) error {
	var f problem.Fields
	limit := intQuery(c, "limit", "field.limit", &f)
	if limit > moderation.MaxQueue {
		f.Add("limit", "field.limit")
	}
	if err := f.Err(); err != nil {
		return err
	}
	items, err := a.mod.Queue(c.UserContext(), actor(a.session(c)), moderation.QueueFilter{
		Agency: c.Query("agency"), State: c.Query("state"), Limit: limit,
	})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

// officerView is a thread as officers see it: everything but the secrets
// (the tracking hash, the client hash) and the fields kept for indexes and
// workers. The empty fields here shadow the thread's own and are omitted.
type officerView struct {
	*threads.Thread
	A1         string                `json:"a1,omitempty"`
	A2         string                `json:"a2,omitempty"`
	A3         string                `json:"a3,omitempty"`
	A4         string                `json:"a4,omitempty"`
	Open       bool                  `json:"open,omitempty"`
	Pending    bool                  `json:"pending,omitempty"`
	Tracking   string                `json:"tracking,omitempty"`
	Outbox     []threads.OutboxEntry `json:"outbox,omitempty"`
	Card       *threads.Card         `json:"card,omitempty"`
	PublicCard *threads.PublicItem   `json:"public_card,omitempty"`
}

func officerJSON(t *threads.Thread) officerView { return officerView{Thread: officerThread(t)} }

// officerThread is a copy of t without the secrets, for officers' pages.
func officerThread(t *threads.Thread) *threads.Thread {
	cp := *t
	cp.Tracking = ""
	cp.Asker.IPHash = ""
	return &cp
}

func (a *App) apiModThread(c *fiber.Ctx) error {
	t, err := a.mod.Get(c.UserContext(), actor(a.session(c)), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(officerJSON(t))
}

// apiModAction runs one workflow action. Bodies are optional JSON objects.
func (a *App) apiModAction(c *fiber.Ctx) error {
	m := map[string]json.RawMessage{}
	if b := bytes.TrimSpace(c.Body()); len(b) > 0 && string(b) != "null" {
		var err error
		if m, err = object(c); err != nil {
			return err
		}
	}
	var f problem.Fields
	var body, reason, note, agency string
	var private bool
	str(m, "body", &body, &f)
	str(m, "reason", &reason, &f)
	str(m, "note", &note, &f)
	str(m, "agency", &agency, &f)
	boolean(m, "private", &private, &f)
	if err := f.Err(); err != nil {
		return err
	}
	t, err := a.runAction(c, c.Params("action"), c.Params("id"), actionInput{body, reason, note, agency, private})
	if err != nil {
		return err
	}
	return c.JSON(officerJSON(t))
}

type actionInput struct {
	body, reason, note, agency string
	private                    bool
}

// runAction dispatches a workflow action for the API and the console alike.
func (a *App) runAction(c *fiber.Ctx, action, id string, in actionInput) (*threads.Thread, error) {
	ctx, act := c.UserContext(), actor(a.session(c))
	switch action {
	case "claim":
		return a.mod.Claim(ctx, act, id)
	case "release":
		return a.mod.Release(ctx, act, id)
	case "answer":
		return a.mod.Answer(ctx, act, id, in.body)
	case "approve":
		return a.mod.Approve(ctx, act, id, moderation.ApproveInput{Private: in.private, Body: in.body})
	case "return":
		note := in.note
		if note == "" {
			note = in.reason
		}
		return a.mod.Return(ctx, act, id, note)
	case "reject":
		return a.mod.Reject(ctx, act, id, in.reason)
	case "transfer":
		return a.mod.Transfer(ctx, act, id, in.agency, in.reason)
	case "archive":
		return a.mod.Archive(ctx, act, id, in.reason)
	}
	return nil, problem.NotFound()
}
