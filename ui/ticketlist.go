package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
	"cxinbox/model"
)

const (
	ticketPage   = 100 // rows per keyset page
	ticketReload = 1000
)

type (
	// ticketsLoadedMsg carries a page of the ticket list; seq drops stale ones.
	ticketsLoadedMsg struct {
		seq     int
		rows    []model.Ticket
		more    bool
		appendP bool // a next page, not a reload from the top
		err     error
	}
	// ticketSelectedMsg says the cursor is on another ticket.
	ticketSelectedMsg struct{ t model.Ticket }
)

type ticketListKeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Open, Search, ClearSearch key.Binding
}

var ticketListKeys = ticketListKeyMap{
	Up:          key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
	Down:        key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
	PageUp:      key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
	PageDown:    key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
	Top:         key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "newest (clears new count)")),
	Bottom:      key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "oldest loaded")),
	Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open ticket")),
	Search:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search name/subject")),
	ClearSearch: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear search")),
}

// ticketList is the windowed ticket list. It holds only the rows it has
// paged in (keyset pages of 100), renders only the visible ones, and keeps
// the selection on the same ticket when new rows arrive above it.
type ticketList struct {
	c      *Context
	view   view          // what is listed: base, with the drawer's filter if any
	base   view          // the view chosen in the rail
	adhoc  *model.Filter // the filter drawer's filter; nil for none
	gen    int           // bumped when what is listed changes (view, filter, search)
	marked map[int64]bool
	rows   []model.Ticket
	cursor int
	offset int // first visible row
	more   bool

	seq     int  // the latest load; replies with another seq are stale
	loading bool // a load is in flight
	again   bool // a change arrived during the load: reload when it lands
	err     error

	search    textinput.Model
	searching bool
	unread    int // messages that arrived since the agent last looked at the top

	width, height int
	focused       bool
	selected      int64 // the ticket the conversation shows
}

func newTicketList(c *Context, v view) *ticketList {
	in := textinput.New()
	in.Placeholder = "contact name or subject"
	in.Prompt = "/ "
	return &ticketList{c: c, view: v, base: v, search: in}
}

// SetView switches to another view and loads its first page. The drawer's
// filter and the selection go.
func (l *ticketList) SetView(v view) tea.Cmd {
	l.view, l.base, l.adhoc, l.rows, l.cursor, l.offset, l.unread = v, v, nil, nil, 0, 0, 0
	l.listChanged()
	return l.load(false)
}

// SetFilter lists the rail's view narrowed by the filter drawer's filter
// (nil: none). On a saved view the drawer's filter replaces the view's own
// (the drawer starts from it); on a built-in view it is added to it, and
// an empty one is no filter.
func (l *ticketList) SetFilter(f *model.Filter) tea.Cmd {
	if f != nil && len(f.Conditions) == 0 && l.base.saved == nil {
		f = nil
	}
	l.adhoc, l.view = f, l.base
	if f != nil {
		fc := *f
		l.view.query.Filter = &fc
	}
	l.rows, l.cursor, l.offset = nil, 0, 0
	l.listChanged()
	return l.load(false)
}

// Filtered reports whether the drawer's filter narrows the list.
func (l *ticketList) Filtered() bool { return l.adhoc != nil }

// query is what the list shows: the view, narrowed by the search.
func (l *ticketList) query() app.TicketQuery {
	q := l.view.query
	q.Search = strings.TrimSpace(l.search.Value())
	return q
}

// load asks for the first page (reload) or the next one (appendP).
func (l *ticketList) load(appendP bool) tea.Cmd {
	l.seq++
	l.loading = true
	seq, q := l.seq, l.query()
	q.Limit = ticketPage
	if appendP && len(l.rows) > 0 {
		cur := app.CursorOf(l.rows[len(l.rows)-1])
		q.After = &cur
	} else if n := len(l.rows); n > ticketPage {
		q.Limit = min(n+ticketPage/2, ticketReload) // reload what is on screen and around it
	}
	ctx, a := l.c.Ctx, l.c.App
	return func() tea.Msg {
		rows, err := a.ListTickets(ctx, q)
		return ticketsLoadedMsg{seq: seq, rows: rows, more: len(rows) == q.Limit, appendP: appendP, err: err}
	}
}

// Selected is the ticket under the cursor.
func (l *ticketList) Selected() (model.Ticket, bool) {
	if l.cursor < len(l.rows) {
		return l.rows[l.cursor], true
	}
	return model.Ticket{}, false
}

func (l *ticketList) Typing() bool { return l.searching }

func (l *ticketList) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ticketsLoadedMsg:
		return l.loaded(msg)
	case dataChangedMsg:
		l.unread += msg.Messages
		if l.loading {
			l.again = true
			return nil
		}
		return l.load(false)
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			return l.move(-3)
		}
		return l.move(3)
	case tea.MouseClickMsg:
		if i := l.offset + msg.Y - l.headerLines(); msg.Y >= l.headerLines() && i < len(l.rows) {
			return l.move(i - l.cursor)
		}
	case ticketIDsMsg, batchDoneMsg:
		return l.updateBatchReply(msg)
	case tea.KeyPressMsg:
		if l.searching {
			return l.updateSearch(msg)
		}
		if cmd, ok := l.updateBatch(msg); ok {
			return cmd
		}
		switch {
		case key.Matches(msg, ticketListKeys.Up):
			return l.move(-1)
		case key.Matches(msg, ticketListKeys.Down):
			return l.move(1)
		case key.Matches(msg, ticketListKeys.PageUp):
			return l.move(-l.visible())
		case key.Matches(msg, ticketListKeys.PageDown):
			return l.move(l.visible())
		case key.Matches(msg, ticketListKeys.Top):
			l.unread = 0
			return l.move(-l.cursor)
		case key.Matches(msg, ticketListKeys.Bottom):
			return l.move(len(l.rows) - 1 - l.cursor)
		case key.Matches(msg, ticketListKeys.Search):
			l.searching = true
			return l.search.Focus()
		case key.Matches(msg, ticketListKeys.ClearSearch) && l.search.Value() != "":
			l.search.SetValue("")
			l.rows = nil
			l.listChanged()
			return l.load(false)
		}
	}
	return nil
}

func (l *ticketList) updateSearch(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		l.searching = false
		l.search.Blur()
		return nil
	case "esc":
		l.searching = false
		l.search.Blur()
		l.search.SetValue("")
		l.rows = nil
		l.listChanged()
		return l.load(false)
	}
	before := l.search.Value()
	var cmd tea.Cmd
	l.search, cmd = l.search.Update(msg)
	if l.search.Value() != before { // the list follows the text as it is typed
		l.rows, l.cursor, l.offset = nil, 0, 0
		l.listChanged()
		return tea.Batch(cmd, l.load(false))
	}
	return cmd
}

func (l *ticketList) loaded(msg ticketsLoadedMsg) tea.Cmd {
	if msg.seq != l.seq {
		return nil // stale: a newer load is on its way
	}
	l.loading, l.err = false, msg.err
	if msg.err != nil {
		return nil
	}
	var cmds []tea.Cmd
	if l.again {
		l.again = false
		cmds = append(cmds, l.load(false))
	}
	if msg.appendP {
		l.rows = append(l.rows, msg.rows...)
		l.more = msg.more
		return tea.Batch(cmds...)
	}
	// Keep the cursor on the same ticket. An agent looking at the top sees
	// new rows arrive above it (the selection slides down); one scrolled
	// down keeps the selected row at the same place on screen.
	atTop := l.offset == 0
	screenPos := l.cursor - l.offset
	var sel int64
	if t, ok := l.Selected(); ok {
		sel = t.ID
	}
	l.rows, l.more = msg.rows, msg.more
	l.cursor = min(l.cursor, max(len(l.rows)-1, 0))
	for i, t := range l.rows {
		if t.ID == sel {
			l.cursor = i
			break
		}
	}
	l.offset = max(0, l.cursor-screenPos)
	if atTop {
		l.offset = 0
	}
	l.clampOffset()
	if l.cursor == 0 && l.offset == 0 && l.focused {
		l.unread = 0 // the agent is looking at the newest tickets
	}
	cmds = append(cmds, l.announce())
	return tea.Batch(cmds...)
}

// move shifts the cursor by d rows, paging in more rows near the end.
func (l *ticketList) move(d int) tea.Cmd {
	if len(l.rows) == 0 {
		return nil
	}
	l.cursor = max(0, min(len(l.rows)-1, l.cursor+d))
	l.clampOffset()
	cmds := []tea.Cmd{l.announce()}
	if l.more && !l.loading && l.cursor >= len(l.rows)-l.visible()-10 {
		cmds = append(cmds, l.load(true))
	}
	return tea.Batch(cmds...)
}

// announce tells the inbox when the selected ticket changed.
func (l *ticketList) announce() tea.Cmd {
	t, ok := l.Selected()
	if !ok && l.selected != 0 {
		// The list emptied (its tickets left the view): the panes beside it
		// show nothing rather than a ticket that is no longer here.
		l.selected = 0
		return func() tea.Msg { return ticketSelectedMsg{} }
	}
	if !ok || t.ID == l.selected {
		return nil
	}
	l.selected = t.ID
	return func() tea.Msg { return ticketSelectedMsg{t} }
}

func (l *ticketList) headerLines() int { return 1 }

func (l *ticketList) visible() int { return max(1, l.height-l.headerLines()) }

func (l *ticketList) clampOffset() {
	v := l.visible()
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+v {
		l.offset = l.cursor - v + 1
	}
	l.offset = max(0, min(l.offset, max(0, len(l.rows)-v)))
}

func (l *ticketList) View() string {
	s := l.c.Styles
	var b strings.Builder
	head := s.Header.Render(l.view.name)
	if l.searching || l.search.Value() != "" {
		head = l.search.View()
	} else {
		n := fmt.Sprintf(" %d", len(l.rows))
		if l.more {
			n += "+"
		}
		head += s.Dim.Render(n)
	}
	if l.adhoc != nil {
		head += " " + s.Filtered.Render("filtered")
	}
	if n := len(l.marked); n > 0 {
		head += " " + s.Marked.Render(fmt.Sprintf("%d selected", n))
	}
	if l.unread > 0 {
		head += " " + s.Unread.Render(fmt.Sprintf("%d new", l.unread))
	}
	b.WriteString(truncate(head, l.width) + "\n")
	switch {
	case l.err != nil:
		b.WriteString(s.Error.Render(truncate(l.err.Error(), l.width)))
	case len(l.rows) == 0 && l.loading:
		b.WriteString(s.Dim.Render("loading…"))
	case len(l.rows) == 0:
		b.WriteString(s.Dim.Render("no tickets here"))
	}
	end := min(len(l.rows), l.offset+l.visible())
	for i := l.offset; i < end; i++ {
		b.WriteString(l.row(l.rows[i], i == l.cursor))
		if i < end-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// row renders one ticket: badge, contact, subject or last message, tags,
// status and age, fitted to the list's width.
func (l *ticketList) row(t model.Ticket, selected bool) string {
	s := l.c.Styles
	w := l.width
	ageS := padRight(age(l.c.Now(), t.LastMessageAt), 4)
	status := padRight(string(t.Status), 8) + " "
	nameW := min(20, max(8, w/4))
	name := padRight(t.ContactName, nameW)
	text := firstNonEmpty(t.Subject, t.Preview)
	if len(t.Tags) > 0 {
		text = "[" + strings.Join(t.Tags, ",") + "] " + text
	}
	statusW := 9 // "pending " and a space; dropped on narrow lists, where the subject matters more
	if w < 44 {
		status, statusW = "", 0
	}
	restW := max(1, w-4-1-nameW-1-statusW-1-4)
	plain := name + " " + padRight(oneLine(text), restW) + " " + status + ageS
	gap := " "
	if l.marked[t.ID] { // picked for a batch action
		gap = s.Marked.Render("●")
	}
	if selected && l.focused {
		if l.marked[t.ID] {
			return s.Badge(t.Channel) + gap + s.Selected.Render(truncate(plain, w-5))
		}
		return s.Badge(t.Channel) + s.Selected.Render(" "+truncate(plain, w-5))
	}
	if selected {
		return s.Badge(t.Channel) + gap + s.Bold.Render(truncate(plain, w-5))
	}
	return s.Badge(t.Channel) + gap + truncate(plain, w-5)
}

func (l *ticketList) SetSize(w, h int) {
	l.width, l.height = w, h
	l.search.SetWidth(max(10, w-4))
	l.clampOffset()
}

func (l *ticketList) ShortHelp() []key.Binding {
	if len(l.marked) > 0 {
		return l.batchShortHelp()
	}
	return []key.Binding{ticketListKeys.Down, ticketListKeys.Open, ticketListKeys.Search}
}

func (l *ticketList) FullHelp() [][]key.Binding {
	k := ticketListKeys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Open, k.Search, k.ClearSearch}, l.batchFullHelp()}
}
