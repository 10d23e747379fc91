package storage

import (
	"context"

	"cxinbox/model"
)

// LastAssignedBy is the agent who made the ticket's latest assignment (its
// newest ticket_assigned activity row); ok is false when it never was.
func (s *Store) LastAssignedBy(ctx context.Context, ticketID int64) (agent string, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT agent FROM activity WHERE ticket_id = ? AND kind = ? ORDER BY id DESC LIMIT 1`,
		ticketID, model.ActTicketAssigned).Scan(&agent)
	ok, err = found(err)
	return agent, ok, err
}
