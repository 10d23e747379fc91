package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Agent is a row of the agents table.
type Agent struct {
	ID        int64
	Name      string
	Admin     bool
	CreatedAt time.Time
}

const agentCols = `id, name, admin, created_at`

func scanAgent(sc interface{ Scan(...any) error }) (Agent, error) {
	var a Agent
	var at int64
	err := sc.Scan(&a.ID, &a.Name, &a.Admin, &at)
	a.CreatedAt = fromMS(at)
	return a, err
}

// Agents lists the agents by name.
func (s *Store) Agents(ctx context.Context) ([]Agent, error) {
	var out []Agent
	err := s.each(ctx, `SELECT `+agentCols+` FROM agents ORDER BY name`, nil, func(r *sql.Rows) error {
		a, err := scanAgent(r)
		out = append(out, a)
		return err
	})
	return out, err
}

// AgentByName returns the agent with exactly this name; ok is false when
// there is none.
func (s *Store) AgentByName(ctx context.Context, name string) (a Agent, ok bool, err error) {
	a, err = scanAgent(s.r.QueryRowContext(ctx, `SELECT `+agentCols+` FROM agents WHERE name = ?`, name))
	ok, err = found(err)
	return a, ok, err
}

// AgentByName is Store.AgentByName inside the write transaction.
func (t *Tx) AgentByName(name string) (a Agent, ok bool, err error) {
	a, err = scanAgent(t.queryRow(`SELECT `+agentCols+` FROM agents WHERE name = ?`, name))
	ok, err = found(err)
	return a, ok, err
}

// InsertAgent registers a new agent (the name must be free). The caller
// writes the activity.
func (t *Tx) InsertAgent(name string, admin bool) (Agent, error) {
	a := Agent{Name: name, Admin: admin, CreatedAt: now().Truncate(time.Millisecond)}
	id, err := t.insert(`INSERT INTO agents(name, admin, created_at) VALUES (?, ?, ?)`, name, admin, ms(a.CreatedAt))
	if err != nil {
		return Agent{}, fmt.Errorf("add agent %q: %w", name, err)
	}
	a.ID = id
	return a, nil
}

// SetAgentAdmin sets an agent's admin flag.
func (t *Tx) SetAgentAdmin(id int64, admin bool) error {
	_, err := t.exec(`UPDATE agents SET admin = ? WHERE id = ?`, admin, id)
	return err
}
