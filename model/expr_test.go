package model

import (
	"errors"
	"strings"
	"testing"
)

// exprCases are the spec's rules for "use logic expression", one or more rows
// per sentence, each with the exact canonical AST (String) or the exact error.
var exprCases = []struct {
	rule string // the spec's sentence, abridged
	in   string
	n    int    // conditions defined
	want string // canonical form, when valid
	err  string // exact message, when not
	pos  int    // ExprError.Pos, when not
}{
	// "Conditions need to be added before the input expression, otherwise the
	// system will prompt 'Invalid logical expression.'"
	{rule: "conditions first", in: "1", n: 0, err: "Invalid logical expression: add a condition before writing an expression"},
	{rule: "conditions first", in: "", n: 0, err: "Invalid logical expression: add a condition before writing an expression"},
	{rule: "conditions first", in: "1 and 2", n: 0, err: "Invalid logical expression: add a condition before writing an expression"},

	// "The parentheses must come in pairs and be written as half-width."
	{rule: "half-width pairs", in: "(1 or 2) and 3", n: 3, want: "(1 or 2) and 3"},
	{rule: "half-width pairs", in: "((1))", n: 1, want: "1"},
	{rule: "half-width pairs", in: "（1 or 2) and 3", n: 3, err: "Invalid logical expression: full-width parenthesis at 1", pos: 1},
	{rule: "half-width pairs", in: "(1 or 2） and 3", n: 3, err: "Invalid logical expression: full-width parenthesis at 8", pos: 8},
	{rule: "half-width pairs", in: "(1 or 2 and 3", n: 3, err: "Invalid logical expression: unclosed parenthesis at 1", pos: 1},
	{rule: "half-width pairs", in: "1 and (2 or (3)", n: 3, err: "Invalid logical expression: unclosed parenthesis at 7", pos: 7},
	{rule: "half-width pairs", in: "1 or (", n: 3, err: "Invalid logical expression: unclosed parenthesis at 6", pos: 6},
	{rule: "half-width pairs", in: "1 or 2) and 3", n: 3, err: "Invalid logical expression: unmatched ) at 7", pos: 7},
	{rule: "half-width pairs", in: ")", n: 3, err: "Invalid logical expression: unmatched ) at 1", pos: 1},
	{rule: "half-width pairs", in: "(1))", n: 3, err: "Invalid logical expression: unmatched ) at 4", pos: 4},
	{rule: "half-width pairs", in: "1 and ()", n: 3, err: "Invalid logical expression: empty parentheses at 7", pos: 7},

	// "Or, And are not case-sensitive. Space should be added before and after."
	{rule: "case-insensitive", in: "1 AND 2 Or 3", n: 3, want: "(1 and 2) or 3"},
	{rule: "case-insensitive", in: "1 aNd 2 oR 3", n: 3, want: "(1 and 2) or 3"},
	{rule: "spaces", in: "  1   and\t2\n", n: 2, want: "1 and 2"},
	{rule: "spaces", in: "(1)and(2)", n: 2, want: "1 and 2"},
	{rule: "spaces", in: "(1 or 2)and 3", n: 3, want: "(1 or 2) and 3"},
	{rule: "spaces", in: "1　and　2", n: 2, want: "1 and 2"}, // ideographic space is white space
	{rule: "spaces", in: "1and 2", n: 2, err: "Invalid logical expression: put a space between 1 and 'and' at 2", pos: 2},
	{rule: "spaces", in: "1 and2", n: 2, err: "Invalid logical expression: put a space between 'and' and 2 at 6", pos: 6},
	{rule: "spaces", in: "1 or 12OR3", n: 12, err: "Invalid logical expression: put a space between 12 and 'or' at 8", pos: 8},
	{rule: "spaces", in: "1and2", n: 2, err: "Invalid logical expression: put a space between 1 and 'and' at 2", pos: 2},
	{rule: "spaces", in: "(1)and2", n: 2, err: "Invalid logical expression: put a space between 'and' and 2 at 7", pos: 7},

	// "The precedence of logical operators in order from highest to lowest
	// is: (), And, Or."
	{rule: "precedence", in: "1 or 2 and 3", n: 3, want: "1 or (2 and 3)"},
	{rule: "precedence", in: "1 and 2 or 3", n: 3, want: "(1 and 2) or 3"},
	{rule: "precedence", in: "(1 or 2) and 3", n: 3, want: "(1 or 2) and 3"},
	{rule: "precedence", in: "1 or 2 and 3 or 4", n: 4, want: "1 or (2 and 3) or 4"},
	{rule: "precedence", in: "1 and (2 or 3 and 4)", n: 4, want: "1 and (2 or (3 and 4))"},
	{rule: "precedence", in: "1 or 2 or 3", n: 3, want: "1 or 2 or 3"},
	{rule: "precedence", in: "1 or (2 or 3)", n: 3, want: "1 or (2 or 3)"},

	// "The number used in the expression must exist in the identifier number
	// list."
	{rule: "numbers exist", in: "1 or 2", n: 2, want: "1 or 2"},
	{rule: "numbers exist", in: "2 and 2", n: 2, want: "2 and 2"},
	{rule: "numbers exist", in: "1 or 6", n: 5, err: "Invalid logical expression: condition 6 does not exist at 6", pos: 6},
	{rule: "numbers exist", in: "0 or 1", n: 5, err: "Invalid logical expression: condition 0 does not exist at 1", pos: 1},
	{rule: "numbers exist", in: "99999999999999999999", n: 5, err: "Invalid logical expression: condition 99999999999999999999 does not exist at 1", pos: 1},
	{rule: "numbers exist", in: "01 or 2", n: 5, err: "Invalid logical expression: condition number '01' has a leading zero at 1", pos: 1},
	{rule: "numbers exist", in: "1 or -2", n: 5, err: "Invalid logical expression: condition number '-2' has a sign at 6", pos: 6},
	{rule: "numbers exist", in: "+1", n: 5, err: "Invalid logical expression: condition number '+1' has a sign at 1", pos: 1},
	{rule: "numbers exist", in: "１ or 2", n: 5, err: "Invalid logical expression: full-width character '１' at 1", pos: 1},

	// "If you have 5 conditions, you can use Expression like (1 or 2 or 3) and
	// (4 and 5)."
	{rule: "spec example", in: "(1 or 2 or 3) and (4 and 5)", n: 5, want: "(1 or 2 or 3) and (4 and 5)"},
	{rule: "spec example", in: "(1 or 2 or 3) and (4 and 6)", n: 5, err: "Invalid logical expression: condition 6 does not exist at 26", pos: 26},

	// Malformed otherwise: say what and where.
	{rule: "malformed", in: "", n: 3, err: "Invalid logical expression: the expression is empty"},
	{rule: "malformed", in: " \t ", n: 3, err: "Invalid logical expression: the expression is empty"},
	{rule: "malformed", in: "1 and", n: 3, err: "Invalid logical expression: missing a condition after 'and' at 3", pos: 3},
	{rule: "malformed", in: "(1 or)", n: 3, err: "Invalid logical expression: missing a condition after 'or' at 4", pos: 4},
	{rule: "malformed", in: "or 1", n: 3, err: "Invalid logical expression: missing a condition before 'or' at 1", pos: 1},
	{rule: "malformed", in: "(and 1)", n: 3, err: "Invalid logical expression: missing a condition before 'and' at 2", pos: 2},
	{rule: "malformed", in: "1 and or 2", n: 3, err: "Invalid logical expression: missing a condition between 'and' and 'or' at 7", pos: 7},
	{rule: "malformed", in: "1 2", n: 3, err: "Invalid logical expression: missing 'and' or 'or' before 2 at 3", pos: 3},
	{rule: "malformed", in: "1 (2)", n: 3, err: "Invalid logical expression: missing 'and' or 'or' before ( at 3", pos: 3},
	{rule: "malformed", in: "(1)(2)", n: 3, err: "Invalid logical expression: missing 'and' or 'or' before ( at 4", pos: 4},
	{rule: "malformed", in: "1 xor 2", n: 3, err: "Invalid logical expression: unknown word 'xor' at 3", pos: 3},
	{rule: "malformed", in: "1 and not 2", n: 3, err: "Invalid logical expression: unknown word 'not' at 7", pos: 7},
	{rule: "malformed", in: "1 andrew 2", n: 3, err: "Invalid logical expression: unknown word 'andrew' at 3", pos: 3},
	{rule: "malformed", in: "1.5", n: 3, err: "Invalid logical expression: unknown word '1.5' at 1", pos: 1},
	{rule: "malformed", in: "1 && 2", n: 3, err: "Invalid logical expression: write 'and' instead of '&&' at 3", pos: 3},
	{rule: "malformed", in: "1 || 2", n: 3, err: "Invalid logical expression: write 'or' instead of '||' at 3", pos: 3},
	{rule: "malformed", in: "Ödön and 1", n: 3, err: "Invalid logical expression: unknown word 'Ödön' at 1", pos: 1},
	{rule: "malformed", in: "1 and \x00", n: 3, err: `Invalid logical expression: unknown word "\x00" at 7`, pos: 7},
	// The first problem from the left is the one reported.
	{rule: "malformed", in: "1 2 xor (", n: 3, err: "Invalid logical expression: missing 'and' or 'or' before 2 at 3", pos: 3},
	{rule: "malformed", in: "1 or 9 and （", n: 3, err: "Invalid logical expression: condition 9 does not exist at 6", pos: 6},
	// Limits.
	{rule: "limits", in: strings.Repeat("(", 65) + "1" + strings.Repeat(")", 65), n: 1, err: "Invalid logical expression: parentheses nested deeper than 64 at 65", pos: 65},
	{rule: "limits", in: strings.Repeat("(", 64) + "1" + strings.Repeat(")", 64), n: 1, want: "1"},
	{rule: "limits", in: "1" + strings.Repeat(" or 1", 399) + " or 12", n: 12, err: "Invalid logical expression: expression is longer than 2000 characters at 2001", pos: 2001},
}

func TestParseExpression(t *testing.T) {
	for _, c := range exprCases {
		e, err := ParseExpression(c.in, c.n)
		if c.err != "" {
			if err == nil {
				t.Errorf("%s: ParseExpression(%q, %d) = %v, want error %q", c.rule, c.in, c.n, e, c.err)
				continue
			}
			if err.Error() != c.err {
				t.Errorf("%s: ParseExpression(%q, %d) error\n got %q\nwant %q", c.rule, c.in, c.n, err, c.err)
			}
			var xe *ExprError
			if !errors.As(err, &xe) || xe.Pos != c.pos {
				t.Errorf("%s: ParseExpression(%q, %d) error %#v, want an *ExprError at %d", c.rule, c.in, c.n, err, c.pos)
			}
			if e != nil {
				t.Errorf("%s: ParseExpression(%q, %d) returned %v with its error", c.rule, c.in, c.n, e)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: ParseExpression(%q, %d): %v, want %q", c.rule, c.in, c.n, err, c.want)
			continue
		}
		if got := e.String(); got != c.want {
			t.Errorf("%s: ParseExpression(%q, %d) = %q, want %q", c.rule, c.in, c.n, got, c.want)
		}
		again, err := ParseExpression(e.String(), c.n)
		if err != nil || again != e {
			t.Errorf("%s: %q does not round-trip: %#v, %v", c.rule, e.String(), again, err)
		}
	}
}

// The ASTs themselves, for the precedence rows: String could hide a wrong
// grouping that it prints the same way.
func TestParseExpressionAST(t *testing.T) {
	c := func(n int) Expr { return Cond{n} }
	for _, tc := range []struct {
		in   string
		want Expr
	}{
		{"1", c(1)},
		{"1 or 2 and 3", Or{c(1), And{c(2), c(3)}}},
		{"1 and 2 or 3", Or{And{c(1), c(2)}, c(3)}},
		{"1 or 2 or 3", Or{Or{c(1), c(2)}, c(3)}},
		{"1 and 2 and 3", And{And{c(1), c(2)}, c(3)}},
		{"1 and (2 or 3)", And{c(1), Or{c(2), c(3)}}},
		{"(1 or 2 or 3) and (4 and 5)", And{Or{Or{c(1), c(2)}, c(3)}, And{c(4), c(5)}}},
	} {
		got, err := ParseExpression(tc.in, 5)
		if err != nil || got != tc.want {
			t.Errorf("ParseExpression(%q) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
}

func TestExprString(t *testing.T) {
	c := func(n int) Expr { return Cond{n} }
	for _, tc := range []struct {
		e    Expr
		want string
	}{
		{c(7), "7"},
		{Or{c(1), And{c(2), c(3)}}, "1 or (2 and 3)"},
		{And{Or{c(1), c(2)}, c(3)}, "(1 or 2) and 3"},
		{And{c(1), And{c(2), c(3)}}, "1 and (2 and 3)"},
		{Or{And{c(1), c(2)}, And{c(3), c(4)}}, "(1 and 2) or (3 and 4)"},
		{And{c(1), nil}, "1 and ?"},
	} {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.e, got, tc.want)
		}
	}
}
