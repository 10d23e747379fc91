package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"cxinbox/model"
)

// pane identifies the inbox's panes, in tab order.
type pane int

const (
	paneRail pane = iota
	paneList
	paneConversation
	paneContact
	paneCount
)

type inboxKeyMap struct {
	Next, Prev, Back, Contacts, Duplicates, Filter, ClearFilter key.Binding
}

var inboxKeys = inboxKeyMap{
	Next:        key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
	Prev:        key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
	Back:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to list")),
	Contacts:    key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "all contacts")),
	Duplicates:  key.NewBinding(key.WithKeys("="), key.WithHelp("=", "potential duplicates")),
	Filter:      key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "filter drawer")),
	ClearFilter: key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "clear the filter")),
}

// inbox is the main screen: views rail, ticket list, conversation and the
// contact pane. Wide terminals show all four; narrower ones hide the rail
// and then show the conversation or the contact pane beside the list,
// whichever has focus, so 80×24 stays usable.
type inbox struct {
	c       *Context
	rail    *rail
	list    *ticketList
	conv    *conversation
	contact *contactPane
	focus   pane

	// The filter drawer: the view builder, unsaved, in place of the
	// conversation and contact panes. Closed, it is kept (F edits it again)
	// while its filter stays on the list.
	drawer     *viewBuilder
	drawerOpen bool
	drawerBox  box

	width, height int
	boxes         [paneCount]box // where each pane was drawn, for the mouse
}

// box is a pane's rectangle on screen (inside its border).
type box struct{ x, y, w, h int }

func newInbox(c *Context) *inbox {
	r := newRail(c)
	in := &inbox{c: c, rail: r, list: newTicketList(c, r.views[0]), conv: newConversation(c), contact: newContactPane(c), focus: paneList}
	in.setFocus(paneList)
	return in
}

func (in *inbox) Init() tea.Cmd { return tea.Batch(in.list.SetView(in.rail.views[0]), in.rail.Init()) }

func (in *inbox) children() []component {
	return []component{in.rail, in.list, in.conv, in.contact}
}

func (in *inbox) Typing() bool {
	return in.drawerOpen || in.list.Typing() || in.conv.Typing() || in.contact.Typing()
}

func (in *inbox) Dirty() bool { return in.conv.Dirty() || in.contact.Dirty() }

func (in *inbox) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case viewChosenMsg:
		in.drawer, in.drawerOpen = nil, false
		in.setFocus(paneList)
		return in.list.SetView(msg.v)
	case viewRefreshedMsg:
		if in.list.base.key() == msg.v.key() && !in.list.Filtered() {
			return in.list.SetView(msg.v)
		}
		return nil
	case ticketsLoadedMsg:
		// Counts of saved views wait for the list: they are the slow part.
		return tea.Batch(in.list.Update(msg), in.rail.ListLoaded())
	case filterAppliedMsg:
		if msg.from != in.drawer {
			return nil
		}
		f := msg.f
		return in.list.SetFilter(&f)
	case drawerClosedMsg:
		if msg.from == in.drawer {
			in.drawerOpen = false
			in.setFocus(paneList)
		}
		return nil
	case filterTickMsg, viewSaveReplyMsg:
		if in.drawer != nil {
			return in.drawer.Update(msg)
		}
		return nil
	case viewSavedMsg:
		if msg.fromDrawer { // the drawer's filter is a view now: the rail opens it
			in.drawer, in.drawerOpen = nil, false
			in.setFocus(paneList)
		}
		return in.rail.Update(msg)
	case ticketSelectedMsg:
		return tea.Batch(in.conv.Open(msg.t), in.contact.SetContact(msg.t.ContactID))
	case messagesLoadedMsg, replySentMsg:
		return in.conv.Update(msg)
	case dataChangedMsg:
		return tea.Batch(in.rail.Update(msg), in.list.Update(msg), in.conv.Update(msg), in.contact.Update(msg))
	case tea.MouseClickMsg:
		for p, b := range in.boxes {
			if b.w > 0 && msg.X >= b.x && msg.X < b.x+b.w && msg.Y >= b.y && msg.Y < b.y+b.h {
				in.setFocus(pane(p))
				local := msg
				local.X, local.Y = msg.X-b.x, msg.Y-b.y
				return in.children()[p].Update(local)
			}
		}
		return nil
	case tea.MouseWheelMsg:
		for p, b := range in.boxes {
			if b.w > 0 && msg.X >= b.x && msg.X < b.x+b.w {
				return in.children()[p].Update(msg)
			}
		}
		return nil
	case tea.KeyPressMsg:
		if in.drawerOpen {
			return in.drawer.Update(msg)
		}
		if !in.Typing() {
			switch {
			case key.Matches(msg, inboxKeys.Filter):
				return in.openDrawer()
			case key.Matches(msg, inboxKeys.ClearFilter) && in.list.Filtered():
				in.drawer = nil
				return tea.Batch(in.list.SetFilter(nil), status("filter cleared"))
			case key.Matches(msg, inboxKeys.Next):
				in.setFocus((in.focus + 1) % paneCount)
				return nil
			case key.Matches(msg, inboxKeys.Prev):
				in.setFocus((in.focus + paneCount - 1) % paneCount)
				return nil
			case key.Matches(msg, inboxKeys.Contacts):
				return open(newContactsScreen(in.c))
			case key.Matches(msg, inboxKeys.Duplicates):
				return open(newDuplicatesScreen(in.c))
			case key.Matches(msg, inboxKeys.Back) && in.focus != paneList && !in.list.Typing():
				in.setFocus(paneList)
				return nil
			case in.focus == paneList && key.Matches(msg, ticketListKeys.Open):
				in.setFocus(paneConversation)
				return nil
			}
		}
		return in.children()[in.focus].Update(msg)
	}
	// Anything else (results of a pane's own commands) goes to every pane;
	// each ignores what is not its own.
	var cmds []tea.Cmd
	for _, c := range in.children() {
		cmds = append(cmds, c.Update(msg))
	}
	return tea.Batch(cmds...)
}

// openDrawer opens the filter drawer: the one in use, or a new one
// starting from the saved view on screen (to refine it) or empty.
func (in *inbox) openDrawer() tea.Cmd {
	if in.drawer == nil {
		var f *model.Filter
		if sv := in.list.base.saved; sv != nil {
			f = &sv.Filter
		}
		in.drawer = newFilterDrawer(in.c, f)
	}
	in.drawerOpen = true
	in.setFocus(paneList)
	return in.drawer.Init()
}

func (in *inbox) setFocus(p pane) {
	in.focus = p
	in.rail.focused = p == paneRail
	in.list.focused = p == paneList
	in.conv.focused = p == paneConversation
	in.contact.Focus(p == paneContact)
	in.layout()
}

// layout decides which panes show and how wide, from the terminal width.
func (in *inbox) layout() {
	w, h := in.width, in.height
	if w == 0 {
		return
	}
	in.boxes = [paneCount]box{}
	showRail := w >= 150 || in.focus == paneRail
	railW := 0
	if showRail {
		railW = 16
	}
	rest := w - railW
	var listW, convW, contactW, drawerW int
	switch {
	case in.drawerOpen: // the drawer takes the conversation's and contact's room
		listW = rest * 45 / 100
		if w >= 130 {
			listW = max(40, listW)
		}
		drawerW = rest - listW
	case w >= 130: // everything side by side
		contactW = max(34, rest*24/100)
		listW = max(40, (rest-contactW)*45/100)
		convW = rest - contactW - listW
	case in.focus == paneContact:
		listW = rest * 45 / 100
		contactW = rest - listW
	default:
		listW = rest * 45 / 100
		convW = rest - listW
	}
	x := 0
	place := func(p pane, pw int) {
		if pw <= 0 {
			return
		}
		in.boxes[p] = box{x: x + 1, y: 1, w: pw - 2, h: h - 2}
		in.children()[p].SetSize(pw-2, h-2)
		x += pw
	}
	place(paneRail, railW)
	place(paneList, listW)
	place(paneConversation, convW)
	place(paneContact, contactW)
	in.drawerBox = box{}
	if drawerW > 0 && in.drawer != nil {
		in.drawerBox = box{x: x + 1, y: 1, w: drawerW - 2, h: h - 2}
		in.drawer.SetSize(drawerW-2, h-2)
	}
}

func (in *inbox) View() string {
	s := in.c.Styles
	var cols []string
	for p, c := range in.children() {
		b := in.boxes[p]
		if b.w <= 0 {
			continue
		}
		st := s.Pane
		if pane(p) == in.focus && !in.drawerOpen {
			st = s.PaneFocus
		}
		body := lipgloss.NewStyle().Width(b.w).Height(b.h).MaxHeight(b.h).MaxWidth(b.w).Render(c.View())
		cols = append(cols, st.Render(body))
	}
	if b := in.drawerBox; in.drawerOpen && b.w > 0 {
		body := lipgloss.NewStyle().Width(b.w).Height(b.h).MaxHeight(b.h).MaxWidth(b.w).Render(in.drawer.View())
		cols = append(cols, s.PaneFocus.Render(body))
	}
	return strings.TrimRight(lipgloss.JoinHorizontal(lipgloss.Top, cols...), "\n")
}

func (in *inbox) SetSize(w, h int) {
	in.width, in.height = w, h
	in.layout()
}

func (in *inbox) ShortHelp() []key.Binding {
	if in.drawerOpen {
		return in.drawer.ShortHelp()
	}
	return append(in.children()[in.focus].ShortHelp(), inboxKeys.Next)
}

// FullHelp lists every key of the screen: the focused pane's first, then
// the other panes' keys that do something different, then the screen's own.
func (in *inbox) FullHelp() [][]key.Binding {
	if in.drawerOpen {
		return in.drawer.FullHelp()
	}
	groups := in.children()[in.focus].FullHelp()
	seen := map[string]bool{}
	for _, g := range groups {
		for _, b := range g {
			seen[b.Help().Key] = true
		}
	}
	for p, c := range in.children() {
		if pane(p) == in.focus {
			continue
		}
		for _, g := range c.FullHelp() {
			var fresh []key.Binding
			for _, b := range g {
				if k := b.Help().Key; !seen[k] {
					seen[k] = true
					fresh = append(fresh, b)
				}
			}
			if len(fresh) > 0 {
				groups = append(groups, fresh)
			}
		}
	}
	return append(groups, []key.Binding{inboxKeys.Next, inboxKeys.Prev, inboxKeys.Back, inboxKeys.Contacts, inboxKeys.Duplicates, inboxKeys.Filter, inboxKeys.ClearFilter})
}
