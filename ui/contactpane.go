package ui

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"cxinbox/app"
	"cxinbox/model"
)

// contactLoadedMsg is a contact for the pane that asked (from), tagged with
// the load's sequence number: a reply meant for another pane, or older than
// the pane's latest request, is dropped.
type contactLoadedMsg struct {
	from *contactPane
	seq  int
	d    app.ContactDetails
	loc  *time.Location // the contact's time zone, loaded here so View stays in memory
	err  error
}

type contactPaneKeyMap struct {
	Up, Down, Details, Tag, Untag, Note, Edit, Unsubscribe, Resubscribe, NewConversation, Duplicates key.Binding
}

var contactPaneKeys = contactPaneKeyMap{
	Up:              key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
	Down:            key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
	Details:         key.NewBinding(key.WithKeys("enter", "d"), key.WithHelp("enter/d", "contact details")),
	Tag:             key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "add tag")),
	Untag:           key.NewBinding(key.WithKeys("x", "delete"), key.WithHelp("x", "remove tag")),
	Note:            key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "add note")),
	Edit:            key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit properties")),
	Unsubscribe:     key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "unsubscribe")),
	Resubscribe:     key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "resubscribe")),
	NewConversation: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "new conversation")),
	Duplicates:      key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "compare potential duplicates")),
}

// paneItemKind says what a selectable row of the pane shows, and so which
// keys act on it.
type paneItemKind int

const (
	itemName paneItemKind = iota
	itemDuplicates
	itemIdentity
	itemLocation
	itemStage
	itemSubscription
	itemTag
	itemNoTags
	itemNote
	itemNoNotes
	itemProperty
	itemNoProperties
)

// paneItem is one selectable row (a note spans several lines).
type paneItem struct {
	kind        paneItemKind
	key         string // the tag, identity, property or note id
	first, last int    // its lines in the layout
}

// paneLine is one rendered line; item is -1 for headings and hints.
type paneLine struct {
	text string
	item int
}

// paneNotes caps the notes drawn in the pane; Contact Details has them all.
const paneNotes = 20

// contactPane is the contact information pane beside the conversation: who
// the customer is, and the spec's actions on them (tags, notes, properties,
// unsubscribe, new conversation, contact details).
type contactPane struct {
	c        *Context
	id       int64
	seq      int
	loaded   bool
	d        app.ContactDetails
	loc      *time.Location
	err      error
	removing map[string]bool // tags whose removal is on its way

	cursor, offset int // selected item, first line shown
	width, height  int
	focused        bool
}

func newContactPane(c *Context) *contactPane { return &contactPane{c: c} }

// SetContact shows contact id (0 = none) and returns the command loading it.
// The same contact again costs nothing: changes to it arrive as
// dataChangedMsg and reload it then.
func (p *contactPane) SetContact(id int64) tea.Cmd {
	if id == p.id && (id == 0 || p.loaded && p.err == nil) {
		return nil
	}
	p.id, p.loaded, p.d, p.loc, p.err, p.removing = id, false, app.ContactDetails{}, nil, nil, nil
	p.cursor, p.offset = 0, 0
	if id == 0 {
		p.seq++ // a load still on its way is for a contact no longer shown
		return nil
	}
	return p.load()
}

func (p *contactPane) load() tea.Cmd {
	p.seq++
	from, seq, id, ctx, a := p, p.seq, p.id, p.c.Ctx, p.c.App
	return func() tea.Msg {
		d, err := a.ContactCard(ctx, id)
		msg := contactLoadedMsg{from: from, seq: seq, err: err}
		if err != nil {
			return msg
		}
		// The pane shows neither tickets nor the timeline: do not keep them.
		d.Tickets, d.Activity = nil, nil
		msg.d = d
		if d.Timezone != "" {
			msg.loc, _ = time.LoadLocation(d.Timezone)
		}
		return msg
	}
}

// Focus tells the pane whether it has the keyboard.
func (p *contactPane) Focus(on bool) { p.focused = on }

func (p *contactPane) Typing() bool { return false }

// Dirty is false: the pane's editors are dialogs of their own, which report
// unsent text themselves.
func (p *contactPane) Dirty() bool { return false }

func (p *contactPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case contactLoadedMsg:
		if msg.from != p || msg.seq != p.seq {
			return nil
		}
		if msg.err != nil {
			p.err = msg.err
			return nil
		}
		sel, had := p.selected()
		p.d, p.loc, p.err, p.loaded, p.removing = msg.d, msg.loc, nil, true, nil
		// Identities grouped by channel, in the channels' display order.
		slices.SortStableFunc(p.d.Identities, func(a, b model.Identity) int {
			return slices.Index(model.Channels, a.Channel) - slices.Index(model.Channels, b.Channel)
		})
		p.restore(sel, had)
	case dataChangedMsg:
		if p.id != 0 && (msg.Source == "external" || slices.Contains(msg.ContactIDs, p.id)) {
			return p.load()
		}
	case tea.MouseWheelMsg:
		if p.loaded {
			switch msg.Mouse().Button {
			case tea.MouseWheelUp:
				p.scroll(-3)
			case tea.MouseWheelDown:
				p.scroll(3)
			}
		}
	case tea.MouseClickMsg:
		if p.loaded {
			lines, _ := p.layout()
			if i := p.offset + msg.Mouse().Y; i >= 0 && i < len(lines) && lines[i].item >= 0 {
				p.cursor = lines[i].item
			}
		}
	case tea.KeyPressMsg:
		if p.loaded {
			return p.keys(msg)
		}
	}
	return nil
}

func (p *contactPane) keys(msg tea.KeyPressMsg) tea.Cmd {
	k := contactPaneKeys
	it, _ := p.selected()
	switch {
	case key.Matches(msg, k.Up):
		p.move(-1)
	case key.Matches(msg, k.Down):
		p.move(1)
	case key.Matches(msg, k.Duplicates), msg.String() == "enter" && it.kind == itemDuplicates:
		if len(p.d.PotentialDuplicates) == 0 {
			return status(p.d.Name + " has no potential duplicates")
		}
		return open(newCompareForContact(p.c, p.id, p.d.Name))
	case key.Matches(msg, k.Details):
		id := p.id
		return func() tea.Msg { return openContactMsg{id: id} }
	case key.Matches(msg, k.Tag):
		return open(newTagPicker(p.c, p.id, p.d.Name, p.d.Tags))
	case key.Matches(msg, k.Untag):
		if it.kind == itemTag {
			return p.untag(it.key)
		}
	case key.Matches(msg, k.Note):
		return open(newNoteEditor(p.c, p.id, p.d.Name))
	case key.Matches(msg, k.Edit):
		return open(newPropertyForm(p.c, p.d.Contact, p.d.Properties, editFocus(it)))
	case key.Matches(msg, k.Unsubscribe):
		return p.subscription()
	case key.Matches(msg, k.NewConversation):
		if len(p.d.Identities) == 0 {
			return statusErr(fmt.Errorf("%s has no identity to write to", p.d.Name))
		}
		var on model.Identity
		if it.kind == itemIdentity {
			on = p.identity(it.key)
		}
		return open(newStartConversation(p.c, p.d.ContactRow, on))
	}
	return nil
}

// editFocus is the form field an item stands for, so `e` lands on it.
func editFocus(it paneItem) string {
	switch it.kind {
	case itemName:
		return "name"
	case itemLocation:
		return "country"
	case itemStage:
		return "lead_stage"
	case itemProperty:
		return it.key
	}
	return ""
}

func (p *contactPane) identity(key string) model.Identity {
	for _, id := range p.d.Identities {
		if id.String() == key {
			return id
		}
	}
	return model.Identity{}
}

// subscription asks before unsubscribing (or resubscribing) the contact.
func (p *contactPane) subscription() tea.Cmd {
	a, agent, id, name := p.c.App, p.c.Agent, p.id, p.d.Name
	if p.d.EmailUnsubscribed {
		return open(newConfirm(p.c, fmt.Sprintf("Resubscribe %s to marketing email?", name),
			contactAction(p.c, id, name+" resubscribed to marketing email", func(ctx context.Context) error {
				return a.Resubscribe(ctx, agent, id)
			})))
	}
	return open(newConfirm(p.c, fmt.Sprintf("Unsubscribe %s from marketing email?", name),
		contactAction(p.c, id, name+" unsubscribed from marketing email", func(ctx context.Context) error {
			return a.Unsubscribe(ctx, agent, id)
		})))
}

// untag removes a tag at once: it is in the timeline and undone by adding
// the tag again, so no confirmation.
func (p *contactPane) untag(tag string) tea.Cmd {
	if p.removing[tag] {
		return nil // a second x before the reload
	}
	if p.removing == nil {
		p.removing = map[string]bool{}
	}
	p.removing[tag] = true
	a, agent, id := p.c.App, p.c.Agent, p.id
	return contactAction(p.c, id, "tag "+tag+" removed", func(ctx context.Context) error {
		return a.UntagContact(ctx, agent, id, tag)
	})
}

// contactAction runs a change to contact id off the UI goroutine and reports
// it in the status line. Either way it announces the contact as changed, so
// every screen showing it reloads at once instead of waiting for the app's
// own notice.
func contactAction(c *Context, id int64, done string, fn func(context.Context) error) tea.Cmd {
	return func() tea.Msg {
		if err := fn(c.Ctx); err != nil {
			return tea.BatchMsg{statusErr(err), contactChanged(id)}
		}
		return tea.BatchMsg{status(done), contactChanged(id)}
	}
}

// contactChanged announces a change this UI just made to contact id.
func contactChanged(id int64) tea.Cmd {
	return func() tea.Msg { return dataChangedMsg{Source: "local", ContactIDs: []int64{id}} }
}

// selected is the item under the cursor.
func (p *contactPane) selected() (paneItem, bool) {
	if !p.loaded {
		return paneItem{}, false
	}
	_, items := p.layout()
	if p.cursor < 0 || p.cursor >= len(items) {
		return paneItem{}, false
	}
	return items[p.cursor], true
}

// restore puts the cursor back on the same item after a reload, or as near
// as the new layout allows.
func (p *contactPane) restore(sel paneItem, had bool) {
	lines, items := p.layout()
	p.cursor = min(p.cursor, max(len(items)-1, 0))
	if had {
		for i, it := range items {
			if it.kind == sel.kind && it.key == sel.key {
				p.cursor = i
				break
			}
		}
	}
	p.offset = min(p.offset, max(len(lines)-p.rows(), 0))
	p.reveal(lines, items)
}

func (p *contactPane) rows() int { return max(p.height, 1) }

// move steps the cursor; past either end it scrolls what is left to see.
func (p *contactPane) move(delta int) {
	lines, items := p.layout()
	next := p.cursor + delta
	if next < 0 || next >= len(items) {
		p.scroll(delta)
		return
	}
	p.cursor = next
	p.reveal(lines, items)
}

func (p *contactPane) scroll(delta int) {
	lines, _ := p.layout()
	p.offset = max(min(p.offset+delta, len(lines)-p.rows()), 0)
}

// reveal scrolls so the selected item, and the heading just above it, show.
func (p *contactPane) reveal(lines []paneLine, items []paneItem) {
	if p.cursor >= len(items) {
		return
	}
	it := items[p.cursor]
	top := it.first
	if top > 0 && lines[top-1].item < 0 {
		top--
	}
	if top < p.offset {
		p.offset = top
	}
	if it.last >= p.offset+p.rows() {
		p.offset = it.last - p.rows() + 1
	}
}

// layout lays the contact out as lines and selectable items. It is cheap
// (one contact, at most paneNotes notes) and pure, so the local time it
// shows is always current.
func (p *contactPane) layout() ([]paneLine, []paneItem) {
	s, d := p.c.Styles, p.d
	w := max(p.width-2, 1) // two columns for the cursor gutter
	var lines []paneLine
	var items []paneItem
	add := func(kind paneItemKind, key string, texts ...string) {
		items = append(items, paneItem{kind: kind, key: key, first: len(lines), last: len(lines) + len(texts) - 1})
		for _, t := range texts {
			lines = append(lines, paneLine{text: truncate(t, w), item: len(items) - 1})
		}
	}
	heading := func(h string) { lines = append(lines, paneLine{text: truncate(s.Header.Render(h), p.width), item: -1}) }
	hint := func(h string) { lines = append(lines, paneLine{text: "  " + truncate(s.Dim.Render(h), w), item: -1}) }
	field := func(label, value string) string { return s.Label.Render(padRight(label, 11)) + " " + value }

	name := s.Title.Render(d.Name)
	if d.NameGenerated {
		name = s.Generated.Render(d.Name) + s.Dim.Render(" (generated)")
	}
	if id := fmt.Sprintf("#%d", d.ID); lipgloss.Width(name)+1+len(id) <= w {
		name += strings.Repeat(" ", w-lipgloss.Width(name)-len(id)) + s.Dim.Render(id)
	}
	add(itemName, "", name)
	if n := len(d.PotentialDuplicates); n > 0 {
		warn := "⚠ " + plural(n, "potential duplicate")
		hint := " · D compares"
		if lipgloss.Width(warn+hint) > w {
			hint = " · D"
		}
		add(itemDuplicates, "", s.Warn.Render(warn)+s.Dim.Render(hint))
	}

	add(itemLocation, "", field("Location", p.location()))
	add(itemStage, "", field("Lead stage", stageLabel(d.LeadStage)))
	if d.EmailUnsubscribed {
		add(itemSubscription, "", field("Marketing", s.Warn.Render("unsubscribed from marketing email")))
	} else {
		add(itemSubscription, "", field("Marketing", s.OK.Render("subscribed")))
	}
	if v := crmLine(s, d.CRM, p.c.Now()); v != "" { // ui/crmline.go
		lines = append(lines, paneLine{text: "  " + truncate(field("CRM", v), w), item: -1})
	}

	heading(fmt.Sprintf("Identities (%d)", len(d.Identities)))
	for _, id := range d.Identities {
		add(itemIdentity, id.String(), s.Badge(id.Channel)+" "+id.Value)
	}
	if len(d.Identities) == 0 {
		hint("none")
	}

	heading(fmt.Sprintf("Tags (%d)", len(d.Tags)))
	for _, t := range d.Tags {
		text := s.Tag.Render(t)
		if p.removing[t] {
			text = s.Dim.Render(t + " (removing…)")
		}
		add(itemTag, t, text)
	}
	if len(d.Tags) == 0 {
		add(itemNoTags, "", s.Dim.Render("no tags · t adds one"))
	}

	heading(fmt.Sprintf("Notes (%d)", len(d.Notes)))
	now := p.c.Now()
	for i, shown := len(d.Notes)-1, 0; i >= 0 && shown < paneNotes; i, shown = i-1, shown+1 { // newest first
		n := d.Notes[i]
		texts := []string{s.Bold.Render(n.Author) + s.Dim.Render(" · "+age(now, n.At))}
		add(itemNote, fmt.Sprint(n.ID), append(texts, noteLines(n.Body, w, 3)...)...)
	}
	if len(d.Notes) > paneNotes {
		hint(fmt.Sprintf("%d older · d shows all", len(d.Notes)-paneNotes))
	}
	if len(d.Notes) == 0 {
		add(itemNoNotes, "", s.Dim.Render("no notes · n adds one"))
	}

	heading("Properties")
	props := 0
	for _, f := range []string{"email", "phone", "company", "language"} {
		if v := d.Contact.Field(f); v != "" {
			add(itemProperty, f, field(fieldLabel(f), v))
			props++
		}
	}
	names := make([]string, 0, len(d.Properties))
	for k := range d.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		add(itemProperty, k, field(k, d.Properties[k]))
		props++
	}
	if props == 0 {
		add(itemNoProperties, "", s.Dim.Render("none · e edits"))
	}
	return lines, items
}

// location is "DE · 14:05 Europe/Berlin": the country and the contact's
// local time, so an agent sees at a glance whether it is night there.
func (p *contactPane) location() string {
	var parts []string
	if p.d.Country != "" {
		parts = append(parts, p.d.Country)
	}
	switch {
	case p.loc != nil:
		parts = append(parts, p.c.Now().In(p.loc).Format("15:04")+" "+p.d.Timezone)
	case p.d.Timezone != "":
		parts = append(parts, p.d.Timezone)
	}
	if len(parts) == 0 {
		return p.c.Styles.Dim.Render("unknown")
	}
	return strings.Join(parts, " · ")
}

// noteLines is a note's first lines, wrapped to width, with an ellipsis
// when there is more.
func noteLines(body string, width, n int) []string {
	lines := strings.Split(ansi.Wrap(strings.TrimSpace(body), width, ""), "\n")
	if len(lines) > n {
		lines = lines[:n]
		lines[n-1] = truncate(lines[n-1]+"…", width)
	}
	return lines
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func stageLabel(s model.LeadStage) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// fieldLabel is how a standard field is named on screen.
func fieldLabel(f string) string {
	switch f {
	case "timezone":
		return "Time zone"
	case "lead_stage":
		return "Lead stage"
	}
	return strings.ToUpper(f[:1]) + f[1:]
}

func (p *contactPane) View() string {
	s := p.c.Styles
	switch {
	case p.id == 0:
		return s.Dim.Render("No contact")
	case p.err != nil:
		return s.Error.Render(ansi.Wrap(p.err.Error(), max(p.width, 1), ""))
	case !p.loaded:
		return s.Dim.Render("loading…")
	}
	lines, _ := p.layout()
	end := min(len(lines), p.offset+p.rows())
	out := make([]string, 0, end-p.offset)
	for i := p.offset; i < end; i++ {
		l := lines[i]
		switch {
		case l.item < 0:
			out = append(out, l.text)
		case l.item == p.cursor && p.focused:
			gutter := "  "
			if i == 0 || lines[i-1].item != l.item {
				gutter = "▸ "
			}
			// Plain text on the reversed bar: inner colours would end it early.
			out = append(out, gutter+s.Selected.Render(padRight(ansi.Strip(l.text), max(p.width-2, 1))))
		default:
			out = append(out, "  "+l.text)
		}
	}
	return strings.Join(out, "\n")
}

func (p *contactPane) SetSize(w, h int) {
	p.width, p.height = w, h
	if p.loaded {
		lines, items := p.layout()
		p.offset = min(p.offset, max(len(lines)-p.rows(), 0))
		p.reveal(lines, items)
	}
}

func (p *contactPane) ShortHelp() []key.Binding {
	if !p.loaded {
		return nil
	}
	k := contactPaneKeys
	it, _ := p.selected()
	untag := k.Untag
	untag.SetEnabled(it.kind == itemTag)
	sub := k.Unsubscribe
	if p.d.EmailUnsubscribed {
		sub = k.Resubscribe
	}
	keys := []key.Binding{k.Tag, untag, k.Note, k.Edit, sub, k.NewConversation, k.Details}
	if len(p.d.PotentialDuplicates) > 0 { // the pane's warning: its key comes first
		keys = append([]key.Binding{k.Duplicates}, keys...)
	}
	return keys
}

func (p *contactPane) FullHelp() [][]key.Binding {
	k := contactPaneKeys
	sub := k.Unsubscribe
	if p.d.EmailUnsubscribed {
		sub = k.Resubscribe
	}
	return [][]key.Binding{{k.Up, k.Down, k.Details}, {k.Tag, k.Untag, k.Note, k.Edit}, {sub, k.NewConversation, k.Duplicates}}
}
