package main

// End-to-end tests of `cxinbox crm …` (issue 6) on the binary TestMain
// builds, against `cxinbox crm fake` run as its own process — the README's
// demo, step by step.

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cxinbox/app/crm/fake"
)

var (
	crmStatusKeys = map[string]kind{"provider": kString, "pending": kInt, "failed": kInt, "synced": kInt, "last_error": kString,
		"auth": kString, "api_url": kString}
	crmStatusOptional = map[string]kind{"connected_at": kTime}
	crmSyncKeys       = map[string]kind{"provider": kString, "synced": kInt, "created": kInt, "merged": kInt, "failed": kInt,
		"deferred": kInt, "pending": kInt, "requests": kInt, "seconds": kNumber, "error": kString}
)

// startFakeCRM runs `cxinbox crm fake PROVIDER` on a free port and returns
// its URL.
func startFakeCRM(t *testing.T, provider string, args ...string) string {
	t.Helper()
	cmd := exec.Command(cxinboxBin, append([]string{"crm", "fake", provider, "--listen", "127.0.0.1:0", "--quiet"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("crm fake: %v", err)
	}
	go io.Copy(io.Discard, out)
	m := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+) `).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("crm fake's first line %q names no URL", line)
	}
	return m[1]
}

func fakeRecords(t *testing.T, url string) []fake.Record {
	t.Helper()
	resp, err := http.Get(url + "/_fake/records")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var recs []fake.Record
	if err := json.NewDecoder(resp.Body).Decode(&recs); err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestCLICRMDemoWalkThrough(t *testing.T) {
	r := newRunner(t)
	url := startFakeCRM(t, "hubspot")
	db := t.TempDir() + "/cx.db"
	res := r.run("--db", db, "crm", "connect", "hubspot", "--token", fake.PrivateToken, "--base-url", url)
	if !strings.Contains(res.stdout, "connected: HubSpot at "+url+" (private-app token)") {
		t.Errorf("connect says: %s", res)
	}
	fi, err := os.Stat(db)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the database holding the token is %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	sum := parseSummary(t, r.run("--db", db, "ingest", feedFile(t)).stdout)

	var st json.RawMessage
	r.runJSON(&st, "--db", db, "crm", "status", "--json")
	obj := checkObject(t, "crm status --json", st, crmStatusKeys, crmStatusOptional)
	if string(obj["provider"]) != `"hubspot"` || string(obj["pending"]) != strconv.Itoa(sum.NewContacts) || string(obj["auth"]) != `"private-app token"` {
		t.Errorf("status before the sync: %s (new contacts %d)", st, sum.NewContacts)
	}

	var sy json.RawMessage
	r.runJSON(&sy, "--db", db, "crm", "sync", "--json")
	obj = checkObject(t, "crm sync --json", sy, crmSyncKeys, nil)
	if string(obj["synced"]) != strconv.Itoa(sum.NewContacts) || string(obj["pending"]) != "0" || string(obj["error"]) != `""` {
		t.Errorf("sync: %s", sy)
	}
	r.runJSON(&st, "--db", db, "crm", "status", "--json")
	obj = checkObject(t, "crm status --json", st, crmStatusKeys, crmStatusOptional)
	if string(obj["synced"]) != strconv.Itoa(sum.NewContacts) || string(obj["pending"]) != "0" || string(obj["failed"]) != "0" {
		t.Errorf("status after the sync: %s", st)
	}

	// The fake holds each customer once: one record per email address (HubSpot's
	// key) and one per contact without one.
	var contacts []struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	}
	r.runJSON(&contacts, "--db", db, "contacts", "list", "--json", "--limit", "100000")
	want := map[string]bool{}
	for _, c := range contacts {
		if c.Email != "" {
			want["e:"+c.Email] = true
		} else {
			want["i:"+strconv.Itoa(int(c.ID))] = true
		}
	}
	recs := fakeRecords(t, url)
	got := map[string]bool{}
	for _, rec := range recs {
		k := "i:" + rec.Fields["cxinbox_id"]
		if e := rec.Fields["email"]; e != "" {
			k = "e:" + e
		}
		if got[k] {
			t.Errorf("%s is in the CRM twice", k)
		}
		got[k] = true
	}
	if len(got) != len(want) {
		t.Errorf("%d records in the fake CRM, want %d (contacts %d)", len(got), len(want), len(contacts))
	}
	for k := range want {
		if !got[k] {
			t.Errorf("%s never reached the CRM", k)
		}
	}

	// A later change goes out as an update.
	r.run("--db", db, "contacts", "set", strconv.Itoa(int(contacts[0].ID)), "lead_stage", "customer")
	r.runJSON(&sy, "--db", db, "crm", "sync", "--json")
	obj = checkObject(t, "crm sync --json", sy, crmSyncKeys, nil)
	if string(obj["synced"]) != "1" || string(obj["created"]) != "0" {
		t.Errorf("sync of one edit: %s", sy)
	}
	text := r.run("--db", db, "crm", "status").stdout
	if !strings.Contains(text, "HubSpot at "+url+" (private-app token: set)") || !strings.Contains(text, "pending 0, failed 0, synced ") {
		t.Errorf("status text: %s", text)
	}
	if res := r.run("--db", db, "crm", "retry"); !strings.Contains(res.stdout, "0 failed change(s) queued again") {
		t.Errorf("retry: %s", res)
	}
	res = r.run("--db", db, "crm", "disconnect")
	if !strings.Contains(res.stdout, "disconnected from HubSpot") {
		t.Errorf("disconnect: %s", res)
	}
	r.runJSON(&st, "--db", db, "crm", "status", "--json")
	obj = checkObject(t, "crm status --json", st, crmStatusKeys, crmStatusOptional)
	if string(obj["provider"]) != `""` {
		t.Errorf("still connected after disconnect: %s", st)
	}
}

func TestCLICRMOAuthVendors(t *testing.T) {
	for _, p := range []string{"salesforce", "zoho"} {
		t.Run(p, func(t *testing.T) {
			r := newRunner(t)
			url := startFakeCRM(t, p)
			db := t.TempDir() + "/cx.db"
			// Secrets from the environment, as the README recommends.
			env := []string{"CXINBOX_CRM_CLIENT_ID=" + fake.ClientID, "CXINBOX_CRM_CLIENT_SECRET=" + fake.ClientSecret, "CXINBOX_CRM_REFRESH_TOKEN=" + fake.RefreshToken}
			res := r.exec(nil, env, "--db", db, "crm", "connect", p, "--auth-url", url)
			if res.code != 0 || !strings.Contains(res.stdout, "connected: ") || !strings.Contains(res.stdout, url) {
				t.Fatalf("connect: %s", res)
			}
			r.run("--db", db, "ingest", feedFile(t))
			var sy json.RawMessage
			r.runJSON(&sy, "--db", db, "crm", "sync", "--json")
			obj := checkObject(t, "crm sync --json", sy, crmSyncKeys, nil)
			var contacts []json.RawMessage
			r.runJSON(&contacts, "--db", db, "contacts", "list", "--json", "--limit", "100000")
			if string(obj["synced"]) != strconv.Itoa(len(contacts)) {
				t.Errorf("sync: %s, contacts %d", sy, len(contacts))
			}
			if p == "salesforce" && len(fakeRecords(t, url)) != len(contacts) {
				t.Errorf("Salesforce holds %d records for %d contacts", len(fakeRecords(t, url)), len(contacts))
			}
		})
	}
}

func TestCLICRMRefusesBadInputAndNeverPrintsSecrets(t *testing.T) {
	r := newRunner(t)
	url := startFakeCRM(t, "zoho")
	db := t.TempDir() + "/cx.db"
	const secret = "sEcReT-do-not-print"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"crm", "connect", "pipedrive"}, "pipedrive"},
		{[]string{"crm", "connect", "salesforce", "--token", secret}, "HubSpot's private-app token"},
		{[]string{"crm", "connect", "zoho", "--client-id", "x", "--refresh-token", secret}, "missing --client-secret"},
		{[]string{"crm", "connect", "zoho", "--client-id", fake.ClientID, "--client-secret", secret, "--refresh-token", fake.RefreshToken, "--auth-url", url}, "refresh token was refused"},
		{[]string{"crm", "connect", "hubspot", "--token", secret, "--base-url", "not a url"}, "--base-url"},
		{[]string{"crm", "sync"}, "no CRM connected"},
		{[]string{"crm", "disconnect"}, "no CRM is connected"},
		{[]string{"crm", "fake", "zoho", "--faults", "2"}, "--faults"},
	} {
		res := r.fail(append([]string{"--db", db}, c.args...)...)
		if !strings.Contains(res.stderr, c.want) {
			t.Errorf("%v: stderr %q, want %q", c.args, res.stderr, c.want)
		}
		if strings.Contains(res.stdout+res.stderr, secret) {
			t.Errorf("%v printed the secret: %s", c.args, res)
		}
	}
	var st map[string]any
	r.runJSON(&st, "--db", db, "crm", "status", "--json")
	if st["provider"] != "" {
		t.Errorf("a refused connect left a connection: %v", st)
	}
	// A good connect prints no secret either.
	res := r.run("--db", db, "crm", "connect", "zoho", "--client-id", fake.ClientID, "--client-secret", fake.ClientSecret, "--refresh-token", fake.RefreshToken, "--auth-url", url)
	for _, s := range []string{fake.ClientSecret, fake.RefreshToken} {
		if strings.Contains(res.stdout+res.stderr, s) {
			t.Errorf("connect printed a secret: %s", res)
		}
	}
	if res := r.run("--db", db, "crm", "status"); strings.Contains(res.stdout, fake.ClientSecret) || !strings.Contains(res.stdout, "(oauth: set)") {
		t.Errorf("status: %s", res)
	}
	if res := r.fail("--db", db, "crm", "connect", "hubspot", "--token", "x"); !strings.Contains(res.stderr, "disconnect") {
		t.Errorf("a second CRM: %s", res)
	}
}
