package app

import (
	"context"
	"fmt"
	"strings"

	"cxinbox/model"
	"cxinbox/storage"
)

// IngestResult counts what an ingest did.
type IngestResult struct {
	Messages            int `json:"messages"`             // new messages stored
	NewContacts         int `json:"new_contacts"`         // contacts created
	NewTickets          int `json:"new_tickets"`          // tickets opened
	Duplicates          int `json:"duplicates_ignored"`   // re-deliveries of stored messages, ignored
	PotentialDuplicates int `json:"potential_duplicates"` // contact pairs recorded as likely one person
}

// Add sums results.
func (r *IngestResult) Add(o IngestResult) {
	r.Messages += o.Messages
	r.NewContacts += o.NewContacts
	r.NewTickets += o.NewTickets
	r.Duplicates += o.Duplicates
	r.PotentialDuplicates += o.PotentialDuplicates
}

// Ingest stores inbound messages through the group-commit writer and returns
// once they are committed: when it returns nil, the messages are durable and
// may be acknowledged to the provider. Every message must pass Validate; a
// message already stored (same provider id) is counted and ignored.
func (a *App) Ingest(ctx context.Context, msgs []model.Inbound) (IngestResult, error) {
	for i := range msgs {
		if err := msgs[i].Validate(); err != nil {
			return IngestResult{}, fmt.Errorf("message %d: %w", i+1, err)
		}
	}
	if len(msgs) == 0 {
		return IngestResult{}, nil
	}
	r := &ingestReq{ctx: ctx, msgs: msgs, done: make(chan ingestDone, 1)}
	select {
	case a.writer.reqs <- r:
	case <-ctx.Done():
		return IngestResult{}, ctx.Err()
	case <-a.writer.quit:
		return IngestResult{}, fmt.Errorf("ingest: cxinbox is shutting down")
	}
	// Once queued, wait for the verdict even if ctx ends: the caller must
	// learn whether its messages were committed.
	d := <-r.done
	return d.res, d.err
}

// applyInbound applies the spec's identity rules to one message inside the
// writer's transaction.
func applyInbound(tx *storage.Tx, m *model.Inbound, res *IngestResult, ch *Change) error {
	key := m.Key()
	if dup, err := tx.MessageExists(key); err != nil {
		return err
	} else if dup {
		res.Duplicates++
		return nil
	}
	contactID, known, err := tx.ContactByIdentity(m.Sender)
	if err != nil {
		return err
	}
	name := ""
	if !known {
		c, err := createContactFor(tx, m)
		if err != nil {
			return err
		}
		contactID, name = c.ID, c.Name
		res.NewContacts++
		n, err := recordExactDuplicates(tx, c)
		if err != nil {
			return err
		}
		res.PotentialDuplicates += n
	}
	ticketID, err := ticketFor(tx, contactID, m, res)
	if err != nil {
		return err
	}
	author := m.SenderName
	if author == "" {
		author = name
	}
	msg := model.Message{TicketID: ticketID, Direction: model.In, Author: author, Subject: m.Subject,
		Body: m.Text, ExternalID: key, SentAt: m.SentAt}
	if err := tx.AddMessage(&msg); err != nil {
		return err
	}
	res.Messages++
	ch.Messages++
	ch.ContactIDs = append(ch.ContactIDs, contactID)
	ch.TicketIDs = append(ch.TicketIDs, ticketID)
	return nil
}

// createContactFor creates the contact for an unknown sender. Inbox channels:
// the identity plus what the provider told us, lead stage Lead. Web chat: from
// the pre-chat form if the visitor filled it in, else a generated two-word
// name; country and time zone either way.
func createContactFor(tx *storage.Tx, m *model.Inbound) (model.Contact, error) {
	c := model.Contact{LeadStage: model.StageLead, Country: m.Country, Timezone: m.Timezone, Language: m.Language, CreatedAt: m.SentAt}
	how := "first message on " + m.Sender.Channel.Label()
	var extra map[string]string
	switch {
	case m.Sender.Channel == model.WebChat && m.Prechat != nil:
		p := m.Prechat
		c.Name, c.Email, c.Phone, c.Company = strings.TrimSpace(p.Name), p.Email, p.Phone, p.Company
		extra = p.Extra
		how = "web chat visitor, from the pre-chat form"
		if c.Name == "" {
			c.Name, c.NameGenerated = model.GeneratedName(m.Sender.Value), true
		}
	case m.Sender.Channel == model.WebChat:
		c.Name, c.NameGenerated = model.GeneratedName(m.Sender.Value), true
		how = fmt.Sprintf("web chat visitor without a pre-chat form (started by %s), name generated", orDefault(string(m.StartedBy), "visitor"))
	default:
		c.Name = strings.TrimSpace(m.SenderName)
		switch m.Sender.Channel {
		case model.Email:
			c.Email = m.Sender.Value
		case model.SMS, model.WhatsApp:
			c.Phone = m.Sender.Value
		}
		if c.Name == "" {
			c.Name = fallbackName(m.Sender)
		}
	}
	if err := tx.CreateContact(&c); err != nil {
		return c, err
	}
	if err := tx.AddIdentity(c.ID, m.Sender); err != nil {
		return c, err
	}
	for k, v := range extra {
		name, err := model.NormalizePropertyName(k)
		if err != nil || v == "" || model.IsField(name) {
			continue // the parser already kept what it could; an odd form key is not worth losing the message
		}
		if _, err := tx.SetProperty(c.ID, name, v); err != nil {
			return c, err
		}
	}
	return c, tx.Activity(model.Activity{ContactID: c.ID, Kind: model.ActContactCreated, At: m.SentAt,
		Detail: how + " (" + m.Sender.String() + ")"})
}

// fallbackName names a contact whose provider gave no name.
func fallbackName(id model.Identity) string {
	switch id.Channel {
	case model.Email:
		local, _, _ := strings.Cut(id.Value, "@")
		return local
	case model.SMS, model.WhatsApp:
		return id.Value
	case model.Facebook, model.Instagram:
		_, sender, _ := strings.Cut(id.Value, ":")
		if len(sender) > 4 {
			sender = sender[len(sender)-4:]
		}
		return id.Channel.Label() + " user …" + sender
	}
	return id.Channel.Label() + " user " + id.Value
}

// recordExactDuplicates marks c as a potential duplicate of every contact
// with the same email or phone: the spec's "1 potential duplicate" for a
// returning visitor on a new browser, never a silent merge.
func recordExactDuplicates(tx *storage.Tx, c model.Contact) (int, error) {
	if c.Email == "" && c.Phone == "" {
		return 0, nil
	}
	others, err := tx.ContactsMatching(c.Email, c.Phone, c.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range others {
		added, err := tx.AddPotentialDuplicate(o, c.ID, "same email or phone", 1)
		if err != nil {
			return n, err
		}
		if !added {
			continue
		}
		n++
		for _, pair := range [][2]int64{{c.ID, o}, {o, c.ID}} {
			if err := tx.Activity(model.Activity{ContactID: pair[0], Kind: model.ActPotentialDup,
				Detail: fmt.Sprintf("potential duplicate of contact %d (same email or phone)", pair[1])}); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// ticketFor finds the ticket an inbound message joins, or opens one. Email
// follows the thread (In-Reply-To, References) even into a resolved ticket,
// then an open ticket with the same subject; other channels join the open
// ticket on the channel.
func ticketFor(tx *storage.Tx, contactID int64, m *model.Inbound, res *IngestResult) (int64, error) {
	ch := m.Sender.Channel
	if ch == model.Email && len(m.InReplyTo) > 0 {
		refs := make([]string, len(m.InReplyTo))
		for i, r := range m.InReplyTo {
			refs[i] = string(model.Email) + ":" + r
		}
		if id, ok, err := tx.TicketByReference(contactID, refs); err != nil || ok {
			return id, err
		}
	}
	id, ok, err := tx.JoinableTicket(contactID, ch)
	if err != nil {
		return 0, err
	}
	if ok && ch == model.Email {
		tk, err := tx.TicketSubject(id)
		if err != nil {
			return 0, err
		}
		ok = model.SameSubject(tk, m.Subject)
	}
	if ok {
		return id, nil
	}
	tk := model.Ticket{ContactID: contactID, Channel: ch, Identity: m.Sender.Value, Status: model.StatusOpen,
		Subject: m.Subject, CreatedAt: m.SentAt, LastMessageAt: m.SentAt}
	if err := tx.CreateTicket(&tk); err != nil {
		return 0, err
	}
	res.NewTickets++
	return tk.ID, tx.Activity(model.Activity{ContactID: contactID, TicketID: tk.ID, Kind: model.ActTicketCreated, At: m.SentAt,
		Detail: fmt.Sprintf("ticket #%d opened on %s", tk.ID, ch.Label())})
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
