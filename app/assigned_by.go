package app

import "context"

// AssignedBy is the agent who last assigned the ticket ("" when no agent
// ever did): the inbox tells "taken by someone else" from an agent's own
// reassignment with it.
func (a *App) AssignedBy(ctx context.Context, ticketID int64) (string, error) {
	agent, _, err := a.store.LastAssignedBy(ctx, ticketID)
	return agent, err
}
