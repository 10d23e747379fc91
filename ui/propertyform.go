package ui

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"cxinbox/model"
)

// propertiesSavedMsg says which changed fields were saved, and the error
// that stopped the rest, if any.
type propertiesSavedMsg struct {
	seq   int
	saved []string
	err   error
}

type propertyFormKeyMap struct{ Next, Prev, Left, Right, Save, Cancel key.Binding }

var propertyFormKeys = propertyFormKeyMap{
	Next:   key.NewBinding(key.WithKeys("tab", "down", "enter"), key.WithHelp("tab/↓", "next field")),
	Prev:   key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous field")),
	Left:   key.NewBinding(key.WithKeys("left"), key.WithHelp("←", "previous stage")),
	Right:  key.NewBinding(key.WithKeys("right", "space"), key.WithHelp("→/space", "next stage")),
	Save:   key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save changes")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

type formRowKind int

const (
	rowField    formRowKind = iota // a standard field typed as text
	rowStage                       // lead_stage: a choice of model.LeadStages
	rowCustom                      // an existing custom property
	rowNewName                     // the name of a property to add
	rowNewValue                    // its value
)

type formRow struct {
	kind  formRowKind
	name  string // the field or property name
	label string
	orig  string // the value as loaded
	in    textinput.Model
	stage int // rowStage: index into model.LeadStages
	err   error
}

// propertyChange is one field to send to the app.
type propertyChange struct{ name, value string }

// propertyForm edits every property of a contact: the standard fields
// (validated here by the same rules the app applies, so a bad value is
// refused beside its field before anything is sent), the custom properties,
// and one new property. Only changed fields are saved.
//
// It is hand-made rather than a huh form: huh v2 shows validation errors in
// the group footer, not beside the field, and styles itself outside Styles.
type propertyForm struct {
	c         *Context
	contactID int64
	name      string
	rows      []formRow
	focus     int
	offset    int // first row shown
	seq       int
	busy      bool
	err       error // a save that failed, or why nothing was saved
	pending   int   // changed fields, as of the last Update

	width, height int
}

const formLabelWidth = 13

func newPropertyForm(c *Context, ct model.Contact, props map[string]string, focusField string) *propertyForm {
	f := &propertyForm{c: c, contactID: ct.ID, name: ct.Name}
	placeholders := map[string]string{"email": "like name@example.com", "phone": "like +49 30 901820", "country": "like DE",
		"timezone": "like Europe/Berlin", "language": "like en or pt-BR"}
	for _, name := range model.Fields {
		if name == "lead_stage" {
			r := formRow{kind: rowStage, name: name, label: fieldLabel(name), orig: string(ct.LeadStage)}
			for i, s := range model.LeadStages {
				if s == ct.LeadStage {
					r.stage = i
				}
			}
			f.rows = append(f.rows, r)
			continue
		}
		v := ct.Field(name)
		f.rows = append(f.rows, formRow{kind: rowField, name: name, label: fieldLabel(name), orig: v, in: f.input(v, placeholders[name])})
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		f.rows = append(f.rows, formRow{kind: rowCustom, name: k, label: k, orig: props[k], in: f.input(props[k], "empty deletes it")})
	}
	f.rows = append(f.rows,
		formRow{kind: rowNewName, label: "New property", in: f.input("", "name, like plan")},
		formRow{kind: rowNewValue, label: "Value", in: f.input("", "its value")})
	for i, r := range f.rows {
		if r.name == focusField && focusField != "" {
			f.focus = i
		}
	}
	return f
}

func (f *propertyForm) input(value, placeholder string) textinput.Model {
	in := textinput.New()
	in.SetStyles(f.c.Styles.Input)
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = 2000
	in.SetValue(value)
	return in
}

func (f *propertyForm) Init() tea.Cmd { return f.setFocus(f.focus) }

func (f *propertyForm) isDialog()    {}
func (f *propertyForm) Typing() bool { return true }
func (f *propertyForm) Dirty() bool  { return len(f.changes()) > 0 }

func (f *propertyForm) Update(msg tea.Msg) tea.Cmd {
	cmd := f.update(msg)
	// Counted here, not in View: checking a time zone reads the zone database.
	f.pending = len(f.changes())
	return cmd
}

func (f *propertyForm) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case propertiesSavedMsg:
		if msg.seq != f.seq {
			return nil
		}
		f.busy = false
		if msg.err != nil {
			f.err = msg.err
			if len(msg.saved) > 0 {
				f.err = fmt.Errorf("%w (saved: %s)", msg.err, strings.Join(msg.saved, ", "))
				return contactChanged(f.contactID)
			}
			return nil
		}
		return tea.Sequence(closeTop, tea.Batch(status(savedText(msg.saved)), contactChanged(f.contactID)))
	case tea.KeyPressMsg:
		k := propertyFormKeys
		r := &f.rows[f.focus]
		switch {
		case key.Matches(msg, k.Cancel):
			if f.Dirty() {
				return open(newConfirm(f.c, "Discard your changes?", closeTop))
			}
			return closeTop
		case key.Matches(msg, k.Save):
			return f.save()
		case key.Matches(msg, k.Next):
			return f.setFocus(f.focus + 1)
		case key.Matches(msg, k.Prev):
			return f.setFocus(f.focus - 1)
		case r.kind == rowStage && key.Matches(msg, k.Left):
			r.stage = (r.stage + len(model.LeadStages) - 1) % len(model.LeadStages)
			return nil
		case r.kind == rowStage && key.Matches(msg, k.Right):
			r.stage = (r.stage + 1) % len(model.LeadStages)
			return nil
		}
	}
	r := &f.rows[f.focus]
	if r.kind == rowStage {
		return nil
	}
	before := r.in.Value()
	var cmd tea.Cmd
	r.in, cmd = r.in.Update(msg)
	if r.in.Value() != before {
		f.err = nil
		if r.err != nil { // re-check as the agent fixes it, so the message goes away
			f.validate(f.focus)
		}
		if r.kind == rowNewName || r.kind == rowNewValue { // the pair is checked together
			f.rows[len(f.rows)-2].err, f.rows[len(f.rows)-1].err = nil, nil
		}
	}
	return cmd
}

// setFocus moves to row i (clamped), checking the row it leaves.
func (f *propertyForm) setFocus(i int) tea.Cmd {
	i = max(min(i, len(f.rows)-1), 0)
	if i != f.focus {
		f.validate(f.focus)
	}
	f.rows[f.focus].in.Blur()
	f.focus = i
	f.reveal()
	if f.rows[i].kind == rowStage {
		return nil
	}
	return f.rows[i].in.Focus()
}

// validate checks row i with the app's own rules and keeps the error on the
// row, where it is shown.
func (f *propertyForm) validate(i int) {
	r := &f.rows[i]
	v := strings.TrimSpace(r.in.Value())
	r.err = nil
	switch r.kind {
	case rowField:
		_, r.err = model.NormalizeField(r.name, v)
	case rowCustom:
		if len(v) > 2000 {
			r.err = fmt.Errorf("at most 2000 bytes (this is %d)", len(v))
		}
	case rowNewName, rowNewValue:
		name, value := &f.rows[len(f.rows)-2], &f.rows[len(f.rows)-1]
		n, val := strings.TrimSpace(name.in.Value()), strings.TrimSpace(value.in.Value())
		name.err, value.err = nil, nil
		switch {
		case n == "" && val != "":
			name.err = errors.New("name the new property")
		case n == "":
		case val == "":
			value.err = fmt.Errorf("give %s a value", n)
		default:
			canon, err := model.NormalizePropertyName(n)
			name.err = err
			for _, other := range f.rows {
				if err == nil && other.kind == rowCustom && other.name == canon {
					name.err = fmt.Errorf("%s exists: edit it above", canon)
				}
			}
			if len(val) > 2000 {
				value.err = fmt.Errorf("at most 2000 bytes (this is %d)", len(val))
			}
		}
	}
}

// changes lists the fields whose value differs from the loaded one. A
// standard field compares in stored form, so "de" for country "DE" is no
// change.
func (f *propertyForm) changes() []propertyChange {
	var out []propertyChange
	for _, r := range f.rows {
		v := strings.TrimSpace(r.in.Value())
		switch r.kind {
		case rowField:
			if v == r.orig {
				continue
			}
			if n, err := model.NormalizeField(r.name, v); err != nil || n != r.orig {
				out = append(out, propertyChange{r.name, v})
			}
		case rowStage:
			if s := string(model.LeadStages[r.stage]); s != r.orig {
				out = append(out, propertyChange{r.name, s})
			}
		case rowCustom:
			if v != r.orig {
				out = append(out, propertyChange{r.name, v})
			}
		case rowNewName:
			if v != "" {
				n, _ := model.NormalizePropertyName(v)
				out = append(out, propertyChange{n, strings.TrimSpace(f.rows[len(f.rows)-1].in.Value())})
			}
		}
	}
	return out
}

// save checks every row; with any refused nothing is sent. Otherwise the
// changed fields go to the app one by one, in one command.
func (f *propertyForm) save() tea.Cmd {
	if f.busy {
		return nil
	}
	bad := -1
	for i := range f.rows {
		f.validate(i)
	}
	for i, r := range f.rows {
		if r.err != nil && bad < 0 {
			bad = i
		}
	}
	if bad >= 0 {
		f.err = errors.New("fix the marked field: nothing was saved")
		return f.setFocus(bad)
	}
	changes := f.changes()
	if len(changes) == 0 {
		return tea.Sequence(closeTop, status("nothing changed"))
	}
	f.busy, f.err = true, nil
	f.seq++
	seq, ctx, a, agent, id := f.seq, f.c.Ctx, f.c.App, f.c.Agent, f.contactID
	return func() tea.Msg {
		var saved []string
		for _, ch := range changes {
			if err := a.SetField(ctx, agent, id, ch.name, ch.value); err != nil {
				return propertiesSavedMsg{seq: seq, saved: saved, err: fmt.Errorf("%s: %w", ch.name, err)}
			}
			saved = append(saved, ch.name)
		}
		return propertiesSavedMsg{seq: seq, saved: saved}
	}
}

func savedText(saved []string) string {
	if len(saved) > 3 {
		return fmt.Sprintf("%d properties updated", len(saved))
	}
	return strings.Join(saved, ", ") + " updated"
}

func (f *propertyForm) innerWidth() int {
	return max(f.width-f.c.Styles.Dialog.GetHorizontalFrameSize(), 20)
}

// rowLines renders row i: the gutter, label and value, then its error
// wrapped beneath the value.
func (f *propertyForm) rowLines(i int) []string {
	s, r := f.c.Styles, f.rows[i]
	gutter, label := "  ", s.Label.Render(padRight(r.label, formLabelWidth))
	if i == f.focus {
		gutter, label = "▸ ", s.Bold.Render(padRight(r.label, formLabelWidth))
	}
	value := r.in.View()
	if r.kind == rowStage {
		value = "‹ " + stageLabel(model.LeadStages[r.stage]) + " ›"
		if i == f.focus {
			value = s.Bold.Render(value) + s.Dim.Render("  ←/→ change")
		}
	}
	lines := []string{truncate(gutter+label+" "+value, f.innerWidth())}
	if r.err != nil {
		indent := strings.Repeat(" ", 2+formLabelWidth+1)
		for _, l := range strings.Split(ansi.Wrap(r.err.Error(), f.innerWidth()-len(indent), ""), "\n") {
			lines = append(lines, indent+s.Error.Render(l))
		}
	}
	return lines
}

// rowSpace is the lines left for rows: title, blank, blank, status, hint.
func (f *propertyForm) rowSpace() int {
	return max(f.height-f.c.Styles.Dialog.GetVerticalFrameSize()-5, 3)
}

// reveal scrolls the rows so the focused one shows whole.
func (f *propertyForm) reveal() {
	if f.focus < f.offset {
		f.offset = f.focus
	}
	for f.offset < f.focus {
		used := 0
		for i := f.offset; i <= f.focus; i++ {
			used += len(f.rowLines(i))
		}
		if used <= f.rowSpace() {
			break
		}
		f.offset++
	}
}

func (f *propertyForm) View() string {
	s := f.c.Styles
	inner := f.innerWidth()
	var lines []string
	shown := 0
	for i := f.offset; i < len(f.rows); i++ {
		rl := f.rowLines(i)
		if len(lines)+len(rl) > f.rowSpace() {
			break
		}
		lines = append(lines, rl...)
		shown++
	}
	title := s.Bold.Render("Edit " + f.name)
	if f.offset > 0 || f.offset+shown < len(f.rows) { // some rows are scrolled away
		title += s.Dim.Render(fmt.Sprintf("  field %d of %d", f.focus+1, len(f.rows)))
	}
	foot := s.Dim.Render(plural(f.pending, "change"))
	switch {
	case f.busy:
		foot = s.Dim.Render("saving…")
	case f.err != nil:
		foot = s.Error.Render(f.err.Error())
	}
	out := []string{truncate(title, inner), ""}
	out = append(out, lines...)
	out = append(out, "", truncate(foot, inner), s.KeyHint.Render("ctrl+s save · tab/↓ next · shift+tab/↑ back · esc cancel"))
	return s.Dialog.Width(f.width).Render(strings.Join(out, "\n"))
}

func (f *propertyForm) SetSize(w, h int) {
	f.width, f.height = w, h
	for i := range f.rows {
		f.rows[i].in.SetWidth(max(f.innerWidth()-2-formLabelWidth-2, 5))
	}
	f.reveal()
}

func (f *propertyForm) ShortHelp() []key.Binding {
	k := propertyFormKeys
	return []key.Binding{k.Save, k.Next, k.Prev, k.Cancel}
}

func (f *propertyForm) FullHelp() [][]key.Binding {
	k := propertyFormKeys
	return [][]key.Binding{{k.Next, k.Prev, k.Left, k.Right}, {k.Save, k.Cancel}}
}
