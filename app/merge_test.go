package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cxinbox/app/feed"
	"cxinbox/app/provider"
	"cxinbox/model"
)

// execSQL writes to the test database behind the app's back (a second
// connection): for what no API sets, like a CRM link or an updated_at.
func execSQL(t *testing.T, a *App, q string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+a.Path()+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// contactOf returns the live contact owning an identity value (or with that
// exact email/phone), failing unless there is exactly one.
func contactOf(t *testing.T, a *App, value string) int64 {
	t.Helper()
	cs, err := a.ListContacts(context.Background(), ContactPage{Search: value, Limit: 10})
	if err != nil || len(cs) != 1 {
		t.Fatalf("contacts with %q: %d (%v)", value, len(cs), err)
	}
	return cs[0].ID
}

// ticketOf returns the id of a contact's ticket on a channel.
func ticketOf(t *testing.T, a *App, contact int64, ch model.Channel) int64 {
	t.Helper()
	for _, tk := range must(a.ListTickets(context.Background(), TicketQuery{ContactID: contact, Limit: 100})) {
		if tk.Channel == ch {
			return tk.ID
		}
	}
	t.Fatalf("contact %d has no %s ticket", contact, ch)
	return 0
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func check(t *testing.T, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

type mergeFix struct{ keep, other, carl int64 }

// mergeFixture: Ana wrote by email (keep); a web-chat visitor filled in the
// form as "Ana S." with the same email and a phone (other, a potential
// duplicate of keep), and wrote again on Telegram once an agent added that
// identity; Carl shares other's phone. Both Anas have tags (one shared),
// notes, properties (plan conflicts), a ticket tag; other was updated last.
func mergeFixture(t *testing.T, a *App) mergeFix {
	t.Helper()
	ctx := context.Background()
	k1 := in(model.Email, "ana@example.com", "Ana Souza", "where is my order?")
	k1.Subject = "Order 17"
	k2 := in(model.Email, "ana@example.com", "Ana Souza", "any news?")
	k2.Subject, k2.InReplyTo = "Re: Order 17", []string{k1.MessageID}
	ingest(t, a, k1, k2)
	var f mergeFix
	f.keep = contactOf(t, a, "ana@example.com")
	ingest(t, a, chat("v-ana", model.StartedByVisitor, &model.Prechat{Name: "Ana S.", Email: "ana@example.com", Phone: "+4930901820", Company: "Acme GmbH"}))
	f.other = contactOf(t, a, "v-ana")
	_, err := a.AddIdentity(ctx, "ann", f.other, model.Telegram, "777")
	check(t, err)
	ingest(t, a, in(model.Telegram, "777", "Ana", "hello from telegram"))
	ingest(t, a, chat("v-carl", model.StartedByVisitor, &model.Prechat{Name: "Carl Berg", Phone: "+4930901820"}))
	f.carl = contactOf(t, a, "v-carl")
	check(t,
		a.TagContact(ctx, "ann", f.keep, "vip", true),
		a.TagContact(ctx, "ann", f.other, "VIP", true),
		a.TagContact(ctx, "bob", f.other, "billing", true),
		a.AddNote(ctx, "ann", f.keep, "called back"),
		a.AddNote(ctx, "bob", f.other, "prefers chat"),
		a.SetField(ctx, "ann", f.keep, "company", "Acme"),
		a.SetField(ctx, "ann", f.keep, "plan", "gold"),
		a.SetField(ctx, "bob", f.other, "plan", "silver"),
		a.SetField(ctx, "bob", f.other, "source", "ads"),
		a.TagTicket(ctx, "bob", ticketOf(t, a, f.other, model.Telegram), "refund", true, true),
	)
	execSQL(t, a, `UPDATE contacts SET updated_at = ? WHERE id = ?`, t0.Add(time.Hour).UnixMilli(), f.keep)
	execSQL(t, a, `UPDATE contacts SET updated_at = ? WHERE id = ?`, t0.Add(2*time.Hour).UnixMilli(), f.other)
	return f
}

// owned counts the rows of every table that belong to a contact.
func owned(t *testing.T, a *App, id int64) map[string]int {
	t.Helper()
	out := map[string]int{}
	for table, q := range map[string]string{
		"identities":   `SELECT COUNT(*) FROM identities WHERE contact_id = ?`,
		"tickets":      `SELECT COUNT(*) FROM tickets WHERE contact_id = ?`,
		"messages":     `SELECT COUNT(*) FROM messages WHERE ticket_id IN (SELECT id FROM tickets WHERE contact_id = ?)`,
		"ticket_tags":  `SELECT COUNT(*) FROM ticket_tags WHERE ticket_id IN (SELECT id FROM tickets WHERE contact_id = ?)`,
		"contact_tags": `SELECT COUNT(*) FROM contact_tags WHERE contact_id = ?`,
		"notes":        `SELECT COUNT(*) FROM notes WHERE contact_id = ?`,
		"properties":   `SELECT COUNT(*) FROM properties WHERE contact_id = ?`,
		"activity":     `SELECT COUNT(*) FROM activity WHERE contact_id = ?`,
		"open_pairs":   `SELECT COUNT(*) FROM potential_duplicates WHERE dismissed_at IS NULL AND ?1 IN (contact_a, contact_b)`,
		"dup_keys":     `SELECT COUNT(*) FROM dup_keys WHERE contact_id = ?`,
	} {
		n, _ := strconv.Atoi(query(t, a, q, id)[0])
		out[table] = n
	}
	return out
}

// tableSizes counts the rows of every table.
func tableSizes(t *testing.T, a *App) map[string]int {
	t.Helper()
	out := map[string]int{}
	for table, rows := range dumpDB(t, a) {
		out[table] = len(rows)
	}
	return out
}

func maxActivity(t *testing.T, a *App) int64 {
	t.Helper()
	n, _ := strconv.ParseInt(query(t, a, `SELECT COALESCE(MAX(id), 0) FROM activity`)[0], 10, 64)
	return n
}

func TestMergeMovesEverything(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	f := mergeFixture(t, a)
	keepBefore, otherBefore, carlBefore := owned(t, a, f.keep), owned(t, a, f.other), owned(t, a, f.carl)
	sizes := tableSizes(t, a)
	for _, k := range []string{"identities", "tickets", "messages", "ticket_tags", "contact_tags", "notes", "properties"} {
		if otherBefore[k] == 0 {
			t.Fatalf("the fixture gives contact %d no %s: %v", f.other, k, otherBefore)
		}
	}
	if len(pairsOf(t, a, f.other)) == 0 {
		t.Fatal("the fixture's two Anas are no potential duplicate")
	}
	otherKeys := query(t, a, `SELECT external_id FROM messages WHERE ticket_id IN (SELECT id FROM tickets WHERE contact_id = ?)`, f.other)
	mark := maxActivity(t, a)

	id, err := a.Merge(ctx, "carol", f.keep, f.other, map[string]int64{"company": f.keep})
	if err != nil {
		t.Fatal(err)
	}
	keepAfter, otherAfter := owned(t, a, f.keep), owned(t, a, f.other)
	for k, n := range otherAfter {
		if n != 0 {
			t.Errorf("merged-away contact still owns %d %s", n, k)
		}
	}
	// Activity: the merge wrote one "merged" row on keep, plus a row for
	// each new potential duplicate its re-check found.
	newDup, _ := strconv.Atoi(query(t, a, `SELECT COUNT(*) FROM activity WHERE id > ? AND contact_id = ? AND kind = ?`, mark, f.keep, model.ActPotentialDup)[0])
	want := map[string]int{
		"identities":   keepBefore["identities"] + otherBefore["identities"],
		"tickets":      keepBefore["tickets"] + otherBefore["tickets"],
		"messages":     keepBefore["messages"] + otherBefore["messages"],
		"ticket_tags":  keepBefore["ticket_tags"] + otherBefore["ticket_tags"],
		"notes":        keepBefore["notes"] + otherBefore["notes"],
		"contact_tags": 2, // vip (both) and billing
		"properties":   2, // plan (a conflict) and source
		"activity":     keepBefore["activity"] + otherBefore["activity"] + 1 + newDup,
	}
	for k, n := range want {
		if keepAfter[k] != n {
			t.Errorf("kept contact has %d %s after the merge, want %d (before: keep %d, other %d)", keepAfter[k], k, n, keepBefore[k], otherBefore[k])
		}
	}
	if keepAfter["dup_keys"] == 0 {
		t.Error("the kept contact left the blocking index")
	}
	// Whole tables: nothing is lost or duplicated, only re-pointed.
	after := tableSizes(t, a)
	for _, table := range []string{"contacts", "identities", "tickets", "messages", "ticket_tags", "notes", "tags"} {
		if after[table] != sizes[table] {
			t.Errorf("table %s: %d rows before, %d after", table, sizes[table], after[table])
		}
	}
	if after["contact_tags"] != sizes["contact_tags"]-1 || after["properties"] != sizes["properties"]-1 || after["merges"] != sizes["merges"]+1 {
		t.Errorf("contact_tags %d→%d (want -1: vip once), properties %d→%d (want -1: one plan), merges %d→%d",
			sizes["contact_tags"], after["contact_tags"], sizes["properties"], after["properties"], sizes["merges"], after["merges"])
	}
	for _, k := range otherKeys {
		owner := query(t, a, `SELECT t.contact_id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.external_id = ?`, k)
		if len(owner) != 1 || owner[0] != fmt.Sprint(f.keep) {
			t.Errorf("message %s belongs to %v after the merge", k, owner)
		}
	}
	// Carl's pair with other became a pair with keep (same phone).
	if carlAfter := owned(t, a, f.carl); carlAfter["open_pairs"] != carlBefore["open_pairs"] {
		t.Errorf("carl's open pairs %d → %d", carlBefore["open_pairs"], carlAfter["open_pairs"])
	}

	d, err := a.ContactDetails(ctx, f.keep)
	check(t, err)
	var merged *model.Activity
	for i := range d.Activity {
		if d.Activity[i].Kind == model.ActMerged {
			merged = &d.Activity[i]
		}
	}
	wantDetail := fmt.Sprintf("merged contact %d (Ana S.) into this one (merge %d): 2 identities, 2 tickets, 1 note, 1 tag, 2 properties, ", f.other, id)
	if merged == nil || merged.Agent != "carol" || !strings.HasPrefix(merged.Detail, wantDetail) ||
		!strings.HasSuffix(merged.Detail, fmt.Sprintf("; name, phone, country, timezone, property:plan from contact %d", f.other)) {
		t.Fatalf("merged activity: %+v\nwant %q… \"; name, phone, country, timezone, property:plan from contact %d\"", merged, wantDetail, f.other)
	}
	if d.Name != "Ana S." || d.Phone != "+4930901820" || d.Company != "Acme" || d.Properties["plan"] != "silver" || d.Properties["source"] != "ads" ||
		!slices.Equal(d.Tags, []string{"billing", "vip"}) || len(d.Notes) != 2 || len(d.Identities) != 3 {
		t.Fatalf("kept contact after the merge: %+v %v %v %v", d.Contact, d.Properties, d.Tags, d.Identities)
	}
	info, err := a.MergeInfo(ctx, id)
	check(t, err)
	if info.Kept != f.keep || info.Merged != f.other || info.Agent != "carol" || !info.UndoneAt.IsZero() ||
		!maps.Equal(info.Fields, map[string]int64{"name": f.other, "company": f.keep, "property:plan": f.other}) {
		t.Fatalf("merge info %+v", info)
	}
	if ms := must(a.Merges(ctx, f.other)); len(ms) != 1 || ms[0].ID != id {
		t.Fatalf("merges of the merged contact: %+v", ms)
	}
}

func TestMergeFieldChoices(t *testing.T) {
	ctx := context.Background()
	type contact struct {
		name      string
		generated bool
		fields    map[string]string
		unsub     bool
		updated   time.Duration // after t0
	}
	rows := []struct {
		name         string
		keep, other  contact
		choose       map[string]string // field → "keep" / "other"
		conflicts    map[string]string // field → default: "keep" / "other"
		wantName     string
		wantGen      bool
		wantFields   map[string]string
		wantUnsub    bool
		wantFromText string // in the merged activity row
	}{
		{
			name:       "the non-generated name wins even when the generated one is newer",
			keep:       contact{name: "Ana Souza", updated: time.Hour},
			other:      contact{name: "Rich Key", generated: true, updated: 2 * time.Hour},
			conflicts:  map[string]string{"name": "keep"},
			wantName:   "Ana Souza",
			wantFields: map[string]string{},
		},
		{
			name:         "a generated kept name gives way to the real one",
			keep:         contact{name: "Rich Key", generated: true, updated: 2 * time.Hour},
			other:        contact{name: "Ana Souza", updated: time.Hour},
			conflicts:    map[string]string{"name": "other"},
			wantName:     "Ana Souza",
			wantFields:   map[string]string{},
			wantFromText: "name from contact",
		},
		{
			name:       "an agent may keep the generated name",
			keep:       contact{name: "Rich Key", generated: true},
			other:      contact{name: "Ana Souza"},
			choose:     map[string]string{"name": "keep"},
			conflicts:  map[string]string{"name": "other"},
			wantName:   "Rich Key",
			wantGen:    true,
			wantFields: map[string]string{},
		},
		{
			name:       "the most recently updated contact's values by default",
			keep:       contact{name: "Ana Souza", fields: map[string]string{"company": "Acme", "country": "BR", "plan": "gold"}, updated: time.Hour},
			other:      contact{name: "Ana S.", fields: map[string]string{"company": "Acme GmbH", "country": "DE", "plan": "silver"}, updated: 2 * time.Hour},
			conflicts:  map[string]string{"name": "other", "company": "other", "country": "other", "property:plan": "other"},
			wantName:   "Ana S.",
			wantFields: map[string]string{"company": "Acme GmbH", "country": "DE", "plan": "silver"},
		},
		{
			name:       "explicit choices override the defaults, field by field",
			keep:       contact{name: "Ana Souza", fields: map[string]string{"company": "Acme", "country": "BR", "plan": "gold"}, updated: time.Hour},
			other:      contact{name: "Ana S.", fields: map[string]string{"company": "Acme GmbH", "country": "DE", "plan": "silver"}, updated: 2 * time.Hour},
			choose:     map[string]string{"Name": "keep", "property:plan": "keep", "country": "other"},
			conflicts:  map[string]string{"name": "other", "company": "other", "country": "other", "property:plan": "other"},
			wantName:   "Ana Souza",
			wantFields: map[string]string{"company": "Acme GmbH", "country": "DE", "plan": "gold"},
		},
		{
			name:       "an empty field takes the other value without asking; a choice on it changes nothing",
			keep:       contact{name: "Ana Souza", fields: map[string]string{"company": "", "timezone": "Europe/Berlin"}, updated: 2 * time.Hour},
			other:      contact{name: "Ana Souza", fields: map[string]string{"company": "Acme", "language": "pt-BR", "source": "ads"}, updated: time.Hour},
			choose:     map[string]string{"company": "keep"},
			conflicts:  map[string]string{},
			wantName:   "Ana Souza",
			wantFields: map[string]string{"company": "Acme", "timezone": "Europe/Berlin", "language": "pt-BR", "source": "ads"},
		},
		{
			name:       "unsubscribed on the merged contact: the kept one is unsubscribed",
			keep:       contact{name: "Ana Souza", updated: 2 * time.Hour},
			other:      contact{name: "Ana Souza", unsub: true, updated: time.Hour},
			conflicts:  map[string]string{},
			wantName:   "Ana Souza",
			wantFields: map[string]string{},
			wantUnsub:  true, wantFromText: "email_unsubscribed from contact",
		},
		{
			name:       "unsubscribed on the kept contact: stays unsubscribed",
			keep:       contact{name: "Ana Souza", unsub: true, updated: time.Hour},
			other:      contact{name: "Ana Souza", updated: 2 * time.Hour},
			conflicts:  map[string]string{},
			wantName:   "Ana Souza",
			wantFields: map[string]string{},
			wantUnsub:  true,
		},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			a := newTestApp(t)
			mk := func(i int, c contact) int64 {
				ingest(t, a, in(model.Telegram, fmt.Sprint(100+i), c.name, "hi"))
				id := contactOf(t, a, fmt.Sprint(100+i))
				for k, v := range c.fields {
					check(t, a.SetField(ctx, "ann", id, k, v))
				}
				if c.unsub {
					check(t, a.Unsubscribe(ctx, "ann", id))
				}
				execSQL(t, a, `UPDATE contacts SET name = ?, name_fold = ?, name_generated = ?, updated_at = ? WHERE id = ?`,
					c.name, model.Fold(c.name), c.generated, t0.Add(c.updated).UnixMilli(), id)
				return id
			}
			keep, other := mk(1, r.keep), mk(2, r.other)
			who := map[string]int64{"keep": keep, "other": other}
			plan, err := a.PlanMerge(ctx, keep, other)
			check(t, err)
			got := map[string]string{}
			for _, fc := range plan.Conflicts {
				got[fc.Field] = map[int64]string{keep: "keep", other: "other"}[fc.Default]
			}
			if !maps.Equal(got, r.conflicts) {
				t.Fatalf("conflicts and defaults %v, want %v (%+v)", got, r.conflicts, plan.Conflicts)
			}
			choose := map[string]int64{}
			for k, v := range r.choose {
				choose[k] = who[v]
			}
			id, err := a.Merge(ctx, "ann", keep, other, choose)
			check(t, err)
			d, err := a.ContactDetails(ctx, keep)
			check(t, err)
			if d.Name != r.wantName || d.NameGenerated != r.wantGen || d.EmailUnsubscribed != r.wantUnsub {
				t.Fatalf("name %q generated %v unsubscribed %v, want %q %v %v", d.Name, d.NameGenerated, d.EmailUnsubscribed, r.wantName, r.wantGen, r.wantUnsub)
			}
			for k, v := range r.wantFields {
				var have string
				if model.IsField(k) {
					have = d.Contact.Field(k)
				} else {
					have = d.Properties[k]
				}
				if have != v {
					t.Errorf("%s = %q, want %q", k, have, v)
				}
			}
			info := must(a.MergeInfo(ctx, id))
			if len(info.Fields) != len(r.conflicts) {
				t.Errorf("merge info fields %v, want one per conflict %v", info.Fields, r.conflicts)
			}
			if r.wantFromText != "" && !hasActivityDetail(d.Activity, model.ActMerged, r.wantFromText) {
				t.Errorf("no merged activity saying %q: %+v", r.wantFromText, d.Activity)
			}
		})
	}
}

func hasActivityDetail(acts []model.Activity, kind, part string) bool {
	for _, a := range acts {
		if a.Kind == kind && strings.Contains(a.Detail, part) {
			return true
		}
	}
	return false
}

func TestMergeRefusalsChangeNothing(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	f := mergeFixture(t, a)
	ingest(t, a, in(model.Telegram, "900", "Dora", "hi"), in(model.Telegram, "901", "Dora Two", "hi"))
	dora, dora2 := contactOf(t, a, "900"), contactOf(t, a, "901")
	merged, err := a.Merge(ctx, "ann", dora, dora2, nil)
	check(t, err)
	before := dumpDB(t, a)
	for _, c := range []struct {
		what        string
		keep, other int64
		choose      map[string]int64
		want        string
		notFound    bool
	}{
		{"itself", f.keep, f.keep, nil, fmt.Sprintf("contact %d cannot be merged with itself", f.keep), false},
		{"unknown kept contact", 9999, f.other, nil, "contact 9999 does not exist", true},
		{"unknown other contact", f.keep, 9999, nil, "contact 9999 does not exist", true},
		{"merged-away other", f.keep, dora2, nil, fmt.Sprintf("contact %d was already merged into contact %d (merge %d)", dora2, dora, merged), false},
		{"merged-away kept", dora2, f.keep, nil, fmt.Sprintf("contact %d was already merged into contact %d (merge %d)", dora2, dora, merged), false},
		{"unknown field", f.keep, f.other, map[string]int64{"shoe_size": f.keep}, `unknown field "shoe_size"`, false},
		{"a property named without its prefix", f.keep, f.other, map[string]int64{"plan": f.keep}, "did you mean property:plan?", false},
		{"a property neither has", f.keep, f.other, map[string]int64{"property:tier": f.keep}, `has a property "tier"`, false},
		{"unsubscribe is not a choice", f.keep, f.other, map[string]int64{"email_unsubscribed": f.keep}, "email_unsubscribed is not a choice", false},
		{"a contact that is neither", f.keep, f.other, map[string]int64{"name": f.carl}, fmt.Sprintf("contact %d is neither the kept contact %d nor the merged contact %d", f.carl, f.keep, f.other), false},
		{"the same field chosen both ways", f.keep, f.other, map[string]int64{"name": f.keep, "NAME": f.other}, "chosen twice", false},
	} {
		t.Run(c.what, func(t *testing.T) {
			_, err := a.Merge(ctx, "ann", c.keep, c.other, c.choose)
			if err == nil || !strings.Contains(err.Error(), c.want) || IsNotFound(err) != c.notFound {
				t.Fatalf("got %v, want an error containing %q (not found: %v)", err, c.want, c.notFound)
			}
			if c.choose == nil {
				if _, err := a.PlanMerge(ctx, c.keep, c.other); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("plan: got %v, want %q", err, c.want)
				}
			}
		})
	}
	err = a.Unmerge(ctx, "ann", 99)
	if !IsNotFound(err) || !strings.Contains(err.Error(), "merge 99 does not exist") {
		t.Fatalf("unknown merge: %v", err)
	}
	diffDumps(t, "refused merges", before, dumpDB(t, a))
	check(t, a.Unmerge(ctx, "ann", merged))
	if err := a.Unmerge(ctx, "ann", merged); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("merge %d was already undone at ", merged)) {
		t.Fatalf("second unmerge: %v", err)
	}
}

// activityRows reads the activity table up to an id, every column.
func activityRows(t *testing.T, a *App, upTo int64) []string {
	t.Helper()
	return query(t, a, `SELECT id || '|' || COALESCE(contact_id, '-') || '|' || COALESCE(ticket_id, '-') || '|' || kind || '|' || agent || '|' || detail || '|' || at
		FROM activity WHERE id <= ? ORDER BY id`, upTo)
}

// TestMergeUnmergeRestoresExactly: every row of every table is as before
// the merge, except the bookkeeping: the merges row, the change counter and
// the activity rows the merge and unmerge wrote (merged, potential_duplicate,
// unmerged), which stay as history.
func TestMergeUnmergeRestoresExactly(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	f := mergeFixture(t, a)
	// A dismissed pair and a CRM link belong to what must come back too.
	check(t, a.NotDuplicate(ctx, "ann", f.keep, f.carl))
	execSQL(t, a, `UPDATE contacts SET crm_id = 'hs-42' WHERE id = ?`, f.other)
	if len(pairsOf(t, a, f.carl)) == 0 {
		t.Fatal("carl and the web-chat Ana share a phone, yet are no pair")
	}
	before := dumpDB(t, a, "merges", "settings", "activity")
	mark := maxActivity(t, a)
	history := activityRows(t, a, mark)

	for round := range 2 { // merge → unmerge → the same merge again → unmerge
		id, err := a.Merge(ctx, "ann", f.keep, f.other, map[string]int64{"name": f.keep, "company": f.other})
		check(t, err)
		if mid := dumpDB(t, a, "merges", "settings", "activity"); !slicesDiffer(before, mid) {
			t.Fatal("the merge changed nothing")
		}
		if n := query(t, a, `SELECT COUNT(*) FROM crm_outbox WHERE kind = 'merge'`)[0]; n != "1" {
			t.Fatalf("crm outbox rows: %s", n)
		}
		check(t, a.Unmerge(ctx, "bob", id))
		diffDumps(t, fmt.Sprintf("round %d: merge then unmerge", round), before, dumpDB(t, a, "merges", "settings", "activity"))
		if got := activityRows(t, a, mark); !slices.Equal(got, history) {
			t.Fatalf("round %d: activity rows from before the merge changed:\n%q\n%q", round, history, got)
		}
		kinds := query(t, a, `SELECT kind FROM activity WHERE id > ? ORDER BY id`, mark)
		counts := map[string]int{}
		for _, k := range kinds {
			counts[k]++
		}
		if counts[model.ActMerged] != round+1 || counts[model.ActUnmerged] != 2*(round+1) || len(kinds) != counts[model.ActMerged]+counts[model.ActUnmerged]+counts[model.ActPotentialDup] {
			t.Fatalf("round %d: activity written by merge and unmerge: %v", round, kinds)
		}
		info := must(a.MergeInfo(ctx, id))
		if info.UndoneAt.IsZero() {
			t.Fatal("the merge is not marked undone")
		}
		// Both are separate, listed contacts again.
		if c := must(a.Contact(ctx, f.other)); c.ID != f.other || c.Name != "Ana S." {
			t.Fatalf("contact %d after unmerge: %+v", f.other, c.Contact)
		}
	}
	d := must(a.ContactDetails(ctx, f.other))
	if !hasActivityDetail(d.Activity, model.ActUnmerged, fmt.Sprintf("split back out of contact %d", f.keep)) {
		t.Fatalf("the unmerged contact's timeline: %+v", d.Activity)
	}
}

func slicesDiffer(a, b map[string][]string) bool {
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return true
		}
	}
	return len(a) != len(b)
}

func TestUnmergeRefusedAfterChange(t *testing.T) {
	ctx := context.Background()
	rows := []struct {
		name   string
		change func(t *testing.T, a *App, f mergeFix)
		want   string
	}{
		{"tag added", func(t *testing.T, a *App, f mergeFix) {
			check(t, a.TagContact(ctx, "ana", f.keep, "urgent", true))
		}, `tag added by ana at`},
		{"tag added through the merged-away id", func(t *testing.T, a *App, f mergeFix) {
			check(t, a.TagContact(ctx, "ana", f.other, "urgent", true))
		}, `tag added by ana at`},
		{"tag removed", func(t *testing.T, a *App, f mergeFix) {
			check(t, a.UntagContact(ctx, "ana", f.keep, "billing"))
		}, `tag removed by ana`},
		{"note added", func(t *testing.T, a *App, f mergeFix) {
			check(t, a.AddNote(ctx, "bob", f.keep, "merged, careful"))
		}, `note added by bob`},
		{"field changed", func(t *testing.T, a *App, f mergeFix) {
			check(t, a.SetField(ctx, "bob", f.keep, "company", "Acme Ltda"))
		}, `property changed by bob`},
		{"custom property changed", func(t *testing.T, a *App, f mergeFix) {
			check(t, a.SetField(ctx, "bob", f.keep, "plan", "platinum"))
		}, `property changed by bob`},
		{"ticket status changed", func(t *testing.T, a *App, f mergeFix) {
			check(t, a.SetStatus(ctx, "bob", ticketOf(t, a, f.keep, model.Telegram), "resolved"))
		}, `ticket status by bob`},
		{"new inbound message on a merged identity", func(t *testing.T, a *App, f mergeFix) {
			ingest(t, a, in(model.Telegram, "777", "Ana", "still there?"))
		}, `new inbound message on ticket #`},
		{"new inbound message on the kept contact's own identity", func(t *testing.T, a *App, f mergeFix) {
			m := in(model.Email, "ana@example.com", "Ana", "hello?")
			m.Subject = "Re: Order 17"
			ingest(t, a, m)
		}, `new inbound message on ticket #`},
		{"new ticket", func(t *testing.T, a *App, f mergeFix) {
			m := in(model.Email, "ana@example.com", "Ana", "another thing")
			m.Subject = "Invoice"
			ingest(t, a, m)
		}, `ticket created by the system`},
		{"a field changed without a timeline entry", func(t *testing.T, a *App, f mergeFix) {
			execSQL(t, a, `UPDATE contacts SET crm_id = 'zoho-1' WHERE id = ?`, f.keep)
		}, `crm_id changed`},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			a := newTestApp(t)
			f := mergeFixture(t, a)
			id, err := a.Merge(ctx, "ann", f.keep, f.other, nil)
			check(t, err)
			r.change(t, a, f)
			before := dumpDB(t, a)
			err = a.Unmerge(ctx, "ann", id)
			var refused *UnmergeRefusedError
			if !errors.As(err, &refused) || !strings.Contains(err.Error(), fmt.Sprintf("contact %d changed after merge %d: ", f.keep, id)) ||
				!strings.Contains(err.Error(), r.want) || !strings.HasSuffix(err.Error(), "unmerging would lose it") {
				t.Fatalf("unmerge after %s: %v; want it refused naming %q", r.name, err, r.want)
			}
			diffDumps(t, "refused unmerge", before, dumpDB(t, a))
		})
	}
	t.Run("a later merge of the kept contact must be undone first", func(t *testing.T) {
		a := newTestApp(t)
		f := mergeFixture(t, a)
		before := dumpDB(t, a, "merges", "settings", "activity")
		first := must(a.Merge(ctx, "ann", f.keep, f.other, nil))
		second := must(a.Merge(ctx, "ann", f.carl, f.keep, nil))
		err := a.Unmerge(ctx, "ann", first)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("contact %d was merged into contact %d after merge %d (merge %d): undo merge %d first", f.keep, f.carl, first, second, second)) {
			t.Fatalf("got %v", err)
		}
		check(t, a.Unmerge(ctx, "ann", second), a.Unmerge(ctx, "ann", first))
		diffDumps(t, "two merges undone in turn", before, dumpDB(t, a, "merges", "settings", "activity"))
	})
	t.Run("a later merge into the kept contact must be undone first", func(t *testing.T) {
		a := newTestApp(t)
		f := mergeFixture(t, a)
		first := must(a.Merge(ctx, "ann", f.keep, f.other, nil))
		second := must(a.Merge(ctx, "ann", f.keep, f.carl, nil))
		err := a.Unmerge(ctx, "ann", first)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("contact %d took in contact %d after merge %d (merge %d): undo merge %d first", f.keep, f.carl, first, second, second)) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestIncomingOnMergedIdentityLandsOnKept(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	f := mergeFixture(t, a)
	_, err := a.Merge(ctx, "ann", f.keep, f.other, nil)
	check(t, err)
	contactsBefore := len(contacts(t, a))
	for _, ev := range []provider.Event{
		{Channel: model.Telegram, Body: provider.TelegramBody(provider.TelegramMsg{UpdateID: 9001, MessageID: 501, FromID: 777,
			FirstName: "Ana", Text: "me again, on Telegram", SentAt: t0.Add(48 * time.Hour)})},
		{Channel: model.WebChat, Body: provider.WebChatBody(provider.WebChatMsg{VisitorID: "v-ana", MessageID: "wc-9002",
			Text: "me again, in the chat", StartedBy: model.StartedByVisitor, SentAt: t0.Add(49 * time.Hour)})},
	} {
		msgs, err := provider.Parse(ev.Channel, ev.Body)
		check(t, err)
		r := ingest(t, a, msgs...)
		if r.NewContacts != 0 || r.Messages != 1 {
			t.Fatalf("%s event: %+v", ev.Channel, r)
		}
		owner := query(t, a, `SELECT t.contact_id FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.external_id = ?`, msgs[0].Key())
		if len(owner) != 1 || owner[0] != fmt.Sprint(f.keep) {
			t.Fatalf("%s message landed on contact %v, want the kept contact %d", ev.Channel, owner, f.keep)
		}
	}
	if n := len(contacts(t, a)); n != contactsBefore {
		t.Fatalf("%d contacts, was %d", n, contactsBefore)
	}
}

func TestMergedAwayIDResolves(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	f := mergeFixture(t, a)
	countBefore := must(a.store.CountContacts(ctx))
	_, err := a.Merge(ctx, "ann", f.keep, f.other, nil)
	check(t, err)
	c, err := a.Contact(ctx, f.other)
	if err != nil || c.ID != f.keep {
		t.Fatalf("contact %d → %d (%v), want the kept %d", f.other, c.ID, err, f.keep)
	}
	d := must(a.ContactDetails(ctx, f.other))
	if d.ID != f.keep || len(d.Tickets) != 3 || len(d.Notes) != 2 || d.Properties["source"] != "ads" || !hasActivity(d.Activity, model.ActMerged, "ann") {
		t.Fatalf("details of the merged-away id: %+v tickets %d notes %d %v", d.Contact, len(d.Tickets), len(d.Notes), d.Properties)
	}
	// Writes through the old id land on the kept contact.
	check(t, a.TagContact(ctx, "ann", f.other, "late", true), a.AddNote(ctx, "ann", f.other, "via old id"),
		a.SetField(ctx, "ann", f.other, "lead_stage", "customer"))
	k := must(a.ContactDetails(ctx, f.keep))
	if !slices.Contains(k.Tags, "late") || len(k.Notes) != 3 || k.LeadStage != model.StageCustomer {
		t.Fatalf("writes through the merged-away id: %v %d %s", k.Tags, len(k.Notes), k.LeadStage)
	}
	if o := owned(t, a, f.other); o["contact_tags"]+o["notes"]+o["activity"] != 0 {
		t.Fatalf("the merged-away row got writes: %v", o)
	}
	// Lists, search and counts skip it; search by its old identity finds keep.
	for _, c := range contacts(t, a) {
		if c.ID == f.other {
			t.Fatal("the merged-away contact is still listed")
		}
	}
	if got := contactOf(t, a, "v-ana"); got != f.keep {
		t.Fatalf("search by the merged identity: %d", got)
	}
	if n := must(a.store.CountContacts(ctx)); n != countBefore-1 {
		t.Fatalf("count %d, was %d", n, countBefore)
	}
	// Chains: keep merged into carl → the first id resolves to carl.
	_, err = a.Merge(ctx, "ann", f.carl, f.keep, nil)
	check(t, err)
	if c := must(a.Contact(ctx, f.other)); c.ID != f.carl {
		t.Fatalf("chain: %d resolves to %d, want %d", f.other, c.ID, f.carl)
	}
	if err := a.TagContact(ctx, "ann", 9999, "x", true); !IsNotFound(err) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestMergeCRMOutbox(t *testing.T) {
	ctx := context.Background()
	outbox := func(t *testing.T, a *App) []string {
		return query(t, a, `SELECT contact_id || ' ' || kind || ' ' || state || ' ' || detail FROM crm_outbox ORDER BY id`)
	}
	for _, c := range []struct {
		name            string
		keepCRM, othCRM string
	}{{"kept contact linked", "hs-1", ""}, {"merged contact linked", "", "hs-2"}, {"both linked", "hs-1", "hs-2"}, {"neither", "", ""}} {
		t.Run(c.name, func(t *testing.T) {
			a := newTestApp(t)
			f := mergeFixture(t, a)
			execSQL(t, a, `UPDATE contacts SET crm_id = ? WHERE id = ?`, c.keepCRM, f.keep)
			execSQL(t, a, `UPDATE contacts SET crm_id = ? WHERE id = ?`, c.othCRM, f.other)
			id := must(a.Merge(ctx, "ann", f.keep, f.other, nil))
			rows := outbox(t, a)
			if c.keepCRM == "" && c.othCRM == "" {
				if len(rows) != 0 {
					t.Fatalf("no CRM link, yet the outbox holds %q", rows)
				}
				return
			}
			detail, _ := json.Marshal(map[string]any{"kept": f.keep, "kept_crm_id": c.keepCRM, "merge_id": id, "merged": f.other, "merged_crm_id": c.othCRM})
			if want := fmt.Sprintf("%d merge pending %s", f.keep, detail); len(rows) != 1 || rows[0] != want {
				t.Fatalf("outbox %q, want %q", rows, want)
			}
			// Not taken by the sync yet: unmerge drops it.
			check(t, a.Unmerge(ctx, "ann", id))
			if rows := outbox(t, a); len(rows) != 0 {
				t.Fatalf("after unmerge the outbox holds %q", rows)
			}
			// Taken by the sync (carried out and deleted): unmerge refuses.
			id = must(a.Merge(ctx, "ann", f.keep, f.other, nil))
			execSQL(t, a, `DELETE FROM crm_outbox`)
			err := a.Unmerge(ctx, "ann", id)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("merge %d was already passed to the CRM", id)) {
				t.Fatalf("unmerge after the CRM carried it out: %v", err)
			}
		})
	}
}

// TestMergeRacesLiveIngest merges (and unmerges) contacts while a goroutine
// ingests feed events: no message is lost and every identity, ticket, note,
// tag and property ends on exactly one live contact.
func TestMergeRacesLiveIngest(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	fd := feed.New(11)
	var keys sync.Map
	parse := func(n int) [][]model.Inbound {
		var out [][]model.Inbound
		for range n {
			ev := fd.Next()
			msgs, err := provider.Parse(ev.Channel, ev.Body)
			if err != nil {
				t.Fatalf("feed event: %v", err)
			}
			for i := range msgs {
				keys.Store(msgs[i].Key(), true)
			}
			out = append(out, msgs)
		}
		return out
	}
	for _, msgs := range parse(150) {
		if len(msgs) > 0 {
			ingest(t, a, msgs...)
		}
	}
	live := parse(400)
	done := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		for len(live) > 0 {
			n := min(len(live), 1+rng.IntN(4))
			var msgs []model.Inbound
			for _, m := range live[:n] {
				msgs = append(msgs, m...)
			}
			live = live[n:]
			if len(msgs) == 0 {
				continue
			}
			if _, err := a.Ingest(ctx, msgs); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	rng := rand.New(rand.NewPCG(3, 4))
	merges, unmerges := 0, 0
	var ingestErr error
loop:
	for {
		select {
		case ingestErr = <-done:
			break loop
		default:
		}
		cs := contacts(t, a)
		if len(cs) < 2 {
			continue
		}
		i, j := rng.IntN(len(cs)), rng.IntN(len(cs))
		if i == j {
			continue
		}
		id, err := a.Merge(ctx, "ann", cs[i].ID, cs[j].ID, nil)
		if err != nil {
			t.Fatalf("merge %d ← %d: %v", cs[i].ID, cs[j].ID, err)
		}
		merges++
		if rng.IntN(3) == 0 {
			var refused *UnmergeRefusedError
			if err := a.Unmerge(ctx, "ann", id); err == nil {
				unmerges++
			} else if !errors.As(err, &refused) {
				t.Fatalf("unmerge %d: %v", id, err)
			}
		}
	}
	if ingestErr != nil {
		t.Fatal(ingestErr)
	}
	if merges < 5 {
		t.Fatalf("only %d merges ran beside the ingest", merges)
	}
	t.Logf("%d merges, %d unmerged, beside %d ingested events", merges, unmerges, 400)
	var want []string
	keys.Range(func(k, _ any) bool { want = append(want, k.(string)); return true })
	slices.Sort(want)
	got := query(t, a, `SELECT external_id FROM messages WHERE direction = 'in' ORDER BY external_id`)
	if !slices.Equal(got, want) {
		t.Fatalf("%d inbound messages stored, %d ingested", len(got), len(want))
	}
	for what, q := range map[string]string{
		"identities":   `SELECT COUNT(*) FROM identities i JOIN contacts c ON c.id = i.contact_id WHERE c.merged_into IS NOT NULL`,
		"tickets":      `SELECT COUNT(*) FROM tickets i JOIN contacts c ON c.id = i.contact_id WHERE c.merged_into IS NOT NULL`,
		"notes":        `SELECT COUNT(*) FROM notes i JOIN contacts c ON c.id = i.contact_id WHERE c.merged_into IS NOT NULL`,
		"contact_tags": `SELECT COUNT(*) FROM contact_tags i JOIN contacts c ON c.id = i.contact_id WHERE c.merged_into IS NOT NULL`,
		"properties":   `SELECT COUNT(*) FROM properties i JOIN contacts c ON c.id = i.contact_id WHERE c.merged_into IS NOT NULL`,
		"activity":     `SELECT COUNT(*) FROM activity i JOIN contacts c ON c.id = i.contact_id WHERE c.merged_into IS NOT NULL`,
		"open pairs":   `SELECT COUNT(*) FROM potential_duplicates p JOIN contacts c ON c.id IN (p.contact_a, p.contact_b) WHERE c.merged_into IS NOT NULL AND p.dismissed_at IS NULL`,
		"dup keys":     `SELECT COUNT(*) FROM dup_keys i JOIN contacts c ON c.id = i.contact_id WHERE c.merged_into IS NOT NULL`,
		"messages":     `SELECT COUNT(*) FROM messages WHERE ticket_id NOT IN (SELECT id FROM tickets)`,
		"dangling":     `SELECT COUNT(*) FROM pragma_foreign_key_check`,
	} {
		if n := query(t, a, q)[0]; n != "0" {
			t.Errorf("%s: %s rows on a merged-away contact or dangling", what, n)
		}
	}
	if ok, err := a.store.IntegrityCheck(); err != nil || ok != "ok" {
		t.Fatalf("integrity: %s %v", ok, err)
	}
}
