package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"cxinbox/app/feed"
	"cxinbox/app/provider"
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
	if p2.overlaidN != 1 {
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
	if n, last := a.writer.redone.Load(), a.writer.lastPlanned.n; n != 0 || last != 2 {
		t.Errorf("groups redone = %d, last committed as planned %d; want 0 and group 2 (nothing else wrote)", n, last)
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

// The pipelined writer under a stream (groups planned while the one before
// commits) with agents merging contacts and resolving tickets all the while:
// every message is stored once, on a ticket of the contact that owns its
// sender, and groups an agent's write overtook were decided again.
func TestPipelinedIngestRacesAgents(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	fd := feed.New(23)
	var lines bytes.Buffer
	enc := json.NewEncoder(&lines)
	keys := map[string]bool{}
	for range 3000 {
		ev := fd.Next()
		msgs, err := provider.Parse(ev.Channel, ev.Body)
		if err != nil {
			t.Fatal(err)
		}
		for i := range msgs {
			keys[msgs[i].Key()] = true
		}
		if err := enc.Encode(ev); err != nil {
			t.Fatal(err)
		}
	}
	stream := make(chan error, 1)
	go func() {
		r, w := io.Pipe()
		go func() {
			for i, l := range bytes.SplitAfter(lines.Bytes(), []byte("\n")) {
				w.Write(l)
				if i%20 == 19 {
					time.Sleep(3 * time.Millisecond) // a live pace: many small groups
				}
			}
			w.Close()
		}()
		_, err := a.IngestStream(ctx, r, func(line int, err error) { t.Errorf("line %d: %v", line, err) })
		stream <- err
	}()
	rng := rand.New(rand.NewPCG(5, 6))
	merges, resolved := 0, 0
	var resolvedIDs []int64
	var streamErr error
loop:
	for {
		select {
		case streamErr = <-stream:
			break loop
		default:
		}
		if rng.IntN(2) == 0 {
			tks, err := a.ListTickets(ctx, TicketQuery{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if len(tks) > 0 {
				tk := tks[rng.IntN(len(tks))]
				if err := a.SetStatus(ctx, "ann", tk.ID, "resolved"); err != nil {
					t.Fatal(err)
				}
				if tk.Channel != model.Email { // email replies reopen their thread
					resolvedIDs = append(resolvedIDs, tk.ID)
				}
				resolved++
			}
			continue
		}
		cs := contacts(t, a)
		if len(cs) < 2 {
			continue
		}
		i, j := rng.IntN(len(cs)), rng.IntN(len(cs))
		if i != j {
			if _, err := a.Merge(ctx, "ann", cs[i].ID, cs[j].ID, nil); err != nil {
				t.Fatalf("merge: %v", err)
			}
			merges++
		}
	}
	if streamErr != nil {
		t.Fatal(streamErr)
	}
	t.Logf("%d merges and %d tickets resolved beside the stream; %d groups decided again", merges, resolved, a.writer.redone.Load())
	if merges+resolved < 5 || a.writer.redone.Load() == 0 {
		t.Fatalf("the agents overtook no group (%d writes, %d redone): the race was not run", merges+resolved, a.writer.redone.Load())
	}
	want := make([]string, 0, len(keys))
	for k := range keys {
		want = append(want, k)
	}
	slices.Sort(want)
	got := query(t, a, `SELECT external_id FROM messages WHERE direction = 'in' ORDER BY external_id`)
	if !slices.Equal(got, want) {
		t.Fatalf("%d inbound messages stored, %d distinct ones streamed", len(got), len(want))
	}
	for what, q := range map[string]string{
		"tickets whose sender another contact owns": `SELECT COUNT(*) FROM tickets t JOIN identities i ON i.channel = t.channel AND i.value = t.identity WHERE i.contact_id <> t.contact_id`,
		"contacts sharing an identity":              `SELECT COUNT(*) FROM (SELECT channel, value FROM identities GROUP BY 1, 2 HAVING COUNT(*) > 1)`,
		"dangling rows":                             `SELECT COUNT(*) FROM pragma_foreign_key_check`,
	} {
		if n := query(t, a, q)[0]; n != "0" {
			t.Errorf("%s: %s", what, n)
		}
	}
	// A chat, SMS or social ticket an agent resolved stays resolved: the
	// customer's next message opens a new one, even if a plan made before
	// the agent acted meant it for the old one.
	for _, id := range resolvedIDs {
		if tk, err := a.Ticket(ctx, id); err != nil || tk.Status != model.StatusResolved {
			t.Errorf("ticket %d resolved by an agent is %s (%v): a stale plan joined it", id, tk.Status, err)
		}
	}
	if ok, err := a.store.IntegrityCheck(); err != nil || ok != "ok" {
		t.Fatalf("integrity: %s %v", ok, err)
	}
}

// The pipeline decides exactly what deciding each group inside its own
// transaction would: the same contacts, tickets, messages, duplicate keys
// and pairs. The in-transaction run has every plan thrown away.
func TestPipelineMatchesInTransactionDecisions(t *testing.T) {
	ctx := context.Background()
	fd := feed.New(31)
	var lines bytes.Buffer
	enc := json.NewEncoder(&lines)
	for range 6000 {
		if err := enc.Encode(fd.Next()); err != nil {
			t.Fatal(err)
		}
	}
	state := func(inTx, late bool) map[string][]string {
		a := newTestApp(t)
		if inTx {
			a.writer.afterPlan = func(p *plannedGroup) { p.g = nil }
		}
		if late {
			// Every snapshot starts after the group it lays over has
			// committed: that group's rows are in the snapshot and in the
			// overlay both, and must not count twice.
			a.writer.beforeSnapshot = func(p *plannedGroup) { a.writer.waitCommitted(p.n - 1) }
		}
		if _, err := a.IngestStream(ctx, bytes.NewReader(lines.Bytes()), func(line int, err error) { t.Errorf("line %d: %v", line, err) }); err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for what, q := range map[string]string{
			"contacts":   `SELECT id || ' ' || name || ' ' || email || ' ' || phone FROM contacts ORDER BY id`,
			"identities": `SELECT contact_id || ' ' || channel || ' ' || value FROM identities ORDER BY id`,
			"tickets":    `SELECT id || ' ' || contact_id || ' ' || channel || ' ' || status || ' ' || last_message_at || ' ' || preview FROM tickets ORDER BY id`,
			"messages":   `SELECT ticket_id || ' ' || external_id FROM messages ORDER BY id`,
			"dup keys":   `SELECT key || ' ' || contact_id FROM dup_keys ORDER BY key, contact_id`,
			"pairs":      `SELECT contact_a || ' ' || contact_b || ' ' || reason || ' ' || score FROM potential_duplicates ORDER BY 1`,
			// Rows of one group go in together, and the two runs group
			// messages differently: the same rows, in another order.
			"activity": `SELECT contact_id || ' ' || COALESCE(ticket_id, '') || ' ' || kind || ' ' || detail FROM activity ORDER BY 1`,
		} {
			out[what] = query(t, a, q)
		}
		if inTx && a.writer.redone.Load() == 0 {
			t.Fatal("no group was decided in its transaction")
		}
		if !inTx && a.writer.redone.Load() != 0 {
			t.Fatalf("%d groups redone in the pipelined run; want 0", a.writer.redone.Load())
		}
		return out
	}
	inTx := state(true, false)
	for run, piped := range map[string]map[string][]string{"pipelined": state(false, false), "pipelined, snapshots late": state(false, true)} {
		compareStates(t, run, piped, inTx)
	}
}

func compareStates(t *testing.T, run string, piped, inTx map[string][]string) {
	t.Helper()
	for what, want := range inTx {
		got := piped[what]
		if len(want) == 0 {
			t.Errorf("%s: %s: none stored", run, what)
		}
		if !slices.Equal(got, want) {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			t.Errorf("%s: %s differ (%d pipelined, %d in transaction), first at row %d: %q vs %q", run, what, len(got), len(want), i, got[i:min(i+3, len(got))], want[i:min(i+3, len(want))])
		}
	}
}

// A group whose snapshot began just after the group it lays over committed
// sees that group's contacts twice — in the snapshot and in the overlay —
// and must count them once: here 25 namesakes fill a name block to 26 of
// its 40, and counted twice (51) the block would be skipped and the typo'd
// address's owner missed.
func TestPlanCountsCommittedGroupOnce(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	var first []model.Inbound
	first = append(first, in(model.Email, "ana.souza@example.com", "Ana Souza", "hello"))
	for i := range 24 {
		first = append(first, in(model.Email, fmt.Sprintf("a%02d.other@example.org", i), "Ana Souza", "hello"))
	}
	typo := in(model.Email, "ana.sousa@example.com", "Ana Souza", "me again")

	planned1, release := make(chan struct{}), make(chan struct{})
	a.writer.afterPlan = func(p *plannedGroup) {
		if p.n == 1 {
			close(planned1)
		}
	}
	a.writer.beforeCommit = func(p *plannedGroup) {
		if p.n == 1 {
			<-release // group 1 commits only once group 2 decided to lay it over
		}
	}
	var plan2 *plannedGroup
	a.writer.beforeSnapshot = func(p *plannedGroup) {
		if p.n == 2 {
			plan2 = p
			close(release)
			a.writer.waitCommitted(1) // and its snapshot begins after that commit
		}
	}
	done := make(chan error, 1)
	go func() { _, err := a.Ingest(ctx, first); done <- err }()
	<-planned1
	r, err := a.Ingest(ctx, []model.Inbound{typo})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if plan2 == nil || plan2.overlaidN != 1 || a.writer.lastPlanned.n != 2 {
		t.Fatal("group 2 was not planned over the committing group 1 and committed as planned")
	}
	if r.PotentialDuplicates != 1 {
		t.Errorf("PotentialDuplicates = %d, want 1 (ana.sousa@ ~ ana.souza@, same name)", r.PotentialDuplicates)
	}
}

// An agent's write that lands after the group a plan lays over committed,
// but before the plan's snapshot began, is in the snapshot and hidden by
// the overlay (which says the ticket is open): the plan must be decided
// again, not committed — the message opens a new ticket and the resolved
// one stays resolved.
func TestWriterRedoesPlanWhoseSnapshotPassedItsOverlay(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	ingest(t, a, in(model.SMS, "+4915112345670", "Ann", "hello"))
	open := ticketsOf(t, a)[0].ID

	planned, release := make(chan struct{}), make(chan struct{})
	a.writer.afterPlan = func(p *plannedGroup) {
		if p.n == 2 {
			close(planned)
		}
	}
	a.writer.beforeCommit = func(p *plannedGroup) {
		if p.n == 2 {
			<-release // group 2 (Ann's second message) commits once group 3 laid it over
		}
	}
	a.writer.beforeSnapshot = func(p *plannedGroup) {
		if p.n == 3 {
			close(release)
			a.writer.waitCommitted(2)
			if err := a.SetStatus(ctx, "ann", open, "resolved"); err != nil {
				t.Errorf("SetStatus: %v", err)
			}
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.Ingest(ctx, []model.Inbound{in(model.SMS, "+4915112345670", "Ann", "still there?")})
		done <- err
	}()
	<-planned
	r, err := a.Ingest(ctx, []model.Inbound{in(model.SMS, "+4915112345670", "Ann", "a new question")})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.NewTickets != 1 {
		t.Errorf("NewTickets = %d, want 1: the ticket was resolved before the snapshot", r.NewTickets)
	}
	if tk, err := a.Ticket(ctx, open); err != nil || tk.Status != model.StatusResolved {
		t.Errorf("resolved ticket is %s (%v): the stale overlay reopened it", tk.Status, err)
	}
	if n := a.writer.redone.Load(); n != 1 {
		t.Errorf("groups redone = %d, want 1", n)
	}
}

// Ingest calls racing the shutdown either get in before the writer drains
// its queue (and are answered) or are refused: none waits forever.
func TestIngestRacingShutdownIsAnswered(t *testing.T) {
	for round := range 20 {
		a, err := Open(filepath.Join(t.TempDir(), fmt.Sprintf("r%d.db", round)))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range 8 {
			m := in(model.SMS, fmt.Sprintf("+49151123456%02d", i), "Ann", "hi")
			wg.Add(1)
			go func() {
				defer wg.Done()
				a.Ingest(context.Background(), []model.Inbound{m})
			}()
		}
		a.Close()
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: an Ingest racing Close never returned", round)
		}
	}
}
