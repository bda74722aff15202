package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
)

// chatload measures the live chat on this machine: it starts the server as
// a child process on 127.0.0.1 (SQLite in a temporary folder) and
//
//  1. opens --idle citizen connections (each a new chat) and reports the
//     child's resident memory per connection;
//  2. has --subscribers connections of one chat (a citizen's tabs) receive
//     --messages messages of about --size bytes from an officer, and reports
//     deliveries per second and delivery latency (send → receipt) p50/p99.
//
// Every connection goes to 127.0.0.1 and every loop is bounded.
func chatload(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("chatload", flag.ContinueOnError)
	idle := fs.Int("idle", 10000, "idle connections to hold")
	subs := fs.Int("subscribers", 2000, "subscribers of the fan-out chat")
	msgs := fs.Int("messages", 200, "messages sent to them")
	size := fs.Int("size", 100, "approximate message size in bytes")
	rate := fs.Int("rate", 100, "messages per second the officer sends")
	senders := fs.Int("senders", 20, "officer connections sending (each may send 10 per 10 s)")
	out := fs.String("out", "", "also write the results (Markdown) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *msgs > *senders*10 {
		return fmt.Errorf("--messages %d needs at least %d senders (10 each per 10 s)", *msgs, (*msgs+9)/10)
	}
	raiseFileLimit()

	srv, err := startChild(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintf(stdout, "server pid %d on %s\n", srv.cmd.Process.Pid, srv.base)

	var report strings.Builder
	fmt.Fprintf(&report, "machine: %d CPUs, %s/%s, %s; server and load generator on the same machine\n\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())

	if *idle > 0 {
		r, err := idleRun(ctx, srv, *idle)
		if err != nil {
			return fmt.Errorf("idle connections: %w", err)
		}
		fmt.Fprintf(&report, "| idle connections | RSS before | RSS after | per connection |\n|---|---|---|---|\n| %d | %.1f MiB | %.1f MiB | %.1f KiB |\n\n",
			r.n, mib(r.before), mib(r.after), float64(r.after-r.before)/float64(r.n)/1024)
		fmt.Fprint(stdout, report.String())
	}
	if *subs > 0 && *msgs > 0 {
		r, err := fanoutRun(ctx, srv, *subs, *msgs, *size, *rate, *senders)
		if err != nil {
			return fmt.Errorf("fan-out: %w", err)
		}
		fmt.Fprintf(&report, "| subscribers | messages | size | sent at | deliveries | lost | duplicated | out of order | wall time | deliveries/s | p50 | p99 | max | server CPU | load CPU |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		fmt.Fprintf(&report, "| %d | %d | %d B | %d/s | %d | %d | %d | %d | %s | %.0f | %s | %s | %s | %s | %s |\n",
			*subs, *msgs, *size, *rate, r.deliveries, r.lost, r.dups, r.disorder, r.wall.Round(time.Millisecond), float64(r.deliveries)/r.wall.Seconds(),
			r.p(50), r.p(99), r.p(100), r.serverCPU, r.loadCPU.Round(10*time.Millisecond))
	}
	fmt.Fprint(stdout, "\n"+report.String())
	if *out != "" {
		return os.WriteFile(*out, []byte(report.String()), 0o644)
	}
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// raiseFileLimit lifts the soft limit on open files to the hard one; the
// child inherits it.
func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// child is the server under load.
type child struct {
	cmd  *exec.Cmd
	base string
	host string
	dir  string
}

func startChild(ctx context.Context) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	dir, err := os.MkdirTemp("", "tuongtac-chatload-")
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "serve", "--addr", addr, "--data", dir, "--base-url", "http://"+addr, "--log-level", "error")
	cmd.Env = append(os.Environ(), "BOOTSTRAP_ADMIN_EMAIL=load@example.vn", "BOOTSTRAP_ADMIN_PASSWORD=chatload-password-1", "TRUSTED_PROXIES=127.0.0.1", "NATS_URL=", "MONGODB_URI=")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &child{cmd: cmd, base: "http://" + addr, host: addr, dir: dir}
	for range 300 {
		if res, err := http.Get(c.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return c, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.stop()
	return nil, errors.New("the server did not become ready")
}

func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
	}
	os.RemoveAll(c.dir)
}

// rss is the child's resident set size in bytes.
func (c *child) rss() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// cpu is the child's user and system CPU time so far.
func (c *child) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil // USER_HZ is 100 on Linux
}

// ownCPU is this process's user and system CPU time so far.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dial opens a WebSocket to path, from a made-up client address (the
// child believes X-Forwarded-For from 127.0.0.1), with extra headers.
func (c *child) dial(ctx context.Context, path string, n int, h http.Header) (*websocket.Conn, error) {
	if h == nil {
		h = http.Header{}
	}
	h.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255))
	d := websocket.Dialer{HandshakeTimeout: 20 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	ws, _, err := d.DialContext(ctx, "ws://"+c.host+path, h)
	return ws, err
}

type idleResult struct {
	n             int
	before, after int64
}

// idleRun holds n citizen connections, each with its own new chat, and
// measures the child's memory before and after.
func idleRun(ctx context.Context, srv *child, n int) (idleResult, error) {
	time.Sleep(time.Second)
	before, err := srv.rss()
	if err != nil {
		return idleResult{}, err
	}
	agencies := []string{"ubnd-tinh", "sotttt", "soyt", "longxuyen", "myhoa.longxuyen"}
	conns := make([]*websocket.Conn, n)
	var failed atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				ws, err := srv.dial(ctx, "/ws/chat?agency="+agencies[i%len(agencies)], i, nil)
				if err != nil {
					failed.Add(1)
					continue
				}
				_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
				if _, b, err := ws.ReadMessage(); err != nil || !bytes.Contains(b, []byte(`"type":"welcome"`)) {
					failed.Add(1)
					ws.Close()
					continue
				}
				conns[i] = ws
				go func() { // read on, as a browser would (pings, presence)
					_ = ws.SetReadDeadline(time.Time{})
					for {
						if _, _, err := ws.ReadMessage(); err != nil {
							return
						}
					}
				}()
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return idleResult{}, fmt.Errorf("%d of %d connections failed", f, n)
	}
	time.Sleep(5 * time.Second) // let the server settle
	after, err := srv.rss()
	for _, ws := range conns {
		if ws != nil {
			ws.Close()
		}
	}
	time.Sleep(2 * time.Second)
	return idleResult{n: n, before: before, after: after}, err
}

type fanoutResult struct {
	deliveries, lost, dups, disorder int
	wall                             time.Duration
	lat                              []time.Duration
	// serverCPU and loadCPU are the CPU time the server and this load
	// generator spent while the messages went out.
	serverCPU, loadCPU time.Duration
}

func (r fanoutResult) p(q int) string {
	if len(r.lat) == 0 {
		return "-"
	}
	i := (len(r.lat) - 1) * q / 100
	return r.lat[i].Round(10 * time.Microsecond).String()
}

// fanoutRun: a citizen starts a chat, an officer accepts it, subs
// connections resume it (a citizen's tabs), and the officer sends msgs
// messages over several console connections.
func fanoutRun(ctx context.Context, srv *child, subs, msgs, size, rate, senders int) (fanoutResult, error) {
	var res fanoutResult
	cookie, err := loadOfficer(ctx, srv)
	if err != nil {
		return res, err
	}
	cit, err := srv.dial(ctx, "/ws/chat?agency=sotttt", 1<<20, nil)
	if err != nil {
		return res, err
	}
	defer cit.Close()
	var welcome struct {
		ChatID string `json:"chat_id"`
		Token  string `json:"token"`
	}
	if err := cit.ReadJSON(&welcome); err != nil {
		return res, err
	}
	if err := cit.WriteJSON(map[string]string{"type": "message", "body": "Xin chào, tôi cần hỏi về thủ tục."}); err != nil {
		return res, err
	}
	go func() {
		for {
			if _, _, err := cit.ReadMessage(); err != nil {
				return
			}
		}
	}()

	h := http.Header{}
	h.Set("Cookie", sessionCookie+"="+cookie)
	officers := make([]*websocket.Conn, senders)
	for i := range officers {
		ws, err := srv.dial(ctx, "/ws/console", 2<<20+i, h.Clone())
		if err != nil {
			return res, err
		}
		defer ws.Close()
		officers[i] = ws
		f := map[string]any{"type": "resume", "chat_id": welcome.ChatID, "after": 1 << 40}
		if i == 0 {
			f = map[string]any{"type": "accept", "chat_id": welcome.ChatID}
		}
		if err := ws.WriteJSON(f); err != nil {
			return res, err
		}
		go func() {
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
			}
		}()
		if i == 0 {
			time.Sleep(200 * time.Millisecond) // accepted before the others resume
		}
	}

	// The subscribers: resumed after the greeting, so they get only the
	// officer's messages.
	type sub struct {
		seqs   []int64
		lat    []time.Duration
		lastAt time.Time
	}
	all := make([]*sub, subs)
	var ready, finished sync.WaitGroup
	var failed atomic.Int64
	path := "/ws/chat?chat_id=" + welcome.ChatID + "&token=" + welcome.Token + "&after=1"
	sem := make(chan struct{}, 64)
	for i := range subs {
		ready.Add(1)
		finished.Add(1)
		sem <- struct{}{}
		ws, err := srv.dial(ctx, path, 3<<20+i, nil)
		<-sem
		if err != nil {
			failed.Add(1)
			ready.Done()
			finished.Done()
			continue
		}
		s := &sub{seqs: make([]int64, 0, msgs), lat: make([]time.Duration, 0, msgs)}
		all[i] = s
		go func() {
			defer finished.Done()
			defer ws.Close()
			_ = ws.SetReadDeadline(time.Now().Add(120 * time.Second))
			marker := []byte(`"body":"t=`)
			readied := false
			buf := make([]byte, 0, 512)
			for len(s.seqs) < msgs {
				_, r, err := ws.NextReader()
				if err != nil {
					break
				}
				buf = buf[:0]
				for {
					if len(buf) == cap(buf) {
						buf = append(buf, 0)[:len(buf)]
					}
					n, err := r.Read(buf[len(buf):cap(buf)])
					buf = buf[:len(buf)+n]
					if err != nil {
						break
					}
				}
				data := buf
				now := time.Now()
				if !readied && bytes.Contains(data, []byte(`"type":"joined"`)) {
					readied = true
					ready.Done()
				}
				k := bytes.Index(data, marker)
				if k < 0 {
					continue
				}
				rest := data[k+len(marker):]
				end := bytes.IndexByte(rest, ' ')
				sent, err := strconv.ParseInt(string(rest[:max(end, 0)]), 10, 64)
				if err != nil {
					continue
				}
				s.lat = append(s.lat, now.Sub(time.Unix(0, sent)))
				s.lastAt = now
				if j := bytes.Index(data, []byte(`"seq":`)); j >= 0 {
					r := data[j+6:]
					e := bytes.IndexAny(r, ",}")
					seq, _ := strconv.ParseInt(string(r[:max(e, 0)]), 10, 64)
					s.seqs = append(s.seqs, seq)
				}
			}
			if !readied {
				ready.Done()
			}
		}()
	}
	ready.Wait()
	if f := failed.Load(); f > 0 {
		return res, fmt.Errorf("%d of %d subscribers failed to connect", f, subs)
	}

	pad := strings.Repeat("x", max(size-30, 0))
	srvCPU0, _ := srv.cpu()
	ownCPU0 := ownCPU()
	t0 := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(max(rate, 1)))
	for i := range msgs {
		<-tick.C
		body := fmt.Sprintf("t=%d %s", time.Now().UnixNano(), pad)
		if err := officers[i%senders].WriteJSON(map[string]any{"type": "message", "chat_id": welcome.ChatID, "body": body, "id": strconv.Itoa(i)}); err != nil {
			tick.Stop()
			return res, err
		}
	}
	tick.Stop()
	finished.Wait()
	srvCPU1, _ := srv.cpu()
	res.serverCPU, res.loadCPU = srvCPU1-srvCPU0, ownCPU()-ownCPU0
	var last time.Time
	for _, s := range all {
		if s == nil {
			continue
		}
		res.deliveries += len(s.seqs)
		res.lost += msgs - len(s.seqs)
		seen := map[int64]bool{}
		for k, q := range s.seqs {
			if seen[q] {
				res.dups++
			}
			seen[q] = true
			if k > 0 && q != s.seqs[k-1]+1 {
				res.disorder++
			}
		}
		res.lat = append(res.lat, s.lat...)
	}
	for _, s := range all {
		if s != nil && s.lastAt.After(last) {
			last = s.lastAt
		}
	}
	if len(res.lat) == 0 {
		return res, errors.New("no message arrived")
	}
	slices.Sort(res.lat)
	res.wall = last.Sub(t0) // first send to last receipt
	return res, nil
}

// loadOfficer creates a province-level officer through the admin API and
// signs them in, returning the session cookie.
func loadOfficer(ctx context.Context, srv *child) (string, error) {
	login := func(email, pw string) (*http.Response, error) {
		b, _ := json.Marshal(map[string]string{"email": email, "password": pw})
		return http.Post(srv.base+"/api/v1/auth/login", "application/json", bytes.NewReader(b))
	}
	res, err := login("load@example.vn", "chatload-password-1")
	if err != nil {
		return "", err
	}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&me)
	res.Body.Close()
	var admin string
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie {
			admin = ck.Value
		}
	}
	b, _ := json.Marshal(map[string]any{"email": "officer@example.vn", "password": "chatload-password-1", "name": "Cán bộ trực",
		"roles": []map[string]string{{"agency": "ubnd-tinh", "role": "officer"}}})
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.base+"/api/v1/admin/users", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", me.CSRF)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: admin})
	if res, err = http.DefaultClient.Do(req); err != nil {
		return "", err
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		return "", fmt.Errorf("create officer: %d", res.StatusCode)
	}
	if res, err = login("officer@example.vn", "chatload-password-1"); err != nil {
		return "", err
	}
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie {
			return ck.Value, nil
		}
	}
	return "", errors.New("officer sign-in gave no cookie")
}
