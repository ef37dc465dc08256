// Package realtime carries live hints from the pipeline to browsers: a trace committed in
// any process reaches the WebSocket clients of its workspace in every api process.
//
// Messages are hints, not the record: a client that reconnects or sees a gap refetches over
// REST, so a lost message never leaves anything shown wrong. The hub therefore never waits
// for a client: each has a bounded queue, and a client that lets it fill is dropped (and
// told so with a close code) rather than slowing the commit path or the other clients.
package realtime

import (
	"context"
	"encoding/json"
	"sync"
)

// Channels a client can subscribe to.
const (
	ChannelTraces     = "traces"
	ChannelKPIs       = "kpis"
	ChannelAlerts     = "alerts"
	ChannelViolations = "violations"
)

// Channels lists the valid channel names.
var Channels = []string{ChannelTraces, ChannelKPIs, ChannelAlerts, ChannelViolations}

// Event is one hint for the subscribers of a workspace.
type Event struct {
	Workspace string          `json:"workspace"`
	Channel   string          `json:"channel"`
	Type      string          `json:"type"` // new_traces, kpi_delta, alert_state, violation
	Data      json.RawMessage `json:"data"`
	// SentAt is when the event was published, in Unix microseconds, so that delivery
	// latency can be measured on one clock.
	SentAt int64 `json:"sent_at"`
}

// Delivery is what a subscriber receives: an event, or a resync when events may have been
// lost (the shared bus reconnected), after which the client must refetch.
type Delivery struct {
	Event  Event
	Resync bool
	// Wire is the event as a client message without its closing seq field and brace,
	// encoded once for all subscribers: each connection appends its own sequence number.
	Wire []byte
}

// wire encodes e as the message clients receive, up to its per-connection seq.
func wire(e Event) []byte {
	m := struct {
		Type    string          `json:"type"`
		Channel string          `json:"channel"`
		SentAt  int64           `json:"sent_at"`
		Data    json.RawMessage `json:"data,omitempty"`
	}{e.Type, e.Channel, e.SentAt, e.Data}
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return append(b[:len(b)-1], `,"seq":`...)
}

// Hub fans events out to the subscribers of their workspace.
type Hub interface {
	// Publish hands e to every subscriber of e.Workspace; it never waits for them.
	Publish(ctx context.Context, e Event) error
	// Subscribe registers a subscriber of workspace with a queue of queueLen deliveries.
	Subscribe(workspace string, queueLen int) *Subscriber
	Close() error
}

// Subscriber receives a workspace's deliveries until it is closed or dropped.
type Subscriber struct {
	C         <-chan Delivery
	ch        chan Delivery
	workspace string
	hub       *Local
	dropOnce  sync.Once
	dropped   chan struct{}
}

// Dropped is closed when the hub dropped the subscriber because its queue was full.
func (s *Subscriber) Dropped() <-chan struct{} { return s.dropped }

// Close unregisters the subscriber.
func (s *Subscriber) Close() { s.hub.remove(s) }

func (s *Subscriber) offer(d Delivery) {
	select {
	case s.ch <- d:
	default:
		s.dropOnce.Do(func() { close(s.dropped) })
	}
}

// Local is the in-process hub: enough for one process, and the local half of Redis.
type Local struct {
	mu   sync.RWMutex
	subs map[string]map[*Subscriber]struct{}
}

// NewLocal returns an empty in-process hub.
func NewLocal() *Local { return &Local{subs: map[string]map[*Subscriber]struct{}{}} }

var _ Hub = (*Local)(nil)

// Publish implements Hub.
func (h *Local) Publish(_ context.Context, e Event) error {
	h.deliver(Delivery{Event: e, Wire: wire(e)}, e.Workspace)
	return nil
}

func (h *Local) deliver(d Delivery, workspace string) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs[workspace] {
		s.offer(d)
	}
}

// resyncAll tells every subscriber that events may have been lost.
func (h *Local) resyncAll() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, set := range h.subs {
		for s := range set {
			s.offer(Delivery{Resync: true})
		}
	}
}

// Subscribe implements Hub.
func (h *Local) Subscribe(workspace string, queueLen int) *Subscriber {
	ch := make(chan Delivery, max(queueLen, 1))
	s := &Subscriber{C: ch, ch: ch, workspace: workspace, hub: h, dropped: make(chan struct{})}
	h.mu.Lock()
	if h.subs[workspace] == nil {
		h.subs[workspace] = map[*Subscriber]struct{}{}
	}
	h.subs[workspace][s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *Local) remove(s *Subscriber) {
	h.mu.Lock()
	delete(h.subs[s.workspace], s)
	if len(h.subs[s.workspace]) == 0 {
		delete(h.subs, s.workspace)
	}
	h.mu.Unlock()
}

// Close implements Hub.
func (h *Local) Close() error { return nil }
