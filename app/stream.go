package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"runtime"

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
	// Event.UnmarshalJSON checks the whole line itself; going through
	// json.Unmarshal would scan it twice.
	var ev provider.Event
	if err := ev.UnmarshalJSON(line); err != nil {
		return nil, err
	}
	msgs, err := provider.Parse(ev.Channel, ev.Body)
	if err != nil {
		return nil, err
	}
	return msgs, nil // provider.Parse validated every message
}

// IngestStream ingests a JSONL stream of provider events (the `feed` output)
// in order. A bad line is reported to onReject with its 1-based line number
// and not applied; the good lines around it still are. Lines are parsed by
// a worker per core and queued to the group-commit writer in their original
// order without waiting for each commit, so a file goes in at the writer's
// full rate; results are collected in order too.
func (a *App) IngestStream(ctx context.Context, r io.Reader, onReject func(line int, err error)) (StreamResult, error) {
	type pending struct {
		line int
		req  *ingestReq
	}
	type chunk struct {
		first  int      // line number of lines[0]
		lines  [][]byte // nil entries are blank lines
		parsed [][]model.Inbound
		errs   []error
		done   chan struct{}
	}
	const chunkLines = 64
	// A parser per core: the writer's committer has room to spare, and on
	// two cores parsing beside the planner is what limits a stream (measured:
	// one parser fewer than cores ran 13–24% slower).
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan *chunk, workers)
	ordered := make(chan *chunk, 4*workers)
	queue := make(chan pending, 4*maxGroup)
	var res StreamResult

	for range workers {
		go func() {
			for c := range jobs {
				for i, l := range c.lines {
					if l != nil {
						c.parsed[i], c.errs[i] = ParseEvent(l)
					}
				}
				close(c.done)
			}
		}()
	}
	// The submitter hands parsed lines to the writer in file order.
	submitErr := make(chan error, 1)
	go func() {
		defer close(queue)
		var err error
		for c := range ordered {
			<-c.done
			for i, l := range c.lines {
				switch {
				case l == nil || err != nil:
				case c.errs[i] != nil:
					queue <- pending{c.first + i, failed(c.errs[i])}
				default:
					var req *ingestReq
					if req, err = a.enqueue(ctx, c.parsed[i]); err == nil {
						queue <- pending{c.first + i, req}
					}
				}
			}
		}
		submitErr <- err
	}()
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
	var arena []byte
	var readErr error
	newChunk := func() *chunk { return &chunk{first: line + 1, done: make(chan struct{})} }
	c := newChunk()
	send := func() {
		c.parsed, c.errs = make([][]model.Inbound, len(c.lines)), make([]error, len(c.lines))
		jobs <- c
		ordered <- c
		c = newChunk()
	}
	for sc.Scan() {
		if ctx.Err() != nil {
			readErr = ctx.Err()
			break
		}
		line++
		b := sc.Bytes()
		if len(trimSpace(b)) == 0 {
			c.lines = append(c.lines, nil) // blank lines are not events, but keep the numbering
		} else {
			res.Events++
			// Lines are copied (the scanner reuses its buffer) into one
			// buffer per chunk, not an allocation each.
			if cap(arena)-len(arena) < len(b) {
				arena = make([]byte, 0, max(64<<10, len(b)))
			}
			start := len(arena)
			arena = append(arena, b...)
			c.lines = append(c.lines, arena[start:len(arena):len(arena)])
		}
		if len(c.lines) == chunkLines {
			send()
		}
	}
	if len(c.lines) > 0 {
		send()
	}
	close(jobs)
	close(ordered)
	if readErr == nil {
		if err := sc.Err(); err != nil {
			readErr = fmt.Errorf("read line %d: %w", line+1, err)
		}
	}
	if err := <-submitErr; readErr == nil {
		readErr = err
	}
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
	if err := a.writer.submit(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
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
