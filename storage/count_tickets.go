package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// CountTickets counts the tickets q selects (its cursor and limit aside):
// COUNT over the WHERE clause the list pages through. It reads every match,
// so it runs off the UI path.
func (s *Store) CountTickets(ctx context.Context, q TicketQuery) (int64, error) {
	where, args, err := ticketWhere(q)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE `+where,
		args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count tickets: %w", err)
	}
	return n, nil
}

// TicketIDs returns the ids of the tickets q selects, in inbox order,
// starting after q.After when set, at most limit of them (all when limit
// <= 0; q.Limit is ignored).
func (s *Store) TicketIDs(ctx context.Context, q TicketQuery, limit int) ([]int64, error) {
	where, args, err := ticketWhere(q)
	if err != nil {
		return nil, err
	}
	if q.After != nil {
		where += ` AND (t.last_message_at, t.id) < (?, ?)`
		args = append(args, q.After.LastMessageAt, q.After.ID)
	}
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	args = append(args, limit)
	var out []int64
	err = s.each(ctx, `SELECT t.id FROM tickets t JOIN contacts c ON c.id = t.contact_id
		WHERE `+where+` ORDER BY t.last_message_at DESC, t.id DESC LIMIT ?`, args, func(r *sql.Rows) error {
		var id int64
		err := r.Scan(&id)
		out = append(out, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("select tickets: %w", err)
	}
	return out, nil
}
