package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"cxinbox/app"
)

type agentsCmd struct {
	Add  agentsAddCmd  `cmd:"" help:"Register an agent (with --admin on an existing agent: make it an admin)."`
	List agentsListCmd `cmd:"" help:"List the agents."`
}

type agentsAddCmd struct {
	Name  string `arg:"" help:"Agent name (what --agent gives)."`
	Admin bool   `help:"An admin may change and delete other agents' public views."`
}

func (c *agentsAddCmd) Run(e *env) error {
	done := fmt.Sprintf("agent %s registered", c.Name)
	if c.Admin {
		done = fmt.Sprintf("agent %s is an admin", c.Name)
	}
	return change(e, func(a *app.App) error {
		_, err := a.AddAgent(e.ctx, c.Name, c.Admin)
		return err
	}, done)
}

type agentsListCmd struct {
	JSON bool `name:"json" help:"Print a JSON array."`
}

func (c *agentsListCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	ags, err := a.Agents(e.ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		if ags == nil {
			ags = []app.Agent{}
		}
		return writeJSON(os.Stdout, ags)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADMIN\tSINCE")
	for _, ag := range ags {
		admin := ""
		if ag.Admin {
			admin = "admin"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", ag.Name, admin, ag.CreatedAt.Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}
