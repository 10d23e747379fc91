package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"cxinbox/app"
)

type contactsMergeCmd struct {
	Keep   int64    `arg:"" name:"keep" help:"The contact that stays."`
	Other  int64    `arg:"" name:"other" help:"The contact folded into KEEP (its id then resolves to KEEP)."`
	Field  []string `name:"field" sep:"none" placeholder:"FIELD=ID" help:"Take FIELD from contact ID (KEEP's or OTHER's id, or the word keep or other); repeatable. FIELD is name, email, phone, company, country, timezone, language, lead_stage or property:<name>. Conflicts left out take the default: the non-generated name, else the most recently updated contact's value."`
	DryRun bool     `name:"dry-run" help:"Change nothing: print the conflicting fields and the value each would take."`
	JSON   bool     `name:"json" help:"Print JSON: {merge_id, kept, merged, fields} (with --dry-run: {kept, merged, conflicts})."`
}

// mergeJSON is `contacts merge --json`: the merge id and, for every field
// on which the two contacts disagreed, the contact whose value was kept.
type mergeJSON struct {
	MergeID int64            `json:"merge_id"`
	Kept    int64            `json:"kept"`
	Merged  int64            `json:"merged"`
	Fields  map[string]int64 `json:"fields"`
}

// mergePlanJSON is `contacts merge --dry-run --json`.
type mergePlanJSON struct {
	Kept      int64              `json:"kept"`
	Merged    int64              `json:"merged"`
	Conflicts []mergeConflictDTO `json:"conflicts"`
}

type mergeConflictDTO struct {
	Field      string `json:"field"`
	KeepValue  string `json:"keep_value"`
	OtherValue string `json:"other_value"`
	Default    int64  `json:"default"`
	Chosen     int64  `json:"chosen"`
}

// parseFieldChoices reads --field FIELD=ID flags.
func (c *contactsMergeCmd) parseFieldChoices() (map[string]int64, error) {
	out := map[string]int64{}
	for _, f := range c.Field {
		name, who, ok := strings.Cut(f, "=")
		name, who = strings.TrimSpace(name), strings.TrimSpace(who)
		if !ok || name == "" || who == "" {
			return nil, fmt.Errorf("--field %q: want FIELD=ID, like name=%d or email=other", f, c.Other)
		}
		var id int64
		switch strings.ToLower(who) {
		case "keep":
			id = c.Keep
		case "other":
			id = c.Other
		default:
			n, err := strconv.ParseInt(who, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("--field %q: %q is not a contact id (%d or %d) nor keep or other", f, who, c.Keep, c.Other)
			}
			id = n
		}
		if _, twice := out[name]; twice {
			return nil, fmt.Errorf("--field %s is given twice: choose once per field", name)
		}
		out[name] = id
	}
	return out, nil
}

func (c *contactsMergeCmd) Run(e *env) error {
	choose, err := c.parseFieldChoices()
	if err != nil {
		return err
	}
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	if c.DryRun {
		return c.dryRun(e, a, choose)
	}
	id, err := a.Merge(e.ctx, e.agent, c.Keep, c.Other, choose)
	if err != nil {
		return err
	}
	info, err := a.MergeInfo(e.ctx, id)
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(os.Stdout, mergeJSON{MergeID: id, Kept: info.Kept, Merged: info.Merged, Fields: info.Fields})
	}
	fmt.Println(id)
	fmt.Fprintf(os.Stderr, "merged contact %d into %d (merge %d); undo with: cxinbox contacts unmerge %d\n", c.Other, c.Keep, id, id)
	return nil
}

// dryRun prints what a merge would choose, changing nothing. Choices are
// checked by a real merge only; here they just override the defaults shown.
func (c *contactsMergeCmd) dryRun(e *env, a *app.App, choose map[string]int64) error {
	plan, err := a.PlanMerge(e.ctx, c.Keep, c.Other)
	if err != nil {
		return err
	}
	out := mergePlanJSON{Kept: plan.Keep, Merged: plan.Other, Conflicts: []mergeConflictDTO{}}
	for _, fc := range plan.Conflicts {
		chosen := fc.Default
		if id, ok := choose[fc.Field]; ok {
			chosen = id
		}
		out.Conflicts = append(out.Conflicts, mergeConflictDTO{Field: fc.Field, KeepValue: fc.KeepValue, OtherValue: fc.OtherValue,
			Default: fc.Default, Chosen: chosen})
	}
	if c.JSON {
		return writeJSON(os.Stdout, out)
	}
	if len(out.Conflicts) == 0 {
		fmt.Printf("contacts %d and %d do not disagree on any field\n", c.Keep, c.Other)
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "FIELD\t#%d (KEEP)\t#%d (OTHER)\tTAKES\n", c.Keep, c.Other)
	for _, fc := range out.Conflicts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t#%d\n", fc.Field, fc.KeepValue, fc.OtherValue, fc.Chosen)
	}
	return tw.Flush()
}

type contactsUnmergeCmd struct {
	MergeID int64 `arg:"" name:"merge-id" help:"The merge to undo (printed by contacts merge)."`
}

func (c *contactsUnmergeCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	info, err := a.MergeInfo(e.ctx, c.MergeID)
	if err != nil {
		return err
	}
	if err := a.Unmerge(e.ctx, e.agent, c.MergeID); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "undid merge %d: contacts %d and %d are separate again\n", c.MergeID, info.Kept, info.Merged)
	return nil
}
