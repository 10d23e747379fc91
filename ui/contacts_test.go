package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"cxinbox/model"
)

// openContacts builds and loads the Contacts screen at a size.
func openContacts(t *testing.T, c *Context, w, h int) *contactsScreen {
	t.Helper()
	s := newContactsScreen(c)
	s.SetSize(w, h)
	contactRun(t, s, s.Init())
	return s
}

func seedContacts(t *testing.T, n int) *Context {
	t.Helper()
	a, c := contactEnv(t)
	if _, err := a.Seed(context.Background(), n, 2*n, 1, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *contactsScreen) selectedID() int64 {
	if s.cursor >= len(s.rows) {
		return 0
	}
	return s.rows[s.cursor].ID
}

func TestContactsReadsPagesAsTheCursorNearsTheEnd(t *testing.T) {
	c := seedContacts(t, 300)
	s := openContacts(t, c, 120, 40)
	if len(s.rows) != contactsPage || !s.more {
		t.Fatalf("first load: %d rows, more %v", len(s.rows), s.more)
	}
	contactRequire(t, contactPlain(s), "100 loaded · more…", "#1 ")
	for range 70 {
		contactPress(t, s, "j")
	}
	if len(s.rows) != 2*contactsPage {
		t.Fatalf("moving down to row %d left %d rows loaded", s.cursor+1, len(s.rows))
	}
	contactPress(t, s, "G")
	if s.selectedID() != 300 || len(s.rows) != 300 || s.more {
		t.Fatalf("G: on #%d, %d rows, more %v", s.selectedID(), len(s.rows), s.more)
	}
	contactRequire(t, contactPlain(s), "300 contacts", "#300 ")
	contactPress(t, s, "g")
	if s.selectedID() != 1 {
		t.Fatalf("g: on #%d", s.selectedID())
	}
	contactPress(t, s, "pgdown")
	if s.cursor != s.listHeight() {
		t.Fatalf("pgdown: row %d", s.cursor)
	}
	s.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if s.cursor != s.listHeight()+3 {
		t.Fatalf("wheel: row %d", s.cursor)
	}
}

func TestContactsGOnAHugeListReadsABoundedNumberOfPages(t *testing.T) {
	c := seedContacts(t, 1500)
	s := openContacts(t, c, 120, 40)
	contactPress(t, s, "G")
	// The first page, ten read ahead, and at most the one prefetched because
	// the cursor sits at the end.
	if most := contactsPage * (2 + contactsFollowPages); len(s.rows) > most || !s.more || s.selectedID() < 1000 {
		t.Fatalf("G loaded %d rows (at most %d, then more), on #%d", len(s.rows), most, s.selectedID())
	}
}

func TestContactsSearchFollowsTyping(t *testing.T) {
	a, c := contactEnv(t)
	for i, name := range []string{"Kerry Fisher", "Kevin Bloom", "Anna Keller", "Bob Stone"} {
		contactIngest(t, a, contactInbound(t, model.Email, fmt.Sprintf("p%d@example.com", i), name, "s", "hi"))
	}
	s := openContacts(t, c, 80, 24)
	if len(s.rows) != 4 {
		t.Fatalf("%d rows", len(s.rows))
	}
	contactPress(t, s, "/")
	if !s.Typing() {
		t.Fatal("/ did not focus the search")
	}
	names := func() string {
		var ns []string
		for _, r := range s.rows {
			ns = append(ns, r.Name)
		}
		return strings.Join(ns, ",")
	}
	for _, step := range []struct{ key, want string }{
		{"k", "Kerry Fisher,Kevin Bloom,Anna Keller"},
		{"e", "Kerry Fisher,Kevin Bloom,Anna Keller"},
		{"r", "Kerry Fisher"},
		{"backspace", "Kerry Fisher,Kevin Bloom,Anna Keller"},
		{"v", "Kevin Bloom"},
	} {
		contactPress(t, s, step.key)
		if got := names(); got != step.want {
			t.Fatalf("after %q: %s (want %s)", step.key, got, step.want)
		}
	}
	contactRequire(t, contactPlain(s), "/ kev", "1 match")
	// q is text while typing, not "back".
	if msgs := contactPress(t, s, "q"); len(msgs) != 0 || s.search.Value() != "kevq" {
		t.Fatalf("q while typing: %v, %q", msgs, s.search.Value())
	}
	contactPress(t, s, "backspace")
	contactPress(t, s, "enter")
	if s.Typing() {
		t.Fatal("enter kept the focus in the search")
	}
	msgs := contactPress(t, s, "enter")
	if len(msgs) != 1 || msgs[0] != (openContactMsg{id: s.rows[0].ID}) {
		t.Fatalf("enter on the list: %v", msgs)
	}
	if msgs := contactPress(t, s, "esc"); len(msgs) != 0 || names() != "Kerry Fisher,Kevin Bloom,Anna Keller,Bob Stone" {
		t.Fatalf("esc did not clear the search: %v %s", msgs, names())
	}
	if msgs := contactPress(t, s, "esc"); len(msgs) != 1 || msgs[0] != (closeMsg{}) {
		t.Fatalf("second esc: %v", msgs)
	}
}

func TestContactsDropsAStaleSearchReply(t *testing.T) {
	a, c := contactEnv(t)
	for i, name := range []string{"Kerry Fisher", "Kevin Bloom", "Anna Keller"} {
		contactIngest(t, a, contactInbound(t, model.Email, fmt.Sprintf("q%d@example.com", i), name, "s", "hi"))
	}
	s := openContacts(t, c, 80, 24)
	contactPress(t, s, "/")
	slow := contactMsgs(s.Update(contactKey("k"))) // "k": three matches, answered late
	fast := contactMsgs(s.Update(contactKey("e")))
	fast = append(fast, contactMsgs(s.Update(contactKey("v")))...) // "kev": one
	for _, m := range append(fast, slow...) {
		contactRun(t, s, s.Update(m))
	}
	if len(s.rows) != 1 || s.rows[0].Name != "Kevin Bloom" {
		t.Fatalf("a stale reply replaced the rows: %+v", s.rows)
	}
}

func TestContactsReloadKeepsTheSelectedContact(t *testing.T) {
	a, c := contactEnv(t)
	ctx := context.Background()
	for i, name := range []string{"Zed One", "Anna Two", "Anna Three", "Zed Four"} {
		contactIngest(t, a, contactInbound(t, model.Email, fmt.Sprintf("r%d@example.com", i), name, "s", "hi"))
	}
	s := openContacts(t, c, 80, 24)
	contactPress(t, s, "/")
	for _, k := range []string{"a", "n", "n", "a", "enter"} {
		contactPress(t, s, k)
	}
	contactPress(t, s, "j")
	want := s.selectedID()
	if s.rows[s.cursor].Name != "Anna Three" {
		t.Fatalf("on %q", s.rows[s.cursor].Name)
	}
	// A contact above starts matching: the rows shift, the selection stays.
	first := contactByName(t, a, "Zed One")
	if err := a.SetField(ctx, "ann", first, "name", "Anna Zed"); err != nil {
		t.Fatal(err)
	}
	contactRun(t, s, s.Update(dataChangedMsg{ContactIDs: []int64{first}}))
	if len(s.rows) != 3 || s.selectedID() != want || s.cursor != 2 {
		t.Fatalf("after reload: %d rows, on #%d at %d (want #%d)", len(s.rows), s.selectedID(), s.cursor, want)
	}
}

func TestContactsMouseSelectsThenOpens(t *testing.T) {
	c := seedContacts(t, 20)
	s := openContacts(t, c, 120, 40)
	click := tea.MouseClickMsg{Button: tea.MouseLeft, Y: contactsHeader + 4}
	if msgs := contactRun(t, s, s.Update(click)); len(msgs) != 0 || s.cursor != 4 {
		t.Fatalf("first click: %v, row %d", msgs, s.cursor)
	}
	msgs := contactRun(t, s, s.Update(click))
	if len(msgs) != 1 || msgs[0] != (openContactMsg{id: s.rows[4].ID}) {
		t.Fatalf("second click: %v", msgs)
	}
}

func TestContactsMarksGeneratedNamesChannelsAndDuplicates(t *testing.T) {
	a, c := contactEnv(t)
	chat := func(cookie string, form *model.Prechat) model.Inbound {
		m := contactInbound(t, model.WebChat, cookie, "", "", "hello")
		m.StartedBy, m.Prechat, m.Country, m.Timezone = model.StartedByVisitor, form, "DE", "Europe/Berlin"
		if form == nil {
			m.StartedBy = model.StartedByWorkflow
		}
		return m
	}
	contactIngest(t, a, chat("v-1", &model.Prechat{Name: "Ann Lee", Email: "ann@example.com"}))
	contactIngest(t, a, chat("v-2", &model.Prechat{Name: "Ann Lee", Email: "ann@example.com"}))
	contactIngest(t, a, chat("v-3", nil))
	s := openContacts(t, c, 120, 40)
	v := contactPlain(s)
	contactRequire(t, v, "⚠ 1 dup", "(gen)", "CHAT", "3 contacts")
}

func TestContactsGolden(t *testing.T) {
	c := seedContacts(t, 300)
	cases := []struct {
		name string
		w, h int
		keys []string
	}{
		{"first_page_at_120x40", 120, 40, nil},
		{"first_page_at_80x24", 80, 24, nil},
		{"cursor_moved_down_a_page_at_80x24", 80, 24, []string{"pgdown", "j"}},
		{"search_typed_at_80x24", 80, 24, []string{"/", "m", "a", "r"}},
		{"search_without_match_at_80x24", 80, 24, []string{"/", "z", "z", "q", "enter"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openContacts(t, c, tc.w, tc.h)
			for _, k := range tc.keys {
				contactPress(t, s, k)
			}
			golden.RequireEqual(t, []byte(contactPlain(s)))
		})
	}
}

// TestContactsThroughRoot drives the screens the way the program does: the
// root opens Contact Details on openContactMsg, and keys that the root
// would take ('q', '?') reach the search box while it has the keyboard.
func TestContactsThroughRoot(t *testing.T) {
	c := seedContacts(t, 30)
	r := NewRoot(c, nil)
	r.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	run := func(cmd tea.Cmd) {
		queue := []tea.Cmd{cmd}
		for n := 0; len(queue) > 0 && n < 10000; n++ {
			for _, m := range contactMsgs(queue[0]) {
				if _, quit := m.(tea.QuitMsg); quit {
					t.Fatal("the program quit")
				}
				_, next := r.Update(m)
				queue = append(queue, next)
			}
			queue = queue[1:]
		}
	}
	press := func(k string) { _, cmd := r.Update(contactKey(k)); run(cmd) }
	run(r.Init())
	run(open(newContactsScreen(c)))
	list, ok := r.top().(*contactsScreen)
	if !ok || len(list.rows) != 30 {
		t.Fatalf("top is %T", r.top())
	}
	for _, k := range []string{"/", "q", "?"} {
		press(k)
	}
	if r.top() != list || list.search.Value() != "q?" || r.showAll {
		t.Fatalf("typing lost keys: top %T, search %q", r.top(), list.search.Value())
	}
	press("esc") // clears the search
	press("j")
	press("enter")
	d, ok := r.top().(*contactDetails)
	if !ok || d.id != list.rows[1].ID || !d.loaded {
		t.Fatalf("enter opened %T", r.top())
	}
	press("q")
	if r.top() != list {
		t.Fatalf("q on details left %T on top", r.top())
	}
}
