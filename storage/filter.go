package storage

import (
	"fmt"
	"strings"
	"time"

	"cxinbox/model"
)

// Views and the filter drawer: a model.Filter compiles to one parameterised
// WHERE fragment over `tickets t JOIN contacts c ON c.id = t.contact_id`,
// with explicit parentheses following the expression tree. Values only ever
// travel as parameters; column names come from the fixed maps below. Every
// condition is evaluated row by row beside the inbox index (tag conditions
// are correlated EXISTS probes of the tag link tables' indexes), so a view's
// first page walks tickets_inbox in page order and stops after Limit
// matches, like the built-in lists. The price: a view that matches almost
// nothing reads the whole index before it can say so.
//
// The SQL must agree with model.Eval row for row; filter_test.go checks it
// on generated data and under `go test -fuzz FuzzFilterAgreement`.

// foldFunc is the SQL name of model.Fold, registered on every connection.
const foldFunc = "cx_fold"

// folded is the SQL for model.Fold(col). Printable-ASCII values (agent
// names, e-mail addresses, E.164 numbers: nearly all rows) fold with
// lower(trim()) inside SQLite; any other value goes through cx_fold. For
// printable ASCII, model.Fold is exactly that: strings.TrimSpace trims only
// ' ' there and case folding maps A–Z to a–z and nothing else.
func folded(col string) string {
	return `(CASE WHEN ` + col + ` GLOB '*[^ -~]*' THEN ` + foldFunc + `(` + col + `) ELSE lower(trim(` + col + `, ' ')) END)`
}

// textColumns are the case-folded text fields: the SQL of the folded value.
var textColumns = map[model.Field]string{
	model.FieldContactName:  `c.name_fold`, // model.Fold(name), kept by every write of name
	model.FieldAssignee:     folded(`t.assignee`),
	model.FieldContactEmail: folded(`c.email`),
	model.FieldContactPhone: folded(`c.phone`),
}

// enumColumns are the fields compared for equality with the normalised value.
var enumColumns = map[model.Field]string{
	model.FieldChannel:   `t.channel`,
	model.FieldStatus:    `t.status`,
	model.FieldLeadStage: `c.lead_stage`,
	model.FieldCountry:   `c.country`,
}

// timeColumns are the date fields (unix milliseconds).
var timeColumns = map[model.Field]string{
	model.FieldCreatedAt:     `t.created_at`,
	model.FieldLastMessageAt: `t.last_message_at`,
}

// tagLinks are the tag fields: EXISTS over the link table, correlated on the
// ticket row (an index probe per row, never a join that multiplies rows).
var tagLinks = map[model.Field]string{
	model.FieldTicketTag:  `SELECT 1 FROM ticket_tags l JOIN tags g ON g.id = l.tag_id WHERE l.ticket_id = t.id AND `,
	model.FieldContactTag: `SELECT 1 FROM contact_tags l JOIN tags g ON g.id = l.tag_id WHERE l.contact_id = t.contact_id AND `,
}

// CompileFilter compiles f to a WHERE fragment over `tickets t JOIN contacts
// c ON c.id = t.contact_id` and its parameters, in order. now is the instant
// "within" conditions count back from. where is "" when the filter matches
// every ticket (no conditions). Errors from f.Tree() are returned unchanged
// (they start "Invalid logical expression").
func CompileFilter(f model.Filter, now time.Time) (where string, args []any, err error) {
	tree, err := f.Tree()
	if err != nil {
		return "", nil, err
	}
	if tree == nil {
		return "", nil, nil
	}
	c := filterCompiler{conds: f.Conditions, now: now}
	if err := c.expr(tree, false); err != nil {
		return "", nil, err
	}
	return c.b.String(), c.args, nil
}

type filterCompiler struct {
	conds []model.Condition
	now   time.Time
	b     strings.Builder
	args  []any
}

// expr writes e. underOr is set below an OR: there an indexable term would
// tempt SQLite into a multi-index OR plan that reads every match and sorts
// them, so terms there never use an index (see conditionSQL).
func (c *filterCompiler) expr(e model.Expr, underOr bool) error {
	switch e := e.(type) {
	case model.Cond:
		if e.N < 1 || e.N > len(c.conds) {
			return fmt.Errorf("filter: condition %d does not exist", e.N)
		}
		return c.cond(e.N, underOr)
	case model.And:
		return c.binary(e.L, " AND ", e.R, underOr)
	case model.Or:
		return c.binary(e.L, " OR ", e.R, true)
	case nil:
		return fmt.Errorf("filter: empty expression node")
	}
	return fmt.Errorf("filter: unknown expression node %T", e)
}

func (c *filterCompiler) binary(l model.Expr, op string, r model.Expr, underOr bool) error {
	c.b.WriteByte('(')
	if err := c.expr(l, underOr); err != nil {
		return err
	}
	c.b.WriteString(op)
	if err := c.expr(r, underOr); err != nil {
		return err
	}
	c.b.WriteByte(')')
	return nil
}

// cond writes condition n, always as one parenthesised term.
func (c *filterCompiler) cond(n int, underOr bool) error {
	sqlText, args, err := conditionSQL(c.conds[n-1], c.now, !underOr)
	if err != nil {
		return fmt.Errorf("condition %d: %w", n, err)
	}
	c.b.WriteString("(" + sqlText + ")")
	c.args = append(c.args, args...)
	return nil
}

// conditionSQL is one condition's SQL and parameters, following
// model.Condition.Matches on the normalised condition. indexable says
// whether the term may use an index of tickets: only on the AND spine of the
// expression, where an equality on channel (tickets_channel) or a range on
// last_message_at (tickets_inbox) still reads tickets in page order. Below an
// OR, unary + (a no-op on the value) keeps the planner on the inbox index.
func conditionSQL(k model.Condition, now time.Time, indexable bool) (string, []any, error) {
	n, err := k.Normalize()
	if err != nil {
		return "", nil, err
	}
	bad := fmt.Errorf("%s does not take operator %q", n.Field, n.Op)
	if col, ok := textColumns[n.Field]; ok {
		v := model.Fold(n.Value)
		switch n.Op {
		case model.OpIs:
			return col + ` = ?`, []any{v}, nil
		case model.OpIsNot:
			return col + ` <> ?`, []any{v}, nil
		case model.OpContains:
			// instr, not LIKE: byte-exact substring of the folded UTF-8, every
			// character literal (% _ and \ included), nothing to escape.
			return `instr(` + col + `, ?) > 0`, []any{v}, nil
		case model.OpNotContains:
			return `instr(` + col + `, ?) = 0`, []any{v}, nil
		}
		return "", nil, bad
	}
	if col, ok := enumColumns[n.Field]; ok {
		if !indexable {
			col = "+" + col
		}
		switch n.Op {
		case model.OpIs:
			return col + ` = ?`, []any{n.Value}, nil
		case model.OpIsNot:
			return col + ` <> ?`, []any{n.Value}, nil
		}
		return "", nil, bad
	}
	if link, ok := tagLinks[n.Field]; ok {
		v := model.Fold(n.Value)
		switch n.Op {
		case model.OpIs:
			return `EXISTS (` + link + `g.name_fold = ?)`, []any{v}, nil
		case model.OpIsNot:
			return `NOT EXISTS (` + link + `g.name_fold = ?)`, []any{v}, nil
		case model.OpContains:
			return `EXISTS (` + link + `instr(g.name_fold, ?) > 0)`, []any{v}, nil
		case model.OpNotContains:
			return `NOT EXISTS (` + link + `instr(g.name_fold, ?) > 0)`, []any{v}, nil
		}
		return "", nil, bad
	}
	if col, ok := timeColumns[n.Field]; ok {
		if !indexable {
			col = "+" + col
		}
		b, err := n.Bound(now) // a whole millisecond, like the stored values
		if err != nil {
			return "", nil, err
		}
		switch n.Op {
		case model.OpBefore:
			return col + ` < ?`, []any{b.UnixMilli()}, nil
		case model.OpAfter:
			return col + ` > ?`, []any{b.UnixMilli()}, nil
		case model.OpWithin:
			return col + ` >= ?`, []any{b.UnixMilli()}, nil
		}
		return "", nil, bad
	}
	if n.Field == model.FieldEmailUnsubscribed && n.Op == model.OpIs {
		return `c.email_unsubscribed = ?`, []any{n.Value == "true"}, nil
	}
	return "", nil, bad
}
