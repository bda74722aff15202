package notifications

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"
)

// SMTPConfig is a relay, usually parsed from SMTP_URL by ParseSMTPURL.
type SMTPConfig struct {
	Host string
	Port int
	// ImplicitTLS is smtps://: TLS from the first byte (port 465).
	ImplicitTLS bool
	// TLS is the STARTTLS policy for smtp://: "opportunistic" (use it when
	// the relay offers it), "mandatory" (refuse a relay that does not) or
	// "none". With credentials it is always at least mandatory unless set to
	// "none" explicitly in the URL.
	TLS      string
	Username string
	Password string
	// HELO is the name this host gives in EHLO; the host name by default.
	HELO string
	// Timeout bounds the connection and each command (30 s by default).
	Timeout time.Duration
	// TLSConfig overrides the TLS settings (tests trust their own CA).
	TLSConfig *tls.Config
	// MaxIdle is how many connections are kept open between messages (4).
	MaxIdle int
	// IdleTimeout closes a kept connection unused for this long (15 s).
	IdleTimeout time.Duration
	// DKIM, when set, signs every message.
	DKIM *gomail.DKIMSigner
}

// ParseSMTPURL reads a relay address:
//
//	smtp://host[:port]                plain relay; STARTTLS when offered (port 25)
//	smtp://user:pass@host:587         STARTTLS required before AUTH
//	smtps://user:pass@host[:465]      implicit TLS
//
// Query parameters: tls=opportunistic|mandatory|none (STARTTLS policy),
// timeout=30s, helo=name. User and password are URL-decoded.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return SMTPConfig{}, fmt.Errorf("notifications: SMTP_URL: %w", err)
	}
	var c SMTPConfig
	switch u.Scheme {
	case "smtp":
		c.Port = 25
	case "smtps":
		c.ImplicitTLS = true
		c.Port = 465
	default:
		return SMTPConfig{}, fmt.Errorf("notifications: SMTP_URL: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return SMTPConfig{}, fmt.Errorf("notifications: SMTP_URL: no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, fmt.Errorf("notifications: SMTP_URL: bad port %q", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q := u.Query()
	c.TLS = "opportunistic"
	if c.Username != "" {
		c.TLS = "mandatory"
	}
	if v := q.Get("tls"); v != "" {
		switch v {
		case "opportunistic", "mandatory", "none":
			if c.Username != "" && v == "opportunistic" {
				return SMTPConfig{}, fmt.Errorf("notifications: SMTP_URL: tls=opportunistic would send credentials in clear; use mandatory, or none to accept that explicitly")
			}
			c.TLS = v
		default:
			return SMTPConfig{}, fmt.Errorf("notifications: SMTP_URL: tls must be opportunistic, mandatory or none")
		}
	}
	c.Timeout = 30 * time.Second
	if v := q.Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return SMTPConfig{}, fmt.Errorf("notifications: SMTP_URL: bad timeout %q", v)
		}
		c.Timeout = d
	}
	c.HELO = q.Get("helo")
	return c, nil
}

// Redacted is the relay address without the password, for logs.
func (c SMTPConfig) Redacted() string {
	scheme := "smtp"
	if c.ImplicitTLS {
		scheme = "smtps"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	return u.String()
}

// SMTP sends through a relay with go-mail, keeping a few connections open
// between messages. It drives the SMTP transaction itself (on go-mail's
// connection, TLS and AUTH handling) so that Message.Commit runs right before
// the final "." and a failure is classified exactly: before Commit nothing
// was sent; after it, a reply code means "not accepted" and a lost
// connection means ErrMaybeSent.
type SMTP struct {
	cfg    SMTPConfig
	client *gomail.Client

	mu     sync.Mutex
	idle   []*pooledConn
	closed bool
}

type pooledConn struct {
	c    *gosmtp.Client
	last time.Time
}

var _ Mailer = (*SMTP)(nil)

// NewSMTP builds an SMTP mailer; it connects on first use.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxIdle <= 0 {
		cfg.MaxIdle = 4
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Second
	}
	if cfg.TLS == "" {
		cfg.TLS = "opportunistic"
		if cfg.Username != "" {
			cfg.TLS = "mandatory"
		}
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout)}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	tc := cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	opts = append(opts, gomail.WithTLSConfig(tc))
	switch {
	case cfg.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case cfg.TLS == "mandatory":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case cfg.TLS == "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("notifications: smtp %s: %w", cfg.Redacted(), err)
	}
	return &SMTP{cfg: cfg, client: c}, nil
}

// Send delivers msg to the relay.
func (s *SMTP) Send(ctx context.Context, msg *Message) error {
	m, err := build(msg, s.cfg.DKIM)
	if err != nil {
		return fmt.Errorf("notifications: smtp: %w", err)
	}
	from, err := m.GetSender(false)
	if err != nil {
		return fmt.Errorf("notifications: smtp: %w: %w", ErrInvalidMessage, err)
	}
	rcpts, err := m.GetRecipients()
	if err != nil || len(rcpts) != 1 {
		return fmt.Errorf("notifications: smtp: %w: one recipient expected", ErrInvalidMessage)
	}
	var body bytes.Buffer
	if _, err := m.WriteTo(&body); err != nil {
		return fmt.Errorf("notifications: smtp: %w: %w", ErrInvalidMessage, err)
	}
	for attempt := 0; ; attempt++ {
		pc, reused, err := s.get(ctx)
		if err != nil {
			return fmt.Errorf("notifications: smtp %s: %w: %w", s.cfg.Redacted(), ErrRelayUnavailable, err)
		}
		committed, err := s.transact(ctx, pc.c, from, rcpts[0], body.Bytes(), msg)
		if err == nil {
			s.put(pc)
			return nil
		}
		var reply *textproto.Error
		hasReply := errors.As(err, &reply)
		switch {
		case errors.Is(err, errCommit):
			// The claim was lost: drop the connection mid-DATA so that the
			// relay discards the message.
			_ = pc.c.Close()
			return fmt.Errorf("notifications: smtp: %w", err)
		case hasReply && reply.Code == 421:
			// "Closing channel": the relay is going away (or dropped a kept
			// connection). Whatever the step, it did not accept the message.
			_ = pc.c.Close()
			if reused && !committed && attempt == 0 && ctx.Err() == nil {
				continue
			}
			return fmt.Errorf("notifications: smtp %s: %w: %w", s.cfg.Redacted(), ErrRelayUnavailable, err)
		case hasReply:
			// The relay refused and the connection is still in step: reset
			// it and keep it.
			if rerr := pc.c.Reset(); rerr == nil {
				s.put(pc)
			} else {
				_ = pc.c.Close()
			}
			se := &SMTPError{Code: reply.Code, Msg: HeaderText(reply.Msg, 300)}
			if errors.Is(err, errSender) {
				// MAIL FROM refused (a rate limit, a sender the relay does
				// not accept): a relay or configuration matter, the same for
				// every message, so no message pays a try for it.
				return fmt.Errorf("notifications: smtp %s: %w: sender refused: %w", s.cfg.Redacted(), ErrRelayUnavailable, se)
			}
			return fmt.Errorf("notifications: smtp %s: %w", s.cfg.Redacted(), se)
		case committed:
			// The end of the message went out and no answer came back.
			_ = pc.c.Close()
			return fmt.Errorf("notifications: smtp %s: %w: %w", s.cfg.Redacted(), ErrMaybeSent, err)
		default:
			// The connection broke before the end of DATA: nothing was
			// accepted. A kept connection may simply have gone stale; try
			// once more on a fresh one.
			_ = pc.c.Close()
			if reused && attempt == 0 && ctx.Err() == nil {
				continue
			}
			return fmt.Errorf("notifications: smtp %s: %w: %w", s.cfg.Redacted(), ErrRelayUnavailable, err)
		}
	}
}

// errCommit wraps an error returned by Message.Commit; errSender a refusal
// of MAIL FROM.
var (
	errCommit = errors.New("commit refused")
	errSender = errors.New("MAIL FROM")
)

// SMTPError is a relay's refusal of one message, with its reply code.
type SMTPError struct {
	Code int
	Msg  string
}

// Error says what the relay answered.
func (e *SMTPError) Error() string { return fmt.Sprintf("relay answered %d %s", e.Code, e.Msg) }

// Permanent reports whether the relay refused for good (5xx).
func (e *SMTPError) Permanent() bool { return e.Code >= 500 }

// transact runs MAIL, RCPT, DATA on c. committed reports whether Commit ran
// (the final "." may have reached the relay).
func (s *SMTP) transact(ctx context.Context, c *gosmtp.Client, from, to string, body []byte, msg *Message) (committed bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := c.UpdateDeadline(s.cfg.Timeout); err != nil {
		return false, err
	}
	if err := c.Mail(from); err != nil {
		return false, fmt.Errorf("%w: %w", errSender, err)
	}
	if err := c.Rcpt(to); err != nil {
		return false, err
	}
	w, err := c.Data()
	if err != nil {
		return false, err
	}
	if _, err := w.Write(body); err != nil {
		return false, err
	}
	if msg.Commit != nil {
		if err := msg.Commit(ctx); err != nil {
			return false, fmt.Errorf("%w: %w", errCommit, err)
		}
	}
	if err := c.UpdateDeadline(s.cfg.Timeout); err != nil {
		return true, err
	}
	if err := w.Close(); err != nil {
		return true, err
	}
	if err := c.Reset(); err != nil {
		// Accepted; the connection is just not reusable. Close it quietly.
		_ = c.Close()
		return true, nil
	}
	return true, nil
}

// get returns a kept connection or dials a new one.
func (s *SMTP) get(ctx context.Context) (*pooledConn, bool, error) {
	now := time.Now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, false, errors.New("mailer closed")
	}
	for len(s.idle) > 0 {
		pc := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if now.Sub(pc.last) < s.cfg.IdleTimeout && pc.c.HasConnection() {
			s.mu.Unlock()
			return pc, true, nil
		}
		go pc.c.Quit() //nolint:errcheck // a stale connection; closing is best effort
	}
	s.mu.Unlock()
	c, err := s.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, false, err
	}
	return &pooledConn{c: c}, false, nil
}

// put keeps a connection for the next message, or closes it.
func (s *SMTP) put(pc *pooledConn) {
	if !pc.c.HasConnection() {
		return
	}
	pc.last = time.Now()
	s.mu.Lock()
	if s.closed || len(s.idle) >= s.cfg.MaxIdle {
		s.mu.Unlock()
		_ = pc.c.Quit()
		return
	}
	s.idle = append(s.idle, pc)
	s.mu.Unlock()
}

// Close says QUIT on every kept connection.
func (s *SMTP) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle, s.closed = nil, true
	s.mu.Unlock()
	var errs []error
	for _, pc := range idle {
		if err := pc.c.Quit(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("notifications: smtp close: %w", err)
	}
	return nil
}
