package ui

import (
	"context"
	"errors"
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

// dupNow pins the clock of the duplicates screens' tests.
var dupNow = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

// dupIDs are the contacts of dupFixture.
type dupIDs struct {
	ann, annChat, annWA    int64 // Ann by email; from a chat form with her email; on WhatsApp, her email set later
	bob, bobChat           int64 // Bob by SMS; "Robert" from a chat form with his phone
	carla, carlaChat       int64 // Carla by email; from a chat form with a +tag variant of her email
	visitor                int64 // a visitor with a generated name: nobody's duplicate
	pairsOfAnn, pairsTotal int
}

// dupFixture is a small database with four open pairs at fixed times:
// (ann, annChat) same email and name, (ann, annWA) and (annChat, annWA)
// same email and name, (bob, bobChat) same phone, (carla, carlaChat) email
// equal up to dots and +tag with the same name.
func dupFixture(t *testing.T) (*app.App, *Context, dupIDs) {
	t.Helper()
	a, err := app.Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx := context.Background()
	n := 0
	in := func(ch model.Channel, sender, name, subject, text string) model.Inbound {
		n++
		id, err := model.NewIdentity(ch, sender)
		if err != nil {
			t.Fatal(err)
		}
		return model.Inbound{Sender: id, SenderName: name, MessageID: fmt.Sprintf("dup-%d", n), Subject: subject, Text: text,
			SentAt: dupNow.Add(-time.Duration(20-n) * time.Hour)}
	}
	chat := func(cookie, text string, form *model.Prechat, country, tz string) model.Inbound {
		m := in(model.WebChat, cookie, "", "", text)
		m.StartedBy, m.Prechat, m.Country, m.Timezone = model.StartedByVisitor, form, country, tz
		if form == nil {
			m.StartedBy = model.StartedByWorkflow
		}
		return m
	}
	var ids dupIDs
	step := func(m model.Inbound, into *int64) {
		if _, err := a.Ingest(ctx, []model.Inbound{m}); err != nil {
			t.Fatal(err)
		}
		cs, err := a.ListContacts(ctx, app.ContactPage{Search: m.Sender.Value})
		if err != nil || len(cs) != 1 {
			t.Fatalf("contact of %s: %v %+v", m.Sender, err, cs)
		}
		*into = cs[0].ID
	}
	step(in(model.Email, "ann@example.com", "Ann Lee", "Order 1234", "Where is my order?"), &ids.ann)
	step(chat("v-ann", "hello again, any news on 1234?", &model.Prechat{Name: "Ann Lee", Email: "ann@example.com", Company: "Lee Design"},
		"DE", "Europe/Berlin"), &ids.annChat)
	step(in(model.SMS, "+12025550143", "Bob Stone", "", "Is my refund through?"), &ids.bob)
	step(chat("v-bob", "Refund status?", &model.Prechat{Name: "Robert Stone", Phone: "+12025550143"}, "US", "America/New_York"), &ids.bobChat)
	step(in(model.Email, "carla.diaz@example.com", "Carla Diaz", "Invoice", "Please resend the invoice."), &ids.carla)
	step(chat("v-carla", "invoice?", &model.Prechat{Name: "Carla Díaz", Email: "carladiaz+shop@example.com"}, "ES", "Europe/Madrid"), &ids.carlaChat)
	step(chat("v-gen", "hi", nil, "DE", "Europe/Berlin"), &ids.visitor)
	step(in(model.WhatsApp, "+4915112345678", "Ann Lee", "", "Hallo!"), &ids.annWA)
	for _, err := range []error{
		a.SetField(ctx, "ann", ids.annWA, "email", "ann@example.com"),
		a.SetField(ctx, "ann", ids.ann, "lead_stage", "customer"),
		a.SetField(ctx, "ann", ids.ann, "phone", "+4930901820"),
		a.TagContact(ctx, "ann", ids.ann, "vip", true),
		a.TagContact(ctx, "ann", ids.ann, "billing", true),
		a.TagContact(ctx, "ann", ids.annChat, "vip", false),
		a.Unsubscribe(ctx, "ann", ids.ann),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	ps, err := a.DuplicatesOf(ctx, ids.ann)
	if err != nil || len(ps) != 2 {
		t.Fatalf("pairs of ann: %v %v", ps, err)
	}
	ids.pairsOfAnn = len(ps)
	all, err := a.Duplicates(ctx, app.DupPage{Limit: 50})
	if err != nil || len(all) < 4 {
		t.Fatalf("pairs: %v %v", all, err)
	}
	ids.pairsTotal = len(all)
	c := &Context{Ctx: ctx, App: a, Agent: "ann", Styles: DefaultStyles(), Now: func() time.Time { return dupNow }}
	return a, c, ids
}

// dupStack stands in for Root: a stack of components where, as in Root,
// keys go to the top and every other message to all of them (each drops
// what is not its own), while statuses are recorded.
type dupStack struct {
	t        *testing.T
	comps    []component
	statuses []statusMsg
	w, h     int // the size of screens it opens
}

// onStack builds comp at w×h as the bottom of a test stack and runs its Init.
func onStack(t *testing.T, comp component, w, h int) *dupStack {
	t.Helper()
	comp.SetSize(w, h)
	st := &dupStack{t: t, comps: []component{comp}, w: w, h: h}
	if i, ok := comp.(interface{ Init() tea.Cmd }); ok {
		st.run(i.Init())
	}
	return st
}

func (h *dupStack) top() component { return h.comps[len(h.comps)-1] }

// run executes cmd and everything it leads to, synchronously; a batch's
// or a sequence's commands run in order.
func (h *dupStack) run(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 10000 {
			h.t.Fatal("commands never settle")
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
		switch m := msg.(type) {
		case nil:
		case openMsg:
			if _, ok := m.c.(dialog); ok {
				m.c.SetSize(76, 22)
			} else {
				m.c.SetSize(h.w, h.h)
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
		default:
			for _, c := range h.comps {
				queue = append(queue, c.Update(m))
			}
		}
	}
}

func (h *dupStack) press(keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		h.run(h.top().Update(cpKey(k)))
	}
}

func requireFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("%d lines at %dx%d", len(lines), w, h)
	}
	for _, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("a line is %d cells wide at %dx%d: %q", lw, w, h, ansi.Strip(l))
		}
	}
}

func TestCompareGolden(t *testing.T) {
	_, c, ids := dupFixture(t)
	cases := []struct {
		name string
		w, h int
		keys []string
	}{
		{"contact_walk_at_120x40", 120, 40, nil},
		{"contact_walk_at_80x24", 80, 24, nil},
		{"short_terminal_at_80x16", 80, 16, nil},
		{"short_terminal_tab_to_tickets_at_80x16", 80, 16, []string{"tab", "tab", "tab"}},
		{"skipped_to_second_pair_at_80x24", 80, 24, []string{"s"}},
		{"no_more_pairs_at_80x24", 80, 24, []string{"s", "s"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := newCompareForContact(c, ids.ann, "Ann Lee")
			st := onStack(t, cs, tc.w, tc.h)
			st.press(tc.keys...)
			v := plainView(cs)
			requireFits(t, cs.View(), tc.w, tc.h)
			golden.RequireEqual(t, []byte(v))
		})
	}
}

func TestCompareShowsBothContactsAndWhy(t *testing.T) {
	_, c, ids := dupFixture(t)
	cs := newCompareForContact(c, ids.bob, "Bob Stone")
	onStack(t, cs, 120, 40)
	contactRequire(t, plainView(cs), "pair 1 of 1 · for #3 Bob Stone", "0.95 — likely the same person", "same phone",
		"≠ Name", "Bob Stone", "Robert Stone", "  Phone", "+12025550143", "SMS  +12025550143", "CHAT v-bob",
		"Is my refund through?", "Refund status?", fmt.Sprintf("Contact #%d · 1 ticket", ids.bobChat))
	// The walked contact is on the left.
	for _, l := range strings.Split(plainView(cs), "\n") {
		if strings.Contains(l, "Name") && strings.Index(l, "Bob Stone") > strings.Index(l, "Robert Stone") {
			t.Fatalf("Bob is not on the left: %q", l)
		}
	}
}

func TestCompareMarksGeneratedNames(t *testing.T) {
	a, c, _ := dupFixture(t)
	ctx := context.Background()
	// A visitor without a form, later given the same phone as a contact.
	m := model.Inbound{Sender: model.Identity{Channel: model.WebChat, Value: "v-anon"}, MessageID: "anon-1", Text: "hi",
		SentAt: dupNow.Add(-time.Minute), StartedBy: model.StartedByWorkflow}
	if _, err := a.Ingest(ctx, []model.Inbound{m}); err != nil {
		t.Fatal(err)
	}
	anon := contactByName(t, a, model.GeneratedName("v-anon"))
	if err := a.SetField(ctx, "ann", anon, "phone", "+12025550143"); err != nil {
		t.Fatal(err)
	}
	cs := newCompareForContact(c, anon, model.GeneratedName("v-anon"))
	onStack(t, cs, 120, 40)
	contactRequire(t, plainView(cs), model.GeneratedName("v-anon")+" (generated)", "generated name: no name evidence")
}

func TestCompareSkipAndNotDuplicateWalkTheContactsPairs(t *testing.T) {
	a, c, ids := dupFixture(t)
	ctx := context.Background()
	cs := newCompareForContact(c, ids.ann, "Ann Lee")
	st := onStack(t, cs, 120, 40)
	first := cs.shown
	if !first.has(ids.ann) || cs.x != ids.ann {
		t.Fatalf("first pair %v, left #%d", first, cs.x)
	}
	st.press("s")
	if cs.shown == first || !cs.shown.has(ids.ann) || !strings.Contains(plainView(cs), "Skipped") {
		t.Fatalf("s did not move on: %v\n%s", cs.shown, plainView(cs))
	}
	if ps, _ := a.DuplicatesOf(ctx, ids.ann); len(ps) != ids.pairsOfAnn {
		t.Fatalf("skip recorded something: %v", ps)
	}
	second := cs.shown
	st.press("n")
	v := plainView(cs)
	contactRequire(t, v, fmt.Sprintf("✓ #%d and #%d recorded as not a duplicate", cs.x, cs.y), "No more potential duplicates of")
	_ = v
	ps, err := a.DuplicatesOf(ctx, ids.ann)
	if err != nil || len(ps) != ids.pairsOfAnn-1 || pairKeyOf(ps[0]) != first {
		t.Fatalf("after n: %v %v (want only %v)", ps, err, first)
	}
	cmp, err := a.Compare(ctx, second[0], second[1])
	if err != nil || !cmp.Dismissed {
		t.Fatalf("pair %v not dismissed: %v", second, err)
	}
	// A change to Ann reloads the walk; the skipped pair stays skipped.
	st.run(cs.Update(dataChangedMsg{ContactIDs: []int64{ids.ann}}))
	if len(cs.pairs) != 0 {
		t.Fatalf("skipped pair came back: %v", cs.pairs)
	}
	if msgs := contactPress(t, cs, "esc"); len(msgs) != 1 || msgs[0] != (closeMsg{}) {
		t.Fatalf("esc: %v", msgs)
	}
}

func TestCompareNotDuplicateRefusedShowsError(t *testing.T) {
	_, c, ids := dupFixture(t)
	cs := newCompareForContact(c, ids.bob, "Bob Stone")
	st := onStack(t, cs, 80, 24)
	cmd := cs.Update(contactKey("n"))
	if !cs.busy || cs.keys.NotDup.Enabled() {
		t.Fatal("n while one is on its way is not blocked")
	}
	_ = cmd // the app's reply is replaced by a refusal
	st.run(cs.Update(pairDismissedMsg{from: cs, x: cs.x, y: cs.y, err: errors.New("contact 3 does not exist")}))
	contactRequire(t, plainView(cs), "Not recorded: contact 3 does not exist", "Robert Stone")
	if len(cs.pairs) != 1 || cs.busy {
		t.Fatalf("refused n moved on: %v", cs.pairs)
	}
}

func TestCompareDropsStaleComparison(t *testing.T) {
	_, c, ids := dupFixture(t)
	cs := newCompareForContact(c, ids.ann, "Ann Lee")
	st := onStack(t, cs, 120, 40)
	stale := contactMsgs(cs.loadComparison())
	st.press("s")
	shown := cs.shown
	for _, m := range stale {
		cs.Update(m)
	}
	if cs.shown != shown || !keyOf(cs.x, cs.y).has(cs.shown[0]) || keyOf(cs.x, cs.y) != shown {
		t.Fatalf("a stale comparison replaced the pair on screen: %v vs #%d/#%d", shown, cs.x, cs.y)
	}
}

func TestCompareFromListReadsTheNextPage(t *testing.T) {
	a, c := manyPairs(t, 2*duplicatesPage+10)
	first, err := a.Duplicates(context.Background(), app.DupPage{Limit: duplicatesPage})
	if err != nil {
		t.Fatal(err)
	}
	cs := newCompareFromList(c, first[3:], true)
	st := onStack(t, cs, 80, 24)
	if cs.shown != pairKeyOf(first[3]) || cs.contact != 0 {
		t.Fatalf("opened at %v, want %v", cs.shown, pairKeyOf(first[3]))
	}
	contactRequire(t, plainView(cs), "pair 1 of 47+")
	for range len(first) - 3 - compareLowWater {
		st.press("s")
	}
	if len(cs.pairs) != compareLowWater+duplicatesPage || !cs.more {
		t.Fatalf("after walking to the low water: %d pairs queued, more %v", len(cs.pairs), cs.more)
	}
	for range len(cs.pairs) - 1 {
		st.press("s")
	}
	if len(cs.pairs) > duplicatesPage+compareLowWater || cs.more {
		t.Fatalf("%d queued, more %v", len(cs.pairs), cs.more)
	}
	for range len(cs.pairs) {
		st.press("s")
	}
	contactRequire(t, plainView(cs), "No more potential duplicates in the list.")
}

func TestCompareMergeFromThePaneUpdatesThePane(t *testing.T) {
	a, c, ids := cpFixture(t)
	ctx := context.Background()
	p := newContactPane(c)
	p.Focus(true)
	h := onStack(t, p, 60, 30)
	h.w = 100
	h.run(p.SetContact(ids[0]))
	contactRequire(t, plainView(p), "1 potential duplicate")
	h.press("D")
	cs, ok := h.top().(*compareScreen)
	if !ok || !cs.loaded {
		t.Fatalf("D opened %T", h.top())
	}
	h.press("m")
	f, ok := h.top().(*mergeForm)
	if !ok || f.keep != ids[0] || !f.planLoaded {
		t.Fatalf("m opened %T (keep #%d, plan %v)", h.top(), f.keep, f.planErr)
	}
	h.press("enter")
	if h.top() != cs {
		t.Fatalf("the form stayed open: %s", plainView(h.top()))
	}
	contactRequire(t, plainView(cs), fmt.Sprintf("Merged contact #%d Ann Lee into #%d Ann Lee — u to undo", ids[1], ids[0]))
	pv := plainView(p)
	if !strings.Contains(pv, "CHAT v-ann") || strings.Contains(pv, "potential duplicate") {
		t.Fatalf("the pane did not take on the merged contact:\n%s", pv)
	}
	d, err := a.ContactDetails(ctx, ids[0])
	if err != nil || len(d.Identities) != 2 {
		t.Fatalf("kept contact after merge: %+v %v", d.Identities, err)
	}
	h.press("u")
	contactRequire(t, plainView(cs), fmt.Sprintf("Merge undone: contact #%d Ann Lee is back", ids[1]))
	if pv := plainView(p); strings.Contains(pv, "CHAT v-ann") {
		t.Fatalf("the pane still shows the merged identity after undo:\n%s", pv)
	}
}
