package chat

import (
	"context"
	"errors"
	"fmt"

	"tuongtac/store"
)

// Collection names.
const (
	collChats   = "chats"
	collBuckets = "chat_buckets"
)

// Errors of chat operations; the server turns them into frames and statuses.
var (
	// ErrNotFound: no such chat, or the token does not match (the two are
	// never told apart).
	ErrNotFound = errors.New("chat: not found")
	// ErrTaken: another officer accepted the chat first.
	ErrTaken = errors.New("chat: taken")
	// ErrClosed: the chat has ended.
	ErrClosed = errors.New("chat: closed")
	// ErrForbidden: the officer does not serve the chat's agency, or the chat
	// is another officer's.
	ErrForbidden = errors.New("chat: forbidden")
	// ErrState: the action does not fit the chat's state (publishing a chat
	// that is still open, leaving a question in a chat an officer has taken).
	ErrState = errors.New("chat: wrong state")
	// ErrNoConsent: the citizen did not consent to publication.
	ErrNoConsent = errors.New("chat: no consent")
)

// Migrations creates the chats and buckets collections, their queryable
// fields and the indexes behind the officers' lists and the mail worker.
func Migrations() []store.Migration {
	steps := []store.Step{store.CreateCollection(collChats), store.CreateCollection(collBuckets)}
	for _, f := range []string{"a1", "a2", "a3", "a4", "state", "queued", "officer", "created", "pending"} {
		steps = append(steps, store.DeclareField(collChats, f))
	}
	for _, a := range []string{"a1", "a2", "a3", "a4"} {
		steps = append(steps, store.CreateIndex(collChats, "chats_"+a+"_queued", false, a, "queued", "created"))
	}
	steps = append(steps,
		store.CreateIndex(collChats, "chats_officer", false, "officer", "state", "created"),
		store.CreateIndex(collChats, "chats_pending", false, "pending", "created"),
	)
	return []store.Migration{{ID: "chat-0001-chats", Steps: steps}}
}

// Store reads and writes chats and their message buckets. Every change is a
// single-document conditional replace.
type Store struct {
	chats   store.Collection
	buckets store.Collection
}

// NewStore wraps a migrated database.
func NewStore(db store.DB) *Store {
	return &Store{chats: db.Collection(collChats), buckets: db.Collection(collBuckets)}
}

// Create stores a new chat.
func (s *Store) Create(ctx context.Context, c *Chat) error {
	c.Pending = len(c.Mail) > 0
	if c.Mail == nil {
		c.Mail = []MailRequest{}
	}
	if err := s.chats.Insert(ctx, c.ID, c); err != nil {
		return fmt.Errorf("chat: create %s: %w", c.ID, err)
	}
	return nil
}

// Get reads a chat.
func (s *Store) Get(ctx context.Context, id string) (*Chat, int64, error) {
	if !validID(id) {
		return nil, 0, ErrNotFound
	}
	var c Chat
	v, err := s.chats.Get(ctx, id, &c)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, ErrNotFound
	}
	if err != nil {
		return nil, 0, fmt.Errorf("chat: get %s: %w", id, err)
	}
	return &c, v, nil
}

// errUnchanged, returned by a change function, ends Update without writing.
var errUnchanged = errors.New("chat: unchanged")

// Update applies change to the current chat and writes it if its version
// has not moved, re-reading and retrying when it has: concurrent updates are
// never lost, and a check inside change (say, "still waiting") sees the
// document it is about to replace. A change that returns errUnchanged ends
// it without writing.
func (s *Store) Update(ctx context.Context, id string, change func(c *Chat) error) (*Chat, error) {
	for range 20 {
		c, v, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := change(c); err != nil {
			if errors.Is(err, errUnchanged) {
				return c, nil
			}
			return c, err
		}
		c.Pending = len(c.Mail) > 0
		err = s.chats.Replace(ctx, id, v, c)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("chat: update %s: %w", id, err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("chat: update %s: %w", id, store.ErrConflict)
}

// Append stores m as the next message of chat and returns it with its
// sequence number, and the bucket it went into (the hint for the next
// append). The number is the message's place in its bucket, taken by a
// conditional write of that bucket, so two writers never get the same one
// and numbers have no holes. When m carries a client id already stored by
// the same side (a resend after a reconnect), the stored message is returned
// with dup set and nothing is written.
func (s *Store) Append(ctx context.Context, chat string, hint int64, m Message) (stored Message, at int64, dup bool, err error) {
	n := max(hint, 0)
	var prev *bucket
	for range 200 {
		var b bucket
		v, err := s.buckets.Get(ctx, bucketID(chat, n), &b)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if n > 0 && prev == nil && m.CID != "" {
				prev = s.bucket(ctx, chat, n-1)
			}
			if old, ok := findCID(prev, m); ok {
				return old, n, true, nil
			}
			m.Seq = n*BucketSize + 1
			err = s.buckets.Insert(ctx, bucketID(chat, n), bucket{Chat: chat, N: n, Messages: []Message{m}})
			if errors.Is(err, store.ErrDuplicate) {
				continue // someone opened this bucket first: read it
			}
			if err != nil {
				return Message{}, n, false, fmt.Errorf("chat: append %s: %w", chat, err)
			}
			return m, n, false, nil
		case err != nil:
			return Message{}, n, false, fmt.Errorf("chat: append %s: %w", chat, err)
		}
		if len(b.Messages) >= BucketSize {
			prev = &b
			n++
			continue
		}
		if m.CID != "" {
			if old, ok := findCID(&b, m); ok {
				return old, n, true, nil
			}
			if n > 0 && prev == nil && len(b.Messages) < 5 {
				prev = s.bucket(ctx, chat, n-1)
			}
			if old, ok := findCID(prev, m); ok {
				return old, n, true, nil
			}
		}
		m.Seq = n*BucketSize + int64(len(b.Messages)) + 1
		b.Messages = append(b.Messages, m)
		err = s.buckets.Replace(ctx, bucketID(chat, n), v, b)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return Message{}, n, false, fmt.Errorf("chat: append %s: %w", chat, err)
		}
		return m, n, false, nil
	}
	return Message{}, n, false, fmt.Errorf("chat: append %s: %w", chat, store.ErrConflict)
}

// bucket reads bucket n, nil if it cannot.
func (s *Store) bucket(ctx context.Context, chat string, n int64) *bucket {
	var b bucket
	if _, err := s.buckets.Get(ctx, bucketID(chat, n), &b); err != nil {
		return nil
	}
	return &b
}

func findCID(b *bucket, m Message) (Message, bool) {
	if b == nil || m.CID == "" {
		return Message{}, false
	}
	for _, x := range b.Messages {
		if x.CID == m.CID && x.From == m.From {
			return x, true
		}
	}
	return Message{}, false
}

// Messages returns every message of chat with a sequence number above
// after, in order.
func (s *Store) Messages(ctx context.Context, chat string, after int64) ([]Message, error) {
	after = max(after, 0)
	out := []Message{}
	for n := bucketOf(after + 1); ; n++ {
		var b bucket
		_, err := s.buckets.Get(ctx, bucketID(chat, n), &b)
		if errors.Is(err, store.ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("chat: messages %s: %w", chat, err)
		}
		for _, m := range b.Messages {
			if m.Seq > after {
				out = append(out, m)
			}
		}
		if len(b.Messages) < BucketSize {
			return out, nil
		}
	}
}

// Queued lists the chats waiting for an officer whose agency path has id at
// field (agencies.Tree.ScopeField), oldest first.
func (s *Store) Queued(ctx context.Context, field, id string, limit int) ([]Chat, error) {
	var out []Chat
	err := s.chats.Find(ctx, store.Query{
		Where: []store.Cond{store.Where(field, store.Eq, id), store.Where("queued", store.Eq, true)},
		Sort:  []store.SortKey{{Field: "created"}}, Limit: limit,
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("chat: queued %s: %w", id, err)
	}
	return out, nil
}

// ActiveFor lists the chats an officer has accepted and not closed.
func (s *Store) ActiveFor(ctx context.Context, officer string, limit int) ([]Chat, error) {
	var out []Chat
	err := s.chats.Find(ctx, store.Query{
		Where: []store.Cond{store.Where("officer", store.Eq, officer), store.Where("state", store.Eq, StateActive)},
		Sort:  []store.SortKey{{Field: "created"}}, Limit: limit,
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("chat: active for %s: %w", officer, err)
	}
	return out, nil
}

// PendingMail lists chats with transcript e-mails still to send.
func (s *Store) PendingMail(ctx context.Context, limit int) ([]Chat, error) {
	var out []Chat
	err := s.chats.Find(ctx, store.Query{
		Where: []store.Cond{store.Where("pending", store.Eq, true)},
		Sort:  []store.SortKey{{Field: "created"}}, Limit: limit,
	}, &out)
	if err != nil {
		return nil, fmt.Errorf("chat: pending mail: %w", err)
	}
	return out, nil
}
