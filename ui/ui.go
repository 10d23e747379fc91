// Package ui is cxinbox's terminal interface (Bubble Tea v2). It talks only to
// app/: every load and change runs in a tea.Cmd and comes back as a message,
// so Update and View touch memory only.
package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"cxinbox/app"
	"cxinbox/model"
)

// Run opens the inbox for agent until the user quits or ctx ends.
func Run(ctx context.Context, a *app.App, agent string, opts ...tea.ProgramOption) error {
	changes, unsubscribe := a.Subscribe()
	defer unsubscribe()
	m := newInbox(ctx, a, agent, changes)
	opts = append([]tea.ProgramOption{tea.WithContext(ctx)}, opts...)
	_, err := tea.NewProgram(m, opts...).Run()
	if err == tea.ErrProgramKilled && ctx.Err() != nil {
		return nil
	}
	return err
}

// ticketsLoadedMsg carries the first page of the ticket list.
type ticketsLoadedMsg struct {
	tickets []model.Ticket
	counts  app.Counts
	err     error
}

// changedMsg says the database changed (the feed, the CLI, another agent).
type changedMsg app.Change

type inbox struct {
	ctx     context.Context
	app     *app.App
	agent   string
	changes <-chan app.Change

	width, height int
	tickets       []model.Ticket
	counts        app.Counts
	cursor        int
	arrivals      int
	err           error
}

func newInbox(ctx context.Context, a *app.App, agent string, changes <-chan app.Change) inbox {
	return inbox{ctx: ctx, app: a, agent: agent, changes: changes}
}

func (m inbox) Init() tea.Cmd { return tea.Batch(m.load(), m.listen()) }

func (m inbox) load() tea.Cmd {
	return func() tea.Msg {
		tks, err := m.app.ListTickets(m.ctx, app.TicketQuery{Limit: 200})
		if err != nil {
			return ticketsLoadedMsg{err: err}
		}
		c, err := m.app.Counts(m.ctx)
		return ticketsLoadedMsg{tickets: tks, counts: c, err: err}
	}
}

func (m inbox) listen() tea.Cmd {
	return func() tea.Msg {
		c, ok := <-m.changes
		if !ok {
			return nil
		}
		return changedMsg(c)
	}
}

func (m inbox) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case ticketsLoadedMsg:
		m.err = msg.err
		if msg.err == nil {
			sel := int64(0)
			if m.cursor < len(m.tickets) {
				sel = m.tickets[m.cursor].ID
			}
			m.tickets, m.counts = msg.tickets, msg.counts
			m.cursor = 0
			for i, t := range m.tickets { // keep the selection on the same ticket
				if t.ID == sel {
					m.cursor = i
				}
			}
		}
	case changedMsg:
		m.arrivals += msg.Messages
		return m, tea.Batch(m.load(), m.listen())
	case tea.KeyPressMsg:
		switch msg.String() {
		case "q", "ctrl+c":
			return m, tea.Quit
		case "j", "down":
			m.cursor = min(m.cursor+1, max(len(m.tickets)-1, 0))
		case "k", "up":
			m.cursor = max(m.cursor-1, 0)
		case "r":
			m.arrivals = 0
		}
	}
	return m, nil
}

var (
	titleStyle = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12"))
	selStyle   = lipgloss.NewStyle().Reverse(true)
	dimStyle   = lipgloss.NewStyle().Faint(true)
)

func (m inbox) View() tea.View {
	var b strings.Builder
	b.WriteString(titleStyle.Render("cxinbox") + dimStyle.Render(fmt.Sprintf("  %d contacts · %d tickets · %d new since you looked", m.counts.Contacts, m.counts.Tickets, m.arrivals)) + "\n\n")
	rows := max(m.height-4, 1)
	start := max(0, m.cursor-rows+1)
	for i := start; i < len(m.tickets) && i < start+rows; i++ {
		t := m.tickets[i]
		line := fmt.Sprintf("%-22.22s %-9s %-8s %-40.40s %s", t.ContactName, t.Channel, t.Status, firstNonEmpty(t.Subject, t.Preview), age(t.LastMessageAt))
		if i == m.cursor {
			line = selStyle.Render(line)
		}
		b.WriteString(line + "\n")
	}
	if m.err != nil {
		b.WriteString("error: " + m.err.Error() + "\n")
	}
	b.WriteString(dimStyle.Render("j/k move · r mark read · q quit"))
	v := tea.NewView(b.String())
	v.AltScreen = true
	v.WindowTitle = "cxinbox"
	return v
}

func age(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "now"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
