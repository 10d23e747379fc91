package storage

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// holdDisk replaces the WAL fsync for one test.
func holdDisk(t *testing.T, fn func(*os.File) error) {
	t.Helper()
	prev := syncFile
	syncFile = fn
	t.Cleanup(func() { syncFile = prev })
}

func bumpSetting(tx *Tx) error { return tx.SetSetting("durable_test", time.Now().String()) }

// A write is not done until the WAL holding its commit was fsynced: the
// writer connection itself runs with synchronous=NORMAL.
func TestWriteWaitsForFsync(t *testing.T) {
	s := open(t)
	release := make(chan struct{})
	var synced atomic.Int32
	holdDisk(t, func(f *os.File) error {
		if !strings.HasSuffix(f.Name(), "-wal") {
			t.Errorf("synced %s, want the WAL", f.Name())
		}
		<-release
		synced.Add(1)
		return f.Sync()
	})
	done := make(chan error, 1)
	go func() { done <- s.Write(context.Background(), bumpSetting) }()
	select {
	case err := <-done:
		t.Fatalf("Write returned (%v) before the WAL was synced", err)
	case <-time.After(100 * time.Millisecond):
	}
	// The commit is visible to readers already: only the acknowledgement waits.
	if v, err := s.Setting(context.Background(), "durable_test"); err != nil || v == "" {
		t.Errorf("committed value not visible before the fsync: %q, %v", v, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Write: %v", err)
	}
	if synced.Load() == 0 {
		t.Fatal("Write returned without an fsync")
	}
}

// A failed fsync fails the write: the caller must not treat it as durable.
func TestWriteReportsFsyncFailure(t *testing.T) {
	s := open(t)
	holdDisk(t, func(*os.File) error { return errors.New("EIO") })
	err := s.Write(context.Background(), bumpSetting)
	if err == nil || !strings.Contains(err.Error(), "EIO") || !strings.Contains(err.Error(), "-wal") {
		t.Fatalf("Write = %v, want the fsync error naming the WAL", err)
	}
	// The disk answers again, but the failed frames may be gone: no later
	// write is called durable either.
	syncFile = (*os.File).Sync
	if err := s.Write(context.Background(), bumpSetting); err == nil || !strings.Contains(err.Error(), "EIO") {
		t.Fatalf("Write after a failed fsync = %v, want the first failure again", err)
	}
}

// Once the store is closing, a commit's wait is answered at once (with an
// error), not left in a queue nobody drains.
func TestSyncAfterCloseAnswers(t *testing.T) {
	s := open(t)
	s.syncer.close()
	select {
	case err := <-s.syncer.after():
		if err == nil {
			t.Fatal("a wait after close was answered as durable")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("a wait after close was never answered")
	}
}

// Commits that finish while an fsync is running share the next one.
func TestFsyncCoalesces(t *testing.T) {
	s := open(t)
	var calls atomic.Int32
	holdDisk(t, func(f *os.File) error {
		calls.Add(1)
		time.Sleep(20 * time.Millisecond) // a slow disk
		return f.Sync()
	})
	var waits []<-chan error
	for range 50 {
		d, err := s.WriteAsync(context.Background(), bumpSetting)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, d)
	}
	for _, d := range waits {
		if err := <-d; err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n >= 50 || n == 0 {
		t.Fatalf("%d fsyncs for 50 commits, want fewer (shared) and at least one", n)
	}
}
