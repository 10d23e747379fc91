// Command cxinbox is a keyboard-driven customer-service inbox: every customer,
// whatever channel they write on, is one contact. With no subcommand it opens
// the inbox on the default database; the subcommands are its scripting face.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"syscall"

	"github.com/alecthomas/kong"

	"cxinbox/app"
)

// cli is the whole command line. Global flags may come before or after the
// subcommand (`cxinbox --db x.db contacts list` = `cxinbox contacts list --db x.db`).
type cli struct {
	DB    string `name:"db" env:"CXINBOX_DB" help:"Database file (default: $XDG_DATA_HOME/cxinbox/cxinbox.db)." placeholder:"PATH"`
	Agent string `name:"agent" env:"CXINBOX_AGENT" help:"Agent name recorded on changes (default: your login name)."`

	Inbox    inboxCmd    `cmd:"" default:"withargs" help:"Open the inbox (the default)."`
	Feed     feedCmd     `cmd:"" help:"Write simulated inbound events as JSON Lines."`
	Ingest   ingestCmd   `cmd:"" help:"Ingest a JSON Lines stream of provider events."`
	Contacts contactsCmd `cmd:"" help:"List, show and change contacts."`
	Tickets  ticketsCmd  `cmd:"" help:"List, filter, edit, tag, trash and purge tickets."`
	Views    viewsCmd    `cmd:"" help:"Saved ticket filters: create, list, show, edit, delete."`
	Agents   agentsCmd   `cmd:"" help:"Add and list agents."`
	Seed     seedCmd     `cmd:"" help:"Fill a database fast for scale tests."`
	Crm      crmCmd      `cmd:"" help:"Sync new customers to HubSpot, Salesforce or Zoho: connect, status, sync, retry, a fake CRM for demos."`
	Serve    serveCmd    `cmd:"" help:"Team mode: the inbox over SSH and webhooks + web chat over HTTP, on one database."`
}

// env is what every command gets: the resolved flags and a context that ends
// on Ctrl-C.
type env struct {
	ctx   context.Context
	db    string
	agent string
}

func (e *env) open() (*app.App, error) { return app.Open(e.db) }

func main() {
	var c cli
	parser := kong.Must(&c,
		kong.Name("cxinbox"),
		kong.Description("A keyboard-driven customer-service inbox: seven channels, one contact per customer."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	kctx, err := parser.Parse(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cxinbox:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{ctx: ctx, db: c.DB, agent: c.Agent}
	if e.db == "" {
		e.db = defaultDBPath()
	}
	if e.agent == "" {
		e.agent = loginName()
	}
	if err := kctx.Run(e); err != nil {
		fmt.Fprintln(os.Stderr, "cxinbox:", err)
		os.Exit(1)
	}
}

// defaultDBPath is $XDG_DATA_HOME/cxinbox/cxinbox.db, falling back to
// ~/.local/share as the XDG spec says.
func defaultDBPath() string {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "."
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "cxinbox", "cxinbox.db")
}

func loginName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "agent"
}
