package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"cxinbox/model"
)

// ContactRow is a contact with what lists show beside it.
type ContactRow struct {
	model.Contact
	Identities          []model.Identity
	Tags                []string
	PotentialDuplicates []int64 // other contacts, not dismissed
}

const contactCols = `c.id, c.name, c.name_generated, c.lead_stage, c.email, c.phone, c.company, c.country,
	c.timezone, c.language, c.email_unsubscribed, c.created_at, c.updated_at`

func scanContact(sc interface{ Scan(...any) error }) (ContactRow, error) {
	var r ContactRow
	var stage string
	var created, updated int64
	err := sc.Scan(&r.ID, &r.Name, &r.NameGenerated, &stage, &r.Email, &r.Phone, &r.Company, &r.Country,
		&r.Timezone, &r.Language, &r.EmailUnsubscribed, &created, &updated)
	r.LeadStage = model.LeadStage(stage)
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return r, err
}

// ContactPage asks for one keyset page of contacts in id order.
type ContactPage struct {
	After  int64  // last id of the previous page; 0 for the first
	Limit  int    // rows per page (default 100)
	Search string // case-folded substring of the name, or an exact identity/email/phone
}

// ListContacts returns one page of contacts with identities, tags and
// potential duplicates filled in. Merged-away contacts are not listed.
func (s *Store) ListContacts(ctx context.Context, p ContactPage) ([]ContactRow, error) {
	if p.Limit <= 0 {
		p.Limit = 100
	}
	q := `SELECT ` + contactCols + ` FROM contacts c WHERE c.id > ? AND c.merged_into IS NULL`
	args := []any{p.After}
	if p.Search != "" {
		f := model.Fold(p.Search)
		q += ` AND (c.name_fold LIKE ? ESCAPE '\' OR c.email = ? OR c.phone = ?
			OR c.id IN (SELECT contact_id FROM identities WHERE value = ?))`
		args = append(args, "%"+EscapeLike(f)+"%", strings.ToLower(strings.TrimSpace(p.Search)), strings.TrimSpace(p.Search), strings.TrimSpace(p.Search))
	}
	q += ` ORDER BY c.id LIMIT ?`
	args = append(args, p.Limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	defer rows.Close()
	var out []ContactRow
	for rows.Next() {
		r, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.fillContacts(ctx, out)
}

// EscapeLike makes % and _ (and the escape itself) literal in a LIKE pattern.
func EscapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Contact returns one contact with identities, tags and potential duplicates.
// A merged-away id returns the contact it was merged into (chains followed).
func (s *Store) Contact(ctx context.Context, id int64) (ContactRow, error) {
	r, err := scanContact(s.r.QueryRowContext(ctx, liveContactCTE+` SELECT `+contactCols+` FROM contacts c
		WHERE c.id = (SELECT id FROM chain WHERE next IS NULL)`, id))
	if err == sql.ErrNoRows {
		return r, fmt.Errorf("contact %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	rows := []ContactRow{r}
	err = s.fillContacts(ctx, rows)
	return rows[0], err
}

// HasContacts reports whether there is any contact, without counting them.
func (s *Store) HasContacts(ctx context.Context) (bool, error) {
	var one int
	return found(s.r.QueryRowContext(ctx, `SELECT 1 FROM contacts LIMIT 1`).Scan(&one))
}

// CountContacts counts all contacts, merged-away ones left out.
func (s *Store) CountContacts(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE merged_into IS NULL`).Scan(&n)
	return n, err
}

// fillContacts loads identities, tags and duplicates for a page in three
// queries, not three per row.
func (s *Store) fillContacts(ctx context.Context, rows []ContactRow) error {
	if len(rows) == 0 {
		return nil
	}
	idx := make(map[int64]*ContactRow, len(rows))
	ids := make([]any, len(rows))
	for i := range rows {
		idx[rows[i].ID] = &rows[i]
		ids[i] = rows[i].ID
	}
	in := placeholders(len(ids))
	if err := s.each(ctx, `SELECT contact_id, channel, value FROM identities WHERE contact_id IN (`+in+`) ORDER BY id`, ids, func(sc *sql.Rows) error {
		var cid int64
		var id model.Identity
		if err := sc.Scan(&cid, &id.Channel, &id.Value); err != nil {
			return err
		}
		idx[cid].Identities = append(idx[cid].Identities, id)
		return nil
	}); err != nil {
		return err
	}
	if err := s.each(ctx, `SELECT ct.contact_id, t.name FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
		WHERE ct.contact_id IN (`+in+`) ORDER BY t.name_fold`, ids, func(sc *sql.Rows) error {
		var cid int64
		var name string
		if err := sc.Scan(&cid, &name); err != nil {
			return err
		}
		idx[cid].Tags = append(idx[cid].Tags, name)
		return nil
	}); err != nil {
		return err
	}
	both := append(append([]any{}, ids...), ids...)
	return s.each(ctx, `SELECT contact_a, contact_b FROM potential_duplicates WHERE dismissed_at IS NULL AND contact_a IN (`+in+`)
		UNION SELECT contact_b, contact_a FROM potential_duplicates WHERE dismissed_at IS NULL AND contact_b IN (`+in+`)
		ORDER BY 1, 2`, both, func(sc *sql.Rows) error {
		var cid, other int64
		if err := sc.Scan(&cid, &other); err != nil {
			return err
		}
		idx[cid].PotentialDuplicates = append(idx[cid].PotentialDuplicates, other)
		return nil
	})
}

// Properties returns a contact's custom properties by name.
func (s *Store) Properties(ctx context.Context, contactID int64) (map[string]string, error) {
	out := map[string]string{}
	err := s.each(ctx, `SELECT name, value FROM properties WHERE contact_id = ? ORDER BY name`, []any{contactID}, func(sc *sql.Rows) error {
		var k, v string
		if err := sc.Scan(&k, &v); err != nil {
			return err
		}
		out[k] = v
		return nil
	})
	return out, err
}

// Notes returns a contact's notes, oldest first.
func (s *Store) Notes(ctx context.Context, contactID int64) ([]model.Note, error) {
	var out []model.Note
	err := s.each(ctx, `SELECT id, author, body, created_at FROM notes WHERE contact_id = ? ORDER BY created_at, id`, []any{contactID}, func(sc *sql.Rows) error {
		var n model.Note
		var at int64
		if err := sc.Scan(&n.ID, &n.Author, &n.Body, &at); err != nil {
			return err
		}
		n.At = fromMS(at)
		out = append(out, n)
		return nil
	})
	return out, err
}

// ActivityOf returns a contact's timeline, oldest first, at most limit rows
// after the given id (keyset).
func (s *Store) ActivityOf(ctx context.Context, contactID, after int64, limit int) ([]model.Activity, error) {
	if limit <= 0 {
		limit = 1000
	}
	var out []model.Activity
	err := s.each(ctx, `SELECT id, COALESCE(contact_id, 0), COALESCE(ticket_id, 0), kind, agent, detail, at FROM activity
		WHERE contact_id = ? AND id > ? ORDER BY id LIMIT ?`, []any{contactID, after, limit}, func(sc *sql.Rows) error {
		var a model.Activity
		var at int64
		if err := sc.Scan(&a.ID, &a.ContactID, &a.TicketID, &a.Kind, &a.Agent, &a.Detail, &at); err != nil {
			return err
		}
		a.At = fromMS(at)
		out = append(out, a)
		return nil
	})
	return out, err
}

// Tags returns the tag catalogue in name order.
func (s *Store) Tags(ctx context.Context) ([]string, error) {
	var out []string
	err := s.each(ctx, `SELECT name FROM tags ORDER BY name_fold`, nil, func(sc *sql.Rows) error {
		var n string
		err := sc.Scan(&n)
		out = append(out, n)
		return err
	})
	return out, err
}

func (s *Store) each(ctx context.Context, q string, args []any, fn func(*sql.Rows) error) error {
	return eachRow(s.r.QueryContext(ctx, q, args...))(fn)
}

// eachRow runs fn on every row of a query's result and closes it.
func eachRow(rows *sql.Rows, err error) func(fn func(*sql.Rows) error) error {
	return func(fn func(*sql.Rows) error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
