package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"cxinbox/app/crm"
	"cxinbox/model"
	"cxinbox/storage"
)

// CRM sync. The transaction that creates a new customer's first ticket (and
// one that edits a pushed field, and a merge) writes a crm_outbox row; a
// worker — in the background of the inbox and the server, or `crm sync` —
// leases due rows, pushes the contacts' current state to the connected CRM
// through an idempotent upsert, and records the outcome: linked (the CRM's
// record id on the contact, the row deleted), failed (a refusal, with the
// vendor's message, until `crm retry` or a later successful push), or
// deferred (429, 5xx, timeouts, an expired token that would not refresh:
// retried later with back-off). Nothing here holds a transaction across a
// network call, so ingest and the UI never wait on a CRM.
//
// Rows are written only while a CRM is connected (read in the same
// transaction): an inbox without a CRM grows no backlog. `crm connect
// --backfill` queues the contacts created before.

// Timeline entries of the sync.
const (
	ActCRMSynced = "crm_synced"
	ActCRMFailed = "crm_failed"
)

// CRMOptions tune the sync worker; the zero value is the production setting.
type CRMOptions struct {
	Policy crm.Policy    // HTTP retries and back-off
	Lease  time.Duration // how long a worker holds claimed rows (default 3m; a killed worker's rows come back after it)
	Poll   time.Duration // how often an idle worker looks for due rows (default 2s; it also wakes on every local change)
	HTTP   *http.Client  // nil: one with Policy.Timeout
}

func (o CRMOptions) withDefaults() CRMOptions {
	o.Policy = o.Policy.WithDefaults()
	if o.Lease <= 0 {
		// Longer than a batch's worst case (Tries × Timeout plus back-off),
		// so a slow push is not taken over by another worker.
		o.Lease = 3 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	return o
}

// crmState is an App's sync machinery: one drain at a time per process, and
// the adapter of the current connection.
type crmState struct {
	run sync.Mutex // held by a drain

	mu    sync.Mutex
	opts  CRMOptions
	stats crm.Stats
	ad    crm.Adapter
	adKey string // the connection the adapter was built for
}

func (a *App) crmState() *crmState {
	a.crmOnce.Do(func() { a.crm = &crmState{opts: CRMOptions{}.withDefaults()} })
	return a.crm
}

// SetCRMOptions changes the sync's retry policy, lease and poll interval.
func (a *App) SetCRMOptions(o CRMOptions) {
	st := a.crmState()
	st.mu.Lock()
	st.opts, st.ad, st.adKey = o.withDefaults(), nil, ""
	st.mu.Unlock()
}

// CRMConnect is what `crm connect` asks for.
type CRMConnect struct {
	Provider                             string
	Token                                string // HubSpot private-app token
	ClientID, ClientSecret, RefreshToken string // OAuth 2.0 refresh-token flow
	BaseURL                              string // API host override (tests, sandboxes)
	AuthURL                              string // token endpoint override (host, or full URL)
	Backfill                             bool   // queue every contact not yet linked
}

// CRMConnected reports a new connection, without secrets.
type CRMConnected struct {
	Provider   string
	Describe   string
	Backfilled int64
}

// ConnectCRM checks the credentials with the vendor (the token exchange, and
// the fields the sync relies on) and, only if that works, stores them — the
// database file made 0600 first — as the one active CRM. A bad flag or a
// refused credential changes nothing.
func (a *App) ConnectCRM(ctx context.Context, req CRMConnect) (CRMConnected, error) {
	var out CRMConnected
	p, err := crm.ParseProvider(req.Provider)
	if err != nil {
		return out, err
	}
	oauth := req.ClientID != "" || req.ClientSecret != "" || req.RefreshToken != ""
	switch {
	case p == crm.HubSpot && req.Token != "" && oauth:
		return out, errors.New("give either --token (a private-app token) or --client-id, --client-secret and --refresh-token, not both")
	case p == crm.HubSpot && req.Token == "" && !oauth:
		return out, errors.New("hubspot needs --token (a private-app token) or --client-id, --client-secret and --refresh-token")
	case p != crm.HubSpot && req.Token != "":
		return out, fmt.Errorf("--token is HubSpot's private-app token; %s connects with --client-id, --client-secret and --refresh-token", p)
	}
	if oauth || p != crm.HubSpot {
		var missing []string
		for _, f := range []struct{ name, v string }{{"--client-id", req.ClientID}, {"--client-secret", req.ClientSecret}, {"--refresh-token", req.RefreshToken}} {
			if strings.TrimSpace(f.v) == "" {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return out, fmt.Errorf("%s needs --client-id, --client-secret and --refresh-token (missing %s)", p, strings.Join(missing, ", "))
		}
	}
	for _, u := range []struct{ flag, v string }{{"--base-url", req.BaseURL}, {"--auth-url", req.AuthURL}} {
		if u.v != "" {
			if err := crm.CheckURL(u.v); err != nil {
				return out, fmt.Errorf("%s: %w", u.flag, err)
			}
		}
	}
	if cur, ok, err := a.store.CRMConnection(ctx); err != nil {
		return out, err
	} else if ok && cur.Provider != string(p) {
		return out, fmt.Errorf("already connected to %s: run `cxinbox crm disconnect` first (one CRM at a time)", crm.Provider(cur.Provider).Label())
	}

	st := a.crmState()
	st.mu.Lock()
	opts := st.opts
	st.mu.Unlock()
	creds := crm.Credentials{PrivateToken: strings.TrimSpace(req.Token), ClientID: strings.TrimSpace(req.ClientID),
		ClientSecret: strings.TrimSpace(req.ClientSecret), RefreshToken: strings.TrimSpace(req.RefreshToken), APIBase: req.BaseURL}
	if p == crm.HubSpot && creds.APIBase == "" {
		creds.APIBase = crm.HubSpotDefaultBase
	}
	if creds.PrivateToken == "" {
		creds.AuthURL = crm.TokenURL(p, req.AuthURL, creds.APIBase)
		if creds, err = crm.Exchange(ctx, p, opts.HTTP, opts.Policy, &st.stats, creds, req.BaseURL); err != nil {
			return out, fmt.Errorf("connect %s: %w", p.Label(), err)
		}
	}
	ad, err := crm.New(crm.Config{Provider: p, Credentials: creds, HTTP: opts.HTTP, Policy: opts.Policy, Stats: &st.stats})
	if err != nil {
		return out, err
	}
	if err := ad.Check(ctx); err != nil {
		return out, fmt.Errorf("connect %s: %w", p.Label(), err)
	}
	conn := storage.CRMConnection{Provider: string(p), PrivateToken: creds.PrivateToken, ClientID: creds.ClientID,
		ClientSecret: creds.ClientSecret, RefreshToken: creds.RefreshToken, AccessToken: creds.AccessToken,
		TokenExpiry: creds.Expiry, APIBase: creds.APIBase, AuthURL: creds.AuthURL, ConnectedAt: time.Now().UTC()}
	err = a.store.SaveCRMConnection(ctx, conn, func(tx *storage.Tx) error {
		if err := tx.SwitchLinkedCRM(string(p)); err != nil {
			return err
		}
		if req.Backfill {
			out.Backfilled, err = tx.BackfillCRM()
		}
		return err
	})
	if err != nil {
		return out, err
	}
	a.publish(Change{})
	st.mu.Lock()
	st.ad, st.adKey = nil, ""
	st.mu.Unlock()
	return CRMConnected{Provider: string(p), Describe: ad.Describe(), Backfilled: out.Backfilled}, nil
}

// DisconnectCRM forgets the connection and its secrets. The outbox and the
// links stay: connecting the same CRM again carries on where it stopped.
// It returns the provider that was connected ("" if none).
func (a *App) DisconnectCRM(ctx context.Context) (string, error) {
	p, err := a.store.DeleteCRMConnection(ctx)
	if err == nil && p != "" {
		a.publish(Change{})
	}
	st := a.crmState()
	st.mu.Lock()
	st.ad, st.adKey = nil, ""
	st.mu.Unlock()
	return p, err
}

// CRMStatus is `crm status --json`: the connected provider ("" when none),
// contacts waiting, refused and linked, and the newest error.
type CRMStatus struct {
	Provider    string     `json:"provider"`
	Pending     int64      `json:"pending"`
	Failed      int64      `json:"failed"`
	Synced      int64      `json:"synced"`
	LastError   string     `json:"last_error"`
	Auth        string     `json:"auth"`    // "private-app token", "oauth" or ""
	API         string     `json:"api_url"` // where calls go
	ConnectedAt *time.Time `json:"connected_at,omitempty"`
}

// CRMStatus reports the connection and the outbox.
func (a *App) CRMStatus(ctx context.Context) (CRMStatus, error) {
	var s CRMStatus
	conn, ok, err := a.store.CRMConnection(ctx)
	if err != nil {
		return s, err
	}
	if ok {
		s.Provider, s.API, s.Auth = conn.Provider, conn.APIBase, "oauth"
		if conn.PrivateToken != "" {
			s.Auth = "private-app token"
		}
		at := conn.ConnectedAt
		s.ConnectedAt = &at
	}
	c, err := a.store.CRMCounts(ctx)
	s.Pending, s.Failed, s.Synced, s.LastError = c.Pending, c.Failed, c.Synced, c.LastError
	return s, err
}

// RetryCRM puts every failed row back in the queue and returns how many.
func (a *App) RetryCRM(ctx context.Context) (int64, error) {
	var n int64
	err := a.write(ctx, Change{}, func(tx *storage.Tx) (err error) {
		n, err = tx.RetryFailedCRM()
		return err
	})
	return n, err
}

// ContactCRM is the contact pane's CRM line: Provider is "" when no CRM is
// connected; State is "synced", "pending", "failed" or "" (never queued).
type ContactCRM struct {
	Provider string
	storage.ContactCRM
}

// CRMStatusOf reads one contact's sync state.
func (a *App) CRMStatusOf(ctx context.Context, contactID int64) (ContactCRM, error) {
	var c ContactCRM
	conn, ok, err := a.store.CRMConnection(ctx)
	if err != nil || !ok {
		return c, err
	}
	c.Provider = crm.Provider(conn.Provider).Label()
	c.ContactCRM, err = a.store.ContactCRM(ctx, contactID)
	return c, err
}

// queueCRMUpdate writes an 'update' row when a field the CRMs receive
// changed (in the caller's transaction; nothing without a connection).
func queueCRMUpdate(tx *storage.Tx, contactID int64, field string) error {
	switch field {
	case "name", "email", "phone", "company", "lead_stage", "email_unsubscribed":
		return tx.EnqueueCRM(storage.OutboxUpdate, []int64{contactID}, `{"fields":["`+field+`"]}`)
	}
	return nil
}

// crmCreates lists the ids of an ingest group's new contacts, each of which
// comes with its first ticket.
func crmCreates(cs []model.Contact) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// CRMSyncSummary is `crm sync --json`.
type CRMSyncSummary struct {
	Provider string  `json:"provider"`
	Synced   int     `json:"synced"`   // contacts pushed (created or updated)
	Created  int     `json:"created"`  // of which new records
	Merged   int     `json:"merged"`   // merges carried out in the CRM
	Failed   int     `json:"failed"`   // contacts the CRM refused (parked with its message)
	Deferred int     `json:"deferred"` // contacts whose push failed for now (retried later)
	Pending  int64   `json:"pending"`  // contacts still in the outbox
	Requests int64   `json:"requests"` // HTTP requests, retries included
	Seconds  float64 `json:"seconds"`
	Error    string  `json:"error"` // why the drain stopped early ("" if it did not)
}

// ErrNoCRM is returned when no CRM is connected.
var ErrNoCRM = errors.New("no CRM connected: run `cxinbox crm connect hubspot|salesforce|zoho` first")

// SyncCRM drains the outbox once: every due row is pushed, and the call
// returns when none is left, or when the CRM stopped answering (the rows
// stay pending; Error says why).
func (a *App) SyncCRM(ctx context.Context) (CRMSyncSummary, error) {
	start := time.Now()
	st := a.crmState()
	req0 := st.stats.Requests.Load()
	var sum CRMSyncSummary
	ad, err := a.crmAdapter(ctx)
	if err != nil {
		return sum, err
	}
	if ad == nil {
		return sum, ErrNoCRM
	}
	sum.Provider = string(ad.Provider())
	stop := a.drainCRM(ctx, ad, &sum)
	if stop != nil {
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		sum.Error = stop.Error()
	}
	c, err := a.store.CRMCounts(context.WithoutCancel(ctx))
	sum.Pending = c.Pending
	sum.Requests = st.stats.Requests.Load() - req0
	sum.Seconds = time.Since(start).Seconds()
	return sum, err
}

// RunCRMSync drains the outbox in the background until ctx ends: at once
// when a local change lands, every Poll otherwise (rows of other processes,
// rows whose back-off ended), backing off while the CRM fails.
func (a *App) RunCRMSync(ctx context.Context) {
	changes, unsub := a.Subscribe()
	defer unsub()
	fails := 0
	for {
		st := a.crmState()
		st.mu.Lock()
		opts := st.opts
		st.mu.Unlock()
		wait := opts.Poll
		ad, err := a.crmAdapter(ctx)
		if err == nil && ad != nil {
			var sum CRMSyncSummary
			err = a.drainCRM(ctx, ad, &sum)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			wait = opts.Policy.Backoff(fails)
			fails++
		} else {
			fails = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-changes:
			t.Stop()
			if err == nil {
				// Let a burst of commits land before looking.
				if crm.Sleep(ctx, 50*time.Millisecond) != nil {
					return
				}
			} else if crm.Sleep(ctx, wait) != nil {
				return
			}
		}
	}
}

// crmAdapter returns the adapter of the stored connection (nil when none),
// rebuilt when the connection changed.
func (a *App) crmAdapter(ctx context.Context) (crm.Adapter, error) {
	conn, ok, err := a.store.CRMConnection(ctx)
	if err != nil || !ok {
		return nil, err
	}
	key := conn.Provider + "|" + conn.ConnectedAt.String()
	st := a.crmState()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.ad != nil && st.adKey == key {
		return st.ad, nil
	}
	p := crm.Provider(conn.Provider)
	ad, err := crm.New(crm.Config{Provider: p, Credentials: credentialsOf(conn), Store: crmTokens{a: a, provider: conn.Provider},
		HTTP: st.opts.HTTP, Policy: st.opts.Policy, Stats: &st.stats})
	if err != nil {
		return nil, err
	}
	st.ad, st.adKey = ad, key
	return ad, nil
}

func credentialsOf(c storage.CRMConnection) crm.Credentials {
	return crm.Credentials{PrivateToken: c.PrivateToken, ClientID: c.ClientID, ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken,
		AccessToken: c.AccessToken, Expiry: c.TokenExpiry, APIBase: c.APIBase, AuthURL: c.AuthURL}
}

// crmTokens keeps refreshed tokens in the database, where every process
// finds them.
type crmTokens struct {
	a        *App
	provider string
}

func (t crmTokens) LoadTokens(ctx context.Context) (crm.Credentials, error) {
	conn, ok, err := t.a.store.CRMConnection(ctx)
	if err != nil {
		return crm.Credentials{}, err
	}
	if !ok || conn.Provider != t.provider {
		return crm.Credentials{}, ErrNoCRM
	}
	return credentialsOf(conn), nil
}

func (t crmTokens) SaveTokens(ctx context.Context, c crm.Credentials) error {
	return t.a.store.SaveCRMTokens(context.WithoutCancel(ctx), t.provider, c.AccessToken, c.RefreshToken, c.Expiry)
}

// drainCRM pushes batches until no row is due. It returns the error that
// stopped it: a batch in which nothing got through (the CRM is down, or
// refuses the credentials), or the context.
func (a *App) drainCRM(ctx context.Context, ad crm.Adapter, sum *CRMSyncSummary) error {
	st := a.crmState()
	st.run.Lock()
	defer st.run.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		due, err := a.store.CRMDue(ctx, time.Now())
		if err != nil || !due {
			return err
		}
		n, err := a.crmBatch(ctx, ad, sum)
		if err != nil || n == 0 {
			return err
		}
	}
}

// crmTarget is a contact a batch pushes, with the rows it carries out.
type crmTarget struct {
	c    storage.CRMContact
	rows []storage.OutboxRow
}

// mergeDetail is a 'merge' row's detail, as the merge writes it.
type mergeDetail struct {
	Kept        int64  `json:"kept"`
	Merged      int64  `json:"merged"`
	KeptCRMID   string `json:"kept_crm_id"`
	MergedCRMID string `json:"merged_crm_id"`
}

// mergeDone is a merge carried out in the CRM, to record.
type mergeDone struct {
	kept, merged     int64
	keptID, mergedID string
}

// crmBatch claims one batch of due rows, carries it out and records the
// outcome; it returns how many rows it claimed.
func (a *App) crmBatch(ctx context.Context, ad crm.Adapter, sum *CRMSyncSummary) (int, error) {
	st := a.crmState()
	st.mu.Lock()
	opts := st.opts
	st.mu.Unlock()

	// 1. Claim rows and read the contacts, persisting the upsert key of
	// contacts on their first attempt — before anything is sent.
	var rows []storage.OutboxRow
	contacts := map[int64]storage.CRMContact{}
	fresh := map[int64]bool{} // contacts on their very first attempt
	err := a.store.Write(ctx, func(tx *storage.Tx) error {
		var err error
		// Two calls' worth: contacts keyed by email and by id go in separate
		// calls (HubSpot, Zoho), and each should be full.
		if rows, err = tx.ClaimCRM(time.Now(), opts.Lease, 2*ad.BatchSize()); err != nil || len(rows) == 0 {
			return err
		}
		want := make([]int64, 0, len(rows))
		for _, r := range rows {
			want = append(want, r.ContactID)
			if r.Kind == storage.OutboxMerge {
				var d mergeDetail
				if json.Unmarshal([]byte(r.Detail), &d) == nil {
					want = append(want, d.Kept, d.Merged)
				}
			}
		}
		// Merged-away contacts point at the contact they were folded into:
		// read those too (a chain is short).
		for depth := 0; len(want) > 0 && depth < 8; depth++ {
			got, err := tx.CRMContacts(want)
			if err != nil {
				return err
			}
			want = want[:0]
			for id, c := range got {
				contacts[id] = c
				if c.MergedInto != 0 {
					if _, ok := contacts[c.MergedInto]; !ok {
						want = append(want, c.MergedInto)
					}
				}
			}
		}
		for id, c := range contacts {
			if c.MergedInto == 0 && c.CRMID == "" && c.CRMKey == "" {
				c.CRMKey = ad.KeyOf(toCRM(c))
				if err := tx.SetCRMKey(id, c.CRMKey); err != nil {
					return err
				}
				contacts[id] = c
				fresh[id] = true
			}
		}
		return nil
	})
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	live := func(id int64) (storage.CRMContact, bool) {
		for range 8 {
			c, ok := contacts[id]
			if !ok {
				return c, false
			}
			if c.MergedInto == 0 {
				return c, true
			}
			id = c.MergedInto
		}
		return storage.CRMContact{}, false
	}

	// 2. Merges first: the kept contact's record must be settled before it
	// is pushed.
	targets := map[int64]*crmTarget{}
	var order []int64
	target := func(c storage.CRMContact) *crmTarget {
		t, ok := targets[c.ID]
		if !ok {
			t = &crmTarget{c: c}
			targets[c.ID] = t
			order = append(order, c.ID)
		}
		return t
	}
	var gone, mergeFailed []storage.OutboxRow
	var mergeErrs []error
	var merges []mergeDone
	for _, r := range rows {
		if r.Kind != storage.OutboxMerge {
			if c, ok := live(r.ContactID); ok {
				t := target(c)
				t.rows = append(t.rows, r)
			} else {
				gone = append(gone, r) // the contact no longer exists
			}
			continue
		}
		var d mergeDetail
		if err := json.Unmarshal([]byte(r.Detail), &d); err != nil || d.Kept == 0 {
			mergeFailed, mergeErrs = append(mergeFailed, r), append(mergeErrs, &crm.Error{Provider: ad.Provider(), Message: fmt.Sprintf("unreadable merge detail %q", r.Detail)})
			continue
		}
		kept, ok := live(d.Kept)
		if !ok {
			gone = append(gone, r)
			continue
		}
		mergedID := d.MergedCRMID
		if m, ok := contacts[d.Merged]; ok && m.CRMID != "" {
			mergedID = m.CRMID
		}
		if mergedID != "" && mergedID != kept.CRMID {
			if t, ok := targets[kept.ID]; ok {
				kept = t.c
			}
			id, err := ad.Merge(ctx, toCRM(kept), mergedID)
			if err != nil {
				if ctx.Err() != nil {
					return len(rows), a.releaseCRM(rows, ctx.Err())
				}
				mergeFailed, mergeErrs = append(mergeFailed, r), append(mergeErrs, err)
				continue
			}
			merges = append(merges, mergeDone{kept: kept.ID, merged: d.Merged, keptID: id, mergedID: mergedID})
			kept.CRMID = id
			if t, ok := targets[kept.ID]; ok {
				t.c.CRMID = id
			}
		}
		t := target(kept)
		t.c.CRMID = kept.CRMID
		t.rows = append(t.rows, r)
	}

	// 3. Push every target's current state, bisecting requests the CRM
	// refused as a whole to find the contacts it refuses.
	cs := make([]crm.Contact, len(order))
	for i, id := range order {
		cs[i] = toCRM(targets[id].c)
	}
	outs := pushBisect(ctx, ad, cs)
	if ctx.Err() != nil {
		return len(rows), a.releaseCRM(rows, ctx.Err())
	}

	// 4. Record the outcomes in one transaction.
	label := ad.Provider().Label()
	now := time.Now()
	var changed []int64
	var stop error
	pushedAny := false
	err = a.store.Write(context.WithoutCancel(ctx), func(tx *storage.Tx) error {
		var links []storage.CRMLink
		var done, again []int64
		var acts []model.Activity
		for _, m := range merges {
			if m.keptID != "" {
				if err := tx.LinkCRM(m.kept, m.keptID, now); err != nil {
					return err
				}
			}
			if err := tx.UnlinkCRM(m.merged); err != nil {
				return err
			}
			detail := fmt.Sprintf("merged %s record %s into record %s", label, m.mergedID, m.keptID)
			switch m.keptID {
			case m.mergedID:
				detail = fmt.Sprintf("took over %s record %s from the merged contact", label, m.mergedID)
			case "":
				detail = fmt.Sprintf("the merged contact's %s record %s is gone", label, m.mergedID)
			}
			acts = append(acts, model.Activity{ContactID: m.kept, Kind: ActCRMSynced, At: now, Detail: detail})
			changed = append(changed, m.kept, m.merged)
			sum.Merged++
		}
		if err := tx.DoneCRM(rowIDs(gone)); err != nil {
			return err
		}
		for i, r := range mergeFailed {
			if err := a.crmFailure(tx, label, r.ContactID, []storage.OutboxRow{r}, mergeErrs[i], false, opts, now, sum, &stop); err != nil {
				return err
			}
		}
		for i, id := range order {
			t, o := targets[id], outs[i]
			changed = append(changed, id)
			if o.Err != nil {
				// A refusal of a push by key on the contact's first try proves
				// no record exists under that key.
				firstTry := fresh[id] && t.c.CRMID == ""
				if err := a.crmFailure(tx, label, id, t.rows, o.Err, firstTry, opts, now, sum, &stop); err != nil {
					return err
				}
				continue
			}
			pushedAny = true
			links = append(links, storage.CRMLink{ContactID: id, CRMID: o.CRMID})
			done = append(done, rowIDs(t.rows)...)
			if t.c.CRMID != o.CRMID {
				detail := fmt.Sprintf("linked to %s record %s", label, o.CRMID)
				if o.Created {
					detail = fmt.Sprintf("created in %s as record %s", label, o.CRMID)
				}
				acts = append(acts, model.Activity{ContactID: id, Kind: ActCRMSynced, At: now, Detail: detail})
			}
			if o.Again {
				again = append(again, id)
			}
			sum.Synced++
			if o.Created {
				sum.Created++
			}
		}
		// The successes in a few set-based statements, not a few per contact.
		if err := tx.LinkCRMs(links, now); err != nil {
			return err
		}
		if err := tx.DoneCRM(done); err != nil {
			return err
		}
		if err := tx.InsertActivities(acts); err != nil {
			return err
		}
		return tx.EnqueueCRM(storage.OutboxUpdate, again, `{"again":true}`)
	})
	if err != nil {
		return len(rows), err // the rows come back when their lease ends
	}
	a.publish(Change{ContactIDs: changed})
	if pushedAny || len(merges) > 0 {
		stop = nil
	}
	return len(rows), stop
}

// crmFailure records a failed push of one contact's rows: deferred when it
// may work later, failed (with the vendor's message) when refused. stop
// keeps the first retryable error. firstTry says the contact's upsert key
// was chosen for this very push: a refusal then proves no record exists
// under it, so the key is dropped and the next push (after a fix) chooses
// again; after any earlier attempt whose outcome is unknown it must stay.
func (a *App) crmFailure(tx *storage.Tx, label string, contactID int64, rows []storage.OutboxRow, err error, firstTry bool, opts CRMOptions, now time.Time, sum *CRMSyncSummary, stop *error) error {
	e := classify(err)
	ids := rowIDs(rows)
	if e.Retryable {
		attempts := 0
		for _, r := range rows {
			attempts = max(attempts, r.Attempts)
		}
		wait := max(e.RetryAfter, opts.Policy.Backoff(max(attempts-1, 0)))
		sum.Deferred++
		if *stop == nil {
			*stop = e
		}
		return tx.DeferCRM(ids, now.Add(wait), e.Error())
	}
	reason := crm.Reason(e)
	if e.Gone || firstTry {
		if err := tx.UnlinkCRM(contactID); err != nil {
			return err
		}
		if e.Gone {
			reason += " — the " + label + " record is gone; `cxinbox crm retry` creates it again"
		}
	}
	sum.Failed++
	if err := tx.FailCRM(ids, reason); err != nil {
		return err
	}
	return tx.Activity(model.Activity{ContactID: contactID, Kind: ActCRMFailed, At: now, Detail: label + " refused the contact: " + reason})
}

// classify makes any push error an *crm.Error; errors of our own making
// (a cancelled context, a failed encode) are retryable.
func classify(err error) *crm.Error {
	var e *crm.Error
	if errors.As(err, &e) {
		return e
	}
	return &crm.Error{Message: err.Error(), Retryable: true}
}

// releaseCRM gives claimed rows back at once (a drain that was cancelled
// mid-batch) and returns cause.
func (a *App) releaseCRM(rows []storage.OutboxRow, cause error) error {
	a.store.Write(context.Background(), func(tx *storage.Tx) error {
		return tx.DeferCRM(rowIDs(rows), time.Now(), "")
	})
	return cause
}

func rowIDs(rows []storage.OutboxRow) []int64 {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// pushBisect pushes cs; contacts whose request the CRM refused as a whole
// (a 400 for a batch) are pushed again in halves until each refusal names
// one contact, so one bad contact cannot park a hundred good ones.
func pushBisect(ctx context.Context, ad crm.Adapter, cs []crm.Contact) []crm.Outcome {
	if len(cs) == 0 {
		return nil
	}
	outs := ad.Push(ctx, cs)
	if len(cs) == 1 || ctx.Err() != nil {
		return outs
	}
	var bad []int
	for i, o := range outs {
		if o.Err != nil {
			if e := classify(o.Err); !e.Retryable && !e.Record && !e.Gone {
				bad = append(bad, i)
			}
		}
	}
	if len(bad) == 0 {
		return outs
	}
	groups := [][]int{bad}
	if len(bad) == len(cs) {
		groups = [][]int{bad[:len(bad)/2], bad[len(bad)/2:]}
	}
	for _, g := range groups {
		sub := make([]crm.Contact, len(g))
		for j, i := range g {
			sub[j] = cs[i]
		}
		res := pushBisect(ctx, ad, sub)
		for j, i := range g {
			outs[i] = res[j]
		}
	}
	return outs
}

// toCRM maps a contact onto what the adapters send.
func toCRM(c storage.CRMContact) crm.Contact {
	first, last := crm.SplitName(c.Name)
	return crm.Contact{ID: c.ID, CRMID: c.CRMID, Key: c.CRMKey, FirstName: first, LastName: last, Email: c.Email, Phone: c.Phone,
		Company: c.Company, LeadStage: c.LeadStage, Unsubscribed: c.Unsubscribed}
}
