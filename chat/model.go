package chat

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// States of a chat.
const (
	// StateWaiting: the citizen is there, no officer has taken the chat.
	StateWaiting = "waiting"
	// StateActive: one officer has accepted it.
	StateActive = "active"
	// StateClosed: ended by either side, or left as a question.
	StateClosed = "closed"
)

// Who wrote a message.
const (
	FromCitizen = "citizen"
	FromAgency  = "agency"
)

// Limits of the protocol.
const (
	// MaxFrame is the largest frame a client may send, in bytes.
	MaxFrame = 8 << 10
	// MaxBody is the longest message, in characters after cleaning.
	MaxBody = 4000
	// BucketSize is how many messages one bucket document holds.
	BucketSize = 50
	// MaxClientID bounds the client's own id for a message.
	MaxClientID = 64
)

// Chat is the stored chat document. Fields a query uses are declared in
// Migrations.
type Chat struct {
	ID     string `json:"id"`
	Agency string `json:"agency"`
	// A1..A4 are the agency's path in the tree (agencies.Tree.Path), so
	// "waiting chats of this agency and its sub-agencies" is one indexed
	// equality, as for threads.
	A1 string `json:"a1"`
	A2 string `json:"a2"`
	A3 string `json:"a3"`
	A4 string `json:"a4"`

	State string `json:"state"`
	// Queued is true while the chat waits for an officer and the citizen has
	// written something: an empty chat is not shown to officers.
	Queued bool `json:"queued"`
	// TokenHash is the SHA-256 (hex) of the citizen's resume token; the token
	// itself is never stored.
	TokenHash string `json:"token_hash"`
	Lang      string `json:"lang"`
	// Officer is the id of the officer who accepted the chat.
	Officer     string `json:"officer"`
	OfficerName string `json:"officer_name,omitempty"`
	// Consent is the citizen's permission to publish the exchange as a
	// public Q&A, with personal data masked.
	Consent bool `json:"consent"`

	// Created is a fixed-width UTC time, so it sorts as text on both
	// backends.
	Created    string    `json:"created"`
	CreatedAt  time.Time `json:"created_at"`
	AcceptedAt time.Time `json:"accepted_at,omitzero"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	// ClosedBy is citizen, agency or question (left as a question).
	ClosedBy string `json:"closed_by,omitempty"`
	// Thread is the question the citizen left when nobody answered.
	Thread string `json:"thread,omitempty"`
	// Published is the Q&A thread an officer made of the chat.
	Published string `json:"published,omitempty"`

	// Mail holds transcript e-mails the citizen asked for, sent once the
	// chat is closed; Pending mirrors len(Mail) > 0 for the worker's index.
	Mail    []MailRequest `json:"mail"`
	Pending bool          `json:"pending"`
}

// MailRequest is a citizen's request for the transcript by e-mail.
type MailRequest struct {
	ID    string    `json:"id"`
	Email string    `json:"email"`
	Lang  string    `json:"lang"`
	At    time.Time `json:"at"`
	Tries int       `json:"tries"`
}

// Message is one line of a chat.
type Message struct {
	Seq  int64     `json:"seq"`
	From string    `json:"from"`
	Body string    `json:"body"`
	At   time.Time `json:"at"`
	// CID is the client's own id for the message, so a message resent after
	// a reconnect is stored once.
	CID string `json:"cid,omitempty"`
	// Author is the officer's id on agency messages (for the record; frames
	// never carry it).
	Author string `json:"author,omitempty"`
}

// bucket is one document of up to BucketSize consecutive messages: bucket n
// holds sequence numbers n*BucketSize+1 … (n+1)*BucketSize.
type bucket struct {
	Chat     string    `json:"chat"`
	N        int64     `json:"n"`
	Messages []Message `json:"messages"`
}

func bucketID(chat string, n int64) string {
	var b strings.Builder
	b.WriteString(chat)
	b.WriteByte('-')
	s := "000000" + itoa(n)
	b.WriteString(s[len(s)-6:])
	return b.String()
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

// bucketOf is the bucket holding seq (seq ≥ 1).
func bucketOf(seq int64) int64 { return (seq - 1) / BucketSize }

var b32 = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns an id that sorts by creation time: 48 bits of milliseconds
// and 32 random bits, in lower-case Crockford base32 (as threads' ids).
func NewID(now time.Time) string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b32.EncodeToString(b[:])
}

// NewToken returns a citizen's resume token: 160 random bits.
func NewToken() string {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return b32.EncodeToString(b[:])
}

// TokenHash is what is stored of a token.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// validID reports whether s could be a chat id, so junk is refused without
// a lookup.
func validID(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// fixedTime is the stored, sortable form of a time.
func fixedTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
