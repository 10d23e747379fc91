package ui

// Whole-program tests: the real Root in a running tea.Program (teatest),
// keys sent as a terminal would, on a small database with a pinned clock and
// the ASCII colour profile.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"cxinbox/app"
	"cxinbox/model"
)

var e2eNow = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

// e2eContacts write in; even ones on WhatsApp, odd ones by email.
var e2eContacts = []string{"Alma Reyes", "Bruno Costa", "Cleo Martin", "Dev Sharma", "Eko Prasetyo", "Fiona Walsh", "Goran Ilic"}

// e2eApp is a database with 20 messages from 7 contacts, seven minutes
// apart, the last one ten minutes before e2eNow.
func e2eApp(t *testing.T) *app.App {
	t.Helper()
	a, err := app.Open(filepath.Join(t.TempDir(), "e2e.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	var msgs []model.Inbound
	for i := range 20 {
		k := i % len(e2eContacts)
		name := e2eContacts[k]
		m := model.Inbound{SenderName: name, MessageID: fmt.Sprintf("e2e-%02d", i),
			Text: fmt.Sprintf("Message %d from %s.", i, name), SentAt: e2eNow.Add(-time.Duration(20-i)*7*time.Minute - 3*time.Minute)}
		if k%2 == 0 {
			m.Sender = model.Identity{Channel: model.WhatsApp, Value: fmt.Sprintf("+1631555%04d", k)}
		} else {
			m.Sender = model.Identity{Channel: model.Email, Value: fmt.Sprintf("%s@example.com", strings.ToLower(strings.Fields(name)[0]))}
			m.Subject = "Order question"
		}
		msgs = append(msgs, m)
	}
	if _, err := a.Ingest(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	return a
}

// e2eScreen is the root with a record of the last frame it drew, as plain
// text. The program's output is a stream of cell diffs, so a text that
// partly equals what it replaces never appears whole in it: assertions after
// the first paint read the frame instead.
type e2eScreen struct {
	*Root
	mu    sync.Mutex
	frame string
}

func (s *e2eScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := s.Root.Update(msg)
	return s, cmd
}

func (s *e2eScreen) View() tea.View {
	v := s.Root.View()
	s.mu.Lock()
	s.frame = ansi.Strip(v.Content)
	s.mu.Unlock()
	return v
}

func (s *e2eScreen) Frame() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frame
}

// startE2E runs the program at w×h and waits until the list shows its
// newest ticket's contact.
func startE2E(t *testing.T, a *app.App, w, h int) (*teatest.TestModel, *e2eScreen) {
	t.Helper()
	changes, unsubscribe := a.Subscribe()
	t.Cleanup(unsubscribe)
	c := &Context{Ctx: context.Background(), App: a, Agent: "ann", Styles: DefaultStyles(), Now: func() time.Time { return e2eNow }}
	s := &e2eScreen{Root: NewRoot(c, changes)}
	tm := teatest.NewTestModel(t, s, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	t.Cleanup(func() {
		tm.Quit()
		tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	})
	newest := e2eTickets(t, a)[0].ContactName
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(ansi.Strip(string(b)), newest) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	return tm, s
}

// e2eTickets is the list in inbox order, as the app gives it.
func e2eTickets(t *testing.T, a *app.App) []model.Ticket {
	t.Helper()
	tks, err := a.ListTickets(context.Background(), app.TicketQuery{Limit: 50})
	if err != nil || len(tks) < 3 {
		t.Fatalf("tickets %d, err %v", len(tks), err)
	}
	return tks
}

// waitScreen waits until the last frame satisfies ok.
func waitScreen(t *testing.T, s *e2eScreen, what string, ok func(frame string) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok(s.Frame()) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; the screen is:\n%s", what, s.Frame())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitText(t *testing.T, s *e2eScreen, text string) {
	t.Helper()
	waitScreen(t, s, fmt.Sprintf("%q", text), func(f string) bool { return strings.Contains(f, text) })
}

// statusOf is the frame's bottom line: the status or the key hints.
func statusOf(frame string) string {
	lines := strings.Split(strings.TrimRight(frame, "\n"), "\n")
	return lines[len(lines)-1]
}

func e2eKey(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	}
	if mod, r, ok := strings.Cut(k, "+"); ok && mod == "ctrl" {
		return tea.KeyPressMsg{Code: rune(r[0]), Mod: tea.ModCtrl}
	}
	return tea.KeyPressMsg{Code: rune(k[0]), Text: k}
}

func keys(tm *teatest.TestModel, ks ...string) {
	for _, k := range ks {
		tm.Send(e2eKey(k))
	}
}

// convHeader is what the conversation pane's first line starts with for tk.
func convHeader(tk model.Ticket) string { return fmt.Sprintf("#%d %s ·", tk.ID, tk.ContactName) }

func TestE2EReplyFromTheList(t *testing.T) {
	a := e2eApp(t)
	tks := e2eTickets(t, a)
	tm, s := startE2E(t, a, 120, 36)
	waitText(t, s, convHeader(tks[0]))

	keys(tm, "j")
	waitText(t, s, convHeader(tks[1])) // the conversation follows the cursor
	keys(tm, "enter", "r")
	waitText(t, s, "send reply")
	const body = "Your parcel left our warehouse today."
	tm.Type(body)
	waitText(t, s, body)
	keys(tm, "ctrl+s")
	waitText(t, s, fmt.Sprintf("reply sent in #%d", tks[1].ID))

	msgs, err := a.Messages(context.Background(), tks[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	last := msgs[len(msgs)-1]
	if last.Direction != model.Out || last.Author != "ann" || last.Body != body {
		t.Fatalf("last message of #%d: %+v", tks[1].ID, last)
	}
	waitText(t, s, "▶ ann") // the conversation reloads with the reply
}

func TestE2ETabCyclesPanesAndHelpOverlay(t *testing.T) {
	a := e2eApp(t)
	tks := e2eTickets(t, a)
	tm, s := startE2E(t, a, 120, 36)
	waitText(t, s, convHeader(tks[0]))
	hints := func(f string) string { return statusOf(f) }

	waitScreen(t, s, "list hints", func(f string) bool { return strings.Contains(hints(f), "open ticket") })
	listHints := hints(s.Frame())
	keys(tm, "tab")
	waitScreen(t, s, "conversation hints", func(f string) bool { return strings.Contains(hints(f), "r reply") })
	convHints := hints(s.Frame())
	keys(tm, "tab")
	waitScreen(t, s, "contact pane hints", func(f string) bool { h := hints(f); return h != convHints && h != listHints })
	keys(tm, "tab")
	waitScreen(t, s, "the rail", func(f string) bool {
		return strings.Contains(hints(f), "open view") && strings.Contains(f, "Unassigned")
	})
	keys(tm, "tab")
	waitScreen(t, s, "back on the list", func(f string) bool { return hints(f) == listHints })

	keys(tm, "?")
	waitScreen(t, s, "the help overlay", func(f string) bool {
		return strings.Contains(f, "(any key closes)") && strings.Contains(f, "next pane") &&
			strings.Contains(f, "open ticket") && strings.Contains(f, "quit")
	})
	keys(tm, "x")
	waitScreen(t, s, "the overlay closed", func(f string) bool {
		return !strings.Contains(f, "(any key closes)") && strings.Contains(f, convHeader(tks[0]))
	})
}

func TestE2EQuitWithUnsentReplyAsks(t *testing.T) {
	a := e2eApp(t)
	tks := e2eTickets(t, a)
	tm, s := startE2E(t, a, 120, 36)
	waitText(t, s, convHeader(tks[0]))

	keys(tm, "enter", "r")
	waitText(t, s, "send reply")
	tm.Type("half a thought")
	waitText(t, s, "half a thought")
	keys(tm, "esc", "q") // q while writing would be text: leave the box first
	waitText(t, s, "unsent text")
	keys(tm, "n")
	waitScreen(t, s, "the confirm closed, the draft kept", func(f string) bool {
		return !strings.Contains(f, "unsent text") && strings.Contains(f, "half a thought")
	})
	keys(tm, "ctrl+c")
	waitText(t, s, "unsent text")
	keys(tm, "y")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if _, ok := tm.FinalModel(t).(*e2eScreen); !ok {
		t.Fatal("no final model")
	}
	msgs, err := a.Messages(context.Background(), tks[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Direction == model.Out {
			t.Fatalf("the draft was sent: %+v", m)
		}
	}
}

func TestE2ENarrowTerminal(t *testing.T) {
	a := e2eApp(t)
	tks := e2eTickets(t, a)
	tm, s := startE2E(t, a, 80, 24)
	newest := fmt.Sprintf("Message 19 from %s.", e2eContacts[19%len(e2eContacts)])
	waitText(t, s, convHeader(tks[0]))
	waitText(t, s, newest) // the first ticket's conversation is in: the screen is complete
	tm.Quit()
	frame := ansi.Strip(tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).View().Content)
	lines := strings.Split(frame, "\n")
	if len(lines) != 24 {
		t.Errorf("%d lines, want 24", len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %d is %d cells wide: %q", i+1, w, l)
		}
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "open ticket") || !strings.Contains(last, "? help") {
		t.Errorf("no key hints on the last line: %q", last)
	}
	teatest.RequireEqualOutput(t, []byte(frame))
}
