package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"cxinbox/app"
	"cxinbox/model"
)

// e2eDupApp is the e2e database plus two web-chat visitors, on different
// browsers, who filled in the pre-chat form with the same email: the
// second is a potential duplicate of the first. The second wrote last, so
// its ticket tops the list. It returns both contact ids.
func e2eDupApp(t *testing.T) (*app.App, int64, int64) {
	t.Helper()
	a := e2eApp(t)
	var ids [2]int64
	for i, v := range []string{"v-dana-laptop", "v-dana-phone"} {
		m := model.Inbound{Sender: model.Identity{Channel: model.WebChat, Value: v}, MessageID: "e2e-dup-" + v,
			Text: fmt.Sprintf("Hi, it's Dana again (%d).", i+1), SentAt: e2eNow.Add(-time.Duration(4-i) * time.Minute),
			StartedBy: model.StartedByVisitor, Country: "CA", Timezone: "America/Toronto",
			Prechat: &model.Prechat{Name: "Dana Kim", Email: "dana.kim@example.com", Company: []string{"", "Kim Bakery"}[i]}}
		if _, err := a.Ingest(context.Background(), []model.Inbound{m}); err != nil {
			t.Fatal(err)
		}
		cs, err := a.ListContacts(context.Background(), app.ContactPage{Search: v})
		if err != nil || len(cs) != 1 {
			t.Fatalf("contact of %s: %v %v", v, cs, err)
		}
		ids[i] = cs[0].ID
	}
	if ps, err := a.DuplicatesOf(context.Background(), ids[1]); err != nil || len(ps) != 1 || ps[0].Other(ids[1]) != ids[0] {
		t.Fatalf("no pair: %v %v", ps, err)
	}
	return a, ids[0], ids[1]
}

// TestE2ECompareFromThePane runs the whole program: the newest ticket is
// the second Dana's; from her contact pane D opens the comparison with the
// first Dana (golden), and n records them as two people.
func TestE2ECompareFromThePane(t *testing.T) {
	a, first, second := e2eDupApp(t)
	tm, s := startE2E(t, a, 120, 36)
	keys(tm, "tab", "tab") // the conversation, then the contact pane
	waitText(t, s, "⚠ 1 potential duplicate")
	waitScreen(t, s, "the contact pane's keys", func(f string) bool { return strings.Contains(statusOf(f), "D compare") })
	keys(tm, "D")
	waitText(t, s, "Compare potential duplicates")
	waitText(t, s, "Kim Bakery")
	waitText(t, s, "same email")
	teatest.RequireEqualOutput(t, []byte(s.Frame()))

	keys(tm, "n")
	waitText(t, s, fmt.Sprintf("✓ #%d and #%d recorded as not a duplicate", second, first))
	waitText(t, s, fmt.Sprintf("No more potential duplicates of #%d Dana Kim.", second))
	if ps, err := a.DuplicatesOf(context.Background(), second); err != nil || len(ps) != 0 {
		t.Fatalf("pairs of #%d after n: %v %v", second, ps, err)
	}
	keys(tm, "esc")
	waitScreen(t, s, "the pane without the duplicate", func(f string) bool {
		return !strings.Contains(f, "Compare potential duplicates") && !strings.Contains(f, "potential duplicate")
	})
}

// TestE2EDuplicatesScreen opens the Duplicates screen from the inbox, then
// the comparison of its only pair.
func TestE2EDuplicatesScreen(t *testing.T) {
	a, first, second := e2eDupApp(t)
	tm, s := startE2E(t, a, 120, 36)
	keys(tm, "=")
	waitText(t, s, "1 open pair, best first")
	waitText(t, s, fmt.Sprintf("#%d Dana Kim", first))
	keys(tm, "enter")
	waitText(t, s, "pair 1 of 1")
	keys(tm, "s")
	waitText(t, s, "No more potential duplicates in the list.")
	keys(tm, "esc")
	waitText(t, s, "1 open pair, best first") // skipping records nothing
	if ps, _ := a.DuplicatesOf(context.Background(), second); len(ps) != 1 {
		t.Fatalf("skip changed the pairs: %v", ps)
	}
}
