package notifications

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"tuongtac/store"
)

// Collection names, all owned by this package.
const (
	collMail        = "mail"
	collSubscribers = "mail_subscribers"
	collTokens      = "mail_tokens"
	collFollows     = "mail_follows"
	collDigest      = "mail_digest"
	collMarks       = "mail_marks"
)

// Migrations creates the package's collections, their queryable fields and
// an index behind every query the service and the worker run.
func Migrations() []store.Migration {
	return []store.Migration{{ID: "0001-notifications", Steps: []store.Step{
		store.CreateCollection(collMail),
		store.DeclareField(collMail, "state"),
		store.DeclareField(collMail, "next_at"),
		store.DeclareField(collMail, "subscriber"),
		// The worker's claim and reaper queries, the admin lists and counts,
		// the purge of old sent mail: state = ? [AND next_at <= ?] ORDER BY next_at.
		store.CreateIndex(collMail, "state_next", false, "state", "next_at"),
		// Releasing or cancelling one subscriber's held and queued mail.
		store.CreateIndex(collMail, "subscriber_state", false, "subscriber", "state"),

		store.CreateCollection(collSubscribers),
		store.DeclareField(collSubscribers, "purge_at"),
		store.CreateIndex(collSubscribers, "purge_at", false, "purge_at"),
		store.CreateCollection(collTokens),
		store.DeclareField(collTokens, "purge_at"),
		store.CreateIndex(collTokens, "purge_at", false, "purge_at"),

		store.CreateCollection(collFollows),
		store.DeclareField(collFollows, "thread"),
		store.CreateIndex(collFollows, "thread", false, "thread"),

		store.CreateCollection(collDigest),
		store.DeclareField(collDigest, "state"),
		store.DeclareField(collDigest, "user"),
		store.DeclareField(collDigest, "at"),
		store.CreateIndex(collDigest, "state_user_at", false, "state", "user", "at"),
		store.CreateIndex(collDigest, "state_at", false, "state", "at"),

		store.CreateCollection(collMarks), // read by id only
	}}}
}

// Config tunes the service. BaseURL and From are needed; the rest have
// defaults that suit production.
type Config struct {
	// BaseURL is the public address (BASE_URL) that links start with.
	BaseURL string
	// From is the sender, "Name <address>" (MAIL_FROM). The default is the
	// site's name at no-reply@ the BaseURL's host.
	From string
	// MaxTries is how many failed attempts move a message to the dead
	// letters (8). Attempts that fail because the relay is unreachable do
	// not count: an outage is not the message's fault.
	MaxTries int
	// RetryBase and RetryMax bound the exponential backoff between attempts
	// (1 minute doubling, at most 6 hours, ±10% jitter).
	RetryBase time.Duration
	RetryMax  time.Duration
	// Lease is how long a worker may hold a claimed message before another
	// instance looks at it (5 minutes). It must exceed the longest SMTP
	// transaction; a worker that overruns it is fenced off anyway.
	Lease time.Duration
	// VerifyTTL is how long a verification link works (7 days); mail held
	// for an unverified address is dropped after it.
	VerifyTTL time.Duration
	// VerifyResend: a new verification request within this time of the last
	// one sends nothing (the link just sent still works) (10 minutes).
	VerifyResend time.Duration
	// VerifyPerDay caps verification mails to one address in 24 hours (5).
	VerifyPerDay int
	// Retention is how long sent and cancelled mail (without bodies) and
	// processed digest items are kept (90 days). Their ids make enqueueing
	// idempotent, so it must exceed the time an event can be retried.
	Retention time.Duration
	// Now is the clock; tests set it.
	Now func() time.Time
}

func (c *Config) defaults() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("notifications: BaseURL %q must be an absolute http(s) URL", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.From == "" {
		host := u.Hostname()
		if !strings.Contains(host, ".") {
			host += ".localdomain"
		}
		c.From = (&mail.Address{Name: siteName("vi"), Address: "no-reply@" + host}).String()
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("notifications: From %q: %w", c.From, err)
	}
	if c.MaxTries <= 0 {
		c.MaxTries = 8
	}
	if c.RetryBase <= 0 {
		c.RetryBase = time.Minute
	}
	if c.RetryMax <= 0 {
		c.RetryMax = 6 * time.Hour
	}
	if c.Lease <= 0 {
		c.Lease = 5 * time.Minute
	}
	if c.VerifyTTL <= 0 {
		c.VerifyTTL = 7 * 24 * time.Hour
	}
	if c.VerifyResend <= 0 {
		c.VerifyResend = 10 * time.Minute
	}
	if c.VerifyPerDay <= 0 {
		c.VerifyPerDay = 5
	}
	if c.Retention <= 0 {
		c.Retention = 90 * 24 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Service is the notification outbox and the consent records: it renders
// events into messages, stores them, and lets admins see and re-send the
// ones that failed. A Worker sends what it stores.
type Service struct {
	cfg      Config
	msgIDDom string

	mail, subs, tokens, follows, digest, marks store.Collection

	// kick wakes a Worker in this process when something is queued.
	kick chan struct{}
}

// New builds a Service over a migrated database (see Migrations).
func New(db store.DB, cfg Config) (*Service, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if _, err := loadTemplates(); err != nil {
		return nil, err
	}
	from, _ := mail.ParseAddress(cfg.From)
	dom := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	return &Service{
		cfg: cfg, msgIDDom: dom,
		mail: db.Collection(collMail), subs: db.Collection(collSubscribers), tokens: db.Collection(collTokens),
		follows: db.Collection(collFollows), digest: db.Collection(collDigest), marks: db.Collection(collMarks),
		kick: make(chan struct{}, 1),
	}, nil
}

// Config returns the configuration in effect, defaults filled in.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// tsLayout is how times that queries compare are stored: fixed-width UTC
// text to the millisecond, which sorts the same as text on both backends.
const tsLayout = "2006-01-02T15:04:05.000Z"

func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// randomToken returns n random bytes as lower-case hex.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// checkEventID refuses an empty or unprintable event id, or one so long it
// could not be a key.
func checkEventID(id string) error {
	if id == "" || len(id) > 300 || strings.IndexFunc(id, isUnsafeRune) >= 0 {
		return fmt.Errorf("notifications: bad event id %q", truncate(id, 80))
	}
	return nil
}

func (s *Service) link(path string) string { return s.cfg.BaseURL + path }
