package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"cxinbox/model"
)

// dumpDB reads every row of every table straight from the file (not through
// the code under test), rows sorted, leaving out the tables named in skip.
func dumpDB(t *testing.T, a *App, skip ...string) map[string][]string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+a.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		if !slices.Contains(skip, n) {
			tables = append(tables, n)
		}
	}
	rows.Close()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%s=%v ", cols[i], v)
			}
			out[table] = append(out[table], b.String())
		}
		rows.Close()
		sort.Strings(out[table])
	}
	return out
}

func diffDumps(t *testing.T, what string, before, after map[string][]string) {
	t.Helper()
	for table, rows := range before {
		if !reflect.DeepEqual(rows, after[table]) {
			t.Errorf("%s: table %s changed:\nbefore %d rows %q\nafter  %d rows %q", what, table,
				len(rows), clipRows(rows), len(after[table]), clipRows(after[table]))
		}
	}
	for table := range after {
		if _, ok := before[table]; !ok {
			t.Errorf("%s: table %s appeared", what, table)
		}
	}
}

func clipRows(rows []string) []string {
	if len(rows) > 6 {
		return rows[:6]
	}
	return rows
}

// query runs one SQL query on the file and returns the first column of
// every row as strings.
func query(t *testing.T, a *App, q string, args ...any) []string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+a.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v.String)
	}
	return out
}

// batchFixture: 8 contacts on two channels, a second message in some
// tickets, tags on tickets and contacts, a note. Returns the ticket ids in
// inbox order.
func batchFixture(t *testing.T, a *App) []int64 {
	t.Helper()
	ctx := context.Background()
	var msgs []model.Inbound
	for i := range 8 {
		ch, sender := model.Email, fmt.Sprintf("p%d@example.com", i)
		if i%2 == 1 {
			ch, sender = model.Telegram, fmt.Sprint(1000+i)
		}
		msgs = append(msgs, in(ch, sender, fmt.Sprintf("Person %d", i), "first"))
		if i%3 == 0 {
			msgs = append(msgs, in(ch, sender, fmt.Sprintf("Person %d", i), "second"))
		}
	}
	ingest(t, a, msgs...)
	tks, err := a.ListTickets(ctx, TicketQuery{Limit: 100})
	if err != nil || len(tks) != 8 {
		t.Fatalf("%d tickets, %v", len(tks), err)
	}
	ids := make([]int64, len(tks))
	for i, tk := range tks {
		ids[i] = tk.ID
	}
	if err := a.BatchTag(ctx, "ann", ids[:3], "vip", true); err != nil {
		t.Fatal(err)
	}
	if err := a.TagTicket(ctx, "ann", ids[1], "refund", true, true); err != nil {
		t.Fatal(err)
	}
	if err := a.TagContact(ctx, "ann", tks[0].ContactID, "vip", true); err != nil {
		t.Fatal(err)
	}
	if err := a.AddNote(ctx, "ann", tks[0].ContactID, "called back"); err != nil {
		t.Fatal(err)
	}
	if err := a.BatchEdit(ctx, "ann", ids[2:4], TicketEdit{Status: ptr("pending"), Assignee: ptr("bob")}); err != nil {
		t.Fatal(err)
	}
	return ids
}

func ptr[T any](v T) *T { return &v }

func changeSeq(t *testing.T, a *App) int64 {
	t.Helper()
	v, err := a.store.ChangeSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func activityCount(t *testing.T, a *App, kind, detailLike string) int {
	t.Helper()
	return len(query(t, a, `SELECT id FROM activity WHERE kind = ? AND detail LIKE ?`, kind, detailLike))
}

// TestBatchTrashRestoreKeepsEverything: delete then restore a batch leaves
// every ticket, message and tag (and everything else but the activity log
// and the change counter) exactly as it was.
func TestBatchTrashRestoreKeepsEverything(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	ids := batchFixture(t, a)
	before := dumpDB(t, a, "activity", "settings")
	batch := ids[:6]
	seq := changeSeq(t, a)
	if err := a.BatchTrash(ctx, "ann", batch, true); err != nil {
		t.Fatal(err)
	}
	if got := changeSeq(t, a); got != seq+1 {
		t.Fatalf("trashing %d tickets took %d transactions", len(batch), got-seq)
	}
	live, _ := a.TicketIDs(ctx, TicketQuery{}, 0)
	trash, _ := a.TicketIDs(ctx, TicketQuery{Trash: true}, 0)
	if !slices.Equal(live, ids[6:]) || !slices.Equal(trash, batch) {
		t.Fatalf("after trash: live %v, trash %v", live, trash)
	}
	if n := activityCount(t, a, model.ActTicketStatus, "%moved to the trash"); n != len(batch) {
		t.Fatalf("%d trash activity rows for %d tickets", n, len(batch))
	}
	// Trashing again changes nothing and writes nothing.
	if err := a.BatchTrash(ctx, "ann", batch[:2], true); err != nil {
		t.Fatal(err)
	}
	if n := activityCount(t, a, model.ActTicketStatus, "%moved to the trash"); n != len(batch) {
		t.Fatalf("re-trash wrote activity: %d rows", n)
	}
	if err := a.BatchTrash(ctx, "bob", batch, false); err != nil {
		t.Fatal(err)
	}
	if n := activityCount(t, a, model.ActTicketStatus, "%restored from the trash"); n != len(batch) {
		t.Fatalf("%d restore activity rows for %d tickets", n, len(batch))
	}
	diffDumps(t, "trash then restore", before, dumpDB(t, a, "activity", "settings"))
	if live, _ := a.TicketIDs(ctx, TicketQuery{}, 0); !slices.Equal(live, ids) {
		t.Fatalf("after restore: live %v, want %v", live, ids)
	}
}

// TestBatchUnknownIDChangesNothing: one unknown id refuses the whole batch,
// naming it, and not a byte changes (activity and change counter included).
func TestBatchUnknownIDChangesNothing(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	ids := batchFixture(t, a)
	if err := a.BatchTrash(ctx, "ann", ids[7:], true); err != nil {
		t.Fatal(err)
	}
	before := dumpDB(t, a)
	withBad := append(slices.Clone(ids), 424242)
	for name, run := range map[string]func() error{
		"status": func() error { return a.BatchStatus(ctx, "ann", withBad, "resolved") },
		"assign": func() error { return a.BatchAssign(ctx, "ann", withBad, "carol") },
		"edit": func() error {
			return a.BatchEdit(ctx, "ann", withBad, TicketEdit{Status: ptr("closed"), Assignee: ptr("")})
		},
		"tag":     func() error { return a.BatchTag(ctx, "ann", withBad, "brand new tag", true) },
		"trash":   func() error { return a.BatchTrash(ctx, "ann", withBad, true) },
		"restore": func() error { return a.BatchTrash(ctx, "ann", withBad, false) },
		"purge":   func() error { return a.Purge(ctx, "ann", []int64{ids[7], 424242}) },
	} {
		err := run()
		if err == nil || !IsNotFound(err) || err.Error() != "ticket 424242 does not exist: not found" {
			t.Errorf("%s with an unknown id: %v", name, err)
		}
	}
	err := a.BatchTrash(ctx, "ann", []int64{ids[0], 7001, 7002}, true)
	if err == nil || !IsNotFound(err) || !strings.Contains(err.Error(), "tickets 7001, 7002 do not exist") {
		t.Errorf("two unknown ids: %v", err)
	}
	if err := a.BatchStatus(ctx, "ann", ids, "sleeping"); err == nil || !strings.Contains(err.Error(), "sleeping") {
		t.Errorf("bad status: %v", err)
	}
	if err := a.BatchTag(ctx, "ann", ids, "not in the list", false); err == nil || !strings.Contains(err.Error(), "not in the tag list") {
		t.Errorf("unknown tag without create: %v", err)
	}
	diffDumps(t, "refused batches", before, dumpDB(t, a))
}

func TestBatchEditAndTag(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	ids := batchFixture(t, a)
	changes, stop := a.Subscribe()
	defer stop()
	seq := changeSeq(t, a)
	statusBefore := activityCount(t, a, model.ActTicketStatus, "%")
	if err := a.BatchStatus(ctx, "ann", append(ids, ids[0]), "resolved"); err != nil { // a repeated id counts once
		t.Fatal(err)
	}
	// ids[2:4] were pending (fixture), the rest open: every one changes once.
	if n := activityCount(t, a, model.ActTicketStatus, "%→ resolved"); n != len(ids) {
		t.Fatalf("%d status rows for %d tickets", n, len(ids))
	}
	select {
	case ch := <-changes:
		if !slices.Equal(ch.TicketIDs, ids) || len(ch.ContactIDs) != 8 {
			t.Fatalf("change published: %+v", ch)
		}
	case <-time.After(time.Second):
		t.Fatal("no change published")
	}
	if err := a.BatchStatus(ctx, "ann", ids, "resolved"); err != nil {
		t.Fatal(err)
	}
	if n := activityCount(t, a, model.ActTicketStatus, "%"); n != statusBefore+len(ids) {
		t.Fatalf("setting the same status again wrote activity (%d rows)", n-statusBefore)
	}
	if err := a.BatchAssign(ctx, "ann", ids[:5], " dave "); err != nil {
		t.Fatal(err)
	}
	if err := a.BatchTag(ctx, "ann", ids[:5], "  Follow   up ", true); err != nil {
		t.Fatal(err)
	}
	if got := changeSeq(t, a); got != seq+4 {
		t.Fatalf("4 batch actions took %d transactions", got-seq)
	}
	// ids[2:4] were assigned to bob, the others to nobody: 5 assignments.
	if n := activityCount(t, a, model.ActTicketAssigned, `%→ "dave"`); n != 5 {
		t.Fatalf("%d assignment rows", n)
	}
	// ids[0..2] already had vip; "Follow up" is new on all 5.
	if n := activityCount(t, a, model.ActTicketTagAdded, "%Follow up"); n != 5 {
		t.Fatalf("%d tag rows", n)
	}
	if err := a.BatchTag(ctx, "ann", ids[:5], "follow up", false); err != nil { // existing tag, any case
		t.Fatal(err)
	}
	if n := activityCount(t, a, model.ActTicketTagAdded, "%Follow up"); n != 5 {
		t.Fatalf("re-tagging wrote activity: %d rows", n)
	}
	tks, _ := a.ListTickets(ctx, TicketQuery{Limit: 100})
	for i, tk := range tks {
		wantAssignee := ""
		if i < 5 {
			wantAssignee = "dave"
		}
		if tk.Status != model.StatusResolved || tk.Assignee != wantAssignee || slices.Contains(tk.Tags, "Follow up") != (i < 5) {
			t.Errorf("ticket %d (#%d): %s %q %v", tk.ID, i, tk.Status, tk.Assignee, tk.Tags)
		}
	}
	// Every row names its agent, ticket and contact.
	if rows := query(t, a, `SELECT id FROM activity WHERE kind IN ('ticket_status', 'ticket_assigned', 'ticket_tag_added')
		AND (agent = '' OR ticket_id IS NULL OR contact_id IS NULL)`); len(rows) != 0 {
		t.Fatalf("%d batch activity rows without agent, ticket or contact", len(rows))
	}
	if err := a.BatchEdit(ctx, "ann", ids, TicketEdit{}); err == nil {
		t.Fatal("an edit of nothing was accepted")
	}
	if err := a.BatchTrash(ctx, "ann", nil, true); err != nil {
		t.Fatalf("an empty batch: %v", err)
	}
}

func TestPurge(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	ids := batchFixture(t, a)
	victim, other := ids[1], ids[0] // both tagged; victim has two messages and two tags
	tk, _ := a.Ticket(ctx, victim)
	before := dumpDB(t, a)

	// Live tickets are refused by id, alone or among trashed ones.
	if err := a.Purge(ctx, "ann", []int64{victim}); err == nil ||
		err.Error() != fmt.Sprintf("ticket %d is not in the trash: only tickets in the trash can be purged", victim) {
		t.Fatalf("purge of a live ticket: %v", err)
	}
	if err := a.BatchTrash(ctx, "ann", []int64{victim}, true); err != nil {
		t.Fatal(err)
	}
	if err := a.Purge(ctx, "ann", []int64{victim, other, ids[2]}); err == nil ||
		!strings.Contains(err.Error(), fmt.Sprintf("tickets %d, %d are not in the trash", other, ids[2])) {
		t.Fatalf("purge of trashed and live tickets: %v", err)
	}
	if _, err := a.Ticket(ctx, victim); err != nil {
		t.Fatalf("a refused purge erased the ticket: %v", err)
	}

	actsBefore := query(t, a, `SELECT id FROM activity WHERE ticket_id = ?`, victim)
	msgs, _ := a.Messages(ctx, victim)
	if len(actsBefore) < 3 || len(msgs) != 2 {
		t.Fatalf("fixture: %d activity rows, %d messages", len(actsBefore), len(msgs))
	}
	changes, stop := a.Subscribe()
	defer stop()
	if err := a.Purge(ctx, "ann", []int64{victim}); err != nil {
		t.Fatal(err)
	}
	select {
	case ch := <-changes:
		if !slices.Equal(ch.TicketIDs, []int64{victim}) || !slices.Equal(ch.ContactIDs, []int64{tk.ContactID}) {
			t.Fatalf("change published: %+v", ch)
		}
	case <-time.After(time.Second):
		t.Fatal("no change published")
	}
	if _, err := a.Ticket(ctx, victim); !IsNotFound(err) {
		t.Fatalf("purged ticket still readable: %v", err)
	}
	if m, _ := a.Messages(ctx, victim); len(m) != 0 {
		t.Fatalf("purged ticket's messages remain: %d", len(m))
	}
	if n := query(t, a, `SELECT tag_id FROM ticket_tags WHERE ticket_id = ?`, victim); len(n) != 0 {
		t.Fatalf("purged ticket's tags remain")
	}
	// Its activity rows stay, detached, and a purge row joins the timeline.
	for _, id := range actsBefore {
		if got := query(t, a, `SELECT ticket_id FROM activity WHERE id = ?`, id); len(got) != 1 || got[0] != "" {
			t.Fatalf("activity row %s after purge: %v", id, got)
		}
	}
	acts, _ := a.store.ActivityOf(ctx, tk.ContactID, 0, 0)
	last := acts[len(acts)-1]
	if last.Kind != ActTicketPurged || last.Agent != "ann" || last.TicketID != 0 ||
		!strings.Contains(last.Detail, fmt.Sprintf("ticket #%d", victim)) || !strings.Contains(last.Detail, "2 message") {
		t.Fatalf("purge activity: %+v", last)
	}
	if fk := query(t, a, `SELECT "table" FROM pragma_foreign_key_check`); len(fk) != 0 {
		t.Fatalf("foreign key violations after purge: %v", fk)
	}
	// Nothing else went: every other row of every table is still there.
	after := dumpDB(t, a)
	for table, rows := range before {
		var keep []string
		for _, r := range rows {
			switch {
			case table == "activity" || table == "settings":
				continue // checked above / the change counter
			case table == "tickets" && strings.HasPrefix(r, fmt.Sprintf("id=%d ", victim)),
				table == "messages" && strings.Contains(r, fmt.Sprintf(" ticket_id=%d ", victim)),
				table == "ticket_tags" && strings.HasPrefix(r, fmt.Sprintf("ticket_id=%d ", victim)):
				continue
			}
			keep = append(keep, r)
		}
		if table == "activity" || table == "settings" {
			continue
		}
		if !reflect.DeepEqual(keep, after[table]) {
			t.Errorf("purge changed table %s beyond the ticket:\nwant %q\ngot  %q", table, clipRows(keep), clipRows(after[table]))
		}
	}
	if c, _ := a.Contact(ctx, tk.ContactID); c.ID != tk.ContactID {
		t.Fatalf("the purged ticket's contact is gone")
	}
	if tags, _ := a.store.Tags(ctx); !slices.Contains(tags, "vip") || !slices.Contains(tags, "refund") {
		t.Fatalf("tag catalogue after purge: %v", tags)
	}
	if err := a.Purge(ctx, "ann", []int64{victim}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("purging it twice: %v", err)
	}
}
