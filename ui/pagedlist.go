package ui

import (
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// pageKind says what a page request was for, so its reply lands in the
// right place.
type pageKind int

const (
	pageFresh  pageKind = iota // a new list: replaces everything
	pageNext                   // the page after the loaded rows
	pageReload                 // the visible window again, after a change
)

// listKeys move the cursor of a paged list, the same on every screen that
// has one.
type listKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

// newListKeys names G by what it reaches: the end of the list, or only
// the end of what is loaded.
func newListKeys(bottom string) listKeys {
	return listKeys{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", bottom)),
	}
}

// pagedList is a list read a keyset page at a time under a cursor: the
// rows loaded so far, the window of them on screen, and the state of the
// page requests that fill it. A screen embeds one and keeps what is its
// own: what a row is, how it is drawn, and how a page is read.
type pagedList[T any] struct {
	rows    []T
	more    bool // the last page was full: another may follow
	loading bool // a request of the current seq is in flight
	pending pageKind
	seq     int // the request generation: replies of older ones are dropped
	err     error

	cursor, offset int
	visible        int // list rows the screen has room for
}

// listHeight is never below one, so a screen too small to show a row
// still scrolls sensibly.
func (p *pagedList[T]) listHeight() int { return max(p.visible, 1) }

// setVisible is the screen's SetSize for the list: the rows it has room
// for, with the cursor kept in view.
func (p *pagedList[T]) setVisible(rows int) {
	p.visible = rows
	p.scrollToCursor()
}

func (p *pagedList[T]) scrollToCursor() {
	h := p.listHeight()
	p.offset = min(p.offset, p.cursor)
	if p.cursor >= p.offset+h {
		p.offset = p.cursor - h + 1
	}
	p.offset = max(min(p.offset, len(p.rows)-h), 0)
}

// setCursor puts the cursor on row i, kept within the rows and in view.
func (p *pagedList[T]) setCursor(i int) {
	p.cursor = min(max(i, 0), max(len(p.rows)-1, 0))
	p.scrollToCursor()
}

// shown is the range of rows on screen; only those are rendered.
func (p *pagedList[T]) shown() (from, to int) {
	return p.offset, min(p.offset+p.listHeight(), len(p.rows))
}

// rowAt is the row drawn at screen line y below a header of that many
// lines, if any.
func (p *pagedList[T]) rowAt(y, header int) (int, bool) {
	i := p.offset + y - header
	return i, y >= header && i < len(p.rows)
}

// nearEnd asks next for the next page once the cursor is within a screen
// of the end of what is loaded (or the screen is taller than the rows).
func (p *pagedList[T]) nearEnd(next func() tea.Cmd) tea.Cmd {
	if p.cursor >= len(p.rows)-max(p.listHeight(), 20) {
		return next()
	}
	return nil
}

// moveBy moves the cursor and reads ahead through next when it nears the
// end.
func (p *pagedList[T]) moveBy(by int, next func() tea.Cmd) tea.Cmd {
	p.setCursor(p.cursor + by)
	return p.nearEnd(next)
}

// step is how far a list key moves the cursor; ok is false for any other
// key. A screen that does more on G matches it first.
func (p *pagedList[T]) step(msg tea.KeyPressMsg, k listKeys) (by int, ok bool) {
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -p.listHeight(), true
	case key.Matches(msg, k.PageDown):
		return p.listHeight(), true
	case key.Matches(msg, k.Top):
		return -len(p.rows), true
	case key.Matches(msg, k.Bottom):
		return len(p.rows), true
	}
	return 0, false
}

// wheel is how far a turn of the mouse wheel moves the cursor.
func wheel(msg tea.MouseWheelMsg) (by int, ok bool) {
	switch msg.Button {
	case tea.MouseWheelUp:
		return -3, true
	case tea.MouseWheelDown:
		return 3, true
	}
	return 0, false
}

// request marks a request of kind in flight.
func (p *pagedList[T]) request(kind pageKind) { p.loading, p.pending = true, kind }

// canNext says the page after the loaded rows may be asked for: another
// may follow and none is on its way.
func (p *pagedList[T]) canNext() bool { return !p.loading && p.more && len(p.rows) > 0 }

// reloadFrom is where a reload starts reading, the first row on screen;
// ok is false when a fresh start is due instead (a fresh page still on
// its way, or nothing to keep).
func (p *pagedList[T]) reloadFrom() (from int, ok bool) {
	if p.loading && p.pending == pageFresh || len(p.rows) == 0 || p.err != nil {
		return 0, false
	}
	return min(p.offset, len(p.rows)-1), true
}

// stale says a page reply is of an older generation, or a next page for a
// place the rows have already moved past: it is dropped.
func (p *pagedList[T]) stale(seq int, kind pageKind, from int) bool {
	return seq != p.seq || kind == pageNext && from != len(p.rows)
}

// land merges a page that arrived whole: a fresh page replaces the rows,
// a next page follows them, and a reload replaces the rows from its place
// on, the cursor staying on the row it is on now (it may have moved since
// the request), found by same. A full page means another may follow. The
// caller settles the cursor with setCursor once it has done its own part.
func (p *pagedList[T]) land(kind pageKind, from int, rows []T, full int, same func(a, b T) bool) {
	p.more = len(rows) == full
	switch kind {
	case pageFresh:
		p.rows, p.cursor, p.offset = rows, 0, 0
	case pageNext:
		p.rows = append(p.rows, rows...)
	case pageReload:
		if len(p.rows) == 0 { // nothing to keep the cursor on (reloads start from a loaded row)
			p.rows = rows
			return
		}
		keep := p.rows[min(p.cursor, len(p.rows)-1)]
		p.rows = append(p.rows[:from:from], rows...)
		if i := slices.IndexFunc(p.rows, func(r T) bool { return same(r, keep) }); i >= 0 {
			p.cursor = i
		}
	}
}
