package main

// End-to-end tests of the command line: TestMain builds the real binary once
// and every test runs it, each on a fresh database.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cxinbox/app"
)

// cxinboxBin is the binary under test.
var cxinboxBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cxinbox-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cxinboxBin = filepath.Join(dir, "cxinbox")
	if out, err := exec.Command("go", "build", "-o", cxinboxBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runner runs the binary for one test, with a private XDG_DATA_HOME so a
// forgotten --db can never touch the real default database.
type runner struct {
	t   *testing.T
	xdg string
}

func newRunner(t *testing.T) *runner {
	t.Parallel()
	return &runner{t: t, xdg: t.TempDir()}
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, clip(r.stdout), clip(r.stderr))
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// exec runs cxinbox with args; env adds KEY=VALUE entries; stdin may be nil.
func (r *runner) exec(stdin io.Reader, env []string, args ...string) result {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cxinboxBin, args...)
	cmd.Env = append(r.baseEnv(), env...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ctx.Err() != nil {
			r.t.Fatalf("cxinbox %s: %v (%v)\n%s", strings.Join(args, " "), err, ctx.Err(), res)
		}
		res.code = ee.ExitCode()
	}
	return res
}

func (r *runner) baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CXINBOX_") && !strings.HasPrefix(kv, "XDG_DATA_HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "XDG_DATA_HOME="+r.xdg, "CXINBOX_AGENT=tester")
}

// run runs cxinbox and fails the test unless it exits 0.
func (r *runner) run(args ...string) result {
	r.t.Helper()
	res := r.exec(nil, nil, args...)
	if res.code != 0 {
		r.t.Fatalf("cxinbox %s: %s", strings.Join(args, " "), res)
	}
	return res
}

// runJSON runs cxinbox and decodes its stdout into v.
func (r *runner) runJSON(v any, args ...string) {
	r.t.Helper()
	res := r.run(args...)
	if err := json.Unmarshal([]byte(res.stdout), v); err != nil {
		r.t.Fatalf("cxinbox %s: stdout is not the JSON expected: %v\n%s", strings.Join(args, " "), err, res)
	}
}

// fail runs cxinbox expecting a non-zero exit and returns the result.
func (r *runner) fail(args ...string) result {
	r.t.Helper()
	res := r.exec(nil, nil, args...)
	if res.code == 0 {
		r.t.Fatalf("cxinbox %s succeeded, want an error:\n%s", strings.Join(args, " "), res)
	}
	return res
}

// The standard fixture: 300 events of seed 3, generated once per test run.
var (
	feedOnce sync.Once
	feed300  []byte
	feedErr  error
)

func feedFile(t *testing.T) string {
	t.Helper()
	feedOnce.Do(func() {
		var out, errb bytes.Buffer
		cmd := exec.Command(cxinboxBin, "feed", "--count", "300", "--seed", "3")
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			feedErr = fmt.Errorf("feed: %v: %s", err, errb.String())
		}
		feed300 = out.Bytes()
	})
	if feedErr != nil {
		t.Fatal(feedErr)
	}
	p := filepath.Join(t.TempDir(), "feed.jsonl")
	if err := os.WriteFile(p, feed300, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// summary is the parsed text summary of `ingest`.
type summary struct {
	Events, NewContacts, NewTickets, Messages, Duplicates, PotentialDuplicates, Rejected int
}

var summaryRE = regexp.MustCompile(`^events (\d+), new contacts (\d+), new tickets (\d+), messages (\d+), duplicates ignored (\d+), potential duplicates (\d+), rejected (\d+) \(\d+\.\ds\)\n$`)

func parseSummary(t *testing.T, stdout string) summary {
	t.Helper()
	m := summaryRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("ingest summary %q does not have the documented form", stdout)
	}
	n := make([]int, len(m)-1)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return summary{n[0], n[1], n[2], n[3], n[4], n[5], n[6]}
}

// ingested returns a fresh database holding the standard fixture, and the
// ingest summary.
func (r *runner) ingested() (string, summary) {
	r.t.Helper()
	db := filepath.Join(r.t.TempDir(), "cx.db")
	res := r.run("--db", db, "ingest", feedFile(r.t))
	return db, parseSummary(r.t, res.stdout)
}

// ---- JSON shape checking, independent of the Go types that produce it ----

type kind string

const (
	kInt    kind = "integer"
	kString kind = "string"
	kBool   kind = "boolean"
	kTime   kind = "RFC 3339 time string"
	kArray  kind = "array"
	kObject kind = "object"
	kNumber kind = "number" // integer or not
)

var (
	contactKeys = map[string]kind{"id": kInt, "name": kString, "name_generated": kBool, "lead_stage": kString,
		"email": kString, "phone": kString, "company": kString, "country": kString, "timezone": kString,
		"language": kString, "email_unsubscribed": kBool, "identities": kArray, "tags": kArray,
		"potential_duplicates": kArray, "created_at": kTime}
	identityKeys = map[string]kind{"channel": kString, "value": kString}
	ticketKeys   = map[string]kind{"id": kInt, "contact_id": kInt, "contact_name": kString, "channel": kString,
		"status": kString, "subject": kString, "preview": kString, "assignee": kString, "proactive": kBool,
		"tags": kArray, "created_at": kTime, "last_message_at": kTime}
	detailsKeys = merge(contactKeys, map[string]kind{"properties": kObject, "notes": kArray, "tickets": kArray, "activity": kArray})
	noteKeys    = map[string]kind{"author": kString, "body": kString, "at": kTime}
	activityKey = map[string]kind{"kind": kString, "at": kTime, "agent": kString, "detail": kString}
	channels    = []string{"email", "sms", "whatsapp", "facebook", "instagram", "telegram", "webchat"}
)

func merge(a, b map[string]kind) map[string]kind {
	out := map[string]kind{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func kindOf(raw json.RawMessage) kind {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "":
		return "nothing"
	case s[0] == '"':
		return kString
	case s == "true" || s == "false":
		return kBool
	case s[0] == '[':
		return kArray
	case s[0] == '{':
		return kObject
	case s == "null":
		return "null"
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return kInt
	}
	return kNumber
}

func isKind(raw json.RawMessage, want kind) bool {
	got := kindOf(raw)
	if want == kNumber {
		return got == kInt || got == kNumber
	}
	if want != kTime {
		return got == want
	}
	var s string
	if got != kString || json.Unmarshal(raw, &s) != nil {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// checkObject checks that raw is an object with exactly the keys of want
// (plus those of optional, if present), each of the stated kind.
func checkObject(t *testing.T, what string, raw json.RawMessage, want, optional map[string]kind) map[string]json.RawMessage {
	t.Helper()
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatalf("%s: not a JSON object: %v: %s", what, err, clip(string(raw)))
	}
	for k, kd := range want {
		v, ok := obj[k]
		if !ok {
			t.Errorf("%s: key %q is missing", what, k)
		} else if !isKind(v, kd) {
			t.Errorf("%s: %q is %s, want a %s", what, k, v, kd)
		}
	}
	for k, v := range obj {
		if _, ok := want[k]; ok {
			continue
		}
		if kd, ok := optional[k]; ok {
			if !isKind(v, kd) {
				t.Errorf("%s: %q is %s, want a %s", what, k, v, kd)
			}
			continue
		}
		t.Errorf("%s: undocumented key %q", what, k)
	}
	return obj
}

func checkArray(t *testing.T, what string, raw json.RawMessage) []json.RawMessage {
	t.Helper()
	var arr []json.RawMessage
	if kindOf(raw) != kArray || json.Unmarshal(raw, &arr) != nil {
		t.Fatalf("%s: not a JSON array: %s", what, clip(string(raw)))
	}
	return arr
}

func checkElems(t *testing.T, what string, raw json.RawMessage, want kind) {
	t.Helper()
	for i, e := range checkArray(t, what, raw) {
		if !isKind(e, want) {
			t.Errorf("%s[%d] is %s, want a %s", what, i, e, want)
		}
	}
}

func checkContact(t *testing.T, what string, raw json.RawMessage, keys map[string]kind) map[string]json.RawMessage {
	t.Helper()
	obj := checkObject(t, what, raw, keys, nil)
	if v, ok := obj["identities"]; ok && kindOf(v) == kArray {
		for i, id := range checkArray(t, what+".identities", v) {
			checkObject(t, fmt.Sprintf("%s.identities[%d]", what, i), id, identityKeys, nil)
		}
	}
	if v, ok := obj["tags"]; ok && kindOf(v) == kArray {
		checkElems(t, what+".tags", v, kString)
	}
	if v, ok := obj["potential_duplicates"]; ok && kindOf(v) == kArray {
		checkElems(t, what+".potential_duplicates", v, kInt)
	}
	return obj
}

func checkTicket(t *testing.T, what string, raw json.RawMessage) {
	t.Helper()
	obj := checkObject(t, what, raw, ticketKeys, nil)
	if v, ok := obj["tags"]; ok && kindOf(v) == kArray {
		checkElems(t, what+".tags", v, kString)
	}
}

func checkDetails(t *testing.T, raw []byte) {
	t.Helper()
	obj := checkContact(t, "contacts show", raw, detailsKeys)
	if v, ok := obj["properties"]; ok && kindOf(v) == kObject {
		var props map[string]json.RawMessage
		json.Unmarshal(v, &props)
		for k, pv := range props {
			if !isKind(pv, kString) {
				t.Errorf("contacts show: properties[%q] is %s, want a string", k, pv)
			}
		}
	}
	if v, ok := obj["notes"]; ok {
		for i, n := range checkArray(t, "contacts show: notes", v) {
			checkObject(t, fmt.Sprintf("contacts show: notes[%d]", i), n, noteKeys, nil)
		}
	}
	if v, ok := obj["tickets"]; ok {
		for i, tk := range checkArray(t, "contacts show: tickets", v) {
			checkTicket(t, fmt.Sprintf("contacts show: tickets[%d]", i), tk)
		}
	}
	if v, ok := obj["activity"]; ok {
		for i, a := range checkArray(t, "contacts show: activity", v) {
			checkObject(t, fmt.Sprintf("contacts show: activity[%d]", i), a, activityKey, map[string]kind{"ticket_id": kInt})
		}
	}
}

// ---- the tests ----

func TestCLIFeedJSONL(t *testing.T) {
	r := newRunner(t)
	first := r.run("feed", "--count", "300", "--seed", "3")
	lines := strings.SplitAfter(first.stdout, "\n")
	if last := lines[len(lines)-1]; last != "" {
		t.Fatalf("output does not end in a newline: …%q", last)
	}
	lines = lines[:len(lines)-1]
	if len(lines) != 300 {
		t.Fatalf("feed --count 300 wrote %d lines", len(lines))
	}
	seen := map[string]int{}
	for i, l := range lines {
		var ev map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %d is not a JSON object: %v: %s", i+1, err, clip(l))
		}
		if len(ev) != 2 || ev["channel"] == nil || ev["body"] == nil {
			t.Fatalf("line %d: want exactly the keys channel and body: %s", i+1, clip(l))
		}
		var ch string
		if err := json.Unmarshal(ev["channel"], &ch); err != nil || !slices.Contains(channels, ch) {
			t.Fatalf("line %d: channel %s is not one of %v", i+1, ev["channel"], channels)
		}
		seen[ch]++
		want := kObject
		if ch == "sms" || ch == "email" {
			want = kString
		}
		if got := kindOf(ev["body"]); got != want {
			t.Errorf("line %d: %s body is a %s, want a %s", i+1, ch, got, want)
		}
	}
	for _, ch := range channels {
		if seen[ch] == 0 {
			t.Errorf("300 events hold no %s event: %v", ch, seen)
		}
	}
	if again := r.run("feed", "--count", "300", "--seed", "3"); again.stdout != first.stdout {
		t.Error("the same seed gave different output")
	}
	if other := r.run("feed", "--count", "300", "--seed", "4"); other.stdout == first.stdout {
		t.Error("seeds 3 and 4 gave the same output")
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	if res := r.run("feed", "--count", "300", "--seed", "3", "--out", out); res.stdout != "" {
		t.Errorf("feed --out wrote to stdout: %q", clip(res.stdout))
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != first.stdout {
		t.Errorf("feed --out file differs from stdout (%v)", err)
	}
	if res := r.run("feed", "--count", "0"); res.stdout != "" {
		t.Errorf("feed --count 0 wrote %q", clip(res.stdout))
	}
	if res := r.fail("feed", "--count", "-1"); !strings.Contains(res.stderr, "count") {
		t.Errorf("feed --count -1: stderr does not name the flag: %s", res)
	}
}

func TestCLIFeedPipeIngest(t *testing.T) {
	r := newRunner(t)
	db := filepath.Join(t.TempDir(), "cx.db")
	feedCmd := exec.Command(cxinboxBin, "feed", "--count", "300", "--seed", "3")
	ingestCmd := exec.Command(cxinboxBin, "--db", db, "ingest")
	feedCmd.Env, ingestCmd.Env = r.baseEnv(), r.baseEnv()
	pipe, err := feedCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ingestCmd.Stdin = pipe
	var out, feedErr, ingestErr bytes.Buffer
	ingestCmd.Stdout, ingestCmd.Stderr, feedCmd.Stderr = &out, &ingestErr, &feedErr
	if err := feedCmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := ingestCmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := feedCmd.Wait(); err != nil {
		t.Fatalf("feed: %v\n%s", err, feedErr.String())
	}
	if err := ingestCmd.Wait(); err != nil {
		t.Fatalf("feed | ingest: %v\nstdout: %s\nstderr: %s", err, out.String(), ingestErr.String())
	}
	s := parseSummary(t, out.String())
	if s.Events != 300 || s.Rejected != 0 {
		t.Errorf("summary %+v: want 300 events, 0 rejected", s)
	}
	if s.Messages == 0 || s.NewContacts == 0 || s.NewTickets == 0 {
		t.Errorf("summary %+v: nothing was stored", s)
	}
	if s.Messages+s.Duplicates < s.Events-5 {
		t.Errorf("summary %+v: far fewer messages than events", s)
	}
	if ingestErr.Len() != 0 {
		t.Errorf("ingest wrote to stderr: %s", ingestErr.String())
	}

	// The JSON summary has the documented keys and agrees with the text one.
	db2 := filepath.Join(t.TempDir(), "cx.db")
	res := r.run("--db", db2, "ingest", "--json", feedFile(t))
	obj := checkObject(t, "ingest --json", []byte(res.stdout), map[string]kind{"events": kInt, "rejected": kInt,
		"messages": kInt, "new_contacts": kInt, "new_tickets": kInt, "duplicates_ignored": kInt, "potential_duplicates": kInt}, nil)
	got := map[string]int{}
	for k, v := range obj {
		got[k], _ = strconv.Atoi(string(v))
	}
	want := map[string]int{"events": s.Events, "rejected": s.Rejected, "messages": s.Messages, "new_contacts": s.NewContacts,
		"new_tickets": s.NewTickets, "duplicates_ignored": s.Duplicates, "potential_duplicates": s.PotentialDuplicates}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ingest --json = %v, want %v (as the text summary)", got, want)
	}
}

func TestCLIIngestTwice(t *testing.T) {
	r := newRunner(t)
	db, first := r.ingested()
	var before []app.ContactJSON
	r.runJSON(&before, "--db", db, "contacts", "list", "--json")
	again := parseSummary(t, r.run("--db", db, "ingest", feedFile(t)).stdout)
	want := summary{Events: 300, Duplicates: first.Messages + first.Duplicates}
	if again != want {
		t.Errorf("second ingest of the same events: %+v, want %+v (everything a duplicate, nothing new)", again, want)
	}
	var after []app.ContactJSON
	r.runJSON(&after, "--db", db, "contacts", "list", "--json")
	if !reflect.DeepEqual(before, after) {
		t.Error("re-ingesting the same events changed the contacts")
	}
}

func TestCLIContactsListJSON(t *testing.T) {
	r := newRunner(t)
	db, sum := r.ingested()
	res := r.run("--db", db, "contacts", "list", "--json")
	raws := checkArray(t, "contacts list --json", []byte(res.stdout))
	if len(raws) != sum.NewContacts {
		t.Errorf("contacts list has %d contacts, ingest reported %d new", len(raws), sum.NewContacts)
	}
	for i, raw := range raws {
		checkContact(t, fmt.Sprintf("contacts[%d]", i), raw, contactKeys)
	}
	if t.Failed() {
		return
	}
	var cs []app.ContactJSON
	json.Unmarshal([]byte(res.stdout), &cs)
	byID := map[int64]app.ContactJSON{}
	owner := map[string]int64{}
	generatedWebChat := 0
	for _, c := range cs {
		if _, dup := byID[c.ID]; dup {
			t.Errorf("contact id %d listed twice", c.ID)
		}
		byID[c.ID] = c
		if c.LeadStage != "lead" {
			t.Errorf("contact %d has lead_stage %q after ingest, want lead", c.ID, c.LeadStage)
		}
		if c.Name == "" {
			t.Errorf("contact %d has no name", c.ID)
		}
		if len(c.Identities) == 0 {
			t.Errorf("contact %d has no identity", c.ID)
		}
		webchat := false
		for _, id := range c.Identities {
			if !slices.Contains(channels, string(id.Channel)) || id.Value == "" {
				t.Errorf("contact %d: bad identity %+v", c.ID, id)
			}
			webchat = webchat || id.Channel == "webchat"
			k := id.String()
			if o, taken := owner[k]; taken {
				t.Errorf("identity %s belongs to contacts %d and %d", k, o, c.ID)
			}
			owner[k] = c.ID
		}
		if c.NameGenerated && webchat {
			generatedWebChat++
		}
	}
	if generatedWebChat == 0 {
		t.Error("no contact has a generated name and a webchat identity (anonymous web chat visitors)")
	}
	pairs := 0
	for _, c := range cs {
		for _, d := range c.PotentialDuplicates {
			other, ok := byID[d]
			switch {
			case d == c.ID:
				t.Errorf("contact %d is its own potential duplicate", c.ID)
			case !ok:
				t.Errorf("contact %d: potential duplicate %d is not a listed contact", c.ID, d)
			case !slices.Contains(other.PotentialDuplicates, c.ID):
				t.Errorf("contact %d lists %d as a potential duplicate, but not the other way round", c.ID, d)
			}
			if c.ID < d {
				pairs++
			}
		}
	}
	if pairs == 0 {
		t.Error("no potential duplicate pair was recorded")
	}
	if pairs != sum.PotentialDuplicates {
		t.Errorf("%d potential duplicate pairs listed, ingest reported %d", pairs, sum.PotentialDuplicates)
	}

	// --limit and --search narrow the list.
	var limited []app.ContactJSON
	r.runJSON(&limited, "--db", db, "contacts", "list", "--json", "--limit", "5")
	if len(limited) != 5 || !reflect.DeepEqual(limited, cs[:5]) {
		t.Errorf("contacts list --limit 5 gave %d contacts, want the first 5", len(limited))
	}
	target := cs[len(cs)/2]
	var found []app.ContactJSON
	r.runJSON(&found, "--db", db, "contacts", "list", "--json", "--search", target.Identities[0].Value)
	if !slices.ContainsFunc(found, func(c app.ContactJSON) bool { return c.ID == target.ID }) {
		t.Errorf("contacts list --search %s does not find contact %d", target.Identities[0].Value, target.ID)
	}
}

func showContact(r *runner, db string, id int64) (app.ContactDetailsJSON, string) {
	r.t.Helper()
	res := r.run("--db", db, "contacts", "show", strconv.FormatInt(id, 10), "--json")
	var d app.ContactDetailsJSON
	if err := json.Unmarshal([]byte(res.stdout), &d); err != nil {
		r.t.Fatalf("contacts show %d --json: %v\n%s", id, err, res)
	}
	return d, res.stdout
}

func TestCLIContactsShowJSON(t *testing.T) {
	r := newRunner(t)
	db, _ := r.ingested()
	var cs []app.ContactJSON
	r.runJSON(&cs, "--db", db, "contacts", "list", "--json")
	var tickets []app.TicketJSON
	r.runJSON(&tickets, "--db", db, "tickets", "list", "--json")
	// The contact with the most tickets, and one with a potential duplicate.
	count := map[int64]int{}
	for _, tk := range tickets {
		count[tk.ContactID]++
	}
	busiest := cs[0]
	for _, c := range cs {
		if count[c.ID] > count[busiest.ID] {
			busiest = c
		}
	}
	picks := []app.ContactJSON{busiest}
	if i := slices.IndexFunc(cs, func(c app.ContactJSON) bool { return len(c.PotentialDuplicates) > 0 }); i >= 0 {
		picks = append(picks, cs[i])
	}
	for _, c := range picks {
		d, raw := showContact(r, db, c.ID)
		checkDetails(t, []byte(raw))
		if !reflect.DeepEqual(d.ContactJSON, c) {
			t.Errorf("contacts show %d disagrees with contacts list:\n show %+v\n list %+v", c.ID, d.ContactJSON, c)
		}
		if len(d.Tickets) != count[c.ID] {
			t.Errorf("contacts show %d has %d tickets, tickets list has %d for it", c.ID, len(d.Tickets), count[c.ID])
		}
		for _, tk := range d.Tickets {
			if tk.ContactID != c.ID {
				t.Errorf("contacts show %d lists ticket %d of contact %d", c.ID, tk.ID, tk.ContactID)
			}
		}
		kinds := map[string]int{}
		for _, a := range d.Activity {
			kinds[a.Kind]++
		}
		if kinds["contact_created"] != 1 || kinds["ticket_created"] != len(d.Tickets) {
			t.Errorf("contact %d with %d tickets: timeline kinds %v, want one contact_created and a ticket_created per ticket", c.ID, len(d.Tickets), kinds)
		}
		if len(d.Notes) != 0 || len(d.Properties) != 0 {
			t.Errorf("contact %d has notes or properties straight after ingest: %+v %+v", c.ID, d.Notes, d.Properties)
		}
	}
}

// activityKinds counts a contact's timeline entries by kind.
func activityKinds(d app.ContactDetailsJSON) map[string]int {
	m := map[string]int{}
	for _, a := range d.Activity {
		m[a.Kind]++
	}
	return m
}

func TestCLIContactChanges(t *testing.T) {
	r := newRunner(t)
	db, _ := r.ingested()
	var cs []app.ContactJSON
	r.runJSON(&cs, "--db", db, "contacts", "list", "--json")
	i := slices.IndexFunc(cs, func(c app.ContactJSON) bool { return c.Email != "" && !c.EmailUnsubscribed })
	if i < 0 {
		t.Fatal("no contact with an email address")
	}
	id := strconv.FormatInt(cs[i].ID, 10)
	prev, _ := showContact(r, db, cs[i].ID)

	steps := []struct {
		name  string
		args  []string
		stdin string
		kind  string                                  // the activity entry the change adds ("" = none)
		check func(got, prev *app.ContactDetailsJSON) // applies the expected change to prev
	}{
		{"tag", []string{"contacts", "tag", id, "VIP customer"}, "", "tag_added", func(got, prev *app.ContactDetailsJSON) {
			prev.Tags = append(prev.Tags, "VIP customer")
		}},
		{"tag again", []string{"contacts", "tag", id, "VIP customer"}, "", "", nil},
		{"untag", []string{"contacts", "untag", id, "VIP customer"}, "", "tag_removed", func(got, prev *app.ContactDetailsJSON) {
			prev.Tags = slices.DeleteFunc(prev.Tags, func(s string) bool { return s == "VIP customer" })
		}},
		{"note", []string{"contacts", "note", id, "called", "back", "about", "the", "refund"}, "", "note_added", func(got, prev *app.ContactDetailsJSON) {
			prev.Notes = append(prev.Notes, app.NoteJSON{Author: "tester", Body: "called back about the refund"})
		}},
		{"note from stdin", []string{"contacts", "note", id, "-"}, "line one\nline two\n", "note_added", func(got, prev *app.ContactDetailsJSON) {
			prev.Notes = append(prev.Notes, app.NoteJSON{Author: "tester", Body: "line one\nline two"})
		}},
		{"set company", []string{"contacts", "set", id, "company", "Acme Ltd"}, "", "property_changed", func(got, prev *app.ContactDetailsJSON) {
			prev.Company = "Acme Ltd"
		}},
		{"set lead stage", []string{"contacts", "set", id, "lead_stage", "customer"}, "", "property_changed", func(got, prev *app.ContactDetailsJSON) {
			prev.LeadStage = "customer"
		}},
		{"set custom property", []string{"contacts", "set", id, "plan", "gold"}, "", "property_changed", func(got, prev *app.ContactDetailsJSON) {
			prev.Properties["plan"] = "gold"
		}},
		{"set same value", []string{"contacts", "set", id, "plan", "gold"}, "", "", nil},
		{"unsubscribe", []string{"contacts", "unsubscribe", id}, "", "unsubscribed", func(got, prev *app.ContactDetailsJSON) {
			prev.EmailUnsubscribed = true
		}},
		{"unsubscribe again", []string{"contacts", "unsubscribe", id}, "", "", nil},
	}
	for _, s := range steps {
		args := append([]string{"--db", db}, s.args...)
		var stdin io.Reader
		if s.stdin != "" {
			stdin = strings.NewReader(s.stdin)
		}
		res := r.exec(stdin, nil, args...)
		if res.code != 0 {
			t.Fatalf("%s: %s", s.name, res)
		}
		if res.stdout != "" {
			t.Errorf("%s: a change wrote to stdout (it should keep it clean): %q", s.name, res.stdout)
		}
		if s.check != nil && !strings.Contains(res.stderr, id) {
			t.Errorf("%s: stderr does not confirm the change on contact %s: %q", s.name, id, res.stderr)
		}
		got, _ := showContact(r, db, cs[i].ID)
		want := prev
		want.Tags = slices.Clone(prev.Tags)
		want.Notes = slices.Clone(prev.Notes)
		want.Properties = map[string]string{}
		for k, v := range prev.Properties {
			want.Properties[k] = v
		}
		if s.check != nil {
			s.check(&got, &want)
		}
		// Notes carry the time they were written; compare the rest.
		for j := range got.Notes {
			if j < len(want.Notes) && want.Notes[j].At.IsZero() {
				want.Notes[j].At = got.Notes[j].At
			}
		}
		if !reflect.DeepEqual(got.ContactJSON, want.ContactJSON) {
			t.Errorf("%s: contact is\n %+v\nwant\n %+v", s.name, got.ContactJSON, want.ContactJSON)
		}
		if !reflect.DeepEqual(got.Properties, want.Properties) {
			t.Errorf("%s: properties are %v, want %v", s.name, got.Properties, want.Properties)
		}
		if !reflect.DeepEqual(got.Notes, want.Notes) {
			t.Errorf("%s: notes are %+v, want %+v", s.name, got.Notes, want.Notes)
		}
		before, after := activityKinds(prev), activityKinds(got)
		wantKinds := cloneCounts(before)
		if s.kind != "" {
			wantKinds[s.kind]++
		}
		if !reflect.DeepEqual(after, wantKinds) {
			t.Errorf("%s: timeline kinds went from %v to %v, want %v", s.name, before, after, wantKinds)
		}
		if s.kind != "" {
			// The new entry is by the agent and names the change.
			var last *app.ActivityJSON
			for j := range got.Activity {
				if a := &got.Activity[j]; a.Kind == s.kind && (last == nil || !a.At.Before(last.At)) {
					last = a
				}
			}
			if last == nil || last.Agent != "tester" || last.Detail == "" {
				t.Errorf("%s: new %s entry %+v, want one by agent tester with a detail", s.name, s.kind, last)
			}
		}
		prev = got
	}

	// The list shows the changed contact too.
	var after []app.ContactJSON
	r.runJSON(&after, "--db", db, "contacts", "list", "--json")
	j := slices.IndexFunc(after, func(c app.ContactJSON) bool { return c.ID == cs[i].ID })
	if j < 0 || !reflect.DeepEqual(after[j], prev.ContactJSON) {
		t.Errorf("contacts list does not show the changed contact as contacts show does")
	}

	// Refused changes leave the contact as it was.
	_, before := showContact(r, db, cs[i].ID)
	if res := r.fail("--db", db, "contacts", "untag", id, "never-had-it"); !strings.Contains(res.stderr, "never-had-it") {
		t.Errorf("untag of a missing tag: stderr does not name the tag: %s", res)
	}
	if res := r.fail("--db", db, "contacts", "note", id, "   "); res.stderr == "" {
		t.Errorf("empty note: no message: %s", res)
	}
	if res := r.fail("--db", db, "contacts", "set", id, "lead_stage", "bestie"); !strings.Contains(res.stderr, "bestie") {
		t.Errorf("bad lead stage: stderr does not name the value: %s", res)
	}
	if _, now := showContact(r, db, cs[i].ID); now != before {
		t.Errorf("refused changes changed the contact:\nbefore %s\nafter %s", before, now)
	}

	// The text form shows the same, properties in a stable (sorted) order.
	r.run("--db", db, "contacts", "set", id, "aardvark", "first")
	r.run("--db", db, "contacts", "set", id, "zebra", "last")
	text := r.run("--db", db, "contacts", "show", id).stdout
	for _, s := range []string{"#" + id + " ", "Acme Ltd", "customer", "unsubscribed from marketing email", "called back about the refund", "tag_removed"} {
		if !strings.Contains(text, s) {
			t.Errorf("contacts show %s (text) lacks %q:\n%s", id, s, text)
		}
	}
	a, p, z := strings.Index(text, "aardvark"), strings.Index(text, "plan"), strings.Index(text, "zebra")
	if a < 0 || p < 0 || z < 0 || a > p || p > z {
		t.Errorf("contacts show %s (text): properties not listed in sorted order:\n%s", id, text)
	}
}

func cloneCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestCLIDBFlagAndEnv(t *testing.T) {
	r := newRunner(t)
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db"), filepath.Join(dir, "sub", "c.db")
	r.run("--db", a, "ingest", feedFile(t)) // before the subcommand
	small := filepath.Join(dir, "small.jsonl")
	os.WriteFile(small, []byte(r.run("feed", "--count", "20", "--seed", "9").stdout), 0o644)
	r.run("ingest", small, "--db", b) // after it

	listA := r.run("--db", a, "contacts", "list", "--json").stdout
	listB := r.run("contacts", "list", "--json", "--db", b).stdout
	if listA == listB {
		t.Fatal("two different databases list the same contacts")
	}
	if got := r.run("contacts", "list", "--db", a, "--json").stdout; got != listA {
		t.Error("--db after the subcommand reads another database than --db before it")
	}
	envA := []string{"CXINBOX_DB=" + a}
	if res := r.exec(nil, envA, "contacts", "list", "--json"); res.code != 0 || res.stdout != listA {
		t.Errorf("CXINBOX_DB is not used: %s", res)
	}
	if res := r.exec(nil, []string{"CXINBOX_DB=" + b}, "--db", a, "contacts", "list", "--json"); res.code != 0 || res.stdout != listA {
		t.Errorf("--db does not override CXINBOX_DB: %s", res)
	}
	// Writes follow CXINBOX_DB too, creating the folder.
	if res := r.exec(nil, []string{"CXINBOX_DB=" + c}, "seed", "--contacts", "3", "--tickets", "4"); res.code != 0 {
		t.Fatalf("seed with CXINBOX_DB: %s", res)
	}
	var ts []app.TicketJSON
	r.runJSON(&ts, "--db", c, "tickets", "list", "--json")
	if len(ts) != 4 {
		t.Errorf("database from CXINBOX_DB has %d tickets, want 4", len(ts))
	}
	def := filepath.Join(r.xdg, "cxinbox", "cxinbox.db")
	if _, err := os.Stat(def); err == nil {
		t.Fatalf("a command with --db or CXINBOX_DB created the default database %s", def)
	}
	// Without either, the default is $XDG_DATA_HOME/cxinbox/cxinbox.db.
	if res := r.run("tickets", "list", "--json"); strings.TrimSpace(res.stdout) != "[]" {
		t.Errorf("tickets list on a new default database: %q", res.stdout)
	}
	if _, err := os.Stat(def); err != nil {
		t.Errorf("default database not at %s: %v", def, err)
	}
}

func TestCLITicketsListJSON(t *testing.T) {
	r := newRunner(t)
	db, sum := r.ingested()
	res := r.run("--db", db, "tickets", "list", "--json")
	raws := checkArray(t, "tickets list --json", []byte(res.stdout))
	if len(raws) != sum.NewTickets {
		t.Errorf("tickets list has %d tickets, ingest reported %d new", len(raws), sum.NewTickets)
	}
	for i, raw := range raws {
		checkTicket(t, fmt.Sprintf("tickets[%d]", i), raw)
	}
	if t.Failed() {
		return
	}
	var ts []app.TicketJSON
	json.Unmarshal([]byte(res.stdout), &ts)
	var cs []app.ContactJSON
	r.runJSON(&cs, "--db", db, "contacts", "list", "--json")
	names := map[int64]string{}
	for _, c := range cs {
		names[c.ID] = c.Name
	}
	perChannel := map[string]int{}
	for i, tk := range ts {
		if name, ok := names[tk.ContactID]; !ok || name != tk.ContactName {
			t.Errorf("ticket %d: contact %d %q, contacts list says %q", tk.ID, tk.ContactID, tk.ContactName, name)
		}
		if !slices.Contains(channels, tk.Channel) || tk.Status != "open" || tk.Proactive {
			t.Errorf("ticket %d after ingest: channel %q status %q proactive %v", tk.ID, tk.Channel, tk.Status, tk.Proactive)
		}
		if tk.LastMessageAt.Before(tk.CreatedAt) {
			t.Errorf("ticket %d: last message %v before creation %v", tk.ID, tk.LastMessageAt, tk.CreatedAt)
		}
		if i > 0 && tk.LastMessageAt.After(ts[i-1].LastMessageAt) {
			t.Errorf("tickets not newest message first: %d (%v) after %d (%v)", tk.ID, tk.LastMessageAt, ts[i-1].ID, ts[i-1].LastMessageAt)
		}
		perChannel[tk.Channel]++
	}
	var wa []app.TicketJSON
	r.runJSON(&wa, "--db", db, "tickets", "list", "--json", "--channel", "whatsapp")
	if len(wa) != perChannel["whatsapp"] || len(wa) == 0 {
		t.Errorf("tickets list --channel whatsapp gave %d, want %d", len(wa), perChannel["whatsapp"])
	}
	for _, tk := range wa {
		if tk.Channel != "whatsapp" {
			t.Errorf("--channel whatsapp listed a %s ticket", tk.Channel)
		}
	}
	contact := ts[0].ContactID
	var mine []app.TicketJSON
	r.runJSON(&mine, "--db", db, "tickets", "list", "--json", "--contact", strconv.FormatInt(contact, 10))
	for _, tk := range mine {
		if tk.ContactID != contact {
			t.Errorf("--contact %d listed ticket %d of contact %d", contact, tk.ID, tk.ContactID)
		}
	}
	if len(mine) == 0 {
		t.Errorf("--contact %d listed nothing", contact)
	}
	if res := r.fail("--db", db, "tickets", "list", "--channel", "pigeon"); !strings.Contains(res.stderr, "pigeon") {
		t.Errorf("unknown channel: stderr does not name it: %s", res)
	}
	if res := r.fail("--db", db, "tickets", "list", "--status", "sleeping"); !strings.Contains(res.stderr, "sleeping") {
		t.Errorf("unknown status: stderr does not name it: %s", res)
	}
}

func TestCLIBadInput(t *testing.T) {
	r := newRunner(t)
	db, _ := r.ingested()

	res := r.fail("--db", db, "contacts", "show", "999999")
	if !strings.Contains(res.stderr, "999999") || res.stdout != "" {
		t.Errorf("contacts show 999999: want stderr naming 999999 and empty stdout: %s", res)
	}
	res = r.fail("--db", db, "contacts", "show", "999999", "--json")
	if !strings.Contains(res.stderr, "999999") || res.stdout != "" {
		t.Errorf("contacts show 999999 --json: want stderr naming 999999 and empty stdout: %s", res)
	}
	for _, args := range [][]string{{"tag", "999999", "x"}, {"note", "999999", "hi"}, {"set", "999999", "company", "X"}, {"unsubscribe", "999999"}} {
		res := r.fail(append([]string{"--db", db, "contacts"}, args...)...)
		if !strings.Contains(res.stderr, "999999") {
			t.Errorf("contacts %s: stderr does not name the contact: %s", strings.Join(args, " "), res)
		}
	}

	_, before := showContact(r, db, 1)
	res = r.fail("--db", db, "contacts", "set", "1", "email", "not-an-email")
	if !strings.Contains(res.stderr, "not-an-email") || res.stdout != "" {
		t.Errorf("set email not-an-email: want stderr naming the value: %s", res)
	}
	if _, after := showContact(r, db, 1); after != before {
		t.Errorf("a refused set changed the contact:\nbefore %s\nafter %s", before, after)
	}
	res = r.fail("--db", db, "contacts", "set", "1", "phone", "call me maybe")
	if !strings.Contains(res.stderr, "call me maybe") {
		t.Errorf("set phone: stderr does not name the value: %s", res)
	}
	if _, after := showContact(r, db, 1); after != before {
		t.Errorf("a refused set changed the contact")
	}

	for _, args := range [][]string{{"contacts", "list", "--bogus"}, {"--bogus", "contacts", "list"}, {"feed", "--count", "ten"}, {"contacts", "show", "abc"}, {"contacts", "frobnicate"}} {
		res := r.fail(append([]string{"--db", db}, args...)...)
		if res.stdout != "" || !strings.Contains(res.stderr, "cxinbox:") {
			t.Errorf("cxinbox %s: want a message on stderr and nothing on stdout: %s", strings.Join(args, " "), res)
		}
	}
	if res := r.fail("--db", db, "contacts", "list", "--bogus"); !strings.Contains(res.stderr, "--bogus") {
		t.Errorf("unknown flag: stderr does not name it: %s", res)
	}
	if res := r.fail("--db", db, "ingest", filepath.Join(t.TempDir(), "missing.jsonl")); !strings.Contains(res.stderr, "missing.jsonl") {
		t.Errorf("ingest of a missing file: stderr does not name it: %s", res)
	}
}

func TestCLIIngestRejectsBadLines(t *testing.T) {
	r := newRunner(t)
	good := strings.SplitAfter(r.run("feed", "--count", "4", "--seed", "3").stdout, "\n")[:4]
	const (
		malformed      = `{"channel":"email","body":` + "\n"
		unknownChannel = `{"channel":"pigeon","body":{"text":"coo"}}` + "\n"
		// The first message is fine, the second has no sender: the whole
		// body is refused, the first message too.
		missingFrom = `{"channel":"whatsapp","body":{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","messages":[` +
			`{"from":"16315551181","id":"wamid.cli-test-A","timestamp":"1763990000","type":"text","text":{"body":"ok"}},` +
			`{"id":"wamid.cli-test-B","timestamp":"1763990000","type":"text","text":{"body":"who am I"}}]}}]}]}}` + "\n"
	)
	// A blank line is no event but keeps its number.
	lines := []string{good[0], malformed, good[1], "\n", unknownChannel, good[2], missingFrom, good[3]}
	dir := t.TempDir()
	mixed, clean := filepath.Join(dir, "mixed.jsonl"), filepath.Join(dir, "good.jsonl")
	os.WriteFile(mixed, []byte(strings.Join(lines, "")), 0o644)
	os.WriteFile(clean, []byte(strings.Join(good, "")), 0o644)

	db := filepath.Join(dir, "mixed.db")
	res := r.exec(nil, nil, "--db", db, "ingest", mixed)
	if res.code != 1 {
		t.Errorf("ingest with rejected lines exited %d, want 1", res.code)
	}
	s := parseSummary(t, res.stdout)
	if s.Events != 7 || s.Rejected != 3 {
		t.Errorf("summary %+v: want 7 events, 3 rejected", s)
	}
	rejected := regexp.MustCompile(`(?m)^line (\d+): rejected: (.*)$`).FindAllStringSubmatch(res.stderr, -1)
	var got []string
	for _, m := range rejected {
		got = append(got, m[1])
	}
	if !slices.Equal(got, []string{"2", "5", "7"}) {
		t.Errorf("rejected line numbers %v, want [2 5 7]:\n%s", got, res.stderr)
	} else {
		if !strings.Contains(rejected[1][2], "pigeon") {
			t.Errorf("line 5's error does not name the unknown channel: %s", rejected[1][2])
		}
		if !strings.Contains(rejected[2][2], "from") {
			t.Errorf("line 7's error does not name the missing field: %s", rejected[2][2])
		}
	}
	if !strings.Contains(res.stderr, "3 of 7 lines rejected") {
		t.Errorf("stderr has no closing count of rejected lines:\n%s", res.stderr)
	}

	// The good lines went in, exactly as they do on their own.
	cleanDB := filepath.Join(dir, "good.db")
	cs := parseSummary(t, r.run("--db", cleanDB, "ingest", clean).stdout)
	s.Events, s.Rejected, cs.Events = 0, 0, 0
	if s != cs {
		t.Errorf("mixed file stored %+v, the good lines alone %+v", s, cs)
	}
	if s.Messages == 0 {
		t.Error("the good lines around the bad ones were not applied")
	}
	var mixedContacts, cleanContacts []app.ContactJSON
	r.runJSON(&mixedContacts, "--db", db, "contacts", "list", "--json")
	r.runJSON(&cleanContacts, "--db", cleanDB, "contacts", "list", "--json")
	strip := func(cs []app.ContactJSON) []app.ContactJSON {
		for i := range cs {
			cs[i].ID, cs[i].CreatedAt, cs[i].PotentialDuplicates = 0, time.Time{}, nil
		}
		return cs
	}
	if !reflect.DeepEqual(strip(mixedContacts), strip(cleanContacts)) {
		t.Errorf("contacts after the mixed file differ from those of the good lines alone:\n%+v\n%+v", mixedContacts, cleanContacts)
	}
	for _, c := range mixedContacts {
		for _, id := range c.Identities {
			if strings.Contains(id.Value, "16315551181") {
				t.Errorf("the rejected WhatsApp body's first sender was stored: contact %+v", c)
			}
		}
	}
	var mixedTickets, cleanTickets []app.TicketJSON
	r.runJSON(&mixedTickets, "--db", db, "tickets", "list", "--json")
	r.runJSON(&cleanTickets, "--db", cleanDB, "tickets", "list", "--json")
	if len(mixedTickets) != len(cleanTickets) {
		t.Errorf("%d tickets after the mixed file, %d from the good lines alone", len(mixedTickets), len(cleanTickets))
	}
	// Re-ingesting the good lines finds them all stored already.
	again := parseSummary(t, r.run("--db", db, "ingest", clean).stdout)
	if again.Messages != 0 || again.Duplicates != cs.Messages+cs.Duplicates {
		t.Errorf("good lines again: %+v, want all %d duplicates", again, cs.Messages+cs.Duplicates)
	}
}

func TestCLISeed(t *testing.T) {
	r := newRunner(t)
	db := filepath.Join(t.TempDir(), "seed.db")
	res := r.run("--db", db, "seed", "--contacts", "2000", "--tickets", "5000")
	if !strings.HasPrefix(res.stdout, "seeded 2000 contacts and 5000 tickets") {
		t.Errorf("seed summary: %q", res.stdout)
	}
	out := r.run("--db", db, "tickets", "list", "--json", "--limit", "10").stdout
	raws := checkArray(t, "tickets list --limit 10", []byte(out))
	if len(raws) != 10 {
		t.Fatalf("tickets list --json --limit 10 returned %d rows", len(raws))
	}
	for i, raw := range raws {
		checkTicket(t, fmt.Sprintf("tickets[%d]", i), raw)
	}
	// Paging in the CLI crosses its 1000-row pages without losing or
	// repeating a row.
	var ts []app.TicketJSON
	r.runJSON(&ts, "--db", db, "tickets", "list", "--json")
	ids := map[int64]bool{}
	for i, tk := range ts {
		if ids[tk.ID] {
			t.Fatalf("ticket %d listed twice", tk.ID)
		}
		ids[tk.ID] = true
		if i > 0 && tk.LastMessageAt.After(ts[i-1].LastMessageAt) {
			t.Fatalf("tickets not newest message first at row %d", i)
		}
	}
	if len(ts) != 5000 {
		t.Errorf("tickets list --json returned %d of 5000 tickets", len(ts))
	}
	var cs []app.ContactJSON
	r.runJSON(&cs, "--db", db, "contacts", "list", "--json")
	if len(cs) != 2000 {
		t.Errorf("contacts list --json returned %d of 2000 contacts", len(cs))
	}
	r.runJSON(&cs, "--db", db, "contacts", "list", "--json", "--limit", "1500")
	if len(cs) != 1500 {
		t.Errorf("contacts list --json --limit 1500 returned %d", len(cs))
	}
	if res := r.fail("--db", db, "seed", "--contacts", "0"); !strings.Contains(res.stderr, "contacts") {
		t.Errorf("seed --contacts 0: %s", res)
	}
}
