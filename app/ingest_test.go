package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cxinbox/model"
)

func newTestApp(t testing.TB) *App {
	t.Helper()
	a, err := Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

var t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

var msgSeq int

// in builds a valid inbound message; the sender value is normalised here.
func in(ch model.Channel, sender, name, text string) model.Inbound {
	msgSeq++
	id, err := model.NewIdentity(ch, sender)
	if err != nil {
		panic(err)
	}
	return model.Inbound{Sender: id, SenderName: name, MessageID: fmt.Sprintf("m%d", msgSeq), Text: text,
		SentAt: t0.Add(time.Duration(msgSeq) * time.Minute)}
}

func chat(visitor string, by model.StartedBy, form *model.Prechat) model.Inbound {
	m := in(model.WebChat, visitor, "", "hello")
	m.StartedBy, m.Prechat, m.Country, m.Timezone = by, form, "DE", "Europe/Berlin"
	return m
}

func ingest(t *testing.T, a *App, msgs ...model.Inbound) IngestResult {
	t.Helper()
	r, err := a.Ingest(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func contacts(t *testing.T, a *App) []ContactSummary {
	t.Helper()
	cs, err := a.ListContacts(context.Background(), ContactPage{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestSpecRules has one row per sentence of the spec's contact rules
// (../shared/spec/manage-contacts.txt, "Contacts", "Contacts in Web Chat",
// "Contacts in Inbox") and of the identity rules in DESIGN.md.
func TestSpecRules(t *testing.T) {
	ctx := context.Background()
	rows := []struct {
		sentence string
		run      func(t *testing.T, a *App)
	}{
		{"a contact can have multiple identities in each channel but only one contact ID", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, "kerry@example.com", "Kerry Fisher", "hi"))
			c := contacts(t, a)[0]
			if _, err := a.AddIdentity(ctx, "ann", c.ID, model.WhatsApp, "+1 631 555 1181"); err != nil {
				t.Fatal(err)
			}
			r := ingest(t, a, in(model.WhatsApp, "16315551181", "Kerry", "order late"))
			if r.NewContacts != 0 {
				t.Fatalf("WhatsApp message of a known identity made a new contact")
			}
			cs := contacts(t, a)
			if len(cs) != 1 || len(cs[0].Identities) != 2 {
				t.Fatalf("want one contact with 2 identities, got %+v", cs)
			}
		}},
		{"when a new visitor is coming, the system creates a contact and fills in the identity", func(t *testing.T, a *App) {
			r := ingest(t, a, in(model.Telegram, "5512003401", "Test Lastname", "/start"))
			cs := contacts(t, a)
			if r.NewContacts != 1 || len(cs) != 1 || cs[0].Identities[0] != (model.Identity{Channel: model.Telegram, Value: "5512003401"}) {
				t.Fatalf("got %+v %+v", r, cs)
			}
			if cs[0].Name != "Test Lastname" {
				t.Fatalf("name %q", cs[0].Name)
			}
		}},
		{"web chat: same browser (same cookie) is matched to the existing contact, no new contact", func(t *testing.T, a *App) {
			ingest(t, a, chat("v-1", model.StartedByVisitor, &model.Prechat{Name: "Zoë Ödön", Email: "zoe@example.de"}))
			r := ingest(t, a, chat("v-1", model.StartedByVisitor, nil))
			if r.NewContacts != 0 || len(contacts(t, a)) != 1 {
				t.Fatalf("same cookie made a new contact: %+v", r)
			}
		}},
		{"web chat: new visitor fills in the pre-chat form: contact from the form with country and time zone", func(t *testing.T, a *App) {
			ingest(t, a, chat("v-2", model.StartedByVisitor, &model.Prechat{Name: "Zoë Ödön", Email: "zoe@example.de", Phone: "+4930901820", Company: "Acme"}))
			c := contacts(t, a)[0]
			if c.Name != "Zoë Ödön" || c.NameGenerated || c.Email != "zoe@example.de" || c.Phone != "+4930901820" || c.Company != "Acme" ||
				c.Country != "DE" || c.Timezone != "Europe/Berlin" || c.LeadStage != model.StageLead {
				t.Fatalf("contact from form: %+v", c.Contact)
			}
		}},
		{"web chat: started by workflow without a form: generated two-word name, country and time zone", func(t *testing.T, a *App) {
			ingest(t, a, chat("v-3", model.StartedByWorkflow, nil))
			c := contacts(t, a)[0]
			if !c.NameGenerated || len(strings.Fields(c.Name)) != 2 || c.Name != model.GeneratedName("v-3") || c.Country != "DE" || c.Timezone != "Europe/Berlin" {
				t.Fatalf("generated contact: %+v", c.Contact)
			}
		}},
		{"web chat: agent invitation without a form: generated name too", func(t *testing.T, a *App) {
			ingest(t, a, chat("v-4", model.StartedByAgent, nil))
			if c := contacts(t, a)[0]; !c.NameGenerated {
				t.Fatalf("agent-invited visitor not generated: %+v", c.Contact)
			}
		}},
		{"web chat: different browser with the same details still makes a new contact and 1 potential duplicate", func(t *testing.T, a *App) {
			ingest(t, a, chat("v-5", model.StartedByVisitor, &model.Prechat{Name: "Ann Lee", Email: "ann@example.com"}))
			r := ingest(t, a, chat("v-6", model.StartedByVisitor, &model.Prechat{Name: "Ann Lee", Email: "ann@example.com"}))
			cs := contacts(t, a)
			if r.NewContacts != 1 || len(cs) != 2 {
				t.Fatalf("want a second contact, got %d (%+v)", len(cs), r)
			}
			if r.PotentialDuplicates != 1 || len(cs[0].PotentialDuplicates) != 1 || cs[0].PotentialDuplicates[0] != cs[1].ID ||
				len(cs[1].PotentialDuplicates) != 1 || cs[1].PotentialDuplicates[0] != cs[0].ID {
				t.Fatalf("want the pair recorded both ways: %+v / %+v", cs[0].PotentialDuplicates, cs[1].PotentialDuplicates)
			}
		}},
		{"web chat: a form matching an inbox contact's email identity is a potential duplicate, never a silent merge", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, "Ann@Example.com", "Ann Lee", "hi"))
			ingest(t, a, chat("v-7", model.StartedByVisitor, &model.Prechat{Name: "A. Lee", Email: "ann@example.com"}))
			cs := contacts(t, a)
			if len(cs) != 2 || len(cs[1].PotentialDuplicates) != 1 {
				t.Fatalf("got %+v", cs)
			}
			if len(cs[1].Identities) != 1 || cs[1].Identities[0].Channel != model.WebChat {
				t.Fatalf("the unverified form email must not become an identity: %+v", cs[1].Identities)
			}
		}},
		{"inbox: a customer matching an existing identity is associated with that contact", func(t *testing.T, a *App) {
			ingest(t, a, in(model.SMS, "+12346666668", "", "hi"), in(model.SMS, "+1 (234) 666-6668", "", "again"))
			if n := len(contacts(t, a)); n != 1 {
				t.Fatalf("%d contacts", n)
			}
		}},
		{"inbox: otherwise a contact is created with lead stage Lead", func(t *testing.T, a *App) {
			for _, ch := range []model.Channel{model.Email, model.SMS, model.WhatsApp, model.Facebook, model.Instagram, model.Telegram} {
				sender := map[model.Channel]string{model.Email: "x@example.com", model.SMS: "+12346666668", model.WhatsApp: "12346666669",
					model.Facebook: "110392518376541:6183004271690128", model.Instagram: "17841400000000000:9911", model.Telegram: "42"}[ch]
				ingest(t, a, in(ch, sender, "", "hi"))
			}
			cs := contacts(t, a)
			if len(cs) != 6 {
				t.Fatalf("%d contacts", len(cs))
			}
			for _, c := range cs {
				if c.LeadStage != model.StageLead || c.Name == "" {
					t.Fatalf("contact %+v", c.Contact)
				}
			}
		}},
		{"identities are normalised before matching: email case and spaces", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, " Kerry.Fisher@Example.COM ", "", "a"), in(model.Email, "kerry.fisher@example.com", "", "b"))
			if n := len(contacts(t, a)); n != 1 {
				t.Fatalf("%d contacts", n)
			}
		}},
		{"identities are normalised before matching: Brazilian WhatsApp with and without the ninth digit", func(t *testing.T, a *App) {
			ingest(t, a, in(model.WhatsApp, "5511987654321", "", "a"), in(model.WhatsApp, "551187654321", "", "b"))
			if n := len(contacts(t, a)); n != 1 {
				t.Fatalf("%d contacts", n)
			}
		}},
		{"Meta ids are scoped by page: the same sender id on two pages is two identities", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Facebook, "111:6183004271690128", "", "a"), in(model.Facebook, "222:6183004271690128", "", "b"))
			if n := len(contacts(t, a)); n != 2 {
				t.Fatalf("%d contacts", n)
			}
		}},
		{"unsubscribe: no marketing email can be sent, and the action is recorded", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, "ann@example.com", "Ann", "hi"))
			c := contacts(t, a)[0]
			if err := a.Unsubscribe(ctx, "bob", c.ID); err != nil {
				t.Fatal(err)
			}
			_, err := a.NewConversation(ctx, "bob", c.ID, c.Identities[0], "Sale", "20% off", true)
			if !errors.Is(err, ErrUnsubscribed) {
				t.Fatalf("marketing email to unsubscribed contact: %v", err)
			}
			d, _ := a.ContactDetails(ctx, c.ID)
			if !d.EmailUnsubscribed || !hasActivity(d.Activity, model.ActUnsubscribed, "bob") || len(d.Tickets) != 1 {
				t.Fatalf("details %+v", d.Activity)
			}
			if _, err := a.NewConversation(ctx, "bob", c.ID, c.Identities[0], "Your order", "It shipped", false); err != nil {
				t.Fatalf("service email to unsubscribed contact must still go: %v", err)
			}
		}},
		{"tags added and removed in the pane are synced to the contact details", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, "ann@example.com", "Ann", "hi"))
			id := contacts(t, a)[0].ID
			if err := a.TagContact(ctx, "bob", id, "VIP", true); err != nil {
				t.Fatal(err)
			}
			if err := a.UntagContact(ctx, "bob", id, "vip"); err != nil {
				t.Fatal(err)
			}
			d, _ := a.ContactDetails(ctx, id)
			if !hasActivity(d.Activity, model.ActTagAdded, "bob") || !hasActivity(d.Activity, model.ActTagRemoved, "bob") || len(d.Tags) != 0 {
				t.Fatalf("timeline %+v", d.Activity)
			}
			if err := a.UntagContact(ctx, "bob", id, "vip"); err == nil {
				t.Fatal("removing an absent tag must say so")
			}
			if err := a.TagContact(ctx, "bob", id, "unknown-tag", false); err == nil {
				t.Fatal("a tag outside the catalogue must be refused without create")
			}
		}},
		{"notes added are synced to the contact details", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, "ann@example.com", "Ann", "hi"))
			id := contacts(t, a)[0].ID
			if err := a.AddNote(ctx, "bob", id, "Prefers phone calls\nafter 5pm"); err != nil {
				t.Fatal(err)
			}
			d, _ := a.ContactDetails(ctx, id)
			if len(d.Notes) != 1 || d.Notes[0].Body != "Prefers phone calls\nafter 5pm" || !hasActivity(d.Activity, model.ActNoteAdded, "bob") {
				t.Fatalf("notes %+v", d.Notes)
			}
		}},
		{"property updates are synced to the contact details; bad values change nothing", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, "ann@example.com", "Ann", "hi"))
			id := contacts(t, a)[0].ID
			for _, kv := range [][2]string{{"company", "Acme"}, {"country", "br"}, {"timezone", "America/Sao_Paulo"}, {"lead_stage", "Customer"}, {"plan", "gold"}} {
				if err := a.SetField(ctx, "bob", id, kv[0], kv[1]); err != nil {
					t.Fatal(err)
				}
			}
			for _, kv := range [][2]string{{"email", "not-an-email"}, {"phone", "12ab"}, {"country", "Narnia"}, {"timezone", "Mars/Olympus"}, {"lead_stage", "maybe"}, {"name", " "}} {
				if err := a.SetField(ctx, "bob", id, kv[0], kv[1]); err == nil {
					t.Fatalf("%s=%q accepted", kv[0], kv[1])
				}
			}
			d, _ := a.ContactDetails(ctx, id)
			if d.Company != "Acme" || d.Country != "BR" || d.LeadStage != model.StageCustomer || d.Properties["plan"] != "gold" || d.Email != "ann@example.com" {
				t.Fatalf("contact %+v %+v", d.Contact, d.Properties)
			}
			n := 0
			for _, act := range d.Activity {
				if act.Kind == model.ActPropertyChanged {
					n++
				}
			}
			if n != 5 {
				t.Fatalf("%d property activities, want 5", n)
			}
		}},
		{"New Conversation opens a proactive ticket on one of the contact's identities", func(t *testing.T, a *App) {
			ingest(t, a, in(model.Email, "ann@example.com", "Ann", "hi"))
			c := contacts(t, a)[0]
			tk, err := a.NewConversation(ctx, "bob", c.ID, c.Identities[0], "Follow-up", "How did it go?", false)
			if err != nil || !tk.Proactive {
				t.Fatal(tk, err)
			}
			if _, err := a.NewConversation(ctx, "bob", c.ID, model.Identity{Channel: model.SMS, Value: "+12025550100"}, "", "hi", false); err == nil {
				t.Fatal("an identity of someone else must be refused")
			}
		}},
	}
	for _, r := range rows {
		t.Run(r.sentence, func(t *testing.T) { r.run(t, newTestApp(t)) })
	}
}

func hasActivity(acts []model.Activity, kind, agent string) bool {
	for _, a := range acts {
		if a.Kind == kind && a.Agent == agent {
			return true
		}
	}
	return false
}

func TestTickets(t *testing.T) {
	ctx := context.Background()
	t.Run("a message joins the open ticket on its channel, a resolved one is not joined", func(t *testing.T) {
		a := newTestApp(t)
		r := ingest(t, a, in(model.WhatsApp, "16315551181", "K", "a"), in(model.WhatsApp, "16315551181", "K", "b"))
		if r.NewTickets != 1 || r.Messages != 2 {
			t.Fatalf("%+v", r)
		}
		tks, _ := a.ListTickets(ctx, TicketQuery{})
		if err := a.SetStatus(ctx, "bob", tks[0].ID, "resolved"); err != nil {
			t.Fatal(err)
		}
		if r := ingest(t, a, in(model.WhatsApp, "16315551181", "K", "c")); r.NewTickets != 1 {
			t.Fatalf("message after resolve: %+v", r)
		}
		if r := ingest(t, a, in(model.SMS, "+16315551181", "K", "d")); r.NewTickets != 1 || r.NewContacts != 1 {
			t.Fatalf("other channel: %+v", r)
		}
	})
	t.Run("email threads by In-Reply-To and References, even into a resolved ticket", func(t *testing.T) {
		a := newTestApp(t)
		first := in(model.Email, "ann@example.com", "Ann", "my order")
		first.Subject = "Order 1"
		other := in(model.Email, "ann@example.com", "Ann", "another thing")
		other.Subject = "Invoice"
		ingest(t, a, first, other)
		tks, _ := a.ListTickets(ctx, TicketQuery{})
		if len(tks) != 2 {
			t.Fatalf("two subjects, %d tickets", len(tks))
		}
		var orderTicket int64
		for _, tk := range tks {
			if tk.Subject == "Order 1" {
				orderTicket = tk.ID
			}
		}
		a.SetStatus(ctx, "bob", orderTicket, "resolved")
		reply := in(model.Email, "ann@example.com", "Ann", "still waiting")
		reply.Subject = "Re: Order 1"
		reply.InReplyTo = []string{"unknown@x", first.MessageID}
		if r := ingest(t, a, reply); r.NewTickets != 0 {
			t.Fatalf("reply opened a ticket: %+v", r)
		}
		tk, _ := a.Ticket(ctx, orderTicket)
		if tk.Status != model.StatusOpen || tk.Preview != "still waiting" {
			t.Fatalf("reply did not reopen its ticket: %+v", tk)
		}
	})
	t.Run("a customer's reply to an agent's email threads into that ticket", func(t *testing.T) {
		a := newTestApp(t)
		ingest(t, a, in(model.Email, "ann@example.com", "Ann", "hi"))
		c := contacts(t, a)[0]
		tk, err := a.NewConversation(ctx, "bob", c.ID, c.Identities[0], "Survey", "Rate us?", false)
		if err != nil {
			t.Fatal(err)
		}
		msgs, _ := a.Messages(ctx, tk.ID)
		reply := in(model.Email, "ann@example.com", "Ann", "5 stars")
		reply.Subject = "Re: Survey"
		reply.InReplyTo = []string{strings.TrimPrefix(msgs[0].ExternalID, "email:")}
		ingest(t, a, reply)
		msgs, _ = a.Messages(ctx, tk.ID)
		if len(msgs) != 2 {
			t.Fatalf("reply not threaded: %d messages", len(msgs))
		}
	})
	t.Run("the same provider message id twice changes nothing", func(t *testing.T) {
		a := newTestApp(t)
		m := in(model.Telegram, "77", "T", "hi")
		ingest(t, a, m)
		before, _ := a.store.Count(ctx)
		r := ingest(t, a, m, m)
		after, _ := a.store.Count(ctx)
		if r.Duplicates != 2 || r.Messages != 0 || before != after {
			t.Fatalf("%+v %+v %+v", r, before, after)
		}
	})
	t.Run("unknown ids and bad input are refused by name", func(t *testing.T) {
		a := newTestApp(t)
		for _, err := range []error{
			a.TagContact(ctx, "bob", 999, "x", true),
			a.AddNote(ctx, "bob", 999, "x"),
			a.SetField(ctx, "bob", 999, "name", "x"),
			a.Unsubscribe(ctx, "bob", 999),
			a.SetStatus(ctx, "bob", 999, "open"),
		} {
			if !IsNotFound(err) || !strings.Contains(err.Error(), "999") {
				t.Fatalf("want not found naming 999, got %v", err)
			}
		}
		if err := a.SetStatus(ctx, "bob", 1, "sleeping"); err == nil || !strings.Contains(err.Error(), "sleeping") {
			t.Fatalf("bad status: %v", err)
		}
		bad := in(model.Email, "a@example.com", "", "x")
		bad.MessageID = ""
		if _, err := a.Ingest(ctx, []model.Inbound{bad}); err == nil {
			t.Fatal("message without id accepted")
		}
		if c, _ := a.store.Count(ctx); c.Contacts != 0 {
			t.Fatal("a refused ingest wrote something")
		}
	})
}
