package notifications

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"

	"tuongtac/vntext"
)

// Mailer hands one message to the outside world: an SMTP relay or the spool
// directory. Send returns nil only once the message is accepted (the relay
// answered 250 to the end of DATA, or the .eml file is in place).
//
// A Mailer must call msg.Commit, when it is set, exactly once and right before
// the point after which the message may have been accepted (SMTP: before the
// final "." of DATA; spool: before the rename), and must abort without
// delivering when Commit returns an error. The outbox worker uses it to fence
// a claim it may have lost and to tell "certainly not sent" from "maybe sent".
type Mailer interface {
	Send(ctx context.Context, msg *Message) error
	// Close releases connections the Mailer keeps open.
	Close() error
}

// Message is one e-mail to one recipient. Every header value is cleaned of
// line breaks and control characters when the message is built, whatever the
// caller put in it.
type Message struct {
	// ID is the Message-ID without angle brackets. It is stable for an
	// outbox message, so a re-send is recognisable as the same message.
	ID string
	// From is the From header, "Name <address>" or a bare address; also the
	// envelope sender, where bounces go.
	From string
	// To is the one recipient's address; ToName an optional display name.
	To     string
	ToName string
	// Subject is plain text; it is encoded (RFC 2047) when needed.
	Subject string
	// Text is the plain-text body; HTML, when set, is sent with it as
	// multipart/alternative.
	Text string
	HTML string
	// Lang is the Content-Language, "vi" or "en".
	Lang string
	// Date is the Date header; the current time when zero.
	Date time.Time
	// Unsubscribe, when set, is the one-click unsubscribe URL: it becomes the
	// List-Unsubscribe header with List-Unsubscribe-Post (RFC 8058).
	Unsubscribe string
	// Headers are extra header fields. Names must be RFC 5322 field names and
	// may not replace the ones this type sets.
	Headers map[string]string
	// Commit is called by the Mailer right before the point of no return
	// (see Mailer). Nil for a message sent outside the outbox.
	Commit func(ctx context.Context) error
}

// Errors a Mailer wraps so that the worker knows what a failure means.
var (
	// ErrRelayUnavailable marks failures that are not the message's: the
	// relay could not be reached or would not take mail from us (dial, TLS,
	// authentication, a dropped connection, a refused sender, a full spool
	// disk). The message is retried without counting against it.
	ErrRelayUnavailable = errors.New("notifications: relay unavailable")
	// ErrMaybeSent marks failures after the end of the message was sent but
	// before the relay's answer arrived: it may have been accepted. The
	// worker never re-sends such a message by itself.
	ErrMaybeSent = errors.New("notifications: message may have been accepted")
	// ErrInvalidMessage marks a message that cannot be built (a bad address,
	// an empty body): sending it again cannot help.
	ErrInvalidMessage = errors.New("notifications: invalid message")
)

// reservedHeaders are set from Message fields and may not come through
// Message.Headers.
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "date": true,
	"message-id": true, "mime-version": true, "content-type": true, "content-transfer-encoding": true,
	"content-language": true, "list-unsubscribe": true, "list-unsubscribe-post": true, "sender": true,
	"reply-to": true, "return-path": true, "dkim-signature": true,
}

var fieldNameRE = regexp.MustCompile(`^[!-9;-~]{1,76}$`) // RFC 5322 ftext: printable ASCII but ':'

// HeaderText makes s safe for a header value or a one-line display: line
// breaks, tabs and runs of spaces become one space, control, zero-width and
// bidi characters go, and the result is cut to max characters (with "…").
func HeaderText(s string, max int) string {
	s = vntext.CleanLine(s)
	if strings.IndexFunc(s, isUnsafeRune) >= 0 {
		s = strings.Map(func(r rune) rune {
			if isUnsafeRune(r) {
				return ' '
			}
			return r
		}, s)
		s = strings.Join(strings.Fields(s), " ")
	}
	if max > 0 && utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = strings.TrimSpace(string(r[:max-1])) + "…"
	}
	return s
}

func isUnsafeRune(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

// maxAddress is the longest address accepted (RFC 5321 path limit).
const maxAddress = 254

// NormalizeAddress checks that s is one plain e-mail address (no display
// name, no comments, no line breaks or controls, at most 254 bytes) and
// returns it lower-cased and trimmed.
func NormalizeAddress(s string) (string, error) {
	a := strings.ToLower(strings.TrimSpace(s))
	if a == "" || len(a) > maxAddress || strings.IndexFunc(a, func(r rune) bool {
		return isUnsafeRune(r) || unicode.IsSpace(r) || r == '<' || r == '>' || r == ',' || r == '"' || r == '(' || r == ')'
	}) >= 0 {
		return "", fmt.Errorf("%w: bad address %q", ErrInvalidMessage, truncate(s, 80))
	}
	p, err := mail.ParseAddress(a)
	if err != nil || p.Address != a || p.Name != "" {
		return "", fmt.Errorf("%w: bad address %q", ErrInvalidMessage, truncate(s, 80))
	}
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 {
		return "", fmt.Errorf("%w: bad address %q", ErrInvalidMessage, truncate(s, 80))
	}
	return a, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// build turns m into a go-mail message. Everything that reaches a header
// passes through HeaderText or NormalizeAddress first.
func build(m *Message, dkim *gomail.DKIMSigner) (*gomail.Msg, error) {
	to, err := NormalizeAddress(m.To)
	if err != nil {
		return nil, err
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("%w: bad From %q: %v", ErrInvalidMessage, truncate(m.From, 80), err)
	}
	fromAddr, err := NormalizeAddress(from.Address)
	if err != nil {
		return nil, fmt.Errorf("%w: bad From: %v", ErrInvalidMessage, err)
	}
	if strings.TrimSpace(m.Text) == "" {
		return nil, fmt.Errorf("%w: empty text body", ErrInvalidMessage)
	}
	msg := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP), gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(HeaderText(from.Name, 100), fromAddr); err != nil {
		return nil, fmt.Errorf("%w: From: %v", ErrInvalidMessage, err)
	}
	if err := msg.AddToFormat(HeaderText(m.ToName, 100), to); err != nil {
		return nil, fmt.Errorf("%w: To: %v", ErrInvalidMessage, err)
	}
	msg.Subject(HeaderText(m.Subject, 200))
	if m.ID != "" {
		id := strings.Trim(HeaderText(m.ID, 200), "<>")
		if strings.ContainsAny(id, " <>") || !strings.Contains(id, "@") {
			return nil, fmt.Errorf("%w: bad Message-ID %q", ErrInvalidMessage, truncate(m.ID, 80))
		}
		msg.SetMessageIDWithValue(id)
	} else {
		msg.SetMessageID()
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	msg.SetDateWithValue(date)
	if m.Lang != "" {
		msg.SetGenHeader(gomail.HeaderContentLang, HeaderText(m.Lang, 16))
	}
	// RFC 3834: tell auto-responders (holiday replies) not to answer.
	msg.SetGenHeaderPreformatted("Auto-Submitted", "auto-generated")
	msg.SetGenHeaderPreformatted(gomail.HeaderXAutoResponseSuppress, "All")
	if m.Unsubscribe != "" {
		u := HeaderText(m.Unsubscribe, 500)
		if strings.ContainsAny(u, " <>") || !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) {
			return nil, fmt.Errorf("%w: bad unsubscribe URL", ErrInvalidMessage)
		}
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, "<"+u+">")
		msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	for k, v := range m.Headers {
		if !fieldNameRE.MatchString(k) || reservedHeaders[strings.ToLower(k)] {
			return nil, fmt.Errorf("%w: header %q not allowed", ErrInvalidMessage, truncate(k, 80))
		}
		msg.SetGenHeader(gomail.Header(k), HeaderText(v, 500))
	}
	msg.SetBodyString(gomail.TypeTextPlain, normalizeNewlines(m.Text))
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, normalizeNewlines(m.HTML))
	}
	if dkim != nil {
		msg.SetDKIM(dkim)
	}
	return msg, nil
}

// normalizeNewlines turns CRLF and lone CR into LF; the writer emits CRLF.
func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
