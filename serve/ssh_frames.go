package serve

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// framed wraps a session's program so that its View — the whole screen,
// rebuilt from every pane, the costliest thing a session does — runs at
// most once per every for what arrives on its own (loads, other agents'
// changes, the feed), while the agent's input redraws at once, and what it
// sets off in the moment after (the ticket it moved to, that ticket's
// messages) at most one frame of echoEvery later. Bubble Tea
// calls View after every message, and one change fans out into several
// (the list, the conversation, the contact pane, the view counts): without
// this, fifty sessions under a busy feed spend the server's CPU drawing
// frames nobody sees.
type framed struct {
	inner   tea.Model
	every   time.Duration
	title   string // the terminal's title: whose session this is
	view    tea.View
	fresh   bool      // view is inner's current view
	urgent  bool      // input arrived: draw now
	ticking bool      // a redraw is scheduled
	last    time.Time // when view was drawn
	input   time.Time // when the agent's last input arrived
}

// For echo after an input, the messages it set off (a selection, a load)
// count as its answer: they draw within echoEvery.
const (
	echo      = 150 * time.Millisecond
	echoEvery = 20 * time.Millisecond
)

// redrawMsg asks for the frame a deferred update is waiting for.
type redrawMsg struct{}

func newFramed(m tea.Model, every time.Duration, title string) *framed {
	return &framed{inner: m, every: every, title: title}
}

func (f *framed) Init() tea.Cmd { return f.inner.Init() }

func (f *framed) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(redrawMsg); ok {
		f.ticking = false
		return f, nil
	}
	var cmd tea.Cmd
	f.inner, cmd = f.inner.Update(msg)
	f.fresh = false
	switch msg.(type) {
	case tea.KeyMsg, tea.MouseMsg, tea.PasteMsg, tea.WindowSizeMsg:
		f.urgent, f.input = true, time.Now()
	}
	if since, every := time.Since(f.last), f.interval(); !f.urgent && !f.ticking && since < every {
		f.ticking = true
		cmd = tea.Batch(cmd, tea.Tick(every-since, func(time.Time) tea.Msg { return redrawMsg{} }))
	}
	return f, cmd
}

// interval is the least time between two frames not drawn for input.
func (f *framed) interval() time.Duration {
	if time.Since(f.input) < echo {
		return echoEvery
	}
	return f.every
}

func (f *framed) View() tea.View {
	if f.fresh || (!f.urgent && f.ticking && time.Since(f.last) < f.interval()) {
		return f.view
	}
	f.view, f.fresh, f.urgent, f.last = f.inner.View(), true, false, time.Now()
	if f.title != "" {
		f.view.WindowTitle = f.title
	}
	return f.view
}
