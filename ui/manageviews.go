package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
)

// manageViewsLoadedMsg is the views the agent can see, for the latest load.
type manageViewsLoadedMsg struct {
	seq   int
	views []app.View
	err   error
}

type manageViewsKeyMap struct {
	Up, Down, Edit, Delete, MoveDown, MoveUp, Add, Back key.Binding
}

var manageViewsKeys = manageViewsKeyMap{
	Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
	Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
	Edit:     key.NewBinding(key.WithKeys("enter", "e"), key.WithHelp("enter/e", "edit")),
	Delete:   key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
	MoveDown: key.NewBinding(key.WithKeys("J"), key.WithHelp("J", "move down")),
	MoveUp:   key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "move up")),
	Add:      key.NewBinding(key.WithKeys("n", "+"), key.WithHelp("n", "add a new view")),
	Back:     key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "back")),
}

// manageViews is the "Manage Views" screen: every view the agent can see
// (its own and the public ones), in the agent's order, to add, edit,
// reorder and delete. Who may change a view is the app's rule; its refusal
// is shown.
type manageViews struct {
	c      *Context
	views  []app.View
	cursor int
	offset int
	seq    int
	loaded bool
	err    error // the last load or action that failed
	follow int64 // keep the cursor on this view after the next load

	width, height int
}

func newManageViews(c *Context) *manageViews { return &manageViews{c: c} }

func (m *manageViews) Init() tea.Cmd { return m.load() }

func (m *manageViews) load() tea.Cmd {
	m.seq++
	seq, ctx, a, agent := m.seq, m.c.Ctx, m.c.App, m.c.Agent
	return func() tea.Msg {
		vs, err := a.Views(ctx, agent)
		return manageViewsLoadedMsg{seq: seq, views: vs, err: err}
	}
}

func (m *manageViews) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case manageViewsLoadedMsg:
		if msg.seq != m.seq {
			return nil
		}
		m.loaded, m.err = true, msg.err
		if msg.err != nil {
			return nil
		}
		m.views = msg.views
		if m.follow != 0 {
			for i, v := range m.views {
				if v.ID == m.follow {
					m.cursor = i
				}
			}
			m.follow = 0
		}
		m.cursor = max(0, min(m.cursor, len(m.views)-1))
		m.clamp()
		return nil
	case viewSavedMsg:
		m.follow = msg.v.ID
		return m.load()
	case viewsChangedMsg, dataChangedMsg:
		return m.load()
	case manageActionMsg:
		if msg.from != m {
			return nil
		}
		if msg.err != nil {
			m.err = msg.err
			return tea.Batch(statusErr(msg.err), m.load())
		}
		m.err = nil
		return tea.Batch(status(msg.text), viewsChanged)
	case tea.KeyPressMsg:
		return m.key(msg)
	}
	return nil
}

// manageActionMsg is the result of a delete or a move.
type manageActionMsg struct {
	from *manageViews
	text string
	err  error
}

func (m *manageViews) key(msg tea.KeyPressMsg) tea.Cmd {
	k := manageViewsKeys
	v, ok := m.selected()
	switch {
	case key.Matches(msg, k.Back):
		return closeTop
	case key.Matches(msg, k.Up):
		m.cursor = max(0, m.cursor-1)
	case key.Matches(msg, k.Down):
		m.cursor = max(0, min(len(m.views)-1, m.cursor+1))
	case key.Matches(msg, k.Add):
		return open(newViewBuilder(m.c, nil))
	case !ok:
	case key.Matches(msg, k.Edit):
		return open(newViewBuilder(m.c, &v))
	case key.Matches(msg, k.Delete):
		return open(newConfirm(m.c, fmt.Sprintf("Delete the view %q? Its tickets stay.", v.Name),
			m.act(fmt.Sprintf("view %q deleted", v.Name), func(ctx context.Context) error {
				return m.c.App.DeleteView(ctx, m.c.Agent, v.ID)
			})))
	case key.Matches(msg, k.MoveDown) && m.cursor < len(m.views)-1:
		return m.move(1)
	case key.Matches(msg, k.MoveUp) && m.cursor > 0:
		return m.move(-1)
	}
	m.clamp()
	return nil
}

// move swaps the view with its neighbour at once, and asks the app to do
// the same; the reload that follows confirms it (or puts it back).
func (m *manageViews) move(d int) tea.Cmd {
	v := m.views[m.cursor]
	m.views[m.cursor], m.views[m.cursor+d] = m.views[m.cursor+d], m.views[m.cursor]
	m.cursor += d
	m.follow = v.ID
	m.clamp()
	dir := "down"
	if d < 0 {
		dir = "up"
	}
	return m.act(fmt.Sprintf("view %q moved %s", v.Name, dir), func(ctx context.Context) error {
		return m.c.App.MoveView(ctx, m.c.Agent, v.ID, d)
	})
}

func (m *manageViews) act(done string, fn func(ctx context.Context) error) tea.Cmd {
	from, ctx := m, m.c.Ctx
	return func() tea.Msg { return manageActionMsg{from: from, text: done, err: fn(ctx)} }
}

func (m *manageViews) selected() (app.View, bool) {
	if m.cursor < len(m.views) {
		return m.views[m.cursor], true
	}
	return app.View{}, false
}

// rowsShown is how many views fit: title, blank, heading above; the add
// line and an error below.
func (m *manageViews) rowsShown() int { return max(1, m.height-6) }

func (m *manageViews) clamp() {
	n := m.rowsShown()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+n {
		m.offset = m.cursor - n + 1
	}
	m.offset = max(0, min(m.offset, len(m.views)-n))
}

func (m *manageViews) View() string {
	s := m.c.Styles
	w := m.width
	const numW, nameW, ownerW, accessW = 4, 22, 12, 8
	condW := max(10, w-2-numW-nameW-ownerW-accessW-4)
	var b strings.Builder
	title := s.Title.Render("Manage Views")
	if m.loaded && m.err == nil {
		title += s.Dim.Render("  " + plural(len(m.views), "view"))
	}
	b.WriteString(truncate(title, w) + "\n\n")
	head := "  " + padRight("#", numW) + padRight("Name", nameW) + " " + padRight("Owner", ownerW) + " " +
		padRight("Access", accessW) + " " + "Conditions"
	b.WriteString(s.Header.Render(truncate(head, w)) + "\n")
	switch {
	case !m.loaded:
		b.WriteString(s.Dim.Render("loading…") + "\n")
	case len(m.views) == 0 && m.err == nil:
		b.WriteString(s.Dim.Render("  no views yet") + "\n")
	}
	end := min(len(m.views), m.offset+m.rowsShown())
	for i := m.offset; i < end; i++ {
		v := m.views[i]
		access := app.Visibility(v.Public)
		line := padRight(strconv.Itoa(i+1), numW) + padRight(v.Name, nameW) + " " + padRight(v.Owner, ownerW) + " " +
			padRight(access, accessW) + " " + truncate(v.Filter.String(), condW)
		if i == m.cursor {
			b.WriteString(s.Selected.Render(padRight("▸ "+line, w)) + "\n")
		} else {
			b.WriteString(truncate("  "+line, w) + "\n")
		}
	}
	b.WriteString(s.Dim.Render(truncate("+ Add a New View (n)", w)) + "\n")
	if m.err != nil {
		b.WriteString(s.Error.Render(truncate(m.err.Error(), w)) + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (m *manageViews) SetSize(w, h int) {
	m.width, m.height = w, h
	m.clamp()
}

func (m *manageViews) ShortHelp() []key.Binding {
	k := manageViewsKeys
	return []key.Binding{k.Edit, k.Add, k.Delete, k.MoveDown, k.MoveUp, k.Back}
}

func (m *manageViews) FullHelp() [][]key.Binding {
	k := manageViewsKeys
	return [][]key.Binding{{k.Up, k.Down, k.MoveDown, k.MoveUp}, {k.Edit, k.Add, k.Delete, k.Back}}
}
