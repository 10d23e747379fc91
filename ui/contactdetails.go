package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"cxinbox/app"
	"cxinbox/model"
)

// detailsWide is the width from which Contact Details shows two columns.
const detailsWide = 110

// contactDetailsKeys are the Contact Details screen's keys. One value per
// screen (not a package global) because SetEnabled changes them per state.
type contactDetailsKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Switch, NextDup, OpenDup, Compare, Back key.Binding
}

func newContactDetailsKeys() contactDetailsKeys {
	return contactDetailsKeys{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d", "space"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Switch:   key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "next section")),
		NextDup:  key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "next duplicate"), key.WithDisabled()),
		OpenDup:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open duplicate"), key.WithDisabled()),
		Compare:  key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "compare potential duplicates"), key.WithDisabled()),
		Back:     key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "back")),
	}
}

// contactDetailsLoadedMsg carries one load of a contact's details; seq tells
// a stale reply (an older load of the same screen) from the latest one.
type contactDetailsLoadedMsg struct {
	id  int64
	seq int
	d   app.ContactDetails
	loc *time.Location // the contact's time zone, loaded off the UI goroutine
	err error
}

// contactDetails is the Contact Details screen (the spec's "Admin Console >
// Contact"): every field, identity, tag, potential duplicate, property, note,
// ticket and the activity timeline of one contact.
type contactDetails struct {
	c             *Context
	keys          contactDetailsKeys
	id            int64
	width, height int

	seq     int // of the latest load; replies with another seq are dropped
	loading bool
	loaded  bool
	err     error
	d       app.ContactDetails
	loc     *time.Location
	dup     int // the highlighted potential duplicate, opened by enter

	focus  int    // the column with the keyboard when two columns show
	offset [2]int // first visible line of each column

	cache detailsCache
}

// detailsCache holds the rendered lines of both columns, rebuilt only when
// the data, the width or the minute shown as the contact's local time changes.
type detailsCache struct {
	version, builtVersion int
	width                 int
	minute                time.Time
	cols                  [2][]string
	sections              [2][]int // first line of each section, for tab in one column
}

func newContactDetails(c *Context, id int64) *contactDetails {
	return &contactDetails{c: c, id: id, keys: newContactDetailsKeys()}
}

func (d *contactDetails) Init() tea.Cmd { return d.load() }

// load reads the whole contact in a command; the reply is tagged so only the
// latest load is shown.
func (d *contactDetails) load() tea.Cmd {
	d.seq++
	d.loading = true
	c, id, seq := d.c, d.id, d.seq
	return func() tea.Msg {
		det, err := c.App.ContactDetails(c.Ctx, id)
		msg := contactDetailsLoadedMsg{id: id, seq: seq, d: det, err: err}
		if err == nil && det.Timezone != "" {
			msg.loc, _ = time.LoadLocation(det.Timezone) // reads tzdata: not in View
		}
		return msg
	}
}

func (d *contactDetails) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case contactDetailsLoadedMsg:
		if msg.id != d.id || msg.seq != d.seq {
			return nil
		}
		d.loading, d.err = false, msg.err
		if msg.err == nil {
			d.d, d.loc, d.loaded = msg.d, msg.loc, true
			d.dup = min(d.dup, max(len(d.d.PotentialDuplicates)-1, 0))
		}
		hasDups := d.err == nil && len(d.d.PotentialDuplicates) > 0
		d.keys.NextDup.SetEnabled(hasDups && len(d.d.PotentialDuplicates) > 1)
		d.keys.OpenDup.SetEnabled(hasDups)
		d.keys.Compare.SetEnabled(hasDups)
		d.cache.version++
		d.clamp()
		return nil
	case dataChangedMsg:
		if msg.Source == "external" || slices.Contains(msg.ContactIDs, d.id) {
			return d.load()
		}
		return nil
	case tea.MouseWheelMsg:
		col := 0
		if d.wide() && msg.X >= d.leftWidth() {
			col = 1
		}
		switch msg.Button {
		case tea.MouseWheelUp:
			d.scroll(col, -3)
		case tea.MouseWheelDown:
			d.scroll(col, 3)
		}
		return nil
	case tea.KeyPressMsg:
		return d.key(msg)
	}
	return nil
}

func (d *contactDetails) key(msg tea.KeyPressMsg) tea.Cmd {
	k, page := d.keys, d.pageHeight()
	switch {
	case key.Matches(msg, k.Back):
		return closeTop
	case key.Matches(msg, k.Up):
		d.scroll(d.focus, -1)
	case key.Matches(msg, k.Down):
		d.scroll(d.focus, 1)
	case key.Matches(msg, k.PageUp):
		d.scroll(d.focus, -page)
	case key.Matches(msg, k.PageDown):
		d.scroll(d.focus, page)
	case key.Matches(msg, k.Top):
		d.offset[d.focus] = 0
	case key.Matches(msg, k.Bottom):
		d.offset[d.focus] = d.maxOffset(d.focus)
	case key.Matches(msg, k.Switch):
		d.switchSection(msg.String() == "shift+tab")
	case key.Matches(msg, k.NextDup):
		d.dup = (d.dup + 1) % len(d.d.PotentialDuplicates)
		d.cache.version++
	case key.Matches(msg, k.OpenDup):
		id := d.d.PotentialDuplicates[d.dup]
		return func() tea.Msg { return openContactMsg{id: id} }
	case key.Matches(msg, k.Compare):
		return open(newCompareForContact(d.c, d.id, d.d.Name))
	}
	return nil
}

// switchSection moves the keyboard to the other column when two show; in
// one column it jumps to the next (or previous) section heading instead.
func (d *contactDetails) switchSection(back bool) {
	if d.wide() {
		d.focus = 1 - d.focus
		return
	}
	d.focus = 0
	d.build()
	starts := d.cache.sections[0]
	if len(starts) == 0 {
		return
	}
	cur := d.offset[0]
	next := starts[0]
	if back {
		next = starts[len(starts)-1]
		for i := len(starts) - 1; i >= 0; i-- {
			if starts[i] < cur {
				next = starts[i]
				break
			}
		}
	} else {
		for _, s := range starts {
			if s > cur {
				next = s
				break
			}
		}
	}
	d.offset[0] = min(next, d.maxOffset(0))
}

func (d *contactDetails) SetSize(w, h int) {
	d.width, d.height = w, h
	if !d.wide() {
		d.focus = 0
	}
	d.clamp()
}

func (d *contactDetails) ShortHelp() []key.Binding {
	k := d.keys
	return []key.Binding{k.Down, k.Up, k.Switch, k.OpenDup, k.Compare, k.Back}
}

func (d *contactDetails) FullHelp() [][]key.Binding {
	k := d.keys
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom},
		{k.Switch, k.NextDup, k.OpenDup, k.Compare, k.Back},
	}
}

func (d *contactDetails) wide() bool { return d.width >= detailsWide }

// leftWidth is the outer width of the left column when two show.
func (d *contactDetails) leftWidth() int { return d.width * 45 / 100 }

// colWidths are the outer widths of the columns (one when narrow).
func (d *contactDetails) colWidths() []int {
	if d.wide() {
		return []int{d.leftWidth(), d.width - d.leftWidth()}
	}
	return []int{d.width}
}

// pageHeight is how many content lines a column shows: the screen less the
// title line and the column border.
func (d *contactDetails) pageHeight() int { return max(d.height-3, 1) }

func (d *contactDetails) maxOffset(col int) int {
	d.build()
	return max(len(d.cache.cols[col])-d.pageHeight(), 0)
}

func (d *contactDetails) scroll(col, by int) {
	d.offset[col] = min(max(d.offset[col]+by, 0), d.maxOffset(col))
}

func (d *contactDetails) clamp() {
	for col := range d.offset {
		d.scroll(col, 0)
	}
}

// columnInner is the text width inside a column of outer width w (border and
// one cell of padding each side).
func columnInner(w int) int { return max(w-4, 10) }

// build renders every line of both columns if anything they show changed.
func (d *contactDetails) build() {
	now := d.c.Now()
	minute := now.Truncate(time.Minute)
	cc := &d.cache
	if cc.builtVersion == cc.version && cc.width == d.width && cc.minute.Equal(minute) && cc.cols[0] != nil {
		return
	}
	cc.builtVersion, cc.width, cc.minute = cc.version, d.width, minute
	cc.cols, cc.sections = [2][]string{}, [2][]int{}
	if d.err != nil || !d.loaded {
		cc.cols[0] = []string{}
		return
	}
	widths := d.colWidths()
	left := []func(w int, now time.Time) []string{d.fieldsSection, d.identitiesSection, d.tagsSection,
		d.duplicatesSection, d.propertiesSection, d.notesSection}
	right := []func(w int, now time.Time) []string{d.ticketsSection, d.timelineSection}
	add := func(col, w int, secs []func(int, time.Time) []string) {
		for _, sec := range secs {
			lines := sec(w, now)
			if len(lines) == 0 {
				continue
			}
			if len(cc.cols[col]) > 0 {
				cc.cols[col] = append(cc.cols[col], "")
			}
			cc.sections[col] = append(cc.sections[col], len(cc.cols[col]))
			cc.cols[col] = append(cc.cols[col], lines...)
		}
	}
	if len(widths) == 2 {
		add(0, columnInner(widths[0]), left)
		add(1, columnInner(widths[1]), right)
		return
	}
	w := columnInner(widths[0])
	add(0, w, left)
	add(0, w, right)
}

func (d *contactDetails) View() string {
	s := d.c.Styles
	if d.width <= 0 || d.height <= 0 {
		return ""
	}
	title := d.titleLine()
	var body string
	switch {
	case d.err != nil:
		body = s.Error.Render(fmt.Sprintf("Could not load contact #%d: %v", d.id, d.err)) + "\n\n" +
			s.Dim.Render("esc goes back")
		body = s.Pane.Render(lipgloss.NewStyle().Width(columnInner(d.width)).Padding(0, 1).Render(body))
	case !d.loaded:
		body = s.Dim.Render(fmt.Sprintf("Loading contact #%d…", d.id))
	default:
		d.build()
		var cols []string
		for i, w := range d.colWidths() {
			cols = append(cols, d.columnView(i, w))
		}
		body = lipgloss.JoinHorizontal(lipgloss.Top, cols...)
	}
	return title + "\n" + body
}

// columnView draws the visible window of one column inside its border.
func (d *contactDetails) columnView(col, w int) string {
	s := d.c.Styles
	inner, h := columnInner(w), d.pageHeight()
	lines := d.cache.cols[col]
	start := min(d.offset[col], len(lines))
	end := min(start+h, len(lines))
	out := make([]string, 0, h)
	for _, l := range lines[start:end] {
		out = append(out, padStyled(l, inner))
	}
	for len(out) < h {
		out = append(out, strings.Repeat(" ", inner))
	}
	// A scroll mark on the last line says there is more below.
	if end < len(lines) {
		out[h-1] = padStyled(s.Dim.Render(fmt.Sprintf("↓ %d more lines", len(lines)-end)), inner)
	}
	return s.detailsColumn(d.focus == col).Render(strings.Join(out, "\n"))
}

// padStyled cuts or pads a styled line to exactly w cells.
func padStyled(l string, w int) string {
	l = truncate(l, w)
	if n := ansi.StringWidth(l); n < w {
		l += strings.Repeat(" ", w-n)
	}
	return l
}

func (d *contactDetails) titleLine() string {
	s := d.c.Styles
	t := s.Title.Render(fmt.Sprintf("Contact #%d", d.id))
	if d.loaded && d.err == nil {
		t += s.Title.Render(" · ") + d.nameView()
		if n := len(d.d.PotentialDuplicates); n > 0 {
			t += "  " + s.Warn.Render("⚠ "+dupCount(n))
		}
		t += s.Dim.Render(fmt.Sprintf("  %s · %s", nounCount(len(d.d.Identities), "identity", "identities"),
			nounCount(len(d.d.Tickets), "ticket", "tickets")))
	}
	return truncate(t, d.width)
}

func (d *contactDetails) nameView() string {
	s := d.c.Styles
	if d.d.NameGenerated {
		return s.Generated.Render(d.d.Name) + s.Dim.Render(" (generated name)")
	}
	return s.Bold.Render(d.d.Name)
}

func detailsHeading(s Styles, name string, n int) string {
	h := s.Header.Render(name)
	if n >= 0 {
		h += s.Dim.Render(" " + strconv.Itoa(n))
	}
	return h
}

func (d *contactDetails) fieldsSection(w int, now time.Time) []string {
	s, c := d.c.Styles, d.d
	const lw = 12
	field := func(label, value string) string {
		if value == "" {
			value = s.Dim.Render("—")
		}
		return s.Dim.Render(padRight(label, lw)) + truncate(value, w-lw)
	}
	tz := c.Timezone
	if tz != "" && d.loc != nil {
		local := now.In(d.loc)
		tz += s.Dim.Render(" · local ") + local.Format("15:04 Mon")
		if offset := s.Dim.Render(local.Format(" (UTC-07:00)")); ansi.StringWidth(tz+offset) <= w-lw {
			tz += offset // the offset only where it fits
		}
	}
	sub := s.OK.Render("subscribed")
	if c.EmailUnsubscribed {
		sub = s.Warn.Render("unsubscribed") + s.Dim.Render(" (no marketing email)")
	}
	created := ""
	if !c.CreatedAt.IsZero() {
		created = c.CreatedAt.In(now.Location()).Format("2006-01-02 15:04") + s.Dim.Render(" ("+age(now, c.CreatedAt)+" ago)")
	}
	return []string{
		s.Header.Render("Contact"),
		field("Name", d.nameView()),
		field("Lead stage", leadStageLabel(c.LeadStage)),
		field("Email", c.Email),
		field("Phone", c.Phone),
		field("Company", c.Company),
		field("Country", c.Country),
		field("Time zone", tz),
		field("Language", c.Language),
		field("Marketing", sub),
		field("Created", created),
	}
}

func (d *contactDetails) identitiesSection(w int, _ time.Time) []string {
	s := d.c.Styles
	lines := []string{detailsHeading(s, "Identities", len(d.d.Identities))}
	if len(d.d.Identities) == 0 {
		return append(lines, s.Dim.Render("none"))
	}
	for _, id := range d.d.Identities {
		lines = append(lines, truncate(s.Badge(id.Channel)+" "+id.Value+s.Dim.Render("  "+id.Channel.Label()), w))
	}
	return lines
}

func (d *contactDetails) tagsSection(w int, _ time.Time) []string {
	s := d.c.Styles
	lines := []string{detailsHeading(s, "Tags", len(d.d.Tags))}
	if len(d.d.Tags) == 0 {
		return append(lines, s.Dim.Render("none"))
	}
	// Tags flow like words, wrapping at the column edge.
	line := ""
	for _, t := range d.d.Tags {
		tag := truncate(s.Tag.Render(t), w)
		if line != "" && ansi.StringWidth(line)+1+ansi.StringWidth(tag) > w {
			lines, line = append(lines, line), ""
		}
		if line != "" {
			line += " "
		}
		line += tag
	}
	return append(lines, line)
}

func (d *contactDetails) duplicatesSection(w int, _ time.Time) []string {
	s, dups := d.c.Styles, d.d.PotentialDuplicates
	if len(dups) == 0 {
		return nil
	}
	ids := make([]string, len(dups))
	for i, id := range dups {
		ids[i] = "#" + strconv.FormatInt(id, 10)
		if i == d.dup {
			ids[i] = s.Selected.Render(ids[i])
		}
	}
	hint := "enter opens it · D compares"
	if len(dups) > 1 {
		hint = "d picks, enter opens · D compares them"
	}
	return []string{
		s.Header.Render("Potential duplicates"),
		s.Warn.Render(dupCount(len(dups))+": ") + strings.Join(ids, ", "),
		truncate(s.Dim.Render(hint), w),
	}
}

func (d *contactDetails) propertiesSection(w int, _ time.Time) []string {
	s, props := d.c.Styles, d.d.Properties
	lines := []string{detailsHeading(s, "Properties", len(props))}
	if len(props) == 0 {
		return append(lines, s.Dim.Render("none"))
	}
	names := make([]string, 0, len(props))
	lw := 0
	for n := range props {
		names = append(names, n)
		lw = max(lw, ansi.StringWidth(n))
	}
	slices.Sort(names)
	lw = min(lw+2, w/3)
	for _, n := range names {
		lines = append(lines, s.Dim.Render(padRight(n, lw))+truncate(oneLine(props[n]), w-lw))
	}
	return lines
}

func (d *contactDetails) notesSection(w int, now time.Time) []string {
	s := d.c.Styles
	lines := []string{detailsHeading(s, "Notes", len(d.d.Notes))}
	if len(d.d.Notes) == 0 {
		return append(lines, s.Dim.Render("none"))
	}
	// Newest first, like the timeline; each note in full.
	for i := len(d.d.Notes) - 1; i >= 0; i-- {
		n := d.d.Notes[i]
		lines = append(lines, truncate(s.Bold.Render(firstNonEmpty(n.Author, "system"))+
			s.Dim.Render(" · "+stamp(n.At, now)+" ("+age(now, n.At)+" ago)"), w))
		for _, l := range strings.Split(ansi.Wrap(n.Body, w-2, ""), "\n") {
			lines = append(lines, "  "+l)
		}
	}
	return lines
}

func (d *contactDetails) ticketsSection(w int, now time.Time) []string {
	s := d.c.Styles
	lines := []string{detailsHeading(s, "Tickets", len(d.d.Tickets))}
	if len(d.d.Tickets) == 0 {
		return append(lines, s.Dim.Render("none"))
	}
	idw := 0
	for _, t := range d.d.Tickets {
		idw = max(idw, len(strconv.FormatInt(t.ID, 10))+1)
	}
	// "#id BADGE status   subject — preview   age"
	textW := max(w-idw-1-5-9-5, 5)
	for _, t := range d.d.Tickets {
		text := oneLine(t.Subject)
		if p := oneLine(t.Preview); p != "" && p != text {
			text = strings.TrimPrefix(text+" — "+p, " — ")
		}
		status := padRight(string(t.Status), 8)
		if t.Status == model.StatusResolved || t.Status == model.StatusClosed {
			status = s.Dim.Render(status)
		}
		lines = append(lines, padRight("#"+strconv.FormatInt(t.ID, 10), idw)+" "+s.Badge(t.Channel)+" "+status+" "+
			padRight(text, textW)+" "+s.Dim.Render(fmt.Sprintf("%4s", age(now, t.LastMessageAt))))
	}
	return lines
}

func (d *contactDetails) timelineSection(w int, now time.Time) []string {
	s := d.c.Styles
	acts := d.d.Activity
	lines := []string{detailsHeading(s, "Timeline", len(acts))}
	if len(acts) == 0 {
		return append(lines, s.Dim.Render("nothing yet"))
	}
	const tw, aw, kw = 12, 8, 19 // time, agent, kind ("potential duplicate")
	prefix := tw + 1 + aw + 1 + kw + 1
	detailW := w - prefix
	for i := len(acts) - 1; i >= 0; i-- { // newest first
		a := acts[i]
		who := s.Dim.Render(padRight("system", aw))
		if a.Agent != "" {
			who = s.Bold.Render(padRight(a.Agent, aw))
		}
		head := s.Dim.Render(padRight(shortStamp(a.At, now), tw)) + " " + who + " " + padRight(activityWords(a.Kind), kw) + " "
		detail := oneLine(a.Detail)
		if ref := "#" + strconv.FormatInt(a.TicketID, 10); a.TicketID != 0 && !strings.Contains(detail, ref) {
			detail = strings.TrimSpace(ref + " " + detail)
		}
		// A short detail shares the line; a long one goes below, in full width.
		if ansi.StringWidth(detail) <= detailW {
			lines = append(lines, head+detail)
			continue
		}
		lines = append(lines, truncate(head, w))
		for _, l := range wrapLines(detail, w-2, 3) {
			lines = append(lines, "  "+l)
		}
	}
	return lines
}

// wrapLines wraps text to width, keeping at most n lines (the last one cut
// with an ellipsis).
func wrapLines(text string, width, n int) []string {
	if text == "" {
		return nil
	}
	ls := strings.Split(ansi.Wrap(text, max(width, 1), ""), "\n")
	if len(ls) > n {
		ls = append(ls[:n-1], truncate(strings.Join(ls[n-1:], " "), width))
	}
	return ls
}

// activityWords says an activity kind in words: "tag_added" → "tag added".
func activityWords(kind string) string {
	switch kind {
	case model.ActPotentialDup:
		return "potential duplicate"
	case model.ActTicketStatus:
		return "ticket status set"
	}
	return strings.ReplaceAll(kind, "_", " ")
}

// stamp is a timestamp in the agent's time zone.
func stamp(t, now time.Time) string { return t.In(now.Location()).Format("2006-01-02 15:04") }

// shortStamp is a twelve-cell timestamp for the timeline: the time within
// this year, the year instead of the time before it.
func shortStamp(t, now time.Time) string {
	t = t.In(now.Location())
	if t.Year() == now.Year() {
		return t.Format("Jan 02 15:04")
	}
	return t.Format("Jan 02  2006")
}

func leadStageLabel(st model.LeadStage) string {
	if st == "" {
		return ""
	}
	v := string(st)
	return strings.ToUpper(v[:1]) + v[1:]
}

// dupCount is the spec's wording: "1 potential duplicate", "2 potential duplicates".
func dupCount(n int) string { return nounCount(n, "potential duplicate", "potential duplicates") }

func nounCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
