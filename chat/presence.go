package chat

import (
	"context"
	"encoding/json"
	"sort"
	"time"
)

// Presence: each instance publishes, on the presence topic, the officers it
// holds connections for (on every change and every Heartbeat); every
// instance keeps the latest state of the others until it expires after
// three heartbeats. So "which officers of this agency are online" is
// answered locally, and right across instances, without a shared store.

type presenceMsg struct {
	Kind     string        `json:"kind"` // state, query or bye
	Instance string        `json:"instance"`
	Officers []officerInfo `json:"officers,omitempty"`
}

type officerInfo struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

type localOfficer struct {
	info  officerInfo
	conns int
}

type instanceState struct {
	officers []officerInfo
	expires  time.Time
}

// officerUp counts one more connection of o on this instance.
func (s *Service) officerUp(o *Officer) {
	s.presMu.Lock()
	l := s.local[o.ID]
	if l == nil {
		l = &localOfficer{info: officerInfo{ID: o.ID, Name: o.Name, Scopes: o.Scopes(s.tree)}}
		s.local[o.ID] = l
	}
	l.conns++
	first := l.conns == 1
	s.presMu.Unlock()
	if first {
		s.publishPresence(context.Background(), "state")
		s.presenceChanged()
	}
}

// officerDown counts one connection fewer.
func (s *Service) officerDown(o *Officer) {
	s.presMu.Lock()
	l := s.local[o.ID]
	last := false
	if l != nil {
		l.conns--
		if l.conns <= 0 {
			delete(s.local, o.ID)
			last = true
		}
	}
	s.presMu.Unlock()
	if last {
		s.publishPresence(context.Background(), "state")
		s.presenceChanged()
	}
}

func (s *Service) publishPresence(ctx context.Context, kind string) {
	m := presenceMsg{Kind: kind, Instance: s.instance}
	if kind == "state" {
		s.presMu.Lock()
		m.Officers = make([]officerInfo, 0, len(s.local))
		for _, l := range s.local {
			m.Officers = append(m.Officers, l.info)
		}
		s.presMu.Unlock()
	}
	_ = s.broker.Publish(ctx, presenceTopic(), mustJSON(m))
}

// onPresence is the presence topic's handler.
func (s *Service) onPresence(data []byte) {
	var m presenceMsg
	if json.Unmarshal(data, &m) != nil || m.Instance == "" || m.Instance == s.instance {
		return
	}
	switch m.Kind {
	case "query":
		// Answer outside the handler: a memory broker calls it in the
		// publisher's goroutine.
		go s.publishPresence(context.Background(), "state")
		return
	case "bye":
		s.presMu.Lock()
		delete(s.remote, m.Instance)
		s.presMu.Unlock()
	case "state":
		s.presMu.Lock()
		s.remote[m.Instance] = &instanceState{officers: m.Officers, expires: time.Now().Add(3 * s.cfg.Heartbeat)}
		s.presMu.Unlock()
	default:
		return
	}
	s.presenceChanged()
}

// sweepPresence forgets instances that stopped sending heartbeats.
func (s *Service) sweepPresence() {
	now := time.Now()
	changed := false
	s.presMu.Lock()
	for id, st := range s.remote {
		if now.After(st.expires) {
			delete(s.remote, id)
			changed = true
		}
	}
	s.presMu.Unlock()
	if changed {
		s.presenceChanged()
	}
}

// eachOfficer calls f for every officer online on any instance, once per
// officer. Call with presMu held.
func (s *Service) eachOfficer(f func(o officerInfo)) {
	seen := map[string]bool{}
	now := time.Now()
	for _, l := range s.local {
		seen[l.info.ID] = true
		f(l.info)
	}
	for _, st := range s.remote {
		if now.After(st.expires) {
			continue
		}
		for _, o := range st.officers {
			if !seen[o.ID] {
				seen[o.ID] = true
				f(o)
			}
		}
	}
}

// Online is how many officers who may take a chat of agency are connected,
// on any instance.
func (s *Service) Online(agency string) int {
	s.presMu.Lock()
	defer s.presMu.Unlock()
	n := 0
	s.eachOfficer(func(o officerInfo) {
		for _, sc := range o.Scopes {
			if s.tree.IsWithin(agency, sc) {
				n++
				return
			}
		}
	})
	return n
}

// presentOfficer is an officer as the console's presence frame lists them.
type presentOfficer struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// colleagues lists the officers online whose agencies overlap scopes (one
// lies within the other), sorted by name.
func (s *Service) colleagues(scopes []string) []presentOfficer {
	s.presMu.Lock()
	defer s.presMu.Unlock()
	out := []presentOfficer{}
	s.eachOfficer(func(o officerInfo) {
		for _, a := range o.Scopes {
			for _, b := range scopes {
				if s.tree.IsWithin(a, b) || s.tree.IsWithin(b, a) {
					out = append(out, presentOfficer{ID: o.ID, Name: o.Name})
					return
				}
			}
		}
	})
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].ID < out[j].ID
	})
	return out
}

type citizenPresence struct {
	Type   string `json:"type"`
	Agency string `json:"agency"`
	Online int    `json:"online"`
}

type officerPresence struct {
	Type     string           `json:"type"`
	Online   int              `json:"online"`
	Officers []presentOfficer `json:"officers"`
}

// presenceChanged schedules one push of presence frames shortly, so a burst
// of changes sends one frame.
func (s *Service) presenceChanged() {
	s.presMu.Lock()
	defer s.presMu.Unlock()
	if s.presTimer == nil {
		s.presTimer = time.AfterFunc(50*time.Millisecond, s.pushPresence)
	}
}

// pushPresence tells citizens whose agency's count changed, and every
// officer, who is online now.
func (s *Service) pushPresence() {
	s.presMu.Lock()
	s.presTimer = nil
	s.presMu.Unlock()

	type cg struct {
		agency string
		g      *citizenGroup
	}
	h := s.hub
	h.mu.Lock()
	groups := make([]cg, 0, len(h.citizens))
	for a, g := range h.citizens {
		groups = append(groups, cg{a, g})
	}
	officers := make([]*Conn, 0, len(h.officers))
	for c := range h.officers {
		officers = append(officers, c)
	}
	h.mu.Unlock()

	for _, x := range groups {
		n := s.Online(x.agency)
		h.mu.Lock()
		var conns []*Conn
		if x.g.online != n {
			x.g.online = n
			conns = make([]*Conn, 0, len(x.g.conns))
			for c := range x.g.conns {
				conns = append(conns, c)
			}
		}
		h.mu.Unlock()
		if conns != nil {
			f := mustJSON(citizenPresence{Type: TypePresence, Agency: x.agency, Online: n})
			for _, c := range conns {
				c.Send(f)
			}
		}
	}
	for _, c := range officers {
		c.Send(s.officerPresenceFrame(c.officer))
	}
}

func (s *Service) officerPresenceFrame(o *Officer) []byte {
	list := s.colleagues(o.Scopes(s.tree))
	return mustJSON(officerPresence{Type: TypePresence, Online: len(list), Officers: list})
}
