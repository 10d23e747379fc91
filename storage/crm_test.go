package storage

import (
	"context"
	"os"
	"testing"
	"time"
)

func connectCRM(t *testing.T, s *Store, provider string) {
	t.Helper()
	err := s.SaveCRMConnection(context.Background(), CRMConnection{Provider: provider, ClientSecret: "secret", APIBase: "http://x"},
		func(tx *Tx) error { return tx.SwitchLinkedCRM(provider) })
	if err != nil {
		t.Fatal(err)
	}
}

func TestCRMOutboxClaimLeaseDeferFailRetry(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	a, b, c := addContact(t, s, "Ann"), addContact(t, s, "Bo"), addContact(t, s, "Cy")
	write := func(fn func(*Tx) error) {
		t.Helper()
		if err := s.Write(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	write(func(tx *Tx) error { return tx.EnqueueCRM(OutboxCreate, []int64{a, b}, "") })
	if n := rowCount(t, s, "crm_outbox"); n != 0 {
		t.Fatalf("%d rows queued without a CRM", n)
	}
	connectCRM(t, s, "hubspot")
	fi, err := os.Stat(s.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("database with secrets is %v (%v)", fi.Mode().Perm(), err)
	}
	write(func(tx *Tx) error { return tx.EnqueueCRM(OutboxCreate, []int64{a, b, c}, "") })
	write(func(tx *Tx) error { return tx.EnqueueCRM(OutboxUpdate, []int64{a}, `{"fields":["name"]}`) })

	now := time.Now()
	var first []OutboxRow
	write(func(tx *Tx) (err error) { first, err = tx.ClaimCRM(now, time.Minute, 2); return err })
	if len(first) != 2 || first[0].ContactID != a || first[1].ContactID != b || first[0].Attempts != 1 {
		t.Fatalf("first claim: %+v", first)
	}
	// A second worker gets neither those rows nor the other row of Ann,
	// whose contact the first worker holds.
	var second []OutboxRow
	write(func(tx *Tx) (err error) { second, err = tx.ClaimCRM(now, time.Minute, 10); return err })
	if len(second) != 1 || second[0].ContactID != c {
		t.Fatalf("second claim: %+v", second)
	}
	// After the lease the rows are due again (a killed worker).
	var again []OutboxRow
	write(func(tx *Tx) (err error) {
		again, err = tx.ClaimCRM(now.Add(2*time.Minute), time.Minute, 10)
		return err
	})
	if len(again) != 4 || again[0].Attempts != 2 || again[3].Attempts != 1 {
		t.Fatalf("after the lease: %+v", again)
	}

	later := now.Add(2 * time.Minute)
	write(func(tx *Tx) error {
		if err := tx.LinkCRM(a, "101", later); err != nil {
			return err
		}
		if err := tx.DoneCRM([]int64{again[0].ID, again[3].ID}); err != nil {
			return err
		}
		return tx.FailCRM([]int64{again[1].ID}, "Email address is invalid")
	})
	write(func(tx *Tx) error { return tx.DeferCRM([]int64{second[0].ID}, later.Add(time.Hour), "HubSpot: 503") })
	counts, err := s.CRMCounts(ctx)
	if err != nil || counts.Pending != 1 || counts.Failed != 1 || counts.Synced != 1 || counts.LastError == "" {
		t.Fatalf("counts: %+v %v", counts, err)
	}
	if due, _ := s.CRMDue(ctx, later.Add(time.Minute)); due {
		t.Error("a deferred row is due before its time")
	}
	if due, _ := s.CRMDue(ctx, later.Add(2*time.Hour)); !due {
		t.Error("a deferred row is not due after its time")
	}
	st, err := s.ContactCRM(ctx, a)
	if err != nil || st.State != "synced" || st.CRMID != "101" {
		t.Errorf("Ann: %+v %v", st, err)
	}
	if st, _ := s.ContactCRM(ctx, b); st.State != "failed" || st.Error != "Email address is invalid" {
		t.Errorf("Bo: %+v", st)
	}
	if st, _ := s.ContactCRM(ctx, c); st.State != "pending" || st.Error != "HubSpot: 503" {
		t.Errorf("Cy: %+v", st)
	}
	var n int64
	write(func(tx *Tx) (err error) { n, err = tx.RetryFailedCRM(); return err })
	if n != 1 {
		t.Errorf("retry re-queued %d rows", n)
	}
	// A successful push of Bo drops nothing of others and clears his failures.
	write(func(tx *Tx) error { return tx.FailCRM([]int64{again[1].ID}, "again") })
	write(func(tx *Tx) error { return tx.LinkCRM(b, "102", later) })
	if st, _ := s.ContactCRM(ctx, b); st.State != "synced" {
		t.Errorf("Bo after a successful push: %+v", st)
	}

	// Another CRM: the old links are meaningless there.
	if p, err := s.DeleteCRMConnection(ctx); err != nil || p != "hubspot" {
		t.Fatalf("delete: %q %v", p, err)
	}
	connectCRM(t, s, "zoho")
	if counts, _ := s.CRMCounts(ctx); counts.Synced != 0 {
		t.Errorf("links survived a switch of CRM: %+v", counts)
	}
	var backfilled int64
	write(func(tx *Tx) (err error) { backfilled, err = tx.BackfillCRM(); return err })
	if backfilled != 2 { // Cy still has a pending row
		t.Errorf("backfill queued %d", backfilled)
	}
}
