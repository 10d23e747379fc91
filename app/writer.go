package app

import (
	"context"
	"sync"

	"cxinbox/model"
	"cxinbox/storage"
)

// maxGroup caps the messages one group-commit transaction takes, so one huge
// burst cannot hold the write lock for long.
const maxGroup = 4000

// writer is the single ingest writer. Concurrent Ingest calls queue here; the
// writer takes everything waiting (up to maxGroup messages) into one
// transaction, so a burst of webhooks costs one fsync, not one each. A call
// returns only after the transaction holding its messages is on disk; the
// writer does not wait for that itself, but goes on to the next group while
// the acker waits for the fsync (storage.WriteAsync).
type writer struct {
	app  *App
	reqs chan *ingestReq
	acks chan groupAck
	wg   sync.WaitGroup
	once sync.Once
	quit chan struct{}
}

// groupAck is a committed group waiting for its fsync.
type groupAck struct {
	durable <-chan error
	group   []*ingestReq
	results []IngestResult
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

func newWriter(a *App) *writer {
	w := &writer{app: a, reqs: make(chan *ingestReq, 2*maxGroup), acks: make(chan groupAck, 8), quit: make(chan struct{})}
	w.wg.Add(2)
	go w.loop()
	go w.acker()
	return w
}

// acker answers each committed group's callers, in commit order, once the
// group is on disk. Should the fsync fail, the callers get the error and do
// not acknowledge: the provider delivers again and the stored copy makes
// that a duplicate, ignored.
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

func (w *writer) stop() {
	w.once.Do(func() { close(w.quit) })
	w.wg.Wait()
}

func (w *writer) loop() {
	defer w.wg.Done()
	defer close(w.acks)
	for {
		var first *ingestReq
		select {
		case first = <-w.reqs:
		case <-w.quit:
			// Drain what is already queued so no acknowledged caller waits forever.
			for {
				select {
				case r := <-w.reqs:
					w.commit([]*ingestReq{r})
				default:
					return
				}
			}
		}
		group, n := []*ingestReq{first}, len(first.msgs)
	fill:
		for n < maxGroup {
			select {
			case r := <-w.reqs:
				group = append(group, r)
				n += len(r.msgs)
			default:
				break fill
			}
		}
		w.commit(group)
	}
}

// commit applies a group in one transaction. If that fails, each request is
// retried in a transaction of its own, so one bad request cannot fail the
// others that happened to share its group.
func (w *writer) commit(group []*ingestReq) {
	results := make([]IngestResult, len(group))
	var change Change
	durable, err := w.app.store.WriteAsync(context.Background(), func(tx *storage.Tx) error {
		change = Change{}
		var msgs []*model.Inbound
		var res []*IngestResult
		for i, r := range group {
			results[i] = IngestResult{}
			if err := r.ctx.Err(); err != nil {
				return err
			}
			for j := range r.msgs {
				msgs = append(msgs, &r.msgs[j])
				res = append(res, &results[i])
			}
		}
		return applyGroup(tx, msgs, res, &change)
	})
	if err == nil {
		w.app.publish(change)
		w.acks <- groupAck{durable: durable, group: group, results: results}
		return
	}
	if len(group) == 1 {
		group[0].done <- ingestDone{err: err}
		return
	}
	for _, r := range group {
		w.commit([]*ingestReq{r})
	}
}
