package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"cxinbox/app"
	"cxinbox/model"
)

// contactNow is the pinned clock of the contact screens' tests.
var contactNow = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

// contactEnv opens a real app on a temporary database.
func contactEnv(t *testing.T) (*app.App, *Context) {
	t.Helper()
	a, err := app.Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, &Context{Ctx: context.Background(), App: a, Agent: "ann", Styles: DefaultStyles(),
		Now: func() time.Time { return contactNow }}
}

var contactMsgN int

// contactInbound builds a valid inbound message at a pinned time.
func contactInbound(t *testing.T, ch model.Channel, sender, name, subject, text string) model.Inbound {
	t.Helper()
	contactMsgN++
	id, err := model.NewIdentity(ch, sender)
	if err != nil {
		t.Fatal(err)
	}
	return model.Inbound{Sender: id, SenderName: name, MessageID: fmt.Sprintf("cm%d", contactMsgN), Subject: subject,
		Text: text, SentAt: contactNow.Add(-time.Duration(contactMsgN) * time.Hour)}
}

func contactIngest(t *testing.T, a *app.App, msgs ...model.Inbound) {
	t.Helper()
	if _, err := a.Ingest(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
}

// contactByName finds a contact's id through the app's own search.
func contactByName(t *testing.T, a *app.App, name string) int64 {
	t.Helper()
	cs, err := a.ListContacts(context.Background(), app.ContactPage{Search: name})
	if err != nil || len(cs) == 0 {
		t.Fatalf("no contact %q: %v", name, err)
	}
	return cs[0].ID
}

// contactMsgs runs cmd and returns the messages it produces, batches
// flattened, without feeding them anywhere.
func contactMsgs(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch m := cmd().(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range m {
			out = append(out, contactMsgs(c)...)
		}
		return out
	default:
		return []tea.Msg{m}
	}
}

// contactRun runs cmd synchronously, feeds what it produces back into comp
// until nothing is left, and returns the messages meant for the root
// (open, close, status), which comp does not handle.
func contactRun(t *testing.T, comp component, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	var toRoot []tea.Msg
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 10000 {
			t.Fatal("commands never settle")
		}
		c := queue[0]
		queue = queue[1:]
		for _, m := range contactMsgs(c) {
			switch m.(type) {
			case openMsg, closeMsg, openContactMsg, statusMsg:
				toRoot = append(toRoot, m)
			default:
				queue = append(queue, comp.Update(m))
			}
		}
	}
	return toRoot
}

// contactKey builds a key press: "enter", "esc", "tab", "up", … or one rune.
func contactKey(k string) tea.KeyPressMsg {
	special := map[string]rune{"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "up": tea.KeyUp,
		"down": tea.KeyDown, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"backspace": tea.KeyBackspace}
	if r, ok := special[k]; ok {
		return tea.KeyPressMsg{Code: r}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// contactPress sends one key and runs what follows from it.
func contactPress(t *testing.T, comp component, k string) []tea.Msg {
	t.Helper()
	return contactRun(t, comp, comp.Update(contactKey(k)))
}

func contactPlain(comp component) string { return ansi.Strip(comp.View()) }

// openDetails builds and loads a Contact Details screen at a size.
func openDetails(t *testing.T, c *Context, id int64, w, h int) *contactDetails {
	t.Helper()
	d := newContactDetails(c, id)
	d.SetSize(w, h)
	contactRun(t, d, d.Init())
	return d
}

func contactRequire(t *testing.T, view string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(view, w) {
			t.Errorf("view lacks %q:\n%s", w, view)
		}
	}
}

func TestContactDetailsShowsFieldsIdentitiesAndTickets(t *testing.T) {
	a, c := contactEnv(t)
	ctx := context.Background()
	contactIngest(t, a, contactInbound(t, model.Email, "kerry@example.com", "Kerry Fisher", "Order 1182 is late", "Where is it?"))
	id := contactByName(t, a, "Kerry")
	if _, err := a.AddIdentity(ctx, "ann", id, model.WhatsApp, "+1 631 555 1181"); err != nil {
		t.Fatal(err)
	}
	for f, v := range map[string]string{"company": "Acme", "country": "DE", "timezone": "Europe/Berlin", "language": "de"} {
		if err := a.SetField(ctx, "ann", id, f, v); err != nil {
			t.Fatal(err)
		}
	}
	contactIngest(t, a, contactInbound(t, model.WhatsApp, "16315551181", "Kerry", "", "Any news on my order?"))

	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		d := openDetails(t, c, id, size[0], size[1])
		v := contactPlain(d)
		for d.offset[0] < d.maxOffset(0) { // one column: page down through all of it
			contactPress(t, d, "pgdown")
			v += "\n" + contactPlain(d)
		}
		contactRequire(t, v, fmt.Sprintf("Contact #%d", id), "Kerry Fisher", "Lead", "kerry@example.com", "Acme",
			"Europe/Berlin · local 13:00 Mon", "subscribed", "MAIL kerry@example.com  Email", "WA   +16315551181  WhatsApp",
			"Tickets 2", "Order 1182 is late", "Any news on my order?")
		for _, l := range strings.Split(v, "\n") {
			if w := ansi.StringWidth(l); w > size[0] {
				t.Fatalf("line is %d cells wide at %dx%d: %q", w, size[0], size[1], l)
			}
		}
		if n := strings.Count(contactPlain(d), "\n") + 1; n > size[1] {
			t.Fatalf("%d lines at %dx%d", n, size[0], size[1])
		}
	}
}

func TestContactDetailsTimelineShowsPaneChangesAtOnce(t *testing.T) {
	a, c := contactEnv(t)
	ctx := context.Background()
	contactIngest(t, a, contactInbound(t, model.SMS, "+12346666668", "", "", "hi"))
	id := contactByName(t, a, "+12346666668")
	d := openDetails(t, c, id, 120, 40)
	contactRequire(t, contactPlain(d), "contact created", "system")

	// A change to another contact does not reload this one.
	if cmd := d.Update(dataChangedMsg{ContactIDs: []int64{id + 1}}); cmd != nil {
		t.Fatal("reloaded for another contact's change")
	}
	if err := a.TagContact(ctx, "ann", id, "vip", true); err != nil {
		t.Fatal(err)
	}
	if err := a.AddNote(ctx, "ann", id, "Prefers a call after 5pm."); err != nil {
		t.Fatal(err)
	}
	if err := a.SetField(ctx, "ann", id, "plan", "gold"); err != nil {
		t.Fatal(err)
	}
	if err := a.Unsubscribe(ctx, "ann", id); err != nil {
		t.Fatal(err)
	}
	contactRun(t, d, d.Update(dataChangedMsg{ContactIDs: []int64{id}}))
	v := contactPlain(d)
	contactRequire(t, v, "tag added", "vip", "note added", "Prefers a call after 5pm.", "property changed",
		`plan: "" → "gold"`, "unsubscribed", "Properties 1", "plan", "gold", "Notes 1", "(no marketing email)")
	if !strings.Contains(v, "ann      tag added") {
		t.Errorf("the timeline does not name the agent:\n%s", v)
	}
}

func TestContactDetailsUnknownContactSaysWhich(t *testing.T) {
	_, c := contactEnv(t)
	d := openDetails(t, c, 999, 80, 24)
	v := contactPlain(d)
	contactRequire(t, v, "Could not load contact #999", "contact 999 does not exist")
	if msgs := contactPress(t, d, "esc"); len(msgs) != 1 || msgs[0] != (closeMsg{}) {
		t.Fatalf("esc: %v", msgs)
	}
}

func TestContactDetailsDropsStaleLoad(t *testing.T) {
	a, c := contactEnv(t)
	contactIngest(t, a, contactInbound(t, model.Email, "old@example.com", "Old Name", "s", "hi"))
	id := contactByName(t, a, "Old Name")
	d := newContactDetails(c, id)
	d.SetSize(120, 40)
	stale := contactMsgs(d.Init())
	if err := a.SetField(context.Background(), "ann", id, "name", "New Name"); err != nil {
		t.Fatal(err)
	}
	contactRun(t, d, d.Update(dataChangedMsg{Source: "external"}))
	for _, m := range stale {
		d.Update(m)
	}
	if v := contactPlain(d); !strings.HasPrefix(v, fmt.Sprintf("Contact #%d · New Name", id)) {
		t.Fatalf("a stale load won:\n%s", v)
	}
}

func TestContactDetailsEnterOpensPotentialDuplicate(t *testing.T) {
	a, c := contactEnv(t)
	chat := func(cookie string) model.Inbound {
		m := contactInbound(t, model.WebChat, cookie, "", "", "hello")
		m.StartedBy, m.Prechat, m.Country, m.Timezone = model.StartedByVisitor,
			&model.Prechat{Name: "Ann Lee", Email: "ann@example.com"}, "DE", "Europe/Berlin"
		return m
	}
	contactIngest(t, a, chat("v-1"))
	contactIngest(t, a, chat("v-2"))
	cs, err := a.ListContacts(context.Background(), app.ContactPage{})
	if err != nil || len(cs) != 2 {
		t.Fatalf("%v %v", cs, err)
	}
	d := openDetails(t, c, cs[1].ID, 80, 24)
	contactRequire(t, contactPlain(d), fmt.Sprintf("1 potential duplicate: #%d", cs[0].ID))
	msgs := contactPress(t, d, "enter")
	if len(msgs) != 1 || msgs[0] != (openContactMsg{id: cs[0].ID}) {
		t.Fatalf("enter gave %v", msgs)
	}
}

func TestContactDetailsScrollKeys(t *testing.T) {
	a, c := contactEnv(t)
	contactIngest(t, a, contactInbound(t, model.Email, "busy@example.com", "Busy Bee", "first", "hi"))
	id := contactByName(t, a, "Busy Bee")
	for i := range 30 {
		if err := a.AddNote(context.Background(), "ann", id, fmt.Sprintf("note number %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	d := openDetails(t, c, id, 80, 24)
	contactPress(t, d, "G")
	if !strings.Contains(contactPlain(d), "contact created") {
		t.Fatalf("G does not reach the oldest timeline entry:\n%s", contactPlain(d))
	}
	contactPress(t, d, "g")
	top := d.offset[0]
	contactPress(t, d, "j")
	contactPress(t, d, "pgdown")
	d.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if d.offset[0] != top+1+d.pageHeight()+3 {
		t.Fatalf("offset %d after j, pgdown and a wheel turn", d.offset[0])
	}
	before := d.offset[0]
	contactPress(t, d, "tab")
	if after := d.offset[0]; after <= before || !slices.Contains(d.cache.sections[0], after) {
		t.Fatalf("tab went from line %d to %d, not to the next section of %v", before, after, d.cache.sections[0])
	}
	wide := openDetails(t, c, id, 120, 40)
	contactPress(t, wide, "tab")
	contactPress(t, wide, "G")
	if wide.focus != 1 || wide.offset[1] == 0 || wide.offset[0] != 0 {
		t.Fatalf("tab then G moved the wrong column: focus %d offsets %v", wide.focus, wide.offset)
	}
}

// pinDetails makes a loaded contact's times stable for golden files: ids and
// texts come from the real app, every timestamp from the pinned clock.
func pinDetails(m contactDetailsLoadedMsg) contactDetailsLoadedMsg {
	m.d.CreatedAt = contactNow.Add(-40 * 24 * time.Hour)
	for i := range m.d.Tickets {
		m.d.Tickets[i].LastMessageAt = contactNow.Add(-time.Duration(i*29+3) * time.Hour)
	}
	for i := range m.d.Notes {
		m.d.Notes[i].At = contactNow.Add(-time.Duration(len(m.d.Notes)-i) * 47 * time.Minute)
	}
	for i := range m.d.Activity {
		m.d.Activity[i].At = contactNow.Add(-time.Duration(len(m.d.Activity)-i) * 53 * time.Minute)
	}
	return m
}

func TestContactDetailsGolden(t *testing.T) {
	a, c := contactEnv(t)
	ctx := context.Background()
	contactIngest(t, a, contactInbound(t, model.Email, "kerry@example.com", "Kerry Fisher", "Order 1182 is late", "Where is my order? It was due on Monday."))
	id := contactByName(t, a, "Kerry")
	steps := []error{
		a.SetField(ctx, "ann", id, "company", "Fisher & Sons"),
		a.SetField(ctx, "ann", id, "country", "DE"),
		a.SetField(ctx, "ann", id, "timezone", "Europe/Berlin"),
		a.SetField(ctx, "ann", id, "lead_stage", "customer"),
		a.TagContact(ctx, "ann", id, "vip", true),
		a.TagContact(ctx, "bob", id, "shipping", true),
		a.AddNote(ctx, "ann", id, "Called on Monday: the parcel is stuck in customs in Frankfurt. Promised an update by Wednesday; call after 5pm her time."),
		a.SetField(ctx, "ann", id, "plan", "gold"),
		a.Unsubscribe(ctx, "ann", id),
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.AddIdentity(ctx, "ann", id, model.WhatsApp, "+1 631 555 1181"); err != nil {
		t.Fatal(err)
	}
	contactIngest(t, a, contactInbound(t, model.WhatsApp, "16315551181", "Kerry", "", "Any news on my order?"))

	cases := []struct {
		name string
		w, h int
		keys []string
	}{
		{"two_columns_at_120x40", 120, 40, nil},
		{"one_column_at_80x24", 80, 24, nil},
		{"tab_jumps_to_next_section_at_80x24", 80, 24, []string{"tab", "tab", "tab"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newContactDetails(c, id)
			d.SetSize(tc.w, tc.h)
			for _, m := range contactMsgs(d.Init()) {
				d.Update(pinDetails(m.(contactDetailsLoadedMsg)))
			}
			for _, k := range tc.keys {
				contactPress(t, d, k)
			}
			golden.RequireEqual(t, []byte(contactPlain(d)))
		})
	}
	// Web chat: a visitor without a form gets a generated name; one whose
	// form matches an existing contact becomes a potential duplicate of it.
	chat := func(cookie string, form *model.Prechat) int64 {
		m := contactInbound(t, model.WebChat, cookie, "", "", "hello, anyone there?")
		m.StartedBy, m.Prechat, m.Country, m.Timezone = model.StartedByVisitor, form, "BR", "America/Sao_Paulo"
		if form == nil {
			m.StartedBy = model.StartedByWorkflow
		}
		contactIngest(t, a, m)
		cs, err := a.ListContacts(ctx, app.ContactPage{After: id})
		if err != nil || len(cs) == 0 {
			t.Fatal(cs, err)
		}
		return cs[len(cs)-1].ID
	}
	dupID := chat("v-1", &model.Prechat{Name: "Kerry Fisher", Email: "kerry@example.com"})
	visitorID := chat("v-2", nil)
	for name, cid := range map[string]int64{"web_visitor_with_potential_duplicate_at_80x24": dupID,
		"generated_visitor_name_at_80x24": visitorID} {
		t.Run(name, func(t *testing.T) {
			d := newContactDetails(c, cid)
			d.SetSize(80, 24)
			for _, m := range contactMsgs(d.Init()) {
				d.Update(pinDetails(m.(contactDetailsLoadedMsg)))
			}
			golden.RequireEqual(t, []byte(contactPlain(d)))
		})
	}
	t.Run("unknown_contact_at_80x24", func(t *testing.T) {
		golden.RequireEqual(t, []byte(contactPlain(openDetails(t, c, 4242, 80, 24))))
	})
}
