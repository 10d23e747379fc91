package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"cxinbox/app"
	"cxinbox/model"
)

// cpNow pins the clock: 12:00 UTC is 13:00 in Berlin in November.
var cpNow = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

// cpFixture is an app with three contacts: Ann by email, a second Ann from
// a web-chat pre-chat form with the same email (her potential duplicate),
// and a web-chat visitor with a generated name. It returns the contact ids
// in that order.
func cpFixture(t *testing.T) (*app.App, *Context, [3]int64) {
	t.Helper()
	a, err := app.Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	in := func(ch model.Channel, sender, name, text string) model.Inbound {
		id, err := model.NewIdentity(ch, sender)
		if err != nil {
			t.Fatal(err)
		}
		return model.Inbound{Sender: id, SenderName: name, MessageID: "m-" + sender, Text: text, SentAt: cpNow.Add(-time.Hour)}
	}
	mail := in(model.Email, "ann@example.com", "Ann Lee", "Where is my order?")
	mail.Subject = "Order 1234"
	form := in(model.WebChat, "v-ann", "", "hello again")
	form.StartedBy, form.Prechat, form.Country, form.Timezone = model.StartedByVisitor,
		&model.Prechat{Name: "Ann Lee", Email: "ann@example.com"}, "DE", "Europe/Berlin"
	visitor := in(model.WebChat, "v-gen", "", "hi")
	visitor.StartedBy, visitor.Country, visitor.Timezone = model.StartedByWorkflow, "DE", "Europe/Berlin"
	var ids [3]int64
	for i, m := range []model.Inbound{mail, form, visitor} {
		if _, err := a.Ingest(context.Background(), []model.Inbound{m}); err != nil {
			t.Fatal(err)
		}
		cs, err := a.ListContacts(context.Background(), app.ContactPage{Search: m.Sender.Value})
		if err != nil || len(cs) != 1 {
			t.Fatalf("contact of %s: %v %+v", m.Sender, err, cs)
		}
		ids[i] = cs[0].ID
	}
	c := &Context{Ctx: context.Background(), App: a, Agent: "ann", Styles: DefaultStyles(), Now: func() time.Time { return cpNow }}
	return a, c, ids
}

// cpStack stands in for Root and the inbox: a stack of components where
// command results go to the top, dataChangedMsg to every component, and
// status lines and opened contacts are recorded.
type cpStack struct {
	t        *testing.T
	comps    []component
	statuses []statusMsg
	opened   []int64
}

// cpPane builds a focused 60x30 pane showing contact id, loaded.
func cpPane(t *testing.T, c *Context, id int64) (*contactPane, *cpStack) {
	t.Helper()
	p := newContactPane(c)
	p.SetSize(60, 30)
	p.Focus(true)
	h := &cpStack{t: t, comps: []component{p}}
	h.run(p.SetContact(id))
	if !p.loaded {
		t.Fatalf("contact %d did not load: %v", id, p.err)
	}
	return p, h
}

func (h *cpStack) top() component { return h.comps[len(h.comps)-1] }

// run executes cmd and everything it leads to, synchronously.
func (h *cpStack) run(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 1000 {
			h.t.Fatal("commands never settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
			// tea.Batch and tea.Sequence (whose type is unexported): their
			// commands run in order, which a sequence needs.
			for i := range v.Len() {
				queue = append(queue, v.Index(i).Interface().(tea.Cmd))
			}
			continue
		}
		switch m := msg.(type) {
		case nil:
		case openMsg:
			if _, ok := m.c.(dialog); ok {
				m.c.SetSize(70, 20)
			} else {
				m.c.SetSize(60, 30)
			}
			h.comps = append(h.comps, m.c)
			if i, ok := m.c.(interface{ Init() tea.Cmd }); ok {
				queue = append(queue, i.Init())
			}
		case closeMsg:
			if len(h.comps) > 1 {
				h.comps = h.comps[:len(h.comps)-1]
			}
		case statusMsg:
			h.statuses = append(h.statuses, m)
		case openContactMsg:
			h.opened = append(h.opened, m.id)
		case dataChangedMsg:
			for _, c := range h.comps {
				queue = append(queue, c.Update(m))
			}
		default:
			queue = append(queue, h.top().Update(m))
		}
	}
}

// press sends keys to the top component: names like "enter", "ctrl+s",
// "shift+tab", or one printable character.
func (h *cpStack) press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.run(h.top().Update(cpKey(k)))
	}
}

// typeText types s into the top component; "\n" is enter.
func (h *cpStack) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		if r == '\n' {
			h.press("enter")
			continue
		}
		h.run(h.top().Update(tea.KeyPressMsg{Code: r, Text: string(r)}))
	}
}

func cpKey(k string) tea.KeyPressMsg {
	special := map[string]rune{"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "up": tea.KeyUp,
		"down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight, "delete": tea.KeyDelete, "backspace": tea.KeyBackspace}
	switch {
	case k == "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case k == "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case strings.HasPrefix(k, "ctrl+"):
		return tea.KeyPressMsg{Code: rune(k[len(k)-1]), Mod: tea.ModCtrl}
	case special[k] != 0:
		return tea.KeyPressMsg{Code: special[k]}
	}
	return tea.KeyPressMsg{Code: rune(k[0]), Text: k}
}

// lastStatus is the latest status line, failing the test if it was an error.
func (h *cpStack) lastStatus() string {
	h.t.Helper()
	if len(h.statuses) == 0 {
		h.t.Fatal("no status line")
	}
	s := h.statuses[len(h.statuses)-1]
	if s.err {
		h.t.Fatalf("status is an error: %s", s.text)
	}
	return s.text
}

// plainView is a component's view without colours, as golden files hold it.
func plainView(c component) string { return ansi.Strip(c.View()) }

// selectItem moves the pane's cursor to the first item of kind.
func selectItem(t *testing.T, p *contactPane, h *cpStack, kind paneItemKind) {
	t.Helper()
	for range 100 {
		if it, ok := p.selected(); ok && it.kind == kind {
			return
		}
		h.press("j")
	}
	t.Fatalf("no item of kind %d in\n%s", kind, plainView(p))
}

func TestContactPaneShowsContact(t *testing.T) {
	_, c, ids := cpFixture(t)
	p, _ := cpPane(t, c, ids[1])
	out := plainView(p)
	for _, want := range []string{"Ann Lee", "CHAT v-ann", "DE · 13:00 Europe/Berlin", "1 potential duplicate",
		"Lead stage  Lead", "subscribed", "ann@example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("pane lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "(generated)") {
		t.Errorf("a name from a pre-chat form is marked generated:\n%s", out)
	}
	golden.RequireEqual(t, []byte(out))
}

func TestContactPaneMarksGeneratedName(t *testing.T) {
	_, c, ids := cpFixture(t)
	p, _ := cpPane(t, c, ids[2])
	out := plainView(p)
	if !strings.Contains(out, model.GeneratedName("v-gen")+" (generated)") {
		t.Errorf("generated name not marked:\n%s", out)
	}
	if strings.Contains(out, "potential duplicate") {
		t.Errorf("a lone visitor has no duplicates:\n%s", out)
	}
	golden.RequireEqual(t, []byte(out))
}

func TestContactPaneEmailContact(t *testing.T) {
	_, c, ids := cpFixture(t)
	p, _ := cpPane(t, c, ids[0])
	out := plainView(p)
	for _, want := range []string{"MAIL ann@example.com", "Location    unknown"} {
		if !strings.Contains(out, want) {
			t.Errorf("pane lacks %q:\n%s", want, out)
		}
	}
}

func TestContactPaneNoContact(t *testing.T) {
	_, c, _ := cpFixture(t)
	p := newContactPane(c)
	p.SetSize(60, 30)
	if cmd := p.SetContact(0); cmd != nil {
		t.Fatal("no contact needs no load")
	}
	if got := plainView(p); got != "No contact" {
		t.Fatalf("view %q", got)
	}
}

func TestContactPaneDropsStaleLoad(t *testing.T) {
	_, c, ids := cpFixture(t)
	p := newContactPane(c)
	p.SetSize(60, 30)
	first := p.SetContact(ids[0])
	second := p.SetContact(ids[2])
	p.Update(second())
	p.Update(first()) // arrives late: dropped
	if out := plainView(p); !strings.Contains(out, model.GeneratedName("v-gen")) {
		t.Fatalf("stale load won:\n%s", out)
	}
	// Another pane's reply is not ours either.
	other := newContactPane(c)
	other.SetSize(60, 30)
	msg := other.SetContact(ids[0])()
	p.Update(msg)
	if out := plainView(p); strings.Contains(out, "MAIL") {
		t.Fatalf("took another pane's contact:\n%s", out)
	}
}

func TestContactPaneReloadsOnChange(t *testing.T) {
	a, c, ids := cpFixture(t)
	p, h := cpPane(t, c, ids[1])
	if err := a.AddNote(context.Background(), "bob", ids[1], "VIP customer, be nice"); err != nil {
		t.Fatal(err)
	}
	if cmd := p.Update(dataChangedMsg{Source: "local", ContactIDs: []int64{ids[0]}}); cmd != nil {
		t.Fatal("reloaded for another contact's change")
	}
	h.run(func() tea.Msg { return dataChangedMsg{Source: "external"} })
	if out := plainView(p); !strings.Contains(out, "VIP customer, be nice") || !strings.Contains(out, "bob") {
		t.Fatalf("external change not shown:\n%s", out)
	}
}

func TestContactPaneOpensDetails(t *testing.T) {
	_, c, ids := cpFixture(t)
	_, h := cpPane(t, c, ids[1])
	h.press("enter")
	h.press("d")
	if len(h.opened) != 2 || h.opened[0] != ids[1] || h.opened[1] != ids[1] {
		t.Fatalf("opened %v, want contact %d twice", h.opened, ids[1])
	}
}

func TestContactPaneRemovesTag(t *testing.T) {
	a, c, ids := cpFixture(t)
	for _, tag := range []string{"VIP", "billing"} {
		if err := a.TagContact(context.Background(), "ann", ids[1], tag, true); err != nil {
			t.Fatal(err)
		}
	}
	p, h := cpPane(t, c, ids[1])
	h.press("x") // not on a tag: nothing
	if len(h.statuses) != 0 {
		t.Fatalf("x off a tag did something: %v", h.statuses)
	}
	selectItem(t, p, h, itemTag)
	it, _ := p.selected()
	h.press("x")
	if got := h.lastStatus(); got != "tag "+it.key+" removed" {
		t.Fatalf("status %q", got)
	}
	if len(p.d.Tags) != 1 || p.d.Tags[0] == it.key {
		t.Fatalf("tags after removing %s: %v", it.key, p.d.Tags)
	}
	if it, _ := p.selected(); it.kind != itemTag {
		t.Fatalf("cursor left the tags: %+v", it)
	}
	h.press("delete")
	if !strings.Contains(plainView(p), "no tags") {
		t.Fatalf("delete did not remove the last tag:\n%s", plainView(p))
	}
	d, _ := a.ContactDetails(context.Background(), ids[1])
	if n := countActivity(d, model.ActTagRemoved); n != 2 {
		t.Fatalf("%d tag removals in the timeline, want 2", n)
	}
}

func countActivity(d app.ContactDetails, kind string) int {
	n := 0
	for _, a := range d.Activity {
		if a.Kind == kind {
			n++
		}
	}
	return n
}

func TestContactPaneUnsubscribe(t *testing.T) {
	a, c, ids := cpFixture(t)
	p, h := cpPane(t, c, ids[1])
	h.press("u")
	q, ok := h.top().(*confirm)
	if !ok || q.question != "Unsubscribe Ann Lee from marketing email?" {
		t.Fatalf("u opened %T %+v", h.top(), h.top())
	}
	h.press("y")
	if len(h.comps) != 1 {
		t.Fatal("confirm still open")
	}
	if got := h.lastStatus(); got != "Ann Lee unsubscribed from marketing email" {
		t.Fatalf("status %q", got)
	}
	if ct, _ := a.Contact(context.Background(), ids[1]); !ct.EmailUnsubscribed {
		t.Fatal("not unsubscribed")
	}
	out := plainView(p)
	if !strings.Contains(out, "Marketing   unsubscribed from marketing email") {
		t.Fatalf("pane does not say so:\n%s", out)
	}
	golden.RequireEqual(t, []byte(out))

	// Now u offers the way back.
	h.press("u")
	if q := h.top().(*confirm); q.question != "Resubscribe Ann Lee to marketing email?" {
		t.Fatalf("second u asks %q", q.question)
	}
	h.press("n")
	if ct, _ := a.Contact(context.Background(), ids[1]); !ct.EmailUnsubscribed || len(h.comps) != 1 {
		t.Fatal("no still changed something")
	}
}

func TestContactPaneScrolls(t *testing.T) {
	a, c, ids := cpFixture(t)
	for i := range 12 {
		if err := a.AddNote(context.Background(), "ann", ids[1], fmt.Sprintf("note %d\nsecond line", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.SetField(context.Background(), "ann", ids[1], "plan", "gold"); err != nil {
		t.Fatal(err)
	}
	p, h := cpPane(t, c, ids[1])
	if out := plainView(p); strings.Count(out, "\n")+1 != 30 || strings.Contains(out, "plan") {
		t.Fatalf("want 30 lines, properties below:\n%s", out)
	}
	if !strings.Contains(plainView(p), "note 11") {
		t.Fatal("newest note not first")
	}
	for range 40 {
		h.press("j")
	}
	out := plainView(p)
	if n := strings.Count(out, "\n") + 1; n != 30 {
		t.Fatalf("%d lines at the bottom", n)
	}
	if !strings.Contains(out, "plan        gold") || !strings.Contains(out, "▸ plan") {
		t.Fatalf("bottom not reached with the cursor on the last property:\n%s", out)
	}
	for range 40 {
		h.press("k")
	}
	if out := plainView(p); !strings.HasPrefix(out, "▸ Ann Lee") {
		t.Fatalf("top not reached:\n%s", out)
	}
}

func TestNoteLinesCutWithOneEllipsis(t *testing.T) {
	got := noteLines("one two three four five six seven eight nine ten", 10, 2)
	if len(got) != 2 || got[0] != "one two" || !strings.HasSuffix(got[1], "…") || strings.Count(got[1], "…") != 1 {
		t.Fatalf("%q", got)
	}
	if got := noteLines("short\nnote", 10, 3); len(got) != 2 || got[1] != "note" {
		t.Fatalf("%q", got)
	}
}
