package ui

// Scale benchmarks: the real inbox against the same ticket list built on a
// stock bubbles table that holds every row in memory, both on a seeded
// database of 250,000 contacts and 1,000,000 tickets. Run:
//
//	go test ./ui -run '^$' -bench 'Inbox|StockTable' -benchtime 20x -timeout 30m
//
// The first run seeds the database into $TMPDIR/cxinbox-bench/ (about a
// minute); later runs reuse it when its counts match. For a quick local run,
// shrink it: CXINBOX_BENCH_CONTACTS=5000 CXINBOX_BENCH_TICKETS=20000.
//
// Metrics: ms/open (NewRoot, Init, first page, resize, View), ms/key (one key
// through Update, its commands run synchronously, then View), p99-ms/key and
// max-ms/key (the slowest keys), heapMB (Go heap in use after a GC, the model
// still alive).

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/table"
	tea "charm.land/bubbletea/v2"

	"cxinbox/app"
)

const (
	benchWidth, benchHeight = 140, 40
	benchSeed               = 1
)

// benchKeys is the navigation the key benchmarks repeat: mostly j, some k,
// page downs, and G (the last loaded row for ours, which pages in the next
// keyset page; the last of all rows for the stock table).
var benchKeys = []string{"j", "j", "G", "j", "k", "pgdown", "j", "j", "pgdown", "j"}

// benchDB is the seeded database, opened once per test process.
var benchDB struct {
	once sync.Once
	app  *app.App
	err  error
}

func benchSize(env string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(env)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchApp opens the cached seeded database, seeding it first if missing or
// incomplete.
func benchApp(b *testing.B) *app.App {
	b.Helper()
	benchDB.once.Do(func() { benchDB.app, benchDB.err = openBenchDB(b) })
	if benchDB.err != nil {
		b.Fatal(benchDB.err)
	}
	return benchDB.app
}

func openBenchDB(b *testing.B) (*app.App, error) {
	contacts := benchSize("CXINBOX_BENCH_CONTACTS", 250_000)
	tickets := benchSize("CXINBOX_BENCH_TICKETS", 1_000_000)
	path := filepath.Join(os.TempDir(), "cxinbox-bench", fmt.Sprintf("seed%d-%dc-%dt.db", benchSeed, contacts, tickets))
	ctx := context.Background()
	if a, err := app.Open(path); err == nil {
		n, err := a.Store().Count(ctx)
		if err == nil && n.Contacts == int64(contacts) && n.Tickets == int64(tickets) && n.Messages == int64(tickets) {
			b.Logf("reusing %s", path)
			return a, nil
		}
		a.Close()
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	}
	a, err := app.Open(path)
	if err != nil {
		return nil, err
	}
	b.Logf("seeding %d contacts and %d tickets into %s", contacts, tickets, path)
	res, err := a.Seed(ctx, contacts, tickets, benchSeed, nil)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("seed bench database: %w", err)
	}
	b.Logf("seeded in %.1fs", res.Elapsed.Seconds())
	return a, nil
}

func benchContext(a *app.App) *Context {
	now := time.Now()
	return &Context{Ctx: context.Background(), App: a, Agent: "alice", Styles: DefaultStyles(), Now: func() time.Time { return now }}
}

// benchMsg is the key press a terminal would send for k.
func benchMsg(k string) tea.KeyPressMsg {
	switch k {
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	}
	return tea.KeyPressMsg{Code: rune(k[0]), Text: k}
}

// openInbox does what the program does on start: Init and its loads (the
// first keyset page, then the first ticket's conversation and contact), the
// first window size, and the first frame.
func openInbox(c *Context) (*Root, string) {
	r := NewRoot(c, nil)
	drive(r, r.Init())
	_, cmd := r.Update(tea.WindowSizeMsg{Width: benchWidth, Height: benchHeight})
	drive(r, cmd)
	return r, r.View().Content
}

// heapMB is the Go heap in use after a collection, in MiB.
func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

var benchSink any // keeps the last model alive for heapMB

func reportOpen(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/open")
	b.ReportMetric(heapMB(), "heapMB")
	benchSink = nil
}

// reportKeys reports the mean, the 99th percentile and the slowest key.
func reportKeys(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/key")
	b.ReportMetric(ms(took[len(took)*99/100]), "p99-ms/key")
	b.ReportMetric(ms(took[len(took)-1]), "max-ms/key")
	b.ReportMetric(heapMB(), "heapMB")
	benchSink = nil
}

func BenchmarkInboxOpen(b *testing.B) {
	c := benchContext(benchApp(b))
	b.ReportAllocs()
	for b.Loop() {
		r, frame := openInbox(c)
		if len(inboxOf(r).list.rows) == 0 || frame == "" {
			b.Fatal("the inbox opened empty")
		}
		benchSink = r
	}
	reportOpen(b)
}

func BenchmarkInboxKeypress(b *testing.B) {
	c := benchContext(benchApp(b))
	r, _ := openInbox(c)
	b.ReportAllocs()
	var took []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		_, cmd := r.Update(benchMsg(benchKeys[i%len(benchKeys)]))
		drive(r, cmd)
		_ = r.View()
		took = append(took, time.Since(start))
		i++
	}
	b.ReportMetric(float64(len(inboxOf(r).list.rows)), "rows-loaded")
	benchSink = r
	reportKeys(b, took)
}

// stockInbox is the ticket list built the naive way: every ticket read into
// a stock bubbles table, which keeps them all in memory.
type stockInbox struct{ t table.Model }

func newStockInbox(c *Context) (*stockInbox, error) {
	var rows []table.Row
	q := app.TicketQuery{Limit: 2000}
	for {
		page, err := c.App.ListTickets(c.Ctx, q)
		if err != nil {
			return nil, err
		}
		for _, t := range page {
			rows = append(rows, table.Row{t.ContactName, t.Channel.Label(), firstNonEmpty(t.Subject, t.Preview), string(t.Status), age(c.Now(), t.LastMessageAt)})
		}
		if len(page) < q.Limit {
			break
		}
		cur := app.CursorOf(page[len(page)-1])
		q.After = &cur
	}
	cols := []table.Column{{Title: "Contact", Width: 22}, {Title: "Channel", Width: 10}, {Title: "Subject", Width: 40}, {Title: "Status", Width: 8}, {Title: "Age", Width: 4}}
	return &stockInbox{t: table.New(table.WithColumns(cols), table.WithRows(rows), table.WithFocused(true))}, nil
}

func (m *stockInbox) Init() tea.Cmd { return nil }

func (m *stockInbox) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.t.SetWidth(msg.Width)
		m.t.SetHeight(msg.Height - 1)
	case tea.KeyPressMsg:
		var cmd tea.Cmd
		m.t, cmd = m.t.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *stockInbox) View() tea.View {
	v := tea.NewView(m.t.View() + "\n" + m.t.HelpView())
	v.AltScreen = true
	return v
}

func openStock(b *testing.B, c *Context) (*stockInbox, string) {
	m, err := newStockInbox(c)
	if err != nil {
		b.Fatal(err)
	}
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: benchWidth, Height: benchHeight})
	return m, m.View().Content
}

func BenchmarkStockTableOpen(b *testing.B) {
	c := benchContext(benchApp(b))
	b.ReportAllocs()
	for b.Loop() {
		m, frame := openStock(b, c)
		if len(m.t.Rows()) == 0 || frame == "" {
			b.Fatal("the table opened empty")
		}
		benchSink = m
	}
	reportOpen(b)
}

func BenchmarkStockTableKeypress(b *testing.B) {
	c := benchContext(benchApp(b))
	m, _ := openStock(b, c)
	b.ReportAllocs()
	var took []time.Duration
	i := 0
	for b.Loop() {
		start := time.Now()
		m.Update(benchMsg(benchKeys[i%len(benchKeys)]))
		_ = m.View()
		took = append(took, time.Since(start))
		i++
	}
	benchSink = m
	reportKeys(b, took)
}
