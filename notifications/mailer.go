package notifications

import (
	"fmt"
	"os"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// MailerOption adjusts the Mailer NewMailer builds.
type MailerOption func(*mailerOptions)

type mailerOptions struct {
	dkim *gomail.DKIMSigner
}

// WithDKIM signs every message with signer (see DKIMFromPEM).
func WithDKIM(signer *gomail.DKIMSigner) MailerOption {
	return func(o *mailerOptions) { o.dkim = signer }
}

// DKIMFromPEM builds a DKIM signer for domain and selector from a PEM RSA or
// Ed25519 private key; the public key goes in DNS at
// selector._domainkey.domain. DKIM is optional: most relays sign for the
// sender domain themselves.
func DKIMFromPEM(domain, selector string, pemKey []byte) (*gomail.DKIMSigner, error) {
	if domain == "" || selector == "" {
		return nil, fmt.Errorf("notifications: dkim: domain and selector are required")
	}
	key, err := gomail.PrivKeyFromPEM(pemKey)
	if err != nil {
		return nil, fmt.Errorf("notifications: dkim: %w", err)
	}
	return gomail.NewDKIMSigner(domain, selector, key), nil
}

// DKIMFromFile is DKIMFromPEM with the key read from a file (DKIM_KEY_FILE).
func DKIMFromFile(domain, selector, path string) (*gomail.DKIMSigner, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notifications: dkim: %w", err)
	}
	return DKIMFromPEM(domain, selector, b)
}

// NewMailer chooses the backend: the SMTP relay at smtpURL (SMTP_URL), or,
// when it is empty, the spool directory spoolDir (under DATA_DIR), so that
// nothing is dropped on a machine without a relay.
func NewMailer(smtpURL, spoolDir string, opts ...MailerOption) (Mailer, error) {
	var o mailerOptions
	for _, f := range opts {
		f(&o)
	}
	if strings.TrimSpace(smtpURL) == "" {
		s, err := NewSpool(spoolDir)
		if err != nil {
			return nil, err
		}
		s.dkim = o.dkim
		return s, nil
	}
	cfg, err := ParseSMTPURL(smtpURL)
	if err != nil {
		return nil, err
	}
	cfg.DKIM = o.dkim
	return NewSMTP(cfg)
}
