//go:build unix

package app_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"cxinbox/app"
	"cxinbox/app/crm"
	"cxinbox/app/crm/fake"
)

// The kill test runs the sync worker in a child process (this test binary
// again, running only TestCRMSyncChild) and SIGKILLs it mid-sync, again and
// again, against one fake CRM living in the parent; then a last worker
// finishes. Killed between a request the CRM applied and the commit that
// records it, a worker leaves rows that the next one re-sends: the upsert
// key makes that an update, never a second record.
const crmChildEnv = "CXINBOX_CRM_CHILD" // database path; set only in the child

// killLease is short so the last worker need not wait long for the rows a
// killed one held.
const killLease = 700 * time.Millisecond

func TestCRMSyncChild(t *testing.T) {
	path := os.Getenv(crmChildEnv)
	if path == "" {
		return
	}
	a, err := app.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	o := fastCRM
	o.Lease = killLease
	a.SetCRMOptions(o)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a child nobody kills ends anyway
	defer cancel()
	a.RunCRMSync(ctx)
}

func TestCRMKillAndRestartLosesNothingDoublesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns and kills workers")
	}
	for _, p := range []crm.Provider{crm.HubSpot, crm.Salesforce, crm.Zoho} {
		t.Run(string(p), func(t *testing.T) {
			ctx := context.Background()
			// Slow answers and some lost ones widen the windows a kill can land in.
			// A worker needs well over the longest first kill (450 ms) for all of them.
			latency := map[crm.Provider]time.Duration{crm.HubSpot: 60, crm.Salesforce: 120, crm.Zoho: 60}[p] * time.Millisecond
			srv, url := startFake(t, p, fake.Options{Seed: 9, Latency: latency, RateMax: 100000, Faults: []fake.Fault{fake.FaultTimeout}})
			path := t.TempDir() + "/kill.db"
			a, err := app.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			a.SetCRMOptions(fastCRM)
			connectFake(t, a, p, url, false)
			const total = 1500
			for from := 0; from < total; from += 100 {
				ingest(t, a, customers(from, 100))
			}
			a.Close()
			srv.SetFaultRate(0.1)

			rng := rand.New(rand.NewPCG(3, 4))
			kills, unrecorded := 0, 0
			for round := 0; round < 6; round++ {
				cmd := exec.Command(os.Args[0], "-test.run=^TestCRMSyncChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), crmChildEnv+"="+path)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Duration(150+rng.IntN(300)) * time.Millisecond)
				cmd.Process.Kill() // SIGKILL: no cleanup, mid-request or mid-commit
				cmd.Wait()
				contacts, pending, _ := readDB(t, path)
				if pending == 0 {
					break
				}
				kills++ // killed with work left
				linked := 0
				for _, c := range contacts {
					if c.CRMID != "" {
						linked++
					}
				}
				if n := len(srv.Records()); n > linked {
					unrecorded++ // the CRM has records the database has not linked yet: the next worker must not double them
				}
			}
			if kills == 0 {
				t.Fatal("no worker was killed mid-sync")
			}
			before := len(srv.Records())
			srv.SetFaultRate(0)

			// A last worker, after the killed one's lease ran out.
			a, err = app.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			o := fastCRM
			o.Lease = killLease
			a.SetCRMOptions(o)
			deadline := time.Now().Add(time.Minute)
			for {
				if _, err := a.SyncCRM(ctx); err != nil {
					t.Fatal(err)
				}
				if _, pending, _ := readDB(t, path); pending == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("rows still pending")
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Logf("%s: %d kills (%d between the CRM applying a push and the database recording it); %d of %d records were in the CRM before the last worker",
				p, kills, unrecorded, before, total)
			checkExactlyOnce(t, p, path, srv, total)
		})
	}
}
