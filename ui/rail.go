package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
	"cxinbox/model"
)

// view is one entry of the left rail: a name and the ticket query behind it.
type view struct {
	name  string
	query app.TicketQuery
}

// builtInViews are the rail's fixed views; saved views join them later.
func builtInViews(agent string) []view {
	vs := []view{
		{name: "All"},
		{name: "Mine", query: app.TicketQuery{Assignee: agent}},
		{name: "Unassigned", query: app.TicketQuery{Unassigned: true}},
	}
	for _, ch := range model.Channels {
		vs = append(vs, view{name: ch.Label(), query: app.TicketQuery{Channel: ch}})
	}
	return append(vs, view{name: "Trash", query: app.TicketQuery{Trash: true}})
}

// viewChosenMsg says the agent picked a view in the rail.
type viewChosenMsg struct{ v view }

type railKeyMap struct{ Up, Down, Open key.Binding }

var railKeys = railKeyMap{
	Up:   key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
	Down: key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
	Open: key.NewBinding(key.WithKeys("enter", "l", "right"), key.WithHelp("enter", "open view")),
}

// rail is the left column of views.
type rail struct {
	c             *Context
	views         []view
	cursor, open  int
	width, height int
	focused       bool
}

func newRail(c *Context) *rail { return &rail{c: c, views: builtInViews(c.Agent)} }

func (r *rail) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, railKeys.Up):
			r.cursor = max(r.cursor-1, 0)
		case key.Matches(msg, railKeys.Down):
			r.cursor = min(r.cursor+1, len(r.views)-1)
		case key.Matches(msg, railKeys.Open):
			return r.choose(r.cursor)
		}
	case tea.MouseClickMsg:
		if i := msg.Mouse().Y - 1; i >= 0 && i < len(r.views) { // row 0 is the heading
			r.cursor = i
			return r.choose(i)
		}
	}
	return nil
}

func (r *rail) choose(i int) tea.Cmd {
	r.open = i
	v := r.views[i]
	return func() tea.Msg { return viewChosenMsg{v} }
}

func (r *rail) View() string {
	s := r.c.Styles
	var b strings.Builder
	b.WriteString(s.Header.Render("Views") + "\n")
	for i, v := range r.views {
		line := " " + v.name
		if i == r.open {
			line = "▸" + v.name
		}
		line = padRight(line, r.width)
		if i == r.cursor && r.focused {
			line = s.Selected.Render(line)
		} else if i == r.open {
			line = s.Bold.Render(line)
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (r *rail) SetSize(w, h int)         { r.width, r.height = w, h }
func (r *rail) ShortHelp() []key.Binding { return []key.Binding{railKeys.Down, railKeys.Open} }
func (r *rail) FullHelp() [][]key.Binding {
	return [][]key.Binding{{railKeys.Up, railKeys.Down, railKeys.Open}}
}
