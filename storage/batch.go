package storage

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"cxinbox/model"
)

// Batch reads and writes for the ingest writer: a group of hundreds of
// messages costs a handful of lookups, not a handful per message. The
// writer holds SQLite's write lock for the whole transaction, so it can hand
// out row ids itself (NextIDs).

// insertRows inserts rows (each len(cols) values) into table with one
// prepared single-row INSERT. Measured on the ingest benchmark, that beats
// multi-row VALUES lists of 16 or 64 rows by ~10%: SQLite runs a long VALUES
// list as a co-routine copying every row through registers.
func (t *Tx) insertRows(table, cols string, ncols int, rows [][]any, suffix string) error {
	q := `INSERT INTO ` + table + `(` + cols + `) VALUES (` + placeholders(ncols) + `)` + suffix
	for _, r := range rows {
		if _, err := t.exec(q, r...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// NextIDs returns the next free contact and ticket ids.
func (t *Tx) NextIDs() (contact, ticket int64, err error) {
	err = t.queryRow(`SELECT COALESCE((SELECT MAX(id) FROM contacts), 0) + 1, COALESCE((SELECT MAX(id) FROM tickets), 0) + 1`).Scan(&contact, &ticket)
	return contact, ticket, err
}

// ExistingMessages returns which of the external ids are already stored.
func (t *Tx) ExistingMessages(keys []string) (map[string]bool, error) {
	want := keySet(keys)
	out := map[string]bool{}
	err := t.each(`SELECT external_id FROM messages WHERE external_hash IN (SELECT value FROM json_each(?))`, []any{jsonList(keyHashes(keys))}, func(r *sql.Rows) error {
		var k string
		err := r.Scan(&k)
		if want[k] { // not another key with the same hash
			out[k] = true
		}
		return err
	})
	return out, err
}

// IdentityOwners returns the contact of each identity that has one.
func (t *Tx) IdentityOwners(ids []model.Identity) (map[model.Identity]int64, error) {
	byCh := map[model.Channel][]string{}
	for _, id := range ids {
		byCh[id.Channel] = append(byCh[id.Channel], id.Value)
	}
	out := map[model.Identity]int64{}
	for ch, values := range byCh {
		err := t.each(`SELECT value, contact_id FROM identities WHERE channel = ? AND value IN (SELECT value FROM json_each(?))`, []any{string(ch), jsonList(values)}, func(r *sql.Rows) error {
			var v string
			var cid int64
			err := r.Scan(&v, &cid)
			out[model.Identity{Channel: ch, Value: v}] = cid
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// keySet is the message keys asked for: rows found by hash are checked
// against it, since another key may share the hash.
func keySet(keys []string) map[string]bool {
	set := make(map[string]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	return set
}

// TicketRef is what ingest needs to know of a ticket.
type TicketRef struct {
	ID, ContactID int64
	Channel       model.Channel
	Subject       string
}

// JoinableTickets returns, per contact and channel, the most recent open or
// pending live ticket of the given contacts.
func (t *Tx) JoinableTickets(contactIDs []int64) (map[JoinKey]TicketRef, error) {
	out := map[JoinKey]TicketRef{}
	err := t.each(`SELECT id, contact_id, channel, subject FROM tickets
		WHERE contact_id IN (SELECT value FROM json_each(?)) AND status IN ('open', 'pending') AND deleted_at IS NULL
		ORDER BY last_message_at, id`, []any{jsonList(contactIDs)}, func(r *sql.Rows) error {
		var tr TicketRef
		err := r.Scan(&tr.ID, &tr.ContactID, &tr.Channel, &tr.Subject)
		out[JoinKey{tr.ContactID, tr.Channel}] = tr // later rows are more recent
		return err
	})
	return out, err
}

// JoinKey keys JoinableTickets' map: a contact on a channel.
type JoinKey struct {
	ContactID int64
	Channel   model.Channel
}

// TicketsByMessage returns the live ticket holding each stored external id.
func (t *Tx) TicketsByMessage(keys []string) (map[string]TicketRef, error) {
	out := map[string]TicketRef{}
	if len(keys) == 0 {
		return out, nil
	}
	want := keySet(keys)
	err := t.each(`SELECT m.external_id, t.id, t.contact_id, t.channel, t.subject FROM messages m JOIN tickets t ON t.id = m.ticket_id
		WHERE m.external_hash IN (SELECT value FROM json_each(?)) AND t.deleted_at IS NULL`, []any{jsonList(keyHashes(keys))}, func(r *sql.Rows) error {
		var k string
		var tr TicketRef
		err := r.Scan(&k, &tr.ID, &tr.ContactID, &tr.Channel, &tr.Subject)
		if want[k] {
			out[k] = tr
		}
		return err
	})
	return out, err
}

// ContactsByEmailOrPhone returns the contacts whose email or phone field, or
// email/sms/whatsapp identity, is one of the given normalised values, keyed by
// that value.
func (t *Tx) ContactsByEmailOrPhone(emails, phones []string) (map[string][]int64, error) {
	out := map[string][]int64{}
	add := func(r *sql.Rows) error {
		var v string
		var id int64
		err := r.Scan(&v, &id)
		out[v] = append(out[v], id)
		return err
	}
	err := t.each(`SELECT email, id FROM contacts WHERE email IN (SELECT value FROM json_each(?1)) AND email <> ''
		UNION SELECT value, contact_id FROM identities WHERE channel = 'email' AND value IN (SELECT value FROM json_each(?1))
		UNION SELECT phone, id FROM contacts WHERE phone IN (SELECT value FROM json_each(?2)) AND phone <> ''
		UNION SELECT value, contact_id FROM identities WHERE channel IN ('sms', 'whatsapp') AND value IN (SELECT value FROM json_each(?2))`,
		[]any{jsonList(emails), jsonList(phones)}, add)
	return out, err
}

// InsertContacts inserts contacts whose ids NextIDs handed out.
func (t *Tx) InsertContacts(cs []model.Contact) error {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		rows[i] = []any{c.ID, c.Name, model.Fold(c.Name), c.NameGenerated, string(c.LeadStage), c.Email, c.Phone, c.Company,
			c.Country, c.Timezone, c.Language, c.EmailUnsubscribed, ms(c.CreatedAt), ms(c.CreatedAt)}
	}
	return t.insertRows("contacts", `id, name, name_fold, name_generated, lead_stage, email, phone, company, country, timezone,
		language, email_unsubscribed, created_at, updated_at`, 14, rows, "")
}

// IdentityRow is an identity to insert.
type IdentityRow struct {
	ContactID int64
	model.Identity
	At time.Time
}

// InsertIdentities inserts identities; one that exists already fails the
// transaction (UNIQUE), which the caller's lookups rule out.
func (t *Tx) InsertIdentities(ids []IdentityRow) error {
	rows := make([][]any, len(ids))
	for i, r := range ids {
		rows[i] = []any{r.ContactID, string(r.Channel), r.Value, ms(r.At)}
	}
	return t.insertRows("identities", `contact_id, channel, value, created_at`, 4, rows, "")
}

// PropertyRow is a custom property to insert.
type PropertyRow struct {
	ContactID   int64
	Name, Value string
}

// InsertProperties inserts properties of new contacts.
func (t *Tx) InsertProperties(ps []PropertyRow) error {
	rows := make([][]any, len(ps))
	for i, p := range ps {
		rows[i] = []any{p.ContactID, p.Name, p.Value}
	}
	return t.insertRows("properties", `contact_id, name, value`, 3, rows, " ON CONFLICT DO NOTHING")
}

// InsertTickets inserts tickets whose ids NextIDs handed out.
func (t *Tx) InsertTickets(ts []model.Ticket) error {
	rows := make([][]any, len(ts))
	for i, tk := range ts {
		rows[i] = []any{tk.ID, tk.ContactID, string(tk.Channel), tk.Identity, string(tk.Status), tk.Subject, tk.Preview,
			tk.Assignee, tk.Proactive, ms(tk.CreatedAt), ms(tk.LastMessageAt)}
	}
	return t.insertRows("tickets", `id, contact_id, channel, identity, status, subject, preview, assignee, proactive,
		created_at, last_message_at`, 11, rows, "")
}

// InsertMessages inserts messages; it does not touch their tickets (see
// TouchTickets). The caller has ruled out stored keys (ExistingMessages):
// the key index is not unique.
func (t *Tx) InsertMessages(ms_ []model.Message) error {
	rows := make([][]any, len(ms_))
	for i, m := range ms_ {
		var ext, hash any
		if m.ExternalID != "" {
			ext, hash = m.ExternalID, keyHash(m.ExternalID)
		}
		rows[i] = []any{m.TicketID, string(m.Direction), m.Author, m.Subject, m.Body, ext, hash, ms(m.SentAt), m.Marketing}
	}
	return t.insertRows("messages", `ticket_id, direction, author, subject, body, external_id, external_hash, sent_at, marketing`, 9, rows, "")
}

// InsertActivities appends timeline entries.
func (t *Tx) InsertActivities(as []model.Activity) error {
	rows := make([][]any, len(as))
	for i, a := range as {
		var ticket any
		if a.TicketID != 0 {
			ticket = a.TicketID
		}
		if a.At.IsZero() {
			a.At = now()
		}
		rows[i] = []any{a.ContactID, ticket, a.Kind, a.Agent, a.Detail, ms(a.At)}
	}
	return t.insertRows("activity", `contact_id, ticket_id, kind, agent, detail, at`, 6, rows, "")
}

// InsertPotentialDuplicates records pairs (a < b) that are not yet recorded.
func (t *Tx) InsertPotentialDuplicates(pairs [][2]int64, reason string) error {
	rows := make([][]any, len(pairs))
	at := ms(now())
	for i, p := range pairs {
		a, b := min(p[0], p[1]), max(p[0], p[1])
		rows[i] = []any{a, b, reason, 1.0, at}
	}
	return t.insertRows("potential_duplicates", `contact_a, contact_b, reason, score, created_at`, 5, rows, " ON CONFLICT DO NOTHING")
}

// TicketTouch is the newest inbound message a group brought to an existing ticket.
type TicketTouch struct {
	ID      int64
	LastAt  time.Time
	Preview string
}

// TouchTickets moves existing tickets' last-message time and preview forward
// and reopens them: the customer is waiting again.
func (t *Tx) TouchTickets(ts []TicketTouch) error {
	for _, tk := range ts {
		if _, err := t.exec(`UPDATE tickets SET status = 'open',
			preview = CASE WHEN ? >= last_message_at THEN ? ELSE preview END,
			last_message_at = MAX(last_message_at, ?) WHERE id = ?`, ms(tk.LastAt), tk.Preview, ms(tk.LastAt), tk.ID); err != nil {
			return fmt.Errorf("update ticket %d: %w", tk.ID, err)
		}
	}
	return nil
}

// jsonList passes a list as one parameter, read in SQL with json_each: one
// prepared statement serves any list length.
func jsonList[T any](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (t *Tx) each(q string, args []any, fn func(*sql.Rows) error) error {
	return eachRow(t.query(q, args...))(fn)
}
