// Package ui is cxinbox's terminal interface (Bubble Tea v2). It talks only to
// app/: every load and change runs in a tea.Cmd and comes back as a message
// named for what happened, so Update and View touch memory only. See
// AGENTS.md in this folder for the house rules.
package ui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
)

// Context is what every screen and component shares: the app, the agent,
// the styles and the clock. One per program (one per SSH session later), so
// nothing here is a package global.
type Context struct {
	Ctx    context.Context
	App    *app.App
	Agent  string
	Styles Styles
	Now    func() time.Time // pinned in golden tests
}

// component is what every screen, pane and dialog is: it updates in place,
// renders at the size its parent gives it, and exposes its keys so help is
// generated from the same bindings that drive them.
type component interface {
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(width, height int)
	help.KeyMap
}

// Messages that move between screens.
type (
	// openMsg pushes a screen or dialog on top of the current one.
	openMsg struct{ c component }
	// closeMsg pops the top screen or dialog.
	closeMsg struct{}
	// statusMsg shows a one-line result ("tag added") or error in the status bar.
	statusMsg struct {
		text string
		err  bool
	}
	// dataChangedMsg says the database changed (the feed, the CLI, another
	// agent): screens reload what they show.
	dataChangedMsg app.Change
	// openContactMsg asks for the Contact Details screen of a contact.
	openContactMsg struct{ id int64 }
)

func open(c component) tea.Cmd { return func() tea.Msg { return openMsg{c} } }

func closeTop() tea.Msg { return closeMsg{} }

func status(text string) tea.Cmd { return func() tea.Msg { return statusMsg{text: text} } }

func statusErr(err error) tea.Cmd {
	return func() tea.Msg { return statusMsg{text: err.Error(), err: true} }
}

// do runs a change through the app off the UI goroutine and reports it:
// the success text, or the error, lands in the status bar.
func (c *Context) do(done string, fn func(ctx context.Context) error) tea.Cmd {
	return func() tea.Msg {
		if err := fn(c.Ctx); err != nil {
			return statusMsg{text: err.Error(), err: true}
		}
		return statusMsg{text: done}
	}
}
