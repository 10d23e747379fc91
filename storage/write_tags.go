package storage

import (
	"fmt"

	"cxinbox/model"
)

// EnsureTag returns the catalogue tag with this name (case-insensitively),
// creating it when create is true.
func (t *Tx) EnsureTag(name string, create bool) (id int64, canonical string, err error) {
	fold := model.Fold(name)
	ok, err := found(t.queryRow(`SELECT id, name FROM tags WHERE name_fold = ?`, fold).Scan(&id, &canonical))
	if err != nil || ok {
		return id, canonical, err
	}
	if !create {
		return 0, "", fmt.Errorf("tag %q is not in the tag list", name)
	}
	id, err = t.insert(`INSERT INTO tags(name, name_fold, created_at) VALUES (?, ?, ?)`, name, fold, ms(now()))
	return id, name, err
}

// TagContact adds (on) or removes a tag from a contact and reports whether
// anything changed.
func (t *Tx) TagContact(contactID, tagID int64, on bool) (bool, error) {
	return t.tagLink(`contact_tags`, `contact_id`, contactID, tagID, on)
}

// TagTicket adds (on) or removes a tag from a ticket.
func (t *Tx) TagTicket(ticketID, tagID int64, on bool) (bool, error) {
	return t.tagLink(`ticket_tags`, `ticket_id`, ticketID, tagID, on)
}

func (t *Tx) tagLink(table, col string, id, tagID int64, on bool) (bool, error) {
	q := `DELETE FROM ` + table + ` WHERE ` + col + ` = ? AND tag_id = ?`
	if on {
		q = `INSERT INTO ` + table + `(` + col + `, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING`
	}
	r, err := t.exec(q, id, tagID)
	if err != nil {
		return false, err
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}
