package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// confirmQuitMsg answers the "unsent text" question.
type quitConfirmedMsg struct{}

// confirm is a yes/no dialog; yes runs onYes.
type confirm struct {
	c        *Context
	question string
	onYes    tea.Cmd
	width    int
}

func newConfirm(c *Context, question string, onYes tea.Cmd) *confirm {
	return &confirm{c: c, question: question, onYes: onYes}
}

// confirmQuit is the confirm shown when quitting with unsent text.
type confirmQuit struct{ *confirm }

func newConfirmQuit(c *Context) *confirmQuit {
	return &confirmQuit{newConfirm(c, "You have unsent text. Quit anyway?", func() tea.Msg { return quitConfirmedMsg{} })}
}

var confirmKeys = struct{ Yes, No key.Binding }{
	Yes: key.NewBinding(key.WithKeys("y", "Y", "enter"), key.WithHelp("y/enter", "yes")),
	No:  key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no")),
}

func (d *confirm) isDialog() {}

func (d *confirm) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, confirmKeys.Yes):
			return tea.Sequence(closeTop, d.onYes)
		case key.Matches(k, confirmKeys.No):
			return closeTop
		}
	}
	return nil
}

func (d *confirm) View() string {
	s := d.c.Styles
	return s.Dialog.Width(min(d.width, 60)).Render(s.Bold.Render(d.question) + "\n\n" + s.KeyHint.Render("y/enter yes · n/esc no"))
}

func (d *confirm) SetSize(w, _ int)          { d.width = w }
func (d *confirm) ShortHelp() []key.Binding  { return []key.Binding{confirmKeys.Yes, confirmKeys.No} }
func (d *confirm) FullHelp() [][]key.Binding { return [][]key.Binding{d.ShortHelp()} }
