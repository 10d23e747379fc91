package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"cxinbox/model"
	"cxinbox/storage"
)

// SeedResult counts what Seed wrote.
type SeedResult struct {
	Contacts, Tickets int
	Elapsed           time.Duration
}

// Seed fills the database fast for scale tests: contacts with one or two
// identities, and tickets (one inbound message each) spread over them and over
// the last year. It uses the same storage calls as ingest, in large
// transactions, so the rows are exactly what real traffic makes.
func (a *App) Seed(ctx context.Context, contacts, tickets int, seed uint64, progress func(SeedResult)) (SeedResult, error) {
	if contacts <= 0 {
		return SeedResult{}, fmt.Errorf("--contacts must be at least 1")
	}
	if tickets < 0 {
		return SeedResult{}, fmt.Errorf("--tickets cannot be negative")
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var res SeedResult
	const batch = 25000
	base := time.Now().UTC().Add(-365 * 24 * time.Hour)
	ids := make([]int64, 0, contacts)
	channels := []model.Identity{}
	tags := []string{"vip", "refund", "shipping", "billing", "bug", "urgent", "feedback", "churn-risk"}
	for done := 0; done < contacts; {
		n := min(batch, contacts-done)
		err := a.store.Write(ctx, func(tx *storage.Tx) error {
			tagIDs := make([]int64, len(tags))
			for i, t := range tags {
				id, _, err := tx.EnsureTag(t, true)
				if err != nil {
					return err
				}
				tagIDs[i] = id
			}
			next, _, err := tx.NextIDs()
			if err != nil {
				return err
			}
			cs := make([]model.Contact, 0, n)
			idents := make([]storage.IdentityRow, 0, n)
			acts := make([]model.Activity, 0, n)
			for i := 0; i < n; i++ {
				k := done + i
				first, last := seedFirst[rng.IntN(len(seedFirst))], seedLast[rng.IntN(len(seedLast))]
				at := base.Add(time.Duration(rng.Int64N(int64(365 * 24 * time.Hour))))
				c := model.Contact{ID: next + int64(i), Name: first + " " + last, LeadStage: model.LeadStages[rng.IntN(len(model.LeadStages))],
					Email: fmt.Sprintf("%s.%s.%d@example.com", lower(first), lower(last), k), Country: seedCountries[k%len(seedCountries)][0],
					Timezone: seedCountries[k%len(seedCountries)][1], CreatedAt: at}
				id := model.Identity{Channel: model.Email, Value: c.Email}
				if k%3 == 1 {
					id = model.Identity{Channel: model.WhatsApp, Value: fmt.Sprintf("+1555%07d", k%10000000)}
				} else if k%3 == 2 {
					ch := model.Channels[1+(k/3)%6]
					id = model.Identity{Channel: ch, Value: seedIdentity(ch, k)}
				}
				cs = append(cs, c)
				idents = append(idents, storage.IdentityRow{ContactID: c.ID, Identity: id, At: at})
				acts = append(acts, model.Activity{ContactID: c.ID, Kind: model.ActContactCreated, At: at, Detail: "seeded"})
				ids = append(ids, c.ID)
				channels = append(channels, id)
			}
			if err := tx.InsertContacts(cs); err != nil {
				return err
			}
			if err := tx.InsertIdentities(idents); err != nil {
				return err
			}
			for _, c := range cs {
				if rng.IntN(10) == 0 {
					if _, err := tx.TagContact(c.ID, tagIDs[rng.IntN(len(tagIDs))], true); err != nil {
						return err
					}
				}
			}
			return tx.InsertActivities(acts)
		})
		if err != nil {
			return res, fmt.Errorf("seed contacts: %w", err)
		}
		done += n
		res.Contacts = done
		if progress != nil {
			progress(res)
		}
	}
	for done := 0; done < tickets; {
		n := min(batch*2, tickets-done)
		err := a.store.Write(ctx, func(tx *storage.Tx) error {
			_, next, err := tx.NextIDs()
			if err != nil {
				return err
			}
			tks := make([]model.Ticket, 0, n)
			msgs := make([]model.Message, 0, n)
			for i := 0; i < n; i++ {
				k := rng.IntN(len(ids))
				// Tickets arrive in time order, as in real life: ids and the
				// inbox index both grow at their ends.
				at := base.Add(time.Duration(float64(done+i) / float64(tickets) * float64(365*24*time.Hour)))
				subject := seedSubjects[rng.IntN(len(seedSubjects))]
				tk := model.Ticket{ID: next + int64(i), ContactID: ids[k], Channel: channels[k].Channel, Identity: channels[k].Value,
					Status: model.Statuses[rng.IntN(len(model.Statuses))], Subject: subject, Preview: subject,
					CreatedAt: at, LastMessageAt: at}
				if rng.IntN(3) == 0 {
					tk.Assignee = seedAgents[rng.IntN(len(seedAgents))]
				}
				tks = append(tks, tk)
				msgs = append(msgs, model.Message{TicketID: tk.ID, Direction: model.In, Body: subject, SentAt: at})
			}
			if err := tx.InsertTickets(tks); err != nil {
				return err
			}
			return tx.InsertMessages(msgs)
		})
		if err != nil {
			return res, fmt.Errorf("seed tickets: %w", err)
		}
		done += n
		res.Tickets = done
		if progress != nil {
			progress(res)
		}
	}
	res.Elapsed = time.Since(start)
	a.publish(Change{Source: "local"})
	return res, nil
}

func seedIdentity(ch model.Channel, k int) string {
	switch ch {
	case model.Facebook, model.Instagram:
		return fmt.Sprintf("110392518376541:%d", 6183004271690128+k)
	case model.Telegram:
		return fmt.Sprintf("%d", 5512003401+k)
	case model.WebChat:
		return fmt.Sprintf("seed-visitor-%08d", k)
	case model.SMS:
		return fmt.Sprintf("+1556%07d", k%10000000)
	}
	return fmt.Sprintf("+1557%07d", k%10000000)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

var (
	seedFirst     = []string{"Ana", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gustav", "Hana", "Ivan", "Julia", "Kenji", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara"}
	seedLast      = []string{"Silva", "Schmidt", "Nguyen", "Garcia", "Kowalski", "Okafor", "Tanaka", "Müller", "Rossi", "Dubois", "Patel", "Johansson", "Novak", "Haddad", "Kim"}
	seedSubjects  = []string{"Where is my order?", "Refund request", "Cannot log in", "Invoice question", "Change delivery address", "Product arrived damaged", "Cancel subscription", "Discount code not working"}
	seedAgents    = []string{"alice", "bob", "carol", "dave"}
	seedCountries = [][2]string{{"US", "America/New_York"}, {"DE", "Europe/Berlin"}, {"BR", "America/Sao_Paulo"}, {"GB", "Europe/London"}, {"IN", "Asia/Kolkata"}, {"JP", "Asia/Tokyo"}}
)
