// Package problem defines the errors that reach a user: bad input field by field,
// a missing thing, a state conflict, a refusal. Feature packages return them; the
// server maps each to its HTTP status and the API's error shape, in the user's
// language, so no handler decides a status code on its own.
package problem

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Message is a catalogue key with arguments, translated when it is shown.
type Message struct {
	Key  string
	Args []any
}

// Msg builds a Message.
func Msg(key string, args ...any) Message { return Message{Key: key, Args: args} }

// Error is a user-facing error of a given kind.
type Error struct {
	Kind    Kind
	Message Message
	// Fields holds, for KindValidation, a message per input field.
	Fields map[string]Message
	// RetryAfter is the number of seconds to wait, for KindTooMany.
	RetryAfter int
}

// Kind says which HTTP status an Error maps to.
type Kind int

// The kinds of user-facing error.
const (
	KindValidation   Kind = iota // 400
	KindUnauthorized             // 401
	KindForbidden                // 403
	KindNotFound                 // 404
	KindConflict                 // 409
	KindTooLarge                 // 413
	KindUnsupported              // 415
	KindTooMany                  // 429
	KindUnavailable              // 503: overloaded or a backend is down; retry
)

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return "problem: " + e.Message.Key
	}
	names := make([]string, 0, len(e.Fields))
	for f, m := range e.Fields {
		names = append(names, f+"="+m.Key)
	}
	sort.Strings(names)
	return fmt.Sprintf("problem: %s (%s)", e.Message.Key, strings.Join(names, ", "))
}

// NotFound is a missing thing.
func NotFound() *Error { return &Error{Kind: KindNotFound, Message: Msg("error.not_found")} }

// Conflict is a state conflict, such as a thread someone else already claimed.
func Conflict(key string, args ...any) *Error {
	return &Error{Kind: KindConflict, Message: Msg(key, args...)}
}

// Forbidden is an action the caller's roles do not allow.
func Forbidden() *Error { return &Error{Kind: KindForbidden, Message: Msg("error.forbidden")} }

// Unauthorized asks the caller to sign in.
func Unauthorized() *Error { return &Error{Kind: KindUnauthorized, Message: Msg("error.unauthorized")} }

// TooMany asks the caller to wait retryAfter seconds.
func TooMany(retryAfter int) *Error {
	return &Error{Kind: KindTooMany, Message: Msg("error.too_many"), RetryAfter: retryAfter}
}

// Fields collects validation messages field by field. The zero value is ready.
type Fields map[string]Message

// Add records a message for field, keeping the first one given.
func (f *Fields) Add(field, key string, args ...any) {
	if *f == nil {
		*f = Fields{}
	}
	if _, ok := (*f)[field]; !ok {
		(*f)[field] = Msg(key, args...)
	}
}

// Err returns a validation Error if any field has a message, else nil.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: KindValidation, Message: Msg("error.validation"), Fields: map[string]Message(f)}
}

// Invalid is a validation error on one field.
func Invalid(field, key string, args ...any) error {
	var f Fields
	f.Add(field, key, args...)
	return f.Err()
}

// As returns the *Error inside err, if there is one.
func As(err error) (*Error, bool) {
	var p *Error
	if errors.As(err, &p) {
		return p, true
	}
	return nil, false
}

// Is reports whether err is a problem of kind k.
func Is(err error, k Kind) bool {
	p, ok := As(err)
	return ok && p.Kind == k
}

// Paging fills in a list's page (default 1) and per-page count (default
// def) and adds field messages when they lie outside 1..maxPage and
// 1..maxPer.
func (f *Fields) Paging(page, perPage *int, def, maxPer, maxPage int) {
	if *page == 0 {
		*page = 1
	}
	if *perPage == 0 {
		*perPage = def
	}
	if *page < 1 || *page > maxPage {
		f.Add("page", "field.page")
	}
	if *perPage < 1 || *perPage > maxPer {
		f.Add("per_page", "field.per_page")
	}
}
