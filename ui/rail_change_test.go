package ui

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"cxinbox/app"
)

// A data change reaches the rail through the inbox: saved-view counts go
// stale (to be redone after the list reloads), and only another process's
// commit re-reads the views themselves.
func TestInboxDataChangeReachesTheRail(t *testing.T) {
	a, err := app.Open(filepath.Join(t.TempDir(), "rail.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c := &Context{Ctx: context.Background(), App: a, Agent: "ann", Styles: DefaultStyles(), Now: time.Now}
	in := newInbox(c)
	in.rail.counts[7] = &viewCount{}
	in.Update(dataChangedMsg{Source: "local", TicketIDs: []int64{1}})
	if !in.rail.counts[7].stale {
		t.Fatal("a data change left the saved view's count fresh")
	}
	if cmd := in.rail.Update(dataChangedMsg{Source: "local"}); cmd != nil {
		t.Error("a local change re-reads the views (views change through viewsChangedMsg)")
	}
	if cmd := in.rail.Update(dataChangedMsg{Source: "external"}); cmd == nil {
		t.Error("another process's commit does not re-read the views")
	}
}
