// Package app is cxinbox's one API: the use cases the UI, the CLI and the
// servers call (ingest, contacts, tickets, the feed, change notifications).
// It applies the product rules from model/ over storage/.
package app

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"cxinbox/storage"
)

// ErrNotFound is returned when an id names nothing.
var ErrNotFound = storage.ErrNotFound

// App is an open cxinbox: the store, the group-commit writer and the change
// notifications.
type App struct {
	store  *storage.Store
	writer *writer

	mu   sync.Mutex
	subs map[chan Change]struct{}

	crmOnce sync.Once
	crm     *crmState // the CRM sync's state (app/crm.go)
}

// Open opens the database at path and starts the ingest writer.
func Open(path string) (*App, error) {
	s, err := storage.Open(path)
	if err != nil {
		return nil, err
	}
	a := &App{store: s, subs: map[chan Change]struct{}{}}
	a.writer = newWriter(a)
	if err := a.upgradeDupIndex(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// upgradeDupIndex rescans duplicates once when a migration changed the
// blocking keys of a database that already had contacts (0006): seconds at
// 250,000 contacts, once.
func (a *App) upgradeDupIndex() error {
	ctx := context.Background()
	if v, err := a.store.Setting(ctx, "dup_rescan_needed"); err != nil || v != "1" {
		return err
	}
	if _, err := a.RescanDuplicates(ctx); err != nil {
		return fmt.Errorf("rebuild the duplicate index: %w", err)
	}
	return a.store.Write(ctx, func(tx *storage.Tx) error { return tx.SetSetting("dup_rescan_needed", "") })
}

// Close stops the writer (after it commits what it holds) and closes the store.
func (a *App) Close() error {
	a.writer.stop()
	return a.store.Close()
}

// Store exposes the storage for the seed command and tests.
func (a *App) Store() *storage.Store { return a.store }

// Path is the database file.
func (a *App) Path() string { return a.store.Path() }

// write runs fn in a transaction and, after it commits, tells subscribers.
func (a *App) write(ctx context.Context, ch Change, fn func(*storage.Tx) error) error {
	if err := a.store.Write(ctx, fn); err != nil {
		return err
	}
	a.publish(ch)
	return nil
}

// notFound wraps storage's not-found error with a clear subject.
func notFound(what string, id int64) error {
	return fmt.Errorf("%s %d does not exist: %w", what, id, ErrNotFound)
}

// IsNotFound reports whether err means an unknown id.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
