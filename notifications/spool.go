package notifications

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Spool is the embedded default Mailer: it writes each message as an RFC 5322
// .eml file in a directory, so nothing is dropped when no relay is configured.
// Files appear atomically (written to a temporary name, synced, renamed), are
// named by date and a hash of the Message-ID (so a re-send replaces rather
// than duplicates), and open in any mail client.
type Spool struct {
	Dir  string
	dkim *gomail.DKIMSigner
}

var _ Mailer = (*Spool)(nil)

// NewSpool returns a Spool writing into dir, creating it if needed.
func NewSpool(dir string) (*Spool, error) {
	if dir == "" {
		return nil, fmt.Errorf("notifications: spool: no directory")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("notifications: spool: %w", err)
	}
	return &Spool{Dir: dir}, nil
}

// Send writes msg to the spool directory.
func (s *Spool) Send(ctx context.Context, msg *Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("notifications: spool: %w: %w", ErrRelayUnavailable, err)
	}
	m, err := build(msg, s.dkim)
	if err != nil {
		return fmt.Errorf("notifications: spool: %w", err)
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return fmt.Errorf("notifications: spool: %w: %w", ErrInvalidMessage, err)
	}
	date := msg.Date
	if date.IsZero() {
		date = time.Now()
	}
	sum := sha256.Sum256([]byte(m.GetMessageID()))
	name := date.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(sum[:8]) + ".eml"
	tmp, err := os.CreateTemp(s.Dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("notifications: spool: %w: %w", ErrRelayUnavailable, err)
	}
	keep := false
	defer func() {
		if !keep {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("notifications: spool: %w: %w", ErrRelayUnavailable, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("notifications: spool: %w: %w", ErrRelayUnavailable, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("notifications: spool: %w: %w", ErrRelayUnavailable, err)
	}
	if msg.Commit != nil {
		if err := msg.Commit(ctx); err != nil {
			return fmt.Errorf("notifications: spool: %w", err)
		}
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.Dir, name)); err != nil {
		// After Commit: the file is certainly not in place, so the message
		// was not delivered; the worker may retry it.
		return fmt.Errorf("notifications: spool: %w: %w", ErrRelayUnavailable, err)
	}
	keep = true
	if d, err := os.Open(s.Dir); err == nil {
		_ = d.Sync() // make the rename durable
		d.Close()
	}
	return nil
}

// Close does nothing: a Spool holds no resources.
func (s *Spool) Close() error { return nil }
