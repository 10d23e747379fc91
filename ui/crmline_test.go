package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"

	"cxinbox/app"
	"cxinbox/app/crm/fake"
	"cxinbox/model"
)

// The contact pane's CRM line: nothing without a CRM, "not synced" for a
// contact from before the connection, "pending" until the worker pushed it,
// "synced 2m ago", or "failed: <the CRM's reason>".
func TestContactPaneCRMLine(t *testing.T) {
	a, c, ids := cpFixture(t)
	ctx := context.Background()
	p, h := cpPane(t, c, ids[0])
	if out := plainView(p); strings.Contains(out, "CRM") {
		t.Fatalf("a CRM line without a CRM:\n%s", out)
	}

	srv, hs := fake.Start("hubspot", fake.Options{})
	defer hs.Close()
	defer srv.Close()
	if _, err := a.ConnectCRM(ctx, app.CRMConnect{Provider: "hubspot", Token: fake.PrivateToken, BaseURL: hs.URL}); err != nil {
		t.Fatal(err)
	}
	h.run(func() tea.Msg { return dataChangedMsg{Source: "external"} })
	if out := plainView(p); !strings.Contains(out, "CRM         not synced") {
		t.Errorf("a contact from before the connection:\n%s", out)
	}

	// Two new customers, one with an address the CRM refuses.
	var newIDs []int64
	for _, addr := range []string{"bea@example.com", "broken@example.invalid"} {
		id, err := model.NewIdentity(model.Email, addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Ingest(ctx, []model.Inbound{{Sender: id, SenderName: "Bea Stone", MessageID: "m-" + addr, Text: "hi", Subject: "Hello", SentAt: cpNow}}); err != nil {
			t.Fatal(err)
		}
		cs, err := a.ListContacts(ctx, app.ContactPage{Search: addr})
		if err != nil || len(cs) != 1 {
			t.Fatal(err)
		}
		newIDs = append(newIDs, cs[0].ID)
	}
	good, _ := cpPane(t, c, newIDs[0])
	if out := plainView(good); !strings.Contains(out, "CRM         pending") {
		t.Errorf("before the sync:\n%s", out)
	}
	if _, err := a.SyncCRM(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := a.CRMStatusOf(ctx, newIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	c.Now = func() time.Time { return st.SyncedAt.Add(2*time.Minute + 10*time.Second) }
	good, _ = cpPane(t, c, newIDs[0])
	if out := plainView(good); !strings.Contains(out, "CRM         synced 2m ago") {
		t.Errorf("after the sync:\n%s", out)
	}
	c.Now = func() time.Time { return cpNow }
	bad, _ := cpPane(t, c, newIDs[1])
	out := plainView(bad)
	if !strings.Contains(out, "CRM         failed: Email address") {
		t.Errorf("a refused contact:\n%s", out)
	}
	golden.RequireEqual(t, []byte(out))
}
