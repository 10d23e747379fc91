package model

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets for the filter's parsers, seeded with their tables; run one
// with
//
//	go test ./model -run '^$' -fuzz '^FuzzParseExpression$' -fuzztime 30s

// FuzzParseExpression: never panics; every error is an *ExprError whose
// message starts with "Invalid logical expression" and whose position lies
// in the input; a valid expression names only conditions 1..n, and its
// String parses back to an equal AST and is its own canonical form.
func FuzzParseExpression(f *testing.F) {
	for _, c := range exprCases {
		f.Add(c.in, c.n)
	}
	f.Add("1 or 2 and 3 or (4 and (5 or 1)) and 2", 5)
	f.Add("(((1)))or(2)AND(3)", 3)
	f.Add("1\u00a0and\u20282", 2)
	f.Add("1 and \xff", 2)
	f.Add("1 or 2", -1)
	f.Fuzz(func(t *testing.T, in string, n int) {
		n %= 40
		e, err := ParseExpression(in, n)
		if err != nil {
			if e != nil {
				t.Fatalf("ParseExpression(%q, %d) = %v with error %v", in, n, e, err)
			}
			if !strings.HasPrefix(err.Error(), "Invalid logical expression") {
				t.Fatalf("ParseExpression(%q, %d) error %q lacks the prefix", in, n, err)
			}
			var xe *ExprError
			if !errors.As(err, &xe) {
				t.Fatalf("ParseExpression(%q, %d) error %T is not an *ExprError", in, n, err)
			}
			if runes := utf8.RuneCountInString(in); xe.Pos < 0 || xe.Pos > runes+1 {
				t.Fatalf("ParseExpression(%q, %d) error %q: position %d is outside 0..%d", in, n, err, xe.Pos, runes+1)
			}
			if xe.Msg == "" || !utf8.ValidString(xe.Msg) {
				t.Fatalf("ParseExpression(%q, %d) error %q says nothing readable", in, n, err)
			}
			return
		}
		if n < 1 {
			t.Fatalf("ParseExpression(%q, %d) = %v with no conditions", in, n, e)
		}
		if e == nil {
			t.Fatalf("ParseExpression(%q, %d) = nil, nil", in, n)
		}
		checkConds(t, in, e, n)
		s := e.String()
		again, err := ParseExpression(s, n)
		if err != nil {
			t.Fatalf("ParseExpression(%q, %d) = %s, which does not parse: %v", in, n, s, err)
		}
		if again != e {
			t.Fatalf("ParseExpression(%q, %d) = %#v; its String %q parses to %#v", in, n, e, s, again)
		}
		if again.String() != s {
			t.Fatalf("String of %q is %q, then %q", in, s, again.String())
		}
	})
}

func checkConds(t *testing.T, in string, e Expr, n int) {
	t.Helper()
	switch x := e.(type) {
	case Cond:
		if x.N < 1 || x.N > n {
			t.Fatalf("ParseExpression(%q, %d) names condition %d", in, n, x.N)
		}
	case And:
		checkConds(t, in, x.L, n)
		checkConds(t, in, x.R, n)
	case Or:
		checkConds(t, in, x.L, n)
		checkConds(t, in, x.R, n)
	default:
		t.Fatalf("ParseExpression(%q, %d) holds a %T", in, n, e)
	}
}

// FuzzParseCondition: never panics; an accepted condition has a known field
// and one of its operators, re-validates and is its own normal form; a
// ticket whose field holds exactly the value "is" it and "contains" it;
// Matches and Bound do not panic.
func FuzzParseCondition(f *testing.F) {
	for _, c := range condCases {
		f.Add(c.in)
	}
	f.Add("contact_name contains \xff")
	f.Add("created_at after 0000-01-01T00:00:00+01:00")
	f.Add("created_at before 9999-12-31T23:59:59-01:00")
	f.Add("contact_phone contains +")
	f.Add("ticket_tag is ß")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseCondition(in)
		if err != nil {
			if c != (Condition{}) || err.Error() == "" {
				t.Fatalf("ParseCondition(%q) = %#v, %v: an error must come alone and say something", in, c, err)
			}
			return
		}
		fits := false
		for _, o := range OperatorsFor(c.Field) {
			fits = fits || o == c.Op
		}
		if !fits {
			t.Fatalf("ParseCondition(%q) = %#v: operator does not fit the field", in, c)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseCondition(%q) = %#v does not re-validate: %v", in, c, err)
		}
		if again, err := c.Normalize(); err != nil || again != c {
			t.Fatalf("ParseCondition(%q) = %#v normalises again to %#v, %v", in, c, again, err)
		}
		if c.Value == "" || c.Value != strings.TrimSpace(c.Value) || !utf8.ValidString(c.Value) {
			t.Fatalf("ParseCondition(%q) = %#v: value not trimmed, empty or not UTF-8", in, c)
		}
		for _, facts := range []TicketFacts{{}, annTicket} {
			c.Matches(facts, evalNow)
		}
		var same TicketFacts
		switch c.Field {
		case FieldContactName:
			same.ContactName = c.Value
		case FieldAssignee:
			same.Assignee = c.Value
		case FieldContactEmail:
			same.ContactEmail = c.Value
		case FieldContactPhone:
			same.ContactPhone = c.Value
		case FieldTicketTag:
			same.TicketTags = []string{"other", c.Value}
		case FieldContactTag:
			same.ContactTags = []string{c.Value}
		case FieldChannel:
			same.Channel = Channel(c.Value)
		case FieldStatus:
			same.Status = Status(c.Value)
		case FieldLeadStage:
			same.LeadStage = LeadStage(c.Value)
		case FieldCountry:
			same.Country = c.Value
		case FieldEmailUnsubscribed:
			same.EmailUnsubscribed = c.Value == "true"
		case FieldCreatedAt, FieldLastMessageAt:
			b, err := c.Bound(evalNow)
			if err != nil || b.Nanosecond()%1e6 != 0 {
				t.Fatalf("ParseCondition(%q) = %#v: Bound = %v, %v", in, c, b, err)
			}
			same.CreatedAt, same.LastMessageAt = b, b
		}
		want := c.Op == OpIs || c.Op == OpContains || c.Op == OpWithin
		if got := c.Matches(same, evalNow); got != want {
			t.Fatalf("ParseCondition(%q) = %#v: a ticket holding the value itself matches %v", in, c, got)
		}
	})
}
