package chat

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"tuongtac/agencies"
	"tuongtac/i18n"
	"tuongtac/vntext"
)

// Config holds the limits and timings of the chat.
type Config struct {
	// QueueBytes caps what may wait to be written to one connection; a
	// client that lets more pile up is closed with CloseSlowClient.
	QueueBytes int
	// MessageBurst and MessagesPerSec limit messages per connection: the
	// issue's "10 messages per 10 seconds" is a burst of 10 refilled at one
	// a second. Extra messages get an error frame and are not stored.
	MessageBurst   int
	MessagesPerSec float64
	// FrameBurst and FramesPerSec limit frames of any kind; a client past
	// them is closed with CloseFlood.
	FrameBurst   int
	FramesPerSec float64
	// TypingEvery is the least time between two typing frames relayed.
	TypingEvery time.Duration
	// GapWait is how long a connection waits for a message the broker has
	// not brought before it is read from the store.
	GapWait time.Duration
	// Heartbeat is how often presence is published; an instance silent for
	// three heartbeats is taken as gone.
	Heartbeat time.Duration
	// ListLimit bounds the waiting chats sent to a console on connect, per
	// agency it serves.
	ListLimit int
}

// DefaultConfig is the configuration the service runs with.
func DefaultConfig() Config {
	return Config{
		QueueBytes: 256 << 10, MessageBurst: 10, MessagesPerSec: 1,
		FrameBurst: 60, FramesPerSec: 6, TypingEvery: time.Second,
		GapWait: 200 * time.Millisecond, Heartbeat: 10 * time.Second, ListLimit: 100,
	}
}

// Officer is the signed-in officer behind a console connection.
type Officer struct {
	ID    string
	Name  string
	Roles []agencies.Role
}

// Scopes returns the agencies whose chats the officer may take, without any
// that lie inside another one of them.
func (o *Officer) Scopes(tree *agencies.Tree) []string {
	var out []string
	for _, r := range o.Roles {
		if !agencies.Allowed(tree, []agencies.Role{r}, r.Agency, agencies.RoleOfficer) {
			continue
		}
		covered := false
		for _, x := range o.Roles {
			if x.Agency != r.Agency && agencies.ValidRole(x.Role) && tree.IsWithin(r.Agency, x.Agency) {
				covered = true
				break
			}
		}
		dup := false
		for _, a := range out {
			dup = dup || a == r.Agency
		}
		if !covered && !dup {
			out = append(out, r.Agency)
		}
	}
	return out
}

// Can reports whether the officer may take chats of agency.
func (o *Officer) Can(tree *agencies.Tree, agency string) bool {
	return agencies.Allowed(tree, o.Roles, agency, agencies.RoleOfficer)
}

// Mailer sends a transcript the citizen asked for. The notifications
// package provides it; until one is set, requests wait in the chat
// document, nothing lost.
type Mailer interface {
	MailTranscript(ctx context.Context, req MailRequest, c *Chat, msgs []Message) error
}

// Service is the live chat of one instance: its store, its hub of local
// connections and the broker to the others.
type Service struct {
	cfg    Config
	store  *Store
	hub    *Hub
	broker Broker
	tree   *agencies.Tree
	log    *slog.Logger
	// Now is the clock; tests may set it.
	Now func() time.Time
	// Mailer sends transcripts; nil keeps requests waiting.
	Mailer Mailer

	instance  string
	presSub   Subscription
	presMu    sync.Mutex
	local     map[string]*localOfficer
	remote    map[string]*instanceState
	presTimer *time.Timer
	mailWake  chan struct{}
	closeOnce sync.Once
}

// New builds the service over a migrated store and a broker it then owns
// (Close closes it), and asks the other instances who is online.
func New(ctx context.Context, st *Store, b Broker, tree *agencies.Tree, cfg Config, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.Default()
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	s := &Service{cfg: cfg, store: st, broker: b, tree: tree, log: log, Now: nowMillis,
		instance: hex.EncodeToString(id[:]), local: map[string]*localOfficer{}, remote: map[string]*instanceState{},
		mailWake: make(chan struct{}, 1)}
	s.hub = newHub(cfg, b, st, log)
	sub, err := b.Subscribe(ctx, presenceTopic(), s.onPresence)
	if err != nil {
		return nil, err
	}
	s.presSub = sub
	s.publishPresence(ctx, "query")
	return s, nil
}

func nowMillis() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Store is the service's store.
func (s *Service) Store() *Store { return s.store }

// Hub is the service's hub of local connections.
func (s *Service) Hub() *Hub { return s.hub }

// Run publishes presence heartbeats, forgets silent instances and sends
// transcript e-mails, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	beat := time.NewTicker(s.cfg.Heartbeat)
	defer beat.Stop()
	mail := time.NewTicker(30 * time.Second)
	defer mail.Stop()
	s.publishPresence(ctx, "state")
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			s.publishPresence(ctx, "state")
			s.sweepPresence()
		case <-mail.C:
			s.drainMail(ctx)
		case <-s.mailWake:
			s.drainMail(ctx)
		}
	}
}

// Close ends every local connection with CloseGoingAway, tells the other
// instances this one is gone and closes the broker.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.hub.stop(2 * time.Second)
		s.publishPresence(context.Background(), "bye")
		if s.presSub != nil {
			_ = s.presSub.Unsubscribe()
		}
		err = s.broker.Close()
	})
	return err
}

// Connections.

// CitizenParams is what a citizen's upgrade request carried.
type CitizenParams struct {
	// Agency starts a new chat with that agency.
	Agency string
	// ChatID, Token and After resume a chat: every message after After is
	// replayed.
	ChatID, Token, After string
	// Lang is the language of error messages.
	Lang string
	// Origin is the page's Origin header.
	Origin string
	// OriginAllowed reports whether a page at origin may chat with agency.
	OriginAllowed func(origin, agency string) bool
	// AllowNew spends one of the client's new-chat tokens; false refuses.
	AllowNew func() bool
}

// ServeCitizen serves a citizen's connection until it ends.
func (s *Service) ServeCitizen(ws *websocket.Conn, p CitizenParams) {
	c := newConn(ws, s.hub, i18n.Lang(p.Lang))
	defer func() {
		c.Close(CloseNormal)
		<-c.done
	}()
	if !s.hub.add(c) {
		c.Close(CloseGoingAway)
		return
	}
	defer s.hub.remove(c)
	ctx := context.Background()

	var ch *Chat
	var resumed bool
	var code int
	shallow(func() { ch, resumed, code = s.openChat(ctx, c, &p) })
	if code != 0 {
		c.Close(code)
		return
	}
	after, _ := strconv.ParseInt(p.After, 10, 64)
	c.chat, c.agency = ch.ID, ch.Agency
	online := s.Online(ch.Agency)
	c.Send(mustJSON(struct {
		Type    string `json:"type"`
		ChatID  string `json:"chat_id"`
		Token   string `json:"token"`
		Agency  string `json:"agency"`
		State   string `json:"state"`
		Online  int    `json:"online"`
		Resumed bool   `json:"resumed"`
	}{TypeWelcome, ch.ID, p.Token, ch.Agency, ch.State, online, resumed}))
	s.hub.addCitizen(c, online)
	defer s.hub.removeCitizen(c)
	var err error
	shallow(func() {
		err = s.hub.join(ctx, c, ch.ID, after, false, func() [][]byte { return s.stateFrames(ctx, ch.ID) })
	})
	if err != nil {
		s.log.Error("chat: join", slog.String("chat", ch.ID), slog.String("error", err.Error()))
		c.Close(CloseInternal)
		return
	}
	defer s.hub.leave(c, ch.ID)
	s.readLoop(c, s.citizenFrame)
}

// openChat starts or resumes the citizen's chat; a non-zero code refuses
// the connection.
func (s *Service) openChat(ctx context.Context, c *Conn, p *CitizenParams) (*Chat, bool, int) {
	allowed := func(agency string) bool {
		return p.OriginAllowed == nil || p.OriginAllowed(p.Origin, agency)
	}
	if p.ChatID == "" && p.Token == "" && p.After == "" {
		if _, ok := s.tree.Get(p.Agency); !ok {
			s.sendError(c, ErrCodeBadRequest, "")
			return nil, false, CloseBadRequest
		}
		if !allowed(p.Agency) {
			return nil, false, CloseOrigin
		}
		if p.AllowNew != nil && !p.AllowNew() {
			s.sendError(c, ErrCodeRateLimited, "")
			return nil, false, CloseFlood
		}
		now := s.Now()
		path := s.tree.Path(p.Agency)
		p.Token = NewToken()
		ch := &Chat{ID: NewID(now), Agency: p.Agency, A1: path[0], A2: path[1], A3: path[2], A4: path[3],
			State: StateWaiting, TokenHash: TokenHash(p.Token), Lang: c.lang, Created: fixedTime(now), CreatedAt: now}
		if err := s.store.Create(ctx, ch); err != nil {
			s.log.Error("chat: create", slog.String("error", err.Error()))
			return nil, false, CloseInternal
		}
		return ch, false, 0
	}
	if p.ChatID == "" || p.Token == "" {
		s.sendError(c, ErrCodeBadRequest, "")
		return nil, false, CloseBadRequest
	}
	if p.After != "" {
		if n, err := strconv.ParseInt(p.After, 10, 64); err != nil || n < 0 {
			s.sendError(c, ErrCodeBadRequest, "")
			return nil, false, CloseBadRequest
		}
	}
	ch, err := s.Citizen(ctx, p.ChatID, p.Token)
	if errors.Is(err, ErrNotFound) {
		return nil, false, CloseNotFound
	}
	if err != nil {
		s.log.Error("chat: resume", slog.String("error", err.Error()))
		return nil, false, CloseInternal
	}
	if !allowed(ch.Agency) {
		return nil, false, CloseOrigin
	}
	return ch, true, 0
}

// Citizen returns the chat if token is its citizen's; ErrNotFound
// otherwise, whether the chat is unknown or the token wrong.
func (s *Service) Citizen(ctx context.Context, chatID, token string) (*Chat, error) {
	ch, _, err := s.store.Get(ctx, chatID)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(TokenHash(token)), []byte(ch.TokenHash)) != 1 {
		return nil, ErrNotFound
	}
	return ch, nil
}

// stateFrames are the frames that tell a (re)joining connection the chat's
// state: joined when an officer has it, consent, closed.
func (s *Service) stateFrames(ctx context.Context, id string) [][]byte {
	ch, _, err := s.store.Get(ctx, id)
	if err != nil {
		return nil
	}
	var out [][]byte
	if !ch.AcceptedAt.IsZero() {
		out = append(out, mustJSON(chatEvent{Type: TypeJoined, ChatID: id, At: ch.AcceptedAt}))
	}
	if ch.Consent {
		t := true
		out = append(out, mustJSON(chatEvent{Type: TypeConsent, ChatID: id, Value: &t}))
	}
	if ch.State == StateClosed {
		out = append(out, mustJSON(chatEvent{Type: TypeClosed, ChatID: id, By: ch.ClosedBy, At: ch.ClosedAt}))
	}
	return out
}

// OfficerParams is what an officer's upgrade request carried.
type OfficerParams struct {
	Lang string
	// OriginOK is whether the Origin is the service's own.
	OriginOK bool
}

// ServeOfficer serves an officer's console connection until it ends; o nil
// means there was no valid session.
func (s *Service) ServeOfficer(ws *websocket.Conn, o *Officer, p OfficerParams) {
	c := newConn(ws, s.hub, i18n.Lang(p.Lang))
	defer func() {
		c.Close(CloseNormal)
		<-c.done
	}()
	if !s.hub.add(c) {
		c.Close(CloseGoingAway)
		return
	}
	defer s.hub.remove(c)
	if !p.OriginOK {
		c.Close(CloseOrigin)
		return
	}
	if o == nil {
		c.Close(CloseAuth)
		return
	}
	ctx := context.Background()
	c.officer, c.rooms = o, map[string]bool{}
	scopes := o.Scopes(s.tree)
	defer func() {
		for id := range c.rooms {
			s.hub.leave(c, id)
		}
	}()
	for _, a := range scopes {
		if err := s.hub.listen(ctx, c, a); err != nil {
			s.log.Error("chat: listen", slog.String("error", err.Error()))
			c.Close(CloseInternal)
			return
		}
		defer s.hub.unlisten(c, a)
	}
	c.Send(mustJSON(struct {
		Type    string         `json:"type"`
		Officer presentOfficer `json:"officer"`
		Scopes  []string       `json:"agencies"`
	}{TypeWelcome, presentOfficer{ID: o.ID, Name: o.Name}, append([]string{}, scopes...)}))
	s.hub.addOfficer(c)
	defer s.hub.removeOfficer(c)
	s.officerUp(o)
	defer s.officerDown(o)

	// Listening started before these reads, so no chat falls between them
	// (a chat may come twice: consoles key them by chat_id).
	shallow(func() { s.announce(ctx, c, o, scopes) })
	c.Send(s.officerPresenceFrame(o))
	s.readLoop(c, s.officerFrame)
}

// announce sends a console the chats waiting in its agencies and those the
// officer holds.
func (s *Service) announce(ctx context.Context, c *Conn, o *Officer, scopes []string) {
	for _, a := range scopes {
		list, err := s.store.Queued(ctx, s.tree.ScopeField(a), a, s.cfg.ListLimit)
		if err != nil {
			s.log.Error("chat: queued", slog.String("error", err.Error()))
			continue
		}
		for _, ch := range list {
			c.Send(mustJSON(chatEvent{Type: TypeChatWaiting, ChatID: ch.ID, Agency: ch.Agency, At: ch.CreatedAt}))
		}
	}
	if list, err := s.store.ActiveFor(ctx, o.ID, s.cfg.ListLimit); err == nil {
		for _, ch := range list {
			c.Send(mustJSON(chatEvent{Type: TypeChatActive, ChatID: ch.ID, Agency: ch.Agency, At: ch.AcceptedAt}))
		}
	}
}

// readLoop reads frames until the connection ends. Every frame spends a
// token of the frame budget; a client far past it is closed.
func (s *Service) readLoop(c *Conn, handle func(ctx context.Context, c *Conn, f *inFrame)) {
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(PongWait))
		if !c.frames.take(time.Now()) {
			s.sendError(c, ErrCodeRateLimited, "")
			c.Close(CloseFlood)
			return
		}
		var f inFrame
		if typ != websocket.TextMessage || json.Unmarshal(data, &f) != nil {
			// Tell bad JSON apart from good JSON of the wrong shape.
			if typ == websocket.TextMessage && json.Valid(data) {
				s.sendError(c, ErrCodeBadRequest, "")
			} else {
				s.sendError(c, ErrCodeBadJSON, "")
			}
			continue
		}
		shallow(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			handle(ctx, c, &f)
		})
	}
}

// shallow runs f on a goroutine of its own and waits for it. The store's
// calls (SQLite's above all) need deep stacks; run on a connection's reader,
// they would leave it holding a grown stack while it sits idle, and idle
// connections are the many.
func shallow(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// sendError sends an error frame in the connection's language.
func (s *Service) sendError(c *Conn, code, chat string) {
	c.Send(mustJSON(errorFrame{Type: TypeError, Code: code, Message: i18n.T(c.lang, "chat.error."+code), ChatID: chat}))
}

// errorCode maps an operation's error to an error frame's code.
func (s *Service) errorCode(err error) string {
	switch {
	case errors.Is(err, ErrNotFound):
		return ErrCodeNotFound
	case errors.Is(err, ErrTaken):
		return ErrCodeTaken
	case errors.Is(err, ErrClosed):
		return ErrCodeClosed
	case errors.Is(err, ErrForbidden):
		return ErrCodeForbidden
	case errors.Is(err, errEmpty):
		return ErrCodeEmpty
	case errors.Is(err, errTooLong):
		return ErrCodeTooLong
	case errors.Is(err, errBadID):
		return ErrCodeBadRequest
	}
	s.log.Error("chat: operation failed", slog.String("error", err.Error()))
	return ErrCodeInternal
}

func (s *Service) citizenFrame(ctx context.Context, c *Conn, f *inFrame) {
	var err error
	switch f.Type {
	case TypeMessage:
		if !c.msgs.take(time.Now()) {
			s.sendError(c, ErrCodeRateLimited, c.chat)
			return
		}
		_, err = s.Post(ctx, c.chat, nil, f.Body, f.ID)
	case TypeTyping:
		s.typing(ctx, c, c.chat, FromCitizen)
	case TypeClose:
		err = s.CloseChat(ctx, c.chat, nil)
	case TypeConsent:
		if f.Value == nil {
			s.sendError(c, ErrCodeBadRequest, c.chat)
			return
		}
		err = s.SetConsent(ctx, c.chat, *f.Value)
	default:
		s.sendError(c, ErrCodeUnknownType, c.chat)
		return
	}
	if err != nil {
		s.sendError(c, s.errorCode(err), c.chat)
	}
}

func (s *Service) officerFrame(ctx context.Context, c *Conn, f *inFrame) {
	o := c.officer
	switch f.Type {
	case TypeAccept, TypeResume, TypeMessage, TypeTyping, TypeClose:
		if f.ChatID == "" {
			s.sendError(c, ErrCodeBadRequest, "")
			return
		}
	default:
		s.sendError(c, ErrCodeUnknownType, f.ChatID)
		return
	}
	var err error
	switch f.Type {
	case TypeAccept:
		var ch *Chat
		if ch, err = s.Accept(ctx, o, f.ChatID); err == nil {
			c.Send(mustJSON(chatEvent{Type: TypeAccepted, ChatID: ch.ID, Agency: ch.Agency, At: ch.AcceptedAt}))
			err = s.joinOfficer(ctx, c, ch.ID, 0)
		}
	case TypeResume:
		if f.After < 0 {
			err = errBadID
			break
		}
		var ch *Chat
		if ch, _, err = s.store.Get(ctx, f.ChatID); err == nil {
			if ch.Officer != o.ID {
				err = ErrForbidden
				break
			}
			err = s.joinOfficer(ctx, c, ch.ID, f.After)
		}
	case TypeMessage:
		if !c.rooms[f.ChatID] {
			err = ErrForbidden
			break
		}
		if !c.msgs.take(time.Now()) {
			s.sendError(c, ErrCodeRateLimited, f.ChatID)
			return
		}
		_, err = s.Post(ctx, f.ChatID, o, f.Body, f.ID)
	case TypeTyping:
		if c.rooms[f.ChatID] {
			s.typing(ctx, c, f.ChatID, FromAgency)
		}
	case TypeClose:
		err = s.CloseChat(ctx, f.ChatID, o)
	}
	if err != nil {
		s.sendError(c, s.errorCode(err), f.ChatID)
	}
}

// joinOfficer adds an officer's connection to a chat's room, replaying
// after after.
func (s *Service) joinOfficer(ctx context.Context, c *Conn, id string, after int64) error {
	if c.rooms[id] {
		s.hub.leave(c, id)
		delete(c.rooms, id)
	}
	if err := s.hub.join(ctx, c, id, after, true, func() [][]byte { return s.stateFrames(ctx, id) }); err != nil {
		return err
	}
	c.rooms[id] = true
	return nil
}

func (s *Service) typing(ctx context.Context, c *Conn, chat, from string) {
	now := time.Now()
	if now.Sub(c.lastTyping) < s.cfg.TypingEvery {
		return
	}
	c.lastTyping = now
	_ = s.broker.Publish(ctx, chatTopic(chat), mustJSON(chatEvent{Type: TypeTyping, ChatID: chat, From: from}))
}

// Operations.

var (
	errEmpty   = errors.New("chat: empty message")
	errTooLong = errors.New("chat: message too long")
	errBadID   = errors.New("chat: bad id")
)

// Post stores a message and then publishes it: from the citizen when o is
// nil, else from the officer who holds the chat. The citizen's first
// message puts the chat in its agency's queue. cid is the client's id for
// the message: a resend with the same cid is stored once.
func (s *Service) Post(ctx context.Context, chatID string, o *Officer, body, cid string) (Message, error) {
	body = vntext.Clean(body)
	switch {
	case body == "":
		return Message{}, errEmpty
	case vntext.Len(body) > MaxBody:
		return Message{}, errTooLong
	case len(cid) > MaxClientID:
		return Message{}, errBadID
	}
	ch, _, err := s.store.Get(ctx, chatID)
	if err != nil {
		return Message{}, err
	}
	m := Message{Body: body, At: s.Now(), CID: cid, From: FromCitizen}
	announce := false
	switch {
	case ch.State == StateClosed:
		return Message{}, ErrClosed
	case o != nil && (ch.State != StateActive || ch.Officer != o.ID):
		return Message{}, ErrForbidden
	case o != nil:
		m.From, m.Author = FromAgency, o.ID
	case ch.State == StateWaiting && !ch.Queued:
		// Queue the chat before its first message is stored: a crash
		// between the two leaves a listed chat, never an unseen message.
		ch, err = s.store.Update(ctx, chatID, func(x *Chat) error {
			if x.State != StateWaiting || x.Queued {
				return errUnchanged
			}
			x.Queued = true
			announce = true
			return nil
		})
		if err != nil {
			return Message{}, err
		}
	}
	hint := s.hub.hint(chatID)
	stored, at, dup, err := s.store.Append(ctx, chatID, hint, m)
	if err != nil {
		return Message{}, err
	}
	s.hub.setHint(chatID, at)
	if !dup {
		if err := s.broker.Publish(ctx, chatTopic(chatID), encodeMessage(chatID, stored)); err != nil {
			// Stored: connections get it from the store on their next gap
			// fill or resume.
			s.log.Warn("chat: publish", slog.String("error", err.Error()))
		}
	}
	if announce {
		s.publishAgencies(ctx, ch.Agency, chatEvent{Type: TypeChatWaiting, ChatID: ch.ID, Agency: ch.Agency, At: ch.CreatedAt})
	}
	return stored, nil
}

// publishAgencies sends an event to the listeners of agency and of every
// agency above it.
func (s *Service) publishAgencies(ctx context.Context, agency string, e chatEvent) {
	data := mustJSON(e)
	for _, a := range s.tree.Ancestors(agency) {
		_ = s.broker.Publish(ctx, agencyTopic(a), data)
	}
}

// Accept gives a waiting chat to the officer: one conditional write, so of
// officers accepting at once exactly one gets it and the others ErrTaken.
// Accepting a chat one already holds is no error.
func (s *Service) Accept(ctx context.Context, o *Officer, chatID string) (*Chat, error) {
	fresh := false
	ch, err := s.store.Update(ctx, chatID, func(x *Chat) error {
		if !o.Can(s.tree, x.Agency) {
			return ErrForbidden
		}
		switch {
		case x.State == StateActive && x.Officer == o.ID:
			return errUnchanged
		case x.State == StateActive:
			return ErrTaken
		case x.State == StateClosed:
			return ErrClosed
		}
		x.State, x.Officer, x.OfficerName, x.Queued, x.AcceptedAt = StateActive, o.ID, o.Name, false, s.Now()
		fresh = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	if fresh {
		_ = s.broker.Publish(ctx, chatTopic(chatID), mustJSON(chatEvent{Type: TypeJoined, ChatID: chatID, At: ch.AcceptedAt}))
		s.publishAgencies(ctx, ch.Agency, chatEvent{Type: TypeChatTaken, ChatID: chatID, Agency: ch.Agency})
	}
	return ch, nil
}

// CloseChat ends a chat: the citizen's own (o nil), the officer's who holds
// it, or a waiting one in an agency the officer serves.
func (s *Service) CloseChat(ctx context.Context, chatID string, o *Officer) error {
	by := FromCitizen
	if o != nil {
		by = FromAgency
	}
	return s.close(ctx, chatID, by, "", func(x *Chat) error {
		if o != nil && x.Officer != o.ID && !(x.State == StateWaiting && o.Can(s.tree, x.Agency)) {
			return ErrForbidden
		}
		return nil
	})
}

// CloseAsQuestion ends a waiting chat that the citizen left as a question,
// recording the thread. Repeating it with the same thread is no error.
func (s *Service) CloseAsQuestion(ctx context.Context, chatID, thread string) error {
	return s.close(ctx, chatID, "question", thread, func(x *Chat) error {
		if x.State == StateActive {
			return ErrState
		}
		return nil
	})
}

func (s *Service) close(ctx context.Context, chatID, by, thread string, check func(x *Chat) error) error {
	wasWaiting, fresh := false, false
	ch, err := s.store.Update(ctx, chatID, func(x *Chat) error {
		if x.State == StateClosed {
			if thread != "" && x.Thread != thread {
				return ErrClosed
			}
			return errUnchanged
		}
		if err := check(x); err != nil {
			return err
		}
		wasWaiting, fresh = x.State == StateWaiting, true
		x.State, x.Queued, x.ClosedAt, x.ClosedBy = StateClosed, false, s.Now(), by
		if thread != "" {
			x.Thread = thread
		}
		return nil
	})
	if err != nil {
		return err
	}
	if fresh {
		_ = s.broker.Publish(ctx, chatTopic(chatID), mustJSON(chatEvent{Type: TypeClosed, ChatID: chatID, By: by, At: ch.ClosedAt}))
		if wasWaiting {
			s.publishAgencies(ctx, ch.Agency, chatEvent{Type: TypeChatClosed, ChatID: chatID, Agency: ch.Agency})
		}
		s.wakeMail()
	}
	return nil
}

// SetConsent records the citizen's permission (or its withdrawal) to
// publish the chat as a public Q&A.
func (s *Service) SetConsent(ctx context.Context, chatID string, v bool) error {
	_, err := s.store.Update(ctx, chatID, func(x *Chat) error {
		if x.Consent == v {
			return errUnchanged
		}
		if x.Published != "" {
			return ErrState
		}
		x.Consent = v
		return nil
	})
	if err != nil {
		return err
	}
	return s.broker.Publish(ctx, chatTopic(chatID), mustJSON(chatEvent{Type: TypeConsent, ChatID: chatID, Value: &v}))
}

// ForOfficer returns a chat the officer may see: one of an agency they
// serve.
func (s *Service) ForOfficer(ctx context.Context, o *Officer, chatID string) (*Chat, error) {
	ch, _, err := s.store.Get(ctx, chatID)
	if err != nil {
		return nil, err
	}
	if !o.Can(s.tree, ch.Agency) {
		return nil, ErrForbidden
	}
	return ch, nil
}

// CanPublish checks that a chat may become a public Q&A: closed, with the
// citizen's consent, not made into one already.
func CanPublish(ch *Chat) error {
	switch {
	case ch.State != StateClosed || ch.Thread != "":
		return ErrState
	case !ch.Consent:
		return ErrNoConsent
	case ch.Published != "":
		return ErrState
	}
	return nil
}

// MarkPublished records the Q&A thread made of a chat.
func (s *Service) MarkPublished(ctx context.Context, chatID, thread string) error {
	_, err := s.store.Update(ctx, chatID, func(x *Chat) error {
		if x.Published == thread {
			return errUnchanged
		}
		if err := CanPublish(x); err != nil {
			return err
		}
		x.Published = thread
		return nil
	})
	return err
}

// Messages returns the whole conversation.
func (s *Service) Messages(ctx context.Context, chatID string) ([]Message, error) {
	return s.store.Messages(ctx, chatID, 0)
}

// RequestMail records that the citizen wants the transcript at email; it is
// sent once the chat is closed.
func (s *Service) RequestMail(ctx context.Context, chatID, email, lang string) error {
	now := s.Now()
	_, err := s.store.Update(ctx, chatID, func(x *Chat) error {
		for _, r := range x.Mail {
			if r.Email == email {
				return errUnchanged
			}
		}
		if len(x.Mail) >= 5 {
			return ErrState
		}
		x.Mail = append(x.Mail, MailRequest{ID: NewID(now), Email: email, Lang: i18n.Lang(lang), At: now})
		return nil
	})
	if err == nil {
		s.wakeMail()
	}
	return err
}

func (s *Service) wakeMail() {
	select {
	case s.mailWake <- struct{}{}:
	default:
	}
}

// MaxMailTries is how often a transcript e-mail is tried before it is given
// up (and logged).
const MaxMailTries = 8

// DrainMail hands waiting transcripts of closed chats to the Mailer now
// (Run does it on its own every so often).
func (s *Service) DrainMail(ctx context.Context) { s.drainMail(ctx) }

// drainMail hands the transcripts of closed chats to the Mailer.
func (s *Service) drainMail(ctx context.Context) {
	if s.Mailer == nil {
		return
	}
	chats, err := s.store.PendingMail(ctx, 50)
	if err != nil {
		s.log.Warn("chat: pending mail", slog.String("error", err.Error()))
		return
	}
	for _, ch := range chats {
		if ch.State != StateClosed {
			continue
		}
		msgs, err := s.store.Messages(ctx, ch.ID, 0)
		if err != nil {
			continue
		}
		for _, r := range ch.Mail {
			sendErr := s.Mailer.MailTranscript(ctx, r, &ch, msgs)
			_, _ = s.store.Update(ctx, ch.ID, func(x *Chat) error {
				for i := range x.Mail {
					if x.Mail[i].ID != r.ID {
						continue
					}
					if sendErr == nil || x.Mail[i].Tries+1 >= MaxMailTries {
						if sendErr != nil {
							s.log.Error("chat: transcript mail given up", slog.String("chat", ch.ID), slog.String("error", sendErr.Error()))
						}
						x.Mail = append(x.Mail[:i], x.Mail[i+1:]...)
					} else {
						x.Mail[i].Tries++
					}
					return nil
				}
				return errUnchanged
			})
		}
	}
}

// ThreadFrame tells officers' consoles that a thread in their agencies moved:
// a new question, a claim, an answer, an approval, a transfer. Consoles show
// it at once; it is a hint to look, never the record (the store is).
type ThreadFrame struct {
	Type   string    `json:"type"` // always "thread"
	ID     string    `json:"thread_id"`
	Agency string    `json:"agency"`
	State  string    `json:"state"`
	Action string    `json:"action"`
	Title  string    `json:"title"`
	At     time.Time `json:"at"`
}

// TypeThread is the frame type of ThreadFrame.
const TypeThread = "thread"

// PublishThread sends f to the consoles of f.Agency and every agency above
// it, on every instance. Best effort: a console that misses it still sees the
// thread on its next load.
func (s *Service) PublishThread(ctx context.Context, f ThreadFrame) {
	f.Type = TypeThread
	data := mustJSON(f)
	for _, a := range s.tree.Ancestors(f.Agency) {
		_ = s.broker.Publish(ctx, agencyTopic(a), data)
	}
}
