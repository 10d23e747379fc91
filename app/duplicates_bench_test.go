package app

// Duplicate detection benchmarks: its cost inside ingest, one incremental
// check and a full rescan at 250,000 contacts, each beside its limit. Run:
//
//	go test ./app -run '^$' -bench 'IngestDetection' -benchtime 20000x -count 3
//	go test ./app -run '^$' -bench 'DuplicateCheck' -benchtime 400x -count 3 -timeout 30m
//	go test ./app -run '^$' -bench 'Rescan' -benchtime 1x -count 3 -timeout 30m
//
// The 250,000-contact databases are built once into $TMPDIR/cxinbox-bench/
// and reused: "feed" is the simulated feed (seed 1) ingested until it holds
// 250,000 contacts — returning customers, typo and format variants, names
// from per-country pools, so blocks are realistic (about 4 minutes to
// build); "seeded" is `cxinbox seed`'s contacts (300 names over 250,000
// contacts, unique emails and phones), indexed by one rescan. Shrink both
// with CXINBOX_BENCH_CONTACTS=20000 for a quick run.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cxinbox/model"
	"cxinbox/storage"
)

// BenchmarkIngestDetection is the ingest writer (as BenchmarkIngestWriter:
// messages parsed first, then queued at once) with duplicate detection on
// and off, in one run, so the cost of detection is the difference.
func BenchmarkIngestDetection(b *testing.B) {
	for _, on := range []bool{true, false} {
		b.Run(fmt.Sprintf("detection=%v", on), func(b *testing.B) {
			defer func(old bool) { dupDetection = old }(dupDetection)
			dupDetection = on
			var msgs [][]model.Inbound
			for _, l := range bytes.Split(bytes.TrimSpace(feedLines(b, b.N)), []byte("\n")) {
				m, err := ParseEvent(l)
				if err != nil {
					b.Fatal(err)
				}
				msgs = append(msgs, m)
			}
			a := newTestApp(b)
			ctx := context.Background()
			runtime.GC()
			cpu0, check0 := cpuTime(), dupCheckNanos.Load()
			b.ResetTimer()
			reqs := make(chan *ingestReq, len(msgs))
			go func() {
				defer close(reqs)
				for _, m := range msgs {
					r, err := a.enqueue(ctx, m)
					if err != nil {
						panic(err)
					}
					reqs <- r
				}
			}()
			pairs := 0
			for r := range reqs {
				d := <-r.done
				if d.err != nil {
					b.Fatal(d.err)
				}
				pairs += d.res.PotentialDuplicates
			}
			b.StopTimer()
			b.ReportMetric(float64(len(msgs))/b.Elapsed().Seconds(), "msgs/s")
			// CPU time is steadier than msgs/s on a shared machine.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(len(msgs)), "cpu-µs/msg")
			b.ReportMetric(float64(pairs), "pairs")
			// Time spent checking (the planner's finding, beside the
			// committer, plus the committer's recording) as a share of the
			// run's wall time: with the pipeline the reads overlap the
			// writes, so this is not the share of the rate detection costs
			// (compare msgs/s with detection=false for that).
			b.ReportMetric(100*float64(dupCheckNanos.Load()-check0)/float64(b.Elapsed()), "check-%")
		})
	}
}

// dupBench holds the cached 250,000-contact databases, opened once per
// test process.
var dupBench struct {
	mu  sync.Mutex
	dbs map[string]*App
}

func dupBenchApp(b *testing.B, kind string) *App {
	b.Helper()
	dupBench.mu.Lock()
	defer dupBench.mu.Unlock()
	if a := dupBench.dbs[kind]; a != nil {
		return a
	}
	contacts := evalEnv("CXINBOX_BENCH_CONTACTS", 250_000)
	dir := filepath.Join(os.TempDir(), "cxinbox-bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("dup-%s1-%dc.db", kind, contacts))
	ctx := context.Background()
	if a, err := Open(path); err == nil {
		if v, _ := a.store.Setting(ctx, "dupbench_ready"); v != "" {
			b.Logf("reusing %s", path)
			if v, _ := a.store.Setting(ctx, "dupbench_keys"); v != dupKeyScheme() {
				// The blocking keys changed since the database was built.
				res, err := a.RescanDuplicates(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if err := a.store.Write(ctx, func(tx *storage.Tx) error { return tx.SetSetting("dupbench_keys", dupKeyScheme()) }); err != nil {
					b.Fatal(err)
				}
				b.Logf("keys changed: rescanned in %v", res.Took)
			}
			if dupBench.dbs == nil {
				dupBench.dbs = map[string]*App{}
			}
			dupBench.dbs[kind] = a
			return a
		}
		a.Close()
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			b.Fatal(err)
		}
	}
	a, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	switch kind {
	case "feed":
		b.Logf("building %s: the feed (seed 1) until %d contacts", path, contacts)
		// Events make about 0.52 contacts each; a little more, then check.
		events := contacts*2 + contacts/50
		if _, _, err := a.IngestFeed(ctx, 1, events); err != nil {
			b.Fatal(err)
		}
	case "seeded":
		b.Logf("building %s: %d seeded contacts, then a rescan", path, contacts)
		if _, err := a.Seed(ctx, contacts, 0, 1, nil); err != nil {
			b.Fatal(err)
		}
		if _, err := a.RescanDuplicates(ctx); err != nil {
			b.Fatal(err)
		}
	}
	n, err := a.store.Count(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := a.store.Write(ctx, func(tx *storage.Tx) error {
		if err := tx.SetSetting("dupbench_keys", dupKeyScheme()); err != nil {
			return err
		}
		return tx.SetSetting("dupbench_ready", "1")
	}); err != nil {
		b.Fatal(err)
	}
	b.Logf("built in %.0fs: %d contacts, %d open pairs", time.Since(start).Seconds(), n.Contacts, n.PotentialDuplicates)
	if dupBench.dbs == nil {
		dupBench.dbs = map[string]*App{}
	}
	dupBench.dbs[kind] = a
	return a
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// dupKeyScheme is a fingerprint of the blocking keys: a cached database
// indexed under other keys is rescanned before use.
func dupKeyScheme() string {
	k := model.BlockingKeys(model.DupEvidence{Name: "Zoë Ödön", Emails: []string{"z.odon+x@example.com"},
		Phones: []string{"+36301234567"}, OtherIDs: []string{"telegram:42"}, Country: "HU"})
	return strconv.FormatInt(storage.DupKeyHash(strings.Join(k, " ")), 36)
}

var errRollback = errors.New("rollback")

// closeDupBench closes the cached databases when a benchmark ends: closing
// checkpoints the WAL back into the file (a rescan writes the whole index).
func closeDupBench() {
	dupBench.mu.Lock()
	defer dupBench.mu.Unlock()
	for k, a := range dupBench.dbs {
		a.Close()
		delete(dupBench.dbs, k)
	}
}

// BenchmarkDuplicateCheck is the incremental check of one new contact
// against 250,000: a contact like an existing one (its name, its email with
// a dot added, its phone one digit off — a real block to look at), or, every
// other time, a new person with a name from the same pools. The contact is
// inserted untimed, checked (timed), and rolled back, so the database stays
// as it was. Limit: 5 ms.
func BenchmarkDuplicateCheck(b *testing.B) {
	b.Cleanup(closeDupBench)
	for _, kind := range []string{"feed", "seeded"} {
		b.Run(kind, func(b *testing.B) {
			a := dupBenchApp(b, kind)
			ctx := context.Background()
			var maxID int64
			if err := a.store.Write(ctx, func(tx *storage.Tx) error {
				next, _, err := tx.NextIDs()
				maxID = next - 1
				return err
			}); err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(7, 7))
			// checkOne inserts a contact, checks it, and rolls back.
			checkOne := func(i int) (d time.Duration, found int) {
				like := 1 + rng.Int64N(maxID)
				err := a.store.Write(ctx, func(tx *storage.Tx) error {
					ev, err := tx.Evidence([]int64{like})
					if err != nil {
						return err
					}
					c, id := benchContact(ev[like], i%2 == 1, rng)
					next, _, err := tx.NextIDs()
					if err != nil {
						return err
					}
					c.ID = next
					if err := tx.InsertContacts([]model.Contact{c}); err != nil {
						return err
					}
					if err := tx.InsertIdentities([]storage.IdentityRow{{ContactID: c.ID, Identity: id, At: c.CreatedAt}}); err != nil {
						return err
					}
					t := time.Now()
					b.StartTimer()
					added, err := checkDuplicates(tx, []int64{c.ID}, t)
					b.StopTimer()
					d, found = time.Since(t), len(added)
					if err != nil {
						return err
					}
					return errRollback
				})
				if !errors.Is(err, errRollback) {
					b.Fatal(err)
				}
				return d, found
			}
			// A long-running process has the hot pages in SQLite's cache and
			// its statements prepared (shared once a transaction commits):
			// warm up with re-checks of existing contacts, committed (a
			// re-check of an unchanged contact changes nothing), then with
			// rolled-back checks.
			b.StopTimer()
			for range 20 {
				id := 1 + rng.Int64N(maxID)
				if err := a.store.Write(ctx, func(tx *storage.Tx) error {
					_, err := checkDuplicates(tx, []int64{id}, time.Now())
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
			for i := range 20 {
				checkOne(i)
			}
			b.ResetTimer()
			b.StopTimer()
			var total time.Duration
			times := make([]time.Duration, 0, b.N)
			var found int
			for i := 0; i < b.N; i++ {
				d, n := checkOne(i)
				total += d
				times = append(times, d)
				found += n
			}
			slices.Sort(times)
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/check")
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(5, "limit-ms")
			b.ReportMetric(float64(found)/float64(b.N), "pairs/check")
		})
	}
}

// benchContact makes the contact to check: like e (same name, its email
// with a dot added, its phone one digit off), or a fresh person.
func benchContact(e model.DupEvidence, fresh bool, rng *rand.Rand) (model.Contact, model.Identity) {
	c := model.Contact{Name: e.Name, LeadStage: model.StageLead, Country: e.Country, Timezone: e.Timezone, CreatedAt: time.Now().UTC()}
	if fresh || e.NameGenerated {
		c.Name = seedFirst[rng.IntN(len(seedFirst))] + " " + seedLast[rng.IntN(len(seedLast))]
		c.Email = fmt.Sprintf("bench.%d@example.net", rng.Int64())
		return c, model.Identity{Channel: model.WebChat, Value: fmt.Sprintf("v_bench%d", rng.Int64())}
	}
	if len(e.Emails) > 0 {
		local, domain, _ := cutAt(e.Emails[0])
		c.Email = local[:len(local)/2] + "." + local[len(local)/2:] + "@" + domain
	}
	if len(e.Phones) > 0 {
		p := []byte(e.Phones[0])
		p[len(p)-1] = '0' + (p[len(p)-1]-'0'+1)%10
		c.Phone = string(p)
	}
	return c, model.Identity{Channel: model.WebChat, Value: fmt.Sprintf("v_bench%d", rng.Int64())}
}

func cutAt(addr string) (local, domain string, ok bool) {
	i := bytes.LastIndexByte([]byte(addr), '@')
	if i < 0 {
		return addr, "", false
	}
	return addr[:i], addr[i+1:], true
}

// BenchmarkRescan is a full rescan of 250,000 contacts: read every
// contact, rebuild the blocking index, score every candidate pair, write
// the index and the pairs. Limit: 30 s.
func BenchmarkRescan(b *testing.B) {
	b.Cleanup(closeDupBench)
	for _, kind := range []string{"feed", "seeded"} {
		b.Run(kind, func(b *testing.B) {
			a := dupBenchApp(b, kind)
			ctx := context.Background()
			var res RescanResult
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var err error
				if res, err = a.RescanDuplicates(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/rescan")
			b.ReportMetric(30, "limit-s")
			b.ReportMetric(float64(res.Contacts), "contacts")
			b.ReportMetric(float64(res.Compared), "compared")
			b.ReportMetric(float64(res.Pairs), "pairs")
		})
	}
}

// BenchmarkDuplicateQuality ingests the feed at 10,000+ contacts through the
// normal ingest path, per seed, and reports precision, recall and F1 of the
// open potential-duplicate pairs against the feed's truth (see DupQuality).
//
//	go test ./app -run '^$' -bench DuplicateQuality -benchtime 1x
//
// CXINBOX_DUPEVAL_EVENTS sets the events per seed (20,000 make about
// 10,300 contacts).
func BenchmarkDuplicateQuality(b *testing.B) {
	events := evalEnv("CXINBOX_DUPEVAL_EVENTS", 20000)
	for _, seed := range []int64{1, 2, 3} {
		b.Run(fmt.Sprintf("seed=%d", seed), func(b *testing.B) {
			var q DupQuality
			for i := 0; i < b.N; i++ {
				a := newTestApp(b)
				ctx := context.Background()
				truth, _, err := a.IngestFeed(ctx, seed, events)
				if err != nil {
					b.Fatal(err)
				}
				if q, err = a.EvaluateDuplicates(ctx, truth, 0); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("seed %d, %d events:\n%s", seed, events, q)
			b.ReportMetric(float64(q.Contacts), "contacts")
			b.ReportMetric(q.Precision, "precision")
			b.ReportMetric(q.Recall, "recall")
			b.ReportMetric(q.F1, "F1")
			b.ReportMetric(q.RecallAll, "recall-all")
		})
	}
}
