package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cxinbox/model"
)

func cond(t testing.TB, s string) model.Condition {
	t.Helper()
	c, err := model.ParseCondition(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustView(t *testing.T, a *App, agent string, v View) View {
	t.Helper()
	out, err := a.CreateView(context.Background(), agent, v)
	if err != nil {
		t.Fatalf("CreateView(%s, %q): %v", agent, v.Name, err)
	}
	return out
}

func viewNames(t *testing.T, a *App, agent string) []string {
	t.Helper()
	vs, err := a.Views(context.Background(), agent)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, v := range vs {
		if v.Position != i+1 {
			t.Errorf("Views(%s)[%d] %q has position %d", agent, i, v.Name, v.Position)
		}
		out = append(out, v.Name)
	}
	return out
}

// wantNoSuchView checks err is exactly what a missing view gives.
func wantNoSuchView(t *testing.T, what string, err error, ref string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want no such view", what)
	}
	if !errors.Is(err, ErrNoSuchView) || !IsNotFound(err) || err.Error() != "no such view: "+ref {
		t.Fatalf("%s: %v, want exactly %q", what, err, "no such view: "+ref)
	}
}

func TestViewVisibility(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	ingest(t, a, in(model.Email, "ann.lee@example.com", "Ann Lee", "hi"), in(model.SMS, "+4915112345678", "Bob Roe", "yo"))
	if _, err := a.AddAgent(ctx, "carol", true); err != nil {
		t.Fatal(err)
	}
	filter := model.Filter{Conditions: []model.Condition{cond(t, "contact_name contains ann")}}
	private := mustView(t, a, "ann", View{Name: "Mine", Filter: filter})
	team := mustView(t, a, "ann", View{Name: "Team", Public: true, Filter: filter})
	gone := mustView(t, a, "ann", View{Name: "Gone", Filter: filter})
	if err := a.DeleteView(ctx, "ann", gone.ID); err != nil {
		t.Fatal(err)
	}
	if private.Owner != "ann" || private.Public || private.Position != 1 || team.Position != 2 || private.Filter.Match != model.MatchAll {
		t.Fatalf("created views: %+v %+v", private, team)
	}
	if got := viewNames(t, a, "ann"); !slices.Equal(got, []string{"Mine", "Team"}) {
		t.Fatalf("ann sees %v", got)
	}
	pid := strconv.FormatInt(private.ID, 10)
	missing := strconv.FormatInt(gone.ID, 10)

	// Another agent, and an admin too, cannot tell a private view from a
	// missing one, whatever they try.
	for _, other := range []string{"bob", "carol", ""} {
		if got := viewNames(t, a, other); !slices.Equal(got, []string{"Team"}) {
			t.Fatalf("%q sees %v, want only the public view", other, got)
		}
		for _, ref := range []string{pid, "Mine", "mine", missing, "Gone"} {
			_, err := a.ViewByRef(ctx, other, ref)
			wantNoSuchView(t, other+" opens "+ref, err, ref)
		}
		for _, id := range []int64{private.ID, gone.ID} {
			ref := strconv.FormatInt(id, 10)
			_, err := a.UpdateView(ctx, other, View{ID: id, Name: "Stolen", Filter: filter})
			wantNoSuchView(t, other+" updates "+ref, err, ref)
			wantNoSuchView(t, other+" deletes "+ref, a.DeleteView(ctx, other, id), ref)
			wantNoSuchView(t, other+" moves "+ref, a.MoveView(ctx, other, id, -1), ref)
		}
	}
	if v, err := a.ViewByRef(ctx, "ann", "mine"); err != nil || v.ID != private.ID {
		t.Fatalf("owner opens her private view by name: %+v %v", v, err)
	}
	if v, err := a.ViewByRef(ctx, "ann", pid); err != nil || v.ID != private.ID {
		t.Fatalf("owner opens her private view by id: %+v %v", v, err)
	}

	// The public view: everyone sees it, only ann or an admin changes it.
	if v, err := a.ViewByRef(ctx, "bob", "team"); err != nil || v.ID != team.ID || v.Owner != "ann" {
		t.Fatalf("bob opens the public view: %+v %v", v, err)
	}
	refusal := fmt.Sprintf("view %d belongs to ann: only ann or an admin can change it", team.ID)
	_, err := a.UpdateView(ctx, "bob", View{ID: team.ID, Name: "Bob's now", Public: true, Filter: filter})
	if err == nil || err.Error() != refusal || !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("bob updates ann's public view: %v, want %q", err, refusal)
	}
	if err := a.DeleteView(ctx, "bob", team.ID); err == nil || err.Error() != refusal {
		t.Fatalf("bob deletes ann's public view: %v, want %q", err, refusal)
	}
	upd, err := a.UpdateView(ctx, "carol", View{ID: team.ID, Name: "Team (edited)", Public: true,
		Filter: model.Filter{Conditions: filter.Conditions, Match: model.MatchAny}})
	if err != nil || upd.Owner != "ann" || upd.Name != "Team (edited)" || upd.Filter.Match != model.MatchAny {
		t.Fatalf("admin edits ann's public view: %+v %v", upd, err)
	}
	// The admin may make it private; from then on it is ann's alone.
	if _, err := a.UpdateView(ctx, "carol", View{ID: team.ID, Name: "Team (edited)", Filter: filter}); err != nil {
		t.Fatal(err)
	}
	_, err = a.ViewByRef(ctx, "carol", "Team (edited)")
	wantNoSuchView(t, "admin opens a view made private", err, "Team (edited)")
	if got := viewNames(t, a, "ann"); !slices.Equal(got, []string{"Mine", "Team (edited)"}) {
		t.Fatalf("ann sees %v", got)
	}

	// Names are unique per owner, case-insensitively; other owners may reuse them.
	if _, err := a.CreateView(ctx, "ann", View{Name: " MINE ", Filter: filter}); err == nil || !strings.Contains(err.Error(), "already has a view named") {
		t.Fatalf("second view named mine: %v", err)
	}
	bobs := mustView(t, a, "bob", View{Name: "Mine", Filter: filter})
	if v, err := a.ViewByRef(ctx, "bob", "Mine"); err != nil || v.ID != bobs.ID {
		t.Fatalf("bob's own Mine: %+v %v", v, err)
	}
	if _, err := a.UpdateView(ctx, "ann", View{ID: team.ID, Name: "mine", Filter: filter}); err == nil || !strings.Contains(err.Error(), "already has a view named") {
		t.Fatalf("rename onto a taken name: %v", err)
	}
	// Two public views of one name from others: the name is ambiguous.
	mustView(t, a, "ann", View{Name: "Shared", Public: true, Filter: filter})
	mustView(t, a, "dave", View{Name: "shared", Public: true, Filter: filter})
	if _, err := a.ViewByRef(ctx, "bob", "SHARED"); err == nil || !strings.Contains(err.Error(), "give the id") {
		t.Fatalf("ambiguous name: %v", err)
	}

	// Creating a view registered its owner, not as an admin.
	ags, _ := a.Agents(ctx)
	var names []string
	for _, ag := range ags {
		names = append(names, fmt.Sprintf("%s:%v", ag.Name, ag.Admin))
	}
	if !slices.Equal(names, []string{"ann:false", "bob:false", "carol:true", "dave:false"}) {
		t.Fatalf("agents %v", names)
	}
}

func TestViewBadInputSavesNothing(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	conds := []model.Condition{cond(t, "contact_name contains ann"), cond(t, "channel is email")}
	for _, c := range []struct {
		f    model.Filter
		want string
	}{
		{model.Filter{Conditions: conds, Match: model.MatchExpr, Expr: "1 and (2"}, "Invalid logical expression"},
		{model.Filter{Conditions: conds, Match: model.MatchExpr, Expr: "1 and 3"}, "Invalid logical expression: condition 3 does not exist"},
		{model.Filter{Conditions: conds, Match: model.MatchExpr, Expr: "1 AND（2）"}, "Invalid logical expression"},
		{model.Filter{Match: model.MatchExpr, Expr: "1"}, "Invalid logical expression"},
		{model.Filter{Conditions: conds, Match: model.MatchExpr}, "Invalid logical expression"},
		{model.Filter{Conditions: []model.Condition{{Field: "shoe_size", Op: model.OpIs, Value: "9"}}}, "shoe_size"},
		{model.Filter{Conditions: conds, Match: "most"}, "most"},
	} {
		_, err := a.CreateView(ctx, "ann", View{Name: "Bad", Filter: c.f})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) && !strings.Contains(err.Error(), c.want) {
			t.Fatalf("CreateView(%+v) = %v, want %q", c.f, err, c.want)
		}
		if strings.HasPrefix(c.want, "Invalid") {
			var pe *model.ExprError
			if !errors.As(err, &pe) {
				t.Fatalf("%v is not the parser's error", err)
			}
		}
	}
	for _, name := range []string{"", "  ", "a\tb", strings.Repeat("x", MaxViewName+1)} {
		if _, err := a.CreateView(ctx, "ann", View{Name: name}); err == nil {
			t.Fatalf("view name %q accepted", name)
		}
	}
	if vs, _ := a.Views(ctx, "ann"); len(vs) != 0 {
		t.Fatalf("refused views were saved: %+v", vs)
	}
	if ags, _ := a.Agents(ctx); len(ags) != 0 {
		t.Fatalf("a refused view registered its agent: %+v", ags)
	}

	good := mustView(t, a, "ann", View{Name: "Good", Filter: model.Filter{Conditions: conds, Match: model.MatchExpr, Expr: "1 or 2"}})
	bad := good
	bad.Name, bad.Filter.Expr = "Renamed", "(1 or 2"
	if _, err := a.UpdateView(ctx, "ann", bad); err == nil || !strings.HasPrefix(err.Error(), "Invalid logical expression") {
		t.Fatalf("UpdateView with a bad expression: %v", err)
	}
	if v, _ := a.ViewByRef(ctx, "ann", strconv.FormatInt(good.ID, 10)); v.Name != "Good" || v.Filter.Expr != "1 or 2" || v.UpdatedAt != good.UpdatedAt {
		t.Fatalf("a refused update changed the view: %+v", v)
	}
	// Values are saved normalised; an expression only with match expr.
	v := mustView(t, a, "ann", View{Name: "Norm", Filter: model.Filter{Match: model.MatchAny, Expr: "junk",
		Conditions: []model.Condition{{Field: model.FieldChannel, Op: model.OpIs, Value: " EMAIL "}}}})
	if v.Filter.Expr != "" || v.Filter.Conditions[0].Value != "email" {
		t.Fatalf("saved filter %+v", v.Filter)
	}
}

func TestViewOrderIsPerAgent(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	for _, n := range []string{"A", "B", "C"} {
		mustView(t, a, "ann", View{Name: n, Public: true})
	}
	vs, _ := a.Views(ctx, "bob")
	if err := a.MoveView(ctx, "bob", vs[2].ID, -2); err != nil {
		t.Fatal(err)
	}
	if got := viewNames(t, a, "bob"); !slices.Equal(got, []string{"C", "A", "B"}) {
		t.Fatalf("bob after moving C up twice: %v", got)
	}
	if got := viewNames(t, a, "ann"); !slices.Equal(got, []string{"A", "B", "C"}) {
		t.Fatalf("bob's move changed ann's order: %v", got)
	}
	if err := a.MoveView(ctx, "bob", vs[0].ID, 10); err != nil { // past the end: last
		t.Fatal(err)
	}
	mustView(t, a, "bob", View{Name: "D"})
	if got := viewNames(t, a, "bob"); !slices.Equal(got, []string{"C", "B", "A", "D"}) {
		t.Fatalf("bob's list: %v", got)
	}
	if err := a.DeleteView(ctx, "ann", vs[1].ID); err != nil {
		t.Fatal(err)
	}
	if got := viewNames(t, a, "bob"); !slices.Equal(got, []string{"C", "A", "D"}) {
		t.Fatalf("bob's list after ann deleted B: %v", got)
	}
}

// TestViewSelectsTickets: a view's filter drives the list, the count and
// "select all that match", which agree with each other and with the Go
// evaluation of the filter.
func TestViewSelectsTickets(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	var msgs []model.Inbound
	for i, name := range []string{"Ann Lee", "Hanna Berg", "ÖDÖN Kiss", "Bob Roe", "Joanna Ng", "Zed 100%_off"} {
		msgs = append(msgs, in(model.Email, fmt.Sprintf("c%d@example.com", i), name, "hello"),
			in(model.SMS, fmt.Sprintf("+49151123456%02d", i), name, "hi"))
	}
	ingest(t, a, msgs...)
	all, _ := a.ListTickets(ctx, TicketQuery{Limit: 100})
	if len(all) != 12 {
		t.Fatalf("%d tickets", len(all))
	}
	v := mustView(t, a, "ann", View{Name: "Annas on email", Filter: model.Filter{Match: model.MatchExpr, Expr: "(1 or 2) and 3",
		Conditions: []model.Condition{cond(t, "contact_name contains ann"), cond(t, "contact_name contains ödön"), cond(t, "channel is email")}}})
	got, _ := a.ViewByRef(ctx, "ann", "annas on email")
	q := TicketQuery{Filter: &got.Filter, Limit: 2}
	var listed []int64
	for {
		page, err := a.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range page {
			listed = append(listed, tk.ID)
		}
		if len(page) < q.Limit {
			break
		}
		cur := CursorOf(page[len(page)-1])
		q.After = &cur
	}
	var want []int64
	for _, tk := range all {
		if tk.Channel == model.Email && (strings.Contains(model.Fold(tk.ContactName), "ann") || strings.Contains(model.Fold(tk.ContactName), "ödön")) {
			want = append(want, tk.ID)
		}
	}
	if len(want) != 4 || !slices.Equal(listed, want) {
		t.Fatalf("view %d lists %v, want %v", v.ID, listed, want)
	}
	q.After = nil
	if n, err := a.CountTickets(ctx, q); err != nil || n != int64(len(want)) {
		t.Fatalf("CountTickets = %d, %v; want %d", n, err, len(want))
	}
	if ids, err := a.TicketIDs(ctx, q, 0); err != nil || !slices.Equal(ids, want) {
		t.Fatalf("TicketIDs = %v, %v; want %v", ids, err, want)
	}
	if ids, _ := a.TicketIDs(ctx, q, 3); !slices.Equal(ids, want[:3]) {
		t.Fatalf("TicketIDs limit 3 = %v", ids)
	}
	// % and _ are literal characters.
	lit := model.Filter{Conditions: []model.Condition{cond(t, "contact_name contains 0%_o")}}
	if n, _ := a.CountTickets(ctx, TicketQuery{Filter: &lit}); n != 2 {
		t.Fatalf("contains 0%%_o counts %d, want 2", n)
	}
	// Counts follow the other query fields and the trash, like the list.
	for _, q := range []TicketQuery{{}, {Channel: model.SMS}, {Trash: true}, {Search: "ann"}, {Filter: &lit, Channel: model.SMS}} {
		q.Limit = 100
		page, _ := a.ListTickets(ctx, q)
		n, err := a.CountTickets(ctx, q)
		ids, _ := a.TicketIDs(ctx, q, 0)
		if err != nil || n != int64(len(page)) || len(ids) != len(page) {
			t.Fatalf("%+v: count %d (%v), %d ids, list %d", q, n, err, len(ids), len(page))
		}
	}
	bad := model.Filter{Conditions: got.Filter.Conditions, Match: model.MatchExpr, Expr: "1 or"}
	if _, err := a.CountTickets(ctx, TicketQuery{Filter: &bad}); err == nil || !strings.HasPrefix(err.Error(), "Invalid logical expression") {
		t.Fatalf("count with a bad expression: %v", err)
	}
}

func TestAgents(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	if ag, err := a.AddAgent(ctx, " ann ", false); err != nil || ag.Name != "ann" || ag.Admin {
		t.Fatalf("AddAgent: %+v %v", ag, err)
	}
	if _, err := a.AddAgent(ctx, "ann", false); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second add: %v", err)
	}
	if ag, err := a.AddAgent(ctx, "ann", true); err != nil || !ag.Admin {
		t.Fatalf("add --admin on an existing agent: %+v %v", ag, err)
	}
	if ag, err := a.EnsureAgent(ctx, "bob"); err != nil || ag.Name != "bob" || ag.Admin {
		t.Fatalf("EnsureAgent new: %+v %v", ag, err)
	}
	if ag, err := a.EnsureAgent(ctx, "ann"); err != nil || !ag.Admin {
		t.Fatalf("EnsureAgent existing: %+v %v", ag, err)
	}
	for _, bad := range []string{"", " ", "a\nb", strings.Repeat("é", MaxAgentName+1)} {
		if _, err := a.AddAgent(ctx, bad, false); err == nil {
			t.Fatalf("agent name %q accepted", bad)
		}
	}
	ags, err := a.Agents(ctx)
	if err != nil || len(ags) != 2 || ags[0].Name != "ann" || ags[1].Name != "bob" || ags[0].CreatedAt.IsZero() {
		t.Fatalf("Agents: %+v %v", ags, err)
	}
}
