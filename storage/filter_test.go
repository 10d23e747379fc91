package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"cxinbox/model"
)

// The SQL a filter compiles to must select exactly the tickets model.Eval
// accepts. These tests build varied data through the ordinary write helpers,
// read every ticket's facts back with plain SELECTs, and compare the ids of
// ListTickets' keyset pages with the ids Eval accepts, for random filters and
// under the fuzzer.

// filterNow is the "now" of every agreement check: some tickets lie after it.
var filterNow = time.Date(2025, 6, 15, 12, 0, 0, 123_000_000, time.UTC)

// Vocabularies of the generated data: case variants that fold together
// (Ödön / ÖDÖN, Straße / STRASSE), characters LIKE would treat as wildcards,
// non-ASCII that SQLite's lower() does not fold, padding that Fold trims.
var (
	fdFirst = []string{"Ödön", "ÖDÖN", "ödön", "Anna", "ANNA", "Ann", "Zoë", "ZOË", "Straße", "STRASSE", "İlkay",
		"Łukasz", "ΣΟΦΊΑ", "Σοφία", "\u212Aelvin", "ﬁona", "50%", "under_score", `back\slash`, "O'Brien", "José", "Bob", " Ödön "}
	fdLast = []string{"Kovács", "KOVÁCS", "Smith", "Müller", "MÜLLER", "Mueller", "100% Sure", "a_b", `c\d`, "", "Ödön"}
	fdMail = []string{"ann.kovacs@example.com", "odon@example.hu", "jürgen@bücher.de", "straße@example.de",
		"Mixed.Case@Example.COM", "zoë@exämple.org", "50%off@shop.com", "a_b@x.io", "", ""}
	fdPhone     = []string{"+4915112345678", "+12025550123", "+36201234567", "+442079460958", "+44 20 7946 0958", "", ""}
	fdCountries = []string{"DE", "US", "HU", "GB", "JP", "", "BR"}
	fdTags      = []string{"VIP", "Refund", "50%", "a_b", `x\y`, "Größe", "ÖDÖN", "billing", "Billing Issue", "bill", "Σίσυφος"}
	fdAgents    = []string{"", "", "alice", "Bob", "ÉVA", "Zoë", "carol ", "Straße", "STRASSE", "50%_agent"}
)

// filterData is what the generator wrote, for drawing condition values.
type filterData struct {
	names, emails, phones, tags, agents []string
	times                               []time.Time // created_at and last_message_at of tickets
}

// seedFilterData writes contacts and tickets with the Tx write helpers.
func seedFilterData(t testing.TB, s *Store, seed uint64, nContacts, nTickets int) filterData {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed+1))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	d := filterData{tags: fdTags, agents: fdAgents}
	base := filterNow.Add(-400 * 24 * time.Hour)
	err := s.Write(context.Background(), func(tx *Tx) error {
		tagIDs := make([]int64, len(fdTags))
		for i, name := range fdTags {
			id, _, err := tx.EnsureTag(name, true)
			if err != nil {
				return err
			}
			tagIDs[i] = id
		}
		contacts := make([]int64, 0, nContacts)
		for i := 0; i < nContacts; i++ {
			name := strings.TrimRight(pick(fdFirst)+" "+pick(fdLast), " ")
			if rng.IntN(8) == 0 {
				name = pick(fdFirst) // one word, maybe padded
			}
			c := model.Contact{Name: name, LeadStage: model.LeadStages[rng.IntN(len(model.LeadStages))],
				Email: pick(fdMail), Phone: pick(fdPhone), Country: pick(fdCountries), EmailUnsubscribed: rng.IntN(5) == 0,
				CreatedAt: base.Add(time.Duration(rng.Int64N(int64(400 * 24 * time.Hour))))}
			if c.Email != "" && rng.IntN(2) == 0 {
				c.Email = fmt.Sprintf("%d.%s", i, c.Email) // many addresses, some sharing a domain
			}
			if err := tx.CreateContact(&c); err != nil {
				return err
			}
			if err := tx.AddIdentity(c.ID, model.Identity{Channel: model.WebChat, Value: fmt.Sprintf("visitor-%d-%d", seed, i)}); err != nil {
				return err
			}
			for n := rng.IntN(4); n > 1; n-- {
				if _, err := tx.TagContact(c.ID, tagIDs[rng.IntN(len(tagIDs))], true); err != nil {
					return err
				}
			}
			contacts = append(contacts, c.ID)
			d.names, d.emails, d.phones = append(d.names, c.Name), append(d.emails, c.Email), append(d.phones, c.Phone)
		}
		for i := 0; i < nTickets; i++ {
			created := base.Add(time.Duration(rng.Int64N(int64(410*24*time.Hour))) / time.Millisecond * time.Millisecond)
			switch rng.IntN(10) {
			case 0:
				created = created.Truncate(24 * time.Hour) // exactly midnight UTC
			case 1:
				if len(d.times) > 0 {
					created = d.times[rng.IntN(len(d.times))] // ties
				}
			}
			last := created.Add(time.Duration(rng.Int64N(int64(30*24*time.Hour))) / time.Millisecond * time.Millisecond)
			if rng.IntN(5) == 0 {
				last = created
			}
			tk := model.Ticket{ContactID: contacts[rng.IntN(len(contacts))], Channel: model.Channels[rng.IntN(len(model.Channels))],
				Status: model.Statuses[rng.IntN(len(model.Statuses))], Subject: "subject", Assignee: pick(fdAgents),
				CreatedAt: created, LastMessageAt: last}
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			if rng.IntN(4) == 0 {
				if _, err := tx.SetTicketAssignee(tk.ID, pick(fdAgents)); err != nil {
					return err
				}
			}
			for n := rng.IntN(4); n > 1; n-- {
				if _, err := tx.TagTicket(tk.ID, tagIDs[rng.IntN(len(tagIDs))], true); err != nil {
					return err
				}
			}
			if rng.IntN(20) == 0 {
				if _, err := tx.SetTicketDeleted(tk.ID, true); err != nil {
					return err
				}
			}
			d.times = append(d.times, created, last)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed filter data: %v", err)
	}
	return d
}

// ticketFacts reads every ticket's facts back with plain SELECTs, keyed by
// id, with whether it is in the trash.
func ticketFacts(t testing.TB, s *Store) (facts map[int64]model.TicketFacts, deleted map[int64]bool) {
	t.Helper()
	ctx := context.Background()
	facts, deleted = map[int64]model.TicketFacts{}, map[int64]bool{}
	contactOf := map[int64]int64{}
	err := s.each(ctx, `SELECT t.id, t.contact_id, c.name, t.channel, t.status, t.assignee, c.lead_stage, c.email, c.phone,
		c.country, c.email_unsubscribed, t.created_at, t.last_message_at, t.deleted_at IS NOT NULL
		FROM tickets t JOIN contacts c ON c.id = t.contact_id`, nil, func(r *sql.Rows) error {
		var id, cid, created, last int64
		var f model.TicketFacts
		var ch, st, stage string
		var del bool
		if err := r.Scan(&id, &cid, &f.ContactName, &ch, &st, &f.Assignee, &stage, &f.ContactEmail, &f.ContactPhone,
			&f.Country, &f.EmailUnsubscribed, &created, &last, &del); err != nil {
			return err
		}
		f.Channel, f.Status, f.LeadStage = model.Channel(ch), model.Status(st), model.LeadStage(stage)
		f.CreatedAt, f.LastMessageAt = fromMS(created), fromMS(last)
		facts[id], deleted[id], contactOf[id] = f, del, cid
		return nil
	})
	if err != nil {
		t.Fatalf("read facts: %v", err)
	}
	contactTags := map[int64][]string{}
	if err := s.each(ctx, `SELECT l.contact_id, g.name FROM contact_tags l JOIN tags g ON g.id = l.tag_id`, nil, func(r *sql.Rows) error {
		var cid int64
		var name string
		err := r.Scan(&cid, &name)
		contactTags[cid] = append(contactTags[cid], name)
		return err
	}); err != nil {
		t.Fatalf("read contact tags: %v", err)
	}
	if err := s.each(ctx, `SELECT l.ticket_id, g.name FROM ticket_tags l JOIN tags g ON g.id = l.tag_id`, nil, func(r *sql.Rows) error {
		var id int64
		var name string
		if err := r.Scan(&id, &name); err != nil {
			return err
		}
		f := facts[id]
		f.TicketTags = append(f.TicketTags, name)
		facts[id] = f
		return nil
	}); err != nil {
		t.Fatalf("read ticket tags: %v", err)
	}
	for id, f := range facts {
		f.ContactTags = contactTags[contactOf[id]]
		facts[id] = f
	}
	return facts, deleted
}

// evalIDs is the Go side: the ids, in the trash or not, that Eval accepts.
func evalIDs(facts map[int64]model.TicketFacts, deleted map[int64]bool, trash bool, e model.Expr, conds []model.Condition) []int64 {
	var out []int64
	for id, f := range facts {
		if deleted[id] == trash && model.Eval(e, conds, f, filterNow) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// listIDs is the SQL side: every keyset page of ListTickets, checked to be in
// strict inbox order.
func listIDs(t testing.TB, s *Store, f model.Filter, trash bool, limit int) ([]int64, error) {
	t.Helper()
	q := TicketQuery{Filter: &f, Now: filterNow, Trash: trash, Limit: limit}
	var out []int64
	var prev *model.Ticket
	for pages := 0; ; pages++ {
		page, err := s.ListTickets(context.Background(), q)
		if err != nil {
			return nil, err
		}
		for i := range page {
			tk := page[i]
			if prev != nil && !(tk.LastMessageAt.Before(prev.LastMessageAt) || tk.LastMessageAt.Equal(prev.LastMessageAt) && tk.ID < prev.ID) {
				t.Fatalf("page order: ticket %d (%v) after %d (%v)", tk.ID, tk.LastMessageAt, prev.ID, prev.LastMessageAt)
			}
			prev = &tk
			out = append(out, tk.ID)
		}
		if len(page) < q.Limit {
			break
		}
		if pages > 10_000 {
			t.Fatal("ListTickets pages never end")
		}
		c := CursorOf(page[len(page)-1])
		q.After = &c
	}
	slices.Sort(out)
	return out, nil
}

// checkAgreement compares both sides for one filter. A filter Tree rejects
// must fail CompileFilter and ListTickets with the very same error.
func checkAgreement(t testing.TB, s *Store, facts map[int64]model.TicketFacts, deleted map[int64]bool, f model.Filter, trash bool, limit int) (valid bool) {
	t.Helper()
	tree, treeErr := f.Tree()
	where, args, err := CompileFilter(f, filterNow)
	if treeErr != nil {
		if err == nil || err.Error() != treeErr.Error() {
			t.Fatalf("filter %s: Tree() error %q, CompileFilter error %v", describe(f), treeErr, err)
		}
		if _, err := s.ListTickets(context.Background(), TicketQuery{Filter: &f, Now: filterNow}); err == nil || err.Error() != treeErr.Error() {
			t.Fatalf("filter %s: Tree() error %q, ListTickets error %v", describe(f), treeErr, err)
		}
		return false
	}
	if err != nil {
		t.Fatalf("filter %s: CompileFilter: %v", describe(f), err)
	}
	if n := strings.Count(where, "?"); n != len(args) {
		t.Fatalf("filter %s: %d placeholders, %d args in %s", describe(f), n, len(args), where)
	}
	got, err := listIDs(t, s, f, trash, limit)
	if err != nil {
		t.Fatalf("filter %s: ListTickets: %v\nSQL: %s %q", describe(f), err, where, args)
	}
	want := evalIDs(facts, deleted, trash, tree, f.Conditions)
	if !slices.Equal(got, want) {
		extra, missing := diff(got, want), diff(want, got)
		msg := fmt.Sprintf("filter %s (trash %v): SQL and Eval disagree: %d vs %d tickets\nSQL only: %v\nEval only: %v\nSQL: %s\nargs: %q",
			describe(f), trash, len(got), len(want), head(extra), head(missing), where, args)
		for _, id := range head(append(extra, missing...)) {
			msg += fmt.Sprintf("\n  ticket %d: %+v", id, facts[id])
		}
		t.Fatal(msg)
	}
	return true
}

// fc is a condition.
func fc(f model.Field, op model.Operator, v string) model.Condition {
	return model.Condition{Field: f, Op: op, Value: v}
}

func diff(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			out = append(out, x)
		}
	}
	return out
}

func head(xs []int64) []int64 { return xs[:min(len(xs), 5)] }

func describe(f model.Filter) string {
	var b strings.Builder
	for i, c := range f.Conditions {
		fmt.Fprintf(&b, "%d: %s %s %q; ", i+1, c.Field, c.Op, c.Value)
	}
	return fmt.Sprintf("[%smatch %s %q]", b.String(), f.Match, f.Expr)
}

// filterGen draws conditions and expressions from the data.
type filterGen struct {
	d   filterData
	rng *rand.Rand
}

func (g filterGen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

// variant is v, or a piece of it, in another case, maybe padded: what an
// agent types.
func (g filterGen) variant(v string) string {
	r := []rune(v)
	switch g.rng.IntN(6) {
	case 0:
		if len(r) > 0 {
			i := g.rng.IntN(len(r))
			j := i + 1 + g.rng.IntN(len(r)-i)
			v = string(r[i:j])
		}
	case 1:
		v = strings.ToUpper(v)
	case 2:
		v = strings.ToLower(v)
	case 3:
		v = "  " + v + " "
	}
	return v
}

// recase is v in another case, maybe padded.
func (g filterGen) recase(v string) string {
	switch g.rng.IntN(3) {
	case 0:
		return strings.ToUpper(v)
	case 1:
		return " " + v + "  "
	}
	return v
}

// nonEmpty is a random non-empty value of xs.
func (g filterGen) nonEmpty(xs []string) string {
	for {
		if v := g.pick(xs); strings.TrimSpace(v) != "" {
			return v
		}
	}
}

// textValue is a value for a text or tag field: mostly from the data, some
// characters that are wildcards elsewhere, some that fold specially.
func (g filterGen) textValue(from []string) string {
	switch g.rng.IntN(10) {
	case 0:
		return g.pick([]string{"%", "_", `\`, "ß", "ss", "ö", "Ö", "k", "ς", "σ", "i̇", "fi", "zz", "@", "+", ".", "a_b", "50%"})
	case 1:
		return g.nonEmpty(from)
	}
	return g.variant(g.nonEmpty(from))
}

func (g filterGen) condition() model.Condition {
	f := model.FilterFields[g.rng.IntN(len(model.FilterFields))]
	ops := model.OperatorsFor(f)
	c := model.Condition{Field: f, Op: ops[g.rng.IntN(len(ops))]}
	switch f {
	case model.FieldContactName:
		c.Value = g.textValue(g.d.names)
	case model.FieldAssignee:
		c.Value = g.textValue(g.d.agents)
	case model.FieldContactEmail:
		c.Value = g.textValue(g.d.emails)
		if c.Op == model.OpIs || c.Op == model.OpIsNot {
			c.Value = g.nonEmpty(g.d.emails) // a whole address: NormalizeEmail refuses pieces
			if g.rng.IntN(2) == 0 {
				c.Value = " " + strings.ToUpper(c.Value)
			}
		}
	case model.FieldContactPhone:
		c.Value = g.textValue(g.d.phones)
		if c.Op == model.OpIs || c.Op == model.OpIsNot {
			c.Value = g.nonEmpty(g.d.phones) // a whole number: NormalizePhone refuses pieces
		}
		if c.Op == model.OpContains || c.Op == model.OpNotContains {
			if p := g.nonEmpty(g.d.phones); len(p) > 4 && g.rng.IntN(2) == 0 {
				i := g.rng.IntN(len(p) - 3)
				c.Value = p[i : i+3+g.rng.IntN(len(p)-i-3)]
			}
		}
	case model.FieldTicketTag, model.FieldContactTag:
		c.Value = g.textValue(g.d.tags)
	case model.FieldChannel:
		c.Value = g.recase(string(model.Channels[g.rng.IntN(len(model.Channels))]))
	case model.FieldStatus:
		c.Value = g.recase(string(model.Statuses[g.rng.IntN(len(model.Statuses))]))
	case model.FieldLeadStage:
		c.Value = g.recase(string(model.LeadStages[g.rng.IntN(len(model.LeadStages))]))
	case model.FieldCountry:
		c.Value = strings.ToLower(g.pick(fdCountries[:5]))
		if g.rng.IntN(2) == 0 {
			c.Value = strings.ToUpper(c.Value)
		}
	case model.FieldEmailUnsubscribed:
		c.Value = g.pick([]string{"true", "false", "yes", "NO", "True"})
	case model.FieldCreatedAt, model.FieldLastMessageAt:
		c.Value = g.dateValue(c.Op)
	}
	if g.rng.IntN(40) == 0 {
		c.Value = g.pick([]string{"", "   ", "yesterday", "carrier pigeon", "1x", "\x01"}) // rejected
	}
	return c
}

func (g filterGen) dateValue(op model.Operator) string {
	if op == model.OpWithin {
		n := 1 + g.rng.IntN(500)
		return fmt.Sprintf("%d%s", n, g.pick([]string{"d", "h", "m", "D"}))
	}
	at := g.d.times[g.rng.IntN(len(g.d.times))] // an existing instant: the boundary itself
	switch g.rng.IntN(4) {
	case 0:
		return at.Format("2006-01-02")
	case 1:
		at = at.Add(time.Duration(g.rng.IntN(3)-1) * time.Millisecond)
	case 2:
		return at.In(time.FixedZone("", 2*3600)).Format("2006-01-02T15:04:05.000-07:00")
	}
	return at.Format(time.RFC3339Nano)
}

// expr writes a random valid expression over conditions 1..n.
func (g filterGen) expr(n, depth int) string {
	if depth <= 0 || g.rng.IntN(3) == 0 {
		s := fmt.Sprint(1 + g.rng.IntN(n))
		if g.rng.IntN(8) == 0 {
			s = "(" + s + ")"
		}
		return s
	}
	parts := []string{g.expr(n, depth-1)}
	for k := 1 + g.rng.IntN(3); k > 0; k-- {
		op := g.pick([]string{" and ", " or ", " AND ", " Or ", "  and\t"})
		parts = append(parts, op, g.expr(n, depth-1))
	}
	s := strings.Join(parts, "")
	if g.rng.IntN(2) == 0 {
		s = "(" + s + ")"
	}
	return s
}

func (g filterGen) filter() model.Filter {
	n := 1 + g.rng.IntN(5)
	f := model.Filter{}
	for i := 0; i < n; i++ {
		f.Conditions = append(f.Conditions, g.condition())
	}
	switch g.rng.IntN(4) {
	case 0:
		f.Match = model.MatchAll
	case 1:
		f.Match = model.MatchAny
	default:
		f.Match, f.Expr = model.MatchExpr, g.expr(n, 3)
	}
	return f
}

func TestFilterAgreement(t *testing.T) {
	s := open(t)
	d := seedFilterData(t, s, 7, 300, 1000)
	facts, deleted := ticketFacts(t, s)
	g := filterGen{d: d, rng: rand.New(rand.NewPCG(42, 43))}
	valid, nonEmpty := 0, 0
	filters := 500
	if testing.Short() {
		filters = 100
	}
	for i := 0; i < filters; i++ {
		f := g.filter()
		trash := i%10 == 9
		if checkAgreement(t, s, facts, deleted, f, trash, 7+g.rng.IntN(120)) {
			valid++
			if tree, _ := f.Tree(); len(evalIDs(facts, deleted, trash, tree, f.Conditions)) > 0 {
				nonEmpty++
			}
		}
	}
	t.Logf("%d filters: %d valid, %d matching some tickets", filters, valid, nonEmpty)
	if valid < filters*3/4 || nonEmpty < valid/3 {
		t.Fatalf("the generator is too weak: %d of %d filters valid, %d matching some tickets", valid, filters, nonEmpty)
	}
}

// TestFilterAgreementEdges pins the cases the random filters might miss.
func TestFilterAgreementEdges(t *testing.T) {
	s := open(t)
	d := seedFilterData(t, s, 3, 120, 400)
	facts, deleted := ticketFacts(t, s)
	at := d.times[0]
	cases := []model.Filter{
		{},                      // no conditions: every ticket
		{Match: model.MatchAny}, // the same
		{Conditions: []model.Condition{fc(model.FieldContactName, model.OpContains, "ödön")}},
		{Conditions: []model.Condition{fc(model.FieldContactName, model.OpIs, "ÖDÖN KOVÁCS")}},
		{Conditions: []model.Condition{fc(model.FieldContactName, model.OpContains, "%")}},
		{Conditions: []model.Condition{fc(model.FieldContactName, model.OpContains, "_")}},
		{Conditions: []model.Condition{fc(model.FieldContactName, model.OpContains, `\`)}},
		{Conditions: []model.Condition{fc(model.FieldContactName, model.OpNotContains, "ss")}},
		{Conditions: []model.Condition{fc(model.FieldContactName, model.OpIs, "kelvin")}},
		{Conditions: []model.Condition{fc(model.FieldAssignee, model.OpIs, "STRASSE")}},
		{Conditions: []model.Condition{fc(model.FieldAssignee, model.OpIs, "carol")}},
		{Conditions: []model.Condition{fc(model.FieldAssignee, model.OpIsNot, "éva")}},
		{Conditions: []model.Condition{fc(model.FieldAssignee, model.OpContains, "%_")}},
		{Conditions: []model.Condition{fc(model.FieldContactEmail, model.OpContains, "STRASSE@")}},
		{Conditions: []model.Condition{fc(model.FieldContactEmail, model.OpIs, "mixed.case@example.com")}},
		{Conditions: []model.Condition{fc(model.FieldContactPhone, model.OpContains, "20 7946")}},
		{Conditions: []model.Condition{fc(model.FieldContactPhone, model.OpIsNot, "+4915112345678")}},
		{Conditions: []model.Condition{fc(model.FieldTicketTag, model.OpIs, "größe")}},
		{Conditions: []model.Condition{fc(model.FieldTicketTag, model.OpNotContains, "bill")}},
		{Conditions: []model.Condition{fc(model.FieldContactTag, model.OpContains, "%")}},
		{Conditions: []model.Condition{fc(model.FieldContactTag, model.OpIsNot, "vip")}},
		{Conditions: []model.Condition{fc(model.FieldCountry, model.OpIsNot, "de")}},
		{Conditions: []model.Condition{fc(model.FieldEmailUnsubscribed, model.OpIs, "yes")}},
		{Conditions: []model.Condition{fc(model.FieldCreatedAt, model.OpBefore, at.Format(time.RFC3339Nano))}},
		{Conditions: []model.Condition{fc(model.FieldCreatedAt, model.OpAfter, at.Format(time.RFC3339Nano))}},
		{Conditions: []model.Condition{fc(model.FieldLastMessageAt, model.OpWithin, "30d")}},
		{Conditions: []model.Condition{fc(model.FieldLastMessageAt, model.OpBefore, "2025-01-01")}},
		{Conditions: []model.Condition{
			fc(model.FieldChannel, model.OpIs, "email"), fc(model.FieldChannel, model.OpIs, "SMS"),
			fc(model.FieldStatus, model.OpIsNot, "closed")}, Match: model.MatchExpr, Expr: "1 or 2 and 3"},
		{Conditions: []model.Condition{
			fc(model.FieldChannel, model.OpIs, "email"), fc(model.FieldChannel, model.OpIs, "SMS"),
			fc(model.FieldStatus, model.OpIsNot, "closed")}, Match: model.MatchExpr, Expr: "(1 or 2) and 3"},
		{Conditions: []model.Condition{
			fc(model.FieldLastMessageAt, model.OpAfter, "2025-01-01"), fc(model.FieldLastMessageAt, model.OpBefore, "2024-09-01"),
			fc(model.FieldChannel, model.OpIs, "whatsapp")}, Match: model.MatchExpr, Expr: "(1 OR 2) AND 3"},
	}
	for _, f := range cases {
		for _, trash := range []bool{false, true} {
			if !checkAgreement(t, s, facts, deleted, f, trash, 13) {
				t.Errorf("filter %s: rejected", describe(f))
			}
		}
	}
}

// TestListTicketsFilterComposes checks that a filter narrows the other
// selections of TicketQuery instead of replacing them.
func TestListTicketsFilterComposes(t *testing.T) {
	s := open(t)
	seedFilterData(t, s, 5, 60, 300)
	facts, deleted := ticketFacts(t, s)
	f := model.Filter{Conditions: []model.Condition{fc(model.FieldStatus, model.OpIsNot, "closed")}}
	got, err := s.ListTickets(context.Background(), TicketQuery{Channel: model.SMS, Filter: &f, Now: filterNow, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for id, tf := range facts {
		if !deleted[id] && tf.Channel == model.SMS && tf.Status != model.StatusClosed {
			want++
		}
	}
	for _, tk := range got {
		if tk.Channel != model.SMS || tk.Status == model.StatusClosed {
			t.Fatalf("ticket %d: %s %s slipped through", tk.ID, tk.Channel, tk.Status)
		}
	}
	if len(got) != want || want == 0 {
		t.Fatalf("got %d tickets, want %d", len(got), want)
	}
}

func TestCompileFilterSQL(t *testing.T) {
	asg := folded(`t.assignee`)
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	cases := []struct {
		name  string
		f     model.Filter
		where string
		args  []any
	}{
		{"no conditions", model.Filter{}, "", nil},
		{"contains, folded, % literal",
			model.Filter{Conditions: []model.Condition{fc(model.FieldContactName, model.OpContains, " ÖDÖN 50% ")}},
			`(instr(c.name_fold, ?) > 0)`, []any{"ödön 50%"}},
		{"1 or 2 and 3",
			model.Filter{Match: model.MatchExpr, Expr: "1 or 2 and 3", Conditions: []model.Condition{
				fc(model.FieldChannel, model.OpIs, "Email"), fc(model.FieldStatus, model.OpIsNot, "closed"), fc(model.FieldAssignee, model.OpIs, "Bob")}},
			`((+t.channel = ?) OR ((+t.status <> ?) AND (` + asg + ` = ?)))`, []any{"email", "closed", "bob"}},
		{"(1 or 2) and 3",
			model.Filter{Match: model.MatchExpr, Expr: "(1 or 2) and 3", Conditions: []model.Condition{
				fc(model.FieldChannel, model.OpIs, "email"), fc(model.FieldChannel, model.OpIs, "sms"), fc(model.FieldLastMessageAt, model.OpBefore, "2024-05-01")}},
			`(((+t.channel = ?) OR (+t.channel = ?)) AND (t.last_message_at < ?))`, []any{"email", "sms", day}},
		{"all: a left-deep AND chain",
			model.Filter{Match: model.MatchAll, Conditions: []model.Condition{
				fc(model.FieldChannel, model.OpIs, "sms"), fc(model.FieldTicketTag, model.OpIs, "VIP"), fc(model.FieldEmailUnsubscribed, model.OpIs, "no")}},
			`(((t.channel = ?) AND (EXISTS (SELECT 1 FROM ticket_tags l JOIN tags g ON g.id = l.tag_id WHERE l.ticket_id = t.id AND g.name_fold = ?))) AND (c.email_unsubscribed = ?))`,
			[]any{"sms", "vip", false}},
		{"any: a left-deep OR chain",
			model.Filter{Match: model.MatchAny, Conditions: []model.Condition{
				fc(model.FieldContactTag, model.OpNotContains, "a_b"), fc(model.FieldCreatedAt, model.OpWithin, "7d")}},
			`((NOT EXISTS (SELECT 1 FROM contact_tags l JOIN tags g ON g.id = l.tag_id WHERE l.contact_id = t.contact_id AND instr(g.name_fold, ?) > 0)) OR (+t.created_at >= ?))`,
			[]any{"a_b", filterNow.Truncate(time.Millisecond).Add(-7 * 24 * time.Hour).UnixMilli()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			where, args, err := CompileFilter(tc.f, filterNow)
			if err != nil {
				t.Fatal(err)
			}
			if where != tc.where {
				t.Errorf("where\n got %s\nwant %s", where, tc.where)
			}
			if fmt.Sprintf("%#v", args) != fmt.Sprintf("%#v", tc.args) {
				t.Errorf("args\n got %#v\nwant %#v", args, tc.args)
			}
		})
	}
}

func TestCompileFilterErrors(t *testing.T) {
	three := []model.Condition{fc(model.FieldChannel, model.OpIs, "email"), fc(model.FieldStatus, model.OpIs, "open"), fc(model.FieldContactName, model.OpIs, "x")}
	cases := []model.Filter{
		{Match: model.MatchExpr, Expr: "1"},                         // no conditions
		{Match: model.MatchExpr, Expr: "1 or 4", Conditions: three}, // no condition 4
		{Match: model.MatchExpr, Expr: "(1 or 2", Conditions: three},
		{Match: model.MatchExpr, Expr: "（1 or 2)", Conditions: three},
		{Match: model.MatchExpr, Expr: "1and 2", Conditions: three},
		{Match: "most", Conditions: three},
		{Conditions: []model.Condition{fc(model.FieldChannel, model.OpIs, "carrier pigeon")}},
		{Conditions: []model.Condition{fc(model.FieldChannel, model.OpContains, "mail")}},
		{Conditions: []model.Condition{fc("mood", model.OpIs, "happy")}},
	}
	for _, f := range cases {
		_, treeErr := f.Tree()
		where, args, err := CompileFilter(f, filterNow)
		if treeErr == nil || err == nil || err.Error() != treeErr.Error() || where != "" || args != nil {
			t.Errorf("filter %s: CompileFilter = %q, %v, %v; want Tree's error %v", describe(f), where, args, err, treeErr)
		}
		var ee *model.ExprError
		if f.Match == model.MatchExpr && (!errors.As(err, &ee) || !strings.HasPrefix(err.Error(), "Invalid logical expression")) {
			t.Errorf("filter %s: error %v is not the parser's", describe(f), err)
		}
	}
}

// TestCompileFilterNoValuesInSQL: whatever the values, the SQL text holds
// only the fixed fragments and placeholders.
func TestCompileFilterNoValuesInSQL(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := filterGen{d: filterData{names: []string{"x'); DROP TABLE tickets; --", "Robert'); --"}, emails: []string{"a'b@c.de"},
		phones: []string{"+4915112345678"}, tags: []string{"'", `"`}, agents: []string{"' OR 1=1 --"},
		times: []time.Time{filterNow}}, rng: rng}
	for i := 0; i < 300; i++ {
		f := g.filter()
		where, _, err := CompileFilter(f, filterNow)
		if err != nil {
			continue
		}
		if strings.Contains(where, "DROP") || strings.Contains(where, "--") || strings.Count(where, "'")%2 != 0 {
			t.Fatalf("filter %s: suspicious SQL %s", describe(f), where)
		}
		for _, bad := range []string{"Robert", "1=1", `"`, "a'b"} {
			if strings.Contains(where, bad) {
				t.Fatalf("filter %s: a value is pasted into %s", describe(f), where)
			}
		}
	}
}

// TestFilterPlan: the benchmark's view reads tickets_inbox in page order (no
// sort of every match), tags by probing primary keys.
func TestFilterPlan(t *testing.T) {
	s := open(t)
	seedFilterData(t, s, 9, 50, 200)
	for _, f := range []model.Filter{benchView, {Match: model.MatchAny, Conditions: benchView.Conditions}} {
		where, args, err := CompileFilter(f, filterNow)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		err = s.each(context.Background(), `EXPLAIN QUERY PLAN SELECT `+ticketCols+` FROM tickets t JOIN contacts c ON c.id = t.contact_id
			WHERE t.deleted_at IS NULL AND `+where+` ORDER BY t.last_message_at DESC, t.id DESC LIMIT 50`, args, func(r *sql.Rows) error {
			var id, parent, unused int
			var detail string
			err := r.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, "SCAN t USING INDEX tickets_inbox") || strings.Contains(all, "TEMP B-TREE") {
			t.Errorf("filter %s: plan does not walk the inbox index:\n%s", describe(f), all)
		}
	}
}

// FuzzFilterAgreement builds a filter from the fuzzer's bytes (conditions
// from a vocabulary or raw bytes, match mode, an expression generated from
// the bytes or the raw rest) and checks SQL against Eval on a small fixed
// dataset; filters Tree rejects must fail CompileFilter with its error.
//
//	go test ./storage -run '^$' -fuzz FuzzFilterAgreement -fuzztime 60s
func FuzzFilterAgreement(f *testing.F) {
	s, err := Open(f.TempDir() + "/fuzz.db")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	d := seedFilterData(f, s, 11, 40, 150)
	facts, deleted := ticketFacts(f, s)
	vocab := slices.Concat(d.names[:20], d.emails[:10], d.phones[:5], fdTags, fdAgents, []string{"email", "SMS", "open", "closed",
		"lead", "customer", "de", "HU", "true", "no", "2025-01-01", "2024-12-31T23:59:59.999Z", "7d", "36h", "90m", "%", "_", `\`, "ß", "ss"})
	f.Add([]byte{3, 0, 2, 5, 1, 1, 9, 4, 0, 1, 2, 2})
	f.Add([]byte("\x02\x00\x02\x01\x03\x01\x07\x02\x03(1 or 2) and 1"))
	f.Add([]byte("\x03\x0b\x00\x12\x0c\x06\x40\x00\x01\x01\x031 or 2 and 3"))
	f.Add([]byte("\x01\x00\x02\xffÖDÖN\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := byteReader{data: data}
		fl := model.Filter{}
		allOps := []model.Operator{model.OpIs, model.OpIsNot, model.OpContains, model.OpNotContains, model.OpBefore, model.OpAfter, model.OpWithin}
		for n := int(r.next() % 6); n > 0; n-- {
			field := model.FilterFields[int(r.next())%len(model.FilterFields)]
			ops := model.OperatorsFor(field)
			op := ops[int(r.next())%len(ops)]
			if b := r.next(); b >= 0xf0 {
				op = allOps[int(b)%len(allOps)] // maybe one that does not fit
			}
			var value string
			if b := r.next(); b >= 0xc0 {
				value = string(r.take(int(b) % 16)) // raw bytes
			} else {
				value = vocab[int(b)%len(vocab)]
			}
			fl.Conditions = append(fl.Conditions, model.Condition{Field: field, Op: op, Value: value})
		}
		switch m := r.next() % 4; m {
		case 0:
			fl.Match = model.MatchAll
		case 1:
			fl.Match = model.MatchAny
		case 2:
			fl.Match = model.MatchExpr
			g := filterGen{rng: rand.New(rand.NewPCG(uint64(r.next()), uint64(r.next())))}
			fl.Expr = g.expr(max(1, len(fl.Conditions)), 3)
		default:
			fl.Match = model.MatchExpr
			fl.Expr = string(r.rest())
			if !utf8.ValidString(fl.Expr) {
				fl.Expr = strings.ToValidUTF8(fl.Expr, "?")
			}
		}
		checkAgreement(t, s, facts, deleted, fl, false, 29)
	})
}

// byteReader hands out fuzz bytes, zeros once they run out.
type byteReader struct {
	data []byte
	i    int
}

func (r *byteReader) next() byte {
	if r.i >= len(r.data) {
		return 0
	}
	r.i++
	return r.data[r.i-1]
}

func (r *byteReader) take(n int) []byte {
	n = min(n, len(r.data)-r.i)
	out := r.data[r.i : r.i+n]
	r.i += n
	return out
}

func (r *byteReader) rest() []byte { return r.take(len(r.data)) }
