package model

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var condCases = []struct {
	in   string
	want Condition // normalised
	err  string    // substring of the error
}{
	// The spec's field and its four operators; the value is the rest of the
	// line, spaces, % and _ included.
	{in: "contact_name contains ann", want: Condition{FieldContactName, OpContains, "ann"}},
	{in: "contact_name is not Bob Smith", want: Condition{FieldContactName, OpIsNot, "Bob Smith"}},
	{in: "contact_name is Bob Smith", want: Condition{FieldContactName, OpIs, "Bob Smith"}},
	{in: "contact_name not contains 100%_off ", want: Condition{FieldContactName, OpNotContains, "100%_off"}},
	{in: "  CONTACT_NAME   IS   NOT   Ödön  ", want: Condition{FieldContactName, OpIsNot, "Ödön"}},
	{in: "contact_name is_not x", want: Condition{FieldContactName, OpIsNot, "x"}},
	{in: "contact_name NOT_CONTAINS  a  b ", want: Condition{FieldContactName, OpNotContains, "a  b"}},
	{in: "contact_name is notable", want: Condition{FieldContactName, OpIs, "notable"}},
	{in: "contact_name is not not", want: Condition{FieldContactName, OpIsNot, "not"}},
	{in: "contact_name is not", err: "contact_name is not: value is empty"},
	{in: "contact_name contains", err: "contact_name contains: value is empty"},
	{in: "contact_name", err: `has no operator (contact_name takes is, is not, contains, not contains)`},
	{in: "", err: "condition is empty"},
	{in: "contact_name like ann", err: `unknown operator "like"`},
	{in: "contact_name not ann", err: `unknown operator "not"`},
	{in: "name contains ann", err: `unknown field "name"`},
	{in: "contact_name contains a\tb", err: "control character"},
	{in: "contact_name contains " + strings.Repeat("x", 501), err: "501 characters long (at most 500)"},
	{in: "contact_name before 2024-01-01", err: `contact_name does not take operator "before" (use is, is not, contains, not contains)`},
	{in: "assignee is  Maria ", want: Condition{FieldAssignee, OpIs, "Maria"}},

	// Email and phone.
	{in: "contact_email is Ann <ANN@Example.COM>", want: Condition{FieldContactEmail, OpIs, "ann@example.com"}},
	{in: "contact_email is not ann@x", err: "contact_email is not: email address"},
	{in: "contact_email contains @Example.", want: Condition{FieldContactEmail, OpContains, "@Example."}},
	{in: "contact_phone is +49 151 2345 6789", want: Condition{FieldContactPhone, OpIs, "+4915123456789"}},
	{in: "contact_phone is banana", err: "contact_phone is: phone number"},
	{in: "contact_phone contains (151) 234-56.78", want: Condition{FieldContactPhone, OpContains, "1512345678"}},
	{in: "contact_phone not contains - -", err: `value "- -" is only spaces and - ( ) .`},

	// Enums.
	{in: "channel is WhatsApp", want: Condition{FieldChannel, OpIs, "whatsapp"}},
	{in: "channel is not email", want: Condition{FieldChannel, OpIsNot, "email"}},
	{in: "channel is fax", err: `channel is: unknown channel "fax"`},
	{in: "channel contains mail", err: `channel does not take operator "contains" (use is, is not)`},
	{in: "status is OPEN", want: Condition{FieldStatus, OpIs, "open"}},
	{in: "status is done", err: `status "done" is not one of`},
	{in: "lead_stage is not Customer", want: Condition{FieldLeadStage, OpIsNot, "customer"}},
	{in: "lead_stage is prospect", err: `lead stage "prospect"`},
	{in: "country is de", want: Condition{FieldCountry, OpIs, "DE"}},
	{in: "country is not US", want: Condition{FieldCountry, OpIsNot, "US"}},
	{in: "country is Germany", err: "not an ISO 3166 two-letter code"},

	// Tags.
	{in: "ticket_tag is  VIP   customer ", want: Condition{FieldTicketTag, OpIs, "VIP customer"}},
	{in: "contact_tag contains 50%", want: Condition{FieldContactTag, OpContains, "50%"}},
	{in: "contact_tag not contains x", want: Condition{FieldContactTag, OpNotContains, "x"}},
	{in: "ticket_tag is " + strings.Repeat("t", 41), err: "longer than 40 characters"},

	// Email unsubscribed.
	{in: "email_unsubscribed is true", want: Condition{FieldEmailUnsubscribed, OpIs, "true"}},
	{in: "email_unsubscribed is No", want: Condition{FieldEmailUnsubscribed, OpIs, "false"}},
	{in: "email_unsubscribed is maybe", err: `value "maybe" is not true or false`},
	{in: "email_unsubscribed is not true", err: `email_unsubscribed does not take operator "is not" (use is)`},

	// Dates.
	{in: "created_at within 7d", want: Condition{FieldCreatedAt, OpWithin, "7d"}},
	{in: "created_at within 007D", want: Condition{FieldCreatedAt, OpWithin, "7d"}},
	{in: "last_message_at within 12h", want: Condition{FieldLastMessageAt, OpWithin, "12h"}},
	{in: "last_message_at within 30m", want: Condition{FieldLastMessageAt, OpWithin, "30m"}},
	{in: "created_at within 36500d", want: Condition{FieldCreatedAt, OpWithin, "36500d"}},
	{in: "created_at within 36501d", err: "longer than 100 years"},
	{in: "created_at within 876000h", want: Condition{FieldCreatedAt, OpWithin, "876000h"}},
	{in: "created_at within 876001h", err: "longer than 100 years"},
	{in: "created_at within 52560001m", err: "longer than 100 years"},
	{in: "created_at within 107000d", err: "longer than 100 years"}, // found by the fuzzer: days × 24h overflowed
	{in: "created_at within 0d", err: `span "0d" is zero`},
	{in: "created_at within 7", err: "is not a span like 7d"},
	{in: "created_at within +7d", err: "is not a span like 7d"},
	{in: "created_at within 7 d", err: "is not a span like 7d"},
	{in: "created_at within 1w", err: "is not a span like 7d"},
	{in: "created_at within 99999999999999999999d", err: "longer than 100 years"},
	{in: "created_at before 2024-05-01", want: Condition{FieldCreatedAt, OpBefore, "2024-05-01"}},
	{in: "created_at after 2024-05-01T10:30:00+02:00", want: Condition{FieldCreatedAt, OpAfter, "2024-05-01T08:30:00Z"}},
	{in: "created_at after 2024-05-01T10:30:00.250Z", want: Condition{FieldCreatedAt, OpAfter, "2024-05-01T10:30:00.25Z"}},
	{in: "created_at after 2024-05-01T10:30:00.2501Z", err: "more precise than a millisecond"},
	{in: "created_at before 2024-02-30", err: "is not a date (YYYY-MM-DD) or an RFC 3339 time"},
	{in: "created_at before 2024-5-1", err: "is not a date (YYYY-MM-DD) or an RFC 3339 time"},
	{in: "created_at before yesterday", err: "is not a date (YYYY-MM-DD) or an RFC 3339 time"},
	{in: "created_at within", err: "created_at within: value is empty"},
	{in: "created_at is 2024-05-01", err: `created_at does not take operator "is" (use before, after, within)`},
}

func TestParseCondition(t *testing.T) {
	for _, c := range condCases {
		got, err := ParseCondition(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseCondition(%q) = %#v, %v; want error containing %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseCondition(%q) = %#v, %v; want %#v", c.in, got, err, c.want)
			continue
		}
		if err := got.Validate(); err != nil {
			t.Errorf("ParseCondition(%q) = %#v does not re-validate: %v", c.in, got, err)
		}
		if again, err := got.Normalize(); err != nil || again != got {
			t.Errorf("Normalize(%#v) = %#v, %v; want it unchanged", got, again, err)
		}
	}
}

func TestConditionValidate(t *testing.T) {
	for _, tc := range []struct {
		c   Condition
		err string
	}{
		{Condition{FieldContactName, OpContains, "ann"}, ""},
		{Condition{FieldContactName, OpContains, "a\xffb"}, "not valid UTF-8"},
		{Condition{FieldContactName, OpContains, "   "}, "value is empty"},
		{Condition{"", OpIs, "x"}, `unknown field ""`},
		{Condition{FieldChannel, "", "email"}, `channel does not take operator ""`},
		{Condition{FieldChannel, "IS", "email"}, `channel does not take operator "IS"`},
		{Condition{FieldCreatedAt, OpBefore, "2024-05-01"}, ""},
	} {
		err := tc.c.Validate()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%#v.Validate() = %v, want %q", tc.c, err, tc.err)
		}
	}
}

func TestOperatorsFor(t *testing.T) {
	if len(FilterFields) != len(fieldKinds) {
		t.Fatalf("FilterFields lists %d fields, the table %d", len(FilterFields), len(fieldKinds))
	}
	want := map[Field]string{
		FieldContactName:       "is, is not, contains, not contains",
		FieldAssignee:          "is, is not, contains, not contains",
		FieldContactEmail:      "is, is not, contains, not contains",
		FieldContactPhone:      "is, is not, contains, not contains",
		FieldChannel:           "is, is not",
		FieldStatus:            "is, is not",
		FieldLeadStage:         "is, is not",
		FieldCountry:           "is, is not",
		FieldTicketTag:         "is, is not, contains, not contains",
		FieldContactTag:        "is, is not, contains, not contains",
		FieldEmailUnsubscribed: "is",
		FieldCreatedAt:         "before, after, within",
		FieldLastMessageAt:     "before, after, within",
	}
	for _, f := range FilterFields {
		if got := opNames(OperatorsFor(f)); got != want[f] {
			t.Errorf("OperatorsFor(%s) = %s, want %s", f, got, want[f])
		}
		if f.Label() == string(f) {
			t.Errorf("%s has no label", f)
		}
	}
	if OperatorsFor("nope") != nil {
		t.Errorf("OperatorsFor(unknown field) is not nil")
	}
	ops := OperatorsFor(FieldChannel)
	ops[0] = "mutated"
	if OperatorsFor(FieldChannel)[0] != OpIs {
		t.Errorf("OperatorsFor returns the table itself")
	}
}

var evalNow = time.Date(2024, 6, 15, 12, 0, 0, 500_700_000, time.UTC) // .5007 s: not a whole millisecond

var annTicket = TicketFacts{
	ContactName:       "Ödön Ann-Marie 100%_off",
	Channel:           WhatsApp,
	Status:            StatusOpen,
	Assignee:          "Maria",
	TicketTags:        []string{"VIP Customer", "Refund"},
	ContactTags:       nil,
	LeadStage:         StageCustomer,
	ContactEmail:      "ödön@example.com",
	ContactPhone:      "+4915123456789",
	Country:           "DE",
	EmailUnsubscribed: true,
	CreatedAt:         time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
	LastMessageAt:     time.Date(2024, 6, 8, 12, 0, 0, 500_000_000, time.UTC), // exactly 7 days before evalNow, to the millisecond
}

var emptyTicket = TicketFacts{Channel: Email, Status: StatusClosed, LeadStage: StageLead}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		cond string
		t    TicketFacts
		want bool
	}{
		// Text: Unicode case folding on both sides.
		{"contact_name contains ÖDÖN", annTicket, true},
		{"contact_name contains ödön ann", annTicket, true},
		{"contact_name is not ödön", annTicket, true},
		{"contact_name is ÖDÖN ANN-MARIE 100%_OFF", annTicket, true},
		{"contact_name is Ödön", annTicket, false},
		{"contact_name not contains ÖDÖN", annTicket, false},
		{"contact_name not contains Bob", annTicket, true},
		// % and _ are literal.
		{"contact_name contains 100%_off", annTicket, true},
		{"contact_name contains 100%", annTicket, true},
		{"contact_name contains %", annTicket, true},
		{"contact_name contains 1_0", annTicket, false},
		{"contact_name contains Ö%n", annTicket, false},
		{"contact_name contains _", emptyTicket, false},
		// Full folding: ß folds to ss.
		{"contact_name contains STRASSE", TicketFacts{ContactName: "Hauptstraße"}, true},
		{"contact_name is hauptstrasse", TicketFacts{ContactName: "HAUPTSTRASSE"}, true},
		// An empty field is not, and does not contain, anything.
		{"contact_name is x", emptyTicket, false},
		{"contact_name is not x", emptyTicket, true},
		{"contact_name contains x", emptyTicket, false},
		{"contact_name not contains x", emptyTicket, true},
		{"assignee is maria", annTicket, true},
		{"assignee is not maria", emptyTicket, true},
		{"contact_email contains @EXAMPLE.com", annTicket, true},
		{"contact_email is ÖDÖN@example.com", annTicket, true},
		{"contact_email is not x@example.com", emptyTicket, true},
		{"contact_phone contains 151 234", annTicket, true},
		{"contact_phone is +49 151 23456789", annTicket, true},
		{"contact_phone not contains +44", annTicket, true},
		// Tags: is = some tag equals; contains = some tag contains.
		{"ticket_tag is vip customer", annTicket, true},
		{"ticket_tag is vip", annTicket, false},
		{"ticket_tag contains vip", annTicket, true},
		{"ticket_tag is not refund", annTicket, false},
		{"ticket_tag is not other", annTicket, true},
		{"ticket_tag not contains und", annTicket, false},
		{"ticket_tag not contains xyz", annTicket, true},
		{"contact_tag is vip", annTicket, false},
		{"contact_tag is not vip", annTicket, true},
		{"contact_tag not contains v", annTicket, true},
		{"contact_tag contains v", annTicket, false},
		// Enums: exact equality of canonical values.
		{"channel is whatsapp", annTicket, true},
		{"channel is not WhatsApp", annTicket, false},
		{"channel is email", annTicket, false},
		{"status is open", annTicket, true},
		{"status is not closed", annTicket, true},
		{"lead_stage is customer", annTicket, true},
		{"lead_stage is not lead", emptyTicket, false},
		{"country is de", annTicket, true},
		{"country is not DE", emptyTicket, true},
		{"country is DE", emptyTicket, false},
		// Booleans.
		{"email_unsubscribed is true", annTicket, true},
		{"email_unsubscribed is false", annTicket, false},
		{"email_unsubscribed is false", emptyTicket, true},
		// Dates: before/after strict, YYYY-MM-DD is 00:00 UTC, within is at or
		// after now (to the ms) minus the span.
		{"created_at before 2024-05-01", annTicket, false},
		{"created_at after 2024-05-01", annTicket, false},
		{"created_at before 2024-05-02", annTicket, true},
		{"created_at after 2024-04-30T23:59:59.999Z", annTicket, true},
		{"created_at before 2024-05-01T02:00:00.001+02:00", annTicket, true},
		{"created_at after 2024-05-01T00:00:00-00:01", annTicket, false},
		{"last_message_at within 7d", annTicket, true},
		{"last_message_at within 168h", annTicket, true},
		{"last_message_at within 10079m", annTicket, false},
		{"last_message_at within 6d", annTicket, false},
		{"created_at within 1m", TicketFacts{CreatedAt: evalNow.Add(time.Hour)}, true},
		{"created_at before 2024-01-01", emptyTicket, true}, // the zero time
		// An invalid condition matches nothing, whatever its operator.
	} {
		c, err := ParseCondition(tc.cond)
		if err != nil {
			t.Errorf("ParseCondition(%q): %v", tc.cond, err)
			continue
		}
		if got := c.Matches(tc.t, evalNow); got != tc.want {
			t.Errorf("%q matches %+v: %v, want %v", tc.cond, tc.t, got, tc.want)
		}
	}
	for _, c := range []Condition{
		{FieldContactName, OpIsNot, ""},
		{FieldChannel, OpIsNot, "fax"},
		{FieldCreatedAt, OpBefore, "soon"},
		{"nope", OpIs, "x"},
	} {
		if c.Matches(annTicket, evalNow) || c.Matches(emptyTicket, evalNow) {
			t.Errorf("invalid %#v matches", c)
		}
	}
	// Unnormalised conditions match as their normal form does.
	if !(Condition{FieldChannel, OpIs, " WhatsApp "}).Matches(annTicket, evalNow) {
		t.Errorf("channel is ' WhatsApp ' does not match a WhatsApp ticket")
	}
}

func TestBound(t *testing.T) {
	for _, tc := range []struct {
		c    Condition
		want time.Time
		err  string
	}{
		{Condition{FieldCreatedAt, OpBefore, "2024-05-01"}, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), ""},
		{Condition{FieldCreatedAt, OpAfter, "2024-05-01T10:00:00.123+02:00"}, time.Date(2024, 5, 1, 8, 0, 0, 123e6, time.UTC), ""},
		{Condition{FieldLastMessageAt, OpWithin, "7d"}, time.Date(2024, 6, 8, 12, 0, 0, 500e6, time.UTC), ""},
		{Condition{FieldLastMessageAt, OpWithin, "90m"}, time.Date(2024, 6, 15, 10, 30, 0, 500e6, time.UTC), ""},
		{Condition{FieldContactName, OpIs, "x"}, time.Time{}, "not a date field"},
		{Condition{FieldCreatedAt, OpWithin, "x"}, time.Time{}, "not a span"},
	} {
		got, err := tc.c.Bound(evalNow.In(time.FixedZone("X", 3600)))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%#v.Bound = %v, %v; want error %q", tc.c, got, err, tc.err)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) || got.Nanosecond()%1e6 != 0 {
			t.Errorf("%#v.Bound = %v, %v; want %v", tc.c, got, err, tc.want)
		}
	}
}

func TestFilterTree(t *testing.T) {
	conds := func(n int) []Condition {
		cs := make([]Condition, n)
		for i := range cs {
			cs[i] = Condition{FieldContactName, OpContains, "x"}
		}
		return cs
	}
	for _, tc := range []struct {
		f    Filter
		want string // String of the tree, "<nil>" for none
		err  string
	}{
		{Filter{Match: MatchAll}, "<nil>", ""},
		{Filter{Match: MatchAny}, "<nil>", ""},
		{Filter{}, "<nil>", ""},
		{Filter{Conditions: conds(1), Match: MatchAll}, "1", ""},
		{Filter{Conditions: conds(3), Match: MatchAll}, "1 and 2 and 3", ""},
		{Filter{Conditions: conds(3)}, "1 and 2 and 3", ""},
		{Filter{Conditions: conds(3), Match: MatchAny}, "1 or 2 or 3", ""},
		{Filter{Conditions: conds(5), Match: MatchExpr, Expr: "(1 or 2 or 3) and (4 and 5)"}, "(1 or 2 or 3) and (4 and 5)", ""},
		{Filter{Match: MatchExpr, Expr: "1"}, "", "Invalid logical expression: add a condition before writing an expression"},
		{Filter{Match: MatchExpr}, "", "Invalid logical expression: add a condition before writing an expression"},
		{Filter{Conditions: conds(2), Match: MatchExpr, Expr: "1 or 3"}, "", "Invalid logical expression: condition 3 does not exist at 6"},
		{Filter{Conditions: conds(2), Match: "most"}, "", `unknown match "most"`},
		{Filter{Conditions: append(conds(1), Condition{FieldChannel, OpIs, "fax"}), Match: MatchAny}, "", `condition 2: channel is: unknown channel "fax"`},
	} {
		e, err := tc.f.Tree()
		if tc.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("%+v.Tree() = %v, %v; want error %q", tc.f, e, err, tc.err)
			}
			var xe *ExprError
			if strings.HasPrefix(tc.err, "Invalid logical expression") && !errors.As(err, &xe) {
				t.Errorf("%+v.Tree() error %T is not an *ExprError", tc.f, err)
			}
			continue
		}
		got := "<nil>"
		if e != nil {
			got = e.String()
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v.Tree() = %s, %v; want %s", tc.f, got, err, tc.want)
		}
	}
}

// TestEval checks the expression semantics against the truth table of every
// assignment of the five conditions, using conditions that hold exactly when
// their bit is set.
func TestEval(t *testing.T) {
	conds := make([]Condition, 5)
	for i := range conds {
		conds[i] = Condition{FieldTicketTag, OpIs, string(rune('a' + i))}
	}
	for _, tc := range []struct {
		expr string
		want func(b [5]bool) bool
	}{
		{"(1 or 2 or 3) and (4 and 5)", func(b [5]bool) bool { return (b[0] || b[1] || b[2]) && (b[3] && b[4]) }},
		{"1 or 2 and 3", func(b [5]bool) bool { return b[0] || (b[1] && b[2]) }},
		{"1 and 2 or 3 and 4 or 5", func(b [5]bool) bool { return b[0] && b[1] || b[2] && b[3] || b[4] }},
		{"(1 or 2) and (3 or 4) and 5", func(b [5]bool) bool { return (b[0] || b[1]) && (b[2] || b[3]) && b[4] }},
	} {
		e, err := ParseExpression(tc.expr, 5)
		if err != nil {
			t.Fatal(err)
		}
		for m := 0; m < 32; m++ {
			var b [5]bool
			var facts TicketFacts
			for i := range b {
				if b[i] = m&(1<<i) != 0; b[i] {
					facts.TicketTags = append(facts.TicketTags, strings.ToUpper(string(rune('a'+i))))
				}
			}
			if got := Eval(e, conds, facts, evalNow); got != tc.want(b) {
				t.Errorf("Eval(%s) with %v = %v, want %v", tc.expr, b, got, tc.want(b))
			}
		}
	}
	if !Eval(nil, nil, emptyTicket, evalNow) {
		t.Errorf("a nil Expr does not match everything")
	}
	if Eval(Cond{6}, conds, annTicket, evalNow) || Eval(Cond{0}, conds, annTicket, evalNow) {
		t.Errorf("an out-of-range condition matches")
	}
}

func TestFilterFieldsOrder(t *testing.T) {
	want := []Field{"contact_name", "channel", "status", "assignee", "ticket_tag", "contact_tag", "lead_stage",
		"contact_email", "contact_phone", "country", "email_unsubscribed", "created_at", "last_message_at"}
	if !reflect.DeepEqual(FilterFields, want) {
		t.Errorf("FilterFields = %v", FilterFields)
	}
}
