package ui

import (
	"fmt"
	"maps"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
)

var mergeFormKeys = struct {
	Up, Down, Left, Right, Toggle, Merge, Cancel key.Binding
}{
	Up:     key.NewBinding(key.WithKeys("up", "k", "shift+tab"), key.WithHelp("↑", "previous row")),
	Down:   key.NewBinding(key.WithKeys("down", "j", "tab"), key.WithHelp("↓", "next row")),
	Left:   key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←", "left contact's value")),
	Right:  key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→", "right contact's value")),
	Toggle: key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "the other value")),
	Merge:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "merge")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

// mergePlanLoadedMsg is what a merge would do: the fields to choose.
type mergePlanLoadedMsg struct {
	from *mergeForm
	seq  int
	plan app.MergePlan
	err  error
}

// mergeReplyMsg answers enter: the merge id, or why nothing was merged.
type mergeReplyMsg struct {
	from    *mergeForm
	mergeID int64
	err     error
}

// mergeForm is the merge dialog over the comparison: which contact stays
// (the other is merged into it), then, for every field on which the two
// disagree, whose value the kept contact ends up with. The two contacts
// keep the comparison's columns: left and right.
type mergeForm struct {
	c     *Context
	owner *compareScreen
	left  app.ContactDetails
	right app.ContactDetails
	keep  int64

	seq         int
	plan        app.MergePlan
	planLoaded  bool
	planErr     error
	choose      map[string]int64 // field → the contact whose value wins
	row         int              // 0: the kept contact; i: plan.Conflicts[i-1]
	busy        bool
	err         error
	width       int
	planLoading bool
}

func newMergeForm(c *Context, owner *compareScreen, left, right app.ContactDetails) *mergeForm {
	f := &mergeForm{c: c, owner: owner, left: left, right: right, choose: map[string]int64{}}
	f.keep = defaultKeep(left, right)
	return f
}

// defaultKeep is the contact that stays unless the agent says otherwise:
// the one with a real name when the other's is generated, else the older
// (lower id).
func defaultKeep(a, b app.ContactDetails) int64 {
	switch {
	case a.NameGenerated && !b.NameGenerated:
		return b.ID
	case b.NameGenerated && !a.NameGenerated:
		return a.ID
	}
	return min(a.ID, b.ID)
}

func (f *mergeForm) isDialog() {}

func (f *mergeForm) Init() tea.Cmd { return f.loadPlan() }

func (f *mergeForm) other() int64 {
	if f.keep == f.left.ID {
		return f.right.ID
	}
	return f.left.ID
}

func (f *mergeForm) name(id int64) string {
	if id == f.left.ID {
		return f.left.Name
	}
	return f.right.Name
}

// loadPlan asks what merging other into keep would do.
func (f *mergeForm) loadPlan() tea.Cmd {
	f.seq++
	f.planLoading = true
	from, seq, keep, other, c := f, f.seq, f.keep, f.other(), f.c
	return func() tea.Msg {
		p, err := c.App.PlanMerge(c.Ctx, keep, other)
		return mergePlanLoadedMsg{from: from, seq: seq, plan: p, err: err}
	}
}

func (f *mergeForm) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case mergePlanLoadedMsg:
		if msg.from != f || msg.seq != f.seq {
			return nil
		}
		f.planLoading = false
		f.planLoaded, f.plan, f.planErr = msg.err == nil, msg.plan, msg.err
		// A choice names a contact, so it holds whichever contact is kept;
		// the fields not chosen yet take the app's default.
		for _, fc := range f.plan.Conflicts {
			if _, ok := f.choose[fc.Field]; !ok {
				f.choose[fc.Field] = fc.Default
			}
		}
		f.row = min(f.row, len(f.plan.Conflicts))
		return nil
	case mergeReplyMsg:
		if msg.from != f {
			return nil
		}
		f.busy = false
		if msg.err != nil {
			f.err = msg.err
			return nil
		}
		keep, other := f.keep, f.other()
		done := mergedMsg{to: f.owner, mergeID: msg.mergeID, keep: keep, other: other,
			keepName: f.name(keep), otherName: f.name(other)}
		return tea.Sequence(closeTop, func() tea.Msg { return done })
	case tea.KeyPressMsg:
		if f.busy {
			return nil // the merge is on its way: its reply closes the form
		}
		return f.key(msg)
	}
	return nil
}

func (f *mergeForm) key(msg tea.KeyPressMsg) tea.Cmd {
	k := mergeFormKeys
	switch {
	case key.Matches(msg, k.Cancel):
		return closeTop
	case key.Matches(msg, k.Up):
		f.row = max(f.row-1, 0)
	case key.Matches(msg, k.Down):
		f.row = min(f.row+1, len(f.plan.Conflicts))
	case key.Matches(msg, k.Left):
		return f.pick(f.left.ID)
	case key.Matches(msg, k.Right):
		return f.pick(f.right.ID)
	case key.Matches(msg, k.Toggle):
		cur := f.keep
		if f.row > 0 && f.row <= len(f.plan.Conflicts) {
			cur = f.choose[f.plan.Conflicts[f.row-1].Field]
		}
		if cur == f.left.ID {
			return f.pick(f.right.ID)
		}
		return f.pick(f.left.ID)
	case key.Matches(msg, k.Merge):
		return f.merge()
	}
	return nil
}

// pick chooses contact id on the current row: as the kept contact on the
// first row (the plan is read again, keeping the choices), or as the owner
// of the field's value.
func (f *mergeForm) pick(id int64) tea.Cmd {
	if f.row == 0 {
		if id == f.keep {
			return nil
		}
		f.keep, f.err = id, nil
		return f.loadPlan()
	}
	if f.row <= len(f.plan.Conflicts) {
		f.choose[f.plan.Conflicts[f.row-1].Field] = id
	}
	return nil
}

// merge runs the merge with the choices shown; the form stays open, with
// the error, if the app refuses.
func (f *mergeForm) merge() tea.Cmd {
	if !f.planLoaded || f.planLoading {
		return nil
	}
	f.busy, f.err = true, nil
	choose := make(map[string]int64, len(f.plan.Conflicts))
	for _, fc := range f.plan.Conflicts {
		choose[fc.Field] = f.choose[fc.Field]
	}
	maps.DeleteFunc(choose, func(_ string, v int64) bool { return v == 0 })
	from, keep, other, c := f, f.keep, f.other(), f.c
	return func() tea.Msg {
		id, err := c.App.Merge(c.Ctx, c.Agent, keep, other, choose)
		return mergeReplyMsg{from: from, mergeID: id, err: err}
	}
}

// conflictLabel names a field of the plan as the forms do.
func conflictLabel(field string) string {
	if p, ok := strings.CutPrefix(field, "property:"); ok {
		return p
	}
	if field == "lead_stage" {
		return "Lead stage"
	}
	return fieldLabel(field)
}

func (f *mergeForm) View() string {
	s := f.c.Styles
	w := max(f.width-4, 30) // inside the dialog's border and padding
	const labelW = 14
	colW := max((w-2-labelW-2)/2, 8)
	cell := func(on bool, text string) string {
		if on {
			return s.Chosen.Render(padRight("● "+text, colW))
		}
		return s.Dim.Render(padRight("○ "+text, colW))
	}
	line := func(row int, label, a, b string) string {
		gutter := "  "
		if row == f.row {
			gutter = "▸ "
		}
		lab := s.Label.Render(padRight(label, labelW))
		if row == f.row {
			lab = s.Bold.Render(padRight(label, labelW))
		}
		return gutter + lab + a + "  " + b
	}
	head := func(d app.ContactDetails) string {
		n := fmt.Sprintf("#%d %s", d.ID, d.Name)
		if d.NameGenerated {
			n += " (gen)"
		}
		return padRight(n, colW)
	}
	var b strings.Builder
	b.WriteString(s.Title.Render(truncate(fmt.Sprintf("Merge contacts #%d and #%d", f.left.ID, f.right.ID), w)) + "\n\n")
	b.WriteString(s.Header.Render("  "+padRight("", labelW)+head(f.left)+"  "+head(f.right)) + "\n")
	b.WriteString(line(0, "Kept contact", cell(f.keep == f.left.ID, f.keepWord(f.left.ID)),
		cell(f.keep == f.right.ID, f.keepWord(f.right.ID))) + "\n")
	switch {
	case f.planErr != nil:
		b.WriteString("\n" + s.Error.Render(formWrap("Cannot plan the merge: "+f.planErr.Error(), w)) + "\n")
	case !f.planLoaded:
		b.WriteString("\n" + s.Dim.Render("Reading the fields…") + "\n")
	case len(f.plan.Conflicts) == 0:
		b.WriteString("\n" + s.Dim.Render(truncate("No field has two different values: nothing to choose.", w)) + "\n")
	default:
		b.WriteString(s.Dim.Render(truncate("  Values that differ — ←/→ picks the one to keep", w)) + "\n")
		for i, fc := range f.plan.Conflicts {
			v := map[int64]string{f.keep: fc.KeepValue, f.other(): fc.OtherValue}
			if f.plan.Keep != 0 { // the plan read: until a new one comes, it says whose value is whose
				v = map[int64]string{f.plan.Keep: fc.KeepValue, f.plan.Other: fc.OtherValue}
			}
			ch := f.choose[fc.Field]
			b.WriteString(line(i+1, conflictLabel(fc.Field), cell(ch == f.left.ID, v[f.left.ID]),
				cell(ch == f.right.ID, v[f.right.ID])) + "\n")
		}
	}
	keep, other := f.keep, f.other()
	b.WriteString("\n" + s.Dim.Render(formWrap(fmt.Sprintf("#%d's identities, tags, notes, properties and tickets move to #%d, "+
		"and #%d is merged away. u on the comparison undoes it.", other, keep, other), w)) + "\n")
	if f.err != nil {
		b.WriteString("\n" + s.Error.Render(formWrap("Merge refused, nothing was saved: "+f.err.Error(), w)) + "\n")
	}
	hint := "enter merge · ←/→ choose · ↑/↓ row · esc cancel"
	if f.busy {
		hint = "merging…"
	}
	b.WriteString("\n" + s.KeyHint.Render(truncate(hint, w)))
	return s.Dialog.Width(w + 4).Render(b.String())
}

// keepWord says what happens to a contact on the "Kept contact" row.
func (f *mergeForm) keepWord(id int64) string {
	if id == f.keep {
		return "stays"
	}
	return "merged away"
}

// formWrap wraps plain text to width.
func formWrap(text string, width int) string { return strings.Join(wrapLines(text, width, 6), "\n") }

func (f *mergeForm) SetSize(w, _ int) { f.width = w }

func (f *mergeForm) ShortHelp() []key.Binding {
	k := mergeFormKeys
	return []key.Binding{k.Merge, k.Left, k.Right, k.Down, k.Cancel}
}

func (f *mergeForm) FullHelp() [][]key.Binding {
	k := mergeFormKeys
	return [][]key.Binding{{k.Up, k.Down, k.Left, k.Right, k.Toggle}, {k.Merge, k.Cancel}}
}
