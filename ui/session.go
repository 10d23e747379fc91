package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
)

// New returns the inbox program's model for one agent: what ui.Run runs
// locally and what `cxinbox serve --ssh` runs once per SSH session. changes
// is that program's own subscription (app.Subscribe), so every session
// refreshes on every other session's writes; ctx bounds its loads and
// writes.
func New(ctx context.Context, a *app.App, agent string, changes <-chan app.Change) tea.Model {
	return NewRoot(&Context{Ctx: ctx, App: a, Agent: agent, Styles: DefaultStyles(), Now: time.Now}, changes)
}

// Notice is a message for a running program from outside it (the server is
// shutting down, the session is idle): text takes the status line until the
// program quits.
func Notice(text string) tea.Msg { return noticeMsg(text) }

type noticeMsg string
