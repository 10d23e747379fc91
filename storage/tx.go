package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Tx is one write transaction. Every mutation of cxinbox goes through a Tx,
// and the activity rows a change writes commit or vanish with it.
type Tx struct {
	s     *Store
	tx    *sql.Tx
	ctx   context.Context
	read  bool                 // a Read snapshot: statements come from the reader pool
	stmts map[string]*sql.Stmt // this transaction's statements, by query
	fresh []string             // queries first seen in this transaction
}

// Read runs fn in one read transaction on a reader connection: every query
// fn makes sees the same committed snapshot, beside the writer. Only reads
// work in it (the connection is read-only).
func (s *Store) Read(ctx context.Context, fn func(*Tx) error) error {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback() // nothing to keep: ends the snapshot
	return fn(&Tx{s: s, tx: tx, ctx: ctx, read: true, stmts: map[string]*sql.Stmt{}})
}

// ChangeSeq is the change sequence as this transaction sees it: in a write
// transaction, that of the last commit before it.
func (t *Tx) ChangeSeq() (int64, error) {
	var v int64
	err := t.queryRow(changeSeqQuery).Scan(&v)
	return v, err
}

// Write runs fn in one IMMEDIATE transaction and commits it when fn returns
// nil; any error rolls everything back. It returns once the commit is on
// disk.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	durable, err := s.WriteAsync(ctx, fn)
	if err != nil {
		return err
	}
	return <-durable
}

// WriteAsync is Write returning as soon as the transaction committed, before
// it is on disk: the channel answers once it is (nil) or the fsync failed.
// Readers see the commit at once. The ingest writer uses it to build its next
// group while the disk catches up, acknowledging a group only when its
// channel answers nil.
func (s *Store) WriteAsync(ctx context.Context, fn func(*Tx) error) (durable <-chan error, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	t := &Tx{s: s, tx: tx, ctx: ctx, stmts: map[string]*sql.Stmt{}}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(t); err != nil {
		return nil, err
	}
	var seq int64
	if err = t.queryRow(`INSERT INTO settings(key, value) VALUES ('change_seq', '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
		RETURNING CAST(value AS INTEGER)`).Scan(&seq); err != nil {
		return nil, fmt.Errorf("bump change sequence: %w", err)
	}
	if err = tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	durable = s.syncer.after()
	s.localSeq.Store(seq)
	s.prepare(t.fresh)
	return durable, nil
}

func (t *Tx) stmt(q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	if t.read {
		st, err := t.s.readStmt(q)
		if err != nil {
			return nil, err
		}
		st = t.tx.StmtContext(t.ctx, st)
		t.stmts[q] = st
		return st, nil
	}
	t.s.mu.Lock()
	shared := t.s.stmts[q]
	t.s.mu.Unlock()
	var st *sql.Stmt
	if shared != nil {
		// Reuses the statement already prepared on the writer's one connection.
		st = t.tx.StmtContext(t.ctx, shared)
	} else {
		// The transaction holds the writer's only connection, so a shared
		// statement cannot be prepared now; prepare a private one and share
		// the query after commit.
		var err error
		if st, err = t.tx.PrepareContext(t.ctx, q); err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
		t.fresh = append(t.fresh, q)
	}
	t.stmts[q] = st
	return st, nil
}

func (t *Tx) exec(q string, args ...any) (sql.Result, error) {
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *Tx) queryRow(q string, args ...any) *sql.Row {
	st, err := t.stmt(q)
	if err != nil {
		// A bad query is a programming error; surface it through Scan.
		return t.tx.QueryRowContext(t.ctx, q, args...)
	}
	return st.QueryRowContext(t.ctx, args...)
}

func (t *Tx) query(q string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

func (t *Tx) insert(q string, args ...any) (int64, error) {
	r, err := t.exec(q, args...)
	if err != nil {
		return 0, err
	}
	return r.LastInsertId()
}

// found turns sql.ErrNoRows into (false, nil).
func found(err error) (bool, error) {
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

// readStmt returns the reader pool's statement for q, prepared once; each
// reader connection prepares it the first time a Read on it runs q.
func (s *Store) readStmt(q string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.rstmts[q]; ok {
		return st, nil
	}
	st, err := s.r.Prepare(q)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	s.rstmts[q] = st
	return st, nil
}

// prepare makes shared writer statements of queries, once each, so later
// transactions skip SQLite's parse and plan.
func (s *Store) prepare(queries []string) {
	for _, q := range queries {
		s.mu.Lock()
		_, ok := s.stmts[q]
		s.mu.Unlock()
		if ok {
			continue
		}
		st, err := s.w.Prepare(q)
		if err != nil {
			continue // the private statement worked; this is only a cache
		}
		s.mu.Lock()
		if _, ok := s.stmts[q]; ok {
			st.Close()
		} else {
			s.stmts[q] = st
		}
		s.mu.Unlock()
	}
}

// now is the clock of a write; a variable so tests can pin it.
var now = func() time.Time { return time.Now().UTC() }
