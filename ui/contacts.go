package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
	"cxinbox/model"
)

const (
	contactsPage = 100 // rows per keyset page
	// contactsFollowPages bounds how far one G reads ahead: the end of a
	// 300-row list, never the whole of a 250,000-row table in one key.
	contactsFollowPages = 10
	contactsHeader      = 3 // title, search box, column heading
)

// contactsKeys are the Contacts screen's keys, one value per screen.
type contactsKeys struct {
	listKeys
	Search, Open, Back key.Binding
	Done, Clear        key.Binding // while typing a search
}

func newContactsKeys() contactsKeys {
	return contactsKeys{
		listKeys: newListKeys("bottom"), // G reads ahead to the end
		Search:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search")),
		Open:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:     key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "clear search / back")),
		Done:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "to the list")),
		Clear:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear search")),
	}
}

// contactsLoadedMsg is one keyset page of contacts. seq is the request
// generation: a search keystroke or reload starts a new one, and replies of
// older generations are dropped (gh-dash's task-id pattern).
type contactsLoadedMsg struct {
	seq   int
	kind  pageKind
	from  int   // index in the loaded rows where this page goes
	after int64 // the keyset anchor it was read after
	rows  []app.ContactSummary
	err   error
}

// contactsScreen is the searchable list of all contacts, read a keyset page
// at a time as the cursor nears the end of what is loaded.
type contactsScreen struct {
	c             *Context
	keys          contactsKeys
	width, height int
	search        textinput.Model
	query         string // the search the loaded rows answer

	pagedList[app.ContactSummary]
	follow int // pages G may still read ahead
}

func newContactsScreen(c *Context) *contactsScreen {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "search name, or exact email, phone or identity"
	in.SetStyles(inputStyles())
	in.CharLimit = 200
	return &contactsScreen{c: c, keys: newContactsKeys(), search: in}
}

func (s *contactsScreen) Init() tea.Cmd { return s.fresh() }

// Typing is true while the search box has the keyboard.
func (s *contactsScreen) Typing() bool { return s.search.Focused() }

// fresh starts a new generation: the first page of the current search.
func (s *contactsScreen) fresh() tea.Cmd {
	s.seq++
	s.query = strings.TrimSpace(s.search.Value())
	s.follow = 0
	return s.fetch(pageFresh, 0, 0)
}

// reload reads the visible window again (from the first row on screen),
// keeping the cursor on the same contact; rows above the window stay.
func (s *contactsScreen) reload() tea.Cmd {
	from, ok := s.reloadFrom()
	if !ok {
		return s.fresh() // a search still on its way, or nothing to keep
	}
	s.seq++
	var after int64
	if from > 0 {
		after = s.rows[from-1].ID
	}
	return s.fetch(pageReload, from, after)
}

// next asks for the page after the loaded rows, unless one is on its way.
func (s *contactsScreen) next() tea.Cmd {
	if !s.canNext() {
		return nil
	}
	return s.fetch(pageNext, len(s.rows), s.rows[len(s.rows)-1].ID)
}

func (s *contactsScreen) fetch(kind pageKind, from int, after int64) tea.Cmd {
	s.request(kind)
	c, seq, q := s.c, s.seq, s.query
	return func() tea.Msg {
		rows, err := c.App.ListContacts(c.Ctx, app.ContactPage{After: after, Limit: contactsPage, Search: q})
		return contactsLoadedMsg{seq: seq, kind: kind, from: from, after: after, rows: rows, err: err}
	}
}

func (s *contactsScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case contactsLoadedMsg:
		return s.loaded(msg)
	case dataChangedMsg:
		return s.reload()
	case tea.MouseWheelMsg:
		if by, ok := wheel(msg); ok {
			return s.move(by)
		}
		return nil
	case tea.MouseClickMsg:
		return s.click(msg)
	case tea.KeyPressMsg:
		if s.search.Focused() {
			return s.typing(msg)
		}
		return s.key(msg)
	}
	return nil
}

func (s *contactsScreen) loaded(msg contactsLoadedMsg) tea.Cmd {
	if s.stale(msg.seq, msg.kind, msg.from) {
		return nil // an older search, or a page already superseded
	}
	s.loading = false
	if msg.err != nil {
		s.err, s.follow = msg.err, 0
		return nil
	}
	s.err = nil
	s.land(msg.kind, msg.from, msg.rows, contactsPage, sameContact)
	if msg.kind == pageNext && s.follow > 0 {
		// G is reading ahead: the cursor rides the end of each page.
		s.follow--
		s.cursor = len(s.rows) - 1
		if !s.more {
			s.follow = 0
		}
	}
	s.setCursor(s.cursor)
	if s.follow > 0 {
		return s.next()
	}
	return s.nearEnd(s.next)
}

func sameContact(a, b app.ContactSummary) bool { return a.ID == b.ID }

func (s *contactsScreen) typing(msg tea.KeyPressMsg) tea.Cmd {
	k := s.keys
	switch {
	case key.Matches(msg, k.Done):
		s.search.Blur()
		return nil
	case key.Matches(msg, k.Clear):
		s.search.Blur()
		if s.search.Value() == "" && s.query == "" {
			return nil
		}
		s.search.SetValue("")
		return s.fresh()
	case slices.Contains([]string{"up", "down", "pgup", "pgdown"}, msg.String()):
		return s.key(msg) // the list moves while the search is typed (j/k are text)
	}
	before := s.search.Value()
	var cmd tea.Cmd
	s.search, cmd = s.search.Update(msg)
	if strings.TrimSpace(s.search.Value()) != strings.TrimSpace(before) {
		return tea.Batch(cmd, s.fresh())
	}
	return cmd
}

func (s *contactsScreen) key(msg tea.KeyPressMsg) tea.Cmd {
	k := s.keys
	switch {
	case key.Matches(msg, k.Search):
		return s.search.Focus()
	case key.Matches(msg, k.Back):
		if s.query != "" || s.search.Value() != "" {
			s.search.SetValue("")
			return s.fresh()
		}
		return closeTop
	case key.Matches(msg, k.Open):
		return s.open()
	case key.Matches(msg, k.Bottom):
		// G goes to the end of the list, not just of what is loaded.
		s.setCursor(len(s.rows) - 1)
		if s.more {
			s.follow = contactsFollowPages
			return s.next()
		}
		return nil
	}
	if by, ok := s.step(msg, k.listKeys); ok {
		return s.move(by)
	}
	return nil
}

func (s *contactsScreen) open() tea.Cmd {
	if s.cursor >= len(s.rows) {
		return nil
	}
	id := s.rows[s.cursor].ID
	return func() tea.Msg { return openContactMsg{id: id} }
}

// move is a move of the user's, so it ends a read-ahead of G's.
func (s *contactsScreen) move(by int) tea.Cmd {
	s.follow = 0
	return s.moveBy(by, s.next)
}

// click selects the row under the mouse; a click on the selected row opens
// it, and a click on the search line focuses the search.
func (s *contactsScreen) click(msg tea.MouseClickMsg) tea.Cmd {
	if msg.Button != tea.MouseLeft {
		return nil
	}
	if msg.Y == 1 {
		return s.search.Focus()
	}
	i, ok := s.rowAt(msg.Y, contactsHeader)
	if !ok {
		return nil
	}
	s.search.Blur()
	if i == s.cursor {
		return s.open()
	}
	return s.move(i - s.cursor)
}

func (s *contactsScreen) SetSize(w, h int) {
	s.width, s.height = w, h
	s.search.SetWidth(max(w-4, 10))
	s.setVisible(h - contactsHeader)
}

func (s *contactsScreen) ShortHelp() []key.Binding {
	k := s.keys
	if s.search.Focused() {
		return []key.Binding{k.Done, k.Clear}
	}
	return []key.Binding{k.Down, k.Up, k.Search, k.Open, k.Back}
}

func (s *contactsScreen) FullHelp() [][]key.Binding {
	k := s.keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Search, k.Done, k.Clear, k.Open, k.Back},
	}
}

// contactsCols are the column widths at a screen width: fixed ones, and the
// rest shared by name and tags.
type contactsCols struct{ id, name, badges, stage, country, tags, dup int }

func contactsLayout(w int) contactsCols {
	c := contactsCols{id: 7, badges: 14, stage: 11, country: 4, dup: 7}
	rest := max(w-2-c.id-c.badges-c.stage-c.country-c.dup-7, 12) // the cursor gutter, 7 gaps
	c.name = max(rest*55/100, 10)
	c.tags = max(rest-c.name, 0)
	return c
}

func (s *contactsScreen) View() string {
	st := s.c.Styles
	if s.width <= 0 || s.height <= 0 {
		return ""
	}
	lines := make([]string, 0, s.height)
	lines = append(lines, truncate(s.titleLine(), s.width))
	lines = append(lines, truncate(s.searchLine(), s.width))
	l := contactsLayout(s.width)
	head := "  " + strings.Join([]string{fmt.Sprintf("%*s", l.id, "ID"), padRight("Name", l.name), padRight("Channels", l.badges),
		padRight("Stage", l.stage), padRight("Ctry", l.country), padRight("Tags", l.tags), "Dups"}, " ")
	lines = append(lines, truncate(st.Header.Render(head), s.width))
	switch {
	case s.err != nil && len(s.rows) == 0:
		// The error shows in the title line.
	case len(s.rows) == 0 && s.loading:
		lines = append(lines, st.Dim.Render("Loading…"))
	case len(s.rows) == 0 && s.query != "":
		lines = append(lines, st.Dim.Render(truncate(fmt.Sprintf("No contact matches %q.", s.query), s.width)))
	case len(s.rows) == 0:
		lines = append(lines, st.Dim.Render("No contacts yet."))
	}
	// Only the rows on screen are rendered.
	from, to := s.shown()
	for i := from; i < to; i++ {
		lines = append(lines, s.rowView(s.rows[i], l, i == s.cursor))
	}
	return strings.Join(lines, "\n")
}

func (s *contactsScreen) titleLine() string {
	st := s.c.Styles
	t := st.Title.Render("Contacts")
	n := len(s.rows)
	count := nounCount(n, "contact", "contacts")
	switch {
	case s.more:
		count = fmt.Sprintf("%d loaded · more…", n)
	case s.query != "":
		count = nounCount(n, "match", "matches")
	}
	t += "  " + st.Dim.Render(count)
	if n > 0 {
		t += st.Dim.Render(fmt.Sprintf(" · row %d", s.cursor+1))
	}
	if s.loading {
		t += st.Dim.Render(" · loading…")
	}
	if s.err != nil { // the rows already shown stay
		t += "  " + st.Error.Render("could not list contacts: "+s.err.Error())
	}
	return t
}

func (s *contactsScreen) searchLine() string {
	st := s.c.Styles
	if !s.search.Focused() && s.search.Value() == "" {
		return st.Dim.Render("/ to search by name, or exact email, phone or identity")
	}
	if !s.search.Focused() {
		return st.Dim.Render("/ ") + s.search.Value() + st.Dim.Render("   esc clears · / edits")
	}
	return s.search.View()
}

// rowView renders one contact. The selected row is drawn plain and then
// reversed whole, so the channel colours do not punch holes in the bar.
func (s *contactsScreen) rowView(r app.ContactSummary, l contactsCols, selected bool) string {
	st := s.c.Styles
	styled := !selected
	name := r.Name
	if r.NameGenerated {
		name += " (gen)"
	}
	name = padRight(name, l.name)
	if styled && r.NameGenerated {
		name = st.Generated.Render(name)
	}
	badges := contactBadges(st, r.Identities, l.badges, styled)
	dup := strings.Repeat(" ", l.dup)
	if n := len(r.PotentialDuplicates); n > 0 {
		dup = padRight(fmt.Sprintf("⚠ %d dup", n), l.dup)
		if styled {
			dup = st.Warn.Render(dup)
		}
	}
	tags := padRight(strings.Join(r.Tags, ", "), l.tags)
	gutter := "  "
	if selected {
		gutter = "▸ " // visible without colour too
	}
	row := gutter + strings.Join([]string{fmt.Sprintf("%*s", l.id, "#"+strconv.FormatInt(r.ID, 10)), name, badges,
		padRight(leadStageLabel(r.LeadStage), l.stage), padRight(r.Country, l.country), tags, dup}, " ")
	row = padStyled(row, s.width)
	if selected {
		return st.Selected.Render(row)
	}
	return row
}

// contactBadges lists the channels a contact can be reached on, once each,
// in the channels' display order, cut to width with "+N".
func contactBadges(st Styles, ids []model.Identity, width int, styled bool) string {
	var chans []model.Channel
	for _, ch := range model.Channels {
		if slices.ContainsFunc(ids, func(id model.Identity) bool { return id.Channel == ch }) {
			chans = append(chans, ch)
		}
	}
	fit := max((width+1)/5, 1) // four cells and a gap each
	shown := chans
	if len(chans) > fit {
		shown = chans[:fit-1]
	}
	parts := make([]string, 0, fit)
	for _, ch := range shown {
		b := channelBadges[ch]
		if styled {
			b = st.Badge(ch)
		}
		parts = append(parts, b)
	}
	if len(shown) < len(chans) {
		parts = append(parts, fmt.Sprintf("+%d", len(chans)-len(shown)))
	}
	return padStyled(strings.Join(parts, " "), width)
}
