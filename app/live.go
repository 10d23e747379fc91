package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"cxinbox/app/feed"
	"cxinbox/app/provider"
	"cxinbox/storage"
)

var demoTags = []string{"vip", "refund", "shipping", "billing", "bug", "urgent", "feedback", "churn-risk"}

// DemoEvents is how many feed events a new default database starts with.
const DemoEvents = 3000

// LoadDemo fills an empty database with a week of simulated traffic (seed 1,
// ending now), once: a database that has contacts, or had the demo already,
// is left alone. It reports whether it loaded anything.
func (a *App) LoadDemo(ctx context.Context, events int) (bool, error) {
	if v, err := a.store.Setting(ctx, "demo_loaded"); err != nil || v != "" {
		return false, err
	}
	if any, err := a.store.HasContacts(ctx); err != nil || any {
		return false, err
	}
	span := 7 * 24 * time.Hour
	gap := span / time.Duration(max(events, 1))
	f := feed.New(1, feed.WithClock(time.Now().Add(-span).UTC(), gap/2, gap*3/2))
	pr, pw := io.Pipe()
	go func() {
		enc := json.NewEncoder(pw)
		for i := 0; i < events; i++ {
			if err := enc.Encode(f.Next()); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	var firstErr error
	_, err := a.IngestStream(ctx, pr, func(line int, err error) {
		if firstErr == nil {
			firstErr = fmt.Errorf("demo event %d: %w", line, err)
		}
	})
	if err == nil {
		err = firstErr
	}
	if err != nil {
		return false, err
	}
	return true, a.store.Write(ctx, func(tx *storage.Tx) error {
		// A starter tag list, so the tag picker has something to offer.
		for _, t := range demoTags {
			if _, _, err := tx.EnsureTag(t, true); err != nil {
				return err
			}
		}
		return tx.SetSetting("demo_loaded", time.Now().UTC().Format(time.RFC3339))
	})
}

// RunFeed runs the live simulated feed until ctx ends: rate events per second,
// each parsed from its provider format and ingested like a real webhook.
// The seed comes from the clock so each run brings new people.
func (a *App) RunFeed(ctx context.Context, rate float64) error {
	if rate <= 0 {
		return fmt.Errorf("feed rate must be positive, got %g", rate)
	}
	gap := time.Duration(float64(time.Second) / rate)
	f := feed.New(time.Now().UnixNano(), feed.WithClock(time.Now().UTC(), gap, gap))
	out := make(chan provider.Event, 16)
	errc := make(chan error, 1)
	go func() { errc <- feed.Stream(ctx, f, rate, out) }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-out:
			msgs, err := provider.Parse(ev.Channel, ev.Body)
			if err != nil {
				return fmt.Errorf("feed produced a bad %s event: %w", ev.Channel, err)
			}
			if _, err := a.Ingest(ctx, msgs); err != nil && ctx.Err() == nil {
				return err
			}
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}
