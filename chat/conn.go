package chat

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// Close codes the server ends a connection with; the reason text is the
// name. PROTOCOL.md lists them for widget authors.
const (
	CloseNormal     = websocket.CloseNormalClosure     // 1000 "closed"
	CloseGoingAway  = websocket.CloseGoingAway         // 1001 "server_shutdown"
	CloseTooLarge   = websocket.CloseMessageTooBig     // 1009 a frame over MaxFrame
	CloseInternal   = websocket.CloseInternalServerErr // 1011 "internal_error"
	CloseBadRequest = 4000                             // "bad_request": missing or unknown agency, bad resume values
	CloseAuth       = 4001                             // "unauthorized": the console without a session
	CloseOrigin     = 4003                             // "origin_forbidden": the page's Origin may not use this chat
	CloseNotFound   = 4004                             // "chat_not_found": unknown chat or wrong token on resume
	CloseSlowClient = 4008                             // "slow_client": the client did not read its frames
	CloseFlood      = 4029                             // "rate_limited": far too many frames
)

// closeNames are the reason texts of the close codes.
var closeNames = map[int]string{
	CloseNormal: "closed", CloseGoingAway: "server_shutdown", CloseInternal: "internal_error",
	CloseBadRequest: "bad_request", CloseAuth: "unauthorized", CloseOrigin: "origin_forbidden",
	CloseNotFound: "chat_not_found", CloseSlowClient: "slow_client", CloseFlood: "rate_limited",
}

// Timing of a connection.
const (
	// PingEvery is how often the server pings.
	PingEvery = 30 * time.Second
	// PongWait is how long the server waits for any frame (a pong counts)
	// before it gives the connection up.
	PongWait = PingEvery + 20*time.Second
	// WriteWait bounds one write to the socket.
	WriteWait = 10 * time.Second
)

// Conn is one local WebSocket connection: a citizen's or an officer's. The
// reader is the goroutine that serves it (Service.ServeCitizen or
// ServeOfficer); the writer is its own goroutine, the only one that writes
// frames, fed by a queue capped at the hub's QueueBytes.
type Conn struct {
	ws   *websocket.Conn
	hub  *Hub
	lang string
	// officer is nil for a citizen.
	officer *Officer
	// chat and agency are the citizen's chat.
	chat   string
	agency string

	mu      sync.Mutex
	queue   [][]byte
	queued  int
	closing bool
	code    int
	wake    chan struct{}
	done    chan struct{}

	// Touched by the reader goroutine only.
	msgs, frames rate
	lastTyping   time.Time
	// rooms are the chats an officer's connection has joined (accepted or
	// resumed), touched by the reader only.
	rooms map[string]bool
}

func newConn(ws *websocket.Conn, h *Hub, lang string) *Conn {
	c := &Conn{ws: ws, hub: h, lang: lang, wake: make(chan struct{}, 1), done: make(chan struct{})}
	now := time.Now()
	c.msgs = rate{tokens: float64(h.cfg.MessageBurst), at: now, burst: float64(h.cfg.MessageBurst), perSec: h.cfg.MessagesPerSec}
	c.frames = rate{tokens: float64(h.cfg.FrameBurst), at: now, burst: float64(h.cfg.FrameBurst), perSec: h.cfg.FramesPerSec}
	ws.SetReadLimit(MaxFrame)
	_ = ws.SetReadDeadline(now.Add(PongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(PongWait)) })
	go c.writer()
	return c
}

// Send queues a frame for the writer and never blocks. It returns false
// when the connection is closing, or when the frame would take the queue
// past the hub's QueueBytes: the client is too slow, and the connection is
// closed with CloseSlowClient.
func (c *Conn) Send(frame []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	if c.queued+len(frame) > c.hub.cfg.QueueBytes {
		c.closing, c.code = true, CloseSlowClient
		c.queue, c.queued = nil, 0
		c.signal()
		return false
	}
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	c.signal()
	return true
}

func (c *Conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Close asks the writer to send what is queued, then a close frame with
// code, and to end the connection. The first code wins.
func (c *Conn) Close(code int) {
	c.mu.Lock()
	if !c.closing {
		c.closing, c.code = true, code
	}
	c.signal()
	c.mu.Unlock()
}

// Done is closed once the writer has stopped and the socket is closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// writer is the only code that writes frames to the socket. It frames
// everything queued into one buffer and writes it with one system call: a
// connection that fell behind catches up in one write instead of one per
// frame. Control frames (ping, close) go through the library, whose writes
// the socket serialises with ours.
func (c *Conn) writer() {
	defer close(c.done)
	defer c.ws.Close() // unblocks the reader
	ping := time.NewTicker(PingEvery)
	defer ping.Stop()
	for {
		select {
		case <-c.wake:
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(WriteWait)); err != nil {
				c.Close(CloseGoingAway)
				return
			}
			continue
		}
		c.mu.Lock()
		q, closing, code := c.queue, c.closing, c.code
		c.queue, c.queued = nil, 0
		c.mu.Unlock()
		if len(q) > 0 {
			if err := c.write(q); err != nil {
				c.Close(CloseGoingAway)
				return
			}
		}
		if closing {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, closeNames[code]), time.Now().Add(time.Second))
			return
		}
	}
}

// batches recycles the writer's buffers, so an idle connection holds none.
var batches = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// write sends frames as unfragmented, unmasked text frames (RFC 6455 5.2)
// in one write.
func (c *Conn) write(frames [][]byte) error {
	bp := batches.Get().(*[]byte)
	buf := (*bp)[:0]
	for _, f := range frames {
		buf = append(buf, 0x81) // FIN, text
		switch n := len(f); {
		case n <= 125:
			buf = append(buf, byte(n))
		case n <= 0xFFFF:
			buf = append(buf, 126, byte(n>>8), byte(n))
		default:
			buf = append(buf, 127)
			buf = binary.BigEndian.AppendUint64(buf, uint64(n))
		}
		buf = append(buf, f...)
	}
	nc := c.ws.NetConn()
	_ = nc.SetWriteDeadline(time.Now().Add(WriteWait))
	_, err := nc.Write(buf)
	if cap(buf) <= 64<<10 {
		*bp = buf[:0]
		batches.Put(bp)
	}
	return err
}

// rate is a token bucket: burst tokens, refilled at perSec.
type rate struct {
	tokens, burst, perSec float64
	at                    time.Time
}

// take spends a token if there is one.
func (b *rate) take(now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.at).Seconds()*b.perSec)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}
