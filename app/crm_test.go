package app_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // read-only checks beside the app

	"cxinbox/app"
	"cxinbox/app/crm"
	"cxinbox/app/crm/fake"
	"cxinbox/model"
)

// fastCRM shortens every wait of the sync for tests.
var fastCRM = app.CRMOptions{
	Policy: crm.Policy{Tries: 4, Base: 5 * time.Millisecond, Max: 50 * time.Millisecond, LimitWait: 100 * time.Millisecond, Timeout: 300 * time.Millisecond},
	Lease:  10 * time.Second,
	Poll:   20 * time.Millisecond,
}

func crmApp(t testing.TB) *app.App {
	t.Helper()
	a, err := app.Open(filepath.Join(t.TempDir(), "crm.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.SetCRMOptions(fastCRM)
	return a
}

func startFake(t testing.TB, p crm.Provider, opt fake.Options) (*fake.Server, string) {
	t.Helper()
	srv, hs := fake.Start(p, opt)
	t.Cleanup(hs.Close)
	t.Cleanup(srv.Close)
	return srv, hs.URL
}

// connectFake connects a to the fake at url with OAuth, as a user would.
func connectFake(t testing.TB, a *app.App, p crm.Provider, url string, backfill bool) {
	t.Helper()
	req := app.CRMConnect{Provider: string(p), ClientID: fake.ClientID, ClientSecret: fake.ClientSecret, RefreshToken: fake.RefreshToken, Backfill: backfill}
	if p == crm.HubSpot {
		req.BaseURL = url
	} else {
		req.AuthURL = url // the API host comes back as instance_url / api_domain
	}
	if _, err := a.ConnectCRM(context.Background(), req); err != nil {
		t.Fatalf("connect %s: %v", p, err)
	}
}

// customers returns n distinct new customers on four channels: email, WhatsApp
// (phone only), web chat with a pre-chat form (name, email, phone) and
// Telegram (name only).
func customers(from, n int) []model.Inbound {
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	out := make([]model.Inbound, 0, n)
	for i := from; i < from+n; i++ {
		m := model.Inbound{MessageID: fmt.Sprintf("crm-%d", i), Text: "hello", SentAt: at.Add(time.Duration(i) * time.Second)}
		name := fmt.Sprintf("Cust%d Omer%d", i, i)
		switch i % 4 {
		case 0:
			m.Sender = model.Identity{Channel: model.Email, Value: fmt.Sprintf("c%d@example.com", i)}
			m.SenderName, m.Subject = name, "Order"
		case 1:
			m.Sender = model.Identity{Channel: model.WhatsApp, Value: fmt.Sprintf("+49151%08d", i)}
			m.SenderName = name
		case 2:
			m.Sender = model.Identity{Channel: model.WebChat, Value: fmt.Sprintf("v_%d", i)}
			m.StartedBy = model.StartedByVisitor
			m.Prechat = &model.Prechat{Name: name, Email: fmt.Sprintf("w%d@example.org", i), Phone: fmt.Sprintf("+33612%06d", i)}
		default:
			m.Sender = model.Identity{Channel: model.Telegram, Value: strconv.Itoa(700000 + i)}
			m.SenderName = name
		}
		out = append(out, m)
	}
	return out
}

func ingest(t testing.TB, a *app.App, msgs []model.Inbound) {
	t.Helper()
	if _, err := a.Ingest(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
}

// dbContact is a contact as the checks read it, straight from the file.
type dbContact struct {
	ID                               int64
	Name, Email, Phone, Stage, CRMID string
	Unsubscribed                     bool
}

func readDB(t testing.TB, path string) (contacts []dbContact, pending, failed int) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, name, email, phone, lead_stage, crm_id, email_unsubscribed FROM contacts WHERE merged_into IS NULL ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c dbContact
		if err := rows.Scan(&c.ID, &c.Name, &c.Email, &c.Phone, &c.Stage, &c.CRMID, &c.Unsubscribed); err != nil {
			t.Fatal(err)
		}
		contacts = append(contacts, c)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state = 'failed') FROM crm_outbox`).Scan(&pending, &failed); err != nil {
		t.Fatal(err)
	}
	return contacts, pending, failed
}

var hsStages = map[string]string{"lead": "lead", "qualified": "salesqualifiedlead", "opportunity": "opportunity", "customer": "customer", "churned": "other"}

// wantFields is what the CRM record of c must hold, in the vendor's names.
func wantFields(p crm.Provider, c dbContact) map[string]string {
	first, last := crm.SplitName(c.Name)
	id := strconv.FormatInt(c.ID, 10)
	switch p {
	case crm.HubSpot:
		w := map[string]string{"firstname": first, "lastname": last, "email": c.Email, "phone": c.Phone, "lifecyclestage": hsStages[c.Stage]}
		if c.Email != "" {
			w["hs_email_optout"] = strconv.FormatBool(c.Unsubscribed)
		}
		return w
	case crm.Salesforce:
		return map[string]string{"FirstName": first, "LastName": last, "Email": c.Email, "Phone": c.Phone, "HasOptedOutOfEmail": strconv.FormatBool(c.Unsubscribed),
			crm.SalesforceStage: c.Stage, crm.SalesforceIDField: id}
	}
	return map[string]string{"First_Name": first, "Last_Name": last, "Email": c.Email, "Phone": c.Phone, "Email_Opt_Out": strconv.FormatBool(c.Unsubscribed),
		crm.ZohoStageField: c.Stage}
}

// checkExactlyOnce asserts the sync's promise: every contact is in the CRM
// exactly once, with its current fields, and the outbox is empty. Contacts
// sharing an email address share a record where the CRM matches by email.
func checkExactlyOnce(t testing.TB, p crm.Provider, path string, srv *fake.Server, wantContacts int) {
	t.Helper()
	contacts, pending, failed := readDB(t, path)
	if pending != 0 || failed != 0 {
		t.Fatalf("outbox: %d pending, %d failed rows left", pending, failed)
	}
	if wantContacts >= 0 && len(contacts) != wantContacts {
		t.Fatalf("%d contacts, want %d", len(contacts), wantContacts)
	}
	recs := map[string]fake.Record{}
	for _, r := range srv.Records() {
		recs[r.ID] = r
	}
	linked := map[string][]dbContact{}
	for _, c := range contacts {
		if c.CRMID == "" {
			t.Fatalf("contact %d (%s) is not linked to a CRM record", c.ID, c.Name)
		}
		if _, ok := recs[c.CRMID]; !ok {
			t.Fatalf("contact %d is linked to %s record %s, which does not exist", c.ID, p, c.CRMID)
		}
		linked[c.CRMID] = append(linked[c.CRMID], c)
	}
	for id, r := range recs {
		cs := linked[id]
		if len(cs) == 0 {
			t.Fatalf("%s record %s belongs to no contact (a double?): %v", p, id, r.Fields)
		}
		if len(cs) > 1 {
			for _, c := range cs[1:] {
				if p == crm.Salesforce || c.Email == "" || !strings.EqualFold(c.Email, cs[0].Email) {
					t.Fatalf("contacts %d and %d share record %s without sharing an email", cs[0].ID, c.ID, id)
				}
			}
			continue // which one's name is last pushed is a race between them
		}
		for k, want := range wantFields(p, cs[0]) {
			if got := r.Fields[k]; got != want {
				t.Errorf("record %s of contact %d: %s = %q, want %q", id, cs[0].ID, k, got, want)
			}
		}
	}
	if v := srv.Violations(); len(v) > 0 {
		t.Fatalf("requests the vendor would refuse:\n%s", strings.Join(v, "\n"))
	}
}

func TestCRMOutboxRowsOnlyWhileConnected(t *testing.T) {
	a := crmApp(t)
	_, url := startFake(t, crm.HubSpot, fake.Options{})
	ingest(t, a, customers(0, 8))
	if _, pending, _ := readDB(t, a.Path()); pending != 0 {
		t.Fatalf("%d outbox rows without a CRM", pending)
	}
	connectFake(t, a, crm.HubSpot, url, false)
	ingest(t, a, customers(8, 12))
	ingest(t, a, customers(8, 12))                                                                                     // delivered twice: no second contact, no second row
	ingest(t, a, []model.Inbound{func() model.Inbound { m := customers(8, 1)[0]; m.MessageID = "again"; return m }()}) // a returning customer
	if _, pending, _ := readDB(t, a.Path()); pending != 12 {
		t.Fatalf("%d outbox rows, want one per new customer (12)", pending)
	}
	st, err := a.CRMStatus(context.Background())
	if err != nil || st.Provider != "hubspot" || st.Pending != 12 || st.Synced != 0 {
		t.Fatalf("status %+v %v", st, err)
	}
	ctx := context.Background()
	contacts, _, _ := readDB(t, a.Path())
	last := contacts[len(contacts)-1].ID
	if err := a.SetField(ctx, "ann", last, "plan", "gold"); err != nil { // a custom property: not pushed
		t.Fatal(err)
	}
	if _, pending, _ := readDB(t, a.Path()); pending != 12 {
		t.Fatalf("a custom property queued a CRM update (%d rows)", pending)
	}
	if err := a.SetField(ctx, "ann", last, "lead_stage", "customer"); err != nil {
		t.Fatal(err)
	}
	if err := a.Unsubscribe(ctx, "ann", last); err != nil {
		t.Fatal(err)
	}
	if _, pending, _ := readDB(t, a.Path()); pending != 14 {
		t.Fatalf("%d rows, want 14 (a lead-stage change and an unsubscribe each queue an update)", pending)
	}
	if _, err := a.DisconnectCRM(ctx); err != nil {
		t.Fatal(err)
	}
	ingest(t, a, customers(100, 3))
	if _, pending, _ := readDB(t, a.Path()); pending != 14 {
		t.Fatalf("rows queued after disconnecting (%d)", pending)
	}
}

func TestCRMSyncPushesNewCustomersAndLaterChanges(t *testing.T) {
	for _, p := range crm.Providers {
		t.Run(string(p), func(t *testing.T) {
			ctx := context.Background()
			a := crmApp(t)
			srv, url := startFake(t, p, fake.Options{})
			connectFake(t, a, p, url, false)
			ingest(t, a, customers(0, 250))
			sum, err := a.SyncCRM(ctx)
			if err != nil || sum.Synced != 250 || sum.Created != 250 || sum.Pending != 0 || sum.Error != "" {
				t.Fatalf("sync: %+v %v", sum, err)
			}
			checkExactlyOnce(t, p, a.Path(), srv, 250)
			if max := (250/map[crm.Provider]int{crm.HubSpot: 100, crm.Salesforce: 200, crm.Zoho: 100}[p] + 1) * 2; sum.Requests > int64(max) {
				t.Errorf("%d requests for 250 contacts: batching is off", sum.Requests)
			}
			// Later changes are pushed as updates to the same records.
			contacts, _, _ := readDB(t, a.Path())
			for i, c := range contacts[:12] {
				var err error
				switch i % 6 {
				case 0:
					err = a.SetField(ctx, "ann", c.ID, "name", "Renée Van der Berg")
				case 1:
					err = a.SetField(ctx, "ann", c.ID, "email", fmt.Sprintf("new%d@example.net", c.ID))
				case 2:
					err = a.SetField(ctx, "ann", c.ID, "phone", "+4930901820")
				case 3:
					err = a.SetField(ctx, "ann", c.ID, "lead_stage", "opportunity")
				case 4:
					err = a.Unsubscribe(ctx, "ann", c.ID)
				case 5:
					if c.Email == "" {
						err = a.SetField(ctx, "ann", c.ID, "email", fmt.Sprintf("late%d@example.net", c.ID))
					} else {
						err = a.SetField(ctx, "ann", c.ID, "email", "")
					}
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			sum, err = a.SyncCRM(ctx)
			if err != nil || sum.Created != 0 || sum.Synced != 12 {
				t.Fatalf("second sync: %+v %v", sum, err)
			}
			checkExactlyOnce(t, p, a.Path(), srv, 250)
			cs, err := a.CRMStatusOf(ctx, contacts[0].ID)
			if err != nil || cs.State != "synced" || cs.CRMID == "" || time.Since(cs.SyncedAt) > time.Minute || cs.Provider != p.Label() {
				t.Errorf("CRMStatusOf: %+v %v", cs, err)
			}
			d, err := a.ContactCard(ctx, contacts[0].ID)
			if err != nil || d.CRM.State != "synced" {
				t.Errorf("ContactCard CRM: %+v %v", d.CRM, err)
			}
			st, err := a.CRMStatus(ctx)
			if err != nil || st.Synced != 250 || st.Pending != 0 || st.Failed != 0 {
				t.Errorf("status: %+v %v", st, err)
			}
		})
	}
}

func TestCRMRefusedContactIsParkedVisibleAndRetried(t *testing.T) {
	for _, p := range crm.Providers {
		t.Run(string(p), func(t *testing.T) {
			ctx := context.Background()
			a := crmApp(t)
			srv, url := startFake(t, p, fake.Options{})
			connectFake(t, a, p, url, false)
			msgs := customers(0, 40)
			msgs[6].Prechat.Email = "broken@example.invalid" // the CRM refuses this address
			ingest(t, a, msgs)
			sum, err := a.SyncCRM(ctx)
			if err != nil || sum.Synced != 39 || sum.Failed != 1 || sum.Error != "" {
				t.Fatalf("sync: %+v %v", sum, err)
			}
			var bad dbContact
			contacts, _, failed := readDB(t, a.Path())
			for _, c := range contacts {
				if c.Email == "broken@example.invalid" {
					bad = c
				}
			}
			if failed != 1 || bad.CRMID != "" {
				t.Fatalf("failed rows %d, refused contact %+v", failed, bad)
			}
			cs, err := a.CRMStatusOf(ctx, bad.ID)
			if err != nil || cs.State != "failed" || !strings.Contains(strings.ToLower(cs.Error), "email") {
				t.Fatalf("CRMStatusOf the refused contact: %+v %v", cs, err)
			}
			st, _ := a.CRMStatus(ctx)
			if st.Failed != 1 || st.Synced != 39 || st.LastError != cs.Error {
				t.Errorf("status: %+v", st)
			}
			// Retried unchanged: refused again, nothing else touched.
			if n, err := a.RetryCRM(ctx); err != nil || n != 1 {
				t.Fatalf("retry: %d %v", n, err)
			}
			if sum, _ := a.SyncCRM(ctx); sum.Failed != 1 || sum.Synced != 0 {
				t.Errorf("retry unchanged: %+v", sum)
			}
			// Fixed: the next push succeeds and clears the failure.
			if err := a.SetField(ctx, "ann", bad.ID, "email", "fixed@example.org"); err != nil {
				t.Fatal(err)
			}
			if sum, _ := a.SyncCRM(ctx); sum.Synced != 1 || sum.Failed != 0 {
				t.Errorf("after the fix: %+v", sum)
			}
			checkExactlyOnce(t, p, a.Path(), srv, 40)
			d, err := a.ContactDetails(ctx, bad.ID)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, act := range d.Activity {
				kinds[act.Kind]++
			}
			if kinds[app.ActCRMFailed] != 2 || kinds[app.ActCRMSynced] != 1 {
				t.Errorf("timeline: %v", kinds)
			}
		})
	}
}

func TestCRMConnectRefusesBadInputAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	a := crmApp(t)
	_, url := startFake(t, crm.Salesforce, fake.Options{})
	for _, c := range []struct {
		req  app.CRMConnect
		want string
	}{
		{app.CRMConnect{Provider: "pipedrive"}, "unknown CRM"},
		{app.CRMConnect{Provider: "hubspot"}, "needs --token"},
		{app.CRMConnect{Provider: "hubspot", Token: "x", ClientID: "y"}, "not both"},
		{app.CRMConnect{Provider: "salesforce", Token: "x"}, "HubSpot's private-app token"},
		{app.CRMConnect{Provider: "zoho", ClientID: "a", RefreshToken: "b"}, "missing --client-secret"},
		{app.CRMConnect{Provider: "salesforce", ClientID: "a", ClientSecret: "b", RefreshToken: "c", AuthURL: "ftp://x"}, "--auth-url"},
		{app.CRMConnect{Provider: "salesforce", ClientID: fake.ClientID, ClientSecret: "wrong-secret-42", RefreshToken: fake.RefreshToken, AuthURL: url}, "refused"},
	} {
		_, err := a.ConnectCRM(ctx, c.req)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error with %q", c.req, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "wrong-secret-42") {
			t.Errorf("the error shows the secret: %v", err)
		}
		if st, _ := a.CRMStatus(ctx); st.Provider != "" {
			t.Fatalf("a refused connect stored a connection: %+v", st)
		}
	}
	connectFake(t, a, crm.Salesforce, url, false)
	for _, f := range []string{a.Path(), a.Path() + "-wal", a.Path() + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v with secrets in it, want 0600", f, fi.Mode().Perm())
		}
	}
	if _, err := a.ConnectCRM(ctx, app.CRMConnect{Provider: "zoho", ClientID: "a", ClientSecret: "b", RefreshToken: "c"}); err == nil || !strings.Contains(err.Error(), "disconnect") {
		t.Errorf("a second CRM: %v", err)
	}
}

func TestCRMSwitchingProviderRelinksEveryone(t *testing.T) {
	ctx := context.Background()
	a := crmApp(t)
	hs, hurl := startFake(t, crm.HubSpot, fake.Options{})
	ingest(t, a, customers(0, 10)) // before any CRM
	connectFake(t, a, crm.HubSpot, hurl, true)
	ingest(t, a, customers(10, 10))
	if sum, err := a.SyncCRM(ctx); err != nil || sum.Synced != 20 {
		t.Fatalf("sync with backfill: %+v %v", sum, err)
	}
	checkExactlyOnce(t, crm.HubSpot, a.Path(), hs, 20)
	if p, err := a.DisconnectCRM(ctx); err != nil || p != "hubspot" {
		t.Fatalf("disconnect: %q %v", p, err)
	}
	if _, err := a.SyncCRM(ctx); !errors.Is(err, app.ErrNoCRM) {
		t.Errorf("sync without a CRM: %v", err)
	}
	zs, zurl := startFake(t, crm.Zoho, fake.Options{})
	connectFake(t, a, crm.Zoho, zurl, true)
	if sum, err := a.SyncCRM(ctx); err != nil || sum.Synced != 20 || sum.Created != 20 {
		t.Fatalf("sync to the new CRM: %+v %v", sum, err)
	}
	checkExactlyOnce(t, crm.Zoho, a.Path(), zs, 20)
}

func TestCRMMergeUpdatesTheKeptRecord(t *testing.T) {
	for _, p := range crm.Providers {
		t.Run(string(p), func(t *testing.T) {
			ctx := context.Background()
			a := crmApp(t)
			srv, url := startFake(t, p, fake.Options{})
			connectFake(t, a, p, url, false)
			ingest(t, a, customers(0, 6))
			if _, err := a.SyncCRM(ctx); err != nil {
				t.Fatal(err)
			}
			contacts, _, _ := readDB(t, a.Path())
			keep, other := contacts[0], contacts[1] // both linked
			if _, err := a.Merge(ctx, "ann", keep.ID, other.ID, nil); err != nil {
				t.Fatalf("merge: %v", err)
			}
			sum, err := a.SyncCRM(ctx)
			if err != nil || sum.Merged != 1 || sum.Pending != 0 {
				t.Fatalf("sync of the merge: %+v %v", sum, err)
			}
			checkExactlyOnce(t, p, a.Path(), srv, 5)
			if n := len(srv.Records()); n != 5 {
				t.Errorf("%d records after the merge, want 5", n)
			}
		})
	}
}

// TestCRMChaos: 1,000 new customers arrive (and agents edit some of them)
// while the CRM answers 30% of calls with a 429, a 500, a 401 or a timeout
// — some timeouts after applying the change. At the end every customer is
// in the CRM exactly once with its current fields and the outbox is empty.
func TestCRMChaos(t *testing.T) {
	providers := crm.Providers
	if testing.Short() {
		providers = providers[:1]
	}
	for _, p := range providers {
		t.Run(string(p), func(t *testing.T) {
			ctx := context.Background()
			a := crmApp(t)
			srv, url := startFake(t, p, fake.Options{Seed: 42, RateMax: 1000, RateWindow: time.Second, RetryAfter: 0})
			connectFake(t, a, p, url, false)
			srv.SetFaultRate(0.3)
			// Batching makes few calls (Salesforce: 200 records each), so a
			// random 30% may miss a kind: the first calls get one of each.
			srv.FailNext(fake.AllFaults...)
			wctx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { a.RunCRMSync(wctx); close(done) }()

			rng := rand.New(rand.NewPCG(1, 2))
			const total = 1000
			for from := 0; from < total; {
				n := min(1+rng.IntN(40), total-from)
				ingest(t, a, customers(from, n))
				from += n
				if rng.IntN(3) == 0 {
					// An agent edits a contact that may or may not be synced yet.
					contacts, _, _ := readDB(t, a.Path())
					c := contacts[rng.IntN(len(contacts))]
					var err error
					switch rng.IntN(4) {
					case 0:
						err = a.SetField(ctx, "ann", c.ID, "name", fmt.Sprintf("Edited%d Name", c.ID))
					case 1:
						err = a.SetField(ctx, "ann", c.ID, "lead_stage", "customer")
					case 2:
						err = a.SetField(ctx, "ann", c.ID, "email", fmt.Sprintf("moved%d@example.net", c.ID))
					case 3:
						if c.Email != "" {
							err = a.Unsubscribe(ctx, "ann", c.ID)
						}
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(time.Duration(rng.IntN(5)) * time.Millisecond)
			}
			deadline := time.Now().Add(2 * time.Minute)
			for {
				st, err := a.CRMStatus(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.Pending == 0 && st.Failed == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the outbox did not drain: %+v", st)
				}
				time.Sleep(50 * time.Millisecond)
			}
			stop()
			<-done
			checkExactlyOnce(t, p, a.Path(), srv, total)
			faults := map[fake.Fault]int{}
			for _, c := range srv.Calls() {
				faults[c.Fault]++
			}
			if faults[fake.FaultRateLimit] == 0 || faults[fake.FaultServer] == 0 || faults[fake.FaultAuth] == 0 || faults[fake.FaultTimeout] == 0 {
				t.Errorf("not every fault was exercised: %v", faults)
			}
			t.Logf("%s: %d calls, faults %v, %d records", p, len(srv.Calls()), faults, len(srv.Records()))
		})
	}
}
