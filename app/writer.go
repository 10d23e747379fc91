package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"cxinbox/model"
	"cxinbox/storage"
)

// maxGroup caps the messages one group-commit transaction takes, so one huge
// burst cannot hold the write lock for long (about a fifth of a second).
const maxGroup = 4000

// writer is the single ingest writer. Concurrent Ingest calls queue here; the
// writer takes everything waiting (up to maxGroup messages) into one
// transaction, so a burst of webhooks costs one fsync, not one each. A call
// returns only after the transaction holding its messages is on disk.
//
// Three goroutines make a pipeline, so SQLite's one writer connection does
// little but write:
//
//   - the planner collects a group and decides it — which contact and ticket
//     every message belongs to, which rows to insert — from a snapshot on a
//     reader connection, laying over it the group still committing;
//   - the committer writes each planned group in one transaction, after
//     checking that nothing but the planned groups changed the database
//     since the plan's snapshot; if anything else did (an agent's edit,
//     another process), it decides the group again inside its transaction;
//   - the acker answers a group's callers once the fsync covering it is done
//     (storage.WriteAsync), while the committer goes on.
type writer struct {
	app   *App
	reqs  chan *ingestReq
	plans chan *plannedGroup
	acks  chan groupAck
	wg    sync.WaitGroup
	once  sync.Once
	quit  chan struct{}

	sending  sync.RWMutex // held by submit while it sends; stop takes it to end sending
	stopping bool

	mu        sync.Mutex
	cond      *sync.Cond
	committed uint64       // number of the last plan the committer finished
	resync    atomic.Bool  // a plan was decided again: plan the next from scratch
	redone    atomic.Int64 // groups decided in their transaction, not as planned (a benchmark metric; counts those drained at shutdown too)

	// Test hooks (nil in use): before a plan's snapshot, after a group is
	// planned, before it commits.
	beforeSnapshot, afterPlan, beforeCommit func(*plannedGroup)

	// The committer's own: change_seq after its last commit (-1 unknown),
	// the sequence since which nothing but groups committed as planned
	// changed the database, and the last group committed as planned (its
	// number and the change_seq its commit set).
	lastSeq, cleanSince int64
	lastPlanned         struct {
		n   uint64
		seq int64
	}
}

type ingestReq struct {
	ctx  context.Context
	msgs []model.Inbound
	done chan ingestDone
}

type ingestDone struct {
	res IngestResult
	err error
}

// plannedGroup is a group on its way through the pipeline.
type plannedGroup struct {
	n         uint64
	reqs      []*ingestReq
	g         *group // the decisions; nil: decide in the transaction
	results   []IngestResult
	change    Change
	snapSeq   int64  // change_seq the plan's snapshot saw
	overlaidN uint64 // the committing group the plan laid over its snapshot (0: none)
}

// groupAck is a committed group waiting for its fsync.
type groupAck struct {
	durable <-chan error
	group   []*ingestReq
	results []IngestResult
}

func newWriter(a *App) *writer {
	w := &writer{app: a, reqs: make(chan *ingestReq, 2*maxGroup), plans: make(chan *plannedGroup),
		acks: make(chan groupAck, 8), quit: make(chan struct{}), lastSeq: -1}
	w.cond = sync.NewCond(&w.mu)
	w.wg.Add(3)
	go w.loop()
	go w.committer()
	go w.acker()
	return w
}

// submit queues r for the writer. Senders hold sending's read lock, and
// stop takes the write lock before the writer drains its queue, so no
// request can slip into the queue after the drain and wait forever.
func (w *writer) submit(ctx context.Context, r *ingestReq) error {
	w.sending.RLock()
	defer w.sending.RUnlock()
	if w.stopping {
		return errors.New("ingest: cxinbox is shutting down")
	}
	select {
	case w.reqs <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) stop() {
	w.once.Do(func() {
		w.sending.Lock()
		w.stopping = true
		w.sending.Unlock()
		close(w.quit)
	})
	w.wg.Wait()
}

// loop is the planner.
func (w *writer) loop() {
	defer w.wg.Done()
	defer close(w.plans)
	var prev *plannedGroup
	n := uint64(0)
	for {
		var first *ingestReq
		select {
		case first = <-w.reqs:
		case <-w.quit:
			// Drain what is already queued so no acknowledged caller waits
			// forever: each request alone, decided in its transaction.
			for {
				select {
				case r := <-w.reqs:
					n++
					w.plans <- &plannedGroup{n: n, reqs: []*ingestReq{r}, results: make([]IngestResult, 1)}
				default:
					return
				}
			}
		}
		group, size := []*ingestReq{first}, len(first.msgs)
	fill:
		for size < maxGroup {
			select {
			case r := <-w.reqs:
				group = append(group, r)
				size += len(r.msgs)
			default:
				break fill
			}
		}
		n++
		p := w.plan(n, group, prev)
		if w.afterPlan != nil {
			w.afterPlan(p)
		}
		w.plans <- p // taken once the committer finished the group before
		prev = p
	}
}

// plan decides group number n from a snapshot, with prev (the group handed
// to the committer before) laid over it unless it is committed already.
func (w *writer) plan(n uint64, reqs []*ingestReq, prev *plannedGroup) *plannedGroup {
	p := &plannedGroup{n: n, reqs: reqs, results: make([]IngestResult, len(reqs))}
	if w.resync.Swap(false) || prev != nil && prev.g == nil {
		// prev's decisions are unknown or were redone: wait until it is
		// committed, so the snapshot holds it.
		w.waitCommitted(n - 1)
		prev = nil
	}
	if prev != nil && w.committedUpTo() >= prev.n {
		prev = nil // in the snapshot (read after this)
	}
	var over *group
	if prev != nil {
		over = prev.g
	}
	if w.beforeSnapshot != nil {
		w.beforeSnapshot(p)
	}
	msgs, res := flatten(reqs, p.results)
	err := w.app.store.Read(context.Background(), func(snap *storage.Tx) error {
		var err error
		if p.snapSeq, err = snap.ChangeSeq(); err != nil {
			return err
		}
		p.g, err = planGroup(snap, over, msgs, res, &p.change)
		return err
	})
	if err != nil {
		// Decided in the transaction instead; the error, if it is one of
		// the messages', comes back from there.
		p.g, p.results, p.change = nil, make([]IngestResult, len(reqs)), Change{}
		return p
	}
	if prev != nil {
		p.overlaidN = prev.n
	}
	return p
}

func (w *writer) committedUpTo() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.committed
}

func (w *writer) waitCommitted(n uint64) {
	w.mu.Lock()
	for w.committed < n {
		w.cond.Wait()
	}
	w.mu.Unlock()
}

func (w *writer) committer() {
	defer w.wg.Done()
	defer close(w.acks)
	for p := range w.plans {
		if w.beforeCommit != nil {
			w.beforeCommit(p)
		}
		w.commitPlan(p)
		w.mu.Lock()
		w.committed = p.n
		w.cond.Broadcast()
		w.mu.Unlock()
	}
}

// commitPlan writes a planned group in one transaction: as planned when
// the database is what the plan assumed — its snapshot, nothing but planned
// groups written since, and the group it laid over committed as planned
// and not older than the snapshot (else the snapshot saw writes the overlay
// hides) — else decided afresh there. If the transaction fails, each
// request is retried alone.
func (w *writer) commitPlan(p *plannedGroup) {
	var cur int64
	redone := false
	durable, err := w.app.store.WriteAsync(context.Background(), func(tx *storage.Tx) error {
		for _, r := range p.reqs {
			if err := r.ctx.Err(); err != nil {
				return err
			}
		}
		var err error
		if cur, err = tx.ChangeSeq(); err != nil {
			return err
		}
		if cur != w.lastSeq {
			w.cleanSince = cur // someone else wrote since our last commit
		}
		overlayHolds := p.overlaidN == 0 || p.overlaidN == w.lastPlanned.n && p.snapSeq <= w.lastPlanned.seq
		if p.g != nil && p.snapSeq >= w.cleanSince && overlayHolds {
			return p.g.flush(tx)
		}
		redone = true
		w.redone.Add(1)
		return w.decideInTx(tx, p)
	})
	if err != nil {
		w.lastSeq = -1
		w.resync.Store(true)
		w.retryAlone(p.reqs)
		return
	}
	w.lastSeq = cur + 1 // the commit bumped it once
	if redone {
		w.cleanSince = w.lastSeq
		w.resync.Store(true)
	} else {
		w.lastPlanned.n, w.lastPlanned.seq = p.n, w.lastSeq
	}
	w.app.publish(p.change)
	w.acks <- groupAck{durable: durable, group: p.reqs, results: p.results}
}

// decideInTx decides p's messages afresh inside the writer's transaction.
func (w *writer) decideInTx(tx *storage.Tx, p *plannedGroup) error {
	p.change = Change{}
	clear(p.results)
	msgs, res := flatten(p.reqs, p.results)
	return applyGroup(tx, msgs, res, &p.change)
}

// flatten lists the requests' messages in order, each with the result of
// its request (results[i] is reqs[i]'s) to count into.
func flatten(reqs []*ingestReq, results []IngestResult) ([]*model.Inbound, []*IngestResult) {
	var msgs []*model.Inbound
	var res []*IngestResult
	for i, r := range reqs {
		for j := range r.msgs {
			msgs = append(msgs, &r.msgs[j])
			res = append(res, &results[i])
		}
	}
	return msgs, res
}

// retryAlone commits each request in a transaction of its own, so one bad
// request cannot fail the others that happened to share its group.
func (w *writer) retryAlone(reqs []*ingestReq) {
	for _, r := range reqs {
		p := &plannedGroup{reqs: []*ingestReq{r}, results: make([]IngestResult, 1)}
		durable, err := w.app.store.WriteAsync(context.Background(), func(tx *storage.Tx) error {
			if err := r.ctx.Err(); err != nil {
				return err
			}
			return w.decideInTx(tx, p)
		})
		if err != nil {
			r.done <- ingestDone{err: err}
			continue
		}
		w.app.publish(p.change)
		w.acks <- groupAck{durable: durable, group: p.reqs, results: p.results}
	}
}

// acker answers each committed group's callers, in commit order, once the
// group is on disk. Should the fsync fail, the callers get the error and do
// not acknowledge; the store then refuses to call anything durable until
// the process restarts (storage/durable.go), so nothing is acknowledged
// that a crash could take.
func (w *writer) acker() {
	defer w.wg.Done()
	for a := range w.acks {
		err := <-a.durable
		for i, r := range a.group {
			if err != nil {
				r.done <- ingestDone{err: err}
			} else {
				r.done <- ingestDone{res: a.results[i]}
			}
		}
	}
}
