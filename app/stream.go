package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"cxinbox/app/provider"
	"cxinbox/model"
)

// StreamResult summarises an ingest of a JSONL event stream.
type StreamResult struct {
	Events   int `json:"events"`   // lines read
	Rejected int `json:"rejected"` // lines not applied (reported through onReject)
	IngestResult
}

// maxLine bounds one JSONL line; a raw email with attachments can be large.
const maxLine = 32 << 20

// ParseEvent parses one JSONL line into validated inbound messages.
func ParseEvent(line []byte) ([]model.Inbound, error) {
	var ev provider.Event
	if err := json.Unmarshal(line, &ev); err != nil {
		return nil, err
	}
	msgs, err := provider.Parse(ev.Channel, ev.Body)
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		if err := msgs[i].Validate(); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

// IngestStream ingests a JSONL stream of provider events (the `feed` output)
// in order. A bad line is reported to onReject with its 1-based line number
// and not applied; the good lines around it still are. Lines are queued to
// the group-commit writer without waiting for each commit, so a file goes in
// at the writer's full rate, and results are collected in order.
func (a *App) IngestStream(ctx context.Context, r io.Reader, onReject func(line int, err error)) (StreamResult, error) {
	type pending struct {
		line int
		req  *ingestReq
	}
	queue := make(chan pending, 4*maxGroup)
	var res StreamResult
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for p := range queue {
			d := <-p.req.done
			if d.err != nil {
				res.Rejected++
				onReject(p.line, d.err)
				continue
			}
			res.IngestResult.Add(d.res)
		}
	}()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	line := 0
	var readErr error
	for sc.Scan() {
		line++
		if ctx.Err() != nil {
			readErr = ctx.Err()
			break
		}
		b := sc.Bytes()
		if len(trimSpace(b)) == 0 {
			line-- // blank lines are not events
			continue
		}
		res.Events++
		msgs, err := ParseEvent(b)
		if err != nil {
			queue <- pending{line, failed(err)}
			continue
		}
		req, err := a.enqueue(ctx, msgs)
		if err != nil {
			readErr = err
			break
		}
		queue <- pending{line, req}
	}
	if readErr == nil {
		if err := sc.Err(); err != nil {
			readErr = fmt.Errorf("read line %d: %w", line+1, err)
		}
	}
	close(queue)
	<-collected
	return res, readErr
}

// enqueue hands messages to the writer without waiting for the commit.
func (a *App) enqueue(ctx context.Context, msgs []model.Inbound) (*ingestReq, error) {
	r := &ingestReq{ctx: context.WithoutCancel(ctx), msgs: msgs, done: make(chan ingestDone, 1)}
	if len(msgs) == 0 {
		r.done <- ingestDone{}
		return r, nil
	}
	select {
	case a.writer.reqs <- r:
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-a.writer.quit:
		return nil, fmt.Errorf("ingest: cxinbox is shutting down")
	}
}

// failed is a request that already has its verdict, so rejected lines keep
// their place in the ordered result stream.
func failed(err error) *ingestReq {
	r := &ingestReq{done: make(chan ingestDone, 1)}
	r.done <- ingestDone{err: err}
	return r
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
