package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"cxinbox/model"
)

func pairsOf(t *testing.T, a *App, id int64) []DuplicatePair {
	t.Helper()
	ps, err := a.DuplicatesOf(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func hasReason(p DuplicatePair, want string) bool {
	return slices.ContainsFunc(p.Reasons, func(r string) bool { return strings.HasPrefix(r, want) })
}

// The detection paths: arrival (ingest), an agent's edit, an added identity,
// and "not a duplicate" holding against all of them.
func TestDuplicateDetectionPaths(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, a *App)
	}{
		{"arrival: an email customer who later writes on WhatsApp with the same name in the form is found", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, "maria.santos@example.com", "Maria Santos", "hi"))
			r := ingest(t, a, chat("v-1", model.StartedByVisitor, &model.Prechat{Name: "Maria Santos", Email: "maria.santos@example.com"}))
			cs := contacts(t, a)
			if r.PotentialDuplicates != 1 {
				t.Fatalf("potential duplicates = %d", r.PotentialDuplicates)
			}
			ps := pairsOf(t, a, cs[0].ID)
			if len(ps) != 1 || ps[0].Other(cs[0].ID) != cs[1].ID || !hasReason(ps[0], "same email") || !hasReason(ps[0], "same name") {
				t.Fatalf("pairs %+v", ps)
			}
		}},
		{"arrival: strangers with different details make no pair", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, "maria.santos@example.com", "Maria Santos", "hi"),
				in(model.Email, "peter.kowalski@example.org", "Peter Kowalski", "hi"))
			for _, c := range contacts(t, a) {
				if ps := pairsOf(t, a, c.ID); len(ps) != 0 {
					t.Fatalf("unexpected pair %+v", ps)
				}
			}
		}},
		{"edit: an agent typing a known phone into a contact makes the pair; clearing it drops the pair", func(t *testing.T, a *App) {
			ingest(t, a, in(model.SMS, "+4915112345678", "Jonas Weber", "hi"), in(model.Email, "jw@example.de", "Jonas Weber", "hi"))
			cs := contacts(t, a)
			if err := a.SetField(ctx, "ana", cs[1].ID, "phone", "+49 151 12345678"); err != nil {
				t.Fatal(err)
			}
			ps := pairsOf(t, a, cs[1].ID)
			if len(ps) != 1 || !hasReason(ps[0], "same phone") {
				t.Fatalf("after edit: %+v", ps)
			}
			if err := a.SetField(ctx, "ana", cs[1].ID, "phone", ""); err != nil {
				t.Fatal(err)
			}
			if ps := pairsOf(t, a, cs[1].ID); len(ps) != 0 {
				t.Fatalf("after clearing the phone the pair stays: %+v", ps)
			}
		}},
		{"identity: adding a WhatsApp number another contact wrote from by SMS makes the pair", func(t *testing.T, a *App) {
			ingest(t, a, in(model.SMS, "+4915112345678", "", "hi"), in(model.Email, "jw@example.de", "Jonas Weber", "hi"))
			cs := contacts(t, a)
			if _, err := a.AddIdentity(ctx, "ana", cs[1].ID, model.WhatsApp, "4915112345678"); err != nil {
				t.Fatal(err)
			}
			if ps := pairsOf(t, a, cs[0].ID); len(ps) != 1 || !hasReason(ps[0], "same phone") {
				t.Fatalf("pairs %+v", ps)
			}
		}},
		{"not a duplicate: the pair never comes back through arrival, edits or a rescan", func(t *testing.T, a *App) {
			ingest(t, a, chat("v-1", model.StartedByVisitor, &model.Prechat{Name: "Ann Lee", Email: "ann@example.com"}))
			ingest(t, a, chat("v-2", model.StartedByVisitor, &model.Prechat{Name: "Ann Lee", Email: "ann@example.com"}))
			cs := contacts(t, a)
			x, y := cs[0].ID, cs[1].ID
			if err := a.NotDuplicate(ctx, "ana", y, x); err != nil {
				t.Fatal(err)
			}
			if ps := pairsOf(t, a, x); len(ps) != 0 {
				t.Fatalf("dismissed pair still open: %+v", ps)
			}
			if err := a.SetField(ctx, "ana", y, "name", "Ann Lee"); err != nil {
				t.Fatal(err)
			}
			if err := a.SetField(ctx, "ana", y, "phone", "+12025550143"); err != nil {
				t.Fatal(err)
			}
			ingest(t, a, chat("v-1", model.StartedByVisitor, nil))
			if _, err := a.RescanDuplicates(ctx); err != nil {
				t.Fatal(err)
			}
			if ps := pairsOf(t, a, x); len(ps) != 0 {
				t.Fatalf("dismissed pair came back: %+v", ps)
			}
			c, err := a.Compare(ctx, x, y)
			if err != nil || !c.Dismissed || c.Score < model.DupThreshold {
				t.Fatalf("compare after dismissal: %+v, %v", c, err)
			}
			d, _ := a.ContactDetails(ctx, x)
			if !slices.ContainsFunc(d.Activity, func(act model.Activity) bool { return act.Kind == model.ActNotDuplicate && act.Agent == "ana" }) {
				t.Fatal("no timeline entry for the dismissal")
			}
		}},
		{"rescan finds the pairs arrival found", func(t *testing.T, a *App) {
			ingest(t, a, chat("v-1", model.StartedByVisitor, &model.Prechat{Name: "Ann Lee", Email: "ann@example.com"}),
				chat("v-2", model.StartedByVisitor, &model.Prechat{Name: "Ann Lee", Phone: "+12025550143"}),
				in(model.SMS, "+12025550143", "", "hi"),
				in(model.Email, "ann@example.com", "Ann Lee", "hi"))
			before, _ := a.Duplicates(ctx, DupPage{Limit: 100})
			r, err := a.RescanDuplicates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			after, _ := a.Duplicates(ctx, DupPage{Limit: 100})
			key := func(ps []DuplicatePair) [][2]int64 {
				var k [][2]int64
				for _, p := range ps {
					k = append(k, [2]int64{p.A, p.B})
				}
				slices.SortFunc(k, func(x, y [2]int64) int { return int(x[0]-y[0])*1000 + int(x[1]-y[1]) })
				return k
			}
			if len(before) == 0 || !slices.Equal(key(before), key(after)) || r.Pairs != len(after) {
				t.Fatalf("arrival found %v, rescan %v (%+v)", key(before), key(after), r)
			}
		}},
		{"bad input is refused and changes nothing", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, "x@example.com", "X", "hi"))
			id := contacts(t, a)[0].ID
			if err := a.NotDuplicate(ctx, "ana", id, id); err == nil {
				t.Fatal("a contact dismissed against itself")
			}
			if err := a.NotDuplicate(ctx, "ana", id, 999); !IsNotFound(err) {
				t.Fatalf("unknown id: %v", err)
			}
			if _, err := a.DuplicatesOf(ctx, 999); !IsNotFound(err) {
				t.Fatalf("unknown id: %v", err)
			}
			if _, err := a.Compare(ctx, id, id); err == nil {
				t.Fatal("compared with itself")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newTestApp(t)) })
	}
}
