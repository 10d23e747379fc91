package ui

import (
	"context"
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"cxinbox/app"
	"cxinbox/model"
)

// settle runs cmd and everything it leads to through the root, as the event
// loop would: batches and sequences are opened (a sequence's commands run
// in order), every message goes to Root.Update.
func settle(t *testing.T, r *Root, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 2000 {
			t.Fatal("commands never settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
			for i := range v.Len() {
				queue = append(queue, v.Index(i).Interface().(tea.Cmd))
			}
			continue
		}
		if msg == nil {
			continue
		}
		_, next := r.Update(msg)
		queue = append(queue, next)
	}
}

// keysTo sends keys (names as cpKey reads them) to the root.
func keysTo(t *testing.T, r *Root, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, cmd := r.Update(cpKey(k))
		settle(t, r, cmd)
	}
}

// typeTo types text into whatever has the keyboard.
func typeTo(t *testing.T, r *Root, text string) {
	t.Helper()
	for _, c := range text {
		_, cmd := r.Update(tea.KeyPressMsg{Code: c, Text: string(c)})
		settle(t, r, cmd)
	}
}

func screen(r *Root) string { return ansi.Strip(r.View().Content) }

// viewsFixture is the inbox on five tickets (Customer 0…4), with the rail's
// counts redone at once (the clock is pinned, so no tick would come).
func viewsFixture(t *testing.T) (*app.App, *Root, *inbox) {
	t.Helper()
	a, r := inboxFixture(t)
	in := inboxOf(r)
	in.rail.countEvery = 0
	return a, r, in
}

// builderAlone is a new-view builder at the dialog size, on cpStack.
func builderAlone(t *testing.T, c *Context) (*viewBuilder, *cpStack) {
	t.Helper()
	b := newViewBuilder(c, nil)
	b.SetSize(76, 24)
	h := &cpStack{t: t, comps: []component{b}}
	h.run(b.Init())
	return b, h
}

// fillAnnOrBob types the name and two conditions, and switches to a
// logical expression (focus left on it).
func fillAnnOrBob(h *cpStack) {
	h.typeText("Ann or Bob")
	h.press("tab", "tab", "right", "right") // Public, Match: all → any → expression
	h.press("tab", "tab", "enter")          // Expression, + Add a Condition: row 1
	h.press("tab", "tab")                   // its value
	h.typeText("ann")
	h.press("tab", "enter", "tab", "left", "tab") // + Add: row 2, operator contains → is not, value
	h.typeText("Bob Smith")
	h.press("up", "up") // row 1, then the expression
}

func TestViewBuilderShowsExpressionErrorInlineAndSavesNothing(t *testing.T) {
	a, c, _ := cpFixture(t)
	b, h := builderAlone(t, c)
	fillAnnOrBob(h)
	if b.cur.kind != bExpr {
		t.Fatalf("cursor on %+v, not the expression", b.cur)
	}
	h.typeText("(1 or 2")
	out := plainView(b)
	const msg = "Invalid logical expression: unclosed parenthesis at 1"
	if !strings.Contains(out, msg) {
		t.Fatalf("no inline error:\n%s", out)
	}
	if got, want := caretCell(t, out, "(1 or 2"), 0; got != want {
		t.Fatalf("caret under cell %d of the expression, want %d:\n%s", got, want, out)
	}
	h.press("ctrl+s")
	if b.seq != 0 || b.busy {
		t.Fatal("a save was sent with an invalid expression")
	}
	out = plainView(b)
	if !strings.Contains(out, "fix the expression: nothing was saved") || !strings.Contains(out, msg) {
		t.Fatalf("after ctrl+s:\n%s", out)
	}
	golden.RequireEqual(t, []byte(out))
	if vs, err := a.Views(context.Background(), "ann"); err != nil || len(vs) != 0 {
		t.Fatalf("views %v, err %v", vs, err)
	}
	// Fixing it clears the error as it is typed.
	h.typeText(")")
	if out := plainView(b); strings.Contains(out, "Invalid logical expression") {
		t.Fatalf("error stays after the fix:\n%s", out)
	}
}

// caretCell is where the caret is under the line showing expr, in cells
// from the expression's start.
func caretCell(t *testing.T, out, expr string) int {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if at := strings.Index(l, expr); at >= 0 && i+1 < len(lines) {
			caret := strings.Index(lines[i+1], "^")
			if caret < 0 {
				t.Fatalf("no caret under %q:\n%s", expr, out)
			}
			return ansi.StringWidth(lines[i+1][:caret]) - ansi.StringWidth(l[:at])
		}
	}
	t.Fatalf("%q not shown:\n%s", expr, out)
	return -1
}

func TestViewBuilderCaretFollowsThePosition(t *testing.T) {
	_, c, _ := cpFixture(t)
	b, h := builderAlone(t, c)
	fillAnnOrBob(h)
	h.typeText("1 and 6")
	out := plainView(b)
	if !strings.Contains(out, "Invalid logical expression: condition 6 does not exist at 7") {
		t.Fatalf("no error:\n%s", out)
	}
	if got := caretCell(t, out, "1 and 6"); got != 6 {
		t.Fatalf("caret under cell %d, want 6:\n%s", got, out)
	}
	// Full-width parentheses are two cells wide: the caret counts cells.
	h.press("ctrl+a", "ctrl+k")
	h.typeText("（1） or 7")
	if got := caretCell(t, plainView(b), "（1） or 7"); got != 0 {
		t.Fatalf("caret under cell %d, want 0:\n%s", got, plainView(b))
	}
	h.press("ctrl+a", "ctrl+k")
	h.typeText("1 or （2")
	if got := caretCell(t, plainView(b), "1 or （2"); got != 5 {
		t.Fatalf("caret under cell %d, want 5:\n%s", got, plainView(b))
	}
}

func TestViewBuilderConditionRows(t *testing.T) {
	_, c, _ := cpFixture(t)
	b, h := builderAlone(t, c)
	fillAnnOrBob(h)
	out := plainView(b)
	for _, want := range []string{"1   Contact Name", "contains", "ann", "2   Contact Name", "is not", "Bob Smith", "+ Add a Condition"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in\n%s", want, out)
		}
	}
	// x deletes the row under the cursor when not typing in its value;
	// ctrl+d anywhere in the row.
	h.press("down", "shift+tab", "shift+tab", "x") // row 1's field column
	if len(b.conds) != 1 || b.conds[0].value.Value() != "Bob Smith" {
		t.Fatalf("after x: %+v", b.filter())
	}
	h.press("tab", "tab", "ctrl+d")
	if len(b.conds) != 0 {
		t.Fatalf("after ctrl+d: %+v", b.filter())
	}
	// The field cycles over every filter field, the operator over its own.
	h.press("enter", "right", "right")
	if got := b.conds[0]; got.field != model.FilterFields[2] || !containsOp(model.OperatorsFor(got.field), got.op) {
		t.Fatalf("field %s op %s", got.field, got.op)
	}
	if got := b.conds[0].value.Value(); got != "open" { // status: a listed value
		t.Fatalf("status value %q", got)
	}
}

func TestViewBuilderEscAsksWhenDirty(t *testing.T) {
	_, c, _ := cpFixture(t)
	_, h := builderAlone(t, c)
	h.press("esc")
	if _, asked := h.top().(*confirm); asked {
		t.Fatal("asked with nothing to lose")
	}
	b, h := builderAlone(t, c)
	h.typeText("x")
	h.press("esc")
	if _, ok := h.top().(*confirm); !ok || len(h.comps) != 2 || b.Dirty() != true {
		t.Fatalf("no question: top %T", h.top())
	}
}

func TestViewBuilderSaveAddsTheViewToTheRail(t *testing.T) {
	a, r, in := viewsFixture(t)
	in.setFocus(paneRail)
	keysTo(t, r, "+")
	b, ok := r.top().(*viewBuilder)
	if !ok {
		t.Fatalf("+ opened %T", r.top())
	}
	typeTo(t, r, "Customer 3")
	keysTo(t, r, "tab", "tab", "tab", "enter", "tab", "tab") // Public, Match, + Add, row 1's value
	typeTo(t, r, "customer 3")
	keysTo(t, r, "ctrl+s")
	if b.err != nil || r.top() == component(b) {
		t.Fatalf("not saved: %v\n%s", b.err, screen(r))
	}
	if r.status.text != `view "Customer 3" saved` {
		t.Fatalf("status %q", r.status.text)
	}
	vs, err := a.Views(context.Background(), "ann")
	if err != nil || len(vs) != 1 || vs[0].Filter.Conditions[0].Value != "customer 3" {
		t.Fatalf("views %+v, err %v", vs, err)
	}
	last := in.rail.views[len(in.rail.views)-1]
	if last.saved == nil || last.name != "Customer 3" {
		t.Fatalf("rail %+v", last)
	}
	if got := in.rail.countText(vs[0].ID); got != "1" {
		t.Fatalf("count %q", got)
	}
	if out := ansi.Strip(in.rail.View()); !strings.Contains(out, "Customer 3") {
		t.Fatalf("rail:\n%s", out)
	}
	// Opening it shows its tickets.
	in.rail.cursor = len(in.rail.views) - 1
	keysTo(t, r, "enter")
	if len(in.list.rows) != 1 || in.list.rows[0].ContactName != "Customer 3" {
		t.Fatalf("list %+v", in.list.rows)
	}
}

func TestViewBuilderShowsTheAppsRefusal(t *testing.T) {
	a, c, _ := cpFixture(t)
	ctx := context.Background()
	v, err := a.CreateView(ctx, "bob", app.View{Name: "Bob's", Public: true,
		Filter: model.Filter{Match: model.MatchAll, Conditions: []model.Condition{{Field: model.FieldContactName, Op: model.OpContains, Value: "ann"}}}})
	if err != nil {
		t.Fatal(err)
	}
	b := newViewBuilder(c, &v)
	b.SetSize(76, 24)
	h := &cpStack{t: t, comps: []component{b}}
	h.run(b.Init())
	h.typeText(" too")
	h.press("ctrl+s")
	if b.err == nil || !strings.Contains(plainView(b), b.err.Error()[:20]) {
		t.Fatalf("no refusal shown (err %v):\n%s", b.err, plainView(b))
	}
	if got, _ := a.ViewByRef(ctx, "bob", "Bob's"); got.Name != "Bob's" {
		t.Fatalf("view changed: %+v", got)
	}
}
