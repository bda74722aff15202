package chat

import (
	"encoding/json"
	"time"
)

// Frame types (PROTOCOL.md).
const (
	TypeWelcome     = "welcome"
	TypeMessage     = "message"
	TypeTyping      = "typing"
	TypeJoined      = "joined"
	TypeClosed      = "closed"
	TypeConsent     = "consent"
	TypePresence    = "presence"
	TypeError       = "error"
	TypeAccept      = "accept"
	TypeAccepted    = "accepted"
	TypeClose       = "close"
	TypeResume      = "resume"
	TypeChatWaiting = "chat_waiting"
	TypeChatTaken   = "chat_taken"
	TypeChatClosed  = "chat_closed"
	TypeChatActive  = "chat_active"
)

// Error codes of error frames.
const (
	ErrCodeBadJSON     = "bad_json"
	ErrCodeUnknownType = "unknown_type"
	ErrCodeBadRequest  = "bad_request"
	ErrCodeRateLimited = "rate_limited"
	ErrCodeTaken       = "taken"
	ErrCodeClosed      = "closed"
	ErrCodeForbidden   = "forbidden"
	ErrCodeNotFound    = "not_found"
	ErrCodeEmpty       = "empty"
	ErrCodeTooLong     = "too_long"
	ErrCodeInternal    = "internal"
)

// inFrame is any frame a client sends. Members of the wrong JSON type make
// the frame a bad_request, never a coerced value.
type inFrame struct {
	Type   string `json:"type"`
	ChatID string `json:"chat_id"`
	Body   string `json:"body"`
	ID     string `json:"id"`
	After  int64  `json:"after"`
	Value  *bool  `json:"value"`
}

// messageFrame is a stored message as both sides receive it.
type messageFrame struct {
	Type   string    `json:"type"`
	ChatID string    `json:"chat_id"`
	Seq    int64     `json:"seq"`
	From   string    `json:"from"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
	ID     string    `json:"id,omitempty"`
}

func encodeMessage(chat string, m Message) []byte {
	return mustJSON(messageFrame{Type: TypeMessage, ChatID: chat, Seq: m.Seq, From: m.From, Body: m.Body, At: m.At, ID: m.CID})
}

// chatEvent is a frame about one chat without a sequence number.
type chatEvent struct {
	Type   string    `json:"type"`
	ChatID string    `json:"chat_id"`
	Agency string    `json:"agency,omitempty"`
	From   string    `json:"from,omitempty"`
	By     string    `json:"by,omitempty"`
	Value  *bool     `json:"value,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

type errorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	ChatID  string `json:"chat_id,omitempty"`
}

// header is what the hub reads of a frame it routes.
type header struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
	From string `json:"from"`
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only this package's plain structs are encoded
	}
	return b
}
