package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"cxinbox/app"
	"cxinbox/model"
)

// compareKeys are the comparison screen's keys, one value per screen
// (SetEnabled follows what is on screen).
type compareKeys struct {
	Merge, NotDup, Skip, Undo           key.Binding
	Up, Down, PageUp, PageDown, Section key.Binding
	Back                                key.Binding
}

func newCompareKeys() compareKeys {
	return compareKeys{
		Merge:    key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "merge…")),
		NotDup:   key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "not a duplicate")),
		Skip:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip")),
		Undo:     key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo the merge"), key.WithDisabled()),
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "scroll up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "scroll down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d", "space"), key.WithHelp("pgdn", "page down")),
		Section:  key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "next section")),
		Back:     key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "back")),
	}
}

// pairKey names a pair whichever way round it is given.
type pairKey [2]int64

func keyOf(x, y int64) pairKey { return pairKey{min(x, y), max(x, y)} }

func (p pairKey) has(id int64) bool { return p[0] == id || p[1] == id }

func pairKeyOf(p app.DuplicatePair) pairKey { return keyOf(p.A, p.B) }

// compareLowWater is how few pairs may be left in a walk through the
// Duplicates list before its next page is read.
const compareLowWater = 5

// compareTickets is how many of each contact's newest tickets show.
const compareTickets = 4

// compareHead is the lines above the scrolling body: title, score, reasons,
// the last action's result, the column heading.
const compareHead = 5

// Messages of the comparison screen. Each carries the screen that asked and
// the sequence number of its request: a reply to an older request is dropped.
type (
	// pairsLoadedMsg is the walk's pairs: a contact's open pairs (replacing
	// the walk) or, when next, the Duplicates list's page after the walk's
	// last pair (appended).
	pairsLoadedMsg struct {
		from  *compareScreen
		seq   int
		next  bool
		pairs []app.DuplicatePair
		err   error
	}
	// comparisonLoadedMsg is both contacts of the pair on screen, x on the
	// left.
	comparisonLoadedMsg struct {
		from *compareScreen
		seq  int
		x, y int64
		cmp  app.Comparison
		err  error
	}
	// pairDismissedMsg says an agent's "not a duplicate" was recorded (or
	// refused, err).
	pairDismissedMsg struct {
		from component
		x, y int64
		err  error
	}
	// mergedMsg tells the comparison that its merge form merged other into
	// keep.
	mergedMsg struct {
		to                  *compareScreen
		mergeID             int64
		keep, other         int64
		keepName, otherName string
	}
	// unmergedMsg answers u: the merge was undone (or refused, err).
	unmergedMsg struct {
		from    *compareScreen
		mergeID int64
		err     error
	}
)

// compareScreen shows two contacts that may be one person side by side —
// fields, identities, tags, recent tickets, the score and its reasons — and
// walks through pairs: a contact's own (opened from the contact pane or
// Contact Details) or the Duplicates list's, from the pair chosen there.
// Each pair is merged (m), recorded as two people (n) or skipped (s).
type compareScreen struct {
	c             *Context
	keys          compareKeys
	width, height int

	// The walk. The pair on screen is always pairs[0]; a pair dealt with
	// leaves the queue.
	contact     int64  // whose pairs are walked; 0 walks the Duplicates list
	contactName string // for the "no more" line
	pairs       []app.DuplicatePair
	last        app.DuplicatePair // list walk: the keyset anchor of the next page
	more        bool              // list walk: pages may follow
	handled     map[pairKey]bool  // skipped, dismissed or merged in this walk
	gone        map[int64]bool    // contacts merged away in this walk
	done        int               // pairs dealt with, for "pair 3 of 7"
	walkSeq     int
	walkLoading bool
	walkLoaded  bool
	walkErr     error

	// The pair on screen.
	shown   pairKey
	seq     int
	loading bool
	loaded  bool
	err     error
	x, y    int64 // left and right contact
	cmp     app.Comparison
	offset  int

	busy     bool // an n, or an undo, on its way
	flash    string
	flashErr bool
	undo     *mergedMsg // the last merge, while u may undo it
}

// newCompareForContact walks contact id's open pairs, best first.
func newCompareForContact(c *Context, id int64, name string) *compareScreen {
	return &compareScreen{c: c, keys: newCompareKeys(), contact: id, contactName: name,
		handled: map[pairKey]bool{}, gone: map[int64]bool{}}
}

// newCompareFromList walks the Duplicates list from its chosen pair:
// pairs are the list's rows from there on; more says pages follow.
func newCompareFromList(c *Context, pairs []app.DuplicatePair, more bool) *compareScreen {
	cs := &compareScreen{c: c, keys: newCompareKeys(), pairs: slices.Clone(pairs), more: more,
		handled: map[pairKey]bool{}, gone: map[int64]bool{}, walkLoaded: true}
	if len(pairs) > 0 {
		cs.last = pairs[len(pairs)-1]
	}
	return cs
}

func (cs *compareScreen) Init() tea.Cmd {
	if cs.contact != 0 {
		return cs.loadWalk()
	}
	return cs.sync()
}

// loadWalk reads the walked contact's open pairs.
func (cs *compareScreen) loadWalk() tea.Cmd {
	cs.walkSeq++
	cs.walkLoading = true
	from, seq, id, c := cs, cs.walkSeq, cs.contact, cs.c
	return func() tea.Msg {
		ps, err := c.App.DuplicatesOf(c.Ctx, id)
		return pairsLoadedMsg{from: from, seq: seq, pairs: ps, err: err}
	}
}

// nextPage reads the Duplicates list's page after the walk's last pair
// once the walk runs low.
func (cs *compareScreen) nextPage() tea.Cmd {
	if cs.contact != 0 || !cs.more || cs.walkLoading || len(cs.pairs) > compareLowWater {
		return nil
	}
	cs.walkSeq++
	cs.walkLoading = true
	from, seq, after, c := cs, cs.walkSeq, cs.last, cs.c
	return func() tea.Msg {
		ps, err := c.App.Duplicates(c.Ctx, app.DupPage{After: &after, Limit: duplicatesPage})
		return pairsLoadedMsg{from: from, seq: seq, next: true, pairs: ps, err: err}
	}
}

// loadComparison reads both contacts of the pair at the head of the walk;
// the walked contact is on the left.
func (cs *compareScreen) loadComparison() tea.Cmd {
	p := cs.pairs[0]
	x, y := p.A, p.B
	if cs.contact == p.B {
		x, y = p.B, p.A
	}
	if k := pairKeyOf(p); k != cs.shown {
		cs.shown, cs.loaded, cs.err, cs.offset = k, false, nil, 0
	}
	cs.seq++
	cs.loading = true
	from, seq, c := cs, cs.seq, cs.c
	return func() tea.Msg {
		cmp, err := c.App.Compare(c.Ctx, x, y)
		return comparisonLoadedMsg{from: from, seq: seq, x: x, y: y, cmp: cmp, err: err}
	}
}

// open keeps only the pairs this walk has not dealt with.
func (cs *compareScreen) open(ps []app.DuplicatePair) []app.DuplicatePair {
	out := make([]app.DuplicatePair, 0, len(ps))
	for _, p := range ps {
		if !cs.handled[pairKeyOf(p)] && !cs.gone[p.A] && !cs.gone[p.B] {
			out = append(out, p)
		}
	}
	return out
}

// sync loads the comparison of the pair now at the head of the walk, and
// the list's next page when the walk runs low.
func (cs *compareScreen) sync() tea.Cmd {
	var cmds []tea.Cmd
	switch {
	case len(cs.pairs) == 0:
		cs.shown, cs.loaded, cs.loading, cs.err = pairKey{}, false, false, nil
		cs.seq++ // a comparison on its way is for a pair no longer shown
	case pairKeyOf(cs.pairs[0]) != cs.shown:
		cmds = append(cmds, cs.loadComparison())
	}
	cmds = append(cmds, cs.nextPage())
	cs.setKeys()
	return tea.Batch(cmds...)
}

// drop takes the pairs matching fn out of the walk.
func (cs *compareScreen) drop(fn func(pairKey) bool) {
	cs.pairs = slices.DeleteFunc(cs.pairs, func(p app.DuplicatePair) bool { return fn(pairKeyOf(p)) })
}

func (cs *compareScreen) setKeys() {
	k := &cs.keys
	ready := cs.loaded && cs.err == nil && !cs.busy
	k.Merge.SetEnabled(ready)
	k.NotDup.SetEnabled(ready)
	k.Skip.SetEnabled(len(cs.pairs) > 0 && !cs.busy)
	k.Undo.SetEnabled(cs.undo != nil && !cs.busy)
}

// announceContacts announces contacts this screen just changed, so every screen
// showing them reloads without waiting for the app's notice.
func announceContacts(ids ...int64) tea.Cmd {
	return func() tea.Msg { return dataChangedMsg{Source: "local", ContactIDs: ids} }
}

func (cs *compareScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case pairsLoadedMsg:
		return cs.pairsLoaded(msg)
	case comparisonLoadedMsg:
		if msg.from != cs || msg.seq != cs.seq {
			return nil
		}
		cs.loading = false
		if msg.err != nil {
			cs.err = msg.err
		} else {
			cs.cmp, cs.x, cs.y, cs.loaded, cs.err = msg.cmp, msg.x, msg.y, true, nil
		}
		cs.clamp()
		cs.setKeys()
		return nil
	case pairDismissedMsg:
		if msg.from != component(cs) {
			return nil
		}
		cs.busy = false
		if msg.err != nil {
			cs.flash, cs.flashErr = "Not recorded: "+msg.err.Error(), true
			cs.setKeys()
			return nil
		}
		k := keyOf(msg.x, msg.y)
		cs.handled[k] = true
		cs.drop(func(p pairKey) bool { return p == k })
		cs.done++
		cs.flash, cs.flashErr = fmt.Sprintf("✓ #%d and #%d recorded as not a duplicate", msg.x, msg.y), false
		return tea.Batch(cs.sync(), announceContacts(msg.x, msg.y))
	case mergedMsg:
		if msg.to != cs {
			return nil
		}
		return cs.merged(msg)
	case unmergedMsg:
		if msg.from != cs {
			return nil
		}
		return cs.unmerged(msg)
	case dataChangedMsg:
		return cs.dataChanged(msg)
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			cs.scroll(-3)
		case tea.MouseWheelDown:
			cs.scroll(3)
		}
		return nil
	case tea.KeyPressMsg:
		return cs.key(msg)
	}
	return nil
}

func (cs *compareScreen) pairsLoaded(msg pairsLoadedMsg) tea.Cmd {
	if msg.from != cs || msg.seq != cs.walkSeq {
		return nil
	}
	cs.walkLoading, cs.walkLoaded = false, true
	if msg.err != nil {
		cs.walkErr = msg.err
		cs.setKeys()
		return nil
	}
	cs.walkErr = nil
	if msg.next {
		cs.more = len(msg.pairs) == duplicatesPage
		if len(msg.pairs) > 0 {
			cs.last = msg.pairs[len(msg.pairs)-1]
		}
		queued := map[pairKey]bool{}
		for _, p := range cs.pairs {
			queued[pairKeyOf(p)] = true
		}
		for _, p := range cs.open(msg.pairs) {
			if !queued[pairKeyOf(p)] {
				cs.pairs = append(cs.pairs, p)
			}
		}
		return cs.sync()
	}
	ps := cs.open(msg.pairs)
	// The pair on screen stays first while it is open, even if a better one
	// appeared meanwhile: the agent is reading it.
	if i := slices.IndexFunc(ps, func(p app.DuplicatePair) bool { return pairKeyOf(p) == cs.shown }); i > 0 {
		p := ps[i]
		ps = append([]app.DuplicatePair{p}, slices.Delete(ps, i, i+1)...)
	}
	cs.pairs = ps
	return cs.sync()
}

func (cs *compareScreen) dataChanged(msg dataChangedMsg) tea.Cmd {
	involves := func(ids ...int64) bool {
		if msg.Source == "external" {
			return true
		}
		for _, id := range ids {
			if id != 0 && slices.Contains(msg.ContactIDs, id) {
				return true
			}
		}
		return false
	}
	var cmds []tea.Cmd
	if cs.contact != 0 && involves(cs.contact) {
		cmds = append(cmds, cs.loadWalk())
	}
	if len(cs.pairs) > 0 && (cs.loaded || cs.err != nil) && involves(cs.shown[0], cs.shown[1]) {
		cmds = append(cmds, cs.loadComparison())
	}
	return tea.Batch(cmds...)
}

func (cs *compareScreen) key(msg tea.KeyPressMsg) tea.Cmd {
	k := cs.keys
	switch {
	case key.Matches(msg, k.Back):
		return closeTop
	case key.Matches(msg, k.Up):
		cs.scroll(-1)
	case key.Matches(msg, k.Down):
		cs.scroll(1)
	case key.Matches(msg, k.PageUp):
		cs.scroll(-cs.bodyHeight())
	case key.Matches(msg, k.PageDown):
		cs.scroll(cs.bodyHeight())
	case key.Matches(msg, k.Section):
		cs.nextSection(msg.String() == "shift+tab")
	case key.Matches(msg, k.Skip):
		pk := pairKeyOf(cs.pairs[0])
		cs.handled[pk] = true
		cs.pairs = cs.pairs[1:]
		cs.done++
		cs.flash, cs.flashErr = fmt.Sprintf("Skipped #%d and #%d", pk[0], pk[1]), false
		return cs.sync()
	case key.Matches(msg, k.NotDup):
		cs.busy = true
		cs.setKeys()
		from, x, y, c := cs, cs.x, cs.y, cs.c
		return func() tea.Msg {
			return pairDismissedMsg{from: from, x: x, y: y, err: c.App.NotDuplicate(c.Ctx, c.Agent, x, y)}
		}
	case key.Matches(msg, k.Merge):
		return open(newMergeForm(cs.c, cs, cs.cmp.A, cs.cmp.B))
	case key.Matches(msg, k.Undo):
		cs.busy = true
		cs.setKeys()
		from, id, c := cs, cs.undo.mergeID, cs.c
		return func() tea.Msg {
			return unmergedMsg{from: from, mergeID: id, err: c.App.Unmerge(c.Ctx, c.Agent, id)}
		}
	}
	return nil
}

// merged takes the merged pair, and every pair of the contact merged away,
// out of the walk, and offers the undo.
func (cs *compareScreen) merged(msg mergedMsg) tea.Cmd {
	k := keyOf(msg.keep, msg.other)
	cs.handled[k] = true
	cs.gone[msg.other] = true
	cs.drop(func(p pairKey) bool { return p == k || p.has(msg.other) })
	cs.done++
	undo := msg
	cs.undo = &undo
	cs.flash, cs.flashErr = fmt.Sprintf("Merged contact #%d %s into #%d %s — u to undo",
		msg.other, msg.otherName, msg.keep, msg.keepName), false
	cmds := []tea.Cmd{announceContacts(msg.keep, msg.other)}
	if cs.contact != 0 {
		if cs.contact == msg.other { // the walk goes on with the contact that stayed
			cs.contact, cs.contactName = msg.keep, msg.keepName
		}
		cmds = append(cmds, cs.loadWalk()) // the kept contact may have taken on pairs
	}
	return tea.Batch(append(cmds, cs.sync())...)
}

// unmerged reports an undo; after one, the pair is back at the head of the
// walk for another look.
func (cs *compareScreen) unmerged(msg unmergedMsg) tea.Cmd {
	cs.busy = false
	if msg.err != nil {
		cs.flash, cs.flashErr = "Undo refused: "+msg.err.Error(), true
		cs.setKeys()
		return nil
	}
	m := cs.undo
	cs.undo = nil
	if m == nil || m.mergeID != msg.mergeID {
		cs.setKeys()
		return nil
	}
	k := keyOf(m.keep, m.other)
	delete(cs.handled, k)
	delete(cs.gone, m.other)
	cs.done--
	cs.flash, cs.flashErr = fmt.Sprintf("Merge undone: contact #%d %s is back", m.other, m.otherName), false
	cs.pairs = append([]app.DuplicatePair{{A: k[0], B: k[1]}}, cs.pairs...)
	cmds := []tea.Cmd{announceContacts(m.keep, m.other), cs.sync()}
	if cs.contact != 0 {
		cmds = append(cmds, cs.loadWalk())
	}
	return tea.Batch(cmds...)
}

func (cs *compareScreen) SetSize(w, h int) {
	cs.width, cs.height = w, h
	cs.clamp()
}

func (cs *compareScreen) ShortHelp() []key.Binding {
	k := cs.keys
	return []key.Binding{k.Merge, k.NotDup, k.Skip, k.Undo, k.Down, k.Back}
}

func (cs *compareScreen) FullHelp() [][]key.Binding {
	k := cs.keys
	return [][]key.Binding{
		{k.Merge, k.NotDup, k.Skip, k.Undo, k.Back},
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Section},
	}
}

func (cs *compareScreen) bodyHeight() int { return max(cs.height-compareHead, 1) }

func (cs *compareScreen) scroll(by int) {
	lines, _ := cs.body()
	cs.offset = min(max(cs.offset+by, 0), max(len(lines)-cs.bodyHeight(), 0))
}

func (cs *compareScreen) clamp() { cs.scroll(0) }

// nextSection scrolls to the next (or previous) section heading.
func (cs *compareScreen) nextSection(back bool) {
	lines, starts := cs.body()
	if len(starts) == 0 {
		return
	}
	next := starts[0]
	if back {
		next = starts[len(starts)-1]
		for i := len(starts) - 1; i >= 0; i-- {
			if starts[i] < cs.offset {
				next = starts[i]
				break
			}
		}
	} else {
		for _, s := range starts {
			if s > cs.offset {
				next = s
				break
			}
		}
	}
	cs.offset = min(next, max(len(lines)-cs.bodyHeight(), 0))
}

// compareCols are the widths of a row: the difference mark, the label and
// the two contacts' columns.
type compareCols struct{ mark, label, a, b int }

func (cs *compareScreen) cols() compareCols {
	c := compareCols{mark: 2, label: 12}
	rest := max(cs.width-c.mark-c.label-1-2, 20)
	c.a = rest / 2
	c.b = rest - c.a
	return c
}

// row lays out one line: the mark, the label and the two cells.
func (cs *compareScreen) row(l compareCols, mark bool, label, a, b string) string {
	m := "  "
	if mark {
		m = cs.c.Styles.Differ.Render("≠") + " "
	}
	return m + cs.c.Styles.Label.Render(padRight(label, l.label)) + " " + padStyled(a, l.a) + "  " + truncate(b, l.b)
}

// body is the scrolling part: the rows of both contacts, and where each
// section starts. It is cheap (two contacts, a few tickets) and pure.
func (cs *compareScreen) body() ([]string, []int) {
	if !cs.loaded || cs.err != nil || cs.width <= 0 {
		return nil, nil
	}
	s, l := cs.c.Styles, cs.cols()
	a, b := cs.cmp.A, cs.cmp.B
	var lines []string
	var starts []int
	section := func() {
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		starts = append(starts, len(lines))
	}
	cell := func(v string, differs bool) string {
		switch {
		case v == "":
			return s.Dim.Render("—")
		case differs:
			return s.Differ.Render(v)
		}
		return v
	}
	field := func(label, va, vb string) {
		differs := va != vb
		lines = append(lines, cs.row(l, differs, label, cell(va, differs), cell(vb, differs)))
	}
	// side by side lists: the label on the first line only.
	group := func(label string, as, bs []string) {
		for i := range max(len(as), len(bs), 1) {
			var va, vb string
			if i < len(as) {
				va = as[i]
			}
			if i < len(bs) {
				vb = bs[i]
			}
			if i == 0 && va == "" {
				va = s.Dim.Render("none")
			}
			if i == 0 && vb == "" {
				vb = s.Dim.Render("none")
			}
			lab := ""
			if i == 0 {
				lab = label
			}
			lines = append(lines, cs.row(l, false, lab, va, vb))
		}
	}

	section()
	differs := a.Name != b.Name || a.NameGenerated != b.NameGenerated
	lines = append(lines, cs.row(l, differs, "Name", cs.nameCell(a.Contact, differs), cs.nameCell(b.Contact, differs)))
	for _, f := range []string{"email", "phone", "company", "country", "timezone", "language"} {
		field(fieldLabel(f), a.Contact.Field(f), b.Contact.Field(f))
	}
	field("Lead stage", stageLabel(a.LeadStage), stageLabel(b.LeadStage))
	field("Unsubscribed", yesNo(a.EmailUnsubscribed), yesNo(b.EmailUnsubscribed))

	section()
	group("Identities", cs.identities(a, l.a), cs.identities(b, l.b))

	section()
	group("Tags", cs.tags(a.Tags, b.Tags, l.a), cs.tags(b.Tags, a.Tags, l.b))

	section()
	group("Tickets", cs.tickets(a, l.a), cs.tickets(b, l.b))
	return lines, starts
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// nameCell marks a generated name as the contact pane does.
func (cs *compareScreen) nameCell(c model.Contact, differs bool) string {
	s := cs.c.Styles
	if c.NameGenerated {
		return s.Generated.Render(c.Name) + s.Dim.Render(" (generated)")
	}
	if differs {
		return s.Differ.Render(c.Name)
	}
	return c.Name
}

func (cs *compareScreen) identities(d app.ContactDetails, w int) []string {
	s := cs.c.Styles
	ids := slices.Clone(d.Identities)
	slices.SortStableFunc(ids, func(a, b model.Identity) int {
		return slices.Index(model.Channels, a.Channel) - slices.Index(model.Channels, b.Channel)
	})
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, truncate(s.Badge(id.Channel)+" "+id.Value, w))
	}
	return out
}

// tags flows a contact's tags into lines of width w; a tag the other
// contact lacks is highlighted.
func (cs *compareScreen) tags(tags, other []string, w int) []string {
	s := cs.c.Styles
	var out []string
	line := ""
	for _, t := range tags {
		tag := t
		if !slices.ContainsFunc(other, func(o string) bool { return strings.EqualFold(o, t) }) {
			tag = s.Differ.Render(t)
		}
		if line != "" && ansi.StringWidth(line)+2+ansi.StringWidth(t) > w {
			out, line = append(out, line), ""
		}
		if line != "" {
			line += ", "
		}
		line += tag
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

// tickets are a contact's newest few tickets: id, channel, status, subject.
func (cs *compareScreen) tickets(d app.ContactDetails, w int) []string {
	s := cs.c.Styles
	var out []string
	idw := 0
	for _, t := range d.Tickets[:min(len(d.Tickets), compareTickets)] {
		idw = max(idw, len(strconv.FormatInt(t.ID, 10))+1)
	}
	for i, t := range d.Tickets {
		if i == compareTickets {
			out = append(out, s.Dim.Render(fmt.Sprintf("+%d more", len(d.Tickets)-i)))
			break
		}
		text := oneLine(firstNonEmpty(t.Subject, t.Preview))
		status := padRight(string(t.Status), 8)
		if t.Status == model.StatusResolved || t.Status == model.StatusClosed {
			status = s.Dim.Render(status)
		}
		out = append(out, truncate(padRight("#"+strconv.FormatInt(t.ID, 10), idw)+" "+s.Badge(t.Channel)+" "+status+" "+text, w))
	}
	return out
}

// scoreWords says what a score means to the agent.
func scoreWords(score float64) string {
	switch {
	case score >= 0.9:
		return "likely the same person"
	case model.IsPotentialDuplicate(score):
		return "possibly the same person"
	}
	return "probably two people"
}

func (cs *compareScreen) View() string {
	s := cs.c.Styles
	if cs.width <= 0 || cs.height <= 0 {
		return ""
	}
	w := cs.width
	lines := []string{truncate(cs.titleLine(), w)}
	flash := ""
	if cs.flash != "" {
		flash = s.OK.Render(cs.flash)
		if cs.flashErr {
			flash = s.Error.Render(cs.flash)
		}
		flash = truncate(flash, w)
	}
	switch {
	case len(cs.pairs) == 0 && (cs.walkLoading || !cs.walkLoaded):
		return strings.Join(append(lines, "", flash, s.Dim.Render("Loading…")), "\n")
	case len(cs.pairs) == 0 && cs.walkErr != nil:
		return strings.Join(append(lines, "", flash, s.Error.Render(truncate("Could not read the pairs: "+cs.walkErr.Error(), w))), "\n")
	case len(cs.pairs) == 0:
		return strings.Join(append(lines, "", flash, truncate(s.Bold.Render(cs.noMore()), w), s.Dim.Render("esc goes back")), "\n")
	case cs.err != nil:
		return strings.Join(append(lines, "", flash,
			s.Error.Render(truncate(fmt.Sprintf("Could not compare #%d and #%d: %v", cs.shown[0], cs.shown[1], cs.err), w)),
			s.Dim.Render("s skips this pair · esc goes back")), "\n")
	case !cs.loaded:
		return strings.Join(append(lines, "", flash, s.Dim.Render(fmt.Sprintf("Loading #%d and #%d…", cs.shown[0], cs.shown[1]))), "\n")
	}
	score := s.Bold.Render(fmt.Sprintf("%.2f", cs.cmp.Score)) + " — " + scoreWords(cs.cmp.Score)
	if cs.cmp.Dismissed {
		score += s.Warn.Render("  (already recorded as not a duplicate)")
	}
	reasons := strings.Join(cs.cmp.Reasons, " · ")
	if reasons == "" {
		reasons = s.Dim.Render("no evidence")
	}
	l := cs.cols()
	lines = append(lines,
		truncate(s.Label.Render(padRight("Score", l.mark+l.label+1))+score, w),
		truncate(s.Label.Render(padRight("Why", l.mark+l.label+1))+reasons, w),
		flash,
		truncate(s.Header.Render(cs.row(l, false, "", cs.columnHead(cs.cmp.A), cs.columnHead(cs.cmp.B))), w))
	body, _ := cs.body()
	h := cs.bodyHeight()
	start := min(cs.offset, len(body))
	end := min(start+h, len(body))
	shown := slices.Clone(body[start:end])
	if end < len(body) && len(shown) > 0 {
		shown[len(shown)-1] = s.Dim.Render(fmt.Sprintf("  ↓ %d more lines", len(body)-end))
	}
	for _, b := range shown {
		lines = append(lines, truncate(b, w))
	}
	return strings.Join(lines, "\n")
}

func (cs *compareScreen) columnHead(d app.ContactDetails) string {
	return fmt.Sprintf("Contact #%d · %s", d.ID, nounCount(len(d.Tickets), "ticket", "tickets"))
}

func (cs *compareScreen) titleLine() string {
	s := cs.c.Styles
	t := s.Title.Render("Compare potential duplicates")
	if n := len(cs.pairs); n > 0 {
		of := strconv.Itoa(cs.done + n)
		if cs.more {
			of += "+"
		}
		t += s.Dim.Render(fmt.Sprintf("  pair %d of %s", cs.done+1, of))
	}
	if cs.contact != 0 {
		t += s.Dim.Render(fmt.Sprintf(" · for #%d %s", cs.contact, cs.contactName))
	}
	if cs.loading && cs.loaded {
		t += s.Dim.Render(" · reloading…")
	}
	return t
}

func (cs *compareScreen) noMore() string {
	if cs.contact != 0 {
		if cs.done == 0 {
			return fmt.Sprintf("Contact #%d %s has no open potential duplicates.", cs.contact, cs.contactName)
		}
		return fmt.Sprintf("No more potential duplicates of #%d %s.", cs.contact, cs.contactName)
	}
	return "No more potential duplicates in the list."
}
