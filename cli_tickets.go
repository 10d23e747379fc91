package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"cxinbox/app"
	"cxinbox/model"
)

type ticketsCmd struct {
	List    ticketsListCmd    `cmd:"" help:"List tickets, newest message first; filter them by a view or by conditions."`
	Tag     ticketsTagCmd     `cmd:"" help:"Add a tag to tickets (the tag joins the tag list if new)."`
	Edit    ticketsEditCmd    `cmd:"" help:"Set the status and/or the assignee of tickets."`
	Delete  ticketsDeleteCmd  `cmd:"" help:"Move tickets to the trash (restorable)."`
	Restore ticketsRestoreCmd `cmd:"" help:"Bring tickets back from the trash."`
	Trash   ticketsTrashCmd   `cmd:"" help:"List the trash (tickets list --trash)."`
	Purge   ticketsPurgeCmd   `cmd:"" help:"Erase tickets in the trash for good, with their messages (does not ask)."`
}

// ticketsListFlags select and print tickets; shared by list and trash.
type ticketsListFlags struct {
	JSON     bool   `name:"json" help:"Print a JSON array."`
	Channel  string `help:"Only this channel."`
	Status   string `help:"Only this status (open, pending, resolved, closed)."`
	Assignee string `help:"Only tickets assigned to this agent."`
	Contact  int64  `help:"Only this contact's tickets."`
	View     string `help:"Only the tickets of this view (id or name; yours or a public one)." placeholder:"NAME_OR_ID"`
	filterFlags
	Limit int `help:"At most this many tickets (0 = all)." default:"0"`
}

type ticketsListCmd struct {
	ticketsListFlags
	Trash bool `help:"List the trash instead."`
}

func (c *ticketsListCmd) Run(e *env) error { return c.list(e, c.Trash) }

type ticketsTrashCmd struct {
	ticketsListFlags
}

func (c *ticketsTrashCmd) Run(e *env) error { return c.list(e, true) }

func (c *ticketsListFlags) list(e *env, trash bool) error {
	if err := checkLimit(c.Limit); err != nil {
		return err
	}
	// One instant for every page, so "within" conditions mean the same rows
	// from the first page to the last.
	q := app.TicketQuery{Assignee: c.Assignee, ContactID: c.Contact, Trash: trash, Limit: 1000, Now: time.Now()}
	if c.Channel != "" {
		ch, err := model.ParseChannel(c.Channel)
		if err != nil {
			return err
		}
		q.Channel = ch
	}
	if c.Status != "" {
		s, err := model.ParseStatus(c.Status)
		if err != nil {
			return err
		}
		q.Status = s
	}
	if c.View != "" && c.filterFlags.given() {
		return fmt.Errorf("give --view or --cond/--match/--expr, not both")
	}
	if c.filterFlags.given() {
		f, err := c.filter()
		if err != nil {
			return err
		}
		q.Filter = &f
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	if c.View != "" {
		v, err := a.ViewByRef(e.ctx, e.agent, c.View)
		if err != nil {
			return err
		}
		q.Filter = &v.Filter
	}
	var all []model.Ticket
	for {
		page, err := a.ListTickets(e.ctx, q)
		if err != nil {
			return err
		}
		all = append(all, page...)
		if len(page) < q.Limit || (c.Limit > 0 && len(all) >= c.Limit) {
			break
		}
		cur := app.CursorOf(page[len(page)-1])
		q.After = &cur
	}
	if c.Limit > 0 && len(all) > c.Limit {
		all = all[:c.Limit]
	}
	if c.JSON {
		return writeJSON(os.Stdout, app.TicketsJSON(all))
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCONTACT\tCHANNEL\tSTATUS\tASSIGNEE\tLAST MESSAGE\tSUBJECT\tTAGS")
	for _, t := range all {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.ContactName, t.Channel, t.Status, t.Assignee,
			t.LastMessageAt.Format("2006-01-02 15:04"), firstNonEmpty(t.Subject, t.Preview), strings.Join(t.Tags, ","))
	}
	return tw.Flush()
}

// Batch commands: each is one transaction over all the tickets given; an
// unknown id refuses the whole command and changes nothing.

func tickets(n int) string {
	if n == 1 {
		return "1 ticket"
	}
	return fmt.Sprintf("%d tickets", n)
}

type ticketsTagCmd struct {
	Tag string  `arg:"" help:"Tag name."`
	IDs []int64 `arg:"" name:"id" help:"Ticket ids."`
}

func (c *ticketsTagCmd) Run(e *env) error {
	return change(e, func(a *app.App) error { return a.BatchTag(e.ctx, e.agent, c.IDs, c.Tag, true) },
		fmt.Sprintf("tagged %s with %q", tickets(len(c.IDs)), c.Tag))
}

type ticketsEditCmd struct {
	Status   *string `help:"New status (open, pending, resolved, closed)."`
	Assignee *string `help:"Assign to this agent ('' unassigns)."`
	IDs      []int64 `arg:"" name:"id" help:"Ticket ids."`
}

func (c *ticketsEditCmd) Run(e *env) error {
	if c.Status == nil && c.Assignee == nil {
		return fmt.Errorf("nothing to change: give --status and/or --assignee")
	}
	return change(e, func(a *app.App) error {
		return a.BatchEdit(e.ctx, e.agent, c.IDs, app.TicketEdit{Status: c.Status, Assignee: c.Assignee})
	}, fmt.Sprintf("edited %s", tickets(len(c.IDs))))
}

type ticketsDeleteCmd struct {
	IDs []int64 `arg:"" name:"id" help:"Ticket ids."`
}

func (c *ticketsDeleteCmd) Run(e *env) error {
	return change(e, func(a *app.App) error { return a.BatchTrash(e.ctx, e.agent, c.IDs, true) },
		fmt.Sprintf("moved %s to the trash", tickets(len(c.IDs))))
}

type ticketsRestoreCmd struct {
	IDs []int64 `arg:"" name:"id" help:"Ticket ids."`
}

func (c *ticketsRestoreCmd) Run(e *env) error {
	return change(e, func(a *app.App) error { return a.BatchTrash(e.ctx, e.agent, c.IDs, false) },
		fmt.Sprintf("restored %s from the trash", tickets(len(c.IDs))))
}

type ticketsPurgeCmd struct {
	IDs []int64 `arg:"" name:"id" help:"Ids of tickets in the trash."`
}

func (c *ticketsPurgeCmd) Run(e *env) error {
	return change(e, func(a *app.App) error { return a.Purge(e.ctx, e.agent, c.IDs) },
		fmt.Sprintf("purged %s", tickets(len(c.IDs))))
}
