package main

// End-to-end tests of agents, views and the batch ticket commands (issue 4),
// on the binary TestMain builds.

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cxinbox/app"
)

var (
	agentKeys = map[string]kind{"name": kString, "admin": kBool, "created_at": kTime, "ssh_keys": kArray}
	viewKeys  = map[string]kind{"id": kInt, "name": kString, "owner": kString, "public": kBool, "position": kInt,
		"match": kString, "expr": kString, "conditions": kArray, "created_at": kTime, "updated_at": kTime}
	conditionKeys = map[string]kind{"field": kString, "operator": kString, "value": kString}
)

func checkView(t *testing.T, what string, raw json.RawMessage) {
	t.Helper()
	obj := checkObject(t, what, raw, viewKeys, nil)
	if v, ok := obj["conditions"]; ok && kindOf(v) == kArray {
		for i, c := range checkArray(t, what+".conditions", v) {
			checkObject(t, fmt.Sprintf("%s.conditions[%d]", what, i), c, conditionKeys, nil)
		}
	}
}

// as runs cxinbox as an agent.
func (r *runner) as(agent string, args ...string) result {
	r.t.Helper()
	return r.run(append([]string{"--agent", agent}, args...)...)
}

func (r *runner) failAs(agent string, args ...string) result {
	r.t.Helper()
	return r.fail(append([]string{"--agent", agent}, args...)...)
}

func (r *runner) viewsOf(db, agent string) []app.ViewJSON {
	r.t.Helper()
	var vs []app.ViewJSON
	r.runJSON(&vs, "--db", db, "--agent", agent, "views", "list", "--json")
	return vs
}

func (r *runner) ticketList(db string, args ...string) []app.TicketJSON {
	r.t.Helper()
	var ts []app.TicketJSON
	r.runJSON(&ts, append([]string{"--db", db, "tickets", "list", "--json"}, args...)...)
	return ts
}

func ticketIDs(ts []app.TicketJSON) []int64 {
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func idArgs(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}

func TestCLIAgents(t *testing.T) {
	r := newRunner(t)
	db := t.TempDir() + "/cx.db"
	res := r.run("--db", db, "agents", "list", "--json")
	if strings.TrimSpace(res.stdout) != "[]" {
		t.Fatalf("agents list on a new database: %s", res)
	}
	r.run("--db", db, "agents", "add", "ann", "--admin")
	r.run("--db", db, "agents", "add", "bob")
	if res := r.fail("--db", db, "agents", "add", "bob"); !strings.Contains(res.stderr, `agent "bob" already exists`) {
		t.Fatalf("adding bob twice: %s", res)
	}
	if res := r.fail("--db", db, "agents", "add", " "); !strings.Contains(res.stderr, "agent name is empty") {
		t.Fatalf("blank agent name: %s", res)
	}
	res = r.run("--db", db, "agents", "list", "--json")
	raws := checkArray(t, "agents list --json", []byte(res.stdout))
	for i, raw := range raws {
		checkObject(t, fmt.Sprintf("agents[%d]", i), raw, agentKeys, nil)
	}
	var ags []app.Agent
	json.Unmarshal([]byte(res.stdout), &ags)
	if len(ags) != 2 || ags[0].Name != "ann" || !ags[0].Admin || ags[1].Name != "bob" || ags[1].Admin {
		t.Fatalf("agents: %+v", ags)
	}
	r.run("--db", db, "agents", "add", "bob", "--admin") // promotes
	r.runJSON(&ags, "--db", db, "agents", "list", "--json")
	if !ags[1].Admin {
		t.Fatalf("bob not promoted: %+v", ags)
	}
	// Creating a view registers the agent (CXINBOX_AGENT=tester here); a
	// refused one registers no one.
	r.fail("--db", db, "views", "create", "--name", "Bad", "--cond", "status is open", "--expr", "1 or")
	r.fail("--db", db, "views", "create", "--name", " ")
	r.runJSON(&ags, "--db", db, "agents", "list", "--json")
	if len(ags) != 2 {
		t.Fatalf("a refused view registered its agent: %+v", ags)
	}
	r.run("--db", db, "views", "create", "--name", "All")
	r.runJSON(&ags, "--db", db, "agents", "list", "--json")
	if len(ags) != 3 || ags[2].Name != "tester" || ags[2].Admin {
		t.Fatalf("agents after tester's first view: %+v", ags)
	}
}

func TestCLIViews(t *testing.T) {
	r := newRunner(t)
	db, _ := r.ingested()
	all := r.ticketList(db)

	// Create: prints the id; a bad expression saves nothing.
	res := r.as("ann", "--db", db, "views", "create", "--name", "Email A", "--cond", "channel is email", "--cond", "contact_name contains a")
	private, err := strconv.ParseInt(strings.TrimSpace(res.stdout), 10, 64)
	if err != nil {
		t.Fatalf("views create printed %q, want the id", res.stdout)
	}
	res = r.as("ann", "--db", db, "views", "create", "--name", "Team, mixed", "--public",
		"--cond", "channel is whatsapp", "--cond", "channel is sms", "--cond", "status is open", "--expr", "(1 OR 2) and 3")
	public, _ := strconv.ParseInt(strings.TrimSpace(res.stdout), 10, 64)
	for _, bad := range [][]string{
		{"--cond", "channel is email", "--expr", "1 and (2"},
		{"--cond", "channel is email", "--expr", "(1"},
		{"--match", "expr", "--expr", "1"},
		{"--cond", "channel is email", "--match", "expr"},
	} {
		res := r.failAs("ann", append([]string{"--db", db, "views", "create", "--name", "Bad"}, bad...)...)
		if !strings.HasPrefix(res.stderr, "cxinbox: Invalid logical expression") || res.stdout != "" {
			t.Errorf("views create %v: %s", bad, res)
		}
	}
	if res := r.failAs("ann", "--db", db, "views", "create", "--name", "Bad", "--cond", "shoe_size is 9"); !strings.Contains(res.stderr, "shoe_size") {
		t.Errorf("unknown field: %s", res)
	}
	if res := r.failAs("ann", "--db", db, "views", "create", "--name", "email a", "--cond", "channel is sms"); !strings.Contains(res.stderr, "already has a view named") {
		t.Errorf("duplicate name: %s", res)
	}

	// List: the JSON shape, and who sees what.
	res = r.as("ann", "--db", db, "views", "list", "--json")
	raws := checkArray(t, "views list --json", []byte(res.stdout))
	if len(raws) != 2 {
		t.Fatalf("ann sees %d views, want 2 (bad ones saved?): %s", len(raws), res.stdout)
	}
	for i, raw := range raws {
		checkView(t, fmt.Sprintf("views[%d]", i), raw)
	}
	anns := r.viewsOf(db, "ann")
	want := app.ViewJSON{ID: public, Name: "Team, mixed", Owner: "ann", Public: true, Position: 2, Match: "expr", Expr: "(1 OR 2) and 3"}
	got := anns[1]
	got.Conditions, got.CreatedAt, got.UpdatedAt = nil, want.CreatedAt, want.UpdatedAt
	if !reflect.DeepEqual(got, want) || len(anns[1].Conditions) != 3 || anns[1].Conditions[2].Op != "is" || anns[1].Conditions[2].Value != "open" {
		t.Fatalf("ann's public view: %+v", anns[1])
	}
	if anns[0].ID != private || anns[0].Public || anns[0].Match != "all" || anns[0].Expr != "" || anns[0].Position != 1 {
		t.Fatalf("ann's private view: %+v", anns[0])
	}
	bobs := r.viewsOf(db, "bob")
	if len(bobs) != 1 || bobs[0].ID != public || bobs[0].Position != 1 {
		t.Fatalf("bob sees %+v, want only the public view", bobs)
	}
	var shown app.ViewJSON
	r.runJSON(&shown, "--db", db, "--agent", "bob", "views", "show", "team, MIXED", "--json")
	checkView(t, "views show --json", []byte(r.as("bob", "--db", db, "views", "show", strconv.FormatInt(public, 10), "--json").stdout))
	if shown.ID != public {
		t.Fatalf("bob shows the public view by name: %+v", shown)
	}

	// Bob cannot reach ann's private view in any way: the same error as a
	// view that does not exist.
	pid := strconv.FormatInt(private, 10)
	for _, args := range [][]string{
		{"views", "show", pid}, {"views", "show", "Email A"}, {"views", "delete", pid}, {"views", "edit", pid, "--name", "x"},
		{"tickets", "list", "--view", pid}, {"tickets", "list", "--view", "email a", "--json"},
	} {
		res := r.failAs("bob", append([]string{"--db", db}, args...)...)
		ref := args[2]
		if args[0] == "tickets" {
			ref = args[3]
		}
		if res.stderr != "cxinbox: no such view: "+ref+"\n" || res.stdout != "" {
			t.Errorf("bob %v: %s", args, res)
		}
	}
	if res := r.failAs("bob", "--db", db, "views", "show", "999"); res.stderr != "cxinbox: no such view: 999\n" {
		t.Errorf("missing view: %s", res)
	}
	// The public view is bob's to read, not to change.
	refusal := fmt.Sprintf("cxinbox: view %d belongs to ann: only ann or an admin can change it\n", public)
	if res := r.failAs("bob", "--db", db, "views", "delete", strconv.FormatInt(public, 10)); res.stderr != refusal {
		t.Errorf("bob deletes ann's public view: %s", res)
	}
	if res := r.failAs("bob", "--db", db, "views", "edit", "Team, mixed", "--private"); res.stderr != refusal {
		t.Errorf("bob edits ann's public view: %s", res)
	}

	// tickets list --view and ad hoc --cond agree, and match the rule.
	byView := r.as("bob", "--db", db, "tickets", "list", "--view", "Team, mixed", "--json").stdout
	var viewTickets []app.TicketJSON
	json.Unmarshal([]byte(byView), &viewTickets)
	adHoc := r.ticketList(db, "--cond", "channel is whatsapp", "--cond", "channel is sms", "--cond", "status is open", "--expr", "(1 or 2) and 3")
	var wantIDs []int64
	for _, tk := range all {
		if (tk.Channel == "whatsapp" || tk.Channel == "sms") && tk.Status == "open" {
			wantIDs = append(wantIDs, tk.ID)
		}
	}
	if len(wantIDs) == 0 || !slices.Equal(ticketIDs(viewTickets), wantIDs) || !slices.Equal(ticketIDs(adHoc), wantIDs) {
		t.Fatalf("--view gave %d tickets, --cond %d, want %d", len(viewTickets), len(adHoc), len(wantIDs))
	}
	mine := r.as("ann", "--db", db, "tickets", "list", "--view", "email a", "--json").stdout
	var mineTickets []app.TicketJSON
	json.Unmarshal([]byte(mine), &mineTickets)
	for _, tk := range mineTickets {
		if tk.Channel != "email" || !strings.Contains(strings.ToLower(tk.ContactName), "a") {
			t.Errorf("view %q listed ticket %d (%s, %q)", "Email A", tk.ID, tk.Channel, tk.ContactName)
		}
	}
	if len(mineTickets) == 0 {
		t.Errorf("view Email A lists nothing")
	}
	either := r.ticketList(db, "--cond", "channel is whatsapp", "--cond", "channel is sms", "--match", "any")
	if len(either) == 0 {
		t.Errorf("--match any listed nothing")
	}
	for _, tk := range either {
		if tk.Channel != "whatsapp" && tk.Channel != "sms" {
			t.Errorf("--match any listed a %s ticket", tk.Channel)
		}
	}
	for _, bad := range [][]string{
		{"--cond", "channel is email", "--expr", "1 or"},
		{"--view", "Team, mixed", "--cond", "channel is sms"},
		{"--cond", "channel is pigeon"},
		{"--cond", "channel is sms", "--match", "most"},
		{"--cond", "channel is sms", "--match", "all", "--expr", "1"},
	} {
		if res := r.fail(append([]string{"--db", db, "tickets", "list"}, bad...)...); res.stdout != "" || res.stderr == "" {
			t.Errorf("tickets list %v: %s", bad, res)
		}
	}
	if res := r.fail("--db", db, "tickets", "list", "--cond", "channel is email", "--expr", "1 or"); !strings.HasPrefix(res.stderr, "cxinbox: Invalid logical expression") {
		t.Errorf("ad hoc bad expression: %s", res)
	}

	// An admin edits ann's public view; ann edits and deletes her own.
	r.run("--db", db, "agents", "add", "carol", "--admin")
	// --cond replaces the conditions; the match stays unless given, so the old
	// expression over three conditions no longer fits one.
	if res := r.failAs("carol", "--db", db, "views", "edit", strconv.FormatInt(public, 10), "--cond", "channel is sms"); !strings.Contains(res.stderr, "Invalid logical expression: condition 2 does not exist") {
		t.Errorf("edit leaving a stale expression: %s", res)
	}
	r.as("carol", "--db", db, "views", "edit", strconv.FormatInt(public, 10), "--name", "Team", "--cond", "channel is sms", "--match", "all")
	r.runJSON(&shown, "--db", db, "--agent", "bob", "views", "show", "Team", "--json")
	if shown.Owner != "ann" || shown.Name != "Team" || len(shown.Conditions) != 1 || shown.Match != "all" || shown.Expr != "" || !shown.Public {
		t.Fatalf("after carol's edit: %+v", shown)
	}
	if res := r.failAs("carol", "--db", db, "views", "edit", "Team", "--match", "expr", "--expr", "1 and 2"); !strings.HasPrefix(res.stderr, "cxinbox: Invalid logical expression") {
		t.Errorf("edit with a bad expression: %s", res)
	}
	r.as("ann", "--db", db, "views", "delete", "Email A")
	if vs := r.viewsOf(db, "ann"); len(vs) != 1 || vs[0].ID != public {
		t.Fatalf("after delete ann sees %+v", vs)
	}
	if res := r.failAs("ann", "--db", db, "views", "show", pid); res.stderr != "cxinbox: no such view: "+pid+"\n" {
		t.Errorf("deleted view: %s", res)
	}
}

func TestCLITicketBatch(t *testing.T) {
	r := newRunner(t)
	db, _ := r.ingested()
	all := r.ticketList(db)
	if len(all) < 10 {
		t.Fatalf("fixture has %d tickets", len(all))
	}
	picked := ticketIDs(all[2:6])
	args := idArgs(picked)
	before := map[int64]app.TicketJSON{}
	for _, tk := range all {
		before[tk.ID] = tk
	}

	// edit and tag
	r.as("ann", append([]string{"--db", db, "tickets", "edit", "--status", "pending", "--assignee", "bob"}, args...)...)
	r.as("ann", append([]string{"--db", db, "tickets", "tag", "Needs review"}, args...)...)
	r.as("ann", append([]string{"--db", db, "tickets", "tag", "needs review"}, args[:1]...)...) // already there
	for _, tk := range r.ticketList(db) {
		in := slices.Contains(picked, tk.ID)
		if in != (tk.Status == "pending" && tk.Assignee == "bob" && slices.Equal(tk.Tags, []string{"Needs review"})) {
			t.Errorf("ticket %d (picked %v) after edit and tag: %s %q %v", tk.ID, in, tk.Status, tk.Assignee, tk.Tags)
		}
	}
	edited := r.ticketList(db)
	if n := len(r.ticketList(db, "--cond", "ticket_tag is needs review", "--cond", "assignee is BOB")); n != len(picked) {
		t.Errorf("filter on the new tag and assignee finds %d tickets", n)
	}
	r.as("ann", "--db", db, "tickets", "edit", "--assignee=", args[0])
	if tk := r.ticketList(db, "--cond", "assignee is bob"); len(tk) != len(picked)-1 {
		t.Errorf("--assignee= did not unassign: %d still bob's", len(tk))
	}
	r.as("ann", "--db", db, "tickets", "edit", "--assignee", "bob", args[0])
	if res := r.fail("--db", db, "tickets", "edit", args[0]); !strings.Contains(res.stderr, "nothing to change") {
		t.Errorf("edit without a change: %s", res)
	}

	// One unknown id: the whole command is refused and nothing changes.
	for _, cmd := range [][]string{
		{"tickets", "delete"}, {"tickets", "restore"}, {"tickets", "tag", "x"}, {"tickets", "edit", "--status", "closed"}, {"tickets", "purge"},
	} {
		res := r.fail(append(append([]string{"--db", db}, cmd...), args[0], "99999")...)
		if res.stderr != "cxinbox: ticket 99999 does not exist: not found\n" {
			t.Errorf("%v with an unknown id: %s", cmd, res)
		}
	}
	if got := r.ticketList(db); !reflect.DeepEqual(got, edited) {
		t.Fatalf("a refused batch changed the tickets")
	}

	// delete → trash → restore: every ticket as it was.
	r.as("ann", append([]string{"--db", db, "tickets", "delete"}, args...)...)
	live := r.ticketList(db)
	var trash []app.TicketJSON
	r.runJSON(&trash, "--db", db, "tickets", "trash", "--json")
	if len(live) != len(all)-len(picked) || !slices.Equal(ticketIDs(trash), picked) {
		t.Fatalf("after delete: %d live, trash %v", len(live), ticketIDs(trash))
	}
	var trash2 []app.TicketJSON
	r.runJSON(&trash2, "--db", db, "tickets", "list", "--trash", "--json")
	if !reflect.DeepEqual(trash, trash2) {
		t.Fatalf("tickets trash and tickets list --trash differ")
	}
	if res := r.fail("--db", db, "tickets", "purge", strconv.FormatInt(all[0].ID, 10)); !strings.Contains(res.stderr,
		fmt.Sprintf("ticket %d is not in the trash: only tickets in the trash can be purged", all[0].ID)) {
		t.Fatalf("purge of a live ticket: %s", res)
	}
	r.as("bob", append([]string{"--db", db, "tickets", "restore"}, args...)...)
	if got := r.ticketList(db); !reflect.DeepEqual(got, edited) {
		t.Fatalf("delete then restore changed the tickets")
	}
	if res := r.run("--db", db, "tickets", "trash", "--json"); strings.TrimSpace(res.stdout) != "[]" {
		t.Fatalf("trash after restore: %s", res.stdout)
	}

	// purge from the trash: gone, its contact and the timeline stay.
	victim := before[picked[0]]
	r.as("ann", "--db", db, "tickets", "delete", args[0])
	r.as("ann", "--db", db, "tickets", "purge", args[0])
	if res := r.run("--db", db, "tickets", "trash", "--json"); strings.TrimSpace(res.stdout) != "[]" {
		t.Fatalf("trash after purge: %s", res.stdout)
	}
	if got := r.ticketList(db); len(got) != len(all)-1 || slices.Contains(ticketIDs(got), victim.ID) {
		t.Fatalf("after purge: %d tickets", len(got))
	}
	d, raw := showContact(r, db, victim.ContactID)
	checkDetails(t, []byte(raw))
	kinds := activityKinds(d)
	if kinds["ticket_purged"] != 1 || kinds["ticket_status"] < 4 || kinds["ticket_assigned"] < 1 || kinds["ticket_tag_added"] < 1 {
		t.Fatalf("timeline of the purged ticket's contact: %v", kinds)
	}
	if res := r.fail("--db", db, "tickets", "restore", args[0]); !strings.Contains(res.stderr, "does not exist") {
		t.Fatalf("restore after purge: %s", res)
	}
}
