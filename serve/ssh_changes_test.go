package serve

import (
	"slices"
	"testing"
	"time"

	"cxinbox/app"
)

func TestThrottleMergesBurstsAndPassesLoneChanges(t *testing.T) {
	in := make(chan app.Change, 1000)
	out := throttle(in, 100*time.Millisecond)

	// A lone change goes through at once.
	start := time.Now()
	in <- app.Change{Source: "local", ContactIDs: []int64{1}}
	c := <-out
	if time.Since(start) > 50*time.Millisecond || !slices.Equal(c.ContactIDs, []int64{1}) {
		t.Fatalf("lone change: %+v after %v", c, time.Since(start))
	}
	// A burst right after arrives as one merged change, within the interval.
	for i := range 50 {
		in <- app.Change{Source: "local", ContactIDs: []int64{int64(i % 5)}, TicketIDs: []int64{7}, Messages: 1}
	}
	c = <-out
	if time.Since(start) > 300*time.Millisecond {
		t.Errorf("burst delivered after %v", time.Since(start))
	}
	slices.Sort(c.ContactIDs)
	if c.Source != "local" || c.Messages != 50 || !slices.Equal(c.ContactIDs, []int64{0, 1, 2, 3, 4}) || !slices.Equal(c.TicketIDs, []int64{7}) {
		t.Errorf("merged burst: %+v", c)
	}
	select {
	case c := <-out:
		t.Errorf("a second change for one burst: %+v", c)
	case <-time.After(250 * time.Millisecond):
	}
	// Too many ids, or an external change: everything reloads. (The first
	// of these goes through alone, the interval having passed.)
	for i := range maxMergedIDs + 10 {
		in <- app.Change{Source: "local", TicketIDs: []int64{int64(i)}}
	}
	if c = <-out; len(c.TicketIDs) != 1 {
		t.Fatalf("lone change after a quiet spell: %+v", c)
	}
	if c = <-out; c.Source != "external" || c.TicketIDs != nil {
		t.Errorf("%d ids merged: %+v", maxMergedIDs+9, c)
	}
	in <- app.Change{Source: "local", TicketIDs: []int64{1}}
	in <- app.Change{Source: "external"}
	if c = <-out; c.Source != "external" || c.TicketIDs != nil {
		t.Errorf("local + external merged: %+v", c)
	}
	close(in)
	for range out { // closes after in
	}
}
