package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"cxinbox/app"
	"cxinbox/app/feed"
)

type feedCmd struct {
	Seed  int64  `help:"Seed of the simulation: the same seed gives the same stream." default:"1"`
	Count int    `help:"Number of events." default:"1000"`
	Out   string `help:"Write to this file instead of standard output." placeholder:"FILE"`
	Truth string `help:"Also write the ground truth (which identities are one person) as JSON to this file." placeholder:"FILE"`

	feedPost `embed:""` // --url and its flags: post to a running server (cli_feed_post.go)
}

func (c *feedCmd) Run(e *env) error {
	if c.Count < 0 {
		return fmt.Errorf("--count must not be negative")
	}
	if c.URL != "" {
		return c.post(e)
	}
	var w io.Writer = os.Stdout
	if c.Out != "" {
		f, err := os.Create(c.Out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	f := feed.New(c.Seed)
	for i := 0; i < c.Count; i++ {
		b, err := json.Marshal(f.Next())
		if err != nil {
			return fmt.Errorf("event %d: %w", i+1, err)
		}
		bw.Write(b)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if c.Truth != "" {
		t, err := os.Create(c.Truth)
		if err != nil {
			return err
		}
		defer t.Close()
		return f.WriteTruth(t)
	}
	return nil
}

type ingestCmd struct {
	File string `arg:"" optional:"" default:"-" help:"JSON Lines file of events ('-' or nothing: standard input)."`
	JSON bool   `name:"json" help:"Print the summary as JSON."`
}

func (c *ingestCmd) Run(e *env) error {
	var r io.Reader = os.Stdin
	if c.File != "-" {
		f, err := os.Open(c.File)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	res, err := a.IngestStream(e.ctx, r, func(line int, err error) {
		fmt.Fprintf(os.Stderr, "line %d: rejected: %v\n", line, err)
	})
	if err != nil {
		return err
	}
	if c.JSON {
		if err := writeJSON(os.Stdout, res); err != nil {
			return err
		}
	} else {
		fmt.Printf("events %d, new contacts %d, new tickets %d, messages %d, duplicates ignored %d, potential duplicates %d, rejected %d (%.1fs)\n",
			res.Events, res.NewContacts, res.NewTickets, res.Messages, res.Duplicates, res.PotentialDuplicates, res.Rejected, time.Since(start).Seconds())
	}
	if res.Rejected > 0 {
		return fmt.Errorf("%d of %d lines rejected", res.Rejected, res.Events)
	}
	return nil
}

type seedCmd struct {
	Contacts int    `help:"Contacts to create." default:"250000"`
	Tickets  int    `help:"Tickets to create (one message each)." default:"1000000"`
	Seed     uint64 `help:"Random seed." default:"1"`
}

func (c *seedCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.Seed(e.ctx, c.Contacts, c.Tickets, c.Seed, func(r app.SeedResult) {
		fmt.Fprintf(os.Stderr, "\rcontacts %d/%d, tickets %d/%d", r.Contacts, c.Contacts, r.Tickets, c.Tickets)
	})
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d contacts and %d tickets in %.1fs\n", res.Contacts, res.Tickets, res.Elapsed.Seconds())
	return nil
}
