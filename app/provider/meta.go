package provider

import (
	"fmt"
	json "github.com/goccy/go-json"
	"strings"
	"time"

	"cxinbox/model"
)

// Messenger Platform / Instagram messaging webhook shapes.
type (
	metaBody struct {
		Object string            `json:"object"`
		Entry  []json.RawMessage `json:"entry"`
	}
	metaEntry struct {
		ID        string            `json:"id"`
		Time      int64             `json:"time"`
		Messaging []json.RawMessage `json:"messaging"`
	}
	metaID struct {
		ID string `json:"id"`
	}
	metaEvent struct {
		Sender    metaID       `json:"sender"`
		Recipient metaID       `json:"recipient"`
		Timestamp int64        `json:"timestamp"`
		Message   *metaMessage `json:"message,omitempty"`
	}
	metaMessage struct {
		Mid           string `json:"mid"`
		Text          string `json:"text,omitempty"`
		IsEcho        bool   `json:"is_echo,omitempty"`
		IsDeleted     bool   `json:"is_deleted,omitempty"`
		IsUnsupported bool   `json:"is_unsupported,omitempty"`
		Attachments   []struct {
			Type    string `json:"type"`
			Payload struct {
				Title string `json:"title"`
			} `json:"payload"`
		} `json:"attachments,omitempty"`
	}
)

func metaObject(ch model.Channel) string {
	if ch == model.Instagram {
		return "instagram"
	}
	return "page"
}

// ParseMeta parses a Messenger (object "page" → facebook) or Instagram
// (object "instagram") webhook. Senders are page-scoped ids, so identities
// are model.MetaIdentity(page id, sender id). Echoes of the page's own
// messages, deletions and delivery/read/other events yield no message.
func ParseMeta(body []byte) ([]model.Inbound, error) {
	_, msgs, err := parseMeta(body)
	return msgs, err
}

func parseMeta(body []byte) (model.Channel, []model.Inbound, error) {
	var b metaBody
	if err := decode(body, "", &b); err != nil {
		return "", nil, fmt.Errorf("meta: %w", err)
	}
	var ch model.Channel
	switch b.Object {
	case "page":
		ch = model.Facebook
	case "instagram":
		ch = model.Instagram
	case "":
		return "", nil, fmt.Errorf("meta: missing object")
	default:
		return "", nil, fmt.Errorf("meta: unknown object %q (want page or instagram)", b.Object)
	}
	p := string(ch)
	var out []model.Inbound
	for i, rawEntry := range b.Entry {
		path := fmt.Sprintf("entry[%d]", i)
		var e metaEntry
		if err := decode(rawEntry, path, &e); err != nil {
			return "", nil, fmt.Errorf("%s: %w", p, err)
		}
		for j, rawEvent := range e.Messaging {
			path := fmt.Sprintf("%s.messaging[%d]", path, j)
			m, ok, err := metaInbound(ch, rawEvent, path, e)
			if err != nil {
				return "", nil, fmt.Errorf("%s: %w", p, err)
			}
			if ok {
				out = append(out, m)
			}
		}
	}
	out, err := checked(p, out)
	return ch, out, err
}

func metaInbound(ch model.Channel, raw json.RawMessage, path string, e metaEntry) (model.Inbound, bool, error) {
	var ev metaEvent
	if err := decode(raw, path, &ev); err != nil {
		return model.Inbound{}, false, err
	}
	m := ev.Message
	if m == nil || m.IsEcho || m.IsDeleted {
		return model.Inbound{}, false, nil
	}
	if ev.Sender.ID == "" {
		return model.Inbound{}, false, fmt.Errorf("%s: missing sender.id", path)
	}
	if m.Mid == "" {
		return model.Inbound{}, false, fmt.Errorf("%s: missing message.mid", path)
	}
	page := e.ID
	if page == "" {
		page = ev.Recipient.ID
	}
	v, err := model.MetaIdentity(page, ev.Sender.ID)
	if err != nil {
		return model.Inbound{}, false, fmt.Errorf("%s: sender: %w", path, err)
	}
	ms := ev.Timestamp
	if ms == 0 {
		ms = e.Time
	}
	at, ok := unixTime(ms / 1000)
	if !ok {
		return model.Inbound{}, false, fmt.Errorf("%s: timestamp %d is not a Unix time in milliseconds", path, ms)
	}
	at = at.Add(time.Duration(ms%1000) * time.Millisecond)

	parts := []string{}
	for _, a := range m.Attachments {
		parts = append(parts, label(a.Type, a.Payload.Title))
	}
	if m.IsUnsupported {
		parts = append(parts, label("unsupported"))
	}
	if t := clean(m.Text); t != "" {
		parts = append(parts, t)
	}
	return model.Inbound{
		Sender:    model.Identity{Channel: ch, Value: v},
		MessageID: m.Mid,
		Text:      strings.Join(parts, "\n"),
		SentAt:    at,
	}, true, nil
}

// MetaMsg is one customer message for MetaBody.
type MetaMsg struct {
	PageID   string    // receiving Facebook page or Instagram account id (numeric)
	SenderID string    // PSID / IGSID (numeric)
	MID      string    // message.mid, the idempotency key
	Text     string    // message text
	SentAt   time.Time // sent as Unix milliseconds
}

// MetaBody builds a Messenger (ch facebook) or Instagram (ch instagram)
// webhook body, one entry per page in order of first appearance.
func MetaBody(ch model.Channel, msgs ...MetaMsg) []byte {
	var entries []*metaEntry
	byPage := map[string]*metaEntry{}
	for _, m := range msgs {
		e := byPage[m.PageID]
		if e == nil {
			e = &metaEntry{ID: m.PageID, Time: m.SentAt.UnixMilli(), Messaging: []json.RawMessage{}}
			byPage[m.PageID] = e
			entries = append(entries, e)
		}
		e.Messaging = append(e.Messaging, mustJSON(metaEvent{
			Sender:    metaID{m.SenderID},
			Recipient: metaID{m.PageID},
			Timestamp: m.SentAt.UnixMilli(),
			Message:   &metaMessage{Mid: m.MID, Text: m.Text},
		}))
	}
	b := metaBody{Object: metaObject(ch), Entry: []json.RawMessage{}}
	for _, e := range entries {
		b.Entry = append(b.Entry, mustJSON(e))
	}
	return mustJSON(b)
}
