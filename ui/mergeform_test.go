package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"cxinbox/app"
	"cxinbox/model"
)

// mergeContacts are two contacts as a comparison hands them to the form.
func mergeContacts() (app.ContactDetails, app.ContactDetails) {
	var a, b app.ContactDetails
	a.Contact = model.Contact{ID: 3, Name: "Bob Stone", Phone: "+12025550143", LeadStage: model.StageLead}
	b.Contact = model.Contact{ID: 4, Name: "Robert Stone", Phone: "+12025550143", Country: "US", Timezone: "America/New_York",
		LeadStage: model.StageLead}
	return a, b
}

// mergePlan is the app's answer for keeping keep, given by hand so the
// form's tests do not depend on the merge being built.
func mergePlan(keep, other int64) app.MergePlan {
	v := map[int64][2]string{3: {"Bob Stone", "bob@stone.example"}, 4: {"Robert Stone", "robert@stone.example"}}
	return app.MergePlan{Keep: keep, Other: other, Conflicts: []app.FieldChoice{
		{Field: "name", KeepValue: v[keep][0], OtherValue: v[other][0], Default: 4},
		{Field: "email", KeepValue: v[keep][1], OtherValue: v[other][1], Default: keep},
		{Field: "property:plan", KeepValue: map[int64]string{3: "gold", 4: "silver"}[keep],
			OtherValue: map[int64]string{3: "gold", 4: "silver"}[other], Default: 3},
	}}
}

// openMergeForm builds the form at the dialog size Root gives an 80×24
// terminal and answers its plan request by hand.
func openMergeForm(t *testing.T) *mergeForm {
	t.Helper()
	_, c := contactEnv(t)
	a, b := mergeContacts()
	f := newMergeForm(c, nil, a, b)
	f.SetSize(76, 22)
	f.Init() // the real request is dropped: its seq is answered below
	f.Update(mergePlanLoadedMsg{from: f, seq: f.seq, plan: mergePlan(f.keep, f.other())})
	return f
}

func TestMergeFormGolden(t *testing.T) {
	cases := []struct {
		name string
		keys []string
	}{
		{"defaults_preselected", nil},
		{"email_of_the_right_contact_chosen", []string{"down", "down", "right"}},
		{"keeping_the_right_contact", []string{"right"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := openMergeForm(t)
			for _, k := range tc.keys {
				f.Update(cpKey(k))
				if f.planLoading { // keep changed: the plan is asked again
					f.Update(mergePlanLoadedMsg{from: f, seq: f.seq, plan: mergePlan(f.keep, f.other())})
				}
			}
			requireFits(t, f.View(), 76, 22)
			golden.RequireEqual(t, []byte(plainView(f)))
		})
	}
}

func TestMergeFormChoicesFollowTheContactNotTheSide(t *testing.T) {
	f := openMergeForm(t)
	if f.keep != 3 || f.choose["name"] != 4 || f.choose["email"] != 3 || f.choose["property:plan"] != 3 {
		t.Fatalf("defaults: keep #%d, %v", f.keep, f.choose)
	}
	f.Update(cpKey("down"))
	f.Update(cpKey("space")) // name: Robert → Bob
	f.Update(cpKey("up"))
	f.Update(cpKey("space")) // keep #4 instead
	if f.keep != 4 || !f.planLoading {
		t.Fatalf("keep #%d, plan asked again %v", f.keep, f.planLoading)
	}
	f.Update(mergePlanLoadedMsg{from: f, seq: f.seq - 1, plan: mergePlan(3, 4)}) // stale
	f.Update(mergePlanLoadedMsg{from: f, seq: f.seq, plan: mergePlan(4, 3)})
	if f.plan.Keep != 4 || f.choose["name"] != 3 || f.choose["email"] != 3 {
		t.Fatalf("after keeping #4: plan keeps #%d, %v", f.plan.Keep, f.choose)
	}
	// Enter asks the app to merge #3 into #4 with every choice spelled out.
	if cmd := f.Update(cpKey("enter")); cmd == nil || !f.busy {
		t.Fatal("enter did not merge")
	}
	if cmd := f.Update(cpKey("esc")); cmd != nil {
		t.Fatal("esc closed the form while the merge was on its way")
	}
}

func TestMergeFormRefusalShowsInlineAndStaysOpen(t *testing.T) {
	f := openMergeForm(t)
	f.Update(cpKey("enter"))
	cmd := f.Update(mergeReplyMsg{from: f, err: errors.New("contact 4 changed")})
	if cmd != nil || f.busy {
		t.Fatal("a refused merge closed the form")
	}
	v := plainView(f)
	contactRequire(t, v, "Merge refused, nothing was saved: contact 4 changed")
	requireFits(t, f.View(), 76, 22)
	if cmd := f.Update(cpKey("esc")); cmd == nil {
		t.Fatal("esc does not close the form")
	}
}

func TestMergeFormPlanErrorShowsAndEnterDoesNothing(t *testing.T) {
	_, c := contactEnv(t)
	a, b := mergeContacts()
	f := newMergeForm(c, nil, a, b)
	f.SetSize(76, 22)
	f.Init()
	f.Update(mergePlanLoadedMsg{from: f, seq: f.seq, err: errors.New("contact 4 was merged away")})
	contactRequire(t, plainView(f), "Cannot plan the merge: contact 4 was merged away")
	if cmd := f.Update(cpKey("enter")); cmd != nil || f.busy {
		t.Fatal("enter merged without a plan")
	}
}

func TestMergeFormDefaultKeep(t *testing.T) {
	a, b := mergeContacts()
	if got := defaultKeep(b, a); got != 3 {
		t.Fatalf("older contact: #%d", got)
	}
	a.NameGenerated = true
	if got := defaultKeep(a, b); got != 4 {
		t.Fatalf("the contact with a real name: #%d", got)
	}
}

// TestMergeFormMergesThroughTheApp runs a real merge with a chosen value;
// it skips until the app's merge is built.
func TestMergeFormMergesThroughTheApp(t *testing.T) {
	a, c, ids := dupFixture(t)
	ctx := context.Background()
	cs := newCompareForContact(c, ids.bob, "Bob Stone")
	st := onStack(t, cs, 120, 40)
	st.press("m")
	f, ok := st.top().(*mergeForm)
	if !ok || f.keep != ids.bob {
		t.Fatalf("m opened %T", st.top())
	}
	row := -1
	for i, fc := range f.plan.Conflicts {
		if fc.Field == "name" {
			row = i + 1
		}
	}
	if row < 0 {
		t.Fatalf("no name conflict in %+v", f.plan)
	}
	for range row {
		st.press("down")
	}
	st.press("right", "enter") // Robert's name wins
	if st.top() != cs {
		t.Fatalf("form still open: %s", plainView(st.top()))
	}
	d, err := a.ContactDetails(ctx, ids.bob)
	if err != nil || d.Name != "Robert Stone" || !strings.Contains(plainView(cs), "u to undo") {
		t.Fatalf("after merge: %q %v\n%s", d.Name, err, plainView(cs))
	}
	if ps, _ := a.DuplicatesOf(ctx, ids.bob); len(ps) != 0 {
		t.Fatalf("pairs left: %v", ps)
	}
}
