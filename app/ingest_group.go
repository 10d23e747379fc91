package app

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"cxinbox/model"
	"cxinbox/storage"
)

// group applies the spec's identity and ticket rules to a group of inbound
// messages. It reads what it needs in a few set-based queries — in the
// writer's transaction, or ahead of it on a snapshot (planGroup) — decides
// every message in order in memory (a message may depend on a contact or
// ticket an earlier one in the same group created), then flush writes all
// rows in the writer's transaction. The decisions are exactly those of
// handling the messages one by one.
type group struct {
	// What the database knew before the group, plus what the group added.
	seen                    map[string]bool                       // message keys stored or taken by this group
	owner                   map[model.Identity]int64              // identity → contact
	joinable                map[storage.JoinKey]storage.TicketRef // (contact, channel) → most recent open ticket
	byKey                   map[string]storage.TicketRef          // message key → its ticket (email threading)
	nextContact, nextTicket int64

	contacts   []model.Contact
	creators   []*IngestResult // the result of the message that created contacts[i]
	identities []storage.IdentityRow
	props      []storage.PropertyRow
	tickets    []model.Ticket
	newTicket  map[int64]int // ticket id → index in tickets
	messages   []model.Message
	acts       []model.Activity
	touched    map[int64]storage.TicketTouch // existing tickets the group wrote into
	keys       []string                      // each message's key (model.Inbound.Key), in order
	dups       *dupFinding                   // the new contacts' duplicates, found by the planner; nil: find them in flush

	// The messages stored, with the ticket each joined or opened: with
	// identities, dups and the next ids, what the group planned after this
	// one lays over a snapshot that may not hold this one yet (writer.go).
	stored   []string
	storedIn []storage.TicketRef
}

// applyGroup decides and writes msgs (with res[i] the result that msgs[i]
// counts into) in the writer's transaction tx, reading what it needs there.
func applyGroup(tx *storage.Tx, msgs []*model.Inbound, res []*IngestResult, ch *Change) error {
	g := &group{} // load sizes its slices and maps for msgs
	if err := g.load(tx, msgs, nil); err != nil {
		return err
	}
	for i, m := range msgs {
		g.apply(m, g.keys[i], res[i], ch)
	}
	return g.flush(tx)
}

// planGroup decides msgs ahead of their transaction, reading what it needs
// from snap, a snapshot that may lack prev, the group committing meanwhile;
// what prev adds fills that in. flush writes the decisions later.
func planGroup(snap *storage.Tx, prev *group, msgs []*model.Inbound, res []*IngestResult, ch *Change) (*group, error) {
	g := &group{} // load sizes its slices and maps for msgs
	if err := g.load(snap, msgs, prev); err != nil {
		return nil, err
	}
	for i, m := range msgs {
		g.apply(m, g.keys[i], res[i], ch)
	}
	if len(g.contacts) > 0 && dupDetection {
		// The reads of the duplicate check happen here too, beside the
		// committer; it only files the keys and stores the pairs.
		start := time.Now()
		ids := make([]int64, len(g.contacts))
		for i, c := range g.contacts {
			ids[i] = c.ID
		}
		var pending *dupFinding
		if prev != nil && prev.dups != nil && len(prev.dups.ids) > 0 {
			// The group may have committed just before the snapshot began:
			// then the snapshot holds its keys, and counting them twice
			// would overfill their blocks.
			in, err := snap.ContactExists(prev.dups.ids[0])
			if err != nil {
				return nil, err
			}
			if !in {
				pending = prev.dups
			}
		}
		f, err := findDuplicates(newPendingDupReader(snap, pending), ids, newContactsEvidence(g.contacts, g.identities))
		dupCheckNanos.Add(int64(time.Since(start)))
		if err != nil {
			return nil, err
		}
		g.dups = &f
	}
	return g, nil
}

// load reads, in a few queries on q, everything the group's decisions look
// up, then lays prev (if any) over it.
func (g *group) load(q *storage.Tx, msgs []*model.Inbound, prev *group) error {
	// Room for the whole group up front: a group is thousands of messages,
	// and growing these as it goes was a good part of ingest's garbage.
	n := len(msgs)
	g.messages = make([]model.Message, 0, n)
	g.contacts, g.creators = make([]model.Contact, 0, n), make([]*IngestResult, 0, n)
	g.identities, g.tickets = make([]storage.IdentityRow, 0, n), make([]model.Ticket, 0, n)
	g.acts = make([]model.Activity, 0, 2*n)
	g.newTicket, g.touched = make(map[int64]int, n), make(map[int64]storage.TicketTouch, n)
	g.stored, g.storedIn = make([]string, 0, n), make([]storage.TicketRef, 0, n)
	keys := make([]string, 0, n)
	senders := make([]model.Identity, 0, n)
	var refs []string
	for _, m := range msgs {
		keys = append(keys, m.Key())
		senders = append(senders, m.Sender)
		for _, r := range m.InReplyTo {
			refs = append(refs, string(model.Email)+":"+r)
		}
	}
	g.keys = keys
	stored, err := q.ExistingMessages(keys)
	if err != nil {
		return err
	}
	owners, err := q.IdentityOwners(senders)
	if err != nil {
		return err
	}
	g.seen, g.owner = make(map[string]bool, n+len(stored)), make(map[model.Identity]int64, n)
	maps.Copy(g.seen, stored)
	maps.Copy(g.owner, owners)
	if prev != nil {
		for _, r := range prev.identities {
			g.owner[r.Identity] = r.ContactID
		}
	}
	known := make([]int64, 0, len(g.owner))
	for _, cid := range g.owner {
		known = append(known, cid)
	}
	joinable, err := q.JoinableTickets(known)
	if err != nil {
		return err
	}
	byKey, err := q.TicketsByMessage(refs)
	if err != nil {
		return err
	}
	g.joinable, g.byKey = make(map[storage.JoinKey]storage.TicketRef, n), make(map[string]storage.TicketRef, n+len(byKey))
	maps.Copy(g.joinable, joinable)
	maps.Copy(g.byKey, byKey)
	if g.nextContact, g.nextTicket, err = q.NextIDs(); err != nil {
		return err
	}
	if prev != nil {
		// prev's rows are newer than anything the snapshot holds for the
		// same keys, and its ids come after the snapshot's.
		for i, k := range prev.stored {
			tk := prev.storedIn[i]
			g.seen[k] = true
			g.byKey[k] = tk
			g.joinable[storage.JoinKey{ContactID: tk.ContactID, Channel: tk.Channel}] = tk
		}
		g.nextContact, g.nextTicket = max(g.nextContact, prev.nextContact), max(g.nextTicket, prev.nextTicket)
	}
	return nil
}

func (g *group) apply(m *model.Inbound, key string, res *IngestResult, ch *Change) {
	if g.seen[key] {
		res.Duplicates++
		return
	}
	g.seen[key] = true
	cid, known := g.owner[m.Sender]
	author := m.SenderName
	if !known {
		c := g.newContact(m)
		cid = c.ID
		g.creators = append(g.creators, res)
		res.NewContacts++
		if author == "" {
			author = c.Name
		}
	}
	tk := g.ticketFor(cid, m, res)
	g.messages = append(g.messages, model.Message{TicketID: tk.ID, Direction: model.In, Author: author, Subject: m.Subject,
		Body: m.Text, ExternalID: key, SentAt: m.SentAt})
	g.byKey[key] = tk
	g.joinable[storage.JoinKey{ContactID: cid, Channel: m.Sender.Channel}] = tk // open now, and the most recent
	g.stored = append(g.stored, key)
	g.storedIn = append(g.storedIn, tk)
	if i, ok := g.newTicket[tk.ID]; ok {
		t := &g.tickets[i]
		if !m.SentAt.Before(t.LastMessageAt) {
			t.LastMessageAt, t.Preview = m.SentAt, storage.Preview(m.Text)
		}
	} else if t, ok := g.touched[tk.ID]; !ok || !m.SentAt.Before(t.LastAt) {
		g.touched[tk.ID] = storage.TicketTouch{ID: tk.ID, LastAt: m.SentAt, Preview: storage.Preview(m.Text)}
	}
	res.Messages++
	ch.Messages++
	ch.ContactIDs = append(ch.ContactIDs, cid)
	ch.TicketIDs = append(ch.TicketIDs, tk.ID)
}

// newContact creates the contact for an unknown sender. Inbox channels: the
// identity plus what the provider told us, lead stage Lead. Web chat: from the
// pre-chat form if the visitor filled it in, else a generated two-word name;
// country and time zone either way.
func (g *group) newContact(m *model.Inbound) model.Contact {
	c := model.Contact{ID: g.nextContact, LeadStage: model.StageLead, Country: m.Country, Timezone: m.Timezone,
		Language: m.Language, CreatedAt: m.SentAt}
	g.nextContact++
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
	g.contacts = append(g.contacts, c)
	g.owner[m.Sender] = c.ID
	g.identities = append(g.identities, storage.IdentityRow{ContactID: c.ID, Identity: m.Sender, At: m.SentAt})
	for k, v := range extra {
		name, err := model.NormalizePropertyName(k)
		if err != nil || v == "" || model.IsField(name) {
			continue // an odd form key is not worth losing the message over
		}
		g.props = append(g.props, storage.PropertyRow{ContactID: c.ID, Name: name, Value: v})
	}
	g.acts = append(g.acts, model.Activity{ContactID: c.ID, Kind: model.ActContactCreated, At: m.SentAt,
		Detail: how + " (" + m.Sender.String() + ")"})
	return c
}

// ticketFor finds the ticket an inbound message joins, or opens one. Email
// follows the thread (In-Reply-To, References) even into a resolved ticket,
// then an open ticket with the same subject; other channels join the open
// ticket on the channel.
func (g *group) ticketFor(cid int64, m *model.Inbound, res *IngestResult) storage.TicketRef {
	ch := m.Sender.Channel
	if ch == model.Email {
		for _, r := range m.InReplyTo {
			if tk, ok := g.byKey[string(model.Email)+":"+r]; ok && tk.ContactID == cid {
				return tk
			}
		}
	}
	if tk, ok := g.joinable[storage.JoinKey{ContactID: cid, Channel: ch}]; ok && (ch != model.Email || model.SameSubject(tk.Subject, m.Subject)) {
		return tk
	}
	tk := model.Ticket{ID: g.nextTicket, ContactID: cid, Channel: ch, Identity: m.Sender.Value, Status: model.StatusOpen,
		Subject: m.Subject, CreatedAt: m.SentAt, LastMessageAt: m.SentAt}
	g.nextTicket++
	g.newTicket[tk.ID] = len(g.tickets)
	g.tickets = append(g.tickets, tk)
	g.acts = append(g.acts, model.Activity{ContactID: cid, TicketID: tk.ID, Kind: model.ActTicketCreated, At: m.SentAt,
		Detail: "ticket #" + strconv.FormatInt(tk.ID, 10) + " opened on " + ch.Label()})
	res.NewTickets++
	return storage.TicketRef{ID: tk.ID, ContactID: cid, Channel: ch, Subject: tk.Subject}
}

// flush writes the group's rows in tx, then records potential duplicates of
// its new contacts.
func (g *group) flush(tx *storage.Tx) error {
	if err := tx.InsertContacts(g.contacts); err != nil {
		return err
	}
	if err := tx.InsertIdentities(g.identities); err != nil {
		return err
	}
	if err := tx.InsertProperties(g.props); err != nil {
		return err
	}
	if err := tx.InsertTickets(g.tickets); err != nil {
		return err
	}
	if err := tx.InsertMessages(g.messages); err != nil {
		return err
	}
	touches := make([]storage.TicketTouch, 0, len(g.touched))
	for _, t := range g.touched {
		touches = append(touches, t)
	}
	if err := tx.TouchTickets(touches); err != nil {
		return err
	}
	if err := g.duplicates(tx); err != nil {
		return err
	}
	// Each new contact came with its first ticket: queue it for the CRM in
	// this same transaction (app/crm.go).
	if err := tx.EnqueueCRM(storage.OutboxCreate, crmCreates(g.contacts), ""); err != nil {
		return err
	}
	return tx.InsertActivities(g.acts)
}

// duplicates checks the group's new contacts against everyone (the blocking
// index sees the group's own rows, inserted already) and records the pairs:
// the spec's "1 potential duplicate" for a returning visitor on a new browser,
// never a silent merge.
func (g *group) duplicates(tx *storage.Tx) error {
	if len(g.contacts) == 0 {
		return nil
	}
	creator := make(map[int64]*IngestResult, len(g.contacts))
	at := make(map[int64]time.Time, len(g.contacts))
	for i, c := range g.contacts {
		creator[c.ID] = g.creators[i]
		at[c.ID] = c.CreatedAt
	}
	var added []storage.DupPair
	var err error
	if g.dups != nil {
		start := time.Now()
		added, err = g.dups.record(tx, time.Now())
		dupCheckNanos.Add(int64(time.Since(start)))
	} else {
		added, err = checkNewContacts(tx, g.contacts, g.identities, time.Now())
	}
	if err != nil {
		return err
	}
	for _, p := range added {
		// Counted for, and dated by, the message that revealed the pair (the
		// later contact), so a backlog ingested later reads in order.
		newer := max(p.A, p.B)
		if r := creator[newer]; r != nil {
			r.PotentialDuplicates++
		}
		g.acts = append(g.acts, dupActivities([]storage.DupPair{p}, "", at[newer])...)
	}
	return nil
}
