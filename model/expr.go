package model

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The logical expression of a filter ("use logic expression" in the spec):
// condition numbers combined with and, or and parentheses, parsed by a small
// hand-written recursive-descent parser into Cond/And/Or nodes.
//
// Grammar (and/or are matched case-insensitively, ASCII only):
//
//	expr    = andExpr { "or" andExpr }      left-associative
//	andExpr = primary { "and" primary }     left-associative
//	primary = NUMBER | "(" expr ")"
//	NUMBER  = 1-9 followed by 0-9…, naming an existing condition (1..n)
//
// Tokens are separated by white space (unicode.IsSpace) or by a half-width
// parenthesis; anything else run together ("1and 2") is one word and an error.
// Precedence, highest first: (), and, or — so "1 or 2 and 3" is
// Or{1, And{2, 3}}.

// Limits that keep parsing and evaluation cheap whatever is typed.
const (
	MaxExprLen   = 2000 // runes
	MaxExprDepth = 64   // nested parentheses
)

// ExprError is a rejected logical expression. Pos is the 1-based position in
// runes that the message is about (0: the expression as a whole); Msg says
// what is wrong without the "Invalid logical expression" prefix or the
// position, which Error adds.
type ExprError struct {
	Pos int
	Msg string
}

// Error reads "Invalid logical expression: <Msg> at <Pos>" (without " at …"
// when Pos is 0).
func (e *ExprError) Error() string {
	if e.Pos > 0 {
		return "Invalid logical expression: " + e.Msg + " at " + strconv.Itoa(e.Pos)
	}
	return "Invalid logical expression: " + e.Msg
}

// ParseExpression parses a logical expression over conditions 1..nConditions.
// Every error is an *ExprError; its message names the first problem from the
// left.
func ParseExpression(expr string, nConditions int) (Expr, error) {
	if nConditions <= 0 {
		return nil, &ExprError{0, "add a condition before writing an expression"}
	}
	if n := utf8.RuneCountInString(expr); n > MaxExprLen {
		return nil, &ExprError{MaxExprLen + 1, "expression is longer than " + strconv.Itoa(MaxExprLen) + " characters"}
	}
	p := &parser{lx: lexer{rs: []rune(expr), n: nConditions}, prev: token{kind: tStart}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, &ExprError{0, "the expression is empty"}
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tEOF:
		return e, nil
	case tRParen:
		return nil, &ExprError{p.tok.pos, "unmatched )"}
	}
	// parseOr stops only at the end, a ")" or an error.
	return nil, &ExprError{p.tok.pos, "unexpected " + p.tok.kind.String()}
}

type tokenKind int

const (
	tStart tokenKind = iota // before the first token
	tEOF
	tNum
	tAnd
	tOr
	tLParen
	tRParen
)

func (k tokenKind) String() string {
	switch k {
	case tAnd:
		return "'and'"
	case tOr:
		return "'or'"
	case tLParen:
		return "("
	case tRParen:
		return ")"
	case tEOF:
		return "end"
	}
	return "token"
}

type token struct {
	kind tokenKind
	pos  int // 1-based rune position of the token's first rune
	num  int // with tNum
}

func (t token) isOp() bool { return t.kind == tAnd || t.kind == tOr }

// what names the token in a message: its number or its word.
func (t token) what() string {
	if t.kind == tNum {
		return strconv.Itoa(t.num)
	}
	return t.kind.String()
}

type lexer struct {
	rs []rune
	i  int // next rune
	n  int // number of conditions
}

const (
	fullLParen = '\uFF08' // （
	fullRParen = '\uFF09' // ）
)

func isWordRune(r rune) bool {
	return !unicode.IsSpace(r) && r != '(' && r != ')' && r != fullLParen && r != fullRParen
}

func (lx *lexer) next() (token, error) {
	for lx.i < len(lx.rs) && unicode.IsSpace(lx.rs[lx.i]) {
		lx.i++
	}
	pos := lx.i + 1
	if lx.i == len(lx.rs) {
		return token{kind: tEOF, pos: pos}, nil
	}
	switch lx.rs[lx.i] {
	case '(':
		lx.i++
		return token{kind: tLParen, pos: pos}, nil
	case ')':
		lx.i++
		return token{kind: tRParen, pos: pos}, nil
	case fullLParen, fullRParen:
		return token{}, &ExprError{pos, "full-width parenthesis"}
	}
	start := lx.i
	for lx.i < len(lx.rs) && isWordRune(lx.rs[lx.i]) {
		lx.i++
	}
	return lx.word(lx.rs[start:lx.i], pos)
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

func digitPrefix(w []rune) int {
	k := 0
	for k < len(w) && isASCIIDigit(w[k]) {
		k++
	}
	return k
}

// opPrefix returns "and" or "or" when w starts with it (ASCII, any case).
func opPrefix(w []rune) string {
	for _, op := range []string{"and", "or"} {
		if len(w) >= len(op) && strings.EqualFold(string(w[:len(op)]), op) && isASCIIRunes(w[:len(op)]) {
			return op
		}
	}
	return ""
}

func isASCIIRunes(w []rune) bool {
	for _, r := range w {
		if r >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isFullWidth(r rune) bool { return r >= '\uFF01' && r <= '\uFF5E' }

// word classifies a run of non-space, non-parenthesis runes starting at pos.
func (lx *lexer) word(w []rune, pos int) (token, error) {
	d := digitPrefix(w)
	switch {
	case d == len(w):
		if len(w) > 1 && w[0] == '0' {
			return token{}, &ExprError{pos, "condition number " + quoteWord(w) + " has a leading zero"}
		}
		n := -1
		if len(w) <= 9 {
			n, _ = strconv.Atoi(string(w))
		}
		if n < 1 || n > lx.n {
			return token{}, &ExprError{pos, "condition " + shorten(w) + " does not exist"}
		}
		return token{kind: tNum, pos: pos, num: n}, nil
	case len(w) == 3 && opPrefix(w) == "and":
		return token{kind: tAnd, pos: pos}, nil
	case len(w) == 2 && opPrefix(w) == "or":
		return token{kind: tOr, pos: pos}, nil
	}
	for k, r := range w {
		if isFullWidth(r) {
			return token{}, &ExprError{pos + k, "full-width character " + quoteWord([]rune{r})}
		}
	}
	if d > 0 {
		if op := opPrefix(w[d:]); op != "" && (len(w) == d+len(op) || isASCIIDigit(w[d+len(op)])) {
			return token{}, &ExprError{pos + d, "put a space between " + string(w[:d]) + " and '" + op + "'"}
		}
	}
	if op := opPrefix(w); op != "" && len(w) > len(op) && isASCIIDigit(w[len(op)]) {
		return token{}, &ExprError{pos + len(op), "put a space between '" + op + "' and " + string(w[len(op):len(op)+digitPrefix(w[len(op):])])}
	}
	if (w[0] == '+' || w[0] == '-') && len(w) > 1 && digitPrefix(w[1:]) == len(w)-1 {
		return token{}, &ExprError{pos, "condition number " + quoteWord(w) + " has a sign"}
	}
	switch string(w) {
	case "&", "&&":
		return token{}, &ExprError{pos, "write 'and' instead of " + quoteWord(w)}
	case "|", "||":
		return token{}, &ExprError{pos, "write 'or' instead of " + quoteWord(w)}
	}
	return token{}, &ExprError{pos, "unknown word " + quoteWord(w)}
}

// shorten cuts a long word for a message.
func shorten(w []rune) string {
	const max = 20
	if len(w) > max {
		return string(w[:max]) + "…"
	}
	return string(w)
}

// quoteWord quotes a word for a message: 'word', or Go-quoted when it holds
// anything unprintable.
func quoteWord(w []rune) string {
	s := shorten(w)
	for _, r := range s {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return strconv.QuoteToASCII(s)
		}
	}
	return "'" + s + "'"
}

type parser struct {
	lx    lexer
	tok   token // current token
	prev  token // the token before it
	depth int
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.prev, p.tok = p.tok, t
	return nil
}

func (p *parser) parseOr() (Expr, error) {
	l, err := p.parseAnd()
	for err == nil && p.tok.kind == tOr {
		if err = p.advance(); err != nil {
			break
		}
		var r Expr
		if r, err = p.parseAnd(); err == nil {
			l = Or{l, r}
		}
	}
	return l, err
}

func (p *parser) parseAnd() (Expr, error) {
	l, err := p.parsePrimary()
	for err == nil && p.tok.kind == tAnd {
		if err = p.advance(); err != nil {
			break
		}
		var r Expr
		if r, err = p.parsePrimary(); err == nil {
			l = And{l, r}
		}
	}
	return l, err
}

func (p *parser) parsePrimary() (Expr, error) {
	switch p.tok.kind {
	case tNum:
		e := Cond{p.tok.num}
		if err := p.advance(); err != nil {
			return nil, err
		}
		return e, p.checkAfterOperand()
	case tLParen:
		open := p.tok
		p.depth++
		if p.depth > MaxExprDepth {
			return nil, &ExprError{open.pos, "parentheses nested deeper than " + strconv.Itoa(MaxExprDepth)}
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		switch p.tok.kind {
		case tRParen:
			return nil, &ExprError{open.pos, "empty parentheses"}
		case tEOF:
			return nil, &ExprError{open.pos, "unclosed parenthesis"}
		}
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			// parseOr stops only at the end, a ")" or an error.
			return nil, &ExprError{open.pos, "unclosed parenthesis"}
		}
		p.depth--
		if err := p.advance(); err != nil {
			return nil, err
		}
		return e, p.checkAfterOperand()
	case tAnd, tOr:
		if p.prev.isOp() {
			return nil, &ExprError{p.tok.pos, "missing a condition between " + p.prev.what() + " and " + p.tok.what()}
		}
		return nil, &ExprError{p.tok.pos, "missing a condition before " + p.tok.what()}
	}
	// ")" or the end where a condition belongs: after an operator (a "("
	// followed by ")" or the end is handled above, and so is an empty
	// expression), or a ")" at the very start.
	if p.prev.isOp() {
		return nil, &ExprError{p.prev.pos, "missing a condition after " + p.prev.what()}
	}
	if p.tok.kind == tRParen {
		return nil, &ExprError{p.tok.pos, "unmatched )"}
	}
	return nil, &ExprError{p.tok.pos, "missing a condition"}
}

// checkAfterOperand rejects a condition or "(" right after an operand: two
// conditions in a row need an operator between them.
func (p *parser) checkAfterOperand() error {
	if p.tok.kind == tNum || p.tok.kind == tLParen {
		return &ExprError{p.tok.pos, "missing 'and' or 'or' before " + p.tok.what()}
	}
	return nil
}

// String writes the expression canonically: lower-case operators, single
// spaces, and parentheses around every operand that is not a single
// condition, except the left operand of the same operator (the parser groups
// from the left): "1 or (2 and 3)", "(1 or 2 or 3) and (4 and 5)".
// ParseExpression(e.String(), n) returns an Expr equal to e.
func (c Cond) String() string { return strconv.Itoa(c.N) }

func (e And) String() string { return binaryString(e, e.L, e.R, " and ") }

func (e Or) String() string { return binaryString(e, e.L, e.R, " or ") }

func binaryString(parent, l, r Expr, op string) string {
	var b strings.Builder
	writeOperand(&b, parent, l, true)
	b.WriteString(op)
	writeOperand(&b, parent, r, false)
	return b.String()
}

func writeOperand(b *strings.Builder, parent, e Expr, left bool) {
	bare := false
	switch e.(type) {
	case nil:
		b.WriteString("?")
		return
	case Cond:
		bare = true
	case And:
		_, same := parent.(And)
		bare = left && same
	case Or:
		_, same := parent.(Or)
		bare = left && same
	}
	if bare {
		b.WriteString(e.String())
		return
	}
	b.WriteByte('(')
	b.WriteString(e.String())
	b.WriteByte(')')
}
