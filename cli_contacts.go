package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"cxinbox/app"
)

type contactsCmd struct {
	List         contactsListCmd         `cmd:"" help:"List contacts."`
	Show         contactsShowCmd         `cmd:"" help:"Show one contact with notes, tickets and its timeline."`
	Tag          contactsTagCmd          `cmd:"" help:"Add a tag to a contact (the tag joins the tag list if new)."`
	Untag        contactsUntagCmd        `cmd:"" help:"Remove a tag from a contact."`
	Note         contactsNoteCmd         `cmd:"" help:"Add a note to a contact."`
	Set          contactsSetCmd          `cmd:"" help:"Set a field (name, email, phone, company, country, timezone, language, lead_stage) or a custom property."`
	Unsubscribe  contactsUnsubCmd        `cmd:"" help:"Unsubscribe a contact from marketing email."`
	Duplicates   contactsDuplicatesCmd   `cmd:"" help:"List potential duplicate pairs, best first (--rescan rebuilds them from all contacts)."`
	NotDuplicate contactsNotDuplicateCmd `cmd:"" name:"not-duplicate" help:"Record that two contacts are different people: the pair never comes back."`
	Merge        contactsMergeCmd        `cmd:"" help:"Merge OTHER into KEEP: identities, tickets, notes, tags, properties and timeline move; prints the merge id."`
	Unmerge      contactsUnmergeCmd      `cmd:"" help:"Undo a merge while neither contact has changed since."`
}

type contactsListCmd struct {
	JSON   bool   `name:"json" help:"Print a JSON array."`
	Search string `short:"s" help:"Only contacts whose name contains this, or with this exact email, phone or identity."`
	Limit  int    `help:"At most this many contacts (0 = all)." default:"0"`
}

func (c *contactsListCmd) Run(e *env) error {
	if err := checkLimit(c.Limit); err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	var all []app.ContactSummary
	var after int64
	for {
		page, err := a.ListContacts(e.ctx, app.ContactPage{After: after, Limit: 1000, Search: c.Search})
		if err != nil {
			return err
		}
		all = append(all, page...)
		if len(page) < 1000 || (c.Limit > 0 && len(all) >= c.Limit) {
			break
		}
		after = page[len(page)-1].ID
	}
	if c.Limit > 0 && len(all) > c.Limit {
		all = all[:c.Limit]
	}
	if c.JSON {
		return writeJSON(os.Stdout, app.ContactsJSON(all))
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTAGE\tIDENTITIES\tTAGS\tDUPLICATES")
	for _, ct := range all {
		name := ct.Name
		if ct.NameGenerated {
			name += " (generated)"
		}
		ids := make([]string, len(ct.Identities))
		for i, id := range ct.Identities {
			ids[i] = id.String()
		}
		dups := ""
		if n := len(ct.PotentialDuplicates); n > 0 {
			dups = fmt.Sprintf("%d potential", n)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", ct.ID, name, ct.LeadStage, strings.Join(ids, " "), strings.Join(ct.Tags, ","), dups)
	}
	return tw.Flush()
}

type contactsShowCmd struct {
	ID   int64 `arg:"" help:"Contact id."`
	JSON bool  `name:"json" help:"Print JSON."`
}

func (c *contactsShowCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	d, err := a.ContactDetails(e.ctx, c.ID)
	if err != nil {
		return err
	}
	j := d.JSON()
	if c.JSON {
		return writeJSON(os.Stdout, j)
	}
	w := os.Stdout
	gen := ""
	if j.NameGenerated {
		gen = " (generated name)"
	}
	fmt.Fprintf(w, "#%d %s%s\n", j.ID, j.Name, gen)
	for _, f := range [][2]string{{"lead stage", j.LeadStage}, {"email", j.Email}, {"phone", j.Phone}, {"company", j.Company},
		{"country", j.Country}, {"time zone", j.Timezone}, {"language", j.Language}} {
		if f[1] != "" {
			fmt.Fprintf(w, "  %-11s %s\n", f[0], f[1])
		}
	}
	if j.EmailUnsubscribed {
		fmt.Fprintf(w, "  %-11s unsubscribed from marketing email\n", "email subs")
	}
	for _, id := range j.Identities {
		fmt.Fprintf(w, "  %-11s %s\n", id.Channel, id.Value)
	}
	if len(j.Tags) > 0 {
		fmt.Fprintf(w, "  %-11s %s\n", "tags", strings.Join(j.Tags, ", "))
	}
	for _, k := range slices.Sorted(maps.Keys(j.Properties)) { // map order is random; keep the output stable
		fmt.Fprintf(w, "  %-11s %s\n", k, j.Properties[k])
	}
	if n := len(j.PotentialDuplicates); n > 0 {
		fmt.Fprintf(w, "  %d potential duplicate(s): %v\n", n, j.PotentialDuplicates)
	}
	fmt.Fprintf(w, "\nTickets (%d)\n", len(j.Tickets))
	for _, t := range j.Tickets {
		fmt.Fprintf(w, "  #%d %-9s %-8s %s\n", t.ID, t.Channel, t.Status, firstNonEmpty(t.Subject, t.Preview))
	}
	fmt.Fprintf(w, "\nNotes (%d)\n", len(j.Notes))
	for _, n := range j.Notes {
		fmt.Fprintf(w, "  %s %s: %s\n", n.At.Format("2006-01-02 15:04"), n.Author, n.Body)
	}
	fmt.Fprintf(w, "\nTimeline\n")
	for _, act := range j.Activity {
		who := act.Agent
		if who == "" {
			who = "system"
		}
		fmt.Fprintf(w, "  %s %-8s %-18s %s\n", act.At.Format("2006-01-02 15:04"), who, act.Kind, act.Detail)
	}
	return nil
}

type contactsTagCmd struct {
	ID  int64  `arg:"" help:"Contact id."`
	Tag string `arg:"" help:"Tag name."`
}

func (c *contactsTagCmd) Run(e *env) error {
	return change(e, func(a *app.App) error { return a.TagContact(e.ctx, e.agent, c.ID, c.Tag, true) },
		fmt.Sprintf("tagged contact %d with %q", c.ID, c.Tag))
}

type contactsUntagCmd struct {
	ID  int64  `arg:"" help:"Contact id."`
	Tag string `arg:"" help:"Tag name."`
}

func (c *contactsUntagCmd) Run(e *env) error {
	return change(e, func(a *app.App) error { return a.UntagContact(e.ctx, e.agent, c.ID, c.Tag) },
		fmt.Sprintf("removed tag %q from contact %d", c.Tag, c.ID))
}

type contactsNoteCmd struct {
	ID   int64    `arg:"" help:"Contact id."`
	Text []string `arg:"" help:"Note text ('-' reads it from standard input)."`
}

func (c *contactsNoteCmd) Run(e *env) error {
	text := strings.Join(c.Text, " ")
	if text == "-" {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return err
		}
		text = string(b)
	}
	return change(e, func(a *app.App) error { return a.AddNote(e.ctx, e.agent, c.ID, text) },
		fmt.Sprintf("added a note to contact %d", c.ID))
}

type contactsSetCmd struct {
	ID    int64  `arg:"" help:"Contact id."`
	Field string `arg:"" help:"Field or custom property name."`
	Value string `arg:"" help:"New value ('' clears)."`
}

func (c *contactsSetCmd) Run(e *env) error {
	return change(e, func(a *app.App) error { return a.SetField(e.ctx, e.agent, c.ID, c.Field, c.Value) },
		fmt.Sprintf("set %s of contact %d", c.Field, c.ID))
}

type contactsUnsubCmd struct {
	ID int64 `arg:"" help:"Contact id."`
}

func (c *contactsUnsubCmd) Run(e *env) error {
	return change(e, func(a *app.App) error { return a.Unsubscribe(e.ctx, e.agent, c.ID) },
		fmt.Sprintf("contact %d is unsubscribed from marketing email", c.ID))
}

// change opens the app, runs one mutation and reports it on stderr, keeping
// stdout clean for scripts.
func change(e *env, fn func(*app.App) error, done string) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	if err := fn(a); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, done)
	return nil
}

// checkLimit refuses a negative --limit (0 means all).
func checkLimit(n int) error {
	if n < 0 {
		return fmt.Errorf("--limit %d: want 0 (all) or more", n)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
