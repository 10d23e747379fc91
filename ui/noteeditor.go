package ui

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// noteSavedMsg says the note was added to the contact (or why not).
type noteSavedMsg struct {
	seq int
	err error
}

type noteEditorKeyMap struct{ Save, Cancel key.Binding }

var noteEditorKeys = noteEditorKeyMap{
	Save:   key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save note")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

// noteEditor writes a note on a contact: a multi-line editor, saved with
// ctrl+s. Cancelling with text in it asks first, and so does quitting.
type noteEditor struct {
	c         *Context
	contactID int64
	name      string
	area      textarea.Model
	seq       int
	busy      bool
	err       error

	width, height int
}

func newNoteEditor(c *Context, contactID int64, name string) *noteEditor {
	ta := textarea.New()
	ta.SetStyles(c.Styles.TextArea)
	ta.ShowLineNumbers = false
	ta.Placeholder = "What should the team know about " + name + "?"
	ta.CharLimit = 20000 // the app's limit for a note
	return &noteEditor{c: c, contactID: contactID, name: name, area: ta}
}

func (d *noteEditor) Init() tea.Cmd { return d.area.Focus() }

func (d *noteEditor) isDialog()    {}
func (d *noteEditor) Typing() bool { return true }
func (d *noteEditor) Dirty() bool  { return strings.TrimSpace(d.area.Value()) != "" }

func (d *noteEditor) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case noteSavedMsg:
		if msg.seq != d.seq {
			return nil
		}
		d.busy = false
		if msg.err != nil {
			d.err = msg.err
			return nil
		}
		return tea.Sequence(closeTop, tea.Batch(status("note added"), contactChanged(d.contactID)))
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, noteEditorKeys.Save):
			return d.save()
		case key.Matches(msg, noteEditorKeys.Cancel):
			if d.Dirty() {
				return open(newConfirm(d.c, "Discard this note?", closeTop))
			}
			return closeTop
		}
	}
	before := d.area.Value()
	var cmd tea.Cmd
	d.area, cmd = d.area.Update(msg)
	if d.area.Value() != before {
		d.err = nil // the agent is fixing what was refused
	}
	return cmd
}

func (d *noteEditor) save() tea.Cmd {
	if d.busy {
		return nil
	}
	body := d.area.Value()
	if strings.TrimSpace(body) == "" {
		d.err = errors.New("the note is empty")
		return nil
	}
	d.busy, d.err = true, nil
	d.seq++
	seq, ctx, a, agent, id := d.seq, d.c.Ctx, d.c.App, d.c.Agent, d.contactID
	return func() tea.Msg { return noteSavedMsg{seq: seq, err: a.AddNote(ctx, agent, id, body)} }
}

func (d *noteEditor) View() string {
	s := d.c.Styles
	inner := d.innerWidth()
	parts := []string{truncate(s.Bold.Render("Note on "+d.name), inner), "", d.area.View()}
	if d.err != nil {
		parts = append(parts, s.Error.Render(ansi.Wrap(d.err.Error(), inner, "")))
	}
	parts = append(parts, "", s.KeyHint.Render("ctrl+s save · esc cancel"))
	return s.Dialog.Width(d.width).Render(strings.Join(parts, "\n"))
}

func (d *noteEditor) innerWidth() int {
	return max(d.width-d.c.Styles.Dialog.GetHorizontalFrameSize(), 10)
}

func (d *noteEditor) SetSize(w, h int) {
	d.width, d.height = w, h
	d.area.SetWidth(d.innerWidth())
	// Title, blank, blank and hint lines, plus one kept for an error; a
	// note is a few lines, so the editor does not grow past a dozen.
	d.area.SetHeight(min(max(h-d.c.Styles.Dialog.GetVerticalFrameSize()-5, 3), 12))
}

func (d *noteEditor) ShortHelp() []key.Binding {
	return []key.Binding{noteEditorKeys.Save, noteEditorKeys.Cancel}
}
func (d *noteEditor) FullHelp() [][]key.Binding { return [][]key.Binding{d.ShortHelp()} }
