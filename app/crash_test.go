//go:build unix

package app_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // read-only checks beside the app

	"cxinbox/app"
	"cxinbox/app/feed"
	"cxinbox/app/provider"
	"cxinbox/model"
	"cxinbox/storage"
)

// The crash test runs the ingest in a child process (this test binary again,
// running only TestCrashChild) and SIGKILLs it mid-ingest. The child prints
// "ACK <key>" for every message of an Ingest call that returned nil; those
// messages were acknowledged as durable and must survive the kill.
const (
	crashChildEnv = "CXINBOX_CRASH_CHILD" // database path; set only in the child
	crashSeedEnv  = "CXINBOX_CRASH_SEED"  // feed seed of the child's round
	ackPrefix     = "ACK "
)

// TestCrashChild is the child's body. It does nothing in a normal test run.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		return
	}
	seed, err := strconv.ParseInt(os.Getenv(crashSeedEnv), 10, 64)
	if err != nil {
		crashChildFail("bad %s: %v", crashSeedEnv, err)
	}
	a, err := app.Open(path)
	if err != nil {
		crashChildFail("open: %v", err)
	}
	f := feed.New(seed)
	var (
		outMu sync.Mutex
		out   = bufio.NewWriterSize(os.Stdout, 64<<10)
	)
	// Safety net: a child nobody kills must not run forever.
	deadline := time.Now().Add(2 * time.Minute)
	const workers = 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(w)))
			for time.Now().Before(deadline) {
				var msgs []model.Inbound
				for range 1 + rng.IntN(4) { // small batches: many commits to land the kill in
					ev := f.Next()
					m, err := provider.Parse(ev.Channel, ev.Body)
					if err != nil {
						crashChildFail("parse a %s event of the feed: %v", ev.Channel, err)
					}
					msgs = append(msgs, m...)
				}
				if len(msgs) == 0 {
					continue
				}
				if _, err := a.Ingest(context.Background(), msgs); err != nil {
					crashChildFail("ingest: %v", err)
				}
				outMu.Lock()
				for i := range msgs {
					out.WriteString(ackPrefix + msgs[i].Key() + "\n")
				}
				err := out.Flush()
				outMu.Unlock()
				if err != nil {
					crashChildFail("write acks: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	crashChildFail("was not killed within 2 minutes")
}

func crashChildFail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "crash child: "+format+"\n", args...)
	os.Exit(3)
}

// TestCrashIngestAcknowledgedIsDurable kills an ingesting child three times
// on the same database and checks after each kill that the database is
// intact and holds every acknowledged message exactly once.
func TestCrashIngestAcknowledgedIsDurable(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary; skipped with -short")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "crash.db")
	acked := map[string]bool{}
	for round, seed := range []int64{11, 22, 33} {
		keys := runCrashChild(t, path, seed, round)
		if len(keys) == 0 {
			t.Fatalf("round %d: the child acknowledged nothing before it was killed", round+1)
		}
		for _, k := range keys {
			acked[k] = true
		}
		t.Logf("round %d: seed %d, %d messages acknowledged before SIGKILL", round+1, seed, len(keys))
		// Check a copy of the crashed files, so that the next child itself
		// opens (and recovers) the database exactly as the kill left it.
		snap := filepath.Join(t.TempDir(), "snap.db")
		copyCrashedDB(t, path, snap)
		verifyCrashedDB(t, snap, acked, fmt.Sprintf("round %d (%d acknowledged this round, %d in all)", round+1, len(keys), len(acked)))
	}
	verifyCrashedDB(t, path, acked, "after 3 kills")
}

// runCrashChild runs one child on path and SIGKILLs it mid-ingest; it returns
// the keys the child acknowledged (complete lines only).
func runCrashChild(t *testing.T, path string, seed int64, round int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path, crashSeedEnv+"="+strconv.FormatInt(seed, 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		keys  []string
		first = make(chan struct{})
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		r := bufio.NewReader(stdout)
		once := sync.Once{}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				// A line cut short by the kill was never fully acknowledged.
				if !errors.Is(err, io.EOF) {
					t.Errorf("read child output: %v", err)
				}
				return
			}
			k, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), ackPrefix)
			if !ok {
				continue // the testing package's own output
			}
			mu.Lock()
			keys = append(keys, k)
			mu.Unlock()
			once.Do(func() { close(first) })
		}
	}()

	// Let the child get going, then kill it at a point that varies per round.
	select {
	case <-first:
	case <-done:
		cmd.Wait()
		t.Fatalf("round %d: child ended before acknowledging anything: %v\n%s", round+1, cmd.ProcessState, stderr.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("round %d: child acknowledged nothing in 60s\n%s", round+1, stderr.String())
	}
	wait := time.Duration(700+round*300) * time.Millisecond
	limit := time.After(wait)
	tick := time.NewTicker(10 * time.Millisecond)
wait:
	for {
		select {
		case <-limit:
			break wait
		case <-done:
			break wait // the child died by itself: reported below
		case <-tick.C:
			mu.Lock()
			n := len(keys)
			mu.Unlock()
			if n >= 50000 {
				break wait
			}
		}
	}
	tick.Stop()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	<-done // every line written before the kill is read
	err = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: the child was not killed mid-ingest but ended on its own (%v)\n%s", round+1, err, stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	return keys
}

// copyCrashedDB copies the database and its WAL (the shared-memory index is
// rebuilt from the WAL on open).
func copyCrashedDB(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(from + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// errRollback ends a read-only use of a write transaction.
var errRollback = errors.New("rollback")

// verifyCrashedDB opens path with the app (which recovers it) and checks
// integrity, that every acknowledged key is stored, and that no message is
// stored twice.
func verifyCrashedDB(t *testing.T, path string, acked map[string]bool, what string) {
	t.Helper()
	a, err := app.Open(path)
	if err != nil {
		t.Fatalf("%s: reopen after the crash: %v", what, err)
	}
	defer a.Close()
	if v, err := a.Store().IntegrityCheck(); err != nil || v != "ok" {
		t.Fatalf("%s: integrity_check = %q, %v; want ok", what, v, err)
	}
	keys := make([]string, 0, len(acked))
	for k := range acked {
		keys = append(keys, k)
	}

	// Through the storage API: the lookup ingest uses for idempotency.
	var existing map[string]bool
	err = a.Store().Write(context.Background(), func(tx *storage.Tx) error {
		var err error
		if existing, err = tx.ExistingMessages(keys); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("%s: look up acknowledged messages: %v", what, err)
	}

	// And straight from the table, read-only.
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored := map[string]bool{}
	rows, err := db.Query(`SELECT external_id FROM messages WHERE external_id IS NOT NULL`)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		stored[k] = true
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, k := range keys {
		if !existing[k] || !stored[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s: %d of %d acknowledged messages are not stored, e.g. %q", what, len(missing), len(keys), missing[:min(5, len(missing))])
	}

	var total, distinct int
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT external_id) FROM messages`).Scan(&total, &distinct); err != nil {
		t.Fatal(err)
	}
	if total != distinct {
		t.Errorf("%s: %d message rows but %d distinct external ids", what, total, distinct)
	}
	if total < len(keys) {
		t.Errorf("%s: %d message rows, fewer than the %d acknowledged", what, total, len(keys))
	}
	// Every committed row hangs together: a crash leaves whole transactions.
	var orphans int
	if err := db.QueryRow(`SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%s: foreign_key_check reports %d dangling rows", what, orphans)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%s: %d tickets without a message", what, orphans)
	}
}
