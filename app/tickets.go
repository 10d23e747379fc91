package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cxinbox/model"
	"cxinbox/storage"
)

// ErrUnsubscribed refuses marketing email to a contact who unsubscribed.
var ErrUnsubscribed = errors.New("contact has unsubscribed from marketing email")

// TicketQuery and Cursor re-export the ticket list's keyset page request.
type (
	TicketQuery = storage.TicketQuery
	Cursor      = storage.Cursor
)

// CursorOf is the keyset position just past a ticket.
func CursorOf(tk model.Ticket) Cursor { return storage.CursorOf(tk) }

// ListTickets returns one keyset page of tickets in inbox order.
func (a *App) ListTickets(ctx context.Context, q TicketQuery) ([]model.Ticket, error) {
	return a.store.ListTickets(ctx, q)
}

// Ticket returns one ticket.
func (a *App) Ticket(ctx context.Context, id int64) (model.Ticket, error) {
	tk, err := a.store.Ticket(ctx, id)
	if IsNotFound(err) {
		return tk, notFound("ticket", id)
	}
	return tk, err
}

// Messages returns a ticket's messages in time order.
func (a *App) Messages(ctx context.Context, ticketID int64) ([]model.Message, error) {
	return a.store.Messages(ctx, ticketID)
}

// Reply sends an agent's message in an existing ticket.
func (a *App) Reply(ctx context.Context, agent string, ticketID int64, body string) (model.Message, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return model.Message{}, fmt.Errorf("reply is empty")
	}
	var m model.Message
	err := a.ticketWrite(ctx, ticketID, func(tx *storage.Tx, contactID int64, ch model.Channel) error {
		subject, err := tx.TicketSubject(ticketID)
		if err != nil {
			return err
		}
		if ch == model.Email && subject != "" && !strings.HasPrefix(strings.ToLower(subject), "re:") {
			subject = "Re: " + subject
		}
		m = model.Message{TicketID: ticketID, Direction: model.Out, Author: agent, Body: body, Subject: subject,
			ExternalID: outboundID(ch), SentAt: time.Now().UTC()}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		return tx.Activity(model.Activity{ContactID: contactID, TicketID: ticketID, Kind: model.ActMessageSent, Agent: agent,
			Detail: fmt.Sprintf("replied in ticket #%d: %s", ticketID, storage.Preview(body))})
	})
	return m, err
}

// NewConversation opens a proactive ticket to a contact on one of its
// identities, with the agent's first message. Marketing email to an
// unsubscribed contact is refused.
func (a *App) NewConversation(ctx context.Context, agent string, contactID int64, on model.Identity, subject, body string, marketing bool) (model.Ticket, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return model.Ticket{}, fmt.Errorf("first message is empty")
	}
	if marketing && on.Channel != model.Email {
		return model.Ticket{}, fmt.Errorf("marketing messages go by email only")
	}
	c, err := a.Contact(ctx, contactID)
	if err != nil {
		return model.Ticket{}, err
	}
	if !slices.Contains(c.Identities, on) {
		return model.Ticket{}, fmt.Errorf("contact %d has no %s identity %q", contactID, on.Channel, on.Value)
	}
	if marketing && c.EmailUnsubscribed {
		return model.Ticket{}, fmt.Errorf("%s (%s): %w", c.Name, on.Value, ErrUnsubscribed)
	}
	contactID = c.ID // a merged-away id resolves to the contact it was merged into
	now := time.Now().UTC()
	tk := model.Ticket{ContactID: contactID, ContactName: c.Name, Channel: on.Channel, Identity: on.Value, Status: model.StatusPending,
		Subject: strings.TrimSpace(subject), Assignee: agent, Proactive: true, CreatedAt: now, LastMessageAt: now}
	err = a.write(ctx, Change{ContactIDs: []int64{contactID}, NewTickets: 1}, func(tx *storage.Tx) error {
		if c.EmailUnsubscribed && marketing { // re-checked inside the transaction
			return ErrUnsubscribed
		}
		if err := tx.CreateTicket(&tk); err != nil {
			return err
		}
		m := model.Message{TicketID: tk.ID, Direction: model.Out, Author: agent, Subject: tk.Subject, Body: body,
			ExternalID: outboundID(on.Channel), SentAt: now, Marketing: marketing}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		return tx.Activity(model.Activity{ContactID: contactID, TicketID: tk.ID, Kind: model.ActTicketCreated, Agent: agent,
			Detail: fmt.Sprintf("new conversation #%d on %s (%s)", tk.ID, on.Channel.Label(), on.Value)})
	})
	tk.Preview = storage.Preview(body)
	return tk, err
}

// SetStatus changes a ticket's status.
func (a *App) SetStatus(ctx context.Context, agent string, ticketID int64, status string) error {
	s, err := model.ParseStatus(status)
	if err != nil {
		return err
	}
	return a.ticketWrite(ctx, ticketID, func(tx *storage.Tx, contactID int64, _ model.Channel) error {
		old, err := tx.SetTicketStatus(ticketID, s)
		if err != nil || old == s {
			return err
		}
		return tx.Activity(model.Activity{ContactID: contactID, TicketID: ticketID, Kind: model.ActTicketStatus, Agent: agent,
			Detail: fmt.Sprintf("ticket #%d: %s → %s", ticketID, old, s)})
	})
}

// Assign gives a ticket to an agent ("" unassigns).
func (a *App) Assign(ctx context.Context, agent string, ticketID int64, to string) error {
	to = strings.TrimSpace(to)
	return a.ticketWrite(ctx, ticketID, func(tx *storage.Tx, contactID int64, _ model.Channel) error {
		old, err := tx.SetTicketAssignee(ticketID, to)
		if err != nil || old == to {
			return err
		}
		return tx.Activity(model.Activity{ContactID: contactID, TicketID: ticketID, Kind: model.ActTicketAssigned, Agent: agent,
			Detail: fmt.Sprintf("ticket #%d assigned: %q → %q", ticketID, old, to)})
	})
}

// TagTicket adds (on) or removes a tag on a ticket; like TagContact, create
// adds a missing tag to the catalogue.
func (a *App) TagTicket(ctx context.Context, agent string, ticketID int64, tag string, on, create bool) error {
	name, err := model.NormalizeTag(tag)
	if err != nil {
		return err
	}
	return a.ticketWrite(ctx, ticketID, func(tx *storage.Tx, contactID int64, _ model.Channel) error {
		id, canon, err := tx.EnsureTag(name, create && on)
		if err != nil {
			return err
		}
		changed, err := tx.TagTicket(ticketID, id, on)
		if err != nil {
			return err
		}
		if !changed {
			if on {
				return nil
			}
			return fmt.Errorf("ticket %d has no tag %q", ticketID, canon)
		}
		kind := model.ActTicketTagAdded
		if !on {
			kind = model.ActTicketTagRemoved
		}
		return tx.Activity(model.Activity{ContactID: contactID, TicketID: ticketID, Kind: kind, Agent: agent,
			Detail: fmt.Sprintf("ticket #%d: %s", ticketID, canon)})
	})
}

// Trash moves a ticket to the trash (deleted) or restores it. Nothing is
// erased: the trash is a view.
func (a *App) Trash(ctx context.Context, agent string, ticketID int64, deleted bool) error {
	return a.ticketWrite(ctx, ticketID, func(tx *storage.Tx, contactID int64, _ model.Channel) error {
		changed, err := tx.SetTicketDeleted(ticketID, deleted)
		if err != nil || !changed {
			return err
		}
		detail := fmt.Sprintf("ticket #%d moved to the trash", ticketID)
		if !deleted {
			detail = fmt.Sprintf("ticket #%d restored from the trash", ticketID)
		}
		return tx.Activity(model.Activity{ContactID: contactID, TicketID: ticketID, Kind: model.ActTicketStatus, Agent: agent, Detail: detail})
	})
}

func (a *App) ticketWrite(ctx context.Context, ticketID int64, fn func(tx *storage.Tx, contactID int64, ch model.Channel) error) error {
	var contactID int64
	err := a.store.Write(ctx, func(tx *storage.Tx) error {
		cid, ch, err := tx.TicketContact(ticketID)
		if IsNotFound(err) {
			return notFound("ticket", ticketID)
		}
		if err != nil {
			return err
		}
		contactID = cid
		return fn(tx, cid, ch)
	})
	if err == nil {
		a.publish(Change{ContactIDs: []int64{contactID}, TicketIDs: []int64{ticketID}})
	}
	return err
}

// outboundID gives an outbound message its own id; for email it is the
// Message-ID the customer's reply will reference, which threads it back.
func outboundID(ch model.Channel) string {
	b := make([]byte, 12)
	rand.Read(b)
	if ch == model.Email {
		return "email:" + hex.EncodeToString(b) + "@cxinbox.local"
	}
	return string(ch) + ":out-" + hex.EncodeToString(b)
}
