package app

import (
	"context"
	"testing"

	"cxinbox/model"
)

// An agent's edit landing between a group's plan and its commit is not
// overwritten by the plan: the group is decided again in its transaction.
// Here the agent resolves the ticket the plan meant the message to join, so
// the message must open a new ticket instead.
func TestWriterRedoesPlanAfterForeignWrite(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	first := in(model.SMS, "+4915112345678", "Ann", "my order is late")
	ingest(t, a, first)
	tks := ticketsOf(t, a)
	if len(tks) != 1 {
		t.Fatalf("%d tickets after the first message, want 1", len(tks))
	}
	open := tks[0].ID

	resolved := false
	a.writer.afterPlan = func(p *plannedGroup) {
		if !resolved {
			resolved = true
			if err := a.SetStatus(ctx, "ann", open, "resolved"); err != nil {
				t.Errorf("SetStatus: %v", err)
			}
		}
	}
	res := ingest(t, a, in(model.SMS, "+4915112345678", "Ann", "a new question"))
	if res.NewTickets != 1 {
		t.Errorf("NewTickets = %d, want 1: the ticket was resolved before the message committed", res.NewTickets)
	}
	tk, err := a.Ticket(ctx, open)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != model.StatusResolved {
		t.Errorf("resolved ticket is %s again: the stale plan joined it", tk.Status)
	}
	if n := a.writer.redone.Load(); n != 1 {
		t.Errorf("groups redone = %d, want 1", n)
	}
}

// A group planned while the one before is still committing sees that
// group's contacts, tickets and messages through its delta: a sender new in
// the first group is not created twice, and a re-delivery is a duplicate.
func TestWriterPlanOverlaysCommittingGroup(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	m1 := in(model.WhatsApp, "+4915112345679", "Bo", "hello")
	m2 := in(model.WhatsApp, "+4915112345679", "Bo", "anyone there?")

	planned1 := make(chan struct{})
	planned2 := make(chan *plannedGroup, 1)
	a.writer.afterPlan = func(p *plannedGroup) {
		switch p.n {
		case 1:
			close(planned1)
		case 2:
			planned2 <- p
		}
	}
	a.writer.beforeCommit = func(p *plannedGroup) {
		if p.n == 1 {
			p2 := <-planned2 // hold group 1 until group 2 is planned
			planned2 <- p2
		}
	}
	done1 := make(chan IngestResult, 1)
	go func() {
		r, err := a.Ingest(ctx, []model.Inbound{m1})
		if err != nil {
			t.Error(err)
		}
		done1 <- r
	}()
	<-planned1
	r2, err := a.Ingest(ctx, []model.Inbound{m2, m1}) // m1 again: a re-delivery
	if err != nil {
		t.Fatal(err)
	}
	r1 := <-done1
	p2 := <-planned2
	if p2.overlaid == nil || p2.overlaid.n != 1 {
		t.Fatalf("group 2 was planned without laying group 1 over its snapshot")
	}
	if r1.NewContacts != 1 || r2.NewContacts != 0 || r2.NewTickets != 0 || r2.Messages != 1 || r2.Duplicates != 1 {
		t.Errorf("results %+v then %+v; want 1 new contact, then 0 new contacts, 0 new tickets, 1 message, 1 duplicate", r1, r2)
	}
	if cs := contacts(t, a); len(cs) != 1 {
		t.Errorf("%d contacts, want 1", len(cs))
	}
	tks := ticketsOf(t, a)
	if len(tks) != 1 {
		t.Fatalf("%d tickets, want 1", len(tks))
	}
	msgs, err := a.Messages(ctx, tks[0].ID)
	if err != nil || len(msgs) != 2 {
		t.Errorf("ticket holds %d messages (%v), want 2", len(msgs), err)
	}
	if n := a.writer.redone.Load(); n != 0 || !p2.asPlanned {
		t.Errorf("groups redone = %d, group 2 committed as planned = %v; want 0 and true (nothing else wrote)", n, p2.asPlanned)
	}
}

func ticketsOf(t *testing.T, a *App) []model.Ticket {
	t.Helper()
	tks, err := a.ListTickets(context.Background(), TicketQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return tks
}
