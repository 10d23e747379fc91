package app

import (
	"context"
	"fmt"
	"strings"

	"cxinbox/model"
	"cxinbox/storage"
)

// ContactSummary is a contact as lists show it.
type ContactSummary = storage.ContactRow

// ContactDetails is everything the Contact Details page shows.
type ContactDetails struct {
	storage.ContactRow
	Properties map[string]string
	Notes      []model.Note
	Tickets    []model.Ticket
	Activity   []model.Activity
	CRM        ContactCRM // the contact's CRM sync state (app/crm.go); Provider "" when no CRM is connected
}

// ContactPage re-exports the keyset page request.
type ContactPage = storage.ContactPage

// ListContacts returns one keyset page of contacts.
func (a *App) ListContacts(ctx context.Context, p ContactPage) ([]ContactSummary, error) {
	return a.store.ListContacts(ctx, p)
}

// Contact returns one contact as lists show it. The id of a merged-away
// contact returns the contact it was merged into.
func (a *App) Contact(ctx context.Context, id int64) (ContactSummary, error) {
	c, err := a.store.Contact(ctx, id)
	if IsNotFound(err) {
		return c, notFound("contact", id)
	}
	return c, err
}

// ContactDetails returns the whole contact: fields, identities, tags,
// properties, notes, tickets (newest first, at most 200) and the timeline.
func (a *App) ContactDetails(ctx context.Context, id int64) (ContactDetails, error) {
	d, err := a.contactWithTickets(ctx, id)
	if err != nil {
		return d, err
	}
	d.Activity, err = a.store.ActivityOf(ctx, d.ID, 0, 5000) // d.ID: a merged-away id shows the kept contact
	return d, err
}

// contactWithTickets is ContactCard with the contact's tickets (newest
// first, at most 200).
func (a *App) contactWithTickets(ctx context.Context, id int64) (ContactDetails, error) {
	d, err := a.ContactCard(ctx, id)
	if err != nil {
		return d, err
	}
	d.Tickets, err = a.store.ListTickets(ctx, storage.TicketQuery{ContactID: d.ID, Limit: 200})
	return d, err
}

// ContactCard returns what the contact pane shows: the contact with its
// properties and notes, without the tickets and timeline ContactDetails also
// reads — the pane reloads on every ticket the agent moves to.
func (a *App) ContactCard(ctx context.Context, id int64) (ContactDetails, error) {
	var d ContactDetails
	c, err := a.Contact(ctx, id)
	if err != nil {
		return d, err
	}
	d.ContactRow = c
	if d.Properties, err = a.store.Properties(ctx, c.ID); err != nil {
		return d, err
	}
	if d.CRM, err = a.CRMStatusOf(ctx, c.ID); err != nil {
		return d, err
	}
	d.Notes, err = a.store.Notes(ctx, c.ID)
	return d, err
}

// Tags returns the tag catalogue.
func (a *App) Tags(ctx context.Context) ([]string, error) { return a.store.Tags(ctx) }

// TagContact adds a tag to a contact. With create, a tag missing from the
// catalogue is added to it; otherwise an unknown tag is refused.
func (a *App) TagContact(ctx context.Context, agent string, contactID int64, tag string, create bool) error {
	name, err := model.NormalizeTag(tag)
	if err != nil {
		return err
	}
	return a.contactWrite(ctx, &contactID, func(tx *storage.Tx) error {
		id, canon, err := tx.EnsureTag(name, create)
		if err != nil {
			return err
		}
		changed, err := tx.TagContact(contactID, id, true)
		if err != nil || !changed {
			return err
		}
		return tx.Activity(model.Activity{ContactID: contactID, Kind: model.ActTagAdded, Agent: agent, Detail: canon})
	})
}

// UntagContact removes a tag from a contact; removing a tag it does not have
// is an error that names the tag.
func (a *App) UntagContact(ctx context.Context, agent string, contactID int64, tag string) error {
	name, err := model.NormalizeTag(tag)
	if err != nil {
		return err
	}
	return a.contactWrite(ctx, &contactID, func(tx *storage.Tx) error {
		id, canon, err := tx.EnsureTag(name, false)
		if err != nil {
			return err
		}
		changed, err := tx.TagContact(contactID, id, false)
		if err != nil {
			return err
		}
		if !changed {
			return fmt.Errorf("contact %d has no tag %q", contactID, canon)
		}
		return tx.Activity(model.Activity{ContactID: contactID, Kind: model.ActTagRemoved, Agent: agent, Detail: canon})
	})
}

// AddNote adds a note to a contact.
func (a *App) AddNote(ctx context.Context, agent string, contactID int64, body string) error {
	body = strings.TrimSpace(body)
	if body == "" {
		return fmt.Errorf("note is empty")
	}
	if len(body) > 20000 {
		return fmt.Errorf("note is %d bytes long (at most 20000)", len(body))
	}
	return a.contactWrite(ctx, &contactID, func(tx *storage.Tx) error {
		if _, err := tx.AddNote(contactID, agent, body); err != nil {
			return err
		}
		return tx.Activity(model.Activity{ContactID: contactID, Kind: model.ActNoteAdded, Agent: agent, Detail: body})
	})
}

// SetField sets a standard field (name, email, phone, company, country,
// timezone, language, lead_stage) after validating it, or any other name as a
// custom property (an empty value deletes the property). Invalid values are
// refused and nothing is saved.
func (a *App) SetField(ctx context.Context, agent string, contactID int64, field, value string) error {
	field = strings.ToLower(strings.TrimSpace(field))
	if model.IsField(field) {
		v, err := model.NormalizeField(field, value)
		if err != nil {
			return err
		}
		return a.contactWrite(ctx, &contactID, func(tx *storage.Tx) error {
			old, err := tx.SetField(contactID, field, v)
			if err != nil || old == v {
				return err
			}
			if err := tx.Activity(model.Activity{ContactID: contactID, Kind: model.ActPropertyChanged, Agent: agent,
				Detail: fmt.Sprintf("%s: %q → %q", field, old, v)}); err != nil {
				return err
			}
			if err := queueCRMUpdate(tx, contactID, field); err != nil {
				return err
			}
			switch field {
			case "name", "email", "phone", "country", "timezone": // what detection weighs
				return recheck(tx, agent, contactID)
			}
			return nil
		})
	}
	name, err := model.NormalizePropertyName(field)
	if err != nil {
		return err
	}
	v := strings.TrimSpace(value)
	if len(v) > 2000 {
		return fmt.Errorf("property %s is %d bytes long (at most 2000)", name, len(v))
	}
	return a.contactWrite(ctx, &contactID, func(tx *storage.Tx) error {
		old, err := tx.SetProperty(contactID, name, v)
		if err != nil || old == v {
			return err
		}
		return tx.Activity(model.Activity{ContactID: contactID, Kind: model.ActPropertyChanged, Agent: agent,
			Detail: fmt.Sprintf("%s: %q → %q", name, old, v)})
	})
}

// Unsubscribe stops marketing email to the contact and records it. It is
// idempotent: unsubscribing twice records one entry.
func (a *App) Unsubscribe(ctx context.Context, agent string, contactID int64) error {
	return a.setSubscription(ctx, agent, contactID, true)
}

// Resubscribe undoes Unsubscribe.
func (a *App) Resubscribe(ctx context.Context, agent string, contactID int64) error {
	return a.setSubscription(ctx, agent, contactID, false)
}

func (a *App) setSubscription(ctx context.Context, agent string, contactID int64, unsub bool) error {
	return a.contactWrite(ctx, &contactID, func(tx *storage.Tx) error {
		changed, err := tx.SetUnsubscribed(contactID, unsub)
		if err != nil || !changed {
			return err
		}
		if err := queueCRMUpdate(tx, contactID, "email_unsubscribed"); err != nil {
			return err
		}
		kind, detail := model.ActUnsubscribed, "unsubscribed from marketing email"
		if !unsub {
			kind, detail = model.ActResubscribed, "subscribed to marketing email again"
		}
		return tx.Activity(model.Activity{ContactID: contactID, Kind: kind, Agent: agent, Detail: detail})
	})
}

// contactWrite runs fn for an existing contact in one transaction. A
// merged-away id is followed (inside the transaction) to the contact it was
// merged into, and *contactID is set to that id before fn runs: fn reads the
// caller's variable, so its writes land on the kept contact.
func (a *App) contactWrite(ctx context.Context, contactID *int64, fn func(*storage.Tx) error) error {
	asked := *contactID
	err := a.store.Write(ctx, func(tx *storage.Tx) error {
		live, ok, err := tx.LiveContactID(asked)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("contact", asked)
		}
		*contactID = live
		return fn(tx)
	})
	if err != nil {
		return err
	}
	a.publish(Change{ContactIDs: []int64{*contactID}})
	return nil
}

// AddIdentity gives a contact another channel identity (an agent correcting a
// contact: "this WhatsApp number is hers too"). An identity that belongs to
// another contact is refused: that is a merge, not an edit.
func (a *App) AddIdentity(ctx context.Context, agent string, contactID int64, ch model.Channel, raw string) (model.Identity, error) {
	id, err := model.NewIdentity(ch, raw)
	if err != nil {
		return id, err
	}
	err = a.contactWrite(ctx, &contactID, func(tx *storage.Tx) error {
		owner, taken, err := tx.ContactByIdentity(id)
		if err != nil {
			return err
		}
		if taken && owner == contactID {
			return nil
		}
		if taken {
			return fmt.Errorf("%s already belongs to contact %d: merge the two contacts instead", id, owner)
		}
		if err := tx.AddIdentity(contactID, id); err != nil {
			return err
		}
		if err := tx.Activity(model.Activity{ContactID: contactID, Kind: model.ActIdentityAdded, Agent: agent, Detail: id.String()}); err != nil {
			return err
		}
		return recheck(tx, agent, contactID)
	})
	return id, err
}
