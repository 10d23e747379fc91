package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
	"cxinbox/model"
)

// view is one entry of the left rail: a name and the ticket query behind it.
// Saved views (issue 4) carry the app's view; built-in ones have none.
type view struct {
	name  string
	query app.TicketQuery
	saved *app.View
}

// key identifies a view across reloads of the rail.
func (v view) key() string {
	if v.saved != nil {
		return "v" + strconv.FormatInt(v.saved.ID, 10)
	}
	return "b" + v.name
}

// savedView is the rail's entry for a saved view: its filter is the query.
func savedView(v app.View) view {
	sv := v
	return view{name: v.Name, query: app.TicketQuery{Filter: &sv.Filter}, saved: &sv}
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

type (
	// viewChosenMsg says the agent picked a view in the rail.
	viewChosenMsg struct{ v view }
	// viewRefreshedMsg says the saved view on screen was changed (edited
	// here, by its owner or an admin): the list reloads it in place.
	viewRefreshedMsg struct{ v view }
	// savedViewsLoadedMsg is the agent's saved views, for the rail's latest load.
	savedViewsLoadedMsg struct {
		seq   int
		views []app.View
		err   error
	}
	// viewCountedMsg is a saved view's ticket count; gen drops stale ones.
	viewCountedMsg struct {
		id  int64
		gen int
		n   int64
		err error
	}
	// railCountTickMsg says counts that were too fresh to redo may be redone.
	railCountTickMsg struct{}
	// viewsChangedMsg says views were created, edited, moved or deleted:
	// whatever lists them reloads.
	viewsChangedMsg struct{}
)

func viewsChanged() tea.Msg { return viewsChangedMsg{} }

type railKeyMap struct{ Up, Down, Open, New, Edit, Manage key.Binding }

var railKeys = railKeyMap{
	Up:     key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
	Down:   key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
	Open:   key.NewBinding(key.WithKeys("enter", "l", "right"), key.WithHelp("enter", "open view")),
	New:    key.NewBinding(key.WithKeys("+", "N"), key.WithHelp("+/N", "new view")),
	Edit:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit saved view")),
	Manage: key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "manage views")),
}

// countEvery is how often at most a saved view's count is redone after the
// data changed: counting is whole-table work on a million tickets.
const countEvery = 3 * time.Second

// viewCount is the cached ticket count of a saved view.
type viewCount struct {
	n      int64
	known  bool // n (or err) is an answer
	err    error
	stale  bool // the data changed since
	at     time.Time
	gen    int    // the latest request; older replies are dropped
	filter string // the filter counted, to notice edits
}

// rail is the left column of views: the built-in ones, then the agent's
// saved views with their ticket counts.
type rail struct {
	c             *Context
	builtIn       []view
	views         []view // builtIn, then the saved views
	cursor, open  int
	offset        int // first line shown
	width, height int
	focused       bool

	seq  int   // the latest saved-views load
	err  error // why the saved views could not be loaded
	want int64 // a saved view to open once it is loaded (saved from the drawer)

	counts     map[int64]*viewCount
	counting   bool // one count at a time: they are slow
	countEvery time.Duration
	ticking    bool // a railCountTickMsg is on its way
	force      bool // redo stale counts now (the tick fired)
	listReady  bool // the ticket list has loaded: counts may start
}

func newRail(c *Context) *rail {
	b := builtInViews(c.Agent)
	return &rail{c: c, builtIn: b, views: b, counts: map[int64]*viewCount{}, countEvery: countEvery}
}

// Init loads the saved views.
func (r *rail) Init() tea.Cmd { return r.load() }

func (r *rail) load() tea.Cmd {
	r.seq++
	seq, ctx, a, agent := r.seq, r.c.Ctx, r.c.App, r.c.Agent
	return func() tea.Msg {
		vs, err := a.Views(ctx, agent)
		return savedViewsLoadedMsg{seq: seq, views: vs, err: err}
	}
}

// ListLoaded is called when the ticket list has a page: counts start after
// it, so the list never waits behind them.
func (r *rail) ListLoaded() tea.Cmd {
	r.listReady = true
	return r.countDue()
}

func (r *rail) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case savedViewsLoadedMsg:
		if msg.seq != r.seq {
			return nil
		}
		return r.loaded(msg)
	case dataChangedMsg:
		// Counts are redone after the list has reloaded (ListLoaded). The
		// views themselves change here only through viewsChangedMsg, so only
		// another process's commit (the CLI's views edit) re-reads them.
		for _, e := range r.counts {
			e.stale = true
		}
		if msg.Source == "external" {
			return r.load()
		}
		return nil
	case viewsChangedMsg:
		return r.load()
	case viewSavedMsg:
		if msg.fromDrawer {
			r.want = msg.v.ID
		}
		return r.load()
	case viewCountedMsg:
		return r.counted(msg)
	case railCountTickMsg:
		r.ticking, r.force = false, true
		return r.countDue()
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, railKeys.Up):
			r.cursor = max(r.cursor-1, 0)
		case key.Matches(msg, railKeys.Down):
			r.cursor = min(r.cursor+1, len(r.views)-1)
		case key.Matches(msg, railKeys.Open):
			return r.choose(r.cursor)
		case key.Matches(msg, railKeys.New):
			return open(newViewBuilder(r.c, nil))
		case key.Matches(msg, railKeys.Edit) && r.views[r.cursor].saved != nil:
			return open(newViewBuilder(r.c, r.views[r.cursor].saved))
		case key.Matches(msg, railKeys.Manage):
			return open(newManageViews(r.c))
		}
		r.reveal()
	case tea.MouseClickMsg:
		lines := r.lines()
		if i := r.offset + msg.Mouse().Y; msg.Mouse().Y >= 0 && i < len(lines) {
			switch l := lines[i]; {
			case l.view >= 0:
				r.cursor = l.view
				return r.choose(l.view)
			case l.action == railNew:
				return open(newViewBuilder(r.c, nil))
			case l.action == railManage:
				return open(newManageViews(r.c))
			}
		}
	}
	return nil
}

// loaded puts the saved views below the built-in ones, keeping the cursor
// and the open view where they were. An open view that went away gives way
// to the first; one that was edited is reloaded in place.
func (r *rail) loaded(msg savedViewsLoadedMsg) tea.Cmd {
	r.err = msg.err
	if msg.err != nil {
		return nil
	}
	curKey, openV := r.views[r.cursor].key(), r.views[r.open]
	r.views = append([]view(nil), r.builtIn...)
	seen := map[int64]bool{}
	for _, v := range msg.views {
		r.views = append(r.views, savedView(v))
		seen[v.ID] = true
		e := r.counts[v.ID]
		if f := filterKey(v.Filter); e != nil && e.filter != f {
			e.known, e.filter = false, f // edited: the old count is wrong
			e.gen++
		}
	}
	for id := range r.counts {
		if !seen[id] {
			delete(r.counts, id)
		}
	}
	r.cursor, r.open = 0, -1
	for i, v := range r.views {
		if v.key() == curKey {
			r.cursor = i
		}
		if v.key() == openV.key() {
			r.open = i
		}
	}
	var cmds []tea.Cmd
	switch {
	case r.want != 0 && seen[r.want]:
		for i, v := range r.views {
			if v.saved != nil && v.saved.ID == r.want {
				r.cursor = i
				cmds = append(cmds, r.choose(i))
			}
		}
		r.want = 0
	case r.open < 0:
		cmds = append(cmds, r.choose(0))
	case openV.saved != nil && openV.saved.UpdatedAt != r.views[r.open].saved.UpdatedAt:
		v := r.views[r.open]
		cmds = append(cmds, func() tea.Msg { return viewRefreshedMsg{v} })
	}
	r.reveal()
	return tea.Batch(append(cmds, r.countDue())...)
}

func (r *rail) choose(i int) tea.Cmd {
	r.open = i
	v := r.views[i]
	return func() tea.Msg { return viewChosenMsg{v} }
}

// countDue starts the next count the rail needs: a saved view never
// counted, or one whose data changed and whose count is older than
// countEvery. One count runs at a time, after the list's first page; when
// only too-fresh counts are stale, a tick comes back for them.
func (r *rail) countDue() tea.Cmd {
	if !r.listReady || r.counting {
		return nil
	}
	now := r.c.Now()
	wait := time.Duration(-1)
	for _, v := range r.views {
		if v.saved == nil {
			continue
		}
		e := r.counts[v.saved.ID]
		if e == nil {
			e = &viewCount{filter: filterKey(v.saved.Filter)}
			r.counts[v.saved.ID] = e
		}
		if e.known && !e.stale {
			continue
		}
		if e.known && !r.force {
			if d := e.at.Add(r.countEvery).Sub(now); d > 0 {
				if wait < 0 || d < wait {
					wait = d
				}
				continue
			}
		}
		return r.count(v.saved, e)
	}
	r.force = false
	if wait > 0 && !r.ticking {
		r.ticking = true
		return tea.Tick(wait, func(time.Time) tea.Msg { return railCountTickMsg{} })
	}
	return nil
}

func (r *rail) count(v *app.View, e *viewCount) tea.Cmd {
	e.gen++
	r.counting = true
	id, gen, f, ctx, a := v.ID, e.gen, v.Filter, r.c.Ctx, r.c.App
	return func() tea.Msg {
		n, err := a.CountTickets(ctx, app.TicketQuery{Filter: &f})
		return viewCountedMsg{id: id, gen: gen, n: n, err: err}
	}
}

func (r *rail) counted(msg viewCountedMsg) tea.Cmd {
	r.counting = false
	if e := r.counts[msg.id]; e != nil && e.gen == msg.gen {
		e.n, e.err, e.known, e.stale, e.at = msg.n, msg.err, true, false, r.c.Now()
	}
	return r.countDue()
}

// countText is a saved view's count as the rail shows it: "…" until known.
func (r *rail) countText(id int64) string {
	e := r.counts[id]
	switch {
	case e == nil || !e.known:
		return "…"
	case e.err != nil:
		return "?"
	}
	return compactCount(e.n)
}

// compactCount writes a count in at most four cells: 999, 12k, 1.2M.
func compactCount(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10)
	case n < 10_000:
		return fmt.Sprintf("%.1fk", float64(n)/1000)
	case n < 1_000_000:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprintf("%.1fM", float64(n)/1_000_000)
}

type railAction int

const (
	railNone railAction = iota
	railNew
	railManage
)

// railLine is one line of the rail: a view (its index) or an action.
type railLine struct {
	text   string
	view   int
	action railAction
}

func (r *rail) lines() []railLine {
	s := r.c.Styles
	out := []railLine{{text: s.Header.Render("Views"), view: -1}}
	saved := false
	for i, v := range r.views {
		if v.saved != nil && !saved {
			saved = true
			out = append(out, railLine{text: s.Header.Render(truncate("Saved views", r.width)), view: -1})
		}
		mark := " "
		if i == r.open {
			mark = "▸"
		}
		line := padRight(mark+v.name, r.width)
		if v.saved != nil {
			n := r.countText(v.saved.ID)
			line = padRight(mark+v.name, max(r.width-len([]rune(n))-1, 1)) + " " + n
		}
		switch {
		case i == r.cursor && r.focused:
			line = s.Selected.Render(line)
		case i == r.open:
			line = s.Bold.Render(line)
		}
		out = append(out, railLine{text: line, view: i})
	}
	if r.err != nil {
		out = append(out, railLine{text: s.Error.Render(truncate("views: "+r.err.Error(), r.width)), view: -1})
	}
	return append(out,
		railLine{text: s.Dim.Render(truncate("+ New View", r.width)), view: -1, action: railNew},
		railLine{text: s.Dim.Render(truncate("M Manage Views", r.width)), view: -1, action: railManage})
}

// reveal scrolls the rail so the cursor's line shows.
func (r *rail) reveal() {
	if r.height <= 0 {
		return
	}
	lines := r.lines()
	at := 0
	for i, l := range lines {
		if l.view == r.cursor {
			at = i
		}
	}
	if at < r.offset {
		r.offset = at
	}
	if at >= r.offset+r.height {
		r.offset = at - r.height + 1
	}
	r.offset = max(0, min(r.offset, len(lines)-r.height))
}

func (r *rail) View() string {
	lines := r.lines()
	end := len(lines)
	if r.height > 0 {
		end = min(end, r.offset+r.height)
	}
	var b strings.Builder
	for i := min(r.offset, end); i < end; i++ {
		b.WriteString(lines[i].text)
		if i < end-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func (r *rail) SetSize(w, h int) {
	r.width, r.height = w, h
	r.reveal()
}

func (r *rail) ShortHelp() []key.Binding {
	return []key.Binding{railKeys.Down, railKeys.Open, railKeys.New, railKeys.Manage}
}
func (r *rail) FullHelp() [][]key.Binding {
	return [][]key.Binding{{railKeys.Up, railKeys.Down, railKeys.Open}, {railKeys.New, railKeys.Edit, railKeys.Manage}}
}
