package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// picker is a small dialog choosing one of a few options (a status, an
// identity); onChoose turns the choice into the action.
type picker struct {
	c        *Context
	title    string
	options  []string
	cursor   int
	onChoose func(i int) tea.Cmd
	width    int
}

func newPicker(c *Context, title string, options []string, current int, onChoose func(int) tea.Cmd) *picker {
	return &picker{c: c, title: title, options: options, cursor: max(0, current), onChoose: onChoose}
}

var pickerKeys = struct{ Up, Down, Choose, Cancel key.Binding }{
	Up:     key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
	Down:   key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
	Choose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
	Cancel: key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "cancel")),
}

func (p *picker) isDialog() {}

func (p *picker) Update(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(k, pickerKeys.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(k, pickerKeys.Down):
		p.cursor = min(len(p.options)-1, p.cursor+1)
	case key.Matches(k, pickerKeys.Choose):
		return tea.Sequence(closeTop, p.onChoose(p.cursor))
	case key.Matches(k, pickerKeys.Cancel):
		return closeTop
	default:
		// A digit picks the option with that number, as menus do.
		if r := k.String(); len(r) == 1 && r[0] >= '1' && r[0] <= '9' && int(r[0]-'1') < len(p.options) {
			return tea.Sequence(closeTop, p.onChoose(int(r[0]-'1')))
		}
	}
	return nil
}

func (p *picker) View() string {
	s := p.c.Styles
	var b strings.Builder
	b.WriteString(s.Bold.Render(p.title) + "\n\n")
	for i, o := range p.options {
		line := padRight(string(rune('1'+i))+"  "+o, max(20, p.width-4))
		if i == p.cursor {
			line = s.Selected.Render(line)
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n" + s.KeyHint.Render("enter choose · esc cancel"))
	return s.Dialog.Render(b.String())
}

func (p *picker) SetSize(w, _ int) { p.width = min(w, 50) }
func (p *picker) ShortHelp() []key.Binding {
	return []key.Binding{pickerKeys.Choose, pickerKeys.Cancel}
}
func (p *picker) FullHelp() [][]key.Binding {
	return [][]key.Binding{{pickerKeys.Up, pickerKeys.Down, pickerKeys.Choose, pickerKeys.Cancel}}
}
