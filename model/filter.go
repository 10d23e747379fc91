package model

import (
	"errors"
	"time"
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

// Expr is a node of a parsed logical expression: Cond, And or Or.
type Expr interface{ isExpr() }

// Cond refers to condition number N (1-based).
type Cond struct{ N int }

// And is L and R.
type And struct{ L, R Expr }

// Or is L or R.
type Or struct{ L, R Expr }

func (Cond) isExpr() {}
func (And) isExpr()  {}
func (Or) isExpr()   {}

// ErrNotImplemented marks the parts still being written.
var ErrNotImplemented = errors.New("not implemented yet")

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
