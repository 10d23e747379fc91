package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"cxinbox/app"
	"cxinbox/model"
)

// The view builder: "+ Add a New View" and editing a view (a dialog), and
// the filter drawer (the same builder, unsaved, inside the inbox; see
// filterdrawer.go). A name, the Public toggle, match all / any / a logical
// expression, numbered conditions, Save.

type builderMode int

const (
	builderNew builderMode = iota
	builderEdit
	builderDrawer
)

type (
	// viewSaveReplyMsg is the app's answer to a builder's save.
	viewSaveReplyMsg struct {
		from *viewBuilder
		seq  int
		v    app.View
		err  error
	}
	// viewSavedMsg says a view was saved: lists of views reload, and one
	// saved from the filter drawer is opened.
	viewSavedMsg struct {
		v          app.View
		created    bool
		fromDrawer bool
	}
)

type viewBuilderKeyMap struct {
	Next, Prev, Up, Down, Change, Add, Delete, Save, Cancel key.Binding
}

var viewBuilderKeys = viewBuilderKeyMap{
	Next:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next field")),
	Prev:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous field")),
	Up:     key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "row up")),
	Down:   key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "row down")),
	Change: key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "change choice")),
	Add:    key.NewBinding(key.WithKeys("+"), key.WithHelp("+", "add a condition")),
	Delete: key.NewBinding(key.WithKeys("ctrl+d", "x"), key.WithHelp("ctrl+d/x", "delete condition")),
	Save:   key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save view")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

// bRowKind is a line of the builder the cursor can be on.
type bRowKind int

const (
	bName bRowKind = iota
	bPublic
	bMatch
	bExpr
	bCond
	bAdd
	bSave
)

type bRow struct {
	kind bRowKind
	i    int // bCond: the condition's index
}

// The columns of a condition row.
const (
	colField = iota
	colOp
	colValue
	condCols
)

var matchModes = []model.Match{model.MatchAll, model.MatchAny, model.MatchExpr}

func matchLabel(m model.Match) string {
	switch m {
	case model.MatchAny:
		return "Meet any condition"
	case model.MatchExpr:
		return "Use logical expression"
	}
	return "Meet all conditions"
}

// condRow is one numbered condition being edited.
type condRow struct {
	field model.Field
	op    model.Operator
	value textinput.Model // typed, or the current choice of a fixed list
	err   error           // Normalize's verdict
}

// valueChoices are the values of a field with a fixed list (nil: typed).
func valueChoices(f model.Field) []string {
	var out []string
	switch f {
	case model.FieldChannel:
		for _, c := range model.Channels {
			out = append(out, string(c))
		}
	case model.FieldStatus:
		for _, s := range model.Statuses {
			out = append(out, string(s))
		}
	case model.FieldLeadStage:
		for _, s := range model.LeadStages {
			out = append(out, string(s))
		}
	case model.FieldEmailUnsubscribed:
		out = []string{"true", "false"}
	}
	return out
}

func valuePlaceholder(f model.Field, op model.Operator) string {
	switch {
	case op == model.OpWithin:
		return "like 7d, 12h"
	case op == model.OpBefore || op == model.OpAfter:
		return "YYYY-MM-DD"
	case f == model.FieldCountry:
		return "like DE"
	}
	return "value"
}

// viewBuilder edits a view's name, visibility and filter. Everything is
// checked as it is typed (the expression with model.ParseExpression, each
// condition with Normalize), and shown beside what is wrong; Save sends
// nothing while anything is.
type viewBuilder struct {
	c      *Context
	mode   builderMode
	id     int64 // builderEdit: the view edited
	owner  string
	name   textinput.Model
	public bool
	match  model.Match
	expr   textinput.Model
	conds  []condRow

	cur bRow // the row with the cursor
	col int  // and, on a condition, its column

	askName bool // drawer: the name and Public rows show (saving as a view)
	tried   bool // a save was attempted: empty values are errors now
	exprErr error
	filtErr error // the whole filter's first problem (Filter.Tree)
	err     error // why the last save failed
	seq     int
	busy    bool
	orig    string // the state opened with, for Dirty
	offset  int    // the first body line shown

	// drawer: the list follows the filter, debounced
	debounce time.Duration
	tick     int    // the latest scheduled tick; older ones are dropped
	applied  string // the filter last sent to the list
	pending  string // the filter the latest tick will send

	width, height int
}

const builderLabelW = 12

// newViewBuilder opens the builder on a new view (v nil) or to edit v.
func newViewBuilder(c *Context, v *app.View) *viewBuilder {
	b := &viewBuilder{c: c, mode: builderNew, match: model.MatchAll, owner: c.Agent}
	b.name = b.input("", "what the view is called", 80)
	b.expr = b.input("", "like (1 or 2) and 3", model.MaxExprLen)
	if v != nil {
		b.mode, b.id, b.owner, b.public = builderEdit, v.ID, v.Owner, v.Public
		b.name.SetValue(v.Name)
		b.setFilter(v.Filter)
	}
	b.check()
	b.orig = b.state()
	return b
}

// newFilterDrawer is the builder unsaved, starting from f (a saved view's
// filter to refine) or from one empty Contact Name condition.
func newFilterDrawer(c *Context, f *model.Filter) *viewBuilder {
	b := newViewBuilder(c, nil)
	b.mode, b.debounce = builderDrawer, 150*time.Millisecond
	if f != nil {
		b.setFilter(*f)
	} else {
		b.addCond()
	}
	b.check()
	b.orig = b.state()
	b.applied, b.pending = b.filterKeyIfValid(), b.filterKeyIfValid()
	b.cur, b.col = bRow{kind: bAdd}, 0
	if len(b.conds) > 0 {
		b.cur, b.col = bRow{kind: bCond, i: len(b.conds) - 1}, colValue
	}
	return b
}

func (b *viewBuilder) input(value, placeholder string, limit int) textinput.Model {
	in := textinput.New()
	in.SetStyles(b.c.Styles.Input)
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = limit
	in.SetValue(value)
	return in
}

func (b *viewBuilder) setFilter(f model.Filter) {
	b.match = f.Match
	if b.match == "" {
		b.match = model.MatchAll
	}
	b.expr.SetValue(f.Expr)
	b.conds = nil
	for _, c := range f.Conditions {
		r := condRow{field: c.Field, op: c.Op, value: b.input(c.Value, valuePlaceholder(c.Field, c.Op), model.MaxConditionValue)}
		b.conds = append(b.conds, r)
	}
}

func (b *viewBuilder) Init() tea.Cmd { return b.refocus() }

func (b *viewBuilder) isDialog()    {}
func (b *viewBuilder) Typing() bool { return true }

// Dirty: the builder holds changes not saved (the drawer never asks).
func (b *viewBuilder) Dirty() bool { return b.mode != builderDrawer && b.state() != b.orig }

func (b *viewBuilder) state() string {
	return fmt.Sprintf("%q|%v|%s", b.name.Value(), b.public, filterKey(b.filter()))
}

// filter is the filter as it stands, values trimmed.
func (b *viewBuilder) filter() model.Filter {
	f := model.Filter{Match: b.match, Conditions: []model.Condition{}}
	for _, r := range b.conds {
		f.Conditions = append(f.Conditions, model.Condition{Field: r.field, Op: r.op, Value: strings.TrimSpace(r.value.Value())})
	}
	if b.match == model.MatchExpr {
		f.Expr = b.expr.Value()
	}
	return f
}

// filterKey identifies a filter's content (to see if it changed).
func filterKey(f model.Filter) string {
	var sb strings.Builder
	sb.WriteString(string(f.Match) + "|" + f.Expr)
	for _, c := range f.Conditions {
		fmt.Fprintf(&sb, "|%s\x00%s\x00%s", c.Field, c.Op, c.Value)
	}
	return sb.String()
}

// check validates everything as it stands.
func (b *viewBuilder) check() {
	b.exprErr = nil
	if b.match == model.MatchExpr {
		_, b.exprErr = model.ParseExpression(b.expr.Value(), len(b.conds))
	}
	f := b.filter()
	for i, c := range f.Conditions {
		b.conds[i].err = c.Validate()
	}
	_, b.filtErr = f.Tree()
}

func (b *viewBuilder) filterKeyIfValid() string {
	if b.filtErr != nil {
		return ""
	}
	return filterKey(b.filter())
}

// rows lists the lines the cursor visits, in order.
func (b *viewBuilder) rows() []bRow {
	var rs []bRow
	if b.mode != builderDrawer || b.askName {
		rs = append(rs, bRow{kind: bName}, bRow{kind: bPublic})
	}
	rs = append(rs, bRow{kind: bMatch})
	if b.match == model.MatchExpr {
		rs = append(rs, bRow{kind: bExpr})
	}
	for i := range b.conds {
		rs = append(rs, bRow{kind: bCond, i: i})
	}
	rs = append(rs, bRow{kind: bAdd})
	if b.mode != builderDrawer || b.askName {
		rs = append(rs, bRow{kind: bSave})
	}
	return rs
}

func (b *viewBuilder) rowIndex() int {
	rs := b.rows()
	for i, r := range rs {
		if r == b.cur {
			return i
		}
	}
	return 0
}

// textFocused reports whether the cursor is in a text field (where
// printable keys are text).
func (b *viewBuilder) textFocused() bool {
	switch b.cur.kind {
	case bName, bExpr:
		return true
	case bCond:
		return b.col == colValue && valueChoices(b.conds[b.cur.i].field) == nil
	}
	return false
}

// refocus gives the keyboard to the text field under the cursor, if any.
func (b *viewBuilder) refocus() tea.Cmd {
	b.name.Blur()
	b.expr.Blur()
	for i := range b.conds {
		b.conds[i].value.Blur()
	}
	if !b.textFocused() {
		return nil
	}
	switch b.cur.kind {
	case bName:
		return b.name.Focus()
	case bExpr:
		return b.expr.Focus()
	}
	return b.conds[b.cur.i].value.Focus()
}

// moveRow moves the cursor d rows, keeping a condition's column.
func (b *viewBuilder) moveRow(d int) tea.Cmd {
	rs := b.rows()
	i := max(0, min(len(rs)-1, b.rowIndex()+d))
	b.cur = rs[i]
	return b.refocus()
}

// moveCell moves through every field in order: a condition's three columns
// one by one.
func (b *viewBuilder) moveCell(d int) tea.Cmd {
	if b.cur.kind == bCond && b.col+d >= 0 && b.col+d < condCols {
		b.col += d
		return b.refocus()
	}
	rs := b.rows()
	i := b.rowIndex() + d
	if i < 0 || i >= len(rs) {
		return nil
	}
	b.cur = rs[i]
	if b.cur.kind == bCond {
		b.col = colField
		if d < 0 {
			b.col = colValue
		}
	}
	return b.refocus()
}

func (b *viewBuilder) addCond() {
	f := model.FieldContactName
	if n := len(b.conds); n > 0 {
		f = b.conds[n-1].field // the next condition is likely about the same
	}
	ops := model.OperatorsFor(f)
	op := ops[0]
	if f == model.FieldContactName {
		op = model.OpContains
	}
	r := condRow{field: f, op: op, value: b.input("", valuePlaceholder(f, op), model.MaxConditionValue)}
	if ch := valueChoices(f); ch != nil {
		r.value.SetValue(ch[0])
	}
	b.conds = append(b.conds, r)
	b.cur, b.col = bRow{kind: bCond, i: len(b.conds) - 1}, colField
	b.sizeInputs()
}

func (b *viewBuilder) deleteCond(i int) {
	b.conds = append(b.conds[:i], b.conds[i+1:]...)
	switch {
	case i < len(b.conds):
		b.cur = bRow{kind: bCond, i: i}
	case len(b.conds) > 0:
		b.cur = bRow{kind: bCond, i: len(b.conds) - 1}
	default:
		b.cur = bRow{kind: bAdd}
	}
}

// cycle turns a choice under the cursor by d: the Public toggle, the match
// mode, a condition's field, operator or listed value.
func (b *viewBuilder) cycle(d int) bool {
	step := func(i, n int) int { return ((i+d)%n + n) % n }
	switch b.cur.kind {
	case bPublic:
		b.public = !b.public
	case bMatch:
		i := 0
		for k, m := range matchModes {
			if m == b.match {
				i = k
			}
		}
		b.match = matchModes[step(i, len(matchModes))]
	case bCond:
		r := &b.conds[b.cur.i]
		switch b.col {
		case colField:
			i := 0
			for k, f := range model.FilterFields {
				if f == r.field {
					i = k
				}
			}
			old := valueChoices(r.field)
			r.field = model.FilterFields[step(i, len(model.FilterFields))]
			ops := model.OperatorsFor(r.field)
			if !containsOp(ops, r.op) {
				r.op = ops[0]
			}
			if ch := valueChoices(r.field); ch != nil {
				r.value.SetValue(ch[0])
			} else if old != nil {
				r.value.SetValue("")
			}
			r.value.Placeholder = valuePlaceholder(r.field, r.op)
		case colOp:
			ops := model.OperatorsFor(r.field)
			i := 0
			for k, o := range ops {
				if o == r.op {
					i = k
				}
			}
			r.op = ops[step(i, len(ops))]
			r.value.Placeholder = valuePlaceholder(r.field, r.op)
		case colValue:
			ch := valueChoices(r.field)
			if ch == nil {
				return false
			}
			i := 0
			for k, v := range ch {
				if v == r.value.Value() {
					i = k
				}
			}
			r.value.SetValue(ch[step(i, len(ch))])
		}
	default:
		return false
	}
	return true
}

func containsOp(ops []model.Operator, op model.Operator) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

func (b *viewBuilder) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case viewSaveReplyMsg:
		if msg.from != b || msg.seq != b.seq {
			return nil
		}
		return b.saved(msg)
	case filterTickMsg:
		if msg.from != b {
			return nil
		}
		return b.ticked(msg)
	case tea.KeyPressMsg:
		before := b.state()
		cmd, handled := b.key(msg)
		if !handled {
			cmd = b.typeInto(msg)
		}
		if b.state() != before {
			cmd = tea.Batch(cmd, b.changed())
		}
		b.reveal()
		return cmd
	}
	return nil
}

// key handles the builder's own keys; false passes the key to the text
// field under the cursor.
func (b *viewBuilder) key(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := viewBuilderKeys
	text := b.textFocused()
	switch {
	case key.Matches(msg, k.Cancel):
		return b.cancel(), true
	case key.Matches(msg, k.Save):
		return b.save(), true
	case key.Matches(msg, k.Next):
		return b.moveCell(1), true
	case key.Matches(msg, k.Prev):
		return b.moveCell(-1), true
	case key.Matches(msg, k.Up):
		return b.moveRow(-1), true
	case key.Matches(msg, k.Down):
		return b.moveRow(1), true
	case b.cur.kind == bCond && (msg.String() == "ctrl+d" || (!text && key.Matches(msg, k.Delete))):
		b.deleteCond(b.cur.i)
		return b.refocus(), true
	case !text && key.Matches(msg, k.Add):
		b.addCond()
		return b.refocus(), true
	case msg.String() == "enter":
		switch b.cur.kind {
		case bAdd:
			b.addCond()
			return b.refocus(), true
		case bSave:
			return b.save(), true
		case bPublic, bMatch:
			b.cycle(1)
			return nil, true
		}
		return b.moveCell(1), true
	case !text && (msg.String() == "right" || msg.String() == "space" || msg.String() == "l"):
		b.cycle(1)
		return nil, true
	case !text && (msg.String() == "left" || msg.String() == "h"):
		b.cycle(-1)
		return nil, true
	}
	return nil, !text // keys on a choice go nowhere
}

func (b *viewBuilder) typeInto(msg tea.KeyPressMsg) tea.Cmd {
	var cmd tea.Cmd
	switch b.cur.kind {
	case bName:
		b.name, cmd = b.name.Update(msg)
	case bExpr:
		b.expr, cmd = b.expr.Update(msg)
	case bCond:
		r := &b.conds[b.cur.i]
		r.value, cmd = r.value.Update(msg)
	}
	return cmd
}

// changed re-checks after an edit; the drawer schedules the list to follow.
func (b *viewBuilder) changed() tea.Cmd {
	b.err = nil
	b.check()
	if b.mode != builderDrawer {
		return nil
	}
	k := b.filterKeyIfValid()
	if k == "" || k == b.pending {
		// Invalid: the list keeps its last valid filter. Unchanged: nothing to do.
		if k == "" {
			b.tick++ // a tick already on its way is stale now
			b.pending = ""
		}
		return nil
	}
	b.tick++
	b.pending = k
	tick, from := b.tick, b
	return tea.Tick(b.debounce, func(time.Time) tea.Msg { return filterTickMsg{from: from, seq: tick} })
}

// cancel closes the builder, asking first when it holds changes. The
// drawer closes keeping its filter on the list.
func (b *viewBuilder) cancel() tea.Cmd {
	if b.mode == builderDrawer {
		if b.askName {
			b.askName, b.err = false, nil
			if b.cur.kind == bName || b.cur.kind == bPublic || b.cur.kind == bSave {
				b.cur = bRow{kind: bMatch}
			}
			return b.refocus()
		}
		return tea.Batch(b.applyNow(), func() tea.Msg { return drawerClosedMsg{from: b} })
	}
	if b.Dirty() {
		return open(newConfirm(b.c, "Discard this view?", closeTop))
	}
	return closeTop
}

// save checks everything; with anything wrong nothing is sent and the
// cursor goes to the first problem. Otherwise the app creates or updates
// the view in a command.
func (b *viewBuilder) save() tea.Cmd {
	if b.busy {
		return nil
	}
	if b.mode == builderDrawer && !b.askName {
		b.askName = true
		b.cur = bRow{kind: bName}
		return b.refocus()
	}
	b.tried = true
	b.check()
	name := strings.TrimSpace(b.name.Value())
	switch {
	case name == "":
		b.err = errors.New("name the view: nothing was saved")
		b.cur = bRow{kind: bName}
	case b.exprErr != nil:
		b.err = errors.New("fix the expression: nothing was saved")
		b.cur = bRow{kind: bExpr}
	case b.filtErr != nil:
		b.err = fmt.Errorf("%v: nothing was saved", b.filtErr)
		for i, r := range b.conds {
			if r.err != nil {
				b.cur, b.col = bRow{kind: bCond, i: i}, colValue
				break
			}
		}
	}
	if b.err != nil {
		return b.refocus()
	}
	b.busy, b.err = true, nil
	b.seq++
	v := app.View{ID: b.id, Name: name, Owner: b.owner, Public: b.public, Filter: b.filter()}
	seq, from, ctx, a, agent, edit := b.seq, b, b.c.Ctx, b.c.App, b.c.Agent, b.mode == builderEdit
	return func() tea.Msg {
		var got app.View
		var err error
		if edit {
			got, err = a.UpdateView(ctx, agent, v)
		} else {
			got, err = a.CreateView(ctx, agent, v)
		}
		return viewSaveReplyMsg{from: from, seq: seq, v: got, err: err}
	}
}

func (b *viewBuilder) saved(msg viewSaveReplyMsg) tea.Cmd {
	b.busy = false
	if msg.err != nil {
		b.err = msg.err // shown in the builder; nothing was saved
		return nil
	}
	b.orig = b.state()
	v := msg.v
	if v.Name == "" {
		v.Name = strings.TrimSpace(b.name.Value())
	}
	done := viewSavedMsg{v: v, created: b.mode != builderEdit, fromDrawer: b.mode == builderDrawer}
	text := fmt.Sprintf("view %q saved", v.Name)
	if b.mode == builderDrawer {
		return tea.Batch(status(text), func() tea.Msg { return done })
	}
	return tea.Sequence(closeTop, tea.Batch(status(text), func() tea.Msg { return done }))
}

// ---------------------------------------------------------------------------
// Rendering.

func (b *viewBuilder) innerWidth() int {
	if b.mode == builderDrawer {
		return max(b.width, 20)
	}
	return max(b.width-b.c.Styles.Dialog.GetHorizontalFrameSize(), 20)
}

// columns are the widths of a condition row's field and operator.
func (b *viewBuilder) columns() (fieldW, opW, valueW int) {
	w := b.innerWidth()
	fieldW = max(10, min(18, (w-8)/4))
	opW = 12
	if w < 50 {
		opW = 9
	}
	valueW = max(6, w-2-4-fieldW-1-opW-1)
	return
}

func (b *viewBuilder) title() string {
	switch b.mode {
	case builderEdit:
		return "Edit View"
	case builderDrawer:
		return "Filter tickets"
	}
	return "New View"
}

// body renders the rows; at is the line of each row's start, for scrolling.
func (b *viewBuilder) body() (lines []string, at map[bRow]int) {
	s := b.c.Styles
	w := b.innerWidth()
	at = map[bRow]int{}
	gutter := func(r bRow) string {
		if r == b.cur {
			return "▸ "
		}
		return "  "
	}
	label := func(r bRow, text string) string {
		if r == b.cur {
			return s.Bold.Render(padRight(text, builderLabelW))
		}
		return s.Label.Render(padRight(text, builderLabelW))
	}
	choice := func(r bRow, text string) string {
		if r == b.cur {
			return s.Selected.Render("‹ " + text + " ›")
		}
		return "‹ " + text + " ›"
	}
	errLines := func(indent int, err error) {
		for _, l := range strings.Split(ansi.Wrap(err.Error(), max(w-indent, 10), ""), "\n") {
			lines = append(lines, strings.Repeat(" ", indent)+s.Error.Render(l))
		}
	}
	for _, r := range b.rows() {
		at[r] = len(lines)
		switch r.kind {
		case bName:
			lines = append(lines, truncate(gutter(r)+label(r, "Name")+b.name.View(), w))
		case bPublic:
			text, note := "off", "private: only "+b.owner+" sees it"
			if b.public {
				text, note = "on", "public: every agent sees it"
			}
			lines = append(lines, truncate(gutter(r)+label(r, "Public")+choice(r, text)+" "+s.Dim.Render(note), w))
		case bMatch:
			lines = append(lines, truncate(gutter(r)+label(r, "Match")+choice(r, matchLabel(b.match)), w))
		case bExpr:
			lines = append(lines, truncate(gutter(r)+label(r, "Expression")+b.expr.View(), w))
			if b.exprErr != nil {
				indent := 2 + builderLabelW
				var ee *model.ExprError
				if errors.As(b.exprErr, &ee) && ee.Pos > 0 {
					rs := []rune(b.expr.Value())
					col := ansi.StringWidth(string(rs[:min(ee.Pos-1, len(rs))]))
					lines = append(lines, strings.Repeat(" ", min(indent+col, w-1))+s.Error.Render("^"))
				}
				if ansi.StringWidth(b.exprErr.Error()) > w-indent {
					indent = 2 // the whole message on one line rather than aligned
				}
				errLines(indent, b.exprErr)
			}
		case bCond:
			if r.i == 0 {
				lines = append(lines, s.Header.Render("Conditions"))
			}
			lines = append(lines, b.condLine(r)...)
		case bAdd:
			if len(b.conds) == 0 {
				lines = append(lines, s.Header.Render("Conditions"))
			}
			text := "+ Add a Condition"
			if r == b.cur {
				text = s.Selected.Render(text)
			}
			lines = append(lines, gutter(r)+text)
		case bSave:
			text := "[ Save ]"
			if r == b.cur {
				text = s.Selected.Render(text)
			}
			lines = append(lines, "", gutter(r)+text)
		}
	}
	return lines, at
}

// condLine renders condition row r: "1  Contact Name  contains  ann", with
// the column under the cursor marked, then its problem if it has one.
func (b *viewBuilder) condLine(r bRow) []string {
	s := b.c.Styles
	c := b.conds[r.i]
	fieldW, opW, _ := b.columns()
	on := r == b.cur
	cell := func(col int, text string, width int) string {
		text = padRight(text, width)
		if on && b.col == col {
			return s.Selected.Render(text)
		}
		return text
	}
	value := c.value.View()
	if valueChoices(c.field) != nil {
		value = "‹ " + c.value.Value() + " ›"
		if on && b.col == colValue {
			value = s.Selected.Render(value)
		}
	}
	g := "  "
	if on {
		g = "▸ "
	}
	num := fmt.Sprintf("%-3s ", strconv.Itoa(r.i+1))
	out := []string{truncate(g+s.Bold.Render(num)+cell(colField, c.field.Label(), fieldW)+" "+cell(colOp, string(c.op), opW)+" "+value, b.innerWidth())}
	if c.err != nil && (b.tried || strings.TrimSpace(c.value.Value()) != "") {
		indent := 6
		for _, l := range strings.Split(ansi.Wrap(c.err.Error(), max(b.innerWidth()-indent, 10), ""), "\n") {
			out = append(out, strings.Repeat(" ", indent)+s.Error.Render(l))
		}
	}
	return out
}

// space is the lines left for the rows: the title and a blank above, a
// blank, the status and the hint below.
func (b *viewBuilder) space() int {
	frame := 0
	if b.mode != builderDrawer {
		frame = b.c.Styles.Dialog.GetVerticalFrameSize()
	}
	return max(b.height-frame-5, 3)
}

// reveal scrolls so the cursor's row, and the lines that belong to it
// (its error, its caret), show.
func (b *viewBuilder) reveal() {
	if b.height <= 0 {
		return
	}
	lines, at := b.body()
	room := b.space()
	start, end := at[b.cur], len(lines)
	for _, r := range b.rows() {
		if a := at[r]; a > start && a < end {
			end = a
		}
	}
	if start < b.offset {
		b.offset = start
	}
	if end > b.offset+room {
		b.offset = min(start, end-room)
	}
	b.offset = max(0, min(b.offset, len(lines)-room))
}

func (b *viewBuilder) View() string {
	s := b.c.Styles
	w := b.innerWidth()
	lines, _ := b.body()
	room := b.space()
	first := max(0, min(b.offset, len(lines)-room))
	shown := lines[first:min(len(lines), first+room)]
	title := s.Bold.Render(b.title())
	if b.mode == builderEdit {
		title += s.Dim.Render(" (owner " + b.owner + ")")
	}
	if first > 0 || first+room < len(lines) {
		title += s.Dim.Render(fmt.Sprintf("  lines %d–%d of %d", first+1, first+len(shown), len(lines)))
	}
	foot := ""
	switch {
	case b.busy:
		foot = s.Dim.Render("saving…")
	case b.err != nil:
		foot = s.Error.Render(b.err.Error())
	case b.mode == builderDrawer && b.askName:
		foot = s.Dim.Render("name it, then ctrl+s saves it as a view (esc: back to filtering)")
	case b.mode == builderDrawer && b.filtErr != nil:
		foot = s.Warn.Render("the list keeps the last valid filter")
	case b.mode == builderDrawer:
		foot = s.Dim.Render("the list follows as you type")
	}
	hint := "ctrl+s save · tab next · ←/→ change · ctrl+d delete · esc cancel"
	if b.mode == builderDrawer {
		hint = "ctrl+s save as view · tab next · ←/→ change · esc close"
	}
	out := []string{truncate(title, w), ""}
	out = append(out, shown...)
	out = append(out, "")
	out = append(out, strings.Split(ansi.Wrap(foot, w, ""), "\n")...)
	out = append(out, truncate(s.KeyHint.Render(hint), w))
	if b.mode == builderDrawer {
		return strings.Join(out, "\n")
	}
	return s.Dialog.Width(b.width).Render(strings.Join(out, "\n"))
}

func (b *viewBuilder) SetSize(w, h int) {
	b.width, b.height = w, h
	b.sizeInputs()
	b.reveal()
}

// sizeInputs fits the text fields to the builder's width.
func (b *viewBuilder) sizeInputs() {
	if b.width <= 0 {
		return
	}
	inner := b.innerWidth()
	b.name.SetWidth(max(inner-2-builderLabelW-1, 5))
	b.expr.SetWidth(max(inner-2-builderLabelW-1, 5))
	_, _, vw := b.columns()
	for i := range b.conds {
		b.conds[i].value.SetWidth(max(vw-1, 4))
	}
}

func (b *viewBuilder) ShortHelp() []key.Binding {
	k := viewBuilderKeys
	return []key.Binding{k.Save, k.Next, k.Change, k.Delete, k.Cancel}
}

func (b *viewBuilder) FullHelp() [][]key.Binding {
	k := viewBuilderKeys
	return [][]key.Binding{{k.Next, k.Prev, k.Up, k.Down, k.Change}, {k.Add, k.Delete, k.Save, k.Cancel}}
}
