package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"cxinbox/model"
)

type (
	// tagsLoadedMsg is the tag catalogue, for the picker's latest load.
	tagsLoadedMsg struct {
		seq  int
		tags []string
		err  error
	}
	// tagAddedMsg says the picked tag was added to the contact (or why not).
	tagAddedMsg struct {
		seq int
		tag string
		err error
	}
)

type tagPickerKeyMap struct{ Up, Down, Pick, Cancel key.Binding }

var tagPickerKeys = tagPickerKeyMap{
	Up:     key.NewBinding(key.WithKeys("up", "ctrl+p"), key.WithHelp("↑", "up")),
	Down:   key.NewBinding(key.WithKeys("down", "ctrl+n"), key.WithHelp("↓", "down")),
	Pick:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "add tag")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

// tagPicker adds a tag to a contact: the spec's "select the tag to add" from
// the tag list, filtered as the agent types, with the typed text offered as
// a new tag when no tag has that name.
type tagPicker struct {
	c         *Context
	contactID int64
	name      string
	have      map[string]bool // the contact's tags, case-folded: not offered again
	input     textinput.Model

	seq     int
	loaded  bool
	tags    []string // the catalogue
	matches []string // catalogue tags matching the input
	create  string   // the new tag offered, or ""
	cursor  int
	busy    bool
	err     error

	width, height int
}

func newTagPicker(c *Context, contactID int64, name string, have []string) *tagPicker {
	in := textinput.New()
	in.SetStyles(c.Styles.Input)
	in.Placeholder = "type to filter or name a new tag"
	in.CharLimit = 40
	d := &tagPicker{c: c, contactID: contactID, name: name, have: map[string]bool{}, input: in}
	for _, t := range have {
		d.have[model.Fold(t)] = true
	}
	return d
}

func (d *tagPicker) Init() tea.Cmd {
	d.seq++
	seq, ctx, a := d.seq, d.c.Ctx, d.c.App
	return tea.Batch(d.input.Focus(), func() tea.Msg {
		tags, err := a.Tags(ctx)
		return tagsLoadedMsg{seq: seq, tags: tags, err: err}
	})
}

func (d *tagPicker) isDialog()    {}
func (d *tagPicker) Typing() bool { return true }

func (d *tagPicker) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tagsLoadedMsg:
		if msg.seq != d.seq {
			return nil
		}
		d.tags, d.err, d.loaded = msg.tags, msg.err, true
		d.filter()
		return nil
	case tagAddedMsg:
		if msg.seq != d.seq {
			return nil
		}
		d.busy = false
		if msg.err != nil {
			d.err = msg.err
			return nil
		}
		return tea.Sequence(closeTop, tea.Batch(status("tag "+msg.tag+" added"), contactChanged(d.contactID)))
	case tea.KeyPressMsg:
		k := tagPickerKeys
		switch {
		case key.Matches(msg, k.Cancel):
			return closeTop
		case key.Matches(msg, k.Up):
			d.cursor = max(d.cursor-1, 0)
			return nil
		case key.Matches(msg, k.Down):
			d.cursor = min(d.cursor+1, max(d.options()-1, 0))
			return nil
		case key.Matches(msg, k.Pick):
			return d.pick()
		}
	}
	before := d.input.Value()
	var cmd tea.Cmd
	d.input, cmd = d.input.Update(msg)
	if d.input.Value() != before {
		d.err = nil
		d.cursor = 0
		d.filter()
	}
	return cmd
}

// options counts the rows offered: the matches, then "Create tag".
func (d *tagPicker) options() int {
	n := len(d.matches)
	if d.create != "" {
		n++
	}
	return n
}

// filter keeps the catalogue tags containing the typed text, those starting
// with it first, leaving out the contact's own tags. The text is offered as
// a new tag unless some tag already has that name.
func (d *tagPicker) filter() {
	q := model.Fold(d.input.Value())
	var prefix, inside []string
	exact := false
	for _, t := range d.tags {
		f := model.Fold(t)
		exact = exact || f == q
		switch {
		case d.have[f]:
		case strings.HasPrefix(f, q):
			prefix = append(prefix, t)
		case strings.Contains(f, q):
			inside = append(inside, t)
		}
	}
	d.matches = append(prefix, inside...)
	d.create = ""
	if q != "" && !exact {
		if name, err := model.NormalizeTag(d.input.Value()); err == nil {
			d.create = name
		}
	}
	d.cursor = min(d.cursor, max(d.options()-1, 0))
}

func (d *tagPicker) pick() tea.Cmd {
	if d.busy || !d.loaded || d.options() == 0 {
		return nil
	}
	tag, create := d.create, true
	if d.cursor < len(d.matches) {
		tag, create = d.matches[d.cursor], false
	}
	d.busy, d.err = true, nil
	d.seq++
	seq, ctx, a, agent, id := d.seq, d.c.Ctx, d.c.App, d.c.Agent, d.contactID
	return func() tea.Msg {
		return tagAddedMsg{seq: seq, tag: tag, err: a.TagContact(ctx, agent, id, tag, create)}
	}
}

func (d *tagPicker) View() string {
	s := d.c.Styles
	inner := max(d.width-s.Dialog.GetHorizontalFrameSize(), 10)
	var b strings.Builder
	b.WriteString(truncate(s.Bold.Render("Add a tag to "+d.name), inner) + "\n\n")
	b.WriteString(d.input.View() + "\n\n")

	// What is left of the height lists the options, scrolled to the cursor.
	rows := max(d.height-s.Dialog.GetVerticalFrameSize()-6, 1)
	first := max(d.cursor-rows+1, 0)
	switch {
	case !d.loaded:
		b.WriteString(s.Dim.Render("loading tags…") + "\n")
	case d.options() == 0 && d.input.Value() == "" && len(d.tags) == 0:
		b.WriteString(s.Dim.Render("no tags yet: type a name to create one") + "\n")
	case d.options() == 0 && d.input.Value() == "":
		b.WriteString(s.Dim.Render("no other tags: type a name to create one") + "\n")
	case d.options() == 0:
		b.WriteString(truncate(s.Dim.Render(d.name+" already has this tag"), inner) + "\n")
	}
	for i := first; i < min(d.options(), first+rows); i++ {
		text := ""
		if i < len(d.matches) {
			text = d.matches[i]
		} else {
			text = fmt.Sprintf("Create tag %q", d.create)
		}
		if i == d.cursor {
			b.WriteString(s.Selected.Render(padRight("▸ "+text, inner)) + "\n")
		} else {
			b.WriteString(truncate("  "+text, inner) + "\n")
		}
	}
	if d.err != nil {
		b.WriteString(s.Error.Render(truncate(d.err.Error(), inner)) + "\n")
	}
	b.WriteString("\n" + s.KeyHint.Render("enter add · ↑/↓ choose · esc cancel"))
	return s.Dialog.Width(d.width).Render(b.String())
}

func (d *tagPicker) SetSize(w, h int) {
	d.width, d.height = min(w, 56), h
	d.input.SetWidth(max(d.width-d.c.Styles.Dialog.GetHorizontalFrameSize()-3, 5))
}

func (d *tagPicker) ShortHelp() []key.Binding {
	return []key.Binding{tagPickerKeys.Pick, tagPickerKeys.Up, tagPickerKeys.Down, tagPickerKeys.Cancel}
}
func (d *tagPicker) FullHelp() [][]key.Binding { return [][]key.Binding{d.ShortHelp()} }
