// Package storage is cxinbox's only SQL: the SQLite schema and its
// migrations, the queries, keyset pages and the activity log.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3" // the SQLite driver (cgo)

	"cxinbox/model"
)

// driverName is go-sqlite3 with our SQL functions on every connection:
// cx_fold (model.Fold: full Unicode case folding, which SQLite's lower()
// lacks), used by compiled filters, and cx_key_hash (message_key.go).
const driverName = "sqlite3_cxinbox"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			if err := c.RegisterFunc(foldFunc, model.Fold, true); err != nil {
				return err
			}
			return c.RegisterFunc(keyHashFunc, keyHash, true)
		},
	})
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrNotFound is returned when an id names no row.
var ErrNotFound = errors.New("not found")

// Store is an open cxinbox database. Writes go through one connection (SQLite
// has one writer anyway, and IMMEDIATE transactions avoid upgrade deadlocks);
// reads use a pool of read-only connections that WAL lets run beside it.
type Store struct {
	path string
	w    *sql.DB
	r    *sql.DB

	localSeq atomic.Int64 // change_seq after this process's last commit

	stopCkpt func()  // ends the background checkpointer
	syncer   *syncer // fsyncs the WAL after commits (durable.go)

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt // prepared on the writer connection, shared by every Tx
	rstmts map[string]*sql.Stmt // prepared on the reader pool, for Read
}

// Open opens (creating if needed) the database at path, applies pending
// migrations and returns the store.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("database path is empty")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	dsn := func(extra string) string {
		return "file:" + url.PathEscape(path) + "?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000&_cache_size=-65536&_mutex=no" + extra
	}
	// The writer commits with synchronous=NORMAL and the store fsyncs the WAL
	// itself before a write counts as done (durable.go); the checkpointer
	// keeps FULL.
	w, err := sql.Open(driverName, dsn("&_txlock=immediate&_synchronous=NORMAL"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{path: path, w: w, stmts: map[string]*sql.Stmt{}, rstmts: map[string]*sql.Stmt{}, syncer: newSyncer(path)}
	if err := s.migrate(); err != nil {
		s.syncer.close()
		w.Close()
		return nil, err
	}
	r, err := sql.Open(driverName, dsn("&mode=ro&_query_only=1"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()*2))
	s.r = r
	if err := s.startCheckpointer(dsn("&_synchronous=FULL")); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes both pools.
func (s *Store) Close() error {
	s.syncer.close()
	if s.stopCkpt != nil {
		s.stopCkpt()
	}
	s.mu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	for _, st := range s.rstmts {
		st.Close()
	}
	s.mu.Unlock()
	return errors.Join(s.r.Close(), s.w.Close())
}

// Version is the schema version: the number of migrations applied.
func (s *Store) Version() (int, error) {
	var v int
	err := s.w.QueryRow(`PRAGMA user_version`).Scan(&v)
	return v, err
}

// ChangeSeq is bumped by every write transaction, from any process: the
// cheap "did anything change" probe behind live refresh of other agents' and
// the CLI's edits.
func (s *Store) ChangeSeq(ctx context.Context) (int64, error) {
	var v int64
	err := s.r.QueryRowContext(ctx, changeSeqQuery).Scan(&v)
	return v, err
}

// changeSeqQuery reads the change sequence (0 before the first write).
const changeSeqQuery = `SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'change_seq'), 0)`

// LocalSeq is the change sequence this process's last commit set.
func (s *Store) LocalSeq() int64 { return s.localSeq.Load() }

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict ("ok").
func (s *Store) IntegrityCheck() (string, error) {
	rows, err := s.w.Query(`PRAGMA integrity_check`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n"), rows.Err()
}

// migrate applies migrations/NNNN_*.sql in order, each in its own
// transaction with the user_version bump, so a crash leaves the schema at a
// whole version.
func (s *Store) migrate() error {
	entries, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(entries)
	cur, err := s.Version()
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if cur > len(entries) {
		return fmt.Errorf("database %s has schema version %d, newer than this cxinbox knows (%d): upgrade cxinbox", s.path, cur, len(entries))
	}
	for i := cur; i < len(entries); i++ {
		name := entries[i]
		n, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil || n != i+1 {
			return fmt.Errorf("migration %s is out of sequence (want number %d)", name, i+1)
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := s.w.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return s.sync()
}

// ms converts a time to the stored unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts stored unix milliseconds to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// Setting reads a key of the settings table ("" when unset).
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	_, err := found(s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v))
	return v, err
}

// SetSetting writes a key of the settings table.
func (t *Tx) SetSetting(key, value string) error {
	_, err := t.exec(`INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// startCheckpointer moves WAL checkpoints off the writer: SQLite would
// otherwise copy pages back into the database inside whichever commit crosses
// the WAL threshold, stalling ingest. A passive checkpoint on a connection of
// its own runs beside the writer and the readers, on the other core.
func (s *Store) startCheckpointer(dsn string) error {
	if _, err := s.w.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
		return fmt.Errorf("wal_autocheckpoint: %w", err)
	}
	c, err := sql.Open(driverName, dsn)
	if err != nil {
		return err
	}
	c.SetMaxOpenConns(1)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				c.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`) // leave a small WAL behind
				c.Close()
				return
			case <-t.C:
				c.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
			}
		}
	}()
	var once sync.Once
	s.stopCkpt = func() { once.Do(func() { close(done); <-stopped }) }
	return nil
}
