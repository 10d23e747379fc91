package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Filter conditions: "Filter Contact Tickets" in the spec. A condition is
// FIELD OPERATOR VALUE; conditions are numbered 1, 2, 3… in the order added;
// a filter matches all of them, any of them, or a logical expression over
// their numbers ("(1 or 2 or 3) and (4 and 5)").

// Field is what a condition tests.
type Field string

const (
	FieldContactName       Field = "contact_name"
	FieldChannel           Field = "channel"
	FieldStatus            Field = "status"
	FieldAssignee          Field = "assignee"
	FieldTicketTag         Field = "ticket_tag"
	FieldContactTag        Field = "contact_tag"
	FieldLeadStage         Field = "lead_stage"
	FieldContactEmail      Field = "contact_email"
	FieldContactPhone      Field = "contact_phone"
	FieldCountry           Field = "country"
	FieldEmailUnsubscribed Field = "email_unsubscribed"
	FieldCreatedAt         Field = "created_at"
	FieldLastMessageAt     Field = "last_message_at"
)

// Operator is how a condition compares. Words, as typed on the CLI.
type Operator string

const (
	OpIs          Operator = "is"
	OpIsNot       Operator = "is not"
	OpContains    Operator = "contains"
	OpNotContains Operator = "not contains"
	OpBefore      Operator = "before" // dates: an RFC 3339 time or YYYY-MM-DD
	OpAfter       Operator = "after"
	OpWithin      Operator = "within" // dates: a duration back from now ("7d", "12h")
)

// Condition is one numbered row of a filter.
type Condition struct {
	Field Field    `json:"field"`
	Op    Operator `json:"operator"`
	Value string   `json:"value"`
}

// Match is how a filter combines its conditions.
type Match string

const (
	MatchAll  Match = "all"
	MatchAny  Match = "any"
	MatchExpr Match = "expr"
)

// Filter is a view's or the filter drawer's conditions and match mode.
type Filter struct {
	Conditions []Condition `json:"conditions"`
	Match      Match       `json:"match"`
	Expr       string      `json:"expr,omitempty"` // with MatchExpr
}

// Expr is a node of a parsed logical expression: Cond, And or Or (values,
// comparable with ==). String writes it canonically (see expr.go).
type Expr interface {
	isExpr()
	String() string
}

// Cond refers to condition number N (1-based).
type Cond struct{ N int }

// And is L and R.
type And struct{ L, R Expr }

// Or is L or R.
type Or struct{ L, R Expr }

func (Cond) isExpr() {}
func (And) isExpr()  {}
func (Or) isExpr()   {}

// TicketFacts is what conditions are evaluated against in Go (the SQL
// compiler in storage must agree with it row for row).
type TicketFacts struct {
	ContactName       string
	Channel           Channel
	Status            Status
	Assignee          string
	TicketTags        []string
	ContactTags       []string
	LeadStage         LeadStage
	ContactEmail      string
	ContactPhone      string
	Country           string
	EmailUnsubscribed bool
	CreatedAt         time.Time
	LastMessageAt     time.Time
}

// ---------------------------------------------------------------------------
// Fields and their operators.

// FilterFields lists the fields a condition can test, in the builder's
// display order.
var FilterFields = []Field{
	FieldContactName, FieldChannel, FieldStatus, FieldAssignee, FieldTicketTag,
	FieldContactTag, FieldLeadStage, FieldContactEmail, FieldContactPhone,
	FieldCountry, FieldEmailUnsubscribed, FieldCreatedAt, FieldLastMessageAt,
}

type fieldKind int

const (
	kindText fieldKind = iota + 1 // folded text: is, is not, contains, not contains
	kindEnum                      // one of a fixed list: is, is not
	kindTags                      // a set of tags: is, is not, contains, not contains
	kindBool                      // true or false: is
	kindDate                      // an instant: before, after, within
)

var fieldKinds = map[Field]fieldKind{
	FieldContactName:       kindText,
	FieldAssignee:          kindText,
	FieldContactEmail:      kindText,
	FieldContactPhone:      kindText,
	FieldChannel:           kindEnum,
	FieldStatus:            kindEnum,
	FieldLeadStage:         kindEnum,
	FieldCountry:           kindEnum,
	FieldTicketTag:         kindTags,
	FieldContactTag:        kindTags,
	FieldEmailUnsubscribed: kindBool,
	FieldCreatedAt:         kindDate,
	FieldLastMessageAt:     kindDate,
}

var kindOps = map[fieldKind][]Operator{
	kindText: {OpIs, OpIsNot, OpContains, OpNotContains},
	kindEnum: {OpIs, OpIsNot},
	kindTags: {OpIs, OpIsNot, OpContains, OpNotContains},
	kindBool: {OpIs},
	kindDate: {OpBefore, OpAfter, OpWithin},
}

// OperatorsFor returns the operators that fit a field's type, in display
// order (nil for an unknown field). The slice is the caller's.
func OperatorsFor(f Field) []Operator {
	ops := kindOps[fieldKinds[f]]
	if ops == nil {
		return nil
	}
	return append([]Operator(nil), ops...)
}

// Label is the field's name in the builder.
func (f Field) Label() string {
	switch f {
	case FieldContactName:
		return "Contact Name"
	case FieldChannel:
		return "Channel"
	case FieldStatus:
		return "Status"
	case FieldAssignee:
		return "Assignee"
	case FieldTicketTag:
		return "Ticket Tag"
	case FieldContactTag:
		return "Contact Tag"
	case FieldLeadStage:
		return "Lead Stage"
	case FieldContactEmail:
		return "Contact Email"
	case FieldContactPhone:
		return "Contact Phone"
	case FieldCountry:
		return "Country"
	case FieldEmailUnsubscribed:
		return "Email Unsubscribed"
	case FieldCreatedAt:
		return "Created"
	case FieldLastMessageAt:
		return "Last Message"
	}
	return string(f)
}

func fieldNames() string {
	names := make([]string, len(FilterFields))
	for i, f := range FilterFields {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

func opNames(ops []Operator) string {
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}

// ParseField accepts a field name in any case ("contact_name").
func ParseField(s string) (Field, error) {
	f := Field(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := fieldKinds[f]; !ok {
		return "", fmt.Errorf("unknown field %q (want one of %s)", s, fieldNames())
	}
	return f, nil
}

// ParseOperator accepts an operator in any case, with a space or an
// underscore between words ("is not", "IS_NOT").
func ParseOperator(s string) (Operator, error) {
	o := Operator(strings.Join(strings.Fields(strings.ReplaceAll(strings.ToLower(s), "_", " ")), " "))
	switch o {
	case OpIs, OpIsNot, OpContains, OpNotContains, OpBefore, OpAfter, OpWithin:
		return o, nil
	}
	return "", fmt.Errorf("unknown operator %q (want one of is, is not, contains, not contains, before, after, within)", s)
}

// ---------------------------------------------------------------------------
// Conditions: parsing and validation.

// MaxConditionValue is the longest value a condition takes, in runes.
const MaxConditionValue = 500

// ParseCondition reads a condition as typed on the CLI: FIELD OPERATOR VALUE,
// separated by white space, where FIELD and OPERATOR are words in any case
// ("is not" and "not contains" are two words, or one with an underscore) and
// VALUE is the rest of the line, trimmed, taken literally (spaces, % and _
// included): "contact_name is not Bob Smith". "is not" wins over "is" with a
// value starting with "not". The result is validated and normalised (see
// Normalize).
func ParseCondition(s string) (Condition, error) {
	fieldWord, rest := cutWord(s)
	if fieldWord == "" {
		return Condition{}, fmt.Errorf("condition is empty: want FIELD OPERATOR VALUE, like \"contact_name contains ann\"")
	}
	f, err := ParseField(fieldWord)
	if err != nil {
		return Condition{}, err
	}
	opWord, rest := cutWord(rest)
	if opWord == "" {
		return Condition{}, fmt.Errorf("condition %q has no operator (%s takes %s)", strings.TrimSpace(s), f, opNames(OperatorsFor(f)))
	}
	lower := strings.ToLower(opWord)
	switch lower {
	case "is", "not":
		if second, after := cutWord(rest); (lower == "is" && strings.EqualFold(second, "not")) ||
			(lower == "not" && strings.EqualFold(second, "contains")) {
			opWord, rest = opWord+" "+second, after
		}
	}
	op, err := ParseOperator(opWord)
	if err != nil {
		return Condition{}, err
	}
	return Condition{Field: f, Op: op, Value: rest}.Normalize()
}

// cutWord returns the first white-space-separated word of s and what follows
// it (not trimmed on the right, but the leading white space is dropped).
func cutWord(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeftFunc(s[i:], unicode.IsSpace)
}

// Validate reports whether the condition is usable: a known field, an
// operator that fits it and a value of the right form (see Normalize).
func (c Condition) Validate() error {
	_, err := c.Normalize()
	return err
}

// Normalize validates the condition and returns it with its value in
// canonical form; normalising the result again returns it unchanged. Values
// are trimmed, valid UTF-8 without control characters, non-empty and at most
// MaxConditionValue runes. Then, by field:
//
//   - contact_name, assignee: as typed.
//   - contact_email: with is / is not, NormalizeEmail (lower case, no display
//     name); with contains / not contains, as typed.
//   - contact_phone: with is / is not, NormalizePhone to E.164; with contains /
//     not contains, spaces and - ( ) . removed ("151 123" → "151123").
//   - channel, status, lead_stage: lower case, one of the known values.
//   - country: upper-case ISO 3166-1 alpha-2.
//   - ticket_tag, contact_tag: NormalizeTag (inner white space collapsed).
//   - email_unsubscribed: "true" or "false" (yes/no accepted).
//   - created_at, last_message_at with before / after: YYYY-MM-DD kept as is,
//     or an RFC 3339 time rewritten in UTC ("2024-05-01T08:00:00.5Z"), whole
//     milliseconds (the precision tickets are stored at), years 1 to 9999.
//   - with within: "<N>d", "<N>h" or "<N>m" (days, hours, minutes), N ≥ 1
//     without leading zeros, at most 100 years.
func (c Condition) Normalize() (Condition, error) {
	kind, ok := fieldKinds[c.Field]
	if !ok {
		return Condition{}, fmt.Errorf("unknown field %q (want one of %s)", c.Field, fieldNames())
	}
	ops := kindOps[kind]
	fits := false
	for _, o := range ops {
		fits = fits || o == c.Op
	}
	if !fits {
		return Condition{}, fmt.Errorf("%s does not take operator %q (use %s)", c.Field, c.Op, opNames(ops))
	}
	v := strings.TrimSpace(c.Value)
	if !utf8.ValidString(v) {
		return Condition{}, fmt.Errorf("%s %s: value is not valid UTF-8", c.Field, c.Op)
	}
	if v == "" {
		return Condition{}, fmt.Errorf("%s %s: value is empty", c.Field, c.Op)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return Condition{}, fmt.Errorf("%s %s: value %q holds a control character", c.Field, c.Op, v)
	}
	if n := utf8.RuneCountInString(v); n > MaxConditionValue {
		return Condition{}, fmt.Errorf("%s %s: value is %d characters long (at most %d)", c.Field, c.Op, n, MaxConditionValue)
	}
	var err error
	switch c.Field {
	case FieldContactEmail:
		if c.Op == OpIs || c.Op == OpIsNot {
			v, err = NormalizeEmail(v)
		}
	case FieldContactPhone:
		if c.Op == OpIs || c.Op == OpIsNot {
			v, err = NormalizePhone(v, "")
		} else {
			v = strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) || strings.ContainsRune("-().", r) {
					return -1
				}
				return r
			}, v)
			if v == "" {
				err = fmt.Errorf("value %q is only spaces and - ( ) .", strings.TrimSpace(c.Value))
			}
		}
	case FieldChannel:
		var ch Channel
		ch, err = ParseChannel(v)
		v = string(ch)
	case FieldStatus:
		var st Status
		st, err = ParseStatus(v)
		v = string(st)
	case FieldLeadStage:
		v, err = NormalizeField("lead_stage", v)
	case FieldCountry:
		v, err = NormalizeCountry(v)
	case FieldTicketTag, FieldContactTag:
		v, err = NormalizeTag(v)
	case FieldEmailUnsubscribed:
		switch strings.ToLower(v) {
		case "true", "yes":
			v = "true"
		case "false", "no":
			v = "false"
		default:
			err = fmt.Errorf("value %q is not true or false", v)
		}
	case FieldCreatedAt, FieldLastMessageAt:
		if c.Op == OpWithin {
			v, _, err = parseWithin(v)
		} else {
			v, _, err = parseInstant(v)
		}
	}
	if err != nil {
		return Condition{}, fmt.Errorf("%s %s: %w", c.Field, c.Op, err)
	}
	return Condition{Field: c.Field, Op: c.Op, Value: v}, nil
}

const dateLayout = "2006-01-02"

// parseInstant reads YYYY-MM-DD (that day's 00:00 UTC) or RFC 3339 and
// returns the canonical value and the instant.
func parseInstant(v string) (string, time.Time, error) {
	if t, err := time.Parse(dateLayout, v); err == nil {
		if t.Year() < 1 {
			return "", time.Time{}, fmt.Errorf("date %q is before year 1", v)
		}
		return t.Format(dateLayout), t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD) or an RFC 3339 time (like 2024-05-01T09:30:00+02:00)", v)
	}
	t = t.UTC()
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		return "", time.Time{}, fmt.Errorf("time %q is more precise than a millisecond", v)
	}
	if t.Year() < 1 || t.Year() > 9999 {
		return "", time.Time{}, fmt.Errorf("time %q is outside the years 1 to 9999", v)
	}
	return t.Format("2006-01-02T15:04:05.999Z07:00"), t, nil
}

// maxWithin is the longest "within" span: 100 years of days.
const maxWithin = 36500 * 24 * time.Hour

// parseWithin reads "<N>d", "<N>h" or "<N>m" and returns the canonical
// value and the duration.
func parseWithin(v string) (string, time.Duration, error) {
	bad := fmt.Errorf("%q is not a span like 7d, 12h or 30m (days, hours, minutes)", v)
	s := strings.ToLower(v)
	if len(s) < 2 {
		return "", 0, bad
	}
	digits, unit := s[:len(s)-1], s[len(s)-1]
	if !isDigits(digits) {
		return "", 0, bad
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return "", 0, fmt.Errorf("span %q is zero", v)
	}
	if len(digits) > 9 {
		return "", 0, fmt.Errorf("span %q is longer than 100 years", v)
	}
	n, _ := strconv.Atoi(digits)
	var per time.Duration
	switch unit {
	case 'd':
		per = 24 * time.Hour
	case 'h':
		per = time.Hour
	case 'm':
		per = time.Minute
	default:
		return "", 0, bad
	}
	if time.Duration(n) > maxWithin/per { // before multiplying, which could overflow
		return "", 0, fmt.Errorf("span %q is longer than 100 years", v)
	}
	return digits + string(unit), time.Duration(n) * per, nil
}

// Bound is the instant a date condition compares with, a whole millisecond:
// for before/after the value's instant (YYYY-MM-DD is that day's 00:00 UTC),
// for within now truncated to the millisecond minus the span. The SQL side
// compares stored unix milliseconds with Bound(now).UnixMilli().
func (c Condition) Bound(now time.Time) (time.Time, error) {
	n, err := c.Normalize()
	if err != nil {
		return time.Time{}, err
	}
	if fieldKinds[n.Field] != kindDate {
		return time.Time{}, fmt.Errorf("%s is not a date field", n.Field)
	}
	return bound(n, now), nil
}

// bound is Bound for a normalised date condition.
func bound(n Condition, now time.Time) time.Time {
	if n.Op == OpWithin {
		_, d, _ := parseWithin(n.Value)
		return now.UTC().Truncate(time.Millisecond).Add(-d)
	}
	_, t, _ := parseInstant(n.Value)
	return t
}

// ---------------------------------------------------------------------------
// Filters.

// Tree returns the filter's logical expression: for all (or an empty Match)
// the left-deep chain 1 and 2 and … n, for any 1 or 2 or … n, for expr
// ParseExpression(f.Expr, len(f.Conditions)) (its *ExprError as is). With no
// conditions, all and any return a nil Expr: match every ticket. Every
// condition is validated too ("condition 2: …").
func (f Filter) Tree() (Expr, error) {
	var e Expr
	switch f.Match {
	case MatchAll, "", MatchAny:
		for i := range f.Conditions {
			c := Cond{i + 1}
			switch {
			case e == nil:
				e = c
			case f.Match == MatchAny:
				e = Or{e, c}
			default:
				e = And{e, c}
			}
		}
	case MatchExpr:
		var err error
		if e, err = ParseExpression(f.Expr, len(f.Conditions)); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown match %q (want all, any or expr)", f.Match)
	}
	for i, c := range f.Conditions {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("condition %d: %w", i+1, err)
		}
	}
	return e, nil
}

// ---------------------------------------------------------------------------
// Evaluation: the semantics the SQL compiler in storage copies row for row.

// Matches reports whether the ticket meets the condition at time now.
//
// The condition is first normalised (Normalize); an invalid one matches no
// ticket, whatever its operator (Filter.Tree rejects them, so a compiled
// filter never holds one). Then, with V the normalised value:
//
//   - Text fields (contact_name, assignee, contact_email, contact_phone):
//     both sides go through Fold (trim, then Unicode full case folding), F the
//     folded field, v = Fold(V). is: F == v. contains: v is a substring of F
//     (byte-wise on the folded UTF-8, like SQLite's instr; % and _ are
//     ordinary characters, there are no wildcards). is not / not contains:
//     the exact negations, so an empty field "is not" and "does not contain"
//     any value.
//   - Tags (ticket_tag: the ticket's tags, contact_tag: its contact's): is:
//     some tag T has Fold(T) == v; contains: some tag has v as a substring of
//     Fold(T); is not / not contains: the exact negations (true with no tags).
//   - channel, status, lead_stage, country: exact equality of the stored
//     canonical value with V (lower case; country upper case); is not is the
//     negation (an empty country "is not" DE).
//   - email_unsubscribed is V: the flag equals V == "true".
//   - Dates (created_at, last_message_at), B = Bound(now) (whole ms): before:
//     t < B; after: t > B; within: t >= B (the future included).
//
// TicketFacts hold stored forms: enums canonical, times at whole
// milliseconds as storage keeps them.
func (c Condition) Matches(t TicketFacts, now time.Time) bool {
	n, err := c.Normalize()
	if err != nil {
		return false
	}
	switch n.Field {
	case FieldContactName:
		return matchText(n.Op, t.ContactName, n.Value)
	case FieldAssignee:
		return matchText(n.Op, t.Assignee, n.Value)
	case FieldContactEmail:
		return matchText(n.Op, t.ContactEmail, n.Value)
	case FieldContactPhone:
		return matchText(n.Op, t.ContactPhone, n.Value)
	case FieldTicketTag:
		return matchTags(n.Op, t.TicketTags, n.Value)
	case FieldContactTag:
		return matchTags(n.Op, t.ContactTags, n.Value)
	case FieldChannel:
		return (string(t.Channel) == n.Value) == (n.Op == OpIs)
	case FieldStatus:
		return (string(t.Status) == n.Value) == (n.Op == OpIs)
	case FieldLeadStage:
		return (string(t.LeadStage) == n.Value) == (n.Op == OpIs)
	case FieldCountry:
		return (t.Country == n.Value) == (n.Op == OpIs)
	case FieldEmailUnsubscribed:
		return t.EmailUnsubscribed == (n.Value == "true")
	case FieldCreatedAt:
		return matchDate(n, t.CreatedAt, now)
	case FieldLastMessageAt:
		return matchDate(n, t.LastMessageAt, now)
	}
	return false
}

func matchText(op Operator, field, value string) bool {
	f, v := Fold(field), Fold(value)
	switch op {
	case OpIs:
		return f == v
	case OpIsNot:
		return f != v
	case OpContains:
		return strings.Contains(f, v)
	case OpNotContains:
		return !strings.Contains(f, v)
	}
	return false
}

func matchTags(op Operator, tags []string, value string) bool {
	v := Fold(value)
	has := false
	for _, tag := range tags {
		f := Fold(tag)
		if op == OpIs || op == OpIsNot {
			has = f == v
		} else {
			has = strings.Contains(f, v)
		}
		if has {
			break
		}
	}
	if op == OpIsNot || op == OpNotContains {
		return !has
	}
	return has
}

func matchDate(n Condition, at, now time.Time) bool {
	b := bound(n, now)
	switch n.Op {
	case OpBefore:
		return at.Before(b)
	case OpAfter:
		return at.After(b)
	case OpWithin:
		return !at.Before(b)
	}
	return false
}

// Eval evaluates a parsed expression for a ticket: Cond{N} is
// conds[N-1].Matches(t, now) (false when N is out of range), And and Or
// short-circuit, and a nil Expr (no conditions) matches every ticket.
func Eval(e Expr, conds []Condition, t TicketFacts, now time.Time) bool {
	switch x := e.(type) {
	case nil:
		return true
	case Cond:
		return x.N >= 1 && x.N <= len(conds) && conds[x.N-1].Matches(t, now)
	case And:
		return Eval(x.L, conds, t, now) && Eval(x.R, conds, t, now)
	case Or:
		return Eval(x.L, conds, t, now) || Eval(x.R, conds, t, now)
	}
	return false
}

// String is the filter on one line, as lists of views show it:
// "all: Contact Name contains ann · Status is open", or for an expression
// "(1 or 2) and 3: 1 Contact Name contains ann · …".
func (f Filter) String() string {
	if len(f.Conditions) == 0 {
		return "every ticket"
	}
	parts := make([]string, len(f.Conditions))
	for i, c := range f.Conditions {
		parts[i] = c.Field.Label() + " " + string(c.Op) + " " + c.Value
		if f.Match == MatchExpr {
			parts[i] = strconv.Itoa(i+1) + " " + parts[i]
		}
	}
	switch f.Match {
	case MatchAny:
		return "any: " + strings.Join(parts, " · ")
	case MatchExpr:
		return f.Expr + ": " + strings.Join(parts, " · ")
	}
	return "all: " + strings.Join(parts, " · ")
}
