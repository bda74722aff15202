package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	natsserver "github.com/nats-io/nats-server/v2/server"

	"tuongtac/agencies"
	"tuongtac/chat"
	"tuongtac/store/mongo/mongotest"
)

// ownOrigin is the Origin a page of the test service sends (its BASE_URL).
const ownOrigin = "http://localhost:8080"

// wsClient is a real WebSocket client of a test server. A goroutine reads
// every frame into a channel, so tests can wait with a timeout without
// breaking the connection (a read deadline that passes ruins it).
type wsClient struct {
	t      testing.TB
	ws     *websocket.Conn
	frames chan frame
	err    chan error
}

// dialWS opens a WebSocket to path on base with the service's own Origin
// unless the header says otherwise; cookie, if set, is an officer's session.
func dialWS(t testing.TB, base, path, cookie string, h http.Header) *wsClient {
	t.Helper()
	ws, err := tryDialWS(base, path, cookie, h)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	c := &wsClient{t: t, ws: ws, frames: make(chan frame, 4096), err: make(chan error, 1)}
	go func() {
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				c.err <- err
				return
			}
			var f frame
			if err := json.Unmarshal(data, &f); err != nil {
				c.err <- fmt.Errorf("frame %s: %w", data, err)
				return
			}
			c.frames <- f
		}
	}()
	t.Cleanup(func() { ws.Close() })
	return c
}

func tryDialWS(base, path, cookie string, h http.Header) (*websocket.Conn, error) {
	if h == nil {
		h = http.Header{}
	}
	if _, ok := h["Origin"]; !ok {
		h.Set("Origin", ownOrigin)
	}
	if cookie != "" {
		h.Set("Cookie", sessionCookie+"="+cookie)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+path, h)
	return ws, err
}

// frame is any server frame.
type frame map[string]any

func (f frame) str(k string) string { s, _ := f[k].(string); return s }
func (f frame) num(k string) int64  { n, _ := f[k].(float64); return int64(n) }

func (c *wsClient) send(v any) {
	c.t.Helper()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Fatalf("send %v: %v", v, err)
	}
}

// errTimeout is read's error when no frame came in time.
var errTimeout = errors.New("no frame in time")

// next reads one frame, failing after 10 seconds.
func (c *wsClient) next() frame {
	c.t.Helper()
	f, err := c.read(10 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

// read waits up to d for a frame; the connection's end is an error, kept
// for the next read too.
func (c *wsClient) read(d time.Duration) (frame, error) {
	select {
	case f := <-c.frames:
		return f, nil
	default:
	}
	select {
	case f := <-c.frames:
		return f, nil
	case err := <-c.err:
		c.err <- err
		return nil, err
	case <-time.After(d):
		return nil, errTimeout
	}
}

// expect reads frames until one of type typ (skipping presence, and typing
// and chat_taken unless asked for, and any type in skip) and returns it;
// any other frame fails the test.
func (c *wsClient) expect(typ string, skip ...string) frame {
	c.t.Helper()
	skip = append(skip, chat.TypePresence, chat.TypeTyping, chat.TypeChatTaken)
	for {
		f := c.next()
		t := f.str("type")
		if t == typ {
			return f
		}
		ok := false
		for _, s := range skip {
			ok = ok || s == t
		}
		if !ok {
			c.t.Fatalf("want a %s frame, got %v", typ, f)
		}
	}
}

// expectClose reads until the server closes the connection and checks the
// close code.
func (c *wsClient) expectClose(code int) {
	c.t.Helper()
	for range 200 {
		_, err := c.read(10 * time.Second)
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("want close %d, got %v", code, err)
		}
		if ce.Code != code {
			c.t.Fatalf("want close %d, got %d %q", code, ce.Code, ce.Text)
		}
		return
	}
	c.t.Fatalf("want close %d, got frames", code)
}

// quiet checks that no frame but presence (and those in allow) arrives
// for d.
func (c *wsClient) quiet(d time.Duration, allow ...string) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		f, err := c.read(left)
		if errors.Is(err, errTimeout) {
			return
		}
		if err != nil {
			c.t.Fatalf("connection ended: %v", err)
		}
		ok := f.str("type") == chat.TypePresence
		for _, a := range allow {
			ok = ok || f.str("type") == a
		}
		if !ok {
			c.t.Fatalf("unexpected frame %v", f)
		}
	}
}

// startChat opens a citizen's chat with agency and returns the client and
// its welcome frame.
func startChat(t testing.TB, base, agency string) (*wsClient, frame) {
	t.Helper()
	c := dialWS(t, base, "/ws/chat?agency="+agency, "", nil)
	w := c.expect(chat.TypeWelcome)
	if w.str("chat_id") == "" || w.str("token") == "" || w.str("agency") != agency {
		t.Fatalf("welcome %v", w)
	}
	return c, w
}

// TestChatFlow runs a whole chat over real sockets: a citizen writes, an
// officer is told, accepts and gets the history, both talk and see each
// other typing, the citizen consents, the officer closes and makes a public
// Q&A of it that an editor publishes with personal data masked; the citizen
// downloads the transcript and asks for it by e-mail.
func TestChatFlow(t *testing.T) {
	ta := newTestApp(t)
	base := ta.listen()
	officer := ta.user("chat-o@sotttt.vn", "Cán bộ Minh", agencies.Role{Agency: "sotttt", Role: "officer"})
	editor := ta.user("chat-e@sotttt.vn", "Biên tập Hạnh", agencies.Role{Agency: "sotttt", Role: "editor"})

	con := dialWS(t, base, "/ws/console", officer.cookie, nil)
	if w := con.expect(chat.TypeWelcome); w.str("type") != chat.TypeWelcome {
		t.Fatal(w)
	}
	cit, w := startChat(t, base, "sotttt")
	id, token := w.str("chat_id"), w.str("token")
	if w.num("online") != 1 || w.str("state") != chat.StateWaiting {
		t.Fatalf("welcome: %v", w)
	}
	con.quiet(200 * time.Millisecond) // an empty chat is not announced

	question := "Tôi là Nguyễn Thị Lan, số điện thoại 0918 234 567. Làm sao đăng ký chữ ký số cho doanh nghiệp?"
	cit.send(map[string]any{"type": "message", "body": question, "id": "c1"})
	if m := cit.expect(chat.TypeMessage); m.num("seq") != 1 || m.str("from") != "citizen" || m.str("id") != "c1" {
		t.Fatalf("echo: %v", m)
	}
	if f := con.expect(chat.TypeChatWaiting); f.str("chat_id") != id || f.str("agency") != "sotttt" {
		t.Fatalf("waiting: %v", f)
	}

	con.send(map[string]any{"type": "accept", "chat_id": id})
	con.expect(chat.TypeAccepted)
	if m := con.expect(chat.TypeMessage); m.num("seq") != 1 || m.str("body") != question {
		t.Fatalf("history: %v", m)
	}
	cit.expect(chat.TypeJoined)

	answer := "Chào chị, doanh nghiệp đăng ký chữ ký số tại các tổ chức cung cấp dịch vụ được Bộ cấp phép."
	con.send(map[string]any{"type": "message", "chat_id": id, "body": answer, "id": "o1"})
	for _, c := range []*wsClient{con, cit} {
		if m := c.expect(chat.TypeMessage, chat.TypeJoined); m.num("seq") != 2 || m.str("from") != "agency" || m.str("chat_id") != id {
			t.Fatalf("answer: %v", m)
		}
	}
	cit.send(map[string]any{"type": "typing"})
	if f := con.expect(chat.TypeTyping); f.str("from") != "citizen" {
		t.Fatal(f)
	}
	con.send(map[string]any{"type": "typing", "chat_id": id})
	if f := cit.expect(chat.TypeTyping); f.str("from") != "agency" {
		t.Fatal(f)
	}
	cit.send(map[string]any{"type": "consent", "value": true})
	con.expect(chat.TypeConsent)
	cit.expect(chat.TypeConsent)

	// Publishing needs a closed chat.
	if res, body := officer.json("POST", "/api/v1/moderation/chats/"+id+"/publish", map[string]any{"title": "Đăng ký chữ ký số cho doanh nghiệp"}); res.StatusCode != 409 {
		t.Fatalf("publish an open chat: %d %s", res.StatusCode, body)
	}
	con.send(map[string]any{"type": "close", "chat_id": id})
	if f := cit.expect(chat.TypeClosed); f.str("by") != "agency" {
		t.Fatal(f)
	}
	con.expect(chat.TypeClosed)
	cit.send(map[string]any{"type": "message", "body": "Cảm ơn!"})
	if f := cit.expect(chat.TypeError); f.str("code") != "closed" {
		t.Fatal(f)
	}

	// Transcript: JSON and text for the citizen; a wrong token is a 404.
	tr := ta.anon()
	tr.header = map[string]string{"X-Chat-Token": token}
	res, body := tr.get("/api/v1/chats/" + id + "/transcript")
	if res.StatusCode != 200 || !strings.Contains(string(body), `"seq":2`) || strings.Contains(string(body), `"seq":3`) {
		t.Fatalf("transcript: %d %s", res.StatusCode, body)
	}
	res, body = tr.get("/api/v1/chats/" + id + "/transcript?format=text")
	if res.StatusCode != 200 || !strings.Contains(string(body), question) || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("text transcript: %d %s", res.StatusCode, body)
	}
	tr.header["X-Chat-Token"] = "wrong" + token
	if res, _ := tr.get("/api/v1/chats/" + id + "/transcript"); res.StatusCode != 404 {
		t.Fatalf("wrong token: %d", res.StatusCode)
	}
	if res, body := ta.anon().json("POST", "/api/v1/chats/"+id+"/transcript/email", map[string]any{"token": token, "email": "lan@example.vn"}); res.StatusCode != 202 {
		t.Fatalf("mail: %d %s", res.StatusCode, body)
	}
	if res, _ := ta.anon().json("POST", "/api/v1/chats/"+id+"/transcript/email", map[string]any{"token": token, "email": "not an address"}); res.StatusCode != 400 {
		t.Fatalf("bad mail address: %d", res.StatusCode)
	}
	ch, _, err := ta.app.chat.svc.Store().Get(context.Background(), id)
	if err != nil || len(ch.Mail) != 1 || ch.Mail[0].Email != "lan@example.vn" || !ch.Pending {
		t.Fatalf("mail request not stored: %+v %v", ch, err)
	}
	// The address is confirmed, the transcript goes out.
	drainAll(t, ta)
	verify := regexp.MustCompile(`/verify/[A-Za-z0-9_-]+`).FindString(strings.Join(spooled(t, ta), "\n"))
	if verify == "" {
		t.Fatal("no confirmation link for the transcript address")
	}
	ta.anon().form(verify, map[string]string{})
	ta.app.chat.svc.DrainMail(context.Background())
	drainAll(t, ta)
	subjects := subjectsTo(t, ta, "lan@example.vn")
	if !strings.Contains(strings.Join(subjects, "|"), "cuộc trò chuyện") {
		t.Errorf("the transcript was not mailed after confirmation; mail: %q", subjects)
	}

	// The Q&A goes through approval and masking.
	res, body = officer.json("POST", "/api/v1/moderation/chats/"+id+"/publish", map[string]any{"title": "Đăng ký chữ ký số cho doanh nghiệp"})
	if res.StatusCode != 201 {
		t.Fatalf("publish: %d %s", res.StatusCode, body)
	}
	var th struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	mustDecode(t, body, &th)
	if th.State != "pending_approval" {
		t.Fatalf("publish: state %s", th.State)
	}
	if res, _ := officer.json("POST", "/api/v1/moderation/chats/"+id+"/publish", map[string]any{"title": "Lần nữa"}); res.StatusCode != 409 {
		t.Fatalf("publish twice: %d", res.StatusCode)
	}
	if res, body := editor.json("POST", "/api/v1/moderation/threads/"+th.ID+"/approve", nil); res.StatusCode != 200 {
		t.Fatalf("approve: %d %s", res.StatusCode, body)
	}
	_, pub := ta.anon().get("/api/v1/threads/" + th.ID)
	if !strings.Contains(string(pub), "chữ ký số") || strings.Contains(string(pub), "0918") || strings.Contains(string(pub), "234 567") {
		t.Fatalf("public Q&A: %s", pub)
	}
}

// TestChatResume drops the citizen's connection while the officer goes on
// writing, and resumes: every message after the last one seen arrives once,
// in order, with nothing lost and nothing twice, including a burst sent
// while the resume is under way; a resent message is stored once.
func TestChatResume(t *testing.T) {
	ta := newTestApp(t)
	base := ta.listen()
	officer := ta.user("r-o@soyt.vn", "Cán bộ", agencies.Role{Agency: "soyt", Role: "officer"})
	cit, w := startChat(t, base, "soyt")
	id, token := w.str("chat_id"), w.str("token")
	for i := 1; i <= 3; i++ {
		cit.send(map[string]any{"type": "message", "body": fmt.Sprintf("câu %d", i), "id": fmt.Sprintf("c%d", i)})
		cit.expect(chat.TypeMessage)
	}
	con := dialWS(t, base, "/ws/console", officer.cookie, nil)
	con.send(map[string]any{"type": "accept", "chat_id": id})
	con.expect(chat.TypeAccepted, chat.TypeWelcome, chat.TypeChatWaiting)
	cit.expect(chat.TypeJoined)
	cit.ws.Close() // the citizen's phone loses its signal

	for i := 1; i <= 4; i++ {
		con.send(map[string]any{"type": "message", "chat_id": id, "body": fmt.Sprintf("trả lời %d", i)})
	}
	// While the citizen resumes, the officer sends a burst (10 per
	// connection: a second console connection of the same officer).
	con2 := dialWS(t, base, "/ws/console", officer.cookie, nil)
	con2.send(map[string]any{"type": "resume", "chat_id": id, "after": 7})
	con2.expect(chat.TypeJoined, chat.TypeWelcome, chat.TypeChatActive) // state frame after the (empty) replay
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 5; i <= 12; i++ {
			_ = con2.ws.WriteJSON(map[string]any{"type": "message", "chat_id": id, "body": fmt.Sprintf("trả lời %d", i)})
		}
	}()
	re := dialWS(t, base, "/ws/chat?chat_id="+id+"&token="+token+"&after=3", "", nil)
	if f := re.expect(chat.TypeWelcome); !f["resumed"].(bool) || f.str("state") != chat.StateActive {
		t.Fatalf("welcome on resume: %v", f)
	}
	// Resend the last message as if its echo had been lost: stored once.
	re.send(map[string]any{"type": "message", "body": "câu 3", "id": "c3"})
	want := int64(4)
	for want <= 15 {
		f := re.next()
		switch f.str("type") {
		case chat.TypeMessage:
			if f.num("seq") != want {
				t.Fatalf("after resume: got seq %d, want %d (%v)", f.num("seq"), want, f)
			}
			want++
		case chat.TypeJoined, chat.TypePresence:
		default:
			t.Fatalf("unexpected %v", f)
		}
	}
	wg.Wait()
	re.quiet(300*time.Millisecond, chat.TypeJoined) // no duplicates, no resent c3
	msgs, err := ta.app.chat.svc.Messages(context.Background(), id)
	if err != nil || len(msgs) != 15 {
		t.Fatalf("stored %d messages (%v), want 15", len(msgs), err)
	}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("stored seq %d at %d", m.Seq, i)
		}
	}
}

// TestChatAcceptRace has five officers accept one chat at once: exactly one
// gets it, the others are told it is taken.
func TestChatAcceptRace(t *testing.T) {
	ta := newTestApp(t)
	base := ta.listen()
	cit, w := startChat(t, base, "sotttt")
	id := w.str("chat_id")
	cit.send(map[string]any{"type": "message", "body": "Xin chào"})
	cit.expect(chat.TypeMessage)
	var cons []*wsClient
	for i := range 5 {
		o := ta.user(fmt.Sprintf("race%d@sotttt.vn", i), fmt.Sprintf("Cán bộ %d", i), agencies.Role{Agency: "sotttt", Role: "officer"})
		c := dialWS(t, base, "/ws/console", o.cookie, nil)
		c.expect(chat.TypeChatWaiting, chat.TypeWelcome)
		cons = append(cons, c)
	}
	var wg sync.WaitGroup
	results := make([]string, len(cons))
	for i, c := range cons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.ws.WriteJSON(map[string]any{"type": "accept", "chat_id": id})
			for {
				f, err := c.read(10 * time.Second)
				if err != nil {
					results[i] = "read: " + err.Error()
					return
				}
				switch f.str("type") {
				case chat.TypeAccepted:
					results[i] = "accepted"
					return
				case chat.TypeError:
					results[i] = f.str("code")
					return
				}
			}
		}()
	}
	wg.Wait()
	won, taken := 0, 0
	for _, r := range results {
		switch r {
		case "accepted":
			won++
		case "taken":
			taken++
		}
	}
	if won != 1 || taken != 4 {
		t.Fatalf("accept race: %v", results)
	}
	ch, _, _ := ta.app.chat.svc.Store().Get(context.Background(), id)
	if ch.State != chat.StateActive || ch.Officer == "" {
		t.Fatalf("chat after the race: %+v", ch)
	}
}

// TestChatBadInput sends what a broken or hostile client would: each gets
// a clear error frame or close code, and the server stays up.
func TestChatBadInput(t *testing.T) {
	ta := newTestApp(t)
	base := ta.listen()
	cit, w := startChat(t, base, "sotttt")
	id, token := w.str("chat_id"), w.str("token")

	for _, tc := range []struct {
		name, frame, code string
	}{
		{"not JSON", `hello`, "bad_json"},
		{"truncated JSON", `{"type":"message"`, "bad_json"},
		{"unknown type", `{"type":"subscribe","channel":"*"}`, "unknown_type"},
		{"no type", `{"body":"x"}`, "unknown_type"},
		{"body not a string", `{"type":"message","body":{"$gt":""}}`, "bad_request"},
		{"empty body", `{"type":"message","body":"  \u200b "}`, "empty"},
		{"too long", `{"type":"message","body":"` + strings.Repeat("a", chat.MaxBody+1) + `"}`, "too_long"},
		{"consent without value", `{"type":"consent"}`, "bad_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := cit.ws.WriteMessage(websocket.TextMessage, []byte(tc.frame)); err != nil {
				t.Fatal(err)
			}
			if f := cit.expect(chat.TypeError); f.str("code") != tc.code || f.str("message") == "" {
				t.Fatalf("got %v, want code %s", f, tc.code)
			}
		})
	}

	t.Run("message flood", func(t *testing.T) {
		cit, _ := startChat(t, base, "sotttt")
		for i := range 11 {
			cit.send(map[string]any{"type": "message", "body": fmt.Sprintf("tin %d", i)})
		}
		got, limited := 0, 0
		for got+limited < 11 {
			f := cit.next()
			switch f.str("type") {
			case chat.TypeMessage:
				got++
			case chat.TypeError:
				if f.str("code") != "rate_limited" {
					t.Fatal(f)
				}
				limited++
			}
		}
		if got != 10 || limited != 1 {
			t.Fatalf("%d stored, %d limited", got, limited)
		}
	})
	t.Run("frame flood closes", func(t *testing.T) {
		c, _ := startChat(t, base, "sotttt")
		for range 100 {
			if c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"typing"}`)) != nil {
				break
			}
		}
		c.expectClose(chat.CloseFlood)
	})
	t.Run("oversized frame closes", func(t *testing.T) {
		c, _ := startChat(t, base, "sotttt")
		_ = c.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"message","body":"`+strings.Repeat("x", 9<<10)+`"}`))
		c.expectClose(websocket.CloseMessageTooBig)
	})

	for _, tc := range []struct {
		name, path string
		origin     string
		code       int
	}{
		{"wrong token", "/ws/chat?chat_id=" + id + "&token=x" + token + "&after=0", "", chat.CloseNotFound},
		{"unknown chat", "/ws/chat?chat_id=0000000000000000&token=" + token, "", chat.CloseNotFound},
		{"junk chat id", "/ws/chat?chat_id=../../etc&token=" + token, "", chat.CloseNotFound},
		{"negative after", "/ws/chat?chat_id=" + id + "&token=" + token + "&after=-1", "", chat.CloseBadRequest},
		{"after not a number", "/ws/chat?chat_id=" + id + "&token=" + token + "&after=1e3", "", chat.CloseBadRequest},
		{"token without chat", "/ws/chat?token=" + token, "", chat.CloseBadRequest},
		{"no agency", "/ws/chat", "", chat.CloseBadRequest},
		{"unknown agency", "/ws/chat?agency=nowhere", "", chat.CloseBadRequest},
		{"foreign origin", "/ws/chat?agency=sotttt", "https://evil.example", chat.CloseOrigin},
		{"sibling portal", "/ws/chat?agency=sotttt", "https://soyt.angiang.gov.vn", chat.CloseOrigin},
		{"foreign origin on resume", "/ws/chat?chat_id=" + id + "&token=" + token, "https://evil.example", chat.CloseOrigin},
		{"console without session", "/ws/console", "", chat.CloseAuth},
		{"console from a portal", "/ws/console", "https://sotttt.angiang.gov.vn", chat.CloseOrigin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			dialWS(t, base, tc.path, "", h).expectClose(tc.code)
		})
	}
	t.Run("agency portals may embed the chat", func(t *testing.T) {
		for _, o := range []string{"https://sotttt.angiang.gov.vn", "https://angiang.gov.vn", "https://www.angiang.gov.vn"} {
			h := http.Header{}
			h.Set("Origin", o)
			dialWS(t, base, "/ws/chat?agency=sotttt", "", h).expect(chat.TypeWelcome)
		}
	})
	t.Run("officer of another agency", func(t *testing.T) {
		o := ta.user("other@soyt.vn", "Cán bộ Y tế", agencies.Role{Agency: "soyt", Role: "officer"})
		c := dialWS(t, base, "/ws/console", o.cookie, nil)
		c.expect(chat.TypeWelcome)
		c.send(map[string]any{"type": "accept", "chat_id": id})
		if f := c.expect(chat.TypeError); f.str("code") != "forbidden" {
			t.Fatal(f)
		}
		c.send(map[string]any{"type": "message", "chat_id": id, "body": "xin chào"})
		if f := c.expect(chat.TypeError); f.str("code") != "forbidden" {
			t.Fatal(f)
		}
		c.send(map[string]any{"type": "resume", "chat_id": id, "after": 0})
		if f := c.expect(chat.TypeError); f.str("code") != "forbidden" {
			t.Fatal(f)
		}
		c.send(map[string]any{"type": "accept"})
		if f := c.expect(chat.TypeError); f.str("code") != "bad_request" {
			t.Fatal(f)
		}
		c.send(map[string]any{"type": "accept", "chat_id": "0000000000000000"})
		if f := c.expect(chat.TypeError); f.str("code") != "not_found" {
			t.Fatal(f)
		}
	})
	t.Run("plain GET", func(t *testing.T) {
		if res, _ := ta.anon().get("/ws/chat?agency=sotttt"); res.StatusCode != 400 {
			t.Fatalf("plain GET: %d", res.StatusCode)
		}
	})
	if res, _ := ta.anon().get("/healthz"); res.StatusCode != 200 {
		t.Fatalf("healthz after bad input: %d", res.StatusCode)
	}
	cit.send(map[string]any{"type": "typing"}) // the first connection still works
	if _, err := cit.read(200 * time.Millisecond); err != nil && !errors.Is(err, errTimeout) {
		t.Fatalf("citizen connection after bad input: %v", err)
	}
}

// TestChatNobodyOnline: with no officer online the citizen is told so and
// leaves the chat as a question; it reaches the agency's queue with all the
// citizen wrote, the unsent draft included.
func TestChatNobodyOnline(t *testing.T) {
	ta := newTestApp(t)
	base := ta.listen()
	cit, w := startChat(t, base, "myhoa.longxuyen")
	if w.num("online") != 0 {
		t.Fatalf("online: %v", w)
	}
	id, token := w.str("chat_id"), w.str("token")
	cit.send(map[string]any{"type": "message", "body": "Tôi cần làm giấy khai sinh cho con."})
	cit.expect(chat.TypeMessage)
	cit.send(map[string]any{"type": "message", "body": "Cần mang theo giấy tờ gì?"})
	cit.expect(chat.TypeMessage)

	q := map[string]any{"token": token, "consent": true, "email": "lan@example.vn", "draft": "Và lệ phí bao nhiêu?"}
	if res, _ := ta.anon().json("POST", "/api/v1/chats/"+id+"/question", map[string]any{"token": token}); res.StatusCode != 400 {
		t.Fatalf("question without consent: %d", res.StatusCode)
	}
	res, body := ta.anon().json("POST", "/api/v1/chats/"+id+"/question", q)
	if res.StatusCode != 201 {
		t.Fatalf("question: %d %s", res.StatusCode, body)
	}
	var rec struct {
		ID   string `json:"id"`
		Code string `json:"tracking_code"`
	}
	mustDecode(t, body, &rec)
	if f := cit.expect(chat.TypeClosed); f.str("by") != "question" {
		t.Fatal(f)
	}
	res, again := ta.anon().json("POST", "/api/v1/chats/"+id+"/question", q)
	if res.StatusCode != 201 || !strings.Contains(string(again), rec.ID) {
		t.Fatalf("question again: %d %s", res.StatusCode, again)
	}
	officer := ta.user("q-o@longxuyen.vn", "Cán bộ", agencies.Role{Agency: "longxuyen", Role: "officer"})
	res, body = officer.get("/api/v1/moderation/threads/" + rec.ID)
	for _, s := range []string{"giấy khai sinh", "giấy tờ gì", "lệ phí bao nhiêu", `"state":"queued"`} {
		if !strings.Contains(string(body), s) {
			t.Fatalf("thread lacks %q: %d %s", s, res.StatusCode, body)
		}
	}
	if res, _ := ta.anon().get("/api/v1/track/" + rec.Code); res.StatusCode != 200 {
		t.Fatalf("track: %d", res.StatusCode)
	}
	// An answered chat is not left as a question.
	_, w2 := startChat(t, base, "myhoa.longxuyen")
	con := dialWS(t, base, "/ws/console", officer.cookie, nil)
	con.send(map[string]any{"type": "accept", "chat_id": w2.str("chat_id")})
	con.expect(chat.TypeAccepted, chat.TypeWelcome, chat.TypeChatWaiting, chat.TypeChatActive)
	if res, _ := ta.anon().json("POST", "/api/v1/chats/"+w2.str("chat_id")+"/question", map[string]any{"token": w2.str("token"), "consent": true}); res.StatusCode != 409 {
		t.Fatalf("question of an active chat: %d", res.StatusCode)
	}
}

// TestChatPages renders the citizen's page and the officers' panel.
func TestChatPages(t *testing.T) {
	ta := newTestApp(t)
	for _, tc := range []struct {
		path, want string
		c          *client
	}{
		{"/chat", `name="agency"`, ta.anon()},
		{"/chat?agency=sotttt", `data-agency="sotttt"`, ta.anon()},
		{"/chat?agency=sotttt&lang=en", "Live chat", ta.anon()},
		{"/console/chat", "data-console", ta.user("p@sotttt.vn", "Cán bộ", agencies.Role{Agency: "sotttt", Role: "officer"})},
	} {
		res, body := tc.c.get(tc.path)
		if res.StatusCode != 200 || !strings.Contains(string(body), tc.want) || tc.path != "/chat" && !strings.Contains(string(body), "/static/chat.js") {
			t.Errorf("%s: %d, no %q", tc.path, res.StatusCode, tc.want)
		}
	}
	if res, _ := ta.anon().get("/console/chat"); res.StatusCode != 303 {
		t.Errorf("console chat without a session: %d", res.StatusCode)
	}
	if res, _ := ta.anon().get("/static/chat.js"); res.StatusCode != 200 {
		t.Errorf("chat.js: %d", res.StatusCode)
	}
}

// startNATS runs an embedded NATS server on a loopback port for the test.
func startNATS(t testing.TB) string {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats: not ready")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

// TestChatTwoInstances runs two instances sharing one MongoDB-protocol
// database (embedded FerretDB) and one embedded NATS server: a citizen on
// one and an officer on the other see each other's presence, chat both
// ways, see each other type, and the officer's going away reaches the
// citizen.
func TestChatTwoInstances(t *testing.T) {
	url := startNATS(t)
	db := mongotest.Open(t, false)
	withNATS := func(c *Config) { c.NATSURL = url }
	a := newTestAppOn(t, db, withNATS)
	b := newTestAppOn(t, db, withNATS)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, x := range []*testApp{a, b} {
		go x.app.chat.svc.Run(ctx)
		t.Cleanup(func() { x.app.chat.svc.Close() })
	}
	baseA, baseB := a.listen(), b.listen()
	officer := b.user("two@sotttt.vn", "Cán bộ Tuấn", agencies.Role{Agency: "sotttt", Role: "officer"})

	con := dialWS(t, baseB, "/ws/console", officer.cookie, nil)
	con.expect(chat.TypeWelcome)
	waitFor(t, "instance A sees the officer on B", func() bool { return a.app.chat.svc.Online("sotttt") == 1 })
	if n := a.app.chat.svc.Online("soyt"); n != 0 {
		t.Fatalf("an officer of sotttt counts as online for soyt: %d", n)
	}

	cit, w := startChat(t, baseA, "sotttt")
	id := w.str("chat_id")
	if w.num("online") != 1 {
		t.Fatalf("citizen on A: online %v", w)
	}
	cit.send(map[string]any{"type": "message", "body": "Xin chào, tôi hỏi về hộp thư công vụ."})
	cit.expect(chat.TypeMessage)
	con.expect(chat.TypeChatWaiting)
	con.send(map[string]any{"type": "accept", "chat_id": id})
	con.expect(chat.TypeAccepted)
	if m := con.expect(chat.TypeMessage, chat.TypeJoined); m.num("seq") != 1 {
		t.Fatal(m)
	}
	cit.expect(chat.TypeJoined)
	for i := range 3 {
		con.send(map[string]any{"type": "message", "chat_id": id, "body": fmt.Sprintf("trả lời %d", i)})
		cit.send(map[string]any{"type": "message", "body": fmt.Sprintf("hỏi thêm %d", i)})
	}
	for _, c := range []*wsClient{cit, con} {
		for want := int64(2); want <= 7; want++ {
			if m := c.expect(chat.TypeMessage, chat.TypeJoined); m.num("seq") != want {
				t.Fatalf("seq %d, want %d: %v", m.num("seq"), want, m)
			}
		}
	}
	cit.send(map[string]any{"type": "typing"})
	con.expect(chat.TypeTyping)
	time.Sleep(1100 * time.Millisecond) // typing is relayed once a second
	con.send(map[string]any{"type": "typing", "chat_id": id})
	cit.expect(chat.TypeTyping)

	con.ws.Close()
	for {
		f := cit.next()
		if f.str("type") == chat.TypePresence && f.num("online") == 0 {
			break
		}
	}
}

// waitFor polls cond for up to ten seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out: %s", what)
}
