package ui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"cxinbox/app"
)

// Optional behaviours a component may have.
type (
	// dialog components are drawn over the screen beneath them.
	dialog interface{ isDialog() }
	// typer components capture printable keys while true (a text field has
	// focus), so '?', 'q' and friends reach them as text.
	typer interface{ Typing() bool }
	// dirtier components hold unsent text; quitting asks first.
	dirtier interface{ Dirty() bool }
)

// Run opens the inbox for agent until the user quits or ctx ends.
func Run(ctx context.Context, a *app.App, agent string, opts ...tea.ProgramOption) error {
	changes, unsubscribe := a.Subscribe()
	defer unsubscribe()
	m := New(ctx, a, agent, changes)
	opts = append([]tea.ProgramOption{tea.WithContext(ctx)}, opts...)
	_, err := tea.NewProgram(m, opts...).Run()
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

type globalKeys struct {
	Help, Quit, ForceQuit key.Binding
}

var rootKeys = globalKeys{
	Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
	ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
}

// Root is the program: a stack of screens and dialogs (the inbox at the
// bottom), the status line and the help overlay.
type Root struct {
	c       *Context
	changes <-chan app.Change
	stack   []component
	help    help.Model
	showAll bool // full help overlay

	width, height int
	status        statusMsg
	statusAt      time.Time
	notice        string // from outside the program (ui.Notice): stays until it quits
}

// NewRoot builds the program model; changes feeds live updates (nil in
// tests that drive changes by hand).
func NewRoot(c *Context, changes <-chan app.Change) *Root {
	h := help.New()
	return &Root{c: c, changes: changes, stack: []component{newInbox(c)}, help: h}
}

func (r *Root) Init() tea.Cmd {
	cmds := []tea.Cmd{r.listen()}
	if i, ok := r.stack[0].(interface{ Init() tea.Cmd }); ok {
		cmds = append(cmds, i.Init())
	}
	return tea.Batch(cmds...)
}

// listen waits for the next database change; Update re-arms it.
func (r *Root) listen() tea.Cmd {
	if r.changes == nil {
		return nil
	}
	ch := r.changes
	return func() tea.Msg {
		c, ok := <-ch
		if !ok {
			return nil
		}
		return appChangedMsg(c)
	}
}

// appChangedMsg is a change read from the app's subscription; the root
// re-arms the subscription and hands it on as a dataChangedMsg. (Screens
// also send dataChangedMsg themselves after their own actions; those must
// not start a second listener.)
type appChangedMsg app.Change

func (r *Root) top() component { return r.stack[len(r.stack)-1] }

func (r *Root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		r.width, r.height = msg.Width, msg.Height
		r.help.SetWidth(msg.Width)
		for _, c := range r.stack {
			r.size(c)
		}
		return r, nil
	case appChangedMsg:
		// Every screen in the stack refreshes what it shows.
		cmds := []tea.Cmd{r.listen()}
		for _, c := range r.stack {
			cmds = append(cmds, c.Update(dataChangedMsg(msg)))
		}
		return r, tea.Batch(cmds...)
	case openMsg:
		r.size(msg.c)
		r.stack = append(r.stack, msg.c)
		if i, ok := msg.c.(interface{ Init() tea.Cmd }); ok {
			return r, i.Init()
		}
		return r, nil
	case closeMsg:
		if len(r.stack) > 1 {
			r.stack = r.stack[:len(r.stack)-1]
		}
		return r, nil
	case openContactMsg:
		return r, open(newContactDetails(r.c, msg.id))
	case statusMsg:
		r.status, r.statusAt = msg, r.c.Now()
		return r, nil
	case noticeMsg:
		r.notice = string(msg)
		return r, nil
	case quitConfirmedMsg:
		return r, tea.Quit
	case tea.KeyPressMsg:
		if r.showAll {
			r.showAll = false // any key closes the help overlay
			return r, nil
		}
		typing := false
		if t, ok := r.top().(typer); ok {
			typing = t.Typing()
		}
		switch {
		case key.Matches(msg, rootKeys.ForceQuit):
			return r, r.quit()
		case !typing && key.Matches(msg, rootKeys.Help):
			r.showAll = true
			return r, nil
		case !typing && len(r.stack) == 1 && key.Matches(msg, rootKeys.Quit):
			return r, r.quit()
		}
		return r, r.top().Update(msg)
	case tea.MouseMsg:
		return r, r.top().Update(msg)
	}
	// Results of commands go to every screen in the stack, not just the top:
	// a list's page may land while a dialog is open over it. Each component
	// ignores messages that are not its own (and stale ones by sequence).
	cmds := make([]tea.Cmd, 0, len(r.stack))
	for _, c := range r.stack {
		cmds = append(cmds, c.Update(msg))
	}
	return r, tea.Batch(cmds...)
}

// quit leaves at once, unless some screen holds unsent text: then it asks.
func (r *Root) quit() tea.Cmd {
	for _, c := range r.stack {
		if d, ok := c.(dirtier); ok && d.Dirty() {
			if _, asking := r.top().(*confirmQuit); asking {
				return tea.Quit
			}
			return open(newConfirmQuit(r.c))
		}
	}
	return tea.Quit
}

func (r *Root) size(c component) {
	h := max(r.height-1, 1) // the status line
	if _, ok := c.(dialog); ok {
		c.SetSize(min(r.width-4, 76), min(h-2, 24))
		return
	}
	c.SetSize(r.width, h)
}

func (r *Root) View() tea.View {
	var body string
	if r.showAll {
		body = r.helpView()
	} else {
		body = r.screenView()
	}
	body = lipgloss.NewStyle().Width(r.width).Height(max(r.height-1, 1)).MaxHeight(max(r.height-1, 1)).Render(body)
	v := tea.NewView(body + "\n" + r.statusLine())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "cxinbox"
	return v
}

// screenView draws the topmost screen with any dialogs above it.
func (r *Root) screenView() string {
	base := len(r.stack) - 1
	for base > 0 {
		if _, ok := r.stack[base].(dialog); !ok {
			break
		}
		base--
	}
	out := r.stack[base].View()
	for _, d := range r.stack[base+1:] {
		dv := d.View()
		x := max(0, (r.width-lipgloss.Width(dv))/2)
		y := max(0, (r.height-1-lipgloss.Height(dv))/2)
		out = lipgloss.NewCompositor(lipgloss.NewLayer(out), lipgloss.NewLayer(dv).X(x).Y(y).Z(1)).Render()
	}
	return out
}

func (r *Root) helpView() string {
	s := r.c.Styles
	groups := r.top().FullHelp()
	groups = append(groups, []key.Binding{rootKeys.Help, rootKeys.Quit, rootKeys.ForceQuit})
	// Groups flow down columns, then across, so every key fits on screen
	// even at 80×24.
	const colW = 38
	avail := max(4, r.height-4)
	var cols []string
	var col strings.Builder
	lines := 0
	for _, g := range groups {
		var block []string
		for _, k := range g {
			if k.Enabled() {
				h := k.Help()
				block = append(block, " "+s.Bold.Render(padRight(h.Key, 12))+truncate(h.Desc, colW-14))
			}
		}
		if len(block) == 0 {
			continue
		}
		if lines > 0 && lines+len(block) > avail {
			cols = append(cols, col.String())
			col.Reset()
			lines = 0
		}
		if lines > 0 {
			col.WriteString("\n")
			lines++
		}
		col.WriteString(strings.Join(block, "\n") + "\n")
		lines += len(block)
	}
	cols = append(cols, col.String())
	for i := range cols {
		cols[i] = lipgloss.NewStyle().Width(colW).Render(cols[i])
	}
	return s.Title.Render("Keys") + s.Dim.Render("  (any key closes)") + "\n\n" + lipgloss.JoinHorizontal(lipgloss.Top, cols...)
}

// statusLine is the always-visible bottom line: the last result or error
// for a few seconds, otherwise the key hints of the screen in focus.
func (r *Root) statusLine() string {
	s := r.c.Styles
	if r.notice != "" {
		return truncate(s.Error.Render(r.notice), r.width)
	}
	if r.status.text != "" && r.c.Now().Sub(r.statusAt) < 5*time.Second {
		st := s.OK
		if r.status.err {
			st = s.Error
		}
		return truncate(st.Render(r.status.text), r.width)
	}
	keys := append(r.top().ShortHelp(), rootKeys.Help)
	return truncate(r.help.ShortHelpView(keys), r.width)
}
