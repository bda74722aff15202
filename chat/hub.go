package chat

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"
)

// Hub tracks this instance's connections only: the chats they have joined
// (rooms), the agencies officers listen to, and the citizens waiting for
// presence news. Other instances are reached through the Broker.
type Hub struct {
	cfg    Config
	broker Broker
	store  *Store
	log    *slog.Logger

	mu        sync.Mutex
	rooms     map[string]*room
	agencies  map[string]*group
	citizens  map[string]*citizenGroup // by chat agency
	officers  map[*Conn]struct{}
	conns     map[*Conn]struct{}
	stopped   bool
	presDirty bool
}

func newHub(cfg Config, b Broker, st *Store, log *slog.Logger) *Hub {
	return &Hub{cfg: cfg, broker: b, store: st, log: log,
		rooms: map[string]*room{}, agencies: map[string]*group{}, citizens: map[string]*citizenGroup{},
		officers: map[*Conn]struct{}{}, conns: map[*Conn]struct{}{}}
}

// add registers a connection; false once the hub has stopped.
func (h *Hub) add(c *Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

func (h *Hub) remove(c *Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// stop closes every connection with CloseGoingAway and waits (up to wait)
// for their writers to finish.
func (h *Hub) stop(wait time.Duration) {
	h.mu.Lock()
	h.stopped = true
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.Close(CloseGoingAway)
	}
	deadline := time.After(wait)
	for _, c := range conns {
		select {
		case <-c.done:
		case <-deadline:
			return
		}
	}
}

// Counts reports how many connections, rooms and agency listeners this
// instance holds (for tests and the load command).
func (h *Hub) Counts() (conns, rooms, agencies int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns), len(h.rooms), len(h.agencies)
}

// Rooms.

// room is one chat as this instance sees it: the local connections that
// joined it, each with the last sequence number it was sent, and the
// messages that arrived ahead of a gap.
type room struct {
	id    string
	hub   *Hub
	ready chan struct{}
	err   error
	sub   Subscription
	refs  int // under hub.mu

	mu      sync.Mutex
	members map[*Conn]*member
	held    map[int64][]byte
	maxSeen int64
	timer   *time.Timer
	// hint is the bucket this instance last appended to.
	hint int64
}

type member struct {
	last      int64
	replaying bool
	officer   bool
	early     [][]byte
}

// acquire returns the room for chat, subscribed, with one more reference.
func (h *Hub) acquire(ctx context.Context, chat string) (*room, error) {
	h.mu.Lock()
	r := h.rooms[chat]
	if r != nil {
		r.refs++
		h.mu.Unlock()
		<-r.ready
		if r.err != nil {
			h.release(r)
			return nil, r.err
		}
		return r, nil
	}
	r = &room{id: chat, hub: h, ready: make(chan struct{}), refs: 1, members: map[*Conn]*member{}, held: map[int64][]byte{}}
	h.rooms[chat] = r
	h.mu.Unlock()
	r.sub, r.err = h.broker.Subscribe(ctx, chatTopic(chat), r.onEvent)
	close(r.ready)
	if r.err != nil {
		h.release(r)
		return nil, r.err
	}
	return r, nil
}

// release drops a reference; the last one unsubscribes.
func (h *Hub) release(r *room) {
	h.mu.Lock()
	r.refs--
	last := r.refs == 0
	if last && h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
	h.mu.Unlock()
	if last {
		r.mu.Lock()
		if r.timer != nil {
			r.timer.Stop()
		}
		r.mu.Unlock()
		if r.sub != nil {
			_ = r.sub.Unsubscribe()
		}
	}
}

// join adds c to chat's room and sends it every stored message after
// after, then whatever tail returns (frames about the chat's state, read
// after the messages), then live frames, each message once and in order.
func (h *Hub) join(ctx context.Context, c *Conn, chat string, after int64, officer bool, tail func() [][]byte) error {
	r, err := h.acquire(ctx, chat)
	if err != nil {
		return err
	}
	r.mu.Lock()
	if _, ok := r.members[c]; ok {
		// Already there (an officer resuming a chat twice): start over.
		r.mu.Unlock()
		h.release(r)
		r.mu.Lock()
	}
	r.members[c] = &member{last: after, replaying: true, officer: officer}
	r.mu.Unlock()

	msgs, err := h.store.Messages(ctx, chat, after)
	var frames [][]byte
	if err == nil && tail != nil {
		frames = tail()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.members[c]
	if err != nil {
		delete(r.members, c)
		go h.release(r)
		return err
	}
	for _, msg := range msgs {
		if msg.Seq > m.last {
			c.Send(encodeMessage(chat, msg))
			m.last = msg.Seq
		}
		r.maxSeen = max(r.maxSeen, msg.Seq)
	}
	for _, f := range frames {
		c.Send(f)
	}
	for _, f := range m.early {
		c.Send(f)
	}
	m.replaying, m.early = false, nil
	r.drain()
	return nil
}

// leave removes c from chat's room.
func (h *Hub) leave(c *Conn, chat string) {
	h.mu.Lock()
	r := h.rooms[chat]
	h.mu.Unlock()
	if r == nil {
		return
	}
	r.mu.Lock()
	_, ok := r.members[c]
	delete(r.members, c)
	r.prune()
	r.mu.Unlock()
	if ok {
		h.release(r)
	}
}

// onEvent is the room's broker handler.
func (r *room) onEvent(data []byte) {
	var hd header
	if json.Unmarshal(data, &hd) != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch hd.Type {
	case TypeMessage:
		if hd.Seq <= 0 {
			return
		}
		r.offer(hd.Seq, data)
		r.drain()
	case TypeTyping:
		for c, m := range r.members {
			// Typing goes to the other side only, and only live.
			if !m.replaying && m.officer == (hd.From == FromCitizen) {
				c.Send(data)
			}
		}
	default:
		for c, m := range r.members {
			if m.replaying {
				m.early = append(m.early, data)
			} else {
				c.Send(data)
			}
		}
	}
}

// offer keeps a message frame while some member still needs it.
func (r *room) offer(seq int64, frame []byte) {
	r.maxSeen = max(r.maxSeen, seq)
	for _, m := range r.members {
		if seq > m.last {
			r.held[seq] = frame
			return
		}
	}
}

// drain sends each live member the held messages that follow its last one,
// drops what everyone has, and arms the gap timer if someone is still
// missing a message that later ones have overtaken.
func (r *room) drain() {
	gap := false
	for c, m := range r.members {
		if m.replaying {
			continue
		}
		for {
			f, ok := r.held[m.last+1]
			if !ok {
				break
			}
			c.Send(f)
			m.last++
		}
		if m.last < r.maxSeen {
			gap = true
		}
	}
	r.prune()
	if gap && r.timer == nil {
		r.timer = time.AfterFunc(r.hub.cfg.GapWait, r.fill)
	}
}

// prune forgets held messages every member has.
func (r *room) prune() {
	if len(r.held) == 0 {
		return
	}
	low := int64(-1)
	for _, m := range r.members {
		if low < 0 || m.last < low {
			low = m.last
		}
	}
	for seq := range r.held {
		if low < 0 || seq <= low {
			delete(r.held, seq)
		}
	}
}

// fill reads from the store what the broker did not bring in time.
func (r *room) fill() {
	r.mu.Lock()
	r.timer = nil
	from := int64(-1)
	for _, m := range r.members {
		if !m.replaying && m.last < r.maxSeen && (from < 0 || m.last < from) {
			from = m.last
		}
	}
	r.mu.Unlock()
	if from < 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := r.hub.store.Messages(ctx, r.id, from)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.hub.log.Warn("chat: gap fill", slog.String("chat", r.id), slog.String("error", err.Error()))
		r.timer = time.AfterFunc(r.hub.cfg.GapWait*4, r.fill)
		return
	}
	top := from
	for _, msg := range msgs {
		r.offer(msg.Seq, encodeMessage(r.id, msg))
		top = max(top, msg.Seq)
	}
	// A number the store does not have was never stored: stop waiting.
	r.maxSeen = min(r.maxSeen, max(top, r.maxSeenLive()))
	r.drain()
}

// maxSeenLive is the highest number a live member has been sent.
func (r *room) maxSeenLive() int64 {
	var top int64
	for _, m := range r.members {
		top = max(top, m.last)
	}
	return top
}

// Agency listeners.

// group is the set of local officer connections listening to one agency's
// topic (waiting, taken and closed chats).
type group struct {
	id    string
	ready chan struct{}
	err   error
	sub   Subscription
	mu    sync.Mutex
	conns map[*Conn]struct{}
}

// listen adds c to the listeners of agency, subscribing on first use.
func (h *Hub) listen(ctx context.Context, c *Conn, agency string) error {
	h.mu.Lock()
	g := h.agencies[agency]
	if g == nil {
		g = &group{id: agency, ready: make(chan struct{}), conns: map[*Conn]struct{}{}}
		h.agencies[agency] = g
		g.conns[c] = struct{}{}
		h.mu.Unlock()
		g.sub, g.err = h.broker.Subscribe(ctx, agencyTopic(agency), g.onEvent)
		close(g.ready)
	} else {
		g.mu.Lock()
		g.conns[c] = struct{}{}
		g.mu.Unlock()
		h.mu.Unlock()
		<-g.ready
	}
	if g.err != nil {
		h.unlisten(c, agency)
		return g.err
	}
	return nil
}

// unlisten removes c; the last listener unsubscribes.
func (h *Hub) unlisten(c *Conn, agency string) {
	h.mu.Lock()
	g := h.agencies[agency]
	if g == nil {
		h.mu.Unlock()
		return
	}
	g.mu.Lock()
	delete(g.conns, c)
	empty := len(g.conns) == 0
	g.mu.Unlock()
	if empty {
		delete(h.agencies, agency)
	}
	h.mu.Unlock()
	if empty && g.sub != nil {
		_ = g.sub.Unsubscribe()
	}
}

func (g *group) onEvent(data []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for c := range g.conns {
		c.Send(data)
	}
}

// Citizens by agency, for presence news.

type citizenGroup struct {
	conns  map[*Conn]struct{}
	online int
}

func (h *Hub) addCitizen(c *Conn, online int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.citizens[c.agency]
	if g == nil {
		g = &citizenGroup{conns: map[*Conn]struct{}{}, online: online}
		h.citizens[c.agency] = g
	}
	g.conns[c] = struct{}{}
}

func (h *Hub) removeCitizen(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if g := h.citizens[c.agency]; g != nil {
		delete(g.conns, c)
		if len(g.conns) == 0 {
			delete(h.citizens, c.agency)
		}
	}
}

func (h *Hub) addOfficer(c *Conn) {
	h.mu.Lock()
	h.officers[c] = struct{}{}
	h.mu.Unlock()
}

func (h *Hub) removeOfficer(c *Conn) {
	h.mu.Lock()
	delete(h.officers, c)
	h.mu.Unlock()
}

// hint is the bucket the chat's last local append went into.
func (h *Hub) hint(chat string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[chat]; r != nil {
		return r.hint
	}
	return 0
}

func (h *Hub) setHint(chat string, n int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[chat]; r != nil && n > r.hint {
		r.hint = n
	}
}

// Topics.

func chatTopic(id string) string   { return "chat:" + id }
func agencyTopic(id string) string { return "agency:" + id }
func presenceTopic() string        { return "presence" }
