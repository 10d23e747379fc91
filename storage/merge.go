package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"cxinbox/model"
)

// Merge and unmerge: app/merge.go decides what moves; this file reads the
// rows a contact owns and moves them by id, so an unmerge can put back
// exactly what a merge moved.

// liveContactCTE follows merged_into from ?1 to the contact that is live
// (chains included: 3 merged into 5, then 5 into 8, resolves 3 to 8). The
// depth bound only guards against a cycle no code path can create.
const liveContactCTE = `WITH RECURSIVE chain(id, next, depth) AS (
		SELECT id, merged_into, 0 FROM contacts WHERE id = ?1
		UNION ALL SELECT c.id, c.merged_into, chain.depth + 1 FROM contacts c JOIN chain ON c.id = chain.next WHERE chain.depth < 64)`

// LiveContactID returns the contact id now stands for: id itself, or the
// contact it was merged into (following chains). ok is false when id names
// no contact.
func (t *Tx) LiveContactID(id int64) (live int64, ok bool, err error) {
	ok, err = found(t.queryRow(liveContactCTE+` SELECT id FROM chain WHERE next IS NULL`, id).Scan(&live))
	return live, ok, err
}

// ContactState returns a contact's own row, without following a merge:
// its fields and the contact it was merged into (0 when it is live).
func (s *Store) ContactState(ctx context.Context, id int64) (c model.Contact, mergedInto int64, ok bool, err error) {
	ok, err = found(scanContactState(s.r.QueryRowContext(ctx, contactStateQuery, id), &c, &mergedInto, new(string)))
	return c, mergedInto, ok, err
}

const contactStateQuery = `SELECT ` + contactCols + `, COALESCE(c.merged_into, 0), c.crm_id FROM contacts c WHERE c.id = ?`

func scanContactState(sc interface{ Scan(...any) error }, c *model.Contact, mergedInto *int64, crmID *string) error {
	var stage string
	var created, updated int64
	err := sc.Scan(&c.ID, &c.Name, &c.NameGenerated, &stage, &c.Email, &c.Phone, &c.Company, &c.Country,
		&c.Timezone, &c.Language, &c.EmailUnsubscribed, &created, &updated, mergedInto, crmID)
	c.LeadStage = model.LeadStage(stage)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return err
}

// Row is one table row, every column by name, as stored: integers, text and
// NULL survive a JSON round trip unchanged (a JSON number, string, null);
// REAL and BLOB values travel as {"real": x} and {"blob": "<base64>"}.
type Row map[string]any

// MarshalJSON writes the row keeping SQLite's storage classes.
func (r Row) MarshalJSON() ([]byte, error) {
	out := make(map[string]json.RawMessage, len(r))
	for k, v := range r {
		var b []byte
		var err error
		switch v := v.(type) {
		case nil:
			b = []byte("null")
		case int64:
			b = strconv.AppendInt(nil, v, 10)
		case string:
			b, err = json.Marshal(v)
		case float64:
			b, err = json.Marshal(map[string]float64{"real": v})
		case []byte:
			b, err = json.Marshal(map[string]string{"blob": base64.StdEncoding.EncodeToString(v)})
		default:
			return nil, fmt.Errorf("row column %s: unexpected %T", k, v)
		}
		if err != nil {
			return nil, err
		}
		out[k] = b
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (r *Row) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = make(Row, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) == 0 || string(v) == "null":
			(*r)[k] = nil
		case v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			(*r)[k] = s
		case v[0] == '{':
			var o struct {
				Real *float64 `json:"real"`
				Blob *string  `json:"blob"`
			}
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			switch {
			case o.Real != nil:
				(*r)[k] = *o.Real
			case o.Blob != nil:
				bs, err := base64.StdEncoding.DecodeString(*o.Blob)
				if err != nil {
					return err
				}
				(*r)[k] = bs
			default:
				return fmt.Errorf("row column %s: unexpected %s", k, v)
			}
		default:
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return fmt.Errorf("row column %s: %s is not an integer", k, v)
			}
			(*r)[k] = n
		}
	}
	return nil
}

// Diff returns the columns of r whose value in now differs (columns now has
// and r lacks, added by a later migration, are not compared), sorted.
func (r Row) Diff(now Row) []string {
	var out []string
	for k, v := range r {
		w, ok := now[k]
		if !ok || !sameValue(v, w) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func sameValue(a, b any) bool {
	if x, ok := a.([]byte); ok {
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	}
	if _, ok := b.([]byte); ok {
		return false
	}
	return a == b
}

// ContactRow returns the whole contacts row of id, every column.
func (t *Tx) ContactRow(id int64) (Row, bool, error) {
	rows, err := t.query(`SELECT * FROM contacts WHERE id = ?`, id)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, false, rows.Err()
	}
	cols, err := rows.Columns()
	if err != nil {
		return nil, false, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, false, err
	}
	r := make(Row, len(cols))
	for i, c := range cols {
		if b, ok := vals[i].([]byte); ok {
			vals[i] = bytes.Clone(b)
		}
		r[c] = vals[i]
	}
	return r, true, rows.Err()
}

// RestoreContactRow writes every column of r (as ContactRow read it) back
// into the row of id. Columns the table no longer has are skipped.
func (t *Tx) RestoreContactRow(id int64, r Row) error {
	cols := map[string]bool{}
	if err := t.each(`SELECT name FROM pragma_table_info('contacts')`, nil, func(rs *sql.Rows) error {
		var n string
		err := rs.Scan(&n)
		cols[n] = true
		return err
	}); err != nil {
		return fmt.Errorf("restore contact %d: %w", id, err)
	}
	var sets []string
	var args []any
	for _, c := range slices.Sorted(maps.Keys(r)) {
		if c == "id" || !cols[c] {
			continue
		}
		// c is a real column name of the table (checked above), never input.
		sets = append(sets, `"`+c+`" = ?`)
		args = append(args, r[c])
	}
	if len(sets) == 0 {
		return nil
	}
	args = append(args, id)
	res, err := t.exec(`UPDATE contacts SET `+strings.Join(sets, ", ")+` WHERE id = ?`, args...)
	if err != nil {
		return fmt.Errorf("restore contact %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("restore contact %d: %w", id, ErrNotFound)
	}
	return nil
}

// MergeSide is a contact as a merge reads it: its fields, its whole row and
// the ids of every row that belongs to it.
type MergeSide struct {
	Contact    model.Contact
	MergedInto int64 // 0: live
	CRMID      string
	Row        Row
	Identities []int64
	Tickets    []int64
	Notes      []int64
	Activity   []int64
	Tags       []int64 // tag ids
	Properties map[string]string
}

// MergeSide reads contact id for a merge or an unmerge; ok is false when
// id names no contact.
func (t *Tx) MergeSide(id int64) (MergeSide, bool, error) {
	var m MergeSide
	ok, err := found(scanContactState(t.queryRow(contactStateQuery, id), &m.Contact, &m.MergedInto, &m.CRMID))
	if err != nil || !ok {
		return m, ok, err
	}
	if m.Row, _, err = t.ContactRow(id); err != nil {
		return m, false, err
	}
	for _, l := range []struct {
		dst *[]int64
		q   string
	}{
		{&m.Identities, `SELECT id FROM identities WHERE contact_id = ? ORDER BY id`},
		{&m.Tickets, `SELECT id FROM tickets WHERE contact_id = ? ORDER BY id`},
		{&m.Notes, `SELECT id FROM notes WHERE contact_id = ? ORDER BY id`},
		{&m.Activity, `SELECT id FROM activity WHERE contact_id = ? ORDER BY id`},
		{&m.Tags, `SELECT tag_id FROM contact_tags WHERE contact_id = ? ORDER BY tag_id`},
	} {
		if err := t.each(l.q, []any{id}, func(r *sql.Rows) error {
			var v int64
			err := r.Scan(&v)
			*l.dst = append(*l.dst, v)
			return err
		}); err != nil {
			return m, false, fmt.Errorf("read contact %d: %w", id, err)
		}
	}
	m.Properties = map[string]string{}
	err = t.each(`SELECT name, value FROM properties WHERE contact_id = ? ORDER BY name`, []any{id}, func(r *sql.Rows) error {
		var k, v string
		err := r.Scan(&k, &v)
		m.Properties[k] = v
		return err
	})
	return m, true, err
}

// ownedTables are the tables whose rows MoveRows re-points.
var ownedTables = map[string]bool{"identities": true, "tickets": true, "notes": true, "activity": true}

// MoveRows sets contact_id to contactID on the rows of table (identities,
// tickets, notes or activity) with these ids.
func (t *Tx) MoveRows(table string, ids []int64, contactID int64) error {
	if !ownedTables[table] {
		return fmt.Errorf("move rows: table %q is not one a contact owns", table)
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := t.exec(`UPDATE `+table+` SET contact_id = ? WHERE id IN (SELECT value FROM json_each(?))`, contactID, jsonList(ids)); err != nil {
		return fmt.Errorf("move %s: %w", table, err)
	}
	return nil
}

// SetContactTags replaces a contact's tags with tagIDs.
func (t *Tx) SetContactTags(contactID int64, tagIDs []int64) error {
	if _, err := t.exec(`DELETE FROM contact_tags WHERE contact_id = ?`, contactID); err != nil {
		return fmt.Errorf("set tags of contact %d: %w", contactID, err)
	}
	rows := make([][]any, len(tagIDs))
	for i, id := range tagIDs {
		rows[i] = []any{contactID, id}
	}
	return t.insertRows("contact_tags", "contact_id, tag_id", 2, rows, " ON CONFLICT DO NOTHING")
}

// SetProperties replaces a contact's custom properties with props (the
// contact's updated_at is the caller's business).
func (t *Tx) SetProperties(contactID int64, props map[string]string) error {
	if _, err := t.exec(`DELETE FROM properties WHERE contact_id = ?`, contactID); err != nil {
		return fmt.Errorf("set properties of contact %d: %w", contactID, err)
	}
	rows := make([][]any, 0, len(props))
	for _, k := range slices.Sorted(maps.Keys(props)) {
		rows = append(rows, []any{contactID, k, props[k]})
	}
	return t.insertRows("properties", "contact_id, name, value", 3, rows, "")
}

// SetMergedFields writes the kept contact's fields as a merge decided them.
func (t *Tx) SetMergedFields(c model.Contact, at time.Time) error {
	_, err := t.exec(`UPDATE contacts SET name = ?, name_fold = ?, name_generated = ?, lead_stage = ?, email = ?, phone = ?,
		company = ?, country = ?, timezone = ?, language = ?, email_unsubscribed = ?, updated_at = ? WHERE id = ?`,
		c.Name, model.Fold(c.Name), c.NameGenerated, string(c.LeadStage), c.Email, c.Phone, c.Company, c.Country,
		c.Timezone, c.Language, c.EmailUnsubscribed, ms(at), c.ID)
	if err != nil {
		return fmt.Errorf("merge fields of contact %d: %w", c.ID, err)
	}
	return nil
}

// SetMergedInto marks id as merged into another contact.
func (t *Tx) SetMergedInto(id, into int64) error {
	_, err := t.exec(`UPDATE contacts SET merged_into = ? WHERE id = ?`, into, id)
	return err
}

// PairRow is a potential_duplicates row exactly as stored.
type PairRow struct {
	A           int64   `json:"contact_a"`
	B           int64   `json:"contact_b"`
	Reason      string  `json:"reason"`
	Score       float64 `json:"score"`
	CreatedAt   int64   `json:"created_at"`
	DismissedAt *int64  `json:"dismissed_at"`
}

// PairRowsOf returns every potential-duplicate row (open or dismissed) that
// involves one of ids.
func (t *Tx) PairRowsOf(ids []int64) ([]PairRow, error) {
	var out []PairRow
	err := t.each(`SELECT contact_a, contact_b, reason, score, created_at, dismissed_at FROM potential_duplicates
		WHERE contact_a IN (SELECT value FROM json_each(?1)) OR contact_b IN (SELECT value FROM json_each(?1))
		ORDER BY contact_a, contact_b`, []any{jsonList(ids)}, func(r *sql.Rows) error {
		var p PairRow
		var dismissed sql.NullInt64
		if err := r.Scan(&p.A, &p.B, &p.Reason, &p.Score, &p.CreatedAt, &dismissed); err != nil {
			return err
		}
		if dismissed.Valid {
			p.DismissedAt = &dismissed.Int64
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read duplicate pairs: %w", err)
	}
	return out, nil
}

// RestorePairRows makes the potential-duplicate rows involving ids exactly
// rows: every other row involving them is deleted.
func (t *Tx) RestorePairRows(ids []int64, rows []PairRow) error {
	if _, err := t.exec(`DELETE FROM potential_duplicates
		WHERE contact_a IN (SELECT value FROM json_each(?1)) OR contact_b IN (SELECT value FROM json_each(?1))`, jsonList(ids)); err != nil {
		return fmt.Errorf("restore duplicate pairs: %w", err)
	}
	vals := make([][]any, len(rows))
	for i, p := range rows {
		var dismissed any
		if p.DismissedAt != nil {
			dismissed = *p.DismissedAt
		}
		vals[i] = []any{p.A, p.B, p.Reason, p.Score, p.CreatedAt, dismissed}
	}
	return t.insertRows("potential_duplicates", "contact_a, contact_b, reason, score, created_at, dismissed_at", 6, vals, " ON CONFLICT DO NOTHING")
}

// MergeRecord is a row of merges.
type MergeRecord struct {
	ID, KeptID, OtherID int64
	Agent               string
	At                  time.Time
	Snapshot            string    // JSON, app/merge.go's business
	UndoneAt            time.Time // zero while the merge stands
}

const mergeCols = `id, kept_id, other_id, agent, at, snapshot, undone_at`

func scanMerge(sc interface{ Scan(...any) error }) (MergeRecord, error) {
	var m MergeRecord
	var at int64
	var undone sql.NullInt64
	err := sc.Scan(&m.ID, &m.KeptID, &m.OtherID, &m.Agent, &at, &m.Snapshot, &undone)
	m.At = fromMS(at)
	if undone.Valid {
		m.UndoneAt = fromMS(undone.Int64)
	}
	return m, err
}

// InsertMerge records a merge (its snapshot follows with SetMergeSnapshot).
func (t *Tx) InsertMerge(kept, other int64, agent string, at time.Time) (int64, error) {
	id, err := t.insert(`INSERT INTO merges(kept_id, other_id, agent, at, snapshot) VALUES (?, ?, ?, ?, '{}')`, kept, other, agent, ms(at))
	if err != nil {
		return 0, fmt.Errorf("record merge: %w", err)
	}
	return id, nil
}

// SetMergeSnapshot stores a merge's snapshot.
func (t *Tx) SetMergeSnapshot(id int64, snapshot string) error {
	_, err := t.exec(`UPDATE merges SET snapshot = ? WHERE id = ?`, snapshot, id)
	return err
}

// SetMergeUndone marks a merge undone.
func (t *Tx) SetMergeUndone(id int64, at time.Time) error {
	_, err := t.exec(`UPDATE merges SET undone_at = ? WHERE id = ?`, ms(at), id)
	return err
}

// MergeRecord returns merge id.
func (t *Tx) MergeRecord(id int64) (MergeRecord, bool, error) {
	m, err := scanMerge(t.queryRow(`SELECT `+mergeCols+` FROM merges WHERE id = ?`, id))
	ok, err := found(err)
	return m, ok, err
}

// StandingMergeOf returns the merge that folded contact other away and is
// not undone.
func (t *Tx) StandingMergeOf(other int64) (MergeRecord, bool, error) {
	m, err := scanMerge(t.queryRow(`SELECT `+mergeCols+` FROM merges WHERE other_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`, other))
	ok, err := found(err)
	return m, ok, err
}

// MergeRecord returns merge id.
func (s *Store) MergeRecord(ctx context.Context, id int64) (MergeRecord, bool, error) {
	m, err := scanMerge(s.r.QueryRowContext(ctx, `SELECT `+mergeCols+` FROM merges WHERE id = ?`, id))
	ok, err := found(err)
	return m, ok, err
}

// StandingMergeOf is Tx.StandingMergeOf outside a transaction.
func (s *Store) StandingMergeOf(ctx context.Context, other int64) (MergeRecord, bool, error) {
	m, err := scanMerge(s.r.QueryRowContext(ctx, `SELECT `+mergeCols+` FROM merges WHERE other_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`, other))
	ok, err := found(err)
	return m, ok, err
}

// StandingMergeAfter returns the first merge after merge id that involves
// one of the contacts (kept or merged away) and is not undone.
func (t *Tx) StandingMergeAfter(id int64, contactIDs []int64) (MergeRecord, bool, error) {
	m, err := scanMerge(t.queryRow(`SELECT `+mergeCols+` FROM merges WHERE id > ?1 AND undone_at IS NULL
		AND (kept_id IN (SELECT value FROM json_each(?2)) OR other_id IN (SELECT value FROM json_each(?2))) ORDER BY id LIMIT 1`, id, jsonList(contactIDs)))
	ok, err := found(err)
	return m, ok, err
}

// MergesOf returns the merges a contact took part in (kept or merged away),
// newest first.
func (s *Store) MergesOf(ctx context.Context, contactID int64) ([]MergeRecord, error) {
	var out []MergeRecord
	err := s.each(ctx, `SELECT `+mergeCols+` FROM merges WHERE kept_id = ?1
		UNION SELECT `+mergeCols+` FROM merges WHERE other_id = ?1 ORDER BY id DESC`, []any{contactID}, func(r *sql.Rows) error {
		m, err := scanMerge(r)
		out = append(out, m)
		return err
	})
	return out, err
}

// MergeMarks returns the largest activity and message ids: what a merge
// wrote ends at these, and anything above them came later.
func (t *Tx) MergeMarks() (activity, message int64, err error) {
	err = t.queryRow(`SELECT COALESCE((SELECT MAX(id) FROM activity), 0), COALESCE((SELECT MAX(id) FROM messages), 0)`).Scan(&activity, &message)
	return activity, message, err
}

// ActivityAfter returns up to limit timeline rows of the contacts with an id
// above after, oldest first, leaving out the kinds in skip.
func (t *Tx) ActivityAfter(contactIDs []int64, after int64, skip []string, limit int) ([]model.Activity, error) {
	var out []model.Activity
	err := t.each(`SELECT id, COALESCE(contact_id, 0), COALESCE(ticket_id, 0), kind, agent, detail, at FROM activity
		WHERE contact_id IN (SELECT value FROM json_each(?)) AND id > ? AND kind NOT IN (SELECT value FROM json_each(?))
		ORDER BY id LIMIT ?`, []any{jsonList(contactIDs), after, jsonList(skip), limit},
		func(r *sql.Rows) error {
			var a model.Activity
			var at int64
			if err := r.Scan(&a.ID, &a.ContactID, &a.TicketID, &a.Kind, &a.Agent, &a.Detail, &at); err != nil {
				return err
			}
			a.At = fromMS(at)
			out = append(out, a)
			return nil
		})
	return out, err
}

// MessagesAfter returns up to limit messages with an id above after on the
// tickets of the contacts, oldest first.
func (t *Tx) MessagesAfter(contactIDs []int64, after int64, limit int) ([]model.Message, error) {
	var out []model.Message
	err := t.each(`SELECT m.id, m.ticket_id, m.direction, m.author, m.sent_at FROM messages m
		WHERE m.id > ? AND m.ticket_id IN (SELECT id FROM tickets WHERE contact_id IN (SELECT value FROM json_each(?)))
		ORDER BY m.id LIMIT ?`, []any{after, jsonList(contactIDs), limit}, func(r *sql.Rows) error {
		var m model.Message
		var dir string
		var at int64
		if err := r.Scan(&m.ID, &m.TicketID, &dir, &m.Author, &at); err != nil {
			return err
		}
		m.Direction, m.SentAt = model.Direction(dir), fromMS(at)
		out = append(out, m)
		return nil
	})
	return out, err
}

// EnqueueCRMMerge records in the CRM outbox that a merge must be carried
// out in the CRM (kind 'merge', on the kept contact).
func (t *Tx) EnqueueCRMMerge(contactID int64, detail string, at time.Time) (int64, error) {
	id, err := t.insert(`INSERT INTO crm_outbox(contact_id, kind, detail, state, created_at, updated_at) VALUES (?, 'merge', ?, 'pending', ?, ?)`,
		contactID, detail, ms(at), ms(at))
	if err != nil {
		return 0, fmt.Errorf("crm outbox: %w", err)
	}
	return id, nil
}

// CRMMergeUntaken reports whether the CRM sync has not touched a CRM outbox
// row yet: still there, pending, never attempted and not leased by a worker
// now. Otherwise what says what happened to it: "carried out" (the sync
// deletes rows it is done with), "failed", "being sent" or "tried N times".
func (t *Tx) CRMMergeUntaken(id int64, at time.Time) (untaken bool, what string, err error) {
	var state string
	var attempts int
	var claimed int64
	ok, err := found(t.queryRow(`SELECT state, attempts, claimed_until FROM crm_outbox WHERE id = ?`, id).Scan(&state, &attempts, &claimed))
	switch {
	case err != nil:
		return false, "", err
	case !ok:
		return false, "carried out", nil
	case state != "pending":
		return false, state, nil
	case claimed > ms(at):
		return false, "being sent", nil
	case attempts > 0:
		return false, fmt.Sprintf("tried %d times", attempts), nil
	}
	return true, "pending", nil
}

// DropCRMMerge deletes a CRM outbox row CRMMergeUntaken vouched for.
func (t *Tx) DropCRMMerge(id int64) error {
	_, err := t.exec(`DELETE FROM crm_outbox WHERE id = ? AND state = 'pending' AND attempts = 0`, id)
	return err
}
