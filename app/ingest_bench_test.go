package app

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"testing"

	"cxinbox/app/feed"
	"cxinbox/model"
)

// feedLines returns n feed events as one JSONL stream.
func feedLines(b testing.TB, n int) []byte {
	b.Helper()
	var buf bytes.Buffer
	f := feed.New(42)
	enc := json.NewEncoder(&buf)
	for i := 0; i < n; i++ {
		if err := enc.Encode(f.Next()); err != nil {
			b.Fatal(err)
		}
	}
	return buf.Bytes()
}

// BenchmarkIngest measures feed events end to end: JSONL line → provider
// parser → identity rules → group-commit writer → committed. Compare its
// msgs/s with BenchmarkPlainInsert, the limit, in the same run:
//
//	go test ./app -run '^$' -bench 'Ingest|PlainInsert' -benchtime 20000x
func BenchmarkIngest(b *testing.B) {
	lines := feedLines(b, b.N)
	a := newTestApp(b)
	runtime.GC() // the feed's garbage is not the ingest's to collect
	b.ResetTimer()
	res, err := a.IngestStream(context.Background(), bytes.NewReader(lines), func(line int, err error) { b.Fatalf("line %d: %v", line, err) })
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.Messages+res.Duplicates)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(a.store.LocalSeq()), "txs")
	b.ReportMetric(float64(a.writer.redone.Load()), "redone")
}

// BenchmarkPlainInsert is the limit: exactly the rows ingest produced for the
// same events (contacts, identities, tickets, messages, activity, ...),
// inserted into a fresh database with one prepared single-row INSERT per
// table and 2,000 rows per transaction: no parsing, no lookups, no rules.
// msgs/s counts the messages those rows hold, as BenchmarkIngest does.
func BenchmarkPlainInsert(b *testing.B) {
	src := newTestApp(b)
	ctx := context.Background()
	res, err := src.IngestStream(ctx, bytes.NewReader(feedLines(b, b.N)), func(line int, err error) { b.Fatalf("line %d: %v", line, err) })
	if err != nil {
		b.Fatal(err)
	}
	tables, err := src.store.DumpIngestTables(ctx)
	if err != nil {
		b.Fatal(err)
	}
	dst := newTestApp(b)
	runtime.GC()
	b.ResetTimer()
	rows, err := dst.store.PlainInsert(ctx, tables, 2000)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(res.Messages+res.Duplicates)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(rows)/float64(res.Messages), "rows/msg")
}

// BenchmarkParseEvent is the parse half of ingest: JSONL line → provider
// parser → validated messages (it runs on its own cores, beside the writer).
func BenchmarkParseEvent(b *testing.B) {
	lines := bytes.Split(bytes.TrimSpace(feedLines(b, 5000)), []byte("\n"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseEvent(lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIngestWriter is ingest's writer alone: messages parsed before the
// timer starts, then queued at once, so every group is full.
func BenchmarkIngestWriter(b *testing.B) {
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
	for r := range reqs {
		if d := <-r.done; d.err != nil {
			b.Fatal(d.err)
		}
	}
	b.ReportMetric(float64(len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}
