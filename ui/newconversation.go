package ui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"cxinbox/app"
	"cxinbox/model"
)

// conversationStartedMsg is the proactive ticket just opened (or why not).
type conversationStartedMsg struct {
	seq    int
	ticket model.Ticket
	err    error
}

type startConversationKeyMap struct{ Next, Prev, Up, Down, Toggle, Send, Cancel key.Binding }

var startConversationKeys = startConversationKeyMap{
	Next:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next field")),
	Prev:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous field")),
	Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑", "previous identity")),
	Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "next identity")),
	Toggle: key.NewBinding(key.WithKeys("space", "x"), key.WithHelp("space", "toggle marketing")),
	Send:   key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "send")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

// composeField is a field of the new-conversation dialog, in tab order.
type composeField int

const (
	composeTo composeField = iota
	composeSubject
	composeBody
	composeMarketing
)

// composeIdentities is how many identities show at once in the "To" list.
const composeIdentities = 3

// startConversation is the spec's New Conversation: a proactive ticket to
// the contact on one of its identities, with the agent's first message.
// Email gets a subject and can be marked as marketing, which the app refuses
// for an unsubscribed contact; the refusal shows here and nothing closes.
type startConversation struct {
	c         *Context
	contact   app.ContactSummary
	pick      int
	subject   textinput.Model
	body      textarea.Model
	marketing bool
	focus     composeField
	seq       int
	busy      bool
	err       error

	width, height int
}

// newStartConversation opens the dialog on identity on, or the contact's
// first identity when on is not one of its own.
func newStartConversation(c *Context, contact app.ContactSummary, on model.Identity) *startConversation {
	d := &startConversation{c: c, contact: contact}
	for i, id := range contact.Identities {
		if id == on {
			d.pick = i
		}
	}
	d.subject = textinput.New()
	d.subject.SetStyles(c.Styles.Input)
	d.subject.Prompt = ""
	d.subject.Placeholder = "optional"
	d.subject.CharLimit = 500
	d.body = textarea.New()
	d.body.SetStyles(c.Styles.TextArea)
	d.body.ShowLineNumbers = false
	d.body.Placeholder = "Your first message to " + contact.Name
	d.focus = composeBody
	if len(contact.Identities) > 1 {
		d.focus = composeTo // more than one way to write: choosing comes first
	}
	return d
}

func (d *startConversation) Init() tea.Cmd { return d.setFocus(d.focus) }

func (d *startConversation) isDialog()    {}
func (d *startConversation) Typing() bool { return true }
func (d *startConversation) Dirty() bool {
	return strings.TrimSpace(d.body.Value()) != "" || strings.TrimSpace(d.subject.Value()) != ""
}

func (d *startConversation) identity() model.Identity {
	if d.pick < len(d.contact.Identities) {
		return d.contact.Identities[d.pick]
	}
	return model.Identity{}
}

func (d *startConversation) isEmail() bool { return d.identity().Channel == model.Email }

// fields are the fields shown, in tab order: subject and marketing are for
// email only.
func (d *startConversation) fields() []composeField {
	if d.isEmail() {
		return []composeField{composeTo, composeSubject, composeBody, composeMarketing}
	}
	return []composeField{composeTo, composeBody}
}

func (d *startConversation) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case conversationStartedMsg:
		if msg.seq != d.seq {
			return nil
		}
		d.busy = false
		if msg.err != nil {
			d.err = msg.err
			d.resize()
			return nil
		}
		t := msg.ticket
		return tea.Sequence(closeTop, tea.Batch(
			status(fmt.Sprintf("conversation #%d opened on %s", t.ID, t.Channel.Label())),
			func() tea.Msg {
				return dataChangedMsg{Source: "local", ContactIDs: []int64{t.ContactID}, TicketIDs: []int64{t.ID}, NewTickets: 1}
			}))
	case tea.KeyPressMsg:
		k := startConversationKeys
		switch {
		case key.Matches(msg, k.Cancel):
			if d.Dirty() {
				return open(newConfirm(d.c, "Discard this message?", closeTop))
			}
			return closeTop
		case key.Matches(msg, k.Send):
			return d.send()
		case key.Matches(msg, k.Next):
			return d.step(1)
		case key.Matches(msg, k.Prev):
			return d.step(-1)
		case d.focus == composeTo && key.Matches(msg, k.Up):
			d.choose(d.pick - 1)
			return nil
		case d.focus == composeTo && key.Matches(msg, k.Down):
			d.choose(d.pick + 1)
			return nil
		case d.focus == composeMarketing && key.Matches(msg, k.Toggle):
			d.marketing = !d.marketing
			d.err = nil
			d.resize()
			return nil
		}
	}
	var cmd tea.Cmd
	switch d.focus {
	case composeSubject:
		d.subject, cmd = d.subject.Update(msg)
	case composeBody:
		d.body, cmd = d.body.Update(msg)
	}
	return cmd
}

// choose picks identity i; leaving email drops the email-only settings.
func (d *startConversation) choose(i int) {
	d.pick = max(min(i, len(d.contact.Identities)-1), 0)
	if !d.isEmail() {
		d.marketing = false
	}
	d.err = nil
	d.resize()
}

func (d *startConversation) step(delta int) tea.Cmd {
	fs := d.fields()
	at := 0
	for i, f := range fs {
		if f == d.focus {
			at = i
		}
	}
	return d.setFocus(fs[(at+delta+len(fs))%len(fs)])
}

func (d *startConversation) setFocus(f composeField) tea.Cmd {
	d.focus = f
	d.subject.Blur()
	d.body.Blur()
	switch f {
	case composeSubject:
		return d.subject.Focus()
	case composeBody:
		return d.body.Focus()
	}
	return nil
}

func (d *startConversation) send() tea.Cmd {
	if d.busy {
		return nil
	}
	if len(d.contact.Identities) == 0 {
		d.err = fmt.Errorf("%s has no identity to write to", d.contact.Name)
		return nil
	}
	body := d.body.Value()
	if strings.TrimSpace(body) == "" {
		d.err = errors.New("write the first message before sending")
		d.resize()
		return nil
	}
	subject, marketing := "", false
	if d.isEmail() {
		subject, marketing = d.subject.Value(), d.marketing
	}
	d.busy, d.err = true, nil
	d.seq++
	seq, ctx, a, agent, id, on := d.seq, d.c.Ctx, d.c.App, d.c.Agent, d.contact.ID, d.identity()
	return func() tea.Msg {
		t, err := a.NewConversation(ctx, agent, id, on, subject, body, marketing)
		return conversationStartedMsg{seq: seq, ticket: t, err: err}
	}
}

func (d *startConversation) innerWidth() int {
	return max(d.width-d.c.Styles.Dialog.GetHorizontalFrameSize(), 20)
}

// head is everything above the message editor; tail everything below it.
func (d *startConversation) head() []string {
	s := d.c.Styles
	inner := d.innerWidth()
	label := func(text string, f composeField) string {
		if d.focus == f {
			return s.Bold.Render(padRight(text, 9))
		}
		return s.Label.Render(padRight(text, 9))
	}
	lines := []string{truncate(s.Bold.Render("New conversation with "+d.contact.Name), inner), ""}
	ids := d.contact.Identities
	first := max(min(d.pick-composeIdentities+2, len(ids)-composeIdentities), 0)
	for i := first; i < min(len(ids), first+composeIdentities); i++ {
		lead := strings.Repeat(" ", 9)
		if i == first {
			lead = label("To", composeTo)
		}
		id := ids[i]
		row := s.Badge(id.Channel) + " " + id.Value
		switch {
		case i == d.pick && d.focus == composeTo:
			row = s.Selected.Render(padRight("▸ "+ansi.Strip(row), inner-9))
		case i == d.pick:
			row = "▸ " + row
		default:
			row = "  " + row
		}
		lines = append(lines, truncate(lead+row, inner))
	}
	if n := len(ids) - composeIdentities; n > 0 {
		lines = append(lines, strings.Repeat(" ", 11)+s.Dim.Render(fmt.Sprintf("%d identities · ↑/↓ choose", len(ids))))
	}
	if d.isEmail() {
		lines = append(lines, label("Subject", composeSubject)+d.subject.View())
	}
	return append(lines, label("Message", composeBody))
}

func (d *startConversation) tail() []string {
	s := d.c.Styles
	inner := d.innerWidth()
	var lines []string
	if d.isEmail() {
		box := "[ ]"
		if d.marketing {
			box = "[x]"
		}
		text := box + " marketing email"
		if d.focus == composeMarketing {
			text = s.Bold.Render(text) + s.Dim.Render("  space toggles")
		}
		lines = append(lines, strings.Repeat(" ", 9)+text)
		if d.marketing && d.contact.EmailUnsubscribed {
			lines = append(lines, strings.Repeat(" ", 9)+s.Warn.Render(truncate(d.contact.Name+" unsubscribed from marketing email", inner-9)))
		}
	}
	if d.err != nil {
		msg := d.err.Error()
		if errors.Is(d.err, app.ErrUnsubscribed) {
			msg = "Not sent: " + msg + ". Send it as a service message (marketing off) or not at all."
		}
		for _, l := range strings.Split(ansi.Wrap(msg, inner, ""), "\n") {
			lines = append(lines, s.Error.Render(l))
		}
	}
	hint := "ctrl+s send · tab next field · esc cancel"
	if d.busy {
		hint = "sending…"
	}
	return append(lines, "", s.KeyHint.Render(hint))
}

// resize gives the message editor the height the other lines leave, up to
// ten lines: a first message is short.
func (d *startConversation) resize() {
	d.body.SetWidth(d.innerWidth())
	free := d.height - d.c.Styles.Dialog.GetVerticalFrameSize() - len(d.head()) - len(d.tail())
	d.body.SetHeight(min(max(free, 3), 10))
}

func (d *startConversation) View() string {
	parts := append(d.head(), d.body.View())
	parts = append(parts, d.tail()...)
	return d.c.Styles.Dialog.Width(d.width).Render(strings.Join(parts, "\n"))
}

func (d *startConversation) SetSize(w, h int) {
	d.width, d.height = w, h
	d.subject.SetWidth(max(d.innerWidth()-9-1, 5))
	d.resize()
}

func (d *startConversation) ShortHelp() []key.Binding {
	k := startConversationKeys
	return []key.Binding{k.Send, k.Next, k.Toggle, k.Cancel}
}

func (d *startConversation) FullHelp() [][]key.Binding {
	k := startConversationKeys
	return [][]key.Binding{{k.Next, k.Prev, k.Up, k.Down, k.Toggle}, {k.Send, k.Cancel}}
}
