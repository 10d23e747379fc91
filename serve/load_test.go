package serve

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cxinbox/app/feed"
	"cxinbox/app/provider"
)

// TestTeamModeLoad is the team-mode load run: SESSIONS agents drive the
// inbox over SSH with scripted key presses while the simulated feed posts
// RATE events a second, signed, to the webhooks over HTTP, for DURATION. It
// reports webhook latency and per-session redraw time (key sent → the
// screen showing its effect), and fails on any error, any refused or
// unanswered webhook, any key whose redraw never came, or any message lost
// or stored twice. It is skipped unless CXINBOX_LOAD is set:
//
//	CXINBOX_LOAD=1 go test ./serve -run TestTeamModeLoad -v -timeout 30m
//	CXINBOX_LOAD=1 CXINBOX_LOAD_SESSIONS=50 CXINBOX_LOAD_RATE=500 CXINBOX_LOAD_DURATION=60s CXINBOX_LOAD_KEY_EVERY=250ms go test ./serve -run TestTeamModeLoad -v -timeout 30m
//
// Everything — the server, 50 SSH clients with their terminal emulators,
// and the HTTP poster — runs in one process on one machine, so the clients
// take CPU from the server: the figures are an upper bound.
func TestTeamModeLoad(t *testing.T) {
	if os.Getenv("CXINBOX_LOAD") == "" {
		t.Skip("set CXINBOX_LOAD=1 to run the team-mode load test")
	}
	sessions := envInt(t, "CXINBOX_LOAD_SESSIONS", 50)
	rate := envFloat(t, "CXINBOX_LOAD_RATE", 500)
	dur := envDuration(t, "CXINBOX_LOAD_DURATION", 60*time.Second)
	pace := envDuration(t, "CXINBOX_LOAD_KEY_EVERY", 250*time.Millisecond) // an agent's mean pause between keys
	const w, h = 120, 35
	ctx := context.Background()

	e := newSSHEnv(t, 300, func(c *SSHConfig) {
		c.MaxSessions, c.MaxPerAgent, c.IdleTimeout = sessions+1, 1, 30*time.Minute
	})
	secrets := HTTPConfig{MetaAppSecret: "meta-secret", MetaVerifyToken: "verify", TwilioAuthToken: "twilio-token",
		TelegramSecretToken: "telegram-token", EmailSecret: "email-secret"}
	handler, err := NewHTTPHandler(e.a, secrets)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(handler)
	defer hs.Close()
	poster, err := NewPoster(PostConfig{URL: hs.URL, MetaAppSecret: secrets.MetaAppSecret, TwilioAuthToken: secrets.TwilioAuthToken,
		TelegramSecretToken: secrets.TelegramSecretToken, EmailSecret: secrets.EmailSecret})
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.a.Store().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The agents connect, a few at a time.
	terms := make([]*terminal, sessions)
	opened := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make(chan error, sessions)
	for i := range terms {
		key := e.agent(fmt.Sprintf("agent%02d", i+1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			tm, err := e.open(key, w, h, nil)
			if err == nil {
				_, err = tm.await(60*time.Second, func(s string) bool { return ticketOnScreen(s) != "" })
			}
			if err != nil {
				errs <- fmt.Errorf("session %d: %w", i+1, err)
				return
			}
			terms[i] = tm
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d sessions open in %v", sessions, time.Since(opened).Round(time.Millisecond))

	// The feed posts over HTTP; every message it carries is counted once.
	f := feed.New(42, feed.WithClock(time.Now().UTC(), time.Millisecond, 2*time.Millisecond))
	var (
		mu        sync.Mutex
		unique    = map[string]bool{}
		undecoded int
	)
	next := func() (provider.Event, bool) {
		ev := f.Next()
		msgs, err := provider.Parse(ev.Channel, ev.Body)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			undecoded++
		}
		for _, m := range msgs {
			unique[string(m.Sender.Channel)+"\x00"+m.MessageID] = true
		}
		return ev, true
	}
	cpu0 := cpuTime()
	runCtx, stop := context.WithTimeout(ctx, dur)
	defer stop()
	feedDone := make(chan LoadReport, 1)
	go func() {
		feedDone <- poster.Load(runCtx, next, LoadConfig{Rate: rate, Duration: dur, Concurrency: 512}, nil)
	}()

	// Each agent presses keys in a loop, waiting for every one's redraw.
	type sessionResult struct {
		redraws []time.Duration
		misses  []string
	}
	results := make([]sessionResult, sessions)
	for i, tm := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			// Down three tickets, back to the top, the key help and away:
			// each key's effect shows whatever the feed does meanwhile (k
			// would not: the ticket it sits on may have moved to the top).
			script := []string{"j", "j", "j", "g", "?", "\x1b"}
			for n := 0; runCtx.Err() == nil; n++ {
				k := script[n%len(script)]
				d, err := keyRedraw(tm, k)
				if err != nil {
					r.misses = append(r.misses, fmt.Sprintf("key %q: %v", k, err))
					if len(r.misses) > 5 {
						return
					}
				} else {
					r.redraws = append(r.redraws, d)
				}
				select { // an agent's pace: pace ± 60 %
				case <-runCtx.Done():
				case <-time.After(pace*4/10 + time.Duration(rng.Int64N(int64(pace*12/10)))):
				}
			}
		}()
	}
	wg.Wait()
	rep := <-feedDone
	cpu := cpuTime() - cpu0

	// Report.
	var all []time.Duration
	var worstP99 time.Duration
	misses := 0
	for i, r := range results {
		all = append(all, r.redraws...)
		misses += len(r.misses)
		for _, m := range r.misses {
			t.Errorf("session %d: %s", i+1, m)
		}
		slices.Sort(r.redraws)
		worstP99 = max(worstP99, percentile(r.redraws, 99))
	}
	slices.Sort(all)
	after, err := e.a.Store().Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := after.Messages - before.Messages
	t.Logf("webhooks: %s", rep)
	if len(rep.Errors) > 0 {
		t.Logf("webhook errors: %v", rep.Errors)
	}
	t.Logf("redraw (key sent → screen updated) over %d sessions: %d keys, p50 %v, p90 %v, p99 %v, max %v; worst session p99 %v; %d keys without a redraw",
		sessions, len(all), ms(percentile(all, 50)), ms(percentile(all, 90)), ms(percentile(all, 99)), ms(percentile(all, 100)), ms(worstP99), misses)
	t.Logf("CPU used by this process (server, clients and poster together): %.1fs in %.1fs, %.2f cores",
		cpu.Seconds(), rep.Elapsed.Seconds(), cpu.Seconds()/rep.Elapsed.Seconds())
	t.Logf("messages: %d unique in the events posted, %d stored (%d undecodable events)", len(unique), stored, undecoded)
	if stored != int64(len(unique)) || undecoded > 0 || rep.Failed > 0 {
		t.Errorf("%d distinct messages posted, %d stored, %d undecodable, %d webhooks failed: want equal counts and no failures",
			len(unique), stored, undecoded, rep.Failed)
	}
	t.Logf("feed: %.0f events/s posted and answered of the %g asked for (the poster holds at most 512 in flight, so a slow server slows it)",
		float64(rep.Events)/rep.Elapsed.Seconds(), rate)
	t.Logf("TEAM-LOAD sessions=%d rate=%g key_every=%v duration=%v events=%d acked=%d failed=%d webhook_p50=%s webhook_p99=%s redraw_p50=%s redraw_p99=%s redraw_max=%s messages_posted=%d messages_stored=%d",
		sessions, rate, pace, dur, rep.Events, rep.Acked, rep.Failed, ms(rep.Percentile(50)), ms(rep.Percentile(99)),
		ms(percentile(all, 50)), ms(percentile(all, 99)), ms(percentile(all, 100)), len(unique), stored)

	if rep.Failed > 0 || rep.Acked != rep.Events {
		t.Errorf("webhooks: %d of %d failed: %v", rep.Failed, rep.Events, rep.Errors)
	}
	if undecoded > 0 {
		t.Errorf("%d events did not decode", undecoded)
	}
	if stored != int64(len(unique)) {
		t.Errorf("messages stored %d, want %d (one per unique message posted): lost or doubled", stored, len(unique))
	}
	for i, tm := range terms {
		select {
		case <-tm.ended:
			t.Errorf("session %d ended during the run: %q", i+1, tm.stderr.String())
		default:
		}
	}
	if s := e.log.String(); strings.Contains(s, "refused") {
		t.Errorf("server refused sessions:\n%s", s)
	}
}

var ticketHeader = regexp.MustCompile(`#\d+ `)

// ticketOnScreen is the open ticket's "#id " in the conversation header ("" if none).
func ticketOnScreen(s string) string { return ticketHeader.FindString(s) }

// keyRedraw presses k and waits for the screen to show its effect: j and g
// open another ticket (the conversation header's id changes; arrivals
// never move the selection), ? opens the key help, esc closes it.
func keyRedraw(tm *terminal, k string) (time.Duration, error) {
	before := ticketOnScreen(tm.screen())
	var done func(string) bool
	switch k {
	case "?":
		done = func(s string) bool { return strings.Contains(s, "any key closes") }
	case "\x1b":
		done = func(s string) bool { return !strings.Contains(s, "any key closes") }
	default:
		done = func(s string) bool { id := ticketOnScreen(s); return id != "" && id != before }
	}
	start := time.Now()
	tm.press(k)
	if _, err := tm.await(10*time.Second, done); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func envInt(t *testing.T, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", name, v)
		}
		return n
	}
	return def
}

func envFloat(t *testing.T, name string, def float64) float64 {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a positive number", name, v)
		}
		return n
	}
	return def
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: want a duration like 60s", name, v)
		}
		return d
	}
	return def
}
