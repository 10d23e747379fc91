package serve

import (
	"time"

	"cxinbox/app"
)

// maxMergedIDs bounds the ids a merged change lists; past it the change
// says "external", which makes every screen reload what it shows.
const maxMergedIDs = 4096

// throttle hands a session the app's changes at most once per every: a
// change after a quiet spell goes through at once, and a burst (the feed at
// hundreds of messages a second) reaches the session as one merged change
// per interval, so fifty sessions do not each reload their screens for
// every commit. The returned channel closes after in closes.
func throttle(in <-chan app.Change, every time.Duration) <-chan app.Change {
	out := make(chan app.Change, 1)
	go func() {
		defer close(out)
		var (
			pending *merged
			last    time.Time
			timer   = time.NewTimer(time.Hour)
			armed   bool
		)
		timer.Stop()
		flush := func() {
			select {
			case out <- pending.change():
				pending, last = nil, time.Now()
			default: // the session has not taken the last one yet: merge on
				timer.Reset(every)
				armed = true
			}
		}
		for {
			select {
			case c, ok := <-in:
				if !ok {
					if pending != nil {
						select {
						case out <- pending.change():
						default:
						}
					}
					return
				}
				if pending == nil {
					pending = &merged{contacts: map[int64]struct{}{}, tickets: map[int64]struct{}{}}
				}
				pending.add(c)
				if !armed {
					if wait := every - time.Since(last); wait > 0 {
						timer.Reset(wait)
						armed = true
					} else {
						flush()
					}
				}
			case <-timer.C:
				armed = false
				if pending != nil {
					flush()
				}
			}
		}
	}()
	return out
}

// merged is changes folded into one: the union of their ids, the sums of
// their counts, and "external" if any was (or the ids grew past
// maxMergedIDs).
type merged struct {
	source             string
	contacts, tickets  map[int64]struct{}
	newTickets, msgs   int
	contactOrder, tkts []int64 // ids in arrival order
}

func (m *merged) add(c app.Change) {
	switch {
	case c.Source == "external" || m.source == "external":
		m.source = "external"
	case m.source == "":
		m.source = c.Source
	}
	m.newTickets += c.NewTickets
	m.msgs += c.Messages
	if m.source == "external" {
		return // everything reloads anyway
	}
	for _, id := range c.ContactIDs {
		if _, ok := m.contacts[id]; !ok {
			m.contacts[id] = struct{}{}
			m.contactOrder = append(m.contactOrder, id)
		}
	}
	for _, id := range c.TicketIDs {
		if _, ok := m.tickets[id]; !ok {
			m.tickets[id] = struct{}{}
			m.tkts = append(m.tkts, id)
		}
	}
	if len(m.contactOrder) > maxMergedIDs || len(m.tkts) > maxMergedIDs {
		m.source = "external"
	}
}

func (m *merged) change() app.Change {
	c := app.Change{Source: m.source, NewTickets: m.newTickets, Messages: m.msgs}
	if m.source != "external" {
		c.ContactIDs, c.TicketIDs = m.contactOrder, m.tkts
	}
	return c
}
