package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"cxinbox/model"
)

// Cursor is the keyset position of a ticket in inbox order (newest message
// first, then highest id).
type Cursor struct {
	LastMessageAt int64 // unix ms
	ID            int64
}

// CursorOf returns the cursor just past tk.
func CursorOf(tk model.Ticket) Cursor { return Cursor{ms(tk.LastMessageAt), tk.ID} }

// TicketQuery selects one keyset page of the ticket list.
type TicketQuery struct {
	Channel    model.Channel
	Status     model.Status
	Assignee   string // exact agent name
	Unassigned bool
	ContactID  int64
	Search     string  // contact name or subject contains this (case-folded)
	Trash      bool    // the trash instead of live tickets
	After      *Cursor // page after this ticket; nil for the first page
	Limit      int     // default 50
	// Filter is a view's or the filter drawer's conditions (CompileFilter),
	// ANDed to the rest; nil for none.
	Filter *model.Filter
	// Now is the instant a filter's "within" conditions count back from;
	// zero means time.Now(). Keep it fixed while paging one list.
	Now time.Time
}

const ticketCols = `t.id, t.contact_id, c.name, t.channel, t.identity, t.status, t.subject, t.assignee, t.proactive,
	t.created_at, t.last_message_at, t.preview, t.deleted_at IS NOT NULL`

func scanTicket(sc interface{ Scan(...any) error }) (model.Ticket, error) {
	var tk model.Ticket
	var ch, st string
	var created, last int64
	err := sc.Scan(&tk.ID, &tk.ContactID, &tk.ContactName, &ch, &tk.Identity, &st, &tk.Subject, &tk.Assignee, &tk.Proactive,
		&created, &last, &tk.Preview, &tk.Deleted)
	tk.Channel, tk.Status = model.Channel(ch), model.Status(st)
	tk.CreatedAt, tk.LastMessageAt = fromMS(created), fromMS(last)
	return tk, err
}

// ticketWhere is the WHERE clause of q over `tickets t JOIN contacts c ON
// c.id = t.contact_id` and its parameters, without the keyset cursor: the one
// builder behind ListTickets, CountTickets and TicketIDs, so a count and a
// selection always mean the rows the list shows.
func ticketWhere(q TicketQuery) (string, []any, error) {
	where := `t.deleted_at IS NULL`
	if q.Trash {
		where = `t.deleted_at IS NOT NULL`
	}
	var args []any
	if q.Channel != "" {
		where += ` AND t.channel = ?`
		args = append(args, string(q.Channel))
	}
	if q.Status != "" {
		where += ` AND t.status = ?`
		args = append(args, string(q.Status))
	}
	if q.Assignee != "" {
		where += ` AND t.assignee = ? AND t.assignee <> ''` // lets SQLite use the partial index
		args = append(args, q.Assignee)
	}
	if q.Unassigned {
		where += ` AND t.assignee = ''`
	}
	if q.ContactID != 0 {
		where += ` AND t.contact_id = ?`
		args = append(args, q.ContactID)
	}
	if q.Search != "" {
		where += ` AND (c.name_fold LIKE ? ESCAPE '\' OR t.subject LIKE ? ESCAPE '\')`
		pat := "%" + EscapeLike(model.Fold(q.Search)) + "%"
		args = append(args, pat, pat)
	}
	if q.Filter != nil {
		at := q.Now
		if at.IsZero() {
			at = time.Now()
		}
		fw, fargs, err := CompileFilter(*q.Filter, at)
		if err != nil {
			return "", nil, err
		}
		if fw != "" {
			where += ` AND ` + fw
			args = append(args, fargs...)
		}
	}
	return where, args, nil
}

// ListTickets returns one page of tickets in inbox order, tags filled in.
// It walks tickets_inbox, so a page costs the same at row 10 and row 900,000.
func (s *Store) ListTickets(ctx context.Context, q TicketQuery) ([]model.Ticket, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	where, args, err := ticketWhere(q)
	if err != nil {
		return nil, err
	}
	if q.After != nil {
		where += ` AND (t.last_message_at, t.id) < (?, ?)`
		args = append(args, q.After.LastMessageAt, q.After.ID)
	}
	args = append(args, q.Limit)
	rows, err := s.r.QueryContext(ctx, `SELECT `+ticketCols+` FROM tickets t JOIN contacts c ON c.id = t.contact_id
		WHERE `+where+` ORDER BY t.last_message_at DESC, t.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	var out []model.Ticket
	for rows.Next() {
		tk, err := scanTicket(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tk)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.fillTicketTags(ctx, out)
}

// Ticket returns one ticket.
func (s *Store) Ticket(ctx context.Context, id int64) (model.Ticket, error) {
	tk, err := scanTicket(s.r.QueryRowContext(ctx, `SELECT `+ticketCols+` FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE t.id = ?`, id))
	if err == sql.ErrNoRows {
		return tk, fmt.Errorf("ticket %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return tk, err
	}
	one := []model.Ticket{tk}
	err = s.fillTicketTags(ctx, one)
	return one[0], err
}

func (s *Store) fillTicketTags(ctx context.Context, tks []model.Ticket) error {
	if len(tks) == 0 {
		return nil
	}
	idx := make(map[int64]*model.Ticket, len(tks))
	ids := make([]any, len(tks))
	for i := range tks {
		idx[tks[i].ID] = &tks[i]
		ids[i] = tks[i].ID
	}
	return s.each(ctx, `SELECT tt.ticket_id, t.name FROM ticket_tags tt JOIN tags t ON t.id = tt.tag_id
		WHERE tt.ticket_id IN (`+placeholders(len(ids))+`) ORDER BY t.name_fold`, ids, func(sc *sql.Rows) error {
		var id int64
		var name string
		if err := sc.Scan(&id, &name); err != nil {
			return err
		}
		idx[id].Tags = append(idx[id].Tags, name)
		return nil
	})
}

// Messages returns a ticket's messages in time order.
func (s *Store) Messages(ctx context.Context, ticketID int64) ([]model.Message, error) {
	var out []model.Message
	err := s.each(ctx, `SELECT id, ticket_id, direction, author, subject, body, COALESCE(external_id, ''), sent_at, marketing
		FROM messages WHERE ticket_id = ? ORDER BY sent_at, id`, []any{ticketID}, func(sc *sql.Rows) error {
		var m model.Message
		var dir string
		var at int64
		if err := sc.Scan(&m.ID, &m.TicketID, &dir, &m.Author, &m.Subject, &m.Body, &m.ExternalID, &at, &m.Marketing); err != nil {
			return err
		}
		m.Direction, m.SentAt = model.Direction(dir), fromMS(at)
		out = append(out, m)
		return nil
	})
	return out, err
}

// Counts are whole-database totals, for summaries and the status bar.
type Counts struct {
	Contacts, Identities, Tickets, Messages, PotentialDuplicates int64
}

// Count returns the totals. It reads whole tables: never call it per keystroke.
func (s *Store) Count(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM contacts), (SELECT COUNT(*) FROM identities), (SELECT COUNT(*) FROM tickets),
		(SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM potential_duplicates WHERE dismissed_at IS NULL)`).
		Scan(&c.Contacts, &c.Identities, &c.Tickets, &c.Messages, &c.PotentialDuplicates)
	return c, err
}
