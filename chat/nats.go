package chat

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

var _ Broker = (*NATSBroker)(nil)

// NATSBroker carries events between instances through a NATS server (core
// NATS: at most once, in order per publisher and subject). All its
// subscriptions feed one channel drained by one goroutine, so a thousand idle
// chats cost a thousand map entries, not a thousand goroutines.
type NATSBroker struct {
	nc     *nats.Conn
	prefix string
	log    *slog.Logger
	msgs   chan *nats.Msg

	mu   sync.RWMutex
	subs map[string]map[*natsSub]struct{} // by subject
	done chan struct{}
	once sync.Once
}

type natsSub struct {
	b       *NATSBroker
	subject string
	ns      *nats.Subscription
	h       func([]byte)
	mu      sync.Mutex
	stopped bool
}

// NATSQueue is how many received messages may wait for the dispatcher
// before NATS drops them (the hub then reads gaps from the store).
const NATSQueue = 1 << 16

// NewNATSBroker connects to the NATS server at url. Subjects are
// prefix.<topic>, with the topic's characters outside [A-Za-z0-9-] escaped,
// so several installations can share one server under different prefixes.
func NewNATSBroker(url, prefix string, log *slog.Logger) (*NATSBroker, error) {
	if prefix == "" {
		prefix = "tuongtac"
	}
	if log == nil {
		log = slog.Default()
	}
	nc, err := nats.Connect(url,
		nats.Name("tuongtac chat"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", slog.String("error", err.Error()))
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("nats reconnected") }),
	)
	if err != nil {
		return nil, fmt.Errorf("chat: nats connect: %w", err)
	}
	b := &NATSBroker{nc: nc, prefix: prefix, log: log, msgs: make(chan *nats.Msg, NATSQueue),
		subs: map[string]map[*natsSub]struct{}{}, done: make(chan struct{})}
	go b.dispatch()
	return b, nil
}

// subject maps a topic to a NATS subject, reversibly.
func (b *NATSBroker) subject(topic string) string {
	var sb strings.Builder
	sb.WriteString(b.prefix)
	sb.WriteByte('.')
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			sb.WriteByte(c)
			continue
		}
		fmt.Fprintf(&sb, "_%02x", c)
	}
	return sb.String()
}

func (b *NATSBroker) dispatch() {
	for {
		select {
		case <-b.done:
			return
		case m := <-b.msgs:
			b.mu.RLock()
			subs := make([]*natsSub, 0, len(b.subs[m.Subject]))
			for s := range b.subs[m.Subject] {
				if s.ns == m.Sub {
					subs = append(subs, s)
				}
			}
			b.mu.RUnlock()
			for _, s := range subs {
				s.mu.Lock()
				if !s.stopped {
					s.h(m.Data)
				}
				s.mu.Unlock()
			}
		}
	}
}

// Publish implements Broker.
func (b *NATSBroker) Publish(ctx context.Context, topic string, data []byte) error {
	if err := b.nc.Publish(b.subject(topic), data); err != nil {
		return fmt.Errorf("chat: nats publish: %w", err)
	}
	return nil
}

// Subscribe implements Broker: it returns once the server has the
// subscription (a flush round trip).
func (b *NATSBroker) Subscribe(ctx context.Context, topic string, h func([]byte)) (Subscription, error) {
	subj := b.subject(topic)
	ns, err := b.nc.ChanSubscribe(subj, b.msgs)
	if err != nil {
		return nil, fmt.Errorf("chat: nats subscribe: %w", err)
	}
	s := &natsSub{b: b, subject: subj, ns: ns, h: h}
	b.mu.Lock()
	if b.subs[subj] == nil {
		b.subs[subj] = map[*natsSub]struct{}{}
	}
	b.subs[subj][s] = struct{}{}
	b.mu.Unlock()
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if err := b.nc.FlushTimeout(timeout); err != nil {
		_ = s.Unsubscribe()
		return nil, fmt.Errorf("chat: nats subscribe: %w", err)
	}
	return s, nil
}

// Unsubscribe implements Subscription.
func (s *natsSub) Unsubscribe() error {
	err := s.ns.Unsubscribe()
	s.b.mu.Lock()
	delete(s.b.subs[s.subject], s)
	if len(s.b.subs[s.subject]) == 0 {
		delete(s.b.subs, s.subject)
	}
	s.b.mu.Unlock()
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	if err != nil && err != nats.ErrConnectionClosed && err != nats.ErrBadSubscription {
		return fmt.Errorf("chat: nats unsubscribe: %w", err)
	}
	return nil
}

// Close implements Broker.
func (b *NATSBroker) Close() error {
	b.once.Do(func() {
		b.nc.Close()
		close(b.done)
	})
	return nil
}
