package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"cxinbox/model"
	"cxinbox/storage"
)

// Views, agents and batch actions (issue 4). The API below is agreed between
// the backend and the UI.
//
// Visibility: a private view is its owner's alone, everywhere. Every other
// agent — admins included — gets "no such view", the same error as for an
// id that names nothing, so a view's existence does not leak. A public view
// is visible to every agent; only its owner or an admin changes or deletes it.

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

// ErrNoSuchView is what every refused or failed view lookup wraps: a view
// that does not exist and another agent's private view look the same.
// errors.Is(err, ErrNotFound) holds for it too.
var ErrNoSuchView = errors.New("no such view")

// ErrNotAllowed is wrapped by refusals to change another agent's view.
var ErrNotAllowed = errors.New("not allowed")

type noSuchView string

func (e noSuchView) Error() string { return "no such view: " + string(e) }

func (e noSuchView) Is(target error) bool { return target == ErrNoSuchView || target == ErrNotFound }

type notAllowed struct {
	id    int64
	owner string
}

func (e notAllowed) Error() string {
	return fmt.Sprintf("view %d belongs to %s: only %s or an admin can change it", e.id, e.owner, e.owner)
}

func (e notAllowed) Is(target error) bool { return target == ErrNotAllowed }

// Activity kinds of agents, views and purges (added to model's ticket and
// contact kinds). View and agent rows have no contact or ticket; a purge row
// keeps the contact, its ticket being gone.
const (
	ActAgentAdded   = "agent_added"
	ActAgentAdmin   = "agent_admin"
	ActViewCreated  = "view_created"
	ActViewChanged  = "view_changed"
	ActViewDeleted  = "view_deleted"
	ActViewMoved    = "view_moved"
	ActTicketPurged = "ticket_purged"
)

// Limits on names.
const (
	MaxAgentName = 64  // runes
	MaxViewName  = 100 // runes
)

func checkName(what, name string, max int) (string, error) {
	n := strings.TrimSpace(name)
	switch {
	case n == "":
		return "", fmt.Errorf("%s name is empty", what)
	case !utf8.ValidString(n):
		return "", fmt.Errorf("%s name is not valid UTF-8", what)
	case strings.IndexFunc(n, unicode.IsControl) >= 0:
		return "", fmt.Errorf("%s name %q holds a control character", what, n)
	case utf8.RuneCountInString(n) > max:
		return "", fmt.Errorf("%s name %q is longer than %d characters", what, n, max)
	}
	return n, nil
}

func agentOf(r storage.Agent) Agent {
	return Agent{Name: r.Name, Admin: r.Admin, CreatedAt: r.CreatedAt}
}

func viewOf(r storage.ViewRow) View {
	return View{ID: r.ID, Name: r.Name, Owner: r.Owner, Public: r.Public, Position: r.Position, Filter: r.Filter,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// ---------------------------------------------------------------------------
// Agents.

// AddAgent registers an agent. Adding an existing agent with admin set makes
// it an admin; adding it otherwise is an error.
func (a *App) AddAgent(ctx context.Context, name string, admin bool) (Agent, error) {
	name, err := checkName("agent", name, MaxAgentName)
	if err != nil {
		return Agent{}, err
	}
	var out storage.Agent
	err = a.write(ctx, Change{}, func(tx *storage.Tx) error {
		old, ok, err := tx.AgentByName(name)
		if err != nil {
			return err
		}
		if ok {
			if !admin || old.Admin {
				return fmt.Errorf("agent %q already exists", name)
			}
			if err := tx.SetAgentAdmin(old.ID, true); err != nil {
				return err
			}
			old.Admin = true
			out = old
			return tx.Activity(model.Activity{Kind: ActAgentAdmin, Detail: fmt.Sprintf("agent %s is now an admin", name)})
		}
		out, err = insertAgent(tx, name, admin)
		return err
	})
	return agentOf(out), err
}

func insertAgent(tx *storage.Tx, name string, admin bool) (storage.Agent, error) {
	ag, err := tx.InsertAgent(name, admin)
	if err != nil {
		return ag, err
	}
	detail := "agent " + name + " added"
	if admin {
		detail += " (admin)"
	}
	return ag, tx.Activity(model.Activity{Kind: ActAgentAdded, Detail: detail})
}

// ensureAgent is EnsureAgent inside a write transaction.
func ensureAgent(tx *storage.Tx, name string) (storage.Agent, error) {
	ag, ok, err := tx.AgentByName(name)
	if err != nil || ok {
		return ag, err
	}
	return insertAgent(tx, name, false)
}

// Agents lists the agents by name.
func (a *App) Agents(ctx context.Context) ([]Agent, error) {
	rows, err := a.store.Agents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Agent, len(rows))
	for i, r := range rows {
		out[i] = agentOf(r)
	}
	return out, nil
}

// EnsureAgent returns the agent, registering it (not admin) if new: the local
// user's agent exists without ceremony.
func (a *App) EnsureAgent(ctx context.Context, name string) (Agent, error) {
	name, err := checkName("agent", name, MaxAgentName)
	if err != nil {
		return Agent{}, err
	}
	if ag, ok, err := a.store.AgentByName(ctx, name); err != nil || ok {
		return agentOf(ag), err
	}
	var ag storage.Agent
	err = a.write(ctx, Change{}, func(tx *storage.Tx) error {
		ag, err = ensureAgent(tx, name)
		return err
	})
	return agentOf(ag), err
}

// ---------------------------------------------------------------------------
// Views.

// normalizeFilter validates f with Tree (an expression's error is the
// parser's "Invalid logical expression…" as is) and returns it with an
// explicit match, normalised condition values, and the expression only with
// match expr (kept as typed, so error positions stay the user's).
func normalizeFilter(f model.Filter) (model.Filter, error) {
	if f.Match == "" {
		f.Match = model.MatchAll
	}
	if _, err := f.Tree(); err != nil {
		return model.Filter{}, err
	}
	out := model.Filter{Match: f.Match, Conditions: make([]model.Condition, len(f.Conditions))}
	for i, c := range f.Conditions {
		n, err := c.Normalize()
		if err != nil { // Tree validated them; kept for safety
			return model.Filter{}, fmt.Errorf("condition %d: %w", i+1, err)
		}
		out.Conditions[i] = n
	}
	if f.Match == model.MatchExpr {
		out.Expr = f.Expr
	}
	return out, nil
}

func visibleTo(v storage.ViewRow, agent string) bool { return v.Public || v.Owner == agent }

// viewForChange reads view id for agent inside tx: "no such view" unless the
// agent sees it, "belongs to" unless the agent owns it or is an admin.
func viewForChange(tx *storage.Tx, agent string, id int64) (storage.ViewRow, error) {
	v, ok, err := tx.ViewByID(id)
	if err != nil {
		return v, err
	}
	if !ok || !visibleTo(v, agent) {
		return v, noSuchView(strconv.FormatInt(id, 10))
	}
	if v.Owner == agent {
		return v, nil
	}
	ag, ok, err := tx.AgentByName(agent)
	if err != nil {
		return v, err
	}
	if !ok || !ag.Admin {
		return v, notAllowed{v.ID, v.Owner}
	}
	return v, nil
}

// withPosition fills v's place in agent's list, read inside tx.
func withPosition(tx *storage.Tx, agent string, v storage.ViewRow) (storage.ViewRow, error) {
	list, err := tx.VisibleViews(agent)
	if err != nil {
		return v, err
	}
	for _, w := range list {
		if w.ID == v.ID {
			v.Position = w.Position
		}
	}
	return v, nil
}

// Visibility names who may see a view: "public" or "private".
func Visibility(public bool) string {
	if public {
		return "public"
	}
	return "private"
}

// CreateView saves a new view owned by agent, after validating its filter.
// An unknown agent is registered (not admin) in the same transaction.
func (a *App) CreateView(ctx context.Context, agent string, v View) (View, error) {
	agent, err := checkName("agent", agent, MaxAgentName)
	if err != nil {
		return View{}, err
	}
	name, err := checkName("view", v.Name, MaxViewName)
	if err != nil {
		return View{}, err
	}
	f, err := normalizeFilter(v.Filter)
	if err != nil {
		return View{}, err
	}
	var row storage.ViewRow
	err = a.write(ctx, Change{}, func(tx *storage.Tx) error {
		owner, err := ensureAgent(tx, agent)
		if err != nil {
			return err
		}
		if id, taken, err := tx.ViewNamed(owner.ID, name, 0); err != nil {
			return err
		} else if taken {
			return fmt.Errorf("%s already has a view named %q (view %d)", agent, name, id)
		}
		row = storage.ViewRow{Name: name, OwnerID: owner.ID, Owner: owner.Name, Public: v.Public, Filter: f}
		if err := tx.InsertView(&row); err != nil {
			return err
		}
		if row, err = withPosition(tx, agent, row); err != nil {
			return err
		}
		return tx.Activity(model.Activity{Kind: ActViewCreated, Agent: agent,
			Detail: fmt.Sprintf("view %d %q created (%s, %d conditions, match %s)", row.ID, name, Visibility(v.Public), len(f.Conditions), f.Match)})
	})
	if err != nil {
		return View{}, err
	}
	return viewOf(row), nil
}

// UpdateView changes a view's name, public flag and filter (v.ID names it;
// its owner and position stay); only its owner or an admin may.
func (a *App) UpdateView(ctx context.Context, agent string, v View) (View, error) {
	agent = strings.TrimSpace(agent)
	name, err := checkName("view", v.Name, MaxViewName)
	if err != nil {
		return View{}, err
	}
	f, err := normalizeFilter(v.Filter)
	if err != nil {
		return View{}, err
	}
	var row storage.ViewRow
	err = a.write(ctx, Change{}, func(tx *storage.Tx) error {
		old, err := viewForChange(tx, agent, v.ID)
		if err != nil {
			return err
		}
		if id, taken, err := tx.ViewNamed(old.OwnerID, name, old.ID); err != nil {
			return err
		} else if taken {
			return fmt.Errorf("%s already has a view named %q (view %d)", old.Owner, name, id)
		}
		var what []string
		if old.Name != name {
			what = append(what, fmt.Sprintf("renamed %q → %q", old.Name, name))
		}
		if old.Public != v.Public {
			what = append(what, Visibility(old.Public)+" → "+Visibility(v.Public))
		}
		if !sameFilter(old.Filter, f) {
			what = append(what, fmt.Sprintf("filter changed (%d conditions, match %s)", len(f.Conditions), f.Match))
		}
		row = old
		row.Name, row.Public, row.Filter = name, v.Public, f
		if len(what) == 0 {
			row, err = withPosition(tx, agent, row)
			return err
		}
		if err := tx.UpdateView(&row); err != nil {
			return err
		}
		if row, err = withPosition(tx, agent, row); err != nil {
			return err
		}
		return tx.Activity(model.Activity{Kind: ActViewChanged, Agent: agent,
			Detail: fmt.Sprintf("view %d %q of %s: %s", row.ID, name, row.Owner, strings.Join(what, ", "))})
	})
	if err != nil {
		return View{}, err
	}
	return viewOf(row), nil
}

func sameFilter(a, b model.Filter) bool {
	return a.Match == b.Match && a.Expr == b.Expr && slices.Equal(a.Conditions, b.Conditions)
}

// DeleteView deletes a view; only its owner or an admin may.
func (a *App) DeleteView(ctx context.Context, agent string, id int64) error {
	agent = strings.TrimSpace(agent)
	return a.write(ctx, Change{}, func(tx *storage.Tx) error {
		v, err := viewForChange(tx, agent, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteView(id); err != nil {
			return err
		}
		return tx.Activity(model.Activity{Kind: ActViewDeleted, Agent: agent,
			Detail: fmt.Sprintf("view %d %q of %s deleted", id, v.Name, v.Owner)})
	})
}

// MoveView moves a view up (delta < 0) or down in the agent's list. The
// order is the agent's own: moving a public view changes no one else's list.
func (a *App) MoveView(ctx context.Context, agent string, id int64, delta int) error {
	agent = strings.TrimSpace(agent)
	return a.write(ctx, Change{}, func(tx *storage.Tx) error {
		list, err := tx.VisibleViews(agent)
		if err != nil {
			return err
		}
		from := slices.IndexFunc(list, func(v storage.ViewRow) bool { return v.ID == id })
		if from < 0 {
			return noSuchView(strconv.FormatInt(id, 10))
		}
		to := min(max(from+delta, 0), len(list)-1)
		if to == from {
			return nil
		}
		me, err := ensureAgent(tx, agent)
		if err != nil {
			return err
		}
		v := list[from]
		list = slices.Insert(slices.Delete(list, from, from+1), to, v)
		ids := make([]int64, len(list))
		for i, w := range list {
			ids[i] = w.ID
		}
		if err := tx.SetViewOrder(me.ID, ids); err != nil {
			return err
		}
		return tx.Activity(model.Activity{Kind: ActViewMoved, Agent: agent,
			Detail: fmt.Sprintf("view %d %q moved from %d to %d in %s's list", id, v.Name, from+1, to+1, agent)})
	})
}

// Views lists the views agent can see (its own and public ones), in order.
func (a *App) Views(ctx context.Context, agent string) ([]View, error) {
	rows, err := a.store.VisibleViews(ctx, strings.TrimSpace(agent))
	if err != nil {
		return nil, err
	}
	out := make([]View, len(rows))
	for i, r := range rows {
		out[i] = viewOf(r)
	}
	return out, nil
}

// ViewByRef finds a visible view by id or name; anything else is "no such view".
// A number is an id first; a name matches case-insensitively, the agent's
// own view before the public ones of others (several of those is an error
// asking for the id).
func (a *App) ViewByRef(ctx context.Context, agent, ref string) (View, error) {
	agent, ref = strings.TrimSpace(agent), strings.TrimSpace(ref)
	views, err := a.Views(ctx, agent)
	if err != nil {
		return View{}, err
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		for _, v := range views {
			if v.ID == id {
				return v, nil
			}
		}
	}
	fold := model.Fold(ref)
	var others []View
	for _, v := range views {
		if model.Fold(v.Name) != fold {
			continue
		}
		if v.Owner == agent {
			return v, nil
		}
		others = append(others, v)
	}
	switch len(others) {
	case 0:
		return View{}, noSuchView(ref)
	case 1:
		return others[0], nil
	}
	which := make([]string, len(others))
	for i, v := range others {
		which[i] = fmt.Sprintf("%d (%s)", v.ID, v.Owner)
	}
	return View{}, fmt.Errorf("%d views are named %q: %s; give the id", len(others), ref, strings.Join(which, ", "))
}

// ---------------------------------------------------------------------------
// Counting and selecting.

// CountTickets counts the tickets a query matches (whole-table work: call it
// off the UI path).
func (a *App) CountTickets(ctx context.Context, q TicketQuery) (int64, error) {
	return a.store.CountTickets(ctx, q)
}

// TicketIDs returns the ids of up to limit tickets a query matches ("select
// all that match"), in inbox order (limit <= 0: all of them).
func (a *App) TicketIDs(ctx context.Context, q TicketQuery, limit int) ([]int64, error) {
	return a.store.TicketIDs(ctx, q, limit)
}

// ---------------------------------------------------------------------------
// Batch actions: each is one transaction over all its tickets, with one
// activity row per ticket it changes. An id that names no ticket refuses the
// whole batch, naming it, and changes nothing. Tickets already as asked are
// left alone (no activity).

// idList writes ids for a message, the first 20 of them.
func idList(ids []int64) string {
	const most = 20
	s := make([]string, 0, min(len(ids), most))
	for _, id := range ids[:min(len(ids), most)] {
		s = append(s, strconv.FormatInt(id, 10))
	}
	out := strings.Join(s, ", ")
	if len(ids) > most {
		out += fmt.Sprintf(" and %d more", len(ids)-most)
	}
	return out
}

func unknownTickets(ids []int64) error {
	if len(ids) == 1 {
		return notFound("ticket", ids[0])
	}
	return fmt.Errorf("tickets %s do not exist: %w", idList(ids), ErrNotFound)
}

// batch runs fn over the tickets of ids in one transaction and, after it
// commits, publishes one change naming them and their contacts.
func (a *App) batch(ctx context.Context, ids []int64, fn func(tx *storage.Tx, ts []storage.TicketState) error) error {
	if len(ids) == 0 {
		return nil
	}
	var ts []storage.TicketState
	err := a.store.Write(ctx, func(tx *storage.Tx) error {
		var missing []int64
		var err error
		if ts, missing, err = tx.TicketStates(ids); err != nil {
			return err
		}
		if len(missing) > 0 {
			return unknownTickets(missing)
		}
		return fn(tx, ts)
	})
	if err != nil {
		return err
	}
	ch := Change{TicketIDs: make([]int64, len(ts))}
	seen := map[int64]bool{}
	for i, t := range ts {
		ch.TicketIDs[i] = t.ID
		if !seen[t.ContactID] {
			seen[t.ContactID] = true
			ch.ContactIDs = append(ch.ContactIDs, t.ContactID)
		}
	}
	a.publish(ch)
	return nil
}

// TicketEdit is a batch edit: the fields to set, nil to keep.
type TicketEdit struct {
	Status   *string // a status name
	Assignee *string // an agent name; "" unassigns
}

// BatchEdit sets the status and/or the assignee of many tickets in one
// transaction (the CLI's `tickets edit --status S --assignee A`).
func (a *App) BatchEdit(ctx context.Context, agent string, ids []int64, e TicketEdit) error {
	var status model.Status
	if e.Status != nil {
		s, err := model.ParseStatus(*e.Status)
		if err != nil {
			return err
		}
		status = s
	}
	var to string
	if e.Assignee != nil {
		to = strings.TrimSpace(*e.Assignee)
	}
	if e.Status == nil && e.Assignee == nil {
		return fmt.Errorf("nothing to change: give a status or an assignee")
	}
	return a.batch(ctx, ids, func(tx *storage.Tx, ts []storage.TicketState) error {
		for _, t := range ts {
			if e.Status != nil && t.Status != status {
				if _, err := tx.SetTicketStatus(t.ID, status); err != nil {
					return err
				}
				if err := tx.Activity(model.Activity{ContactID: t.ContactID, TicketID: t.ID, Kind: model.ActTicketStatus, Agent: agent,
					Detail: fmt.Sprintf("ticket #%d: %s → %s", t.ID, t.Status, status)}); err != nil {
					return err
				}
			}
			if e.Assignee != nil && t.Assignee != to {
				if _, err := tx.SetTicketAssignee(t.ID, to); err != nil {
					return err
				}
				if err := tx.Activity(model.Activity{ContactID: t.ContactID, TicketID: t.ID, Kind: model.ActTicketAssigned, Agent: agent,
					Detail: fmt.Sprintf("ticket #%d assigned: %q → %q", t.ID, t.Assignee, to)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// BatchStatus sets the status of many tickets in one transaction.
func (a *App) BatchStatus(ctx context.Context, agent string, ids []int64, status string) error {
	return a.BatchEdit(ctx, agent, ids, TicketEdit{Status: &status})
}

// BatchAssign assigns many tickets in one transaction ("" unassigns).
func (a *App) BatchAssign(ctx context.Context, agent string, ids []int64, to string) error {
	return a.BatchEdit(ctx, agent, ids, TicketEdit{Assignee: &to})
}

// BatchTag adds a tag to many tickets in one transaction; create adds a
// missing tag to the catalogue (in the same transaction).
func (a *App) BatchTag(ctx context.Context, agent string, ids []int64, tag string, create bool) error {
	name, err := model.NormalizeTag(tag)
	if err != nil {
		return err
	}
	return a.batch(ctx, ids, func(tx *storage.Tx, ts []storage.TicketState) error {
		tagID, canon, err := tx.EnsureTag(name, create)
		if err != nil {
			return err
		}
		for _, t := range ts {
			changed, err := tx.TagTicket(t.ID, tagID, true)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			if err := tx.Activity(model.Activity{ContactID: t.ContactID, TicketID: t.ID, Kind: model.ActTicketTagAdded, Agent: agent,
				Detail: fmt.Sprintf("ticket #%d: %s", t.ID, canon)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// BatchTrash moves many tickets to the trash (deleted) or restores them.
// Nothing is erased: restoring gives back every ticket as it was.
func (a *App) BatchTrash(ctx context.Context, agent string, ids []int64, deleted bool) error {
	return a.batch(ctx, ids, func(tx *storage.Tx, ts []storage.TicketState) error {
		for _, t := range ts {
			changed, err := tx.SetTicketDeleted(t.ID, deleted)
			if err != nil {
				return err
			}
			if !changed {
				continue
			}
			detail := fmt.Sprintf("ticket #%d moved to the trash", t.ID)
			if !deleted {
				detail = fmt.Sprintf("ticket #%d restored from the trash", t.ID)
			}
			if err := tx.Activity(model.Activity{ContactID: t.ContactID, TicketID: t.ID, Kind: model.ActTicketStatus, Agent: agent,
				Detail: detail}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Purge erases tickets for good; only tickets already in the trash (any
// other refuses the whole purge, naming them). A ticket goes with its
// messages and tag links; its contact, the tag catalogue and its activity
// rows stay (the rows lose their ticket id), and one ticket_purged row per
// ticket records what went.
func (a *App) Purge(ctx context.Context, agent string, ids []int64) error {
	return a.batch(ctx, ids, func(tx *storage.Tx, ts []storage.TicketState) error {
		var live []int64
		for _, t := range ts {
			if !t.Deleted {
				live = append(live, t.ID)
			}
		}
		switch {
		case len(live) == 1:
			return fmt.Errorf("ticket %d is not in the trash: only tickets in the trash can be purged", live[0])
		case len(live) > 1:
			return fmt.Errorf("tickets %s are not in the trash: only tickets in the trash can be purged", idList(live))
		}
		gone := make([]int64, len(ts))
		for i, t := range ts {
			gone[i] = t.ID
		}
		msgs, err := tx.PurgeTickets(gone)
		if err != nil {
			return err
		}
		for _, t := range ts {
			what := t.Channel.Label()
			if t.Subject != "" {
				what += fmt.Sprintf(", %q", t.Subject)
			}
			if err := tx.Activity(model.Activity{ContactID: t.ContactID, Kind: ActTicketPurged, Agent: agent,
				Detail: fmt.Sprintf("ticket #%d (%s) purged from the trash with its %d message(s)", t.ID, what, msgs[t.ID])}); err != nil {
				return err
			}
		}
		return nil
	})
}

// ---------------------------------------------------------------------------
// JSON shapes (stable: fields are only ever added; README documents them).

// ViewJSON is a view in `views list --json` and `views show --json`.
type ViewJSON struct {
	ID         int64             `json:"id"`
	Name       string            `json:"name"`
	Owner      string            `json:"owner"`
	Public     bool              `json:"public"`
	Position   int               `json:"position"`
	Match      string            `json:"match"`
	Expr       string            `json:"expr"`
	Conditions []model.Condition `json:"conditions"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// JSON converts a view.
func (v View) JSON() ViewJSON {
	m := v.Filter.Match
	if m == "" {
		m = model.MatchAll
	}
	return ViewJSON{ID: v.ID, Name: v.Name, Owner: v.Owner, Public: v.Public, Position: v.Position, Match: string(m),
		Expr: v.Filter.Expr, Conditions: nonNil(v.Filter.Conditions), CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
}

// ViewsJSON converts views.
func ViewsJSON(vs []View) []ViewJSON {
	out := make([]ViewJSON, len(vs))
	for i, v := range vs {
		out[i] = v.JSON()
	}
	return out
}
