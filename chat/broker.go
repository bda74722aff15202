package chat

import (
	"context"
	"errors"
	"sync"
)

// Broker carries events between the instances that hold connections: an
// instance publishes on a topic and every instance subscribed to it,
// itself included, gets the data. Delivery is at most once and, for one
// publisher and one topic, in order; the hub needs no more, because messages
// are stored before they are published and gaps are read back from the
// store.
//
// Topics are plain strings made by this package ("chat:<id>",
// "agency:<id>", "presence"); backends map them to their own names.
type Broker interface {
	// Publish sends data to the topic's subscribers. It does not wait for
	// them.
	Publish(ctx context.Context, topic string, data []byte) error
	// Subscribe calls h with the data of every later publication on topic,
	// one call at a time and in order. When Subscribe returns, the
	// subscription is in force: everything published afterwards, on any
	// instance, reaches h. h must not block.
	Subscribe(ctx context.Context, topic string, h func(data []byte)) (Subscription, error)
	// Close ends every subscription and releases the backend.
	Close() error
}

// Subscription is one Subscribe.
type Subscription interface {
	// Unsubscribe stops deliveries; h is not called after it returns.
	Unsubscribe() error
}

// ErrBrokerClosed is returned by a closed broker.
var ErrBrokerClosed = errors.New("chat: broker closed")

var _ Broker = (*MemoryBroker)(nil)

// MemoryBroker is the in-process broker, the default for one instance:
// Publish calls the topic's handlers in the publisher's goroutine.
type MemoryBroker struct {
	mu     sync.RWMutex
	topics map[string]map[*memorySub]struct{}
	closed bool
}

// NewMemoryBroker returns an empty in-process broker.
func NewMemoryBroker() *MemoryBroker {
	return &MemoryBroker{topics: map[string]map[*memorySub]struct{}{}}
}

type memorySub struct {
	b     *MemoryBroker
	topic string
	// mu serialises calls of h, as a subscription promises, and lets
	// Unsubscribe wait for a call in progress.
	mu   sync.Mutex
	h    func([]byte)
	done bool
}

// Publish implements Broker.
func (b *MemoryBroker) Publish(ctx context.Context, topic string, data []byte) error {
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrBrokerClosed
	}
	subs := make([]*memorySub, 0, len(b.topics[topic]))
	for s := range b.topics[topic] {
		subs = append(subs, s)
	}
	b.mu.RUnlock()
	for _, s := range subs {
		s.mu.Lock()
		if !s.done {
			s.h(data)
		}
		s.mu.Unlock()
	}
	return nil
}

// Subscribe implements Broker.
func (b *MemoryBroker) Subscribe(ctx context.Context, topic string, h func([]byte)) (Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrBrokerClosed
	}
	s := &memorySub{b: b, topic: topic, h: h}
	if b.topics[topic] == nil {
		b.topics[topic] = map[*memorySub]struct{}{}
	}
	b.topics[topic][s] = struct{}{}
	return s, nil
}

// Unsubscribe implements Subscription.
func (s *memorySub) Unsubscribe() error {
	s.b.mu.Lock()
	delete(s.b.topics[s.topic], s)
	if len(s.b.topics[s.topic]) == 0 {
		delete(s.b.topics, s.topic)
	}
	s.b.mu.Unlock()
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
	return nil
}

// Close implements Broker.
func (b *MemoryBroker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.topics = map[string]map[*memorySub]struct{}{}
	return nil
}
