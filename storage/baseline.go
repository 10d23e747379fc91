package storage

import (
	"context"
	"fmt"
	"strings"
)

// The benchmark baseline: ingest's speed is judged against plain batched
// INSERTs of exactly the rows ingest produced, with no lookups and no rules.

// TableRows is every row of one table, in id order.
type TableRows struct {
	Table   string
	Columns []string
	Rows    [][]any
}

// baselineTables are the tables ingest writes, parents first.
var baselineTables = []string{"contacts", "identities", "properties", "tickets", "messages", "activity", "potential_duplicates"}

// DumpIngestTables reads every row of the tables ingest writes.
func (s *Store) DumpIngestTables(ctx context.Context) ([]TableRows, error) {
	var out []TableRows
	for _, table := range baselineTables {
		rows, err := s.r.QueryContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			return nil, err
		}
		cols, _ := rows.Columns()
		tr := TableRows{Table: table, Columns: cols}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			tr.Rows = append(tr.Rows, vals)
		}
		rows.Close()
		out = append(out, tr)
	}
	return out, nil
}

// PlainInsert inserts tables row by row with one prepared INSERT per table,
// batch rows per transaction: the plain batched insert.
func (s *Store) PlainInsert(ctx context.Context, tables []TableRows, batch int) (int, error) {
	n := 0
	for _, t := range tables {
		q := `INSERT INTO ` + t.Table + `(` + strings.Join(t.Columns, ", ") + `) VALUES (` + placeholders(len(t.Columns)) + `)`
		for i := 0; i < len(t.Rows); i += batch {
			tx, err := s.w.BeginTx(ctx, nil)
			if err != nil {
				return n, err
			}
			st, err := tx.PrepareContext(ctx, q)
			if err != nil {
				tx.Rollback()
				return n, err
			}
			for _, r := range t.Rows[i:min(i+batch, len(t.Rows))] {
				if _, err := st.ExecContext(ctx, r...); err != nil {
					tx.Rollback()
					return n, fmt.Errorf("%s: %w", t.Table, err)
				}
				n++
			}
			if err := tx.Commit(); err != nil {
				return n, err
			}
			if err := s.sync(); err != nil { // each batch durable, as a Write is
				return n, err
			}
		}
	}
	return n, nil
}
