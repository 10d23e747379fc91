package ui

import (
	"context"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
	"cxinbox/model"
)

// chooseView opens the rail's built-in view called name.
func chooseView(t *testing.T, r *Root, in *inbox, name string) {
	t.Helper()
	for _, v := range in.rail.views {
		if v.name == name {
			settle(t, r, func() tea.Msg { return viewChosenMsg{v} })
			return
		}
	}
	t.Fatalf("no view %q", name)
}

func TestBatchSelectionCount(t *testing.T) {
	_, r, in := viewsFixture(t)
	keysTo(t, r, "space", "space")
	if len(in.list.marked) != 2 || in.list.cursor != 2 {
		t.Fatalf("marked %v, cursor %d", in.list.marked, in.list.cursor)
	}
	if out := screen(r); !strings.Contains(out, "2 selected") || !strings.Contains(out, "●") {
		t.Fatalf("no count or marks:\n%s", out)
	}
	keysTo(t, r, "up", "space") // toggles the second off
	if len(in.list.marked) != 1 {
		t.Fatalf("marked %v", in.list.marked)
	}
	keysTo(t, r, "esc")
	if len(in.list.marked) != 0 {
		t.Fatal("esc kept the selection")
	}
	keysTo(t, r, "*")
	if len(in.list.marked) != 5 || r.status.text != "5 selected" {
		t.Fatalf("*: marked %d, status %q", len(in.list.marked), r.status.text)
	}
	if out := screen(r); !strings.Contains(out, "5 selected") {
		t.Fatalf("no count:\n%s", out)
	}
	// Another view drops the selection.
	chooseView(t, r, in, "Mine")
	if len(in.list.marked) != 0 {
		t.Fatal("selection kept across views")
	}
}

func TestBatchSelectAllFollowsTheFilter(t *testing.T) {
	_, r, in := viewsFixture(t)
	openDrawerOn(t, r, in)
	typeTo(t, r, "customer 1")
	keysTo(t, r, "esc", "*")
	if len(in.list.marked) != 1 || !in.list.marked[in.list.rows[0].ID] {
		t.Fatalf("marked %v of %v", in.list.marked, listNames(in))
	}
}

func TestBatchDeleteThenRestoreFromTrash(t *testing.T) {
	a, r, in := viewsFixture(t)
	ctx := context.Background()
	ids := []int64{in.list.rows[0].ID, in.list.rows[1].ID}
	keysTo(t, r, "space", "space", "D")
	if c, ok := r.top().(*confirm); !ok || !strings.Contains(c.question, "Move 2 tickets to the trash?") {
		t.Fatalf("D opened %T", r.top())
	}
	keysTo(t, r, "y")
	if r.status.err || r.status.text != "2 tickets moved to the trash" {
		t.Fatalf("status %+v", r.status)
	}
	if len(in.list.marked) != 0 || len(in.list.rows) != 3 {
		t.Fatalf("after delete: marked %d, rows %d", len(in.list.marked), len(in.list.rows))
	}
	chooseView(t, r, in, "Trash")
	var trashed []int64
	for _, tk := range in.list.rows {
		trashed = append(trashed, tk.ID)
	}
	slices.Sort(trashed)
	if !slices.Equal(trashed, []int64{min(ids[0], ids[1]), max(ids[0], ids[1])}) {
		t.Fatalf("trash %v, want %v", trashed, ids)
	}
	keysTo(t, r, "D")
	if r.status.text != "select tickets first: space picks one, * all that match" {
		t.Fatalf("status %q", r.status.text)
	}
	keysTo(t, r, "*", "U")
	if r.status.err || r.status.text != "2 tickets restored" || len(in.list.rows) != 0 {
		t.Fatalf("status %+v, trash rows %d", r.status, len(in.list.rows))
	}
	chooseView(t, r, in, "All")
	if len(in.list.rows) != 5 {
		t.Fatalf("all: %d rows", len(in.list.rows))
	}
	tks, err := a.ListTickets(ctx, app.TicketQuery{Trash: true})
	if err != nil || len(tks) != 0 {
		t.Fatalf("trash %v, err %v", tks, err)
	}
}

func TestBatchStatusAssignTagAndPurge(t *testing.T) {
	a, r, in := viewsFixture(t)
	ctx := context.Background()
	keysTo(t, r, "space", "space", "s", "3") // the picker: 3 is resolved
	if r.status.text != "2 tickets set to resolved" {
		t.Fatalf("status %+v", r.status)
	}
	keysTo(t, r, "*", "a")
	p, ok := r.top().(*prompt)
	if !ok {
		t.Fatalf("a opened %T", r.top())
	}
	p.in.SetValue("")
	typeTo(t, r, "bob")
	keysTo(t, r, "enter")
	if r.status.text != "5 tickets assigned to bob" {
		t.Fatalf("status %+v", r.status)
	}
	keysTo(t, r, "space", "t")
	typeTo(t, r, "VIP")
	keysTo(t, r, "enter")
	if r.status.text != "tag VIP added to 1 ticket" {
		t.Fatalf("status %+v", r.status)
	}
	tks, _ := a.ListTickets(ctx, app.TicketQuery{})
	resolved, tagged := 0, 0
	for _, tk := range tks {
		if tk.Status == model.StatusResolved {
			resolved++
		}
		if slices.Contains(tk.Tags, "VIP") {
			tagged++
		}
		if tk.Assignee != "bob" {
			t.Fatalf("#%d assigned to %q", tk.ID, tk.Assignee)
		}
	}
	if resolved != 2 || tagged != 1 {
		t.Fatalf("resolved %d, tagged %d", resolved, tagged)
	}
	// Purge: only from the Trash, after a question.
	keysTo(t, r, "space", "D", "y")
	chooseView(t, r, in, "Trash")
	keysTo(t, r, "*", "P")
	if c, ok := r.top().(*confirm); !ok || !strings.Contains(c.question, "Erase 1 ticket for good?") {
		t.Fatalf("P opened %T", r.top())
	}
	keysTo(t, r, "y")
	if r.status.text != "1 ticket purged" || len(in.list.rows) != 0 {
		t.Fatalf("status %+v, rows %d", r.status, len(in.list.rows))
	}
	if tks, _ := a.ListTickets(ctx, app.TicketQuery{}); len(tks) != 4 {
		t.Fatalf("%d tickets left", len(tks))
	}
}
