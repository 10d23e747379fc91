package ui

import (
	tea "charm.land/bubbletea/v2"

	"cxinbox/model"
)

// The filter drawer ("Filter Contact Tickets via Ticket Filter"): the view
// builder, unsaved, beside the ticket list. As conditions or the expression
// change the list follows, debounced: each change schedules a tick tagged
// with a sequence number, and only the latest tick sends the filter. An
// invalid filter sends nothing, so the list keeps the last valid one while
// the drawer shows what is wrong.

type (
	// filterTickMsg is a debounce tick of a drawer; seq drops all but the latest.
	filterTickMsg struct {
		from *viewBuilder
		seq  int
	}
	// filterAppliedMsg gives the ticket list a drawer's filter.
	filterAppliedMsg struct {
		from *viewBuilder
		f    model.Filter
	}
	// drawerClosedMsg says a drawer was closed (its filter stays applied).
	drawerClosedMsg struct{ from *viewBuilder }
)

// ticked sends the filter if this is the latest tick and it is still valid.
func (b *viewBuilder) ticked(msg filterTickMsg) tea.Cmd {
	if msg.seq != b.tick {
		return nil // a later change has its own tick on the way
	}
	return b.applyNow()
}

// applyNow sends the filter as it stands, if valid and not sent already.
func (b *viewBuilder) applyNow() tea.Cmd {
	k := b.filterKeyIfValid()
	if k == "" || k == b.applied {
		return nil
	}
	b.tick++ // nothing pending any more
	b.applied, b.pending = k, k
	f, from := b.filter(), b
	return func() tea.Msg { return filterAppliedMsg{from: from, f: f} }
}
