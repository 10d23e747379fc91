package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"cxinbox/model"
)

// ViewRow is a saved view as stored. Visibility and permissions are the
// app's rules; storage only reads what a given agent may see (VisibleViews)
// and writes what it is told.
type ViewRow struct {
	ID        int64
	Name      string
	OwnerID   int64
	Owner     string // the owner agent's name
	Public    bool
	Position  int // 1-based place in the reading agent's list; 0 when read by id
	Filter    model.Filter
	CreatedAt time.Time
	UpdatedAt time.Time
}

const viewCols = `v.id, v.name, v.owner_id, a.name, v.public, v.filter, v.created_at, v.updated_at`

func scanView(sc interface{ Scan(...any) error }) (ViewRow, error) {
	var v ViewRow
	var filter string
	var created, updated int64
	if err := sc.Scan(&v.ID, &v.Name, &v.OwnerID, &v.Owner, &v.Public, &filter, &created, &updated); err != nil {
		return v, err
	}
	v.CreatedAt, v.UpdatedAt = fromMS(created), fromMS(updated)
	if err := json.Unmarshal([]byte(filter), &v.Filter); err != nil {
		return v, fmt.Errorf("view %d: stored filter is not readable: %w", v.ID, err)
	}
	return v, nil
}

// visibleViews lists the views agent may see: its own and every public one,
// in the agent's order (its view_order rows first, then the rest by default
// position). Positions are numbered from 1.
const visibleViews = `SELECT ` + viewCols + ` FROM views v JOIN agents a ON a.id = v.owner_id
	LEFT JOIN view_order o ON o.view_id = v.id AND o.agent_id = (SELECT id FROM agents WHERE name = ?)
	WHERE v.public = 1 OR a.name = ?
	ORDER BY o.position IS NULL, o.position, v.position, v.id`

func collectViews(each func(q string, args []any, fn func(*sql.Rows) error) error, agent string) ([]ViewRow, error) {
	var out []ViewRow
	err := each(visibleViews, []any{agent, agent}, func(r *sql.Rows) error {
		v, err := scanView(r)
		if err != nil {
			return err
		}
		v.Position = len(out) + 1
		out = append(out, v)
		return nil
	})
	return out, err
}

// VisibleViews lists the views agent may see, in its order.
func (s *Store) VisibleViews(ctx context.Context, agent string) ([]ViewRow, error) {
	return collectViews(func(q string, args []any, fn func(*sql.Rows) error) error { return s.each(ctx, q, args, fn) }, agent)
}

// VisibleViews is Store.VisibleViews inside the write transaction.
func (t *Tx) VisibleViews(agent string) ([]ViewRow, error) {
	return collectViews(t.each, agent)
}

// ViewByID reads a view whoever owns it (Position 0); ok is false when the
// id names none. The caller applies the visibility rules.
func (t *Tx) ViewByID(id int64) (ViewRow, bool, error) {
	v, err := scanView(t.queryRow(`SELECT `+viewCols+` FROM views v JOIN agents a ON a.id = v.owner_id WHERE v.id = ?`, id))
	ok, err := found(err)
	return v, ok, err
}

// ViewNamed returns the id of owner's view with this name (case-folded),
// other than except; ok is false when there is none.
func (t *Tx) ViewNamed(ownerID int64, name string, except int64) (id int64, ok bool, err error) {
	ok, err = found(t.queryRow(`SELECT id FROM views WHERE owner_id = ? AND name_fold = ? AND id <> ?`,
		ownerID, model.Fold(name), except).Scan(&id))
	return id, ok, err
}

func filterJSON(f model.Filter) (string, error) {
	if f.Conditions == nil {
		f.Conditions = []model.Condition{}
	}
	b, err := json.Marshal(f)
	return string(b), err
}

// InsertView stores a new view (OwnerID, Name, Public, Filter set, already
// validated) at the end of the default order and sets its ID and times.
func (t *Tx) InsertView(v *ViewRow) error {
	filter, err := filterJSON(v.Filter)
	if err != nil {
		return err
	}
	at := now().Truncate(time.Millisecond)
	id, err := t.insert(`INSERT INTO views(name, name_fold, owner_id, public, position, filter, created_at, updated_at)
		VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM views), ?, ?, ?)`,
		v.Name, model.Fold(v.Name), v.OwnerID, v.Public, filter, ms(at), ms(at))
	if err != nil {
		return fmt.Errorf("save view %q: %w", v.Name, err)
	}
	v.ID, v.CreatedAt, v.UpdatedAt = id, at, at
	return nil
}

// UpdateView writes a view's name, public flag and filter, and moves its
// UpdatedAt.
func (t *Tx) UpdateView(v *ViewRow) error {
	filter, err := filterJSON(v.Filter)
	if err != nil {
		return err
	}
	at := now().Truncate(time.Millisecond)
	r, err := t.exec(`UPDATE views SET name = ?, name_fold = ?, public = ?, filter = ?, updated_at = ? WHERE id = ?`,
		v.Name, model.Fold(v.Name), v.Public, filter, ms(at), v.ID)
	if err != nil {
		return fmt.Errorf("save view %d: %w", v.ID, err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return notFoundOr(nil, "view", v.ID)
	}
	v.UpdatedAt = at
	return nil
}

// DeleteView deletes a view and every agent's place for it.
func (t *Tx) DeleteView(id int64) error {
	if _, err := t.exec(`DELETE FROM view_order WHERE view_id = ?`, id); err != nil {
		return err
	}
	r, err := t.exec(`DELETE FROM views WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return notFoundOr(nil, "view", id)
	}
	return nil
}

// SetViewOrder makes ids (views the agent sees) the agent's order.
func (t *Tx) SetViewOrder(agentID int64, ids []int64) error {
	if _, err := t.exec(`DELETE FROM view_order WHERE agent_id = ?`, agentID); err != nil {
		return err
	}
	for i, id := range ids {
		if _, err := t.exec(`INSERT INTO view_order(agent_id, view_id, position) VALUES (?, ?, ?)`, agentID, id, i+1); err != nil {
			return fmt.Errorf("order views: %w", err)
		}
	}
	return nil
}
