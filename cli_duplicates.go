package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"cxinbox/app"
)

type contactsDuplicatesCmd struct {
	Rescan bool `help:"Rebuild the blocking index and every open pair from all contacts first (dismissed pairs stay dismissed)."`
	JSON   bool `name:"json" help:"Print a JSON array: [{a, b, score, reasons}], best first."`
	Limit  int  `help:"At most this many pairs (0 = all)." default:"0"`
}

// duplicateJSON is one pair as `contacts duplicates --json` prints it.
type duplicateJSON struct {
	A       int64    `json:"a"`
	B       int64    `json:"b"`
	Score   float64  `json:"score"`
	Reasons []string `json:"reasons"`
}

func (c *contactsDuplicatesCmd) Run(e *env) error {
	if err := checkLimit(c.Limit); err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	if c.Rescan {
		r, err := a.RescanDuplicates(e.ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "rescanned %d contacts: %d candidate pairs compared, %d potential duplicates, in %.1f s\n",
			r.Contacts, r.Compared, r.Pairs, r.Took.Seconds())
	}
	var all []app.DuplicatePair
	var after *app.DuplicatePair
	for {
		page, err := a.Duplicates(e.ctx, app.DupPage{After: after, Limit: 1000})
		if err != nil {
			return err
		}
		all = append(all, page...)
		if len(page) < 1000 || (c.Limit > 0 && len(all) >= c.Limit) {
			break
		}
		after = &page[len(page)-1]
	}
	if c.Limit > 0 && len(all) > c.Limit {
		all = all[:c.Limit]
	}
	if c.JSON {
		out := make([]duplicateJSON, len(all))
		for i, p := range all {
			out[i] = duplicateJSON{A: p.A, B: p.B, Score: p.Score, Reasons: p.Reasons}
			if out[i].Reasons == nil {
				out[i].Reasons = []string{}
			}
		}
		return writeJSON(os.Stdout, out)
	}
	if len(all) == 0 {
		fmt.Println("no potential duplicates")
		return nil
	}
	names := map[int64]string{}
	name := func(id int64) string {
		if n, ok := names[id]; ok {
			return n
		}
		ct, err := a.Contact(e.ctx, id)
		names[id] = ct.Name
		if err != nil {
			names[id] = "?"
		}
		return names[id]
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCORE\tA\tNAME\tB\tNAME\tREASONS")
	for _, p := range all {
		fmt.Fprintf(tw, "%.2f\t%d\t%s\t%d\t%s\t%s\n", p.Score, p.A, name(p.A), p.B, name(p.B), strings.Join(p.Reasons, ", "))
	}
	return tw.Flush()
}

type contactsNotDuplicateCmd struct {
	A int64 `arg:"" help:"One contact id."`
	B int64 `arg:"" help:"The other contact id."`
}

func (c *contactsNotDuplicateCmd) Run(e *env) error {
	return change(e, func(a *app.App) error { return a.NotDuplicate(e.ctx, e.agent, c.A, c.B) },
		fmt.Sprintf("contacts %d and %d are marked as different people", c.A, c.B))
}
