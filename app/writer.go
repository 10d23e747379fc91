package app

import (
	"context"
	"sync"

	"cxinbox/model"
	"cxinbox/storage"
)

// maxGroup caps the messages one group-commit transaction takes, so one huge
// burst cannot hold the write lock for long.
const maxGroup = 2000

// writer is the single ingest writer. Concurrent Ingest calls queue here; the
// writer takes everything waiting (up to maxGroup messages) into one
// transaction, so a burst of webhooks costs one fsync, not one each. A call
// returns only after the transaction holding its messages committed.
type writer struct {
	app  *App
	reqs chan *ingestReq
	wg   sync.WaitGroup
	once sync.Once
	quit chan struct{}
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
	w := &writer{app: a, reqs: make(chan *ingestReq, 2*maxGroup), quit: make(chan struct{})}
	w.wg.Add(1)
	go w.loop()
	return w
}

func (w *writer) stop() {
	w.once.Do(func() { close(w.quit) })
	w.wg.Wait()
}

func (w *writer) loop() {
	defer w.wg.Done()
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
	err := w.app.store.Write(context.Background(), func(tx *storage.Tx) error {
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
		for i, r := range group {
			r.done <- ingestDone{res: results[i]}
		}
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
