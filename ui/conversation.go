package ui

import (
	"context"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"cxinbox/model"
)

// messagesLoadedMsg carries the open ticket and its messages.
type messagesLoadedMsg struct {
	seq        int
	ticket     model.Ticket
	msgs       []model.Message
	assignedBy string // who made the ticket's latest assignment
	err        error
}

// replySentMsg says the agent's reply is stored.
type replySentMsg struct {
	ticketID int64
	err      error
}

type conversationKeyMap struct {
	Up, Down, Reply, Send, Cancel, Status, Assign, AssignMe, Trash, Restore key.Binding
}

var conversationKeys = conversationKeyMap{
	Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "scroll up")),
	Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "scroll down")),
	Reply:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reply")),
	Send:     key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "send reply")),
	Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop writing")),
	Status:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "status")),
	Assign:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "assign")),
	AssignMe: key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "assign to me")),
	Trash:    key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "move to trash")),
	Restore:  key.NewBinding(key.WithKeys("U"), key.WithHelp("U", "restore from trash")),
}

// conversation shows the open ticket's messages and the reply box.
type conversation struct {
	c       *Context
	ticket  model.Ticket
	msgs    []model.Message
	seq     int
	err     error
	vp      viewport.Model
	reply   textarea.Model
	writing bool

	width, height int
	focused       bool

	// "Taken by": the assignee the last load showed, and who else took the
	// ticket since.
	seenID       int64
	seenAssignee string
	takenBy      string
}

func newConversation(c *Context) *conversation {
	ta := textarea.New()
	ta.Placeholder = "Write a reply… (ctrl+s sends, esc stops writing)"
	ta.ShowLineNumbers = false
	ta.SetHeight(4)
	return &conversation{c: c, vp: viewport.New(), reply: ta}
}

// Open shows ticket t and loads its messages.
func (v *conversation) Open(t model.Ticket) tea.Cmd {
	if t.ID != v.ticket.ID {
		v.msgs = nil
		v.takenBy = ""
		if !v.Dirty() {
			v.writing = false
			v.reply.Blur()
		}
	}
	v.ticket = t
	if t.ID == 0 {
		v.render() // clear the messages of the ticket that left
	}
	return v.load()
}

func (v *conversation) load() tea.Cmd {
	if v.ticket.ID == 0 {
		return nil
	}
	v.seq++
	seq, id, ctx, a := v.seq, v.ticket.ID, v.c.Ctx, v.c.App
	return func() tea.Msg {
		t, err := a.Ticket(ctx, id)
		if err != nil {
			return messagesLoadedMsg{seq: seq, err: err}
		}
		msgs, err := a.Messages(ctx, id)
		by := ""
		if err == nil && t.Assignee != "" {
			by, err = a.AssignedBy(ctx, id)
		}
		return messagesLoadedMsg{seq: seq, ticket: t, msgs: msgs, assignedBy: by, err: err}
	}
}

func (v *conversation) Typing() bool { return v.writing }
func (v *conversation) Dirty() bool  { return strings.TrimSpace(v.reply.Value()) != "" }

func (v *conversation) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case messagesLoadedMsg:
		if msg.seq != v.seq {
			return nil
		}
		v.err = msg.err
		if msg.err == nil {
			atBottom := v.vp.AtBottom() || len(v.msgs) == 0
			v.ticket, v.msgs = msg.ticket, msg.msgs
			v.render()
			if atBottom {
				v.vp.GotoBottom()
			}
			return v.noticeTaken(msg.assignedBy)
		}
		return nil
	case dataChangedMsg:
		for _, id := range msg.TicketIDs {
			if id == v.ticket.ID {
				return v.load()
			}
		}
		if msg.Source == "external" {
			return v.load()
		}
		return nil
	case replySentMsg:
		if msg.err != nil {
			return statusErr(msg.err)
		}
		v.reply.Reset()
		v.writing = false
		v.reply.Blur()
		v.layout()
		return tea.Batch(v.load(), status(fmt.Sprintf("reply sent in #%d", msg.ticketID)))
	case tea.MouseWheelMsg:
		var cmd tea.Cmd
		v.vp, cmd = v.vp.Update(msg)
		return cmd
	case tea.KeyPressMsg:
		if v.writing {
			return v.updateWriting(msg)
		}
		return v.updateKeys(msg)
	}
	return nil
}

func (v *conversation) updateWriting(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, conversationKeys.Send):
		body := v.reply.Value()
		if strings.TrimSpace(body) == "" {
			return status("nothing to send")
		}
		id, ctx, a, agent := v.ticket.ID, v.c.Ctx, v.c.App, v.c.Agent
		return func() tea.Msg {
			_, err := a.Reply(ctx, agent, id, body)
			return replySentMsg{ticketID: id, err: err}
		}
	case key.Matches(msg, conversationKeys.Cancel):
		// Leaving the box keeps the draft; the ticket list still warns on quit.
		v.writing = false
		v.reply.Blur()
		v.layout()
		return nil
	}
	var cmd tea.Cmd
	v.reply, cmd = v.reply.Update(msg)
	return cmd
}

func (v *conversation) updateKeys(msg tea.KeyPressMsg) tea.Cmd {
	if v.ticket.ID == 0 {
		return nil
	}
	k := conversationKeys
	t := v.ticket
	switch {
	case key.Matches(msg, k.Reply):
		v.writing = true
		v.layout()
		return v.reply.Focus()
	case key.Matches(msg, k.Status):
		opts := make([]string, len(model.Statuses))
		cur := 0
		for i, st := range model.Statuses {
			opts[i] = string(st)
			if st == t.Status {
				cur = i
			}
		}
		return open(newPicker(v.c, fmt.Sprintf("Status of #%d", t.ID), opts, cur, func(i int) tea.Cmd {
			st := model.Statuses[i]
			return v.c.do(fmt.Sprintf("#%d is %s", t.ID, st), func(ctx context.Context) error {
				return v.c.App.SetStatus(ctx, v.c.Agent, t.ID, string(st))
			})
		}))
	case key.Matches(msg, k.AssignMe):
		return v.assign(t.ID, v.c.Agent)
	case key.Matches(msg, k.Assign):
		return open(newPrompt(v.c, fmt.Sprintf("Assign #%d to (empty = unassigned)", t.ID), t.Assignee, func(to string) tea.Cmd {
			return v.assign(t.ID, to)
		}))
	case key.Matches(msg, k.Trash) && !t.Deleted:
		return open(newConfirm(v.c, fmt.Sprintf("Move ticket #%d to the trash? (Restore it from the Trash view.)", t.ID),
			v.c.do(fmt.Sprintf("#%d moved to the trash", t.ID), func(ctx context.Context) error {
				return v.c.App.Trash(ctx, v.c.Agent, t.ID, true)
			})))
	case key.Matches(msg, k.Restore) && t.Deleted:
		return v.c.do(fmt.Sprintf("#%d restored", t.ID), func(ctx context.Context) error {
			return v.c.App.Trash(ctx, v.c.Agent, t.ID, false)
		})
	}
	var cmd tea.Cmd
	v.vp, cmd = v.vp.Update(msg)
	return cmd
}

// noticeTaken sees, after a load, whether another agent (another session,
// the CLI) gave the ticket on screen to someone other than this agent, and
// says so: "Taken by <assignee>" in the header and once in the status line.
// by is who made the latest assignment.
func (v *conversation) noticeTaken(by string) tea.Cmd {
	t := v.ticket
	if t.ID != v.seenID {
		v.seenID, v.seenAssignee, v.takenBy = t.ID, t.Assignee, ""
		return nil
	}
	if t.Assignee == v.seenAssignee {
		return nil
	}
	v.seenAssignee = t.Assignee
	if t.Assignee == "" || t.Assignee == v.c.Agent || by == v.c.Agent {
		v.takenBy = ""
		return nil
	}
	v.takenBy = t.Assignee
	return func() tea.Msg {
		return statusMsg{text: fmt.Sprintf("#%d was taken by %s", t.ID, t.Assignee), err: true}
	}
}

func (v *conversation) assign(id int64, to string) tea.Cmd {
	done := fmt.Sprintf("#%d assigned to %s", id, to)
	if to == "" {
		done = fmt.Sprintf("#%d unassigned", id)
	}
	return v.c.do(done, func(ctx context.Context) error { return v.c.App.Assign(ctx, v.c.Agent, id, to) })
}

// render lays the messages out for the viewport; only on load or resize.
func (v *conversation) render() {
	s := v.c.Styles
	w := max(10, v.width-2)
	var b strings.Builder
	for _, m := range v.msgs {
		head := s.Inbound.Render("◀ " + firstNonEmpty(m.Author, v.ticket.ContactName))
		if m.Direction == model.Out {
			head = s.Outbound.Render("▶ " + firstNonEmpty(m.Author, "agent"))
			if m.Marketing {
				head += s.Warn.Render(" marketing")
			}
		}
		head += s.Dim.Render("  " + m.SentAt.In(v.c.Now().Location()).Format("Mon 2 Jan 15:04") + " · " + v.ticket.Channel.Label())
		b.WriteString(head + "\n")
		if m.Subject != "" && v.ticket.Channel == model.Email {
			b.WriteString(s.Bold.Render(m.Subject) + "\n")
		}
		b.WriteString(lipgloss.NewStyle().Width(w).Render(m.Body) + "\n\n")
	}
	v.vp.SetContent(strings.TrimSuffix(b.String(), "\n\n"))
}

func (v *conversation) header() string {
	s := v.c.Styles
	t := v.ticket
	if t.ID == 0 {
		return s.Dim.Render("no ticket selected")
	}
	who := firstNonEmpty(t.Assignee, "unassigned")
	line := fmt.Sprintf("#%d %s · %s · %s · %s", t.ID, t.ContactName, t.Channel.Label(), t.Status, who)
	if t.Deleted {
		line += " · in trash"
	}
	sub := firstNonEmpty(t.Subject, "")
	if len(t.Tags) > 0 {
		sub += "  [" + strings.Join(t.Tags, ", ") + "]"
	}
	if v.takenBy != "" {
		taken := truncate("Taken by "+v.takenBy, v.width)
		return s.Header.Render(truncate(line, v.width)) + "\n" + s.Warn.Render(taken) +
			s.Dim.Render(truncate("  "+sub, v.width-lipgloss.Width(taken)))
	}
	return s.Header.Render(truncate(line, v.width)) + "\n" + s.Dim.Render(truncate(sub, v.width))
}

func (v *conversation) View() string {
	parts := []string{v.header()}
	if v.err != nil {
		parts = append(parts, v.c.Styles.Error.Render(v.err.Error()))
	}
	parts = append(parts, v.vp.View())
	if v.writing || v.Dirty() {
		parts = append(parts, v.reply.View())
	}
	return lipgloss.JoinVertical(lipgloss.Left, parts...)
}

func (v *conversation) SetSize(w, h int) {
	v.width, v.height = w, h
	v.layout()
	v.render()
}

// layout splits the height between messages and the reply box.
func (v *conversation) layout() {
	replyH := 0
	if v.writing || v.Dirty() {
		replyH = 5
	}
	v.reply.SetWidth(max(10, v.width))
	v.vp.SetWidth(max(10, v.width))
	v.vp.SetHeight(max(1, v.height-2-replyH))
}

func (v *conversation) ShortHelp() []key.Binding {
	k := conversationKeys
	if v.writing {
		return []key.Binding{k.Send, k.Cancel}
	}
	return []key.Binding{k.Reply, k.Status, k.AssignMe}
}

func (v *conversation) FullHelp() [][]key.Binding {
	k := conversationKeys
	return [][]key.Binding{{k.Up, k.Down, k.Reply, k.Send, k.Cancel}, {k.Status, k.Assign, k.AssignMe, k.Trash, k.Restore}}
}

// prompt is a one-line text dialog (assign to whom).
type prompt struct {
	c     *Context
	title string
	in    textinput.Model
	onOK  func(string) tea.Cmd
	width int
}

func newPrompt(c *Context, title, value string, onOK func(string) tea.Cmd) *prompt {
	in := textinput.New()
	in.SetValue(value)
	in.Focus()
	return &prompt{c: c, title: title, in: in, onOK: onOK}
}

var promptKeys = struct{ OK, Cancel key.Binding }{
	OK:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

func (p *prompt) isDialog()    {}
func (p *prompt) Typing() bool { return true }

func (p *prompt) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, promptKeys.OK):
			return tea.Sequence(closeTop, p.onOK(strings.TrimSpace(p.in.Value())))
		case key.Matches(k, promptKeys.Cancel):
			return closeTop
		}
	}
	var cmd tea.Cmd
	p.in, cmd = p.in.Update(msg)
	return cmd
}

func (p *prompt) View() string {
	s := p.c.Styles
	return s.Dialog.Render(s.Bold.Render(p.title) + "\n\n" + p.in.View() + "\n\n" + s.KeyHint.Render("enter ok · esc cancel"))
}

func (p *prompt) SetSize(w, _ int) {
	p.width = min(w, 60)
	p.in.SetWidth(p.width - 6)
}
func (p *prompt) ShortHelp() []key.Binding  { return []key.Binding{promptKeys.OK, promptKeys.Cancel} }
func (p *prompt) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }
