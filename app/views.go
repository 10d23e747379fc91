package app

import (
	"context"
	"errors"
	"time"

	"cxinbox/model"
)

// Views, agents and batch actions (issue 4). The API below is agreed between
// the backend and the UI; bodies are being written.

// errTodo marks the bodies still being written.
var errTodo = errors.New("views: not implemented yet")

// Agent is someone who works the inbox; views belong to agents.
type Agent struct {
	Name      string    `json:"name"`
	Admin     bool      `json:"admin"`
	CreatedAt time.Time `json:"created_at"`
}

// View is a saved ticket filter.
type View struct {
	ID        int64        `json:"id"`
	Name      string       `json:"name"`
	Owner     string       `json:"owner"`
	Public    bool         `json:"public"`
	Position  int          `json:"position"`
	Filter    model.Filter `json:"filter"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// AddAgent registers an agent.
func (a *App) AddAgent(ctx context.Context, name string, admin bool) (Agent, error) { return Agent{}, errTodo }

// Agents lists the agents.
func (a *App) Agents(ctx context.Context) ([]Agent, error) { return nil, errTodo }

// EnsureAgent returns the agent, registering it (not admin) if new: the local
// user's agent exists without ceremony.
func (a *App) EnsureAgent(ctx context.Context, name string) (Agent, error) { return Agent{}, errTodo }

// CreateView saves a new view owned by agent, after validating its filter.
func (a *App) CreateView(ctx context.Context, agent string, v View) (View, error) { return View{}, errTodo }

// UpdateView changes a view; only its owner or an admin may.
func (a *App) UpdateView(ctx context.Context, agent string, v View) (View, error) { return View{}, errTodo }

// DeleteView deletes a view; only its owner or an admin may.
func (a *App) DeleteView(ctx context.Context, agent string, id int64) error { return errTodo }

// MoveView moves a view up (delta < 0) or down in the agent's list.
func (a *App) MoveView(ctx context.Context, agent string, id int64, delta int) error { return errTodo }

// Views lists the views agent can see (its own and public ones), in order.
func (a *App) Views(ctx context.Context, agent string) ([]View, error) { return nil, errTodo }

// ViewByRef finds a visible view by id or name; anything else is "no such view".
func (a *App) ViewByRef(ctx context.Context, agent, ref string) (View, error) { return View{}, errTodo }

// CountTickets counts the tickets a query matches (whole-table work: call it
// off the UI path).
func (a *App) CountTickets(ctx context.Context, q TicketQuery) (int64, error) { return 0, errTodo }

// TicketIDs returns the ids of up to limit tickets a query matches ("select
// all that match").
func (a *App) TicketIDs(ctx context.Context, q TicketQuery, limit int) ([]int64, error) { return nil, errTodo }

// BatchStatus sets the status of many tickets in one transaction.
func (a *App) BatchStatus(ctx context.Context, agent string, ids []int64, status string) error { return errTodo }

// BatchAssign assigns many tickets in one transaction ("" unassigns).
func (a *App) BatchAssign(ctx context.Context, agent string, ids []int64, to string) error { return errTodo }

// BatchTag adds a tag to many tickets in one transaction.
func (a *App) BatchTag(ctx context.Context, agent string, ids []int64, tag string, create bool) error { return errTodo }

// BatchTrash moves many tickets to the trash (deleted) or restores them.
func (a *App) BatchTrash(ctx context.Context, agent string, ids []int64, deleted bool) error { return errTodo }

// Purge erases tickets for good; only tickets already in the trash.
func (a *App) Purge(ctx context.Context, agent string, ids []int64) error { return errTodo }
