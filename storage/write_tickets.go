package storage

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"cxinbox/model"
)

// CreateTicket inserts tk and sets tk.ID.
func (t *Tx) CreateTicket(tk *model.Ticket) error {
	if tk.CreatedAt.IsZero() {
		tk.CreatedAt = now()
	}
	if tk.LastMessageAt.IsZero() {
		tk.LastMessageAt = tk.CreatedAt
	}
	if tk.Status == "" {
		tk.Status = model.StatusOpen
	}
	id, err := t.insert(`INSERT INTO tickets(contact_id, channel, identity, status, subject, preview, assignee, proactive, created_at, last_message_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tk.ContactID, string(tk.Channel), tk.Identity, string(tk.Status), tk.Subject, tk.Preview, tk.Assignee, tk.Proactive,
		ms(tk.CreatedAt), ms(tk.LastMessageAt))
	if err != nil {
		return fmt.Errorf("create ticket: %w", err)
	}
	tk.ID = id
	return nil
}

// AddMessage stores m and moves its ticket's last-message time and preview.
// An inbound message reopens a pending ticket: the customer is waiting again.
func (t *Tx) AddMessage(m *model.Message) error {
	var ext, hash any
	if m.ExternalID != "" {
		stored, err := t.ExistingMessages([]string{m.ExternalID})
		if err != nil {
			return fmt.Errorf("add message: %w", err)
		}
		if stored[m.ExternalID] {
			return fmt.Errorf("message %s is already stored", m.ExternalID)
		}
		ext, hash = m.ExternalID, keyHash(m.ExternalID)
	}
	id, err := t.insert(`INSERT INTO messages(ticket_id, direction, author, subject, body, external_id, external_hash, sent_at, marketing)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.TicketID, string(m.Direction), m.Author, m.Subject, m.Body, ext, hash, ms(m.SentAt), m.Marketing)
	if err != nil {
		return fmt.Errorf("add message: %w", err)
	}
	m.ID = id
	status := ""
	if m.Direction == model.In {
		status = string(model.StatusOpen)
	}
	_, err = t.exec(`UPDATE tickets SET
		last_message_at = MAX(last_message_at, ?),
		preview = CASE WHEN ? >= last_message_at THEN ? ELSE preview END,
		status = CASE WHEN ? <> '' THEN ? ELSE status END
		WHERE id = ?`, ms(m.SentAt), ms(m.SentAt), Preview(m.Body), status, status, m.TicketID)
	return err
}

// Preview is the first line of a message body, cut to 120 characters: what
// the ticket list shows.
func Preview(body string) string {
	s := strings.TrimSpace(body)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 && utf8.RuneCountInString(s) > 120 { // most previews are short: no rune slice
		r := []rune(s)
		s = string(r[:119]) + "…"
	}
	return s
}

// TicketContact returns the ticket's contact and channel.
func (t *Tx) TicketContact(ticketID int64) (contactID int64, ch model.Channel, err error) {
	var c string
	ok, err := found(t.queryRow(`SELECT contact_id, channel FROM tickets WHERE id = ?`, ticketID).Scan(&contactID, &c))
	if err == nil && !ok {
		err = fmt.Errorf("ticket %d: %w", ticketID, ErrNotFound)
	}
	return contactID, model.Channel(c), err
}

// SetTicketStatus changes the status and returns the old one.
func (t *Tx) SetTicketStatus(ticketID int64, s model.Status) (model.Status, error) {
	var old string
	if ok, err := found(t.queryRow(`SELECT status FROM tickets WHERE id = ?`, ticketID).Scan(&old)); err != nil || !ok {
		return "", notFoundOr(err, "ticket", ticketID)
	}
	_, err := t.exec(`UPDATE tickets SET status = ? WHERE id = ?`, string(s), ticketID)
	return model.Status(old), err
}

// SetTicketAssignee changes the assignee ("" = unassigned) and returns the old one.
func (t *Tx) SetTicketAssignee(ticketID int64, agent string) (string, error) {
	var old string
	if ok, err := found(t.queryRow(`SELECT assignee FROM tickets WHERE id = ?`, ticketID).Scan(&old)); err != nil || !ok {
		return "", notFoundOr(err, "ticket", ticketID)
	}
	_, err := t.exec(`UPDATE tickets SET assignee = ? WHERE id = ?`, agent, ticketID)
	return old, err
}

// SetTicketDeleted moves a ticket to the trash (deleted) or back, and reports
// whether it changed.
func (t *Tx) SetTicketDeleted(ticketID int64, deleted bool) (bool, error) {
	q := `UPDATE tickets SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL`
	args := []any{ticketID}
	if deleted {
		q = `UPDATE tickets SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`
		args = []any{ms(now()), ticketID}
	}
	r, err := t.exec(q, args...)
	if err != nil {
		return false, err
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

func notFoundOr(err error, what string, id int64) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%s %d: %w", what, id, ErrNotFound)
}

// TicketSubject returns a ticket's subject.
func (t *Tx) TicketSubject(ticketID int64) (string, error) {
	var s string
	ok, err := found(t.queryRow(`SELECT subject FROM tickets WHERE id = ?`, ticketID).Scan(&s))
	if err == nil && !ok {
		err = notFoundOr(nil, "ticket", ticketID)
	}
	return s, err
}
