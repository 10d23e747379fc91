package app

import (
	"context"
	"time"
)

// Change tells what was just committed, so screens can refresh only what they
// show. Source is "local" for this process's writes and "external" for
// commits seen through the change sequence (the CLI, another server).
type Change struct {
	Source     string
	ContactIDs []int64
	TicketIDs  []int64
	NewTickets int
	Messages   int
}

// Subscribe returns a channel of changes and a function that ends the
// subscription. Slow subscribers miss changes rather than block writers; a
// dropped change is harmless because every change means "reload what you show".
func (a *App) Subscribe() (<-chan Change, func()) {
	ch := make(chan Change, 64)
	a.mu.Lock()
	a.subs[ch] = struct{}{}
	a.mu.Unlock()
	return ch, func() {
		a.mu.Lock()
		if _, ok := a.subs[ch]; ok {
			delete(a.subs, ch)
			close(ch)
		}
		a.mu.Unlock()
	}
}

func (a *App) publish(c Change) {
	if c.Source == "" {
		c.Source = "local"
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for ch := range a.subs {
		select {
		case ch <- c:
		default:
		}
	}
}

// WatchExternal polls the database's change sequence every interval and
// publishes an "external" change when another process committed since.
func (a *App) WatchExternal(ctx context.Context, interval time.Duration) {
	last, _ := a.store.ChangeSeq(ctx)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			v, err := a.store.ChangeSeq(ctx)
			if err != nil || v == last {
				continue
			}
			if v == a.store.LocalSeq() { // our own commit, already published
				last = v
				continue
			}
			last = v
			a.publish(Change{Source: "external"})
		}
	}
}
