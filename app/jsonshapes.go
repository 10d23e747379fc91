package app

import (
	"time"

	"cxinbox/model"
)

// The stable JSON shapes of the CLI (and, later, the HTTP API). Fields are
// only ever added, never renamed; README documents them.

// ContactJSON is a contact in `contacts list --json`.
type ContactJSON struct {
	ID                  int64            `json:"id"`
	Name                string           `json:"name"`
	NameGenerated       bool             `json:"name_generated"`
	LeadStage           string           `json:"lead_stage"`
	Email               string           `json:"email"`
	Phone               string           `json:"phone"`
	Company             string           `json:"company"`
	Country             string           `json:"country"`
	Timezone            string           `json:"timezone"`
	Language            string           `json:"language"`
	EmailUnsubscribed   bool             `json:"email_unsubscribed"`
	Identities          []model.Identity `json:"identities"`
	Tags                []string         `json:"tags"`
	PotentialDuplicates []int64          `json:"potential_duplicates"`
	CreatedAt           time.Time        `json:"created_at"`
}

// NoteJSON is a note in `contacts show --json`.
type NoteJSON struct {
	Author string    `json:"author"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

// ActivityJSON is a timeline entry in `contacts show --json`.
type ActivityJSON struct {
	Kind     string    `json:"kind"`
	At       time.Time `json:"at"`
	Agent    string    `json:"agent"`
	Detail   string    `json:"detail"`
	TicketID int64     `json:"ticket_id,omitempty"`
}

// ContactDetailsJSON is `contacts show --json`.
type ContactDetailsJSON struct {
	ContactJSON
	Properties map[string]string `json:"properties"`
	Notes      []NoteJSON        `json:"notes"`
	Tickets    []TicketJSON      `json:"tickets"`
	Activity   []ActivityJSON    `json:"activity"`
}

// TicketJSON is a ticket in `tickets list --json`.
type TicketJSON struct {
	ID            int64     `json:"id"`
	ContactID     int64     `json:"contact_id"`
	ContactName   string    `json:"contact_name"`
	Channel       string    `json:"channel"`
	Status        string    `json:"status"`
	Subject       string    `json:"subject"`
	Preview       string    `json:"preview"`
	Assignee      string    `json:"assignee"`
	Proactive     bool      `json:"proactive"`
	Tags          []string  `json:"tags"`
	CreatedAt     time.Time `json:"created_at"`
	LastMessageAt time.Time `json:"last_message_at"`
}

func contactJSON(c ContactSummary) ContactJSON {
	return ContactJSON{ID: c.ID, Name: c.Name, NameGenerated: c.NameGenerated, LeadStage: string(c.LeadStage), Email: c.Email,
		Phone: c.Phone, Company: c.Company, Country: c.Country, Timezone: c.Timezone, Language: c.Language,
		EmailUnsubscribed: c.EmailUnsubscribed, Identities: nonNil(c.Identities), Tags: nonNil(c.Tags),
		PotentialDuplicates: nonNil(c.PotentialDuplicates), CreatedAt: c.CreatedAt}
}

// ContactsJSON converts a page of contacts.
func ContactsJSON(cs []ContactSummary) []ContactJSON {
	out := make([]ContactJSON, len(cs))
	for i, c := range cs {
		out[i] = contactJSON(c)
	}
	return out
}

// JSON converts contact details.
func (d ContactDetails) JSON() ContactDetailsJSON {
	out := ContactDetailsJSON{ContactJSON: contactJSON(d.ContactRow), Properties: d.Properties,
		Notes: []NoteJSON{}, Tickets: TicketsJSON(d.Tickets), Activity: []ActivityJSON{}}
	if out.Properties == nil {
		out.Properties = map[string]string{}
	}
	for _, n := range d.Notes {
		out.Notes = append(out.Notes, NoteJSON{Author: n.Author, Body: n.Body, At: n.At})
	}
	for _, a := range d.Activity {
		out.Activity = append(out.Activity, ActivityJSON{Kind: a.Kind, At: a.At, Agent: a.Agent, Detail: a.Detail, TicketID: a.TicketID})
	}
	return out
}

// TicketsJSON converts tickets.
func TicketsJSON(ts []model.Ticket) []TicketJSON {
	out := make([]TicketJSON, len(ts))
	for i, t := range ts {
		out[i] = TicketJSON{ID: t.ID, ContactID: t.ContactID, ContactName: t.ContactName, Channel: string(t.Channel),
			Status: string(t.Status), Subject: t.Subject, Preview: t.Preview, Assignee: t.Assignee, Proactive: t.Proactive,
			Tags: nonNil(t.Tags), CreatedAt: t.CreatedAt, LastMessageAt: t.LastMessageAt}
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
