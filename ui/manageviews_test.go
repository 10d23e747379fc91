package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"cxinbox/app"
	"cxinbox/model"
)

func cond(f model.Field, op model.Operator, v string) model.Condition {
	return model.Condition{Field: f, Op: op, Value: v}
}

// manageSample is what the golden file shows: three views of two owners.
var manageSample = []app.View{
	{ID: 1, Name: "Ann's open", Owner: "ann", Public: false, Filter: model.Filter{Match: model.MatchAll,
		Conditions: []model.Condition{cond(model.FieldContactName, model.OpContains, "ann"), cond(model.FieldStatus, model.OpIs, "open")}}},
	{ID: 2, Name: "WhatsApp VIPs", Owner: "bob", Public: true, Filter: model.Filter{Match: model.MatchExpr, Expr: "(1 or 2) and 3",
		Conditions: []model.Condition{cond(model.FieldChannel, model.OpIs, "whatsapp"), cond(model.FieldChannel, model.OpIs, "telegram"),
			cond(model.FieldContactTag, model.OpIs, "VIP")}}},
	{ID: 3, Name: "Everything", Owner: "ann", Public: true, Filter: model.Filter{Match: model.MatchAny}},
}

func TestManageViewsGolden(t *testing.T) {
	_, c, _ := cpFixture(t)
	c.Now = func() time.Time { return cpNow }
	m := newManageViews(c)
	m.SetSize(110, 12)
	m.Init() // the load is not run: the views arrive by hand
	m.Update(manageViewsLoadedMsg{seq: m.seq, views: manageSample})
	h := &cpStack{t: t, comps: []component{m}}
	h.press("j")
	out := plainView(m)
	for _, want := range []string{"Manage Views", "3 views", "▸ 2   WhatsApp VIPs", "bob", "public", "private",
		"(1 or 2) and 3: 1 Channel is whatsapp", "all: Contact Name contains ann · Status is open", "+ Add a New View"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in\n%s", want, out)
		}
	}
	golden.RequireEqual(t, []byte(out))
	h.press("enter")
	if b, ok := h.top().(*viewBuilder); !ok || b.mode != builderEdit || b.id != 2 || len(b.conds) != 3 {
		t.Fatalf("enter opened %T", h.top())
	}
}

func TestManageViewsMoveEditDelete(t *testing.T) {
	a, c, _ := cpFixture(t)
	ctx := context.Background()
	var ids []int64
	for _, name := range []string{"One", "Two", "Three"} {
		v, err := a.CreateView(ctx, "ann", app.View{Name: name, Filter: model.Filter{Match: model.MatchAll,
			Conditions: []model.Condition{cond(model.FieldContactName, model.OpContains, strings.ToLower(name))}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	m := newManageViews(c)
	m.SetSize(100, 20)
	h := &cpStack{t: t, comps: []component{m}}
	h.run(m.Init())
	names := func() string {
		vs, err := a.Views(ctx, "ann")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range vs {
			out = append(out, v.Name)
		}
		return strings.Join(out, ",")
	}
	h.press("J") // One moves down
	if got := names(); got != "Two,One,Three" {
		t.Fatalf("after J: %s", got)
	}
	h.run(m.load()) // the reload a viewsChangedMsg brings through the root
	if v, _ := m.selected(); v.Name != "One" || m.cursor != 1 {
		t.Fatalf("cursor on %q (%d)", v.Name, m.cursor)
	}
	h.press("K", "K") // back to the top, and no further
	if got := names(); got != "One,Two,Three" {
		t.Fatalf("after K: %s", got)
	}
	h.press("j", "d")
	if q, ok := h.top().(*confirm); !ok || !strings.Contains(q.question, `Delete the view "Two"?`) {
		t.Fatalf("d opened %T", h.top())
	}
	h.press("y")
	if got := names(); got != "One,Three" || h.lastStatus() != `view "Two" deleted` {
		t.Fatalf("after delete: %s", got)
	}
	h.run(m.load())
	h.press("n")
	if b, ok := h.top().(*viewBuilder); !ok || b.mode != builderNew {
		t.Fatalf("n opened %T", h.top())
	}
	_ = ids
}

// Another agent's public view: the app refuses the edit, the builder shows
// why; deleting it is refused too, in the status line.
func TestManageViewsShowsRefusals(t *testing.T) {
	a, c, _ := cpFixture(t)
	ctx := context.Background()
	if _, err := a.CreateView(ctx, "bob", app.View{Name: "Bob's", Public: true, Filter: model.Filter{Match: model.MatchAll}}); err != nil {
		t.Fatal(err)
	}
	m := newManageViews(c)
	m.SetSize(100, 20)
	h := &cpStack{t: t, comps: []component{m}}
	h.run(m.Init())
	if out := plainView(m); !strings.Contains(out, "Bob's") || !strings.Contains(out, "bob") {
		t.Fatalf("bob's public view not listed:\n%s", out)
	}
	h.press("d", "y")
	if len(h.statuses) == 0 || !h.statuses[len(h.statuses)-1].err {
		t.Fatalf("no refusal: %+v", h.statuses)
	}
	if vs, _ := a.Views(ctx, "bob"); len(vs) != 1 {
		t.Fatal("bob's view deleted by ann")
	}
}
