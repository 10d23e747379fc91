package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"cxinbox/app"
	"cxinbox/model"
)

// Views on the command line. Every command acts as the global --agent
// (default: the login name): another agent's private view is "no such view"
// here exactly as in the inbox.

type viewsCmd struct {
	Create viewsCreateCmd `cmd:"" help:"Save a view; prints its id."`
	List   viewsListCmd   `cmd:"" help:"List the views you can see: yours and the public ones."`
	Show   viewsShowCmd   `cmd:"" help:"Show one view."`
	Edit   viewsEditCmd   `cmd:"" help:"Change a view (yours, or any public one as an admin)."`
	Delete viewsDeleteCmd `cmd:"" help:"Delete a view (yours, or any public one as an admin)."`
}

// filterFlags are a filter's conditions and match mode, shared by `views
// create`, `views edit` and `tickets list`.
type filterFlags struct {
	Cond  []string `name:"cond" sep:"none" placeholder:"\"FIELD OPERATOR VALUE\"" help:"A condition, like \"contact_name contains ann\" or \"status is not closed\"; repeat for more, numbered 1, 2, … in order. Fields: contact_name, channel, status, assignee, ticket_tag, contact_tag, lead_stage, contact_email, contact_phone, country, email_unsubscribed, created_at, last_message_at."`
	Match string   `name:"match" placeholder:"all|any|expr" help:"Match all conditions (the default), any of them, or the --expr expression."`
	Expr  string   `name:"expr" help:"Logical expression over condition numbers, like \"(1 or 2) and 3\" (implies --match expr)."`
}

// given reports whether any filter flag was used.
func (f filterFlags) given() bool { return len(f.Cond) > 0 || f.Match != "" || f.Expr != "" }

// match reads --match and --expr: the match mode ("" when neither is given).
func (f filterFlags) match() (model.Match, error) {
	m := model.Match(strings.ToLower(strings.TrimSpace(f.Match)))
	switch m {
	case "", model.MatchAll, model.MatchAny, model.MatchExpr:
	default:
		return "", fmt.Errorf("--match %q: want all, any or expr", f.Match)
	}
	if f.Expr != "" {
		if m == model.MatchAll || m == model.MatchAny {
			return "", fmt.Errorf("--expr goes with --match expr, not --match %s", m)
		}
		m = model.MatchExpr
	}
	return m, nil
}

func parseConds(conds []string) ([]model.Condition, error) {
	out := make([]model.Condition, 0, len(conds))
	for i, s := range conds {
		c, err := model.ParseCondition(s)
		if err != nil {
			return nil, fmt.Errorf("--cond %d (%q): %w", i+1, s, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// filter builds the filter the flags describe and validates it: a bad
// expression is the parser's "Invalid logical expression…" error.
func (f filterFlags) filter() (model.Filter, error) {
	m, err := f.match()
	if err != nil {
		return model.Filter{}, err
	}
	conds, err := parseConds(f.Cond)
	if err != nil {
		return model.Filter{}, err
	}
	if m == "" {
		m = model.MatchAll
	}
	flt := model.Filter{Conditions: conds, Match: m, Expr: f.Expr}
	if _, err := flt.Tree(); err != nil {
		return model.Filter{}, err
	}
	return flt, nil
}

type viewsCreateCmd struct {
	Name   string `required:"" help:"View name (unique among your views)."`
	Public bool   `help:"Every agent sees the view (default: only you)."`
	filterFlags
}

func (c *viewsCreateCmd) Run(e *env) error {
	f, err := c.filter()
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	// CreateView registers a new agent (EnsureAgent's rule) in the same
	// transaction as the view: a refused view registers no one.
	v, err := a.CreateView(e.ctx, e.agent, app.View{Name: c.Name, Public: c.Public, Filter: f})
	if err != nil {
		return err
	}
	fmt.Println(v.ID)
	return nil
}

type viewsListCmd struct {
	JSON bool `name:"json" help:"Print a JSON array."`
}

func (c *viewsListCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	vs, err := a.Views(e.ctx, e.agent)
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(os.Stdout, app.ViewsJSON(vs))
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tOWNER\tVISIBILITY\tFILTER")
	for _, v := range vs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.ID, v.Name, v.Owner, app.Visibility(v.Public), v.Filter.String())
	}
	return tw.Flush()
}

type viewsShowCmd struct {
	Ref  string `arg:"" name:"view" help:"View id or name."`
	JSON bool   `name:"json" help:"Print JSON."`
}

func (c *viewsShowCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.ViewByRef(e.ctx, e.agent, c.Ref)
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(os.Stdout, v.JSON())
	}
	j := v.JSON()
	fmt.Printf("#%d %s\n  owner       %s\n  visibility  %s\n  match       %s\n", j.ID, j.Name, j.Owner, app.Visibility(j.Public), j.Match)
	if j.Expr != "" {
		fmt.Printf("  expression  %s\n", j.Expr)
	}
	for i, cond := range j.Conditions {
		fmt.Printf("  %d. %s %s %s\n", i+1, cond.Field, cond.Op, cond.Value)
	}
	return nil
}

type viewsEditCmd struct {
	Ref     string `arg:"" name:"view" help:"View id or name."`
	Name    string `help:"New name."`
	Public  bool   `help:"Make the view public." xor:"visibility"`
	Private bool   `help:"Make the view private." xor:"visibility"`
	filterFlags
}

func (c *viewsEditCmd) Run(e *env) error {
	if c.Name == "" && !c.Public && !c.Private && !c.given() {
		return fmt.Errorf("nothing to change: give --name, --public/--private or filter flags (--cond, --match, --expr)")
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.ViewByRef(e.ctx, e.agent, c.Ref)
	if err != nil {
		return err
	}
	if c.Name != "" {
		v.Name = c.Name
	}
	if c.Public || c.Private {
		v.Public = c.Public
	}
	if c.filterFlags.given() {
		m, err := c.match()
		if err != nil {
			return err
		}
		f := v.Filter
		if len(c.Cond) > 0 { // --cond replaces every condition
			if f.Conditions, err = parseConds(c.Cond); err != nil {
				return err
			}
		}
		if m != "" {
			f.Match = m
		}
		if f.Match == model.MatchExpr && c.Expr != "" {
			f.Expr = c.Expr
		}
		v.Filter = f
	}
	if _, err := a.UpdateView(e.ctx, e.agent, v); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "view %d saved\n", v.ID)
	return nil
}

type viewsDeleteCmd struct {
	Ref string `arg:"" name:"view" help:"View id or name."`
}

func (c *viewsDeleteCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.ViewByRef(e.ctx, e.agent, c.Ref)
	if err != nil {
		return err
	}
	if err := a.DeleteView(e.ctx, e.agent, v.ID); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "view %d %q deleted\n", v.ID, v.Name)
	return nil
}
