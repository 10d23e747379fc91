package app

import (
	"context"
	"slices"

	"cxinbox/model"
	"cxinbox/storage"
)

// VisitorChat is what the web-chat page shows a visitor: their own web-chat
// messages, inbound and the agents' replies, and nothing else of the contact.
type VisitorChat struct {
	ContactID int64           // 0 while the visitor has not written yet
	Messages  []model.Message // oldest first, at most the limit asked for (the newest ones)
}

// VisitorConversation returns the conversation of the web-chat visitor whose
// cookie is visitorID: the messages of the contact's web-chat tickets on
// that cookie (of its 50 newest web-chat tickets), oldest message first, the
// newest limit of them.
func (a *App) VisitorConversation(ctx context.Context, visitorID string, limit int) (VisitorChat, error) {
	var vc VisitorChat
	id, err := model.NewIdentity(model.WebChat, visitorID)
	if err != nil {
		return vc, err
	}
	cid, ok, err := a.store.ContactOfIdentity(ctx, id)
	if err != nil || !ok {
		return vc, err
	}
	vc.ContactID = cid
	tks, err := a.store.ListTickets(ctx, storage.TicketQuery{ContactID: cid, Channel: model.WebChat, Limit: 50})
	if err != nil {
		return vc, err
	}
	for _, tk := range tks {
		if tk.Identity != id.Value {
			// A merged contact's chats from another browser stay off this
			// one's page: a cookie proves nothing about who the person is.
			continue
		}
		ms, err := a.store.Messages(ctx, tk.ID)
		if err != nil {
			return vc, err
		}
		vc.Messages = append(vc.Messages, ms...)
	}
	slices.SortStableFunc(vc.Messages, func(x, y model.Message) int {
		if c := x.SentAt.Compare(y.SentAt); c != 0 {
			return c
		}
		return int(x.ID - y.ID)
	})
	if limit > 0 && len(vc.Messages) > limit {
		vc.Messages = vc.Messages[len(vc.Messages)-limit:]
	}
	return vc, nil
}
