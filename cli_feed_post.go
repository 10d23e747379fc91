package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"cxinbox/app/feed"
	"cxinbox/app/provider"
	"cxinbox/serve"
)

// feedPost is `feed --url`: the simulator's events posted to a running
// `cxinbox serve --http`, each signed as its provider signs it.
type feedPost struct {
	URL         string        `name:"url" help:"Post the events to a running 'cxinbox serve --http' at this base URL (e.g. http://127.0.0.1:8080), signed like each provider, instead of writing them." placeholder:"URL"`
	Rate        float64       `name:"rate" help:"With --url: events per second (0: as fast as --concurrency allows)." default:"100"`
	Duration    time.Duration `name:"duration" help:"With --url: post for this long (e.g. 60s) instead of --count events." placeholder:"D"`
	Concurrency int           `name:"concurrency" help:"With --url: requests in flight at most." default:"256"`

	MetaAppSecret       string `name:"meta-app-secret" env:"CXINBOX_META_APP_SECRET" help:"With --url: Meta app secret, signs X-Hub-Signature-256 (WhatsApp, Messenger, Instagram)."`
	TwilioAuthToken     string `name:"twilio-auth-token" env:"CXINBOX_TWILIO_AUTH_TOKEN" help:"With --url: Twilio auth token, signs X-Twilio-Signature."`
	TelegramSecretToken string `name:"telegram-secret-token" env:"CXINBOX_TELEGRAM_SECRET_TOKEN" help:"With --url: Telegram webhook secret (X-Telegram-Bot-Api-Secret-Token)."`
	EmailSecret         string `name:"email-secret" env:"CXINBOX_EMAIL_SECRET" help:"With --url: the shared secret of /webhooks/email (X-Cxinbox-Email-Secret)."`
}

func (c *feedCmd) post(e *env) error {
	switch {
	case c.Rate < 0:
		return fmt.Errorf("--rate must not be negative, got %g", c.Rate)
	case c.Duration < 0:
		return fmt.Errorf("--duration must not be negative")
	case c.Concurrency < 1:
		return fmt.Errorf("--concurrency must be at least 1")
	case c.Out != "":
		return errors.New("--out writes the events to a file; --url posts them: give one of them")
	}
	p, err := serve.NewPoster(serve.PostConfig{URL: c.URL, MetaAppSecret: c.MetaAppSecret, TwilioAuthToken: c.TwilioAuthToken,
		TelegramSecretToken: c.TelegramSecretToken, EmailSecret: c.EmailSecret})
	if err != nil {
		return err
	}
	if m := p.Missing(); len(m) > 0 {
		return fmt.Errorf("feed --url: the server takes only signed webhooks; give %s (or their CXINBOX_ variables), with the server's values", strings.Join(m, ", "))
	}
	opts := []feed.Option{}
	if c.Rate > 0 { // live timestamps: the events read as arriving now
		gap := time.Duration(float64(time.Second) / c.Rate)
		opts = append(opts, feed.WithClock(time.Now().UTC(), gap, gap))
	}
	f := feed.New(c.Seed, opts...)
	cfg := serve.LoadConfig{Rate: c.Rate, Count: c.Count, Duration: c.Duration, Concurrency: c.Concurrency}
	if c.Duration > 0 {
		cfg.Count = 0
	}

	// Distinct message ids among the acknowledged events: what the database
	// must hold afterwards (the feed re-delivers about 1% of its messages,
	// as providers do; those must not be doubled).
	var (
		acked    = map[string]bool{}
		repeats  int
		done     atomic.Int64
		failed   atomic.Int64
		progress = time.NewTicker(5 * time.Second)
	)
	defer progress.Stop()
	stopProgress := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopProgress:
				return
			case <-progress.C:
				fmt.Fprintf(os.Stderr, "feed: %d delivered, %d failed\n", done.Load(), failed.Load())
			}
		}
	}()
	start := time.Now()
	rep := p.Load(e.ctx, func() (provider.Event, bool) { return f.Next(), true }, cfg, func(ev provider.Event, d serve.Delivery) {
		if d.Err != nil {
			failed.Add(1)
			return
		}
		done.Add(1)
		msgs, err := provider.Parse(ev.Channel, ev.Body)
		if err != nil {
			return
		}
		for i := range msgs {
			if k := msgs[i].Key(); acked[k] {
				repeats++
			} else {
				acked[k] = true
			}
		}
	})
	close(stopProgress)
	fmt.Println(rep.String())
	fmt.Printf("messages acknowledged: %d distinct ids (%d re-deliveries of an id, which the server ignores); pacing fell behind by at most %s\n",
		len(acked), repeats, rep.MaxBehind.Round(time.Millisecond))
	reasons := make([]string, 0, len(rep.Errors))
	for r := range rep.Errors {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	for _, r := range reasons {
		fmt.Fprintf(os.Stderr, "feed: %d× %s\n", rep.Errors[r], r)
	}
	if c.Truth != "" {
		t, err := os.Create(c.Truth)
		if err != nil {
			return err
		}
		defer t.Close()
		if err := f.WriteTruth(t); err != nil {
			return err
		}
	}
	if rep.Failed > 0 {
		return fmt.Errorf("%d of %d events were not acknowledged", rep.Failed, rep.Events)
	}
	if e.ctx.Err() != nil && errors.Is(e.ctx.Err(), context.Canceled) {
		fmt.Fprintf(os.Stderr, "feed: stopped after %s\n", time.Since(start).Round(time.Millisecond))
	}
	return nil
}
