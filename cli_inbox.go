package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"cxinbox/app"
	"cxinbox/ui"
)

type inboxCmd struct {
	Feed     bool    `help:"Run the live simulated feed while the inbox is open." default:"true" negatable:""`
	FeedRate float64 `name:"feed-rate" help:"Live feed pace in events per second." default:"0.5"`
	Demo     bool    `help:"Fill a new, empty database with a week of demo traffic." default:"true" negatable:""`
}

func (c *inboxCmd) Run(e *env) error {
	if c.FeedRate <= 0 {
		return fmt.Errorf("--feed-rate must be positive, got %g", c.FeedRate)
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	if c.Demo {
		if loaded, err := a.LoadDemo(e.ctx, app.DemoEvents); err != nil {
			return fmt.Errorf("load demo data: %w", err)
		} else if loaded {
			fmt.Fprintf(os.Stderr, "cxinbox: new database %s filled with demo data\n", a.Path())
		}
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
