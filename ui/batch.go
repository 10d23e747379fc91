package ui

import (
	"context"
	"fmt"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"cxinbox/model"
)

// Batch actions on the ticket list: pick tickets (space toggles the one
// under the cursor, * picks every ticket the list's view and filter match,
// up to maxSelect), then change their status, assign them, tag them or move
// them to the trash; in the Trash view restore or purge them. Each action
// is one app call (one transaction) in a command; the selection clears when
// it succeeds.

// maxSelect is the most tickets "select all" picks.
const maxSelect = 10_000

type (
	// ticketIDsMsg answers "select all that match" for the list's gen.
	ticketIDsMsg struct {
		list *ticketList
		gen  int
		ids  []int64
		err  error
	}
	// batchDoneMsg is the result of a batch action.
	batchDoneMsg struct {
		list *ticketList
		text string
		ids  []int64
		err  error
	}
)

type batchKeyMap struct {
	Toggle, All, Clear, Status, Assign, Tag, Delete, Restore, Purge key.Binding
}

var batchKeys = batchKeyMap{
	Toggle:  key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "select ticket")),
	All:     key.NewBinding(key.WithKeys("*"), key.WithHelp("*", "select all that match")),
	Clear:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear selection")),
	Status:  key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "status of selected")),
	Assign:  key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "assign selected")),
	Tag:     key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tag selected")),
	Delete:  key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "move selected to trash")),
	Restore: key.NewBinding(key.WithKeys("U"), key.WithHelp("U", "restore selected (Trash)")),
	Purge:   key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "purge selected (Trash)")),
}

// listChanged is called when what the list shows changes (another view, a
// filter, a search): the selection no longer applies.
func (l *ticketList) listChanged() {
	l.gen++
	l.marked = nil
}

func (l *ticketList) inTrash() bool { return l.view.query.Trash }

// markedIDs are the selected tickets, in id order.
func (l *ticketList) markedIDs() []int64 {
	ids := make([]int64, 0, len(l.marked))
	for id := range l.marked {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// updateBatch handles the selection and batch keys; false leaves the key
// to the list.
func (l *ticketList) updateBatch(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := batchKeys
	n := len(l.marked)
	switch {
	case key.Matches(msg, k.Toggle):
		t, ok := l.Selected()
		if !ok {
			return nil, true
		}
		if l.marked == nil {
			l.marked = map[int64]bool{}
		}
		if l.marked[t.ID] {
			delete(l.marked, t.ID)
		} else {
			l.marked[t.ID] = true
		}
		return l.move(1), true
	case key.Matches(msg, k.All):
		return l.selectAll(), true
	case key.Matches(msg, k.Clear) && n > 0:
		l.marked = nil
		return nil, true
	case key.Matches(msg, k.Status, k.Assign, k.Tag, k.Delete, k.Restore, k.Purge) && n == 0:
		return status("select tickets first: space picks one, * all that match"), true
	case key.Matches(msg, k.Status) && !l.inTrash():
		return l.batchStatus(), true
	case key.Matches(msg, k.Assign) && !l.inTrash():
		return l.batchAssign(), true
	case key.Matches(msg, k.Tag) && !l.inTrash():
		return l.batchTag(), true
	case key.Matches(msg, k.Delete) && !l.inTrash():
		return open(newConfirm(l.c, fmt.Sprintf("Move %s to the trash? (Restore them from the Trash view.)", plural(n, "ticket")),
			l.batch(fmt.Sprintf("%s moved to the trash", plural(n, "ticket")), func(ctx context.Context, ids []int64) error {
				return l.c.App.BatchTrash(ctx, l.c.Agent, ids, true)
			}))), true
	case key.Matches(msg, k.Restore) && l.inTrash():
		return l.batch(fmt.Sprintf("%s restored", plural(n, "ticket")), func(ctx context.Context, ids []int64) error {
			return l.c.App.BatchTrash(ctx, l.c.Agent, ids, false)
		}), true
	case key.Matches(msg, k.Purge) && l.inTrash():
		return open(newConfirm(l.c, fmt.Sprintf("Erase %s for good? Their messages go too; this cannot be undone.", plural(n, "ticket")),
			l.batch(fmt.Sprintf("%s purged", plural(n, "ticket")), func(ctx context.Context, ids []int64) error {
				return l.c.App.Purge(ctx, l.c.Agent, ids)
			}))), true
	case key.Matches(msg, k.Status, k.Assign, k.Tag, k.Delete):
		return status("in the Trash: U restores, P purges"), true
	case key.Matches(msg, k.Restore, k.Purge):
		return status("restore and purge work in the Trash view"), true
	}
	return nil, false
}

// selectAll asks the app for every ticket the list matches (up to maxSelect).
func (l *ticketList) selectAll() tea.Cmd {
	q := l.query()
	q.After, q.Limit = nil, 0
	list, gen, ctx, a := l, l.gen, l.c.Ctx, l.c.App
	return func() tea.Msg {
		ids, err := a.TicketIDs(ctx, q, maxSelect)
		return ticketIDsMsg{list: list, gen: gen, ids: ids, err: err}
	}
}

func (l *ticketList) batchStatus() tea.Cmd {
	opts := make([]string, len(model.Statuses))
	for i, st := range model.Statuses {
		opts[i] = string(st)
	}
	n := len(l.marked)
	return open(newPicker(l.c, fmt.Sprintf("Status of %s", plural(n, "ticket")), opts, 0, func(i int) tea.Cmd {
		st := model.Statuses[i]
		return l.batch(fmt.Sprintf("%s set to %s", plural(n, "ticket"), st), func(ctx context.Context, ids []int64) error {
			return l.c.App.BatchStatus(ctx, l.c.Agent, ids, string(st))
		})
	}))
}

func (l *ticketList) batchAssign() tea.Cmd {
	n := len(l.marked)
	return open(l.prompt(fmt.Sprintf("Assign %s to (empty = unassigned)", plural(n, "ticket")), l.c.Agent, func(to string) tea.Cmd {
		done := fmt.Sprintf("%s assigned to %s", plural(n, "ticket"), to)
		if to == "" {
			done = fmt.Sprintf("%s unassigned", plural(n, "ticket"))
		}
		return l.batch(done, func(ctx context.Context, ids []int64) error {
			return l.c.App.BatchAssign(ctx, l.c.Agent, ids, to)
		})
	}))
}

// batchTag asks for a tag; one the catalogue lacks is created.
func (l *ticketList) batchTag() tea.Cmd {
	n := len(l.marked)
	return open(l.prompt(fmt.Sprintf("Add a tag to %s (a new name creates the tag)", plural(n, "ticket")), "", func(tag string) tea.Cmd {
		if tag == "" {
			return nil
		}
		return l.batch(fmt.Sprintf("tag %s added to %s", tag, plural(n, "ticket")), func(ctx context.Context, ids []int64) error {
			tags, err := l.c.App.Tags(ctx)
			if err != nil {
				return err
			}
			create := !slices.ContainsFunc(tags, func(t string) bool { return model.Fold(t) == model.Fold(tag) })
			return l.c.App.BatchTag(ctx, l.c.Agent, ids, tag, create)
		})
	}))
}

// prompt is a one-line question in the house input style (a steady cursor).
func (l *ticketList) prompt(title, value string, onOK func(string) tea.Cmd) *prompt {
	p := newPrompt(l.c, title, value, onOK)
	p.in.SetStyles(l.c.Styles.Input)
	return p
}

// batch runs one batch action on the selected tickets in a command.
func (l *ticketList) batch(done string, fn func(ctx context.Context, ids []int64) error) tea.Cmd {
	ids, list, ctx := l.markedIDs(), l, l.c.Ctx
	return func() tea.Msg {
		return batchDoneMsg{list: list, text: done, ids: ids, err: fn(ctx, ids)}
	}
}

func (l *ticketList) updateBatchReply(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case ticketIDsMsg:
		if msg.list != l || msg.gen != l.gen {
			return nil // the list shows something else now
		}
		if msg.err != nil {
			return statusErr(fmt.Errorf("select all: %w", msg.err))
		}
		l.marked = make(map[int64]bool, len(msg.ids))
		for _, id := range msg.ids {
			l.marked[id] = true
		}
		text := fmt.Sprintf("%d selected", len(msg.ids))
		if len(msg.ids) >= maxSelect {
			text = fmt.Sprintf("%d selected (the most at once; narrow the filter for the rest)", len(msg.ids))
		}
		return status(text)
	case batchDoneMsg:
		if msg.list != l {
			return nil
		}
		if msg.err != nil {
			return statusErr(msg.err) // the selection stays, to try again
		}
		for _, id := range msg.ids {
			delete(l.marked, id)
		}
		ids := msg.ids
		return tea.Batch(status(msg.text), func() tea.Msg { return dataChangedMsg{Source: "local", TicketIDs: ids} })
	}
	return nil
}

func (l *ticketList) batchShortHelp() []key.Binding {
	k := batchKeys
	if l.inTrash() {
		return []key.Binding{k.Toggle, k.Restore, k.Purge, k.Clear}
	}
	return []key.Binding{k.Toggle, k.Status, k.Assign, k.Tag, k.Delete, k.Clear}
}

func (l *ticketList) batchFullHelp() []key.Binding {
	k := batchKeys
	return []key.Binding{k.Toggle, k.All, k.Clear, k.Status, k.Assign, k.Tag, k.Delete, k.Restore, k.Purge}
}
