package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
)

const (
	duplicatesPage   = 50 // pairs per keyset page
	duplicatesHeader = 2  // title, column heading
)

// duplicatesKeys are the Duplicates screen's keys, one value per screen.
type duplicatesKeys struct {
	listKeys
	Open, NotDup, Back key.Binding
}

func newDuplicatesKeys() duplicatesKeys {
	return duplicatesKeys{
		listKeys: newListKeys("bottom of loaded"), // G does not read ahead here
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "compare")),
		NotDup:   key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "not a duplicate")),
		Back:     key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "back")),
	}
}

// dupName is how a contact of a pair is named in the list.
type dupName struct {
	name      string
	generated bool
	missing   bool // merged away or gone since the pair was read
}

// dupRow is one pair of the list with both contacts' names.
type dupRow struct {
	app.DuplicatePair
	a, b dupName
}

// duplicatesLoadedMsg is one keyset page of pairs, tagged like the
// Contacts screen's pages: replies of an older generation are dropped.
type duplicatesLoadedMsg struct {
	seq   int
	kind  pageKind
	from  int // index in the loaded rows where this page goes
	rows  []dupRow
	total int64 // open pairs in all; -1 when not counted
	err   error
}

// duplicatesScreen lists every open potential-duplicate pair, best first,
// read a keyset page at a time as the cursor nears the end of what is
// loaded.
type duplicatesScreen struct {
	c             *Context
	keys          duplicatesKeys
	width, height int

	pagedList[dupRow]
	total  int64
	loaded bool
	busy   map[pairKey]bool // "not a duplicate" on its way
}

func newDuplicatesScreen(c *Context) *duplicatesScreen {
	return &duplicatesScreen{c: c, keys: newDuplicatesKeys(), total: -1, busy: map[pairKey]bool{}}
}

func (s *duplicatesScreen) Init() tea.Cmd { return s.fresh() }

func (s *duplicatesScreen) fresh() tea.Cmd {
	s.seq++
	return s.fetch(pageFresh, 0, nil)
}

// reload reads the list again from the first row on screen, keeping the
// cursor on the same pair when it is still open.
func (s *duplicatesScreen) reload() tea.Cmd {
	from, ok := s.reloadFrom()
	if !ok {
		return s.fresh()
	}
	s.seq++
	var after *app.DuplicatePair
	if from > 0 {
		p := s.rows[from-1].DuplicatePair
		after = &p
	}
	return s.fetch(pageReload, from, after)
}

func (s *duplicatesScreen) next() tea.Cmd {
	if !s.canNext() {
		return nil
	}
	p := s.rows[len(s.rows)-1].DuplicatePair
	return s.fetch(pageNext, len(s.rows), &p)
}

// fetch reads a page of pairs and the names of their contacts, and counts
// the open pairs on a fresh start or a reload.
func (s *duplicatesScreen) fetch(kind pageKind, from int, after *app.DuplicatePair) tea.Cmd {
	s.request(kind)
	c, seq := s.c, s.seq
	return func() tea.Msg {
		msg := duplicatesLoadedMsg{seq: seq, kind: kind, from: from, total: -1}
		ps, err := c.App.Duplicates(c.Ctx, app.DupPage{After: after, Limit: duplicatesPage})
		if err != nil {
			msg.err = err
			return msg
		}
		names := map[int64]dupName{}
		name := func(id int64) dupName {
			if n, ok := names[id]; ok {
				return n
			}
			n := dupName{name: fmt.Sprintf("contact %d", id), missing: true}
			if ct, err := c.App.Contact(c.Ctx, id); err == nil {
				n = dupName{name: ct.Name, generated: ct.NameGenerated}
			}
			names[id] = n
			return n
		}
		msg.rows = make([]dupRow, len(ps))
		for i, p := range ps {
			msg.rows[i] = dupRow{DuplicatePair: p, a: name(p.A), b: name(p.B)}
		}
		if kind != pageNext {
			if n, err := c.App.CountDuplicates(c.Ctx); err == nil {
				msg.total = n
			}
		}
		return msg
	}
}

func (s *duplicatesScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case duplicatesLoadedMsg:
		return s.pageLoaded(msg)
	case pairDismissedMsg:
		if msg.from != component(s) {
			return nil
		}
		k := keyOf(msg.x, msg.y)
		delete(s.busy, k)
		if msg.err != nil {
			return statusErr(msg.err)
		}
		if i := s.index(k); i >= 0 {
			s.rows = slices.Delete(s.rows, i, i+1)
			if s.total > 0 {
				s.total--
			}
			s.setCursor(s.cursor)
		}
		return tea.Batch(status(fmt.Sprintf("#%d and #%d recorded as not a duplicate", k[0], k[1])),
			announceContacts(msg.x, msg.y), s.nearEnd(s.next))
	case dataChangedMsg:
		return s.reload()
	case tea.MouseWheelMsg:
		if by, ok := wheel(msg); ok {
			return s.moveBy(by, s.next)
		}
		return nil
	case tea.MouseClickMsg:
		i, ok := s.rowAt(msg.Y, duplicatesHeader)
		if msg.Button != tea.MouseLeft || !ok {
			return nil
		}
		if i == s.cursor {
			return s.open()
		}
		return s.moveBy(i-s.cursor, s.next)
	case tea.KeyPressMsg:
		return s.key(msg)
	}
	return nil
}

func (s *duplicatesScreen) index(k pairKey) int {
	return slices.IndexFunc(s.rows, func(r dupRow) bool { return pairKeyOf(r.DuplicatePair) == k })
}

func (s *duplicatesScreen) pageLoaded(msg duplicatesLoadedMsg) tea.Cmd {
	if s.stale(msg.seq, msg.kind, msg.from) {
		return nil
	}
	s.loading, s.loaded = false, true
	if msg.err != nil {
		s.err = msg.err
		return nil
	}
	s.err = nil
	if msg.total >= 0 {
		s.total = msg.total
	}
	s.land(msg.kind, msg.from, msg.rows, duplicatesPage, samePair)
	s.setCursor(s.cursor)
	return s.nearEnd(s.next)
}

func samePair(a, b dupRow) bool { return pairKeyOf(a.DuplicatePair) == pairKeyOf(b.DuplicatePair) }

func (s *duplicatesScreen) key(msg tea.KeyPressMsg) tea.Cmd {
	k := s.keys
	switch {
	case key.Matches(msg, k.Back):
		return closeTop
	case key.Matches(msg, k.Open):
		return s.open()
	case key.Matches(msg, k.NotDup):
		return s.notDuplicate()
	}
	if by, ok := s.step(msg, k.listKeys); ok {
		return s.moveBy(by, s.next)
	}
	return nil
}

// open compares the pair under the cursor, walking the list from there.
func (s *duplicatesScreen) open() tea.Cmd {
	if s.cursor >= len(s.rows) {
		return nil
	}
	ps := make([]app.DuplicatePair, 0, len(s.rows)-s.cursor)
	for _, r := range s.rows[s.cursor:] {
		ps = append(ps, r.DuplicatePair)
	}
	return open(newCompareFromList(s.c, ps, s.more))
}

// notDuplicate records the pair under the cursor as two people, at once.
func (s *duplicatesScreen) notDuplicate() tea.Cmd {
	if s.cursor >= len(s.rows) {
		return nil
	}
	p := s.rows[s.cursor].DuplicatePair
	k := pairKeyOf(p)
	if s.busy[k] {
		return nil
	}
	s.busy[k] = true
	from, c := s, s.c
	return func() tea.Msg {
		return pairDismissedMsg{from: from, x: p.A, y: p.B, err: c.App.NotDuplicate(c.Ctx, c.Agent, p.A, p.B)}
	}
}

func (s *duplicatesScreen) SetSize(w, h int) {
	s.width, s.height = w, h
	s.setVisible(h - duplicatesHeader)
}

func (s *duplicatesScreen) ShortHelp() []key.Binding {
	k := s.keys
	return []key.Binding{k.Down, k.Up, k.Open, k.NotDup, k.Back}
}

func (s *duplicatesScreen) FullHelp() [][]key.Binding {
	k := s.keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Open, k.NotDup, k.Back}}
}

// duplicatesCols are the column widths at a screen width.
type duplicatesCols struct{ score, name, why int }

func duplicatesLayout(w int) duplicatesCols {
	c := duplicatesCols{score: 5}
	rest := max(w-2-c.score-3, 30) // the cursor gutter, three gaps
	c.name = min(max(rest*30/100, 12), 32)
	c.why = max(rest-2*c.name, 0)
	return c
}

func (s *duplicatesScreen) View() string {
	st := s.c.Styles
	if s.width <= 0 || s.height <= 0 {
		return ""
	}
	l := duplicatesLayout(s.width)
	lines := []string{truncate(s.titleLine(), s.width)}
	head := "  " + strings.Join([]string{padRight("Score", l.score), padRight("Contact", l.name), padRight("Contact", l.name), "Why"}, " ")
	lines = append(lines, truncate(st.Header.Render(head), s.width))
	switch {
	case !s.loaded && s.err == nil:
		lines = append(lines, st.Dim.Render("Loading…"))
	case len(s.rows) == 0 && s.err == nil:
		lines = append(lines, "", truncate(st.Bold.Render("No potential duplicates."), s.width),
			truncate(st.Dim.Render("Pairs appear here when a new contact looks like an existing one."), s.width))
	}
	from, to := s.shown()
	for i := from; i < to; i++ {
		lines = append(lines, s.rowView(s.rows[i], l, i == s.cursor))
	}
	return strings.Join(lines, "\n")
}

func (s *duplicatesScreen) titleLine() string {
	st := s.c.Styles
	t := st.Title.Render("Potential duplicates")
	switch {
	case s.total >= 0:
		t += "  " + st.Dim.Render(nounCount(int(s.total), "open pair", "open pairs")+", best first")
	case s.more:
		t += "  " + st.Dim.Render(fmt.Sprintf("%d loaded · more…", len(s.rows)))
	}
	if len(s.rows) > 0 {
		t += st.Dim.Render(fmt.Sprintf(" · row %d", s.cursor+1))
	}
	if s.loading && s.loaded {
		t += st.Dim.Render(" · loading…")
	}
	if s.err != nil {
		t += "  " + st.Error.Render("could not list the pairs: "+s.err.Error())
	}
	return t
}

// rowView renders one pair; the selected row is drawn plain, then
// reversed whole.
func (s *duplicatesScreen) rowView(r dupRow, l duplicatesCols, selected bool) string {
	st := s.c.Styles
	name := func(id int64, n dupName) string {
		text := fmt.Sprintf("#%d %s", id, n.name)
		if n.generated {
			text += " (gen)"
		}
		text = padRight(text, l.name)
		switch {
		case selected:
		case n.missing:
			text = st.Dim.Render(text)
		case n.generated:
			text = st.Generated.Render(text)
		}
		return text
	}
	why := strings.Join(r.Reasons, ", ")
	if s.busy[pairKeyOf(r.DuplicatePair)] {
		why = "recording not a duplicate…"
	}
	gutter := "  "
	if selected {
		gutter = "▸ "
	}
	row := gutter + strings.Join([]string{padRight(fmt.Sprintf("%.2f", r.Score), l.score), name(r.A, r.a), name(r.B, r.b),
		padRight(why, l.why)}, " ")
	row = padStyled(row, s.width)
	if selected {
		return st.Selected.Render(row)
	}
	return row
}
