package model

import (
	"fmt"
	"strings"
	"time"
)

// Status is a ticket's place in the agent's workflow.
type Status string

const (
	StatusOpen     Status = "open"
	StatusPending  Status = "pending"
	StatusResolved Status = "resolved"
	StatusClosed   Status = "closed"
)

// Statuses lists the statuses in workflow order.
var Statuses = []Status{StatusOpen, StatusPending, StatusResolved, StatusClosed}

// ParseStatus accepts a status name in any case.
func ParseStatus(s string) (Status, error) {
	v := Status(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Statuses {
		if v == k {
			return v, nil
		}
	}
	return "", fmt.Errorf("status %q is not one of open, pending, resolved, closed", s)
}

// Joinable reports whether an inbound message on the ticket's channel joins
// the ticket rather than opening a new one: open and pending tickets are
// still the conversation in progress.
func (s Status) Joinable() bool { return s == StatusOpen || s == StatusPending }

// Direction of a message.
type Direction string

const (
	In  Direction = "in"
	Out Direction = "out"
)

// Ticket is one conversation with one contact on one channel.
type Ticket struct {
	ID            int64
	ContactID     int64
	ContactName   string
	Channel       Channel
	Identity      string // the identity value the conversation runs on
	Status        Status
	Subject       string
	Assignee      string
	Proactive     bool // opened by an agent (New Conversation), not by the customer
	Tags          []string
	CreatedAt     time.Time
	LastMessageAt time.Time
	Preview       string // the last message's first line
	Deleted       bool   // in the trash
}

// Message is one message in or out of a ticket.
type Message struct {
	ID         int64
	TicketID   int64
	Direction  Direction
	Author     string // agent for outbound, contact name for inbound
	Body       string
	Subject    string
	ExternalID string
	SentAt     time.Time
	Marketing  bool // outbound marketing email: refused to unsubscribed contacts
}

// Activity kinds: the contact-details timeline.
const (
	ActContactCreated   = "contact_created"
	ActIdentityAdded    = "identity_added"
	ActTagAdded         = "tag_added"
	ActTagRemoved       = "tag_removed"
	ActNoteAdded        = "note_added"
	ActPropertyChanged  = "property_changed"
	ActUnsubscribed     = "unsubscribed"
	ActResubscribed     = "resubscribed"
	ActTicketCreated    = "ticket_created"
	ActTicketStatus     = "ticket_status"
	ActTicketAssigned   = "ticket_assigned"
	ActTicketTagAdded   = "ticket_tag_added"
	ActTicketTagRemoved = "ticket_tag_removed"
	ActMessageSent      = "message_sent"
	ActPotentialDup     = "potential_duplicate"
	ActNotDuplicate     = "not_duplicate"
	ActMerged           = "merged"
	ActUnmerged         = "unmerged"
)

// Activity is one entry of a contact's timeline.
type Activity struct {
	ID        int64
	ContactID int64
	TicketID  int64
	Kind      string
	Agent     string // "" for the system
	Detail    string
	At        time.Time
}

// Note is an agent's note on a contact.
type Note struct {
	ID     int64
	Author string
	Body   string
	At     time.Time
}

// SameSubject reports whether two email subjects are one conversation once
// reply and forward prefixes ("Re:", "AW:", "Fwd:") and case are set aside.
func SameSubject(a, b string) bool {
	return Fold(stripSubjectPrefixes(a)) == Fold(stripSubjectPrefixes(b))
}

func stripSubjectPrefixes(s string) string {
	s = strings.TrimSpace(s)
	for {
		i := strings.IndexByte(s, ':')
		if i <= 0 || i > 4 {
			return s
		}
		switch strings.ToLower(s[:i]) {
		case "re", "fw", "fwd", "aw", "wg", "sv", "vs", "tr", "rv":
			s = strings.TrimSpace(s[i+1:])
		default:
			return s
		}
	}
}
