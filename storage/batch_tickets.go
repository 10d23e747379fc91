package storage

import (
	"database/sql"
	"fmt"

	"cxinbox/model"
)

// Batch actions on selected tickets (edit, tag, trash, purge): the app runs
// each in one transaction; these are the set-based reads and the purge.

// TicketState is a ticket as a batch action finds it before changing it.
type TicketState struct {
	ID        int64
	ContactID int64
	Channel   model.Channel
	Status    model.Status
	Assignee  string
	Subject   string
	Deleted   bool // in the trash
}

// TicketStates reads the tickets of ids inside the write transaction (so
// nothing changes them before the batch does), once each in the order
// given, and returns the ids that name no ticket, in that order too.
func (t *Tx) TicketStates(ids []int64) (states []TicketState, missing []int64, err error) {
	byID := make(map[int64]TicketState, len(ids))
	err = t.each(`SELECT t.id, t.contact_id, t.channel, t.status, t.assignee, t.subject, t.deleted_at IS NOT NULL
		FROM tickets t WHERE t.id IN (SELECT value FROM json_each(?))`, []any{jsonList(ids)}, func(r *sql.Rows) error {
		var s TicketState
		var ch, st string
		if err := r.Scan(&s.ID, &s.ContactID, &ch, &st, &s.Assignee, &s.Subject, &s.Deleted); err != nil {
			return err
		}
		s.Channel, s.Status = model.Channel(ch), model.Status(st)
		byID[s.ID] = s
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("read tickets: %w", err)
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if s, ok := byID[id]; ok {
			states = append(states, s)
		} else {
			missing = append(missing, id)
		}
	}
	return states, missing, nil
}

// PurgeTickets erases tickets that are in the trash, with their messages
// and tag links, and returns how many messages each had. Nothing else goes:
// their activity rows stay in the timeline with ticket_id set to NULL (the
// foreign key would refuse the delete otherwise), contacts and the tag
// catalogue are untouched. A ticket not in the trash is an error and, the
// transaction being the caller's, nothing is erased.
func (t *Tx) PurgeTickets(ids []int64) (messages map[int64]int, err error) {
	list := jsonList(ids)
	messages = make(map[int64]int, len(ids))
	if err := t.each(`SELECT ticket_id, COUNT(*) FROM messages WHERE ticket_id IN (SELECT value FROM json_each(?)) GROUP BY ticket_id`,
		[]any{list}, func(r *sql.Rows) error {
			var id int64
			var n int
			err := r.Scan(&id, &n)
			messages[id] = n
			return err
		}); err != nil {
		return nil, fmt.Errorf("purge: count messages: %w", err)
	}
	steps := []struct{ what, q string }{
		{"detach activity", `UPDATE activity SET ticket_id = NULL WHERE ticket_id IS NOT NULL AND ticket_id IN (SELECT value FROM json_each(?))`},
		{"erase messages", `DELETE FROM messages WHERE ticket_id IN (SELECT value FROM json_each(?))`},
		{"erase ticket tags", `DELETE FROM ticket_tags WHERE ticket_id IN (SELECT value FROM json_each(?))`},
	}
	for _, s := range steps {
		if _, err := t.exec(s.q, list); err != nil {
			return nil, fmt.Errorf("purge: %s: %w", s.what, err)
		}
	}
	r, err := t.exec(`DELETE FROM tickets WHERE deleted_at IS NOT NULL AND id IN (SELECT value FROM json_each(?))`, list)
	if err != nil {
		return nil, fmt.Errorf("purge: erase tickets: %w", err)
	}
	if n, _ := r.RowsAffected(); n != int64(len(ids)) {
		return nil, fmt.Errorf("purge: %d of %d tickets were in the trash", n, len(ids))
	}
	return messages, nil
}
