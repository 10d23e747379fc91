package app

import (
	"context"
	"fmt"
	"strings"

	"cxinbox/model"
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
	if err := a.writer.submit(ctx, r); err != nil {
		return IngestResult{}, err
	}
	// Once queued, wait for the verdict even if ctx ends: the caller must
	// learn whether its messages were committed.
	d := <-r.done
	return d.res, d.err
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

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
