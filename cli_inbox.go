package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"cxinbox/app"
	"cxinbox/ui"
)

// liveFlags are the flags of every long-running mode (the inbox, the server):
// the live simulated feed and the demo data a new database starts with.
type liveFlags struct {
	Feed     bool    `help:"Run the live simulated feed." default:"true" negatable:""`
	FeedRate float64 `name:"feed-rate" help:"Live feed pace in events per second." default:"0.5"`
	Demo     bool    `help:"Fill a new, empty database with a week of demo traffic." default:"true" negatable:""`
}

func (l liveFlags) validate() error {
	if l.FeedRate <= 0 {
		return fmt.Errorf("--feed-rate must be positive, got %g", l.FeedRate)
	}
	return nil
}

// loadDemo fills a new, empty database with the demo data (unless --no-demo).
func (l liveFlags) loadDemo(e *env, a *app.App) error {
	if !l.Demo {
		return nil
	}
	loaded, err := a.LoadDemo(e.ctx, app.DemoEvents)
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	if loaded {
		fmt.Fprintf(os.Stderr, "cxinbox: new database %s filled with demo data\n", a.Path())
	}
	return nil
}

type inboxCmd struct {
	liveFlags `embed:""`
}

func (c *inboxCmd) Run(e *env) error {
	if err := c.validate(); err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	if err := c.loadDemo(e, a); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	go a.WatchExternal(ctx, 500*time.Millisecond)
	crmDone := make(chan struct{})
	go func() { a.RunCRMSync(ctx); close(crmDone) }() // new customers to the connected CRM, if any (app/crm.go)
	defer func() { cancel(); <-crmDone }()            // before a.Close: a push cut short hands its rows back
	feedErr := make(chan error, 1)
	if c.Feed {
		go func() { feedErr <- a.RunFeed(ctx, c.FeedRate) }()
	}
	err = ui.Run(ctx, a, e.agent)
	cancel()
	select {
	case ferr := <-feedErr:
		if err == nil && ferr != nil {
			err = fmt.Errorf("live feed: %w", ferr)
		}
	default:
	}
	return err
}
