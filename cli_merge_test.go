package main

// End-to-end tests of `contacts merge` and `contacts unmerge`.

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cxinbox/app"
)

func TestCLIMergeUnmerge(t *testing.T) {
	r := newRunner(t)
	db, _ := r.ingested()
	var pairs []struct{ A, B int64 }
	r.runJSON(&pairs, "--db", db, "contacts", "duplicates", "--json")
	if len(pairs) < 2 {
		t.Fatalf("the fixture holds %d potential duplicate pairs, want 2 or more", len(pairs))
	}
	keep, other := pairs[0].A, pairs[0].B
	k, o := strconv.FormatInt(keep, 10), strconv.FormatInt(other, 10)
	list := func() []app.ContactJSON {
		var cs []app.ContactJSON
		r.runJSON(&cs, "--db", db, "contacts", "list", "--json")
		return cs
	}
	before := list()
	otherBefore, _ := showContact(r, db, other)

	// Bad input: a clear message, a non-zero exit, nothing changed.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"contacts", "merge", k, k}, "cannot be merged with itself"},
		{[]string{"contacts", "merge", k, "999999"}, "contact 999999 does not exist"},
		{[]string{"contacts", "merge", k, o, "--field", "name"}, "want FIELD=ID"},
		{[]string{"contacts", "merge", k, o, "--field", "name=nobody"}, `"nobody" is not a contact id`},
		{[]string{"contacts", "merge", k, o, "--field", "name=999999"}, "contact 999999 is neither the kept contact"},
		{[]string{"contacts", "merge", k, o, "--field", "shoe_size=keep"}, `unknown field "shoe_size"`},
		{[]string{"contacts", "merge", k, "x"}, "x"},
		{[]string{"contacts", "unmerge", "999"}, "merge 999 does not exist"},
		{[]string{"contacts", "unmerge", "x"}, "x"},
	} {
		res := r.fail(append([]string{"--db", db}, c.args...)...)
		if !strings.Contains(res.stderr, c.want) || res.stdout != "" {
			t.Errorf("%v: stderr %q (want %q), stdout %q", c.args, res.stderr, c.want, res.stdout)
		}
	}
	if after := list(); !slices.EqualFunc(before, after, func(a, b app.ContactJSON) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
		t.Fatal("refused commands changed the contacts")
	}

	// --dry-run shows the conflicts and changes nothing.
	var plan map[string]json.RawMessage
	r.runJSON(&plan, "--db", db, "contacts", "merge", k, o, "--dry-run", "--json")
	checkObject(t, "merge --dry-run --json", mustJSON(t, plan), map[string]kind{"kept": kInt, "merged": kInt, "conflicts": kArray}, nil)
	for i, c := range checkArray(t, "conflicts", plan["conflicts"]) {
		checkObject(t, fmt.Sprintf("conflicts[%d]", i), c, map[string]kind{"field": kString, "keep_value": kString,
			"other_value": kString, "default": kInt, "chosen": kInt}, nil)
	}

	// merge --json: the documented shape; the merged id now shows the kept contact.
	var got map[string]json.RawMessage
	r.runJSON(&got, "--db", db, "contacts", "merge", k, o, "--field", "name=other", "--json")
	checkObject(t, "merge --json", mustJSON(t, got), map[string]kind{"merge_id": kInt, "kept": kInt, "merged": kInt, "fields": kObject}, nil)
	var res struct {
		MergeID int64            `json:"merge_id"`
		Kept    int64            `json:"kept"`
		Merged  int64            `json:"merged"`
		Fields  map[string]int64 `json:"fields"`
	}
	json.Unmarshal(mustJSON(t, got), &res)
	if res.Kept != keep || res.Merged != other || res.MergeID <= 0 {
		t.Fatalf("merge --json: %+v", res)
	}
	if who, ok := res.Fields["name"]; ok && who != other {
		t.Fatalf("--field name=other: the name came from %d", who)
	}
	shown, _ := showContact(r, db, other)
	if shown.ID != keep || !slices.ContainsFunc(shown.Activity, func(a app.ActivityJSON) bool { return a.Kind == "merged" }) {
		t.Fatalf("contacts show %d after the merge: id %d, activity %+v", other, shown.ID, shown.Activity)
	}
	for _, id := range otherBefore.Identities {
		if !slices.Contains(shown.Identities, id) {
			t.Errorf("identity %v did not move to the kept contact", id)
		}
	}
	if slices.ContainsFunc(list(), func(c app.ContactJSON) bool { return c.ID == other }) {
		t.Fatal("the merged-away contact is still listed")
	}
	if again := r.fail("--db", db, "contacts", "merge", k, o); !strings.Contains(again.stderr, fmt.Sprintf("contact %d was already merged into contact %d (merge %d)", other, keep, res.MergeID)) {
		t.Fatalf("merging a merged-away contact again: %q", again.stderr)
	}

	// unmerge: both contacts are back as they were.
	un := r.run("--db", db, "contacts", "unmerge", strconv.FormatInt(res.MergeID, 10))
	if un.stdout != "" || !strings.Contains(un.stderr, "separate again") {
		t.Fatalf("unmerge: %s", un)
	}
	restored, _ := showContact(r, db, other)
	if restored.ID != other || fmt.Sprint(restored.ContactJSON) != fmt.Sprint(otherBefore.ContactJSON) || len(restored.Tickets) != len(otherBefore.Tickets) {
		t.Fatalf("after unmerge:\n%+v\nbefore:\n%+v", restored.ContactJSON, otherBefore.ContactJSON)
	}
	if twice := r.fail("--db", db, "contacts", "unmerge", strconv.FormatInt(res.MergeID, 10)); !strings.Contains(twice.stderr, "already undone") {
		t.Fatalf("second unmerge: %q", twice.stderr)
	}

	// Without --json the merge id alone goes to stdout, for scripts; a change
	// after the merge makes unmerge refuse with the reason.
	text := r.run("--db", db, "contacts", "merge", k, o)
	id, err := strconv.ParseInt(strings.TrimSpace(text.stdout), 10, 64)
	if err != nil || id <= res.MergeID || !strings.Contains(text.stderr, "contacts unmerge "+strconv.FormatInt(id, 10)) {
		t.Fatalf("merge without --json: %s", text)
	}
	r.run("--db", db, "contacts", "tag", o, "merged-vip")
	refused := r.fail("--db", db, "contacts", "unmerge", strconv.FormatInt(id, 10))
	if !strings.Contains(refused.stderr, fmt.Sprintf("contact %d changed after merge %d: tag added by tester", keep, id)) {
		t.Fatalf("unmerge after a change: %q", refused.stderr)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
