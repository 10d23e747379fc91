package storage

import (
	"fmt"
	"strings"

	"cxinbox/model"
)

// ContactByIdentity returns the contact that owns the identity.
func (t *Tx) ContactByIdentity(id model.Identity) (int64, bool, error) {
	var cid int64
	ok, err := found(t.queryRow(`SELECT contact_id FROM identities WHERE channel = ? AND value = ?`,
		string(id.Channel), id.Value).Scan(&cid))
	return cid, ok, err
}

// ContactExists reports whether id names a contact.
func (t *Tx) ContactExists(id int64) (bool, error) {
	var one int
	return found(t.queryRow(`SELECT 1 FROM contacts WHERE id = ?`, id).Scan(&one))
}

// CreateContact inserts c and sets c.ID. The caller writes the activity.
func (t *Tx) CreateContact(c *model.Contact) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now()
	}
	if c.LeadStage == "" {
		c.LeadStage = model.StageLead
	}
	c.UpdatedAt = c.CreatedAt
	id, err := t.insert(`INSERT INTO contacts(name, name_fold, name_generated, lead_stage, email, phone, company,
		country, timezone, language, email_unsubscribed, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Name, model.Fold(c.Name), c.NameGenerated, string(c.LeadStage), c.Email, c.Phone, c.Company,
		c.Country, c.Timezone, c.Language, c.EmailUnsubscribed, ms(c.CreatedAt), ms(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create contact: %w", err)
	}
	c.ID = id
	return nil
}

// AddIdentity attaches an identity to a contact. The identity must not belong
// to anyone yet (UNIQUE(channel, value) enforces it).
func (t *Tx) AddIdentity(contactID int64, id model.Identity) error {
	_, err := t.exec(`INSERT INTO identities(contact_id, channel, value, created_at) VALUES (?, ?, ?, ?)`,
		contactID, string(id.Channel), id.Value, ms(now()))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return fmt.Errorf("identity %s already belongs to another contact", id)
		}
		return fmt.Errorf("add identity %s: %w", id, err)
	}
	return nil
}

// Activity appends a timeline entry.
func (t *Tx) Activity(a model.Activity) error {
	if a.At.IsZero() {
		a.At = now()
	}
	var ticket any
	if a.TicketID != 0 {
		ticket = a.TicketID
	}
	var contact any
	if a.ContactID != 0 {
		contact = a.ContactID
	}
	_, err := t.exec(`INSERT INTO activity(contact_id, ticket_id, kind, agent, detail, at) VALUES (?, ?, ?, ?, ?, ?)`,
		contact, ticket, a.Kind, a.Agent, a.Detail, ms(a.At))
	if err != nil {
		return fmt.Errorf("write activity: %w", err)
	}
	return nil
}

// contactColumn maps a standard field to its column; the map is the
// allow-list that keeps field names out of SQL text otherwise.
var contactColumn = map[string]string{
	"name": "name", "email": "email", "phone": "phone", "company": "company", "country": "country",
	"timezone": "timezone", "language": "language", "lead_stage": "lead_stage",
}

// SetField sets a standard field (value already normalised) and returns the
// old value.
func (t *Tx) SetField(contactID int64, field, value string) (string, error) {
	col, ok := contactColumn[field]
	if !ok {
		return "", fmt.Errorf("unknown field %q", field)
	}
	var old string
	if ok, err := found(t.queryRow(`SELECT `+col+` FROM contacts WHERE id = ?`, contactID).Scan(&old)); err != nil {
		return "", err
	} else if !ok {
		return "", fmt.Errorf("contact %d: %w", contactID, ErrNotFound)
	}
	var err error
	if col == "name" {
		_, err = t.exec(`UPDATE contacts SET name = ?, name_fold = ?, name_generated = 0, updated_at = ? WHERE id = ?`,
			value, model.Fold(value), ms(now()), contactID)
	} else {
		_, err = t.exec(`UPDATE contacts SET `+col+` = ?, updated_at = ? WHERE id = ?`, value, ms(now()), contactID)
	}
	if err != nil {
		return "", fmt.Errorf("set %s: %w", field, err)
	}
	return old, nil
}

// SetProperty sets (or, with an empty value, deletes) a custom property and
// returns the old value.
func (t *Tx) SetProperty(contactID int64, name, value string) (string, error) {
	var old string
	if _, err := found(t.queryRow(`SELECT value FROM properties WHERE contact_id = ? AND name = ?`, contactID, name).Scan(&old)); err != nil {
		return "", err
	}
	var err error
	if value == "" {
		_, err = t.exec(`DELETE FROM properties WHERE contact_id = ? AND name = ?`, contactID, name)
	} else {
		_, err = t.exec(`INSERT INTO properties(contact_id, name, value) VALUES (?, ?, ?)
			ON CONFLICT(contact_id, name) DO UPDATE SET value = excluded.value`, contactID, name, value)
	}
	if err != nil {
		return "", fmt.Errorf("set property %s: %w", name, err)
	}
	_, err = t.exec(`UPDATE contacts SET updated_at = ? WHERE id = ?`, ms(now()), contactID)
	return old, err
}

// SetUnsubscribed sets the email-unsubscribed flag and reports whether it
// changed.
func (t *Tx) SetUnsubscribed(contactID int64, unsub bool) (bool, error) {
	r, err := t.exec(`UPDATE contacts SET email_unsubscribed = ?, updated_at = ? WHERE id = ? AND email_unsubscribed <> ?`,
		unsub, ms(now()), contactID, unsub)
	if err != nil {
		return false, err
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// AddNote stores a note.
func (t *Tx) AddNote(contactID int64, author, body string) (int64, error) {
	return t.insert(`INSERT INTO notes(contact_id, author, body, created_at) VALUES (?, ?, ?, ?)`,
		contactID, author, body, ms(now()))
}
