package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"cxinbox/model"
)

// openDrawerOn opens the filter drawer with a short debounce.
func openDrawerOn(t *testing.T, r *Root, in *inbox) *viewBuilder {
	t.Helper()
	keysTo(t, r, "F")
	if !in.drawerOpen || in.drawer == nil {
		t.Fatal("F did not open the drawer")
	}
	in.drawer.debounce = time.Millisecond
	return in.drawer
}

func listNames(in *inbox) []string {
	var out []string
	for _, tk := range in.list.rows {
		out = append(out, tk.ContactName)
	}
	return out
}

func TestFilterDrawerNarrowsTheListAsTyped(t *testing.T) {
	_, r, in := viewsFixture(t)
	d := openDrawerOn(t, r, in)
	if d.cur.kind != bCond || d.col != colValue {
		t.Fatalf("cursor on %+v col %d, not the first condition's value", d.cur, d.col)
	}
	if out := screen(r); !strings.Contains(out, "Filter tickets") || !strings.Contains(out, "Customer 0") {
		t.Fatalf("drawer and list not side by side:\n%s", out)
	}
	typeTo(t, r, "customer 3")
	if got := listNames(in); len(got) != 1 || got[0] != "Customer 3" {
		t.Fatalf("list %v", got)
	}
	// An invalid expression: the list keeps the last valid filter, the
	// drawer says why.
	keysTo(t, r, "up", "right", "right") // Match: all → any → expression
	keysTo(t, r, "down")
	typeTo(t, r, "(1")
	if got := listNames(in); len(got) != 1 {
		t.Fatalf("list followed an invalid filter: %v", got)
	}
	out := screen(r)
	if !strings.Contains(out, "Invalid logical expression: unclosed parenthesis at 1") || !strings.Contains(out, "keeps the last valid filter") {
		t.Fatalf("no error in the drawer:\n%s", out)
	}
	typeTo(t, r, ")")
	// Esc closes the drawer; the filter stays, marked; F edits it again; X clears it.
	keysTo(t, r, "esc")
	if in.drawerOpen || !in.list.Filtered() || len(in.list.rows) != 1 {
		t.Fatalf("after esc: open %v, filtered %v, rows %d", in.drawerOpen, in.list.Filtered(), len(in.list.rows))
	}
	if out := screen(r); !strings.Contains(out, "filtered") {
		t.Fatalf("no filtered marker:\n%s", out)
	}
	keysTo(t, r, "F")
	if in.drawer != d || d.expr.Value() != "(1)" {
		t.Fatal("F did not reopen the same drawer")
	}
	keysTo(t, r, "esc", "X")
	if in.list.Filtered() || len(in.list.rows) != 5 || in.drawer != nil {
		t.Fatalf("X: filtered %v, rows %d", in.list.Filtered(), len(in.list.rows))
	}
}

func TestFilterDrawerDropsStaleTicks(t *testing.T) {
	_, r, in := viewsFixture(t)
	d := openDrawerOn(t, r, in)
	// Type without running the commands: each key schedules a tick.
	var ticks []tea.Cmd
	for _, c := range "customer 2" {
		_, cmd := r.Update(tea.KeyPressMsg{Code: c, Text: string(c)})
		ticks = append(ticks, cmd)
	}
	loads := in.list.seq
	for _, cmd := range ticks[:len(ticks)-1] {
		settle(t, r, cmd)
	}
	if in.list.seq != loads || in.list.Filtered() {
		t.Fatalf("a stale tick reached the list (loads %d → %d)", loads, in.list.seq)
	}
	settle(t, r, ticks[len(ticks)-1])
	if got := listNames(in); len(got) != 1 || got[0] != "Customer 2" {
		t.Fatalf("the latest tick: list %v", got)
	}
	if in.list.seq != loads+1 {
		t.Fatalf("%d loads for one filter", in.list.seq-loads)
	}
	// A late tick (the first one, arriving now) does nothing.
	settle(t, r, func() tea.Msg { return filterTickMsg{from: d, seq: 1} })
	if in.list.seq != loads+1 {
		t.Fatal("a stale tick reloaded the list")
	}
}

func TestFilterDrawerSavesAsAView(t *testing.T) {
	a, r, in := viewsFixture(t)
	openDrawerOn(t, r, in)
	typeTo(t, r, "customer 4")
	keysTo(t, r, "ctrl+s") // asks a name
	if d := in.drawer; d == nil || !d.askName || d.cur.kind != bName {
		t.Fatal("ctrl+s did not ask for a name")
	}
	typeTo(t, r, "Fours")
	keysTo(t, r, "ctrl+s")
	vs, err := a.Views(context.Background(), "ann")
	if err != nil || len(vs) != 1 || vs[0].Name != "Fours" || vs[0].Filter.Conditions[0] != (model.Condition{Field: model.FieldContactName, Op: model.OpContains, Value: "customer 4"}) {
		t.Fatalf("views %+v, err %v", vs, err)
	}
	if in.drawerOpen || in.list.Filtered() || in.list.base.saved == nil || in.list.base.saved.ID != vs[0].ID {
		t.Fatalf("the saved view is not the list's: open %v, base %+v", in.drawerOpen, in.list.base)
	}
	if got := listNames(in); len(got) != 1 || got[0] != "Customer 4" {
		t.Fatalf("list %v", got)
	}
	// F on a saved view starts from its conditions.
	keysTo(t, r, "F")
	if f := in.drawer.filter(); len(f.Conditions) != 1 || f.Conditions[0].Value != "customer 4" {
		t.Fatalf("drawer starts from %+v", f)
	}
}
