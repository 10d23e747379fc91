package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// Durability is ours, not SQLite's. The writer connection runs with
// synchronous=NORMAL, so a commit writes its WAL frames without waiting for
// the disk, and the store fsyncs the WAL file itself before a write counts
// as done. Write waits for that fsync (what synchronous=FULL would do);
// WriteAsync hands it to the syncer and returns at once, so the ingest
// writer builds its next transaction while the disk catches up, and one
// fsync covers every commit that finished meanwhile.
//
// That is as safe as FULL: the WAL is append-only between checkpoints, so an
// fsync after a commit returned holds that commit's frames and every earlier
// one; SQLite itself syncs the WAL before each checkpoint and the WAL header
// when it restarts the log, in NORMAL as in FULL.

// syncer coalesces fsyncs of the WAL. Callers queue after their commit
// returned; each round takes everything queued, fsyncs once and answers all.
type syncer struct {
	path  string // the -wal file
	queue chan chan error
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once

	mu     sync.Mutex
	closed bool  // after() answers at once: nothing drains the queue
	failed error // the first failed fsync, answered to every later caller
}

func newSyncer(dbPath string) *syncer {
	s := &syncer{path: dbPath + "-wal", queue: make(chan chan error, 1024), stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *syncer) loop() {
	defer close(s.done)
	for {
		var first chan error
		select {
		case first = <-s.queue:
		case <-s.stop:
			for {
				select {
				case w := <-s.queue:
					w <- s.fsync()
				default:
					return
				}
			}
		}
		waiting := []chan error{first}
	more:
		for {
			select {
			case w := <-s.queue:
				waiting = append(waiting, w)
			default:
				break more
			}
		}
		err := s.fsync()
		for _, w := range waiting {
			w <- err
		}
	}
}

// after returns a channel answered once everything committed before the call
// is on disk.
func (s *syncer) after() <-chan error {
	w := make(chan error, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		w <- errors.New("database is closed: the write's durability is unknown")
		return w
	}
	s.queue <- w
	return w
}

// close answers what is queued and stops; later callers are answered at once.
func (s *syncer) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

// fsync flushes the WAL file. The file is opened afresh each time, so a log
// SQLite recreated is the one synced; without a WAL (nothing written since
// the last truncating checkpoint, which synced the database) there is
// nothing to flush.
//
// A failure sticks: after a failed fsync Linux marks the unwritten pages
// clean, so a later fsync would "succeed" without them, and recovery stops
// at the first missing frame, taking every later commit with it. Nothing
// written after it is called durable until the process restarts.
func (s *syncer) fsync() error {
	s.mu.Lock()
	failed := s.failed
	s.mu.Unlock()
	if failed != nil {
		return failed
	}
	err := s.syncWAL()
	if err != nil {
		s.mu.Lock()
		s.failed = err
		s.mu.Unlock()
	}
	return err
}

func (s *syncer) syncWAL() error {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", s.path, err)
	}
	defer f.Close()
	if err := syncFile(f); err != nil {
		return fmt.Errorf("sync %s: %w", s.path, err)
	}
	return nil
}

// syncFile is f.Sync; tests replace it to hold or fail the disk.
var syncFile = (*os.File).Sync

// sync makes every commit so far durable, waiting for it.
func (s *Store) sync() error { return <-s.syncer.after() }
