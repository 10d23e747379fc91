package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"cxinbox/app"
	"cxinbox/model"
)

type ticketsCmd struct {
	List ticketsListCmd `cmd:"" help:"List tickets, newest message first."`
}

type ticketsListCmd struct {
	JSON     bool   `name:"json" help:"Print a JSON array."`
	Channel  string `help:"Only this channel."`
	Status   string `help:"Only this status (open, pending, resolved, closed)."`
	Assignee string `help:"Only tickets assigned to this agent."`
	Contact  int64  `help:"Only this contact's tickets."`
	Trash    bool   `help:"List the trash instead."`
	Limit    int    `help:"At most this many tickets (0 = all)." default:"0"`
}

func (c *ticketsListCmd) Run(e *env) error {
	q := app.TicketQuery{Assignee: c.Assignee, ContactID: c.Contact, Trash: c.Trash, Limit: 1000}
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
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
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
