package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// The CRM connection and the CRM outbox: what the sync worker drains. Rows
// are written in the transaction that made the change (a new customer's first
// ticket, a field edit, a merge), leased by a worker, and deleted once the CRM
// has the change; a refused change stays as a 'failed' row with the vendor's
// message until it is retried or superseded by a later successful push.

// Outbox kinds.
const (
	OutboxCreate = "create"
	OutboxUpdate = "update"
	OutboxMerge  = "merge"
)

// CRMConnection is the one configured CRM, secrets included. Never print it.
type CRMConnection struct {
	Provider                             string
	PrivateToken                         string
	ClientID, ClientSecret, RefreshToken string
	AccessToken                          string
	TokenExpiry                          time.Time // zero: unknown
	APIBase, AuthURL                     string
	ConnectedAt                          time.Time
}

const crmConnCols = `provider, private_token, client_id, client_secret, refresh_token, access_token, token_expiry, api_base, auth_url, connected_at`

func scanCRMConnection(sc interface{ Scan(...any) error }) (CRMConnection, bool, error) {
	var c CRMConnection
	var exp, at int64
	ok, err := found(sc.Scan(&c.Provider, &c.PrivateToken, &c.ClientID, &c.ClientSecret, &c.RefreshToken, &c.AccessToken, &exp, &c.APIBase, &c.AuthURL, &at))
	if exp != 0 {
		c.TokenExpiry = fromMS(exp)
	}
	c.ConnectedAt = fromMS(at)
	return c, ok, err
}

// CRMConnection returns the configured CRM, if any.
func (s *Store) CRMConnection(ctx context.Context) (CRMConnection, bool, error) {
	return scanCRMConnection(s.r.QueryRowContext(ctx, `SELECT `+crmConnCols+` FROM crm_connection WHERE id = 1`))
}

// RestrictPermissions makes the database file and its WAL and shared-memory
// files readable by the owner only (0600): done before secrets are written.
func (s *Store) RestrictPermissions() error {
	for _, p := range []string{s.path, s.path + "-wal", s.path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restrict permissions of %s: %w", p, err)
		}
	}
	return nil
}

// SaveCRMConnection makes the database file private, then stores c as the one
// connection (replacing any other).
func (s *Store) SaveCRMConnection(ctx context.Context, c CRMConnection, also func(*Tx) error) error {
	if err := s.RestrictPermissions(); err != nil {
		return err
	}
	return s.Write(ctx, func(t *Tx) error {
		if c.ConnectedAt.IsZero() {
			c.ConnectedAt = now()
		}
		var exp int64
		if !c.TokenExpiry.IsZero() {
			exp = ms(c.TokenExpiry)
		}
		if _, err := t.exec(`INSERT OR REPLACE INTO crm_connection(id, `+crmConnCols+`) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.Provider, c.PrivateToken, c.ClientID, c.ClientSecret, c.RefreshToken, c.AccessToken, exp, c.APIBase, c.AuthURL, ms(c.ConnectedAt)); err != nil {
			return fmt.Errorf("save CRM connection: %w", err)
		}
		if also != nil {
			return also(t)
		}
		return nil
	})
}

// SaveCRMTokens stores a refreshed access token (and a rotated refresh token)
// for the connected provider; it does nothing if the connection changed
// meanwhile (disconnected, or another provider connected).
func (s *Store) SaveCRMTokens(ctx context.Context, provider, access, refresh string, expiry time.Time) error {
	var exp int64
	if !expiry.IsZero() {
		exp = ms(expiry)
	}
	return s.Write(ctx, func(t *Tx) error {
		_, err := t.exec(`UPDATE crm_connection SET access_token = ?, refresh_token = CASE WHEN ? <> '' THEN ? ELSE refresh_token END,
			token_expiry = ? WHERE id = 1 AND provider = ?`, access, refresh, refresh, exp, provider)
		return err
	})
}

// DeleteCRMConnection forgets the connection and its secrets, overwriting
// the freed database pages (secure_delete), and reports which provider it was.
func (s *Store) DeleteCRMConnection(ctx context.Context) (string, error) {
	if _, err := s.w.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return "", err
	}
	defer s.w.Exec(`PRAGMA secure_delete = OFF`)
	var provider string
	err := s.Write(ctx, func(t *Tx) error {
		if _, err := found(t.queryRow(`SELECT provider FROM crm_connection WHERE id = 1`).Scan(&provider)); err != nil {
			return err
		}
		_, err := t.exec(`DELETE FROM crm_connection`)
		return err
	})
	if err != nil {
		return provider, err
	}
	// secure_delete zeroes pages in the main file only: older copies of the
	// secrets (the connect, each token refresh) sit in WAL frames until a
	// checkpoint; truncate the WAL so they go now.
	_, err = s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return provider, err
}

// LinkedCRM is the provider the contacts' crm_id values belong to ("" when
// none was ever connected).
func (t *Tx) LinkedCRM() (string, error) {
	var p string
	_, err := found(t.queryRow(`SELECT value FROM settings WHERE key = 'crm_linked_provider'`).Scan(&p))
	return p, err
}

// SwitchLinkedCRM records provider as the one the contacts' CRM ids belong
// to. When it differs from the previous one, every contact's link is
// dropped (those ids name records of another CRM) and failed rows go back to
// pending: the new CRM gets them.
func (t *Tx) SwitchLinkedCRM(provider string) error {
	old, err := t.LinkedCRM()
	if err != nil || old == provider {
		return err
	}
	if old != "" {
		if _, err := t.exec(`UPDATE contacts SET crm_id = '', crm_key = '', crm_synced_at = NULL WHERE crm_id <> '' OR crm_key <> '' OR crm_synced_at IS NOT NULL`); err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE crm_outbox SET state = 'pending', last_error = '', next_attempt_at = 0, claimed_until = 0 WHERE state = 'failed'`); err != nil {
			return err
		}
	}
	return t.SetSetting("crm_linked_provider", provider)
}

// EnqueueCRM writes one outbox row per contact — only while a CRM is
// connected, read in the same transaction, so a backlog never piles up
// without one (BackfillCRM queues older contacts on request).
func (t *Tx) EnqueueCRM(kind string, contactIDs []int64, detail string) error {
	if len(contactIDs) == 0 {
		return nil
	}
	at := ms(now())
	_, err := t.exec(`INSERT INTO crm_outbox(contact_id, kind, detail, created_at, updated_at)
		SELECT value, ?, ?, ?, ? FROM json_each(?) WHERE EXISTS (SELECT 1 FROM crm_connection)`, kind, detail, at, at, jsonList(contactIDs))
	if err != nil {
		return fmt.Errorf("queue CRM %s: %w", kind, err)
	}
	return nil
}

// BackfillCRM queues a 'create' row for every live contact that is neither
// linked nor queued, and returns how many.
func (t *Tx) BackfillCRM() (int64, error) {
	at := ms(now())
	r, err := t.exec(`INSERT INTO crm_outbox(contact_id, kind, detail, created_at, updated_at)
		SELECT c.id, 'create', '', ?, ? FROM contacts c
		WHERE c.merged_into IS NULL AND c.crm_id = ''
		  AND NOT EXISTS (SELECT 1 FROM crm_outbox o WHERE o.contact_id = c.id AND o.state IN ('pending', 'failed'))
		ORDER BY c.id`, at, at)
	if err != nil {
		return 0, fmt.Errorf("backfill CRM outbox: %w", err)
	}
	return r.RowsAffected()
}

// OutboxRow is one claimed outbox row.
type OutboxRow struct {
	ID, ContactID int64
	Kind, Detail  string
	Attempts      int // including this one
	LastError     string
}

// CRMDue reports whether any pending row is due: the idle worker's cheap
// probe, on a read connection, so an idle poll never commits.
func (s *Store) CRMDue(ctx context.Context, at time.Time) (bool, error) {
	var one int
	return found(s.r.QueryRowContext(ctx, `SELECT 1 FROM crm_outbox WHERE state = 'pending' AND next_attempt_at <= ?1 AND claimed_until <= ?1 LIMIT 1`, ms(at)).Scan(&one))
}

// ClaimCRM leases up to limit due rows, oldest first, until at+lease. Rows of
// a contact another worker holds are left alone.
func (t *Tx) ClaimCRM(at time.Time, lease time.Duration, limit int) ([]OutboxRow, error) {
	var rows []OutboxRow
	var ids []int64
	err := t.each(`SELECT id, contact_id, kind, detail, attempts, last_error FROM crm_outbox
		WHERE state = 'pending' AND next_attempt_at <= ?1 AND claimed_until <= ?1
		  AND contact_id NOT IN (SELECT contact_id FROM crm_outbox WHERE state = 'pending' AND claimed_until > ?1)
		ORDER BY id LIMIT ?2`, []any{ms(at), limit}, func(r *sql.Rows) error {
		var o OutboxRow
		if err := r.Scan(&o.ID, &o.ContactID, &o.Kind, &o.Detail, &o.Attempts, &o.LastError); err != nil {
			return err
		}
		o.Attempts++
		rows = append(rows, o)
		ids = append(ids, o.ID)
		return nil
	})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	_, err = t.exec(`UPDATE crm_outbox SET attempts = attempts + 1, claimed_until = ?, updated_at = ? WHERE id IN (SELECT value FROM json_each(?))`,
		ms(at.Add(lease)), ms(at), jsonList(ids))
	return rows, err
}

// CRMContact is what a push needs of a contact.
type CRMContact struct {
	ID                                     int64
	Name, Email, Phone, Company, LeadStage string
	Unsubscribed                           bool
	CRMID, CRMKey                          string
	MergedInto                             int64
}

// CRMContacts reads the given contacts (those that exist) by id.
func (t *Tx) CRMContacts(ids []int64) (map[int64]CRMContact, error) {
	out := make(map[int64]CRMContact, len(ids))
	err := t.each(`SELECT id, name, email, phone, company, lead_stage, email_unsubscribed, crm_id, crm_key, COALESCE(merged_into, 0)
		FROM contacts WHERE id IN (SELECT value FROM json_each(?))`, []any{jsonList(ids)}, func(r *sql.Rows) error {
		var c CRMContact
		if err := r.Scan(&c.ID, &c.Name, &c.Email, &c.Phone, &c.Company, &c.LeadStage, &c.Unsubscribed, &c.CRMID, &c.CRMKey, &c.MergedInto); err != nil {
			return err
		}
		out[c.ID] = c
		return nil
	})
	return out, err
}

// SetCRMKey records the upsert key of a contact's first push attempt.
func (t *Tx) SetCRMKey(contactID int64, key string) error {
	_, err := t.exec(`UPDATE contacts SET crm_key = ? WHERE id = ? AND crm_key = ''`, key, contactID)
	return err
}

// LinkCRM stores the CRM's record id on a contact, stamps the push and
// drops the contact's failed rows: a successful push of the whole contact
// supersedes them.
func (t *Tx) LinkCRM(contactID int64, crmID string, at time.Time) error {
	if _, err := t.exec(`UPDATE contacts SET crm_id = ?, crm_synced_at = ? WHERE id = ?`, crmID, ms(at), contactID); err != nil {
		return fmt.Errorf("link contact %d to CRM: %w", contactID, err)
	}
	_, err := t.exec(`DELETE FROM crm_outbox WHERE contact_id = ? AND state = 'failed'`, contactID)
	return err
}

// CRMLink is a contact and its CRM record.
type CRMLink struct {
	ContactID int64
	CRMID     string
}

// LinkCRMs is LinkCRM for many contacts in two statements.
func (t *Tx) LinkCRMs(links []CRMLink, at time.Time) error {
	if len(links) == 0 {
		return nil
	}
	pairs := make([][2]any, len(links))
	ids := make([]int64, len(links))
	for i, l := range links {
		pairs[i] = [2]any{l.ContactID, l.CRMID}
		ids[i] = l.ContactID
	}
	if _, err := t.exec(`UPDATE contacts SET crm_id = j.crm, crm_synced_at = ?
		FROM (SELECT value ->> 0 AS id, value ->> 1 AS crm FROM json_each(?)) AS j WHERE contacts.id = j.id`, ms(at), jsonList(pairs)); err != nil {
		return fmt.Errorf("link contacts to CRM: %w", err)
	}
	_, err := t.exec(`DELETE FROM crm_outbox WHERE state = 'failed' AND contact_id IN (SELECT value FROM json_each(?))`, jsonList(ids))
	return err
}

// UnlinkCRM forgets a contact's CRM record (it was merged away or deleted
// there); the next push creates or finds one again.
func (t *Tx) UnlinkCRM(contactID int64) error {
	_, err := t.exec(`UPDATE contacts SET crm_id = '', crm_key = '', crm_synced_at = NULL WHERE id = ?`, contactID)
	return err
}

// DoneCRM deletes rows the CRM has carried out.
func (t *Tx) DoneCRM(rowIDs []int64) error {
	if len(rowIDs) == 0 {
		return nil
	}
	_, err := t.exec(`DELETE FROM crm_outbox WHERE id IN (SELECT value FROM json_each(?))`, jsonList(rowIDs))
	return err
}

// FailCRM parks rows as failed with the vendor's message.
func (t *Tx) FailCRM(rowIDs []int64, msg string) error {
	if len(rowIDs) == 0 {
		return nil
	}
	_, err := t.exec(`UPDATE crm_outbox SET state = 'failed', last_error = ?, claimed_until = 0, updated_at = ? WHERE id IN (SELECT value FROM json_each(?))`,
		msg, ms(now()), jsonList(rowIDs))
	return err
}

// DeferCRM puts rows back to wait until a later attempt (a retryable
// failure, or a drain that stopped); msg, if any, is kept as the last error.
func (t *Tx) DeferCRM(rowIDs []int64, until time.Time, msg string) error {
	if len(rowIDs) == 0 {
		return nil
	}
	_, err := t.exec(`UPDATE crm_outbox SET next_attempt_at = ?, claimed_until = 0, last_error = CASE WHEN ? <> '' THEN ? ELSE last_error END, updated_at = ?
		WHERE id IN (SELECT value FROM json_each(?)) AND state = 'pending'`, ms(until), msg, msg, ms(now()), jsonList(rowIDs))
	return err
}

// RetryFailedCRM puts every failed row back in the queue, due now.
func (t *Tx) RetryFailedCRM() (int64, error) {
	r, err := t.exec(`UPDATE crm_outbox SET state = 'pending', attempts = 0, next_attempt_at = 0, claimed_until = 0, updated_at = ? WHERE state = 'failed'`, ms(now()))
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// CRMCounts is the outbox at a glance: contacts waiting, contacts refused,
// contacts linked, and the newest error message.
type CRMCounts struct {
	Pending, Failed, Synced int64
	LastError               string
}

// CRMCounts counts the outbox and the linked contacts.
func (s *Store) CRMCounts(ctx context.Context) (CRMCounts, error) {
	var c CRMCounts
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(DISTINCT contact_id) FROM crm_outbox WHERE state = 'pending'),
		(SELECT COUNT(DISTINCT contact_id) FROM crm_outbox WHERE state = 'failed'),
		(SELECT COUNT(*) FROM contacts WHERE crm_synced_at IS NOT NULL AND merged_into IS NULL),
		COALESCE((SELECT last_error FROM crm_outbox WHERE last_error <> '' ORDER BY updated_at DESC, id DESC LIMIT 1), '')`).
		Scan(&c.Pending, &c.Failed, &c.Synced, &c.LastError)
	return c, err
}

// ContactCRM is one contact's sync state: "failed" (with the vendor's
// message), "pending" (with the last transient error, if any), "synced", or
// "" when it was never queued.
type ContactCRM struct {
	State    string
	Error    string
	SyncedAt time.Time
	CRMID    string
}

// ContactCRM reads one contact's sync state.
func (s *Store) ContactCRM(ctx context.Context, contactID int64) (ContactCRM, error) {
	var c ContactCRM
	var synced sql.NullInt64
	var failed, pending sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT crm_id, crm_synced_at,
		(SELECT last_error FROM crm_outbox WHERE contact_id = c.id AND state = 'failed' ORDER BY id DESC LIMIT 1),
		(SELECT last_error FROM crm_outbox WHERE contact_id = c.id AND state = 'pending' ORDER BY id DESC LIMIT 1)
		FROM contacts c WHERE id = ?`, contactID).Scan(&c.CRMID, &synced, &failed, &pending)
	if err == sql.ErrNoRows {
		return c, fmt.Errorf("contact %d: %w", contactID, ErrNotFound)
	}
	if err != nil {
		return c, err
	}
	if synced.Valid {
		c.SyncedAt = fromMS(synced.Int64)
		c.State = "synced"
	}
	switch {
	case failed.Valid:
		c.State, c.Error = "failed", failed.String
	case pending.Valid:
		c.State, c.Error = "pending", pending.String
	}
	return c, nil
}
