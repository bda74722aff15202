package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"tuongtac/agencies"
	"tuongtac/chat"
	"tuongtac/i18n"
	"tuongtac/problem"
	"tuongtac/threads"
	"tuongtac/vntext"
)

// chatParts is the live chat as the server wires it: the service (store,
// hub, broker) and the limit on new chats per client address.
type chatParts struct {
	svc *chat.Service
	// newLimit bounds chats started per client address: generous, as for
	// submissions, because many citizens share one address.
	newLimit *limiter
}

// newChatParts builds the chat over the App's store and tree, with NATS
// between instances when NATS_URL is set and the in-process broker
// otherwise.
func newChatParts(ctx context.Context, a *App) (*chatParts, error) {
	var b chat.Broker
	switch {
	case a.cfg.NATSURL != "":
		nb, err := chat.NewNATSBroker(a.cfg.NATSURL, "tuongtac", a.log)
		if err != nil {
			return nil, err
		}
		b = nb
	default:
		b = chat.NewMemoryBroker()
	}
	svc, err := chat.New(ctx, chat.NewStore(a.db), b, a.tree, chat.DefaultConfig(), a.log)
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("chat: %w", err)
	}
	return &chatParts{svc: svc, newLimit: newLimiter(60, 600.0/3600)}, nil
}

// chatRoutes registers the chat's WebSocket endpoints, pages and API.
func (a *App) chatRoutes(app *fiber.App) {
	// Sockets outlive their request: fasthttp must neither close them nor
	// keep the request's buffers for them (see wsUpgrade). Nothing else in
	// the service hijacks connections.
	app.Server().KeepHijackedConns = true
	app.Get("/ws/chat", a.wsChat)
	app.Get("/ws/console", a.wsConsole)

	app.Get("/chat", a.pageChat)
	app.Post("/chat/:id/transcript", a.pageChatTranscript)
	app.Get("/console/chat", a.consoleSession, a.pageConsoleChat)

	api := app.Group("/api/v1/chats", noStore)
	api.Get("/:id/transcript", a.apiChatTranscript)
	api.Post("/:id/transcript/email", a.apiChatMail)
	api.Post("/:id/question", a.apiChatQuestion)

	mod := app.Group("/api/v1/moderation/chats", noStore, a.requireSession, a.requireCSRF)
	mod.Get("/:id", a.apiModChat)
	mod.Post("/:id/publish", a.apiChatPublish)
}

// wsBufferPool shares write buffers between connections, so an idle one
// holds none.
var wsBufferPool sync.Pool

// wsUpgrader builds each socket: a small read buffer (frames are at most
// chat.MaxFrame and are read whole anyway) and pooled write buffers. Origins
// are checked by the chat after the upgrade, so a refused page gets a named
// close code instead of a bare failure.
var wsUpgrader = websocket.Upgrader{
	ReadBufferSize: 512, WriteBufferSize: 2048, WriteBufferPool: &wsBufferPool,
	CheckOrigin: func(*http.Request) bool { return true },
	Error: func(w http.ResponseWriter, _ *http.Request, status int, _ error) {
		w.WriteHeader(status)
	},
}

// wsUpgrade answers a WebSocket handshake and runs serve on the socket in a
// goroutine of its own. It takes the connection from fasthttp and lets the
// request go at once: fasthttp's own upgrade (gofiber/contrib/websocket)
// keeps the request context and its 16 KiB read buffer (ReadBufferSize)
// alive for as long as the socket lives, which doubled the memory of an
// idle connection.
func (a *App) wsUpgrade(c *fiber.Ctx, serve func(ws *websocket.Conn)) error {
	if !websocket.FastHTTPIsWebSocketUpgrade(c.Context()) {
		return problem.Invalid("upgrade", "chat.error.upgrade")
	}
	req := &http.Request{Method: http.MethodGet, Header: http.Header{}, Host: string(c.Request().Host())}
	for _, h := range []string{"Connection", "Upgrade", "Sec-Websocket-Version", "Sec-Websocket-Key"} {
		req.Header.Set(h, c.Get(h))
	}
	raw := c.Context().Conn()
	c.Status(fiber.StatusSwitchingProtocols) // for the access log; the 101 is written below
	c.Context().HijackSetNoResponse(true)
	c.Context().Hijack(func(hj net.Conn) {
		// What fasthttp's reader already holds (from a client that did not
		// wait for the 101) is read out before fasthttp takes the reader
		// back: a read that would block times out at once.
		var prefix []byte
		_ = raw.SetReadDeadline(time.Now())
		buf := make([]byte, 512)
		for range 64 {
			n, err := hj.Read(buf)
			prefix = append(prefix, buf[:n]...)
			if err != nil || n == 0 {
				break
			}
		}
		_ = raw.SetReadDeadline(time.Time{})
		go func() {
			ws, err := wsUpgrader.Upgrade(&hijacked{conn: &prefixConn{Conn: raw, prefix: prefix}}, req, nil)
			if err != nil {
				_ = raw.Close()
				return
			}
			defer func() {
				if r := recover(); r != nil {
					a.log.Error("chat: panic", slog.Any("panic", r))
					_ = raw.Close()
				}
			}()
			serve(ws)
		}()
	})
	return nil
}

// hijacked is the http.ResponseWriter the upgrader writes the handshake
// through: the raw connection.
type hijacked struct {
	conn net.Conn
	h    http.Header
}

func (h *hijacked) Header() http.Header {
	if h.h == nil {
		h.h = http.Header{}
	}
	return h.h
}

func (h *hijacked) Write(b []byte) (int, error) { return h.conn.Write(b) }

func (h *hijacked) WriteHeader(status int) {
	fmt.Fprintf(h.conn, "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status, http.StatusText(status))
}

func (h *hijacked) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.conn, bufio.NewReadWriter(bufio.NewReaderSize(h.conn, 16), bufio.NewWriterSize(h.conn, 16)), nil
}

// prefixConn reads prefix before the connection.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// wsChat prepares a citizen's upgrade: /ws/chat?agency=ID starts a chat,
// ?chat_id=…&token=…&after=SEQ resumes one.
func (a *App) wsChat(c *fiber.Ctx) error {
	ip := a.clientIP(c)
	p := chat.CitizenParams{
		Agency: c.Query("agency"), ChatID: c.Query("chat_id"), Token: c.Query("token"), After: c.Query("after"),
		Lang: langOf(c), Origin: c.Get(fiber.HeaderOrigin), OriginAllowed: a.chatOriginAllowed,
		AllowNew: func() bool { ok, _ := a.chat.newLimit.take(ip); return ok },
	}
	return a.wsUpgrade(c, func(ws *websocket.Conn) { a.chat.svc.ServeCitizen(ws, p) })
}

// wsConsole prepares an officer's upgrade; the session cookie says who.
func (a *App) wsConsole(c *fiber.Ctx) error {
	var o *chat.Officer
	if s := a.session(c); s != nil {
		o = chatOfficer(s)
	}
	p := chat.OfficerParams{Lang: langOf(c), OriginOK: a.ownOrigin(c.Get(fiber.HeaderOrigin))}
	return a.wsUpgrade(c, func(ws *websocket.Conn) { a.chat.svc.ServeOfficer(ws, o, p) })
}

func chatOfficer(s *agencies.Session) *chat.Officer {
	return &chat.Officer{ID: s.User.ID, Name: s.User.Name, Roles: s.User.Roles}
}

// ownOrigin reports whether origin is this service's (BASE_URL). No Origin
// at all is not a browser, and cross-site requests are what Origin guards
// against.
func (a *App) ownOrigin(origin string) bool {
	if origin == "" {
		return true
	}
	base, err := url.Parse(a.cfg.BaseURL)
	if err != nil {
		return false
	}
	return strings.EqualFold(origin, base.Scheme+"://"+base.Host)
}

// chatOriginAllowed reports whether a page at origin may chat with agency:
// our own pages, and the portals of the agency and of the agencies above it
// (their domains, over https; over http too while BASE_URL is http, for
// trials).
func (a *App) chatOriginAllowed(origin, agency string) bool {
	if a.ownOrigin(origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" {
		return false
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && strings.HasPrefix(a.cfg.BaseURL, "http://")) {
		return false
	}
	host := strings.ToLower(u.Host)
	for _, id := range a.tree.Ancestors(agency) {
		ag, _ := a.tree.Get(id)
		d := strings.ToLower(ag.Domain)
		if d != "" && (host == d || host == "www."+d) {
			return true
		}
	}
	return false
}

// chatError turns the chat's errors into problems.
func chatError(err error) error {
	switch {
	case errors.Is(err, chat.ErrNotFound):
		return problem.NotFound()
	case errors.Is(err, chat.ErrForbidden):
		return problem.Forbidden()
	case errors.Is(err, chat.ErrNoConsent):
		return problem.Conflict("chat.conflict.no_consent")
	case errors.Is(err, chat.ErrState), errors.Is(err, chat.ErrClosed), errors.Is(err, chat.ErrTaken):
		return problem.Conflict("chat.conflict.state")
	}
	return err
}

// citizenChat reads the chat named in the path for the holder of token.
func (a *App) citizenChat(c *fiber.Ctx, token string) (*chat.Chat, error) {
	if token == "" {
		return nil, problem.NotFound()
	}
	ch, err := a.chat.svc.Citizen(c.UserContext(), c.Params("id"), token)
	return ch, chatError(err)
}

func (a *App) agencyName(id, lang string) string {
	if ag, ok := a.tree.Get(id); ok {
		return ag.DisplayName(lang)
	}
	return id
}

// Transcript.

type transcriptJSON struct {
	ChatID   string          `json:"chat_id"`
	Agency   string          `json:"agency"`
	State    string          `json:"state"`
	Messages []transcriptMsg `json:"messages"`
}

type transcriptMsg struct {
	Seq  int64  `json:"seq"`
	From string `json:"from"`
	Body string `json:"body"`
	At   string `json:"at"`
}

// apiChatTranscript gives the citizen (X-Chat-Token) or an officer of the
// agency the conversation: JSON, or plain text with ?format=text.
func (a *App) apiChatTranscript(c *fiber.Ctx) error {
	ctx := c.UserContext()
	var ch *chat.Chat
	var err error
	if tok := c.Get("X-Chat-Token"); tok != "" {
		ch, err = a.citizenChat(c, tok)
	} else if s := a.session(c); s != nil {
		ch, err = a.chat.svc.ForOfficer(ctx, chatOfficer(s), c.Params("id"))
		err = chatError(err)
	} else {
		err = problem.NotFound()
	}
	if err != nil {
		return err
	}
	msgs, err := a.chat.svc.Messages(ctx, ch.ID)
	if err != nil {
		return err
	}
	if c.Query("format") == "text" {
		return sendTranscript(c, ch, msgs, a.agencyName(ch.Agency, langOf(c)), langOf(c))
	}
	out := transcriptJSON{ChatID: ch.ID, Agency: ch.Agency, State: ch.State, Messages: make([]transcriptMsg, 0, len(msgs))}
	for _, m := range msgs {
		out.Messages = append(out.Messages, transcriptMsg{Seq: m.Seq, From: m.From, Body: m.Body, At: m.At.Format("2006-01-02T15:04:05.000Z07:00")})
	}
	return c.JSON(out)
}

func sendTranscript(c *fiber.Ctx, ch *chat.Chat, msgs []chat.Message, agencyName, lang string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="tuongtac-chat-`+ch.ID+`.txt"`)
	c.Type("txt", "utf-8")
	return c.SendString(chat.Transcript(ch, msgs, agencyName, lang))
}

// pageChatTranscript is the download as a form post (the token in the
// body, never in an address).
func (a *App) pageChatTranscript(c *fiber.Ctx) error {
	ch, err := a.citizenChat(c, c.FormValue("token"))
	if err != nil {
		return err
	}
	msgs, err := a.chat.svc.Messages(c.UserContext(), ch.ID)
	if err != nil {
		return err
	}
	return sendTranscript(c, ch, msgs, a.agencyName(ch.Agency, langOf(c)), langOf(c))
}

// apiChatMail records the citizen's request for the transcript by e-mail,
// sent once the chat has ended.
func (a *App) apiChatMail(c *fiber.Ctx) error {
	m, err := object(c)
	if err != nil {
		return err
	}
	var token, email, lang string
	var f problem.Fields
	str(m, "token", &token, &f)
	str(m, "email", &email, &f)
	str(m, "lang", &lang, &f)
	email = strings.ToLower(strings.TrimSpace(email))
	if err := threads.Validator.Var(email, "required,max=254,email,singleline"); err != nil {
		f.Add("email", "field.email")
	}
	if err := f.Err(); err != nil {
		return err
	}
	ch, err := a.citizenChat(c, token)
	if err != nil {
		return err
	}
	if lang == "" {
		lang = langOf(c)
	}
	if err := a.chat.svc.RequestMail(c.UserContext(), ch.ID, email, lang); err != nil {
		return chatError(err)
	}
	// Double opt-in, as for questions: the transcript goes once the address
	// is confirmed.
	_ = a.mail.RequestVerification(c.UserContext(), email, i18n.Lang(lang))
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"status": "queued"})
}

// Leaving a question.

// apiChatQuestion turns a chat nobody answered into a question in the
// agency's queue, with everything the citizen wrote (and a draft they had
// not sent) as its body. It is idempotent: the same chat gives the same
// receipt.
func (a *App) apiChatQuestion(c *fiber.Ctx) error {
	m, err := object(c)
	if err != nil {
		return err
	}
	var token, draft string
	in := threads.Input{Kind: "question"}
	var f problem.Fields
	for name, dst := range map[string]*string{"token": &token, "draft": &draft, "title": &in.Title, "name": &in.Name, "email": &in.Email, "phone": &in.Phone, "lang": &in.Lang} {
		str(m, name, dst, &f)
	}
	boolean(m, "show_name", &in.ShowName, &f)
	boolean(m, "consent", &in.Consent, &f)
	if err := f.Err(); err != nil {
		return err
	}
	ch, err := a.citizenChat(c, token)
	if err != nil {
		return err
	}
	switch {
	case ch.State == chat.StateActive, ch.State == chat.StateClosed && ch.Thread == "":
		return problem.Conflict("chat.conflict.state")
	}
	ctx := c.UserContext()
	msgs, err := a.chat.svc.Messages(ctx, ch.ID)
	if err != nil {
		return err
	}
	lang := i18n.Lang(in.Lang)
	if in.Lang == "" {
		lang = langOf(c)
	}
	in.Agency, in.Lang = ch.Agency, lang
	in.Body = chat.Said(msgs, chat.FromCitizen)
	if d := vntext.Clean(draft); d != "" {
		if in.Body != "" {
			in.Body += "\n\n"
		}
		in.Body += d
	}
	in.Body = cut(in.Body, threads.BodyMax)
	if vntext.CleanLine(in.Title) == "" {
		in.Title = titleFrom(in.Body, i18n.T(lang, "chat.question.default_title"))
	}
	check, pre := in, problem.Fields{}
	a.threads.Validate(&check, &pre)
	if err := pre.Err(); err != nil {
		return err
	}
	if err := a.submitAllowed(c); err != nil {
		return err
	}
	r, err := a.threads.Submit(ctx, in, threads.Meta{ClientHash: a.clientHash(a.clientIP(c)), Token: "chat-question-" + ch.ID}, nil)
	if err != nil {
		return err
	}
	if err := a.chat.svc.CloseAsQuestion(ctx, ch.ID, r.ID); err != nil {
		return chatError(err)
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// cut keeps the first n characters of s.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// titleFrom makes a title of the first line of body, or def when that is
// too short to be one.
func titleFrom(body, def string) string {
	line := vntext.CleanLine(strings.SplitN(body, "\n", 2)[0])
	line = cut(line, 120)
	if vntext.Len(line) < threads.TitleMin {
		return def
	}
	return line
}

// Publishing a chat as a Q&A.

type modChatJSON struct {
	ID        string                 `json:"id"`
	Agency    string                 `json:"agency"`
	State     string                 `json:"state"`
	Officer   string                 `json:"officer"`
	Consent   bool                   `json:"consent"`
	Thread    string                 `json:"thread,omitempty"`
	Published string                 `json:"published,omitempty"`
	CreatedAt string                 `json:"created_at"`
	Messages  []transcriptMsg        `json:"messages"`
	Draft     map[string]string      `json:"draft"`
	Can       map[string]interface{} `json:"can"`
}

// apiModChat gives an officer of the agency a chat, its messages and the
// starting text of a Q&A made of it.
func (a *App) apiModChat(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ch, err := a.chat.svc.ForOfficer(ctx, chatOfficer(a.session(c)), c.Params("id"))
	if err != nil {
		return chatError(err)
	}
	msgs, err := a.chat.svc.Messages(ctx, ch.ID)
	if err != nil {
		return err
	}
	out := modChatJSON{ID: ch.ID, Agency: ch.Agency, State: ch.State, Officer: ch.OfficerName, Consent: ch.Consent,
		Thread: ch.Thread, Published: ch.Published, CreatedAt: ch.CreatedAt.Format("2006-01-02T15:04:05Z07:00"),
		Messages: []transcriptMsg{},
		Draft:    map[string]string{"question": chat.Said(msgs, chat.FromCitizen), "answer": chat.Said(msgs, chat.FromAgency)},
		Can:      map[string]interface{}{"publish": chat.CanPublish(ch) == nil},
	}
	for _, m := range msgs {
		out.Messages = append(out.Messages, transcriptMsg{Seq: m.Seq, From: m.From, Body: m.Body, At: m.At.Format("2006-01-02T15:04:05.000Z07:00")})
	}
	return c.JSON(out)
}

// apiChatPublish makes a closed chat, whose citizen consented, into a
// question with the officer's answer waiting for approval: the editor then
// approves it as any other, and publication masks personal data. Body
// members: title (required), question and answer (default: what each side
// wrote), topic.
func (a *App) apiChatPublish(c *fiber.Ctx) error {
	m, err := object(c)
	if err != nil {
		return err
	}
	var title, question, answer, topic string
	var f problem.Fields
	str(m, "title", &title, &f)
	str(m, "question", &question, &f)
	str(m, "answer", &answer, &f)
	str(m, "topic", &topic, &f)
	if err := f.Err(); err != nil {
		return err
	}
	ctx, s := c.UserContext(), a.session(c)
	ch, err := a.chat.svc.ForOfficer(ctx, chatOfficer(s), c.Params("id"))
	if err != nil {
		return chatError(err)
	}
	if err := chat.CanPublish(ch); err != nil {
		return chatError(err)
	}
	msgs, err := a.chat.svc.Messages(ctx, ch.ID)
	if err != nil {
		return err
	}
	if vntext.Clean(question) == "" {
		question = chat.Said(msgs, chat.FromCitizen)
	}
	if vntext.Clean(answer) == "" {
		answer = chat.Said(msgs, chat.FromAgency)
	}
	in := threads.Input{Agency: ch.Agency, Kind: "question", Topic: topic, Title: title, Body: question, Consent: true, Lang: ch.Lang}
	check, pre := in, problem.Fields{}
	a.threads.Validate(&check, &pre)
	if vntext.Clean(answer) == "" {
		pre.Add("answer", "field.answer.required")
	}
	if err := renameField(pre.Err(), "body", "question"); err != nil {
		return err
	}
	r, err := a.threads.Submit(ctx, in, threads.Meta{Token: "chat-qa-" + ch.ID}, nil)
	if err != nil {
		return renameField(err, "body", "question")
	}
	act := actor(s)
	t, err := a.mod.Get(ctx, act, r.ID)
	if err != nil {
		return err
	}
	if t.State == threads.StateQueued {
		if t, err = a.mod.Claim(ctx, act, r.ID); err != nil {
			return err
		}
	}
	if t.State == threads.StateAssigned && t.Assignee == act.ID {
		if t, err = a.mod.Answer(ctx, act, r.ID, answer); err != nil {
			return err
		}
	}
	if err := a.chat.svc.MarkPublished(ctx, ch.ID, r.ID); err != nil {
		return chatError(err)
	}
	return c.Status(fiber.StatusCreated).JSON(officerJSON(t))
}

// renameField moves a field error from one name to another (the thread's
// body is the chat's question).
func renameField(err error, from, to string) error {
	if p, ok := problem.As(err); ok && p.Fields != nil {
		if v, ok := p.Fields[from]; ok {
			delete(p.Fields, from)
			p.Fields[to] = v
		}
	}
	return err
}

// Pages.

type chatPageData struct {
	Agency     string
	AgencyName string
	Groups     []agencyGroup
	MaxBody    int
}

// pageChat is the citizen's chat with an agency (?agency=ID), or the choice
// of one. The chat needs JavaScript; without it the page offers the
// question form.
func (a *App) pageChat(c *fiber.Ctx) error {
	lang := langOf(c)
	d := chatPageData{MaxBody: chat.MaxBody}
	if ag, ok := a.tree.Get(c.Query("agency")); ok {
		d.Agency, d.AgencyName = ag.ID, ag.DisplayName(lang)
	} else {
		d.Groups = a.agencyGroups(lang, "")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	p := a.page(c, "chat", i18n.T(lang, "chat.heading"), d)
	p.NoIndex = true
	return a.render(c, fiber.StatusOK, "chat", p)
}

type consoleChatData struct {
	Agencies []agencyOption
	MaxBody  int
}

// pageConsoleChat is the officer's chat panel: waiting chats, several
// conversations at once, who is online.
func (a *App) pageConsoleChat(c *fiber.Ctx) error {
	s, lang := a.session(c), langOf(c)
	d := consoleChatData{MaxBody: chat.MaxBody}
	for _, id := range chatOfficer(s).Scopes(a.tree) {
		d.Agencies = append(d.Agencies, agencyOption{ID: id, Name: a.agencyName(id, lang)})
	}
	return a.render(c, fiber.StatusOK, "chat_console", a.consolePage(c, s, i18n.T(lang, "chat.console.heading"), d))
}

// openAPIChatPaths documents the chat's HTTP routes; the WebSocket protocol
// itself is chat/PROTOCOL.md.
func openAPIChatPaths() oaMap {
	chatID := []oaMap{{"name": "id", "in": "path", "required": true, "description": "The chat's id (chat_id of the welcome frame).", "schema": oaMap{"type": "string"}}}
	msgs := oaArray("The messages, in order.", oaObject("One message.", []string{"seq", "from", "body", "at"}, oaMap{
		"seq": oaInt("Its number in the chat: 1, 2, 3… with no holes."), "from": oaEnum("Who wrote it.", []string{chat.FromCitizen, chat.FromAgency}),
		"body": oaString("The text."), "at": oaTime("When it was stored."),
	}))
	transcript := oaObject("A chat's conversation.", []string{"chat_id", "agency", "state", "messages"}, oaMap{
		"chat_id": oaString("The chat."), "agency": oaString("The agency's id."),
		"state": oaEnum("The chat's state.", []string{chat.StateWaiting, chat.StateActive, chat.StateClosed}), "messages": msgs,
	})
	return oaMap{
		"/api/v1/chats/{id}/transcript": oaMap{"parameters": chatID, "get": oaWith(oaOp("public", "getChatTranscript", "A chat's transcript",
			"For the citizen (header X-Chat-Token with the chat's token) or an officer of its agency (session). ?format=text answers a text file (attachment) instead. "+
				"A wrong token is 404, like an unknown chat.",
			oaResponses(oaMap{"200": oaJSON("The conversation.", transcript)}, "404")),
			oaMap{"parameters": []oaMap{
				{"name": "X-Chat-Token", "in": "header", "required": false, "description": "The citizen's token.", "schema": oaMap{"type": "string"}},
				{"name": "format", "in": "query", "required": false, "description": "text for a text file.", "schema": oaMap{"type": "string", "enum": []string{"text"}}},
			}})},
		"/api/v1/chats/{id}/transcript/email": oaMap{"parameters": chatID, "post": oaWith(oaOp("public", "mailChatTranscript", "Get the transcript by e-mail",
			"The citizen asks for the conversation at an address; it is sent once the chat has ended.",
			oaResponses(oaMap{"202": oaJSON("Noted.", oaSchema("Status"))}, "400", "404", "409", "415")),
			oaMap{"requestBody": oaBody("The token and the address.", true, oaObject("", []string{"token", "email"}, oaMap{
				"token": oaString("The chat's token."), "email": oaString("Where to send it."), "lang": oaEnum("Language of the e-mail.", []string{"vi", "en"}),
			}))})},
		"/api/v1/chats/{id}/question": oaMap{"parameters": chatID, "post": oaWith(oaOp("public", "leaveChatQuestion", "Leave a chat as a question",
			"When no officer answers: the waiting chat becomes a question in its agency's queue, its body everything the citizen wrote plus draft (what was still unsent). "+
				"The title defaults to the first line. Idempotent: the same chat gives the same receipt. 409 once an officer has the chat.",
			oaResponses(oaMap{"201": oaJSON("Queued as a question.", oaSchema("Receipt"))}, "400", "404", "409", "415", "429")),
			oaMap{"requestBody": oaBody("The token, consent and optional contact.", true, oaObject("", []string{"token", "consent"}, oaMap{
				"token": oaString("The chat's token."), "title": oaText("The question's title.", threads.TitleMin, threads.TitleMax),
				"name": oaString("Họ và tên."), "email": oaString("For the answer."), "phone": oaString("Số điện thoại."),
				"show_name": oaBool("Show the name when published."), "consent": oaBool("Must be true."), "draft": oaString("Text not yet sent."),
				"lang": oaEnum("Language.", []string{"vi", "en"}),
			}))})},
		"/api/v1/moderation/chats/{id}": oaMap{"parameters": chatID, "get": oaWith(oaOp("officers", "getModerationChat", "Read a chat as an officer",
			"A chat of the caller's agencies: state, consent, messages, and draft.question / draft.answer (what each side wrote) to start a Q&A from.",
			oaResponses(oaMap{"200": oaJSON("The chat.", oaMap{"type": "object"})}, "401", "403", "404")),
			oaMap{"security": oaSessionOnly})},
		"/api/v1/moderation/chats/{id}/publish": oaMap{"parameters": chatID, "post": oaWith(oaOp("officers", "publishChat", "Make a chat a public Q&A",
			"A closed chat whose citizen consented becomes a question with the caller's answer waiting for approval (pending_approval); an editor approves it as any other, "+
				"and publication masks personal data. question and answer default to what each side wrote. 409 without consent, for an open chat, or when done already.",
			oaResponses(oaMap{"201": oaJSON("The thread, waiting for approval.", oaSchema("Thread"))}, "400", "401", "403", "404", "409", "415")),
			oaMap{"security": oaSessionCSRF, "requestBody": oaBody("The Q&A.", true, oaObject("", []string{"title"}, oaMap{
				"title": oaText("The title.", threads.TitleMin, threads.TitleMax), "question": oaString("The question as published (masked at approval)."),
				"answer": oaString("The answer."), "topic": oaString("A topic slug."),
			}))})},
	}
}
