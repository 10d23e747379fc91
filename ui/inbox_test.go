package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
	"cxinbox/model"
)

var inboxNow = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

// inboxFixture is an app with a few tickets and the inbox screen on it.
func inboxFixture(t *testing.T) (*app.App, *Root) {
	t.Helper()
	a, err := app.Open(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	for i := range 5 {
		inboxIngest(t, a, fmt.Sprintf("+1631555%04d", i), fmt.Sprintf("Customer %d", i), inboxNow.Add(time.Duration(i)*time.Minute))
	}
	r := NewRoot(&Context{Ctx: context.Background(), App: a, Agent: "ann", Styles: DefaultStyles(), Now: func() time.Time { return inboxNow }}, nil)
	drive(r, r.Init())
	drive(r, func() tea.Msg { return tea.WindowSizeMsg{Width: 140, Height: 30} })
	return a, r
}

var inboxSeq int

func inboxIngest(t *testing.T, a *app.App, phone, name string, at time.Time) {
	t.Helper()
	inboxSeq++
	id, err := model.NewIdentity(model.WhatsApp, phone)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Ingest(context.Background(), []model.Inbound{{Sender: id, SenderName: name, MessageID: fmt.Sprintf("wamid.%d", inboxSeq),
		Text: "hello from " + name, SentAt: at}})
	if err != nil {
		t.Fatal(err)
	}
}

// drive runs a command and everything it leads to, synchronously, feeding
// each message back into the root (a test stand-in for the event loop).
func drive(r *Root, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0 && n < 1000; n++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		switch m := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, m...)
		default:
			if fmt.Sprintf("%T", m) == "tea.sequenceMsg" {
				continue
			}
			_, next := r.Update(m)
			queue = append(queue, next)
		}
	}
}

func press(r *Root, k string) {
	var msg tea.KeyPressMsg
	switch k {
	case "enter":
		msg = tea.KeyPressMsg{Code: tea.KeyEnter}
	case "tab":
		msg = tea.KeyPressMsg{Code: tea.KeyTab}
	case "esc":
		msg = tea.KeyPressMsg{Code: tea.KeyEscape}
	default:
		msg = tea.KeyPressMsg{Code: rune(k[0]), Text: k}
	}
	_, cmd := r.Update(msg)
	drive(r, cmd)
}

func inboxOf(r *Root) *inbox { return r.stack[0].(*inbox) }

func TestTicketListKeepsSelectionWhenRowsArriveAbove(t *testing.T) {
	a, r := inboxFixture(t)
	in := inboxOf(r)
	if len(in.list.rows) != 5 || in.list.rows[0].ContactName != "Customer 4" {
		t.Fatalf("rows %+v", in.list.rows)
	}
	press(r, "j")
	press(r, "j")
	sel, _ := in.list.Selected()
	inboxIngest(t, a, "+16315559999", "Newcomer", inboxNow.Add(time.Hour))
	drive(r, func() tea.Msg { return dataChangedMsg{Messages: 1} })
	if in.list.rows[0].ContactName != "Newcomer" {
		t.Fatalf("new ticket not on top: %s", in.list.rows[0].ContactName)
	}
	if got, _ := in.list.Selected(); got.ID != sel.ID {
		t.Fatalf("selection moved from #%d to #%d", sel.ID, got.ID)
	}
	if in.list.unread != 1 {
		t.Fatalf("unread %d", in.list.unread)
	}
}

func TestResultsReachTheListUnderADialog(t *testing.T) {
	a, r := inboxFixture(t)
	in := inboxOf(r)
	press(r, "enter") // focus the conversation
	press(r, "s")     // the status picker is now on top
	if _, ok := r.top().(*picker); !ok {
		t.Fatalf("top is %T", r.top())
	}
	inboxIngest(t, a, "+16315559998", "Late", inboxNow.Add(time.Hour))
	drive(r, func() tea.Msg { return dataChangedMsg{Messages: 1} })
	if in.list.rows[0].ContactName != "Late" {
		t.Fatalf("list did not reload under the dialog: %s", in.list.rows[0].ContactName)
	}
}

func TestPanesClearWhenTheListEmpties(t *testing.T) {
	a, r := inboxFixture(t)
	in := inboxOf(r)
	if in.conv.ticket.ID == 0 {
		t.Fatal("no ticket open at start")
	}
	for _, tk := range in.list.rows {
		if err := a.Trash(context.Background(), "ann", tk.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	drive(r, func() tea.Msg { return dataChangedMsg{Source: "external"} })
	if len(in.list.rows) != 0 || in.conv.ticket.ID != 0 {
		t.Fatalf("rows %d, conversation still on #%d", len(in.list.rows), in.conv.ticket.ID)
	}
}
