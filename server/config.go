package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Config is the whole configuration, parsed once from flags and environment
// (flags win) and passed down as a value.
type Config struct {
	Addr           string
	DataDir        string
	MongoURI       string
	MongoDB        string
	AgenciesFile   string
	BaseURL        string
	TrustedProxies []string
	SMTPURL        string
	MailFrom       string
	NATSURL        string
	MeiliURL       string
	MeiliAPIKey    string

	BootstrapAdminEmail    string
	BootstrapAdminPassword string

	// SubmitBurst and SubmitPerHour bound anonymous submissions per client
	// address. Generous on purpose: many citizens share one address behind
	// carrier NAT, and identical content is refused separately.
	SubmitBurst   int
	SubmitPerHour int
	// MaxInFlight is how many requests are served at once before new ones
	// get 503 with Retry-After.
	MaxInFlight int
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// testPasswords uses cheap argon2 parameters; tests only.
	testPasswords bool
}

// env reads NAME, or the contents of the file named by NAME_FILE (for
// secrets mounted as files).
func env(name string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	if p := os.Getenv(name + "_FILE"); p != "" {
		b, err := os.ReadFile(p)
		if err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

func envOr(name, def string) string {
	if v := env(name); v != "" {
		return v
	}
	return def
}

// Flags registers the settings every command shares on fs, with environment
// defaults. Call Finish after fs.Parse.
func Flags(fs *flag.FlagSet) *Config {
	c := &Config{SubmitBurst: 100, SubmitPerHour: 200}
	maxInFlight := 1024
	if v := env("MAX_IN_FLIGHT"); v != "" {
		fmt.Sscan(v, &maxInFlight)
	}
	fs.IntVar(&c.MaxInFlight, "max-in-flight", maxInFlight, "requests served at once before new ones get 503 (MAX_IN_FLIGHT)")
	fs.StringVar(&c.Addr, "addr", envOr("ADDR", ":8080"), "listen address (ADDR)")
	fs.StringVar(&c.DataDir, "data", envOr("DATA_DIR", "./data"), "data directory for SQLite, the search index and the mail spool (DATA_DIR)")
	fs.StringVar(&c.MongoURI, "mongodb-uri", env("MONGODB_URI"), "MongoDB URI; empty keeps documents in SQLite (MONGODB_URI)")
	fs.StringVar(&c.MongoDB, "mongodb-db", env("MONGODB_DB"), "MongoDB database name; default from the URI, else tuongtac (MONGODB_DB)")
	fs.StringVar(&c.AgenciesFile, "agencies", env("AGENCIES_FILE"), "agency tree JSON; empty uses the bundled An Giang tree (AGENCIES_FILE)")
	fs.StringVar(&c.BaseURL, "base-url", envOr("BASE_URL", "http://localhost:8080"), "public address of the service (BASE_URL)")
	fs.Func("trusted-proxies", "comma-separated addresses or CIDRs whose X-Forwarded-For is believed (TRUSTED_PROXIES)", func(s string) error {
		c.TrustedProxies = splitList(s)
		return nil
	})
	c.TrustedProxies = splitList(env("TRUSTED_PROXIES"))
	fs.StringVar(&c.SMTPURL, "smtp-url", env("SMTP_URL"), "SMTP relay URL; empty writes mail to the data dir (SMTP_URL)")
	fs.StringVar(&c.MailFrom, "mail-from", env("MAIL_FROM"), "sender of notices, \"Name <address>\" (MAIL_FROM)")
	fs.StringVar(&c.NATSURL, "nats-url", env("NATS_URL"), "NATS URL for fan-out between instances (NATS_URL)")
	fs.StringVar(&c.MeiliURL, "meili-url", env("MEILI_URL"), "Meilisearch URL; empty uses the embedded index (MEILI_URL)")
	fs.StringVar(&c.LogLevel, "log-level", envOr("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	c.MeiliAPIKey = env("MEILI_API_KEY")
	c.BootstrapAdminEmail = env("BOOTSTRAP_ADMIN_EMAIL")
	c.BootstrapAdminPassword = env("BOOTSTRAP_ADMIN_PASSWORD")
	return c
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate checks combinations and formats.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir is empty"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("BASE_URL %q is not an http(s) URL", c.BaseURL))
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is neither an address nor a CIDR", p))
			}
		}
	}
	if (c.BootstrapAdminEmail == "") != (c.BootstrapAdminPassword == "") {
		errs = append(errs, errors.New("set both BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD, or neither"))
	}
	if c.MaxInFlight < 1 {
		errs = append(errs, fmt.Errorf("MAX_IN_FLIGHT %d: must be at least 1", c.MaxInFlight))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// SecureCookies reports whether cookies get the Secure flag: when the public
// address is https.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// DBPath is the SQLite file.
func (c *Config) DBPath() string { return filepath.Join(c.DataDir, "tuongtac.db") }
