package provider

import (
	"fmt"
	json "github.com/goccy/go-json"
	"strconv"
	"time"

	"cxinbox/model"
)

// WhatsApp Cloud API webhook shapes. Arrays we walk stay raw so errors can
// name the element ("messages[1]"); encoding/json paths carry no index.
type (
	waBody struct {
		Object string            `json:"object"`
		Entry  []json.RawMessage `json:"entry"`
	}
	waEntry struct {
		ID      string            `json:"id"`
		Changes []json.RawMessage `json:"changes"`
	}
	waChange struct {
		Field string          `json:"field"`
		Value json.RawMessage `json:"value"`
	}
	waValue struct {
		MessagingProduct string `json:"messaging_product"`
		Metadata         struct {
			DisplayPhoneNumber string `json:"display_phone_number"`
			PhoneNumberID      string `json:"phone_number_id"`
		} `json:"metadata"`
		Contacts []waContact       `json:"contacts"`
		Messages []json.RawMessage `json:"messages"`
	}
	waContact struct {
		Profile struct {
			Name string `json:"name"`
		} `json:"profile"`
		WaID string `json:"wa_id"`
	}
	waMedia struct {
		ID       string `json:"id,omitempty"`
		Caption  string `json:"caption,omitempty"`
		Filename string `json:"filename,omitempty"`
		MimeType string `json:"mime_type,omitempty"`
	}
	waMessage struct {
		From      string `json:"from"`
		ID        string `json:"id"`
		Timestamp string `json:"timestamp"`
		Type      string `json:"type"`
		Text      *struct {
			Body string `json:"body"`
		} `json:"text,omitempty"`
		Image    *waMedia `json:"image,omitempty"`
		Video    *waMedia `json:"video,omitempty"`
		Audio    *waMedia `json:"audio,omitempty"`
		Document *waMedia `json:"document,omitempty"`
		Sticker  *waMedia `json:"sticker,omitempty"`
		Location *struct {
			Latitude  float64 `json:"latitude"`
			Longitude float64 `json:"longitude"`
			Name      string  `json:"name"`
			Address   string  `json:"address"`
		} `json:"location,omitempty"`
		Button *struct {
			Text string `json:"text"`
		} `json:"button,omitempty"`
		Interactive *struct {
			ButtonReply *struct {
				Title string `json:"title"`
			} `json:"button_reply"`
			ListReply *struct {
				Title string `json:"title"`
			} `json:"list_reply"`
		} `json:"interactive,omitempty"`
		Reaction *struct {
			Emoji string `json:"emoji"`
		} `json:"reaction,omitempty"`
	}
)

// ParseWhatsApp parses a WhatsApp Cloud API webhook. One body can carry
// several entries, changes and messages; changes other than "messages" and
// value.statuses (delivery receipts) carry no customer message.
func ParseWhatsApp(body []byte) ([]model.Inbound, error) {
	const p = "whatsapp"
	var b waBody
	if err := decode(body, "", &b); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	switch b.Object {
	case "whatsapp_business_account":
	case "":
		return nil, fmt.Errorf("%s: missing object", p)
	default:
		return nil, fmt.Errorf("%s: object %q is not whatsapp_business_account", p, b.Object)
	}
	var out []model.Inbound
	for i, rawEntry := range b.Entry {
		path := fmt.Sprintf("entry[%d]", i)
		var e waEntry
		if err := decode(rawEntry, path, &e); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for j, rawChange := range e.Changes {
			path := fmt.Sprintf("%s.changes[%d]", path, j)
			var c waChange
			if err := decode(rawChange, path, &c); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if c.Field == "" {
				return nil, fmt.Errorf("%s: %s: missing field", p, path)
			}
			if c.Field != "messages" || isNull(c.Value) {
				continue // account, template and other notifications
			}
			path += ".value"
			var v waValue
			if err := decode(c.Value, path, &v); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			for k, rawMsg := range v.Messages {
				path := fmt.Sprintf("%s.messages[%d]", path, k)
				m, err := waInbound(rawMsg, path, v.Contacts)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", p, err)
				}
				out = append(out, m)
			}
		}
	}
	return checked(p, out)
}

func waInbound(raw json.RawMessage, path string, contacts []waContact) (model.Inbound, error) {
	var m waMessage
	if err := decode(raw, path, &m); err != nil {
		return model.Inbound{}, err
	}
	switch {
	case m.From == "":
		return model.Inbound{}, fmt.Errorf("%s: missing from", path)
	case m.ID == "":
		return model.Inbound{}, fmt.Errorf("%s: missing id", path)
	case m.Timestamp == "":
		return model.Inbound{}, fmt.Errorf("%s: missing timestamp", path)
	case m.Type == "":
		return model.Inbound{}, fmt.Errorf("%s: missing type", path)
	}
	sender, err := model.NewIdentity(model.WhatsApp, m.From)
	if err != nil {
		return model.Inbound{}, fmt.Errorf("%s: from %q is not a phone number: %w", path, m.From, err)
	}
	sec, err := strconv.ParseInt(m.Timestamp, 10, 64)
	at, ok := unixTime(sec)
	if err != nil || !ok {
		return model.Inbound{}, fmt.Errorf("%s: timestamp %q is not a Unix time", path, m.Timestamp)
	}
	text, err := waText(&m)
	if err != nil {
		return model.Inbound{}, fmt.Errorf("%s: %w", path, err)
	}
	in := model.Inbound{Sender: sender, MessageID: m.ID, Text: text, SentAt: at}
	for _, c := range contacts {
		if c.WaID == m.From {
			in.SenderName = clean(c.Profile.Name)
		}
	}
	return in, nil
}

// waText renders the message as text; media keep their caption.
func waText(m *waMessage) (string, error) {
	media := map[string]*waMedia{"image": m.Image, "video": m.Video, "audio": m.Audio, "document": m.Document, "sticker": m.Sticker}
	switch {
	case m.Type == "text":
		if m.Text == nil || clean(m.Text.Body) == "" {
			return "", fmt.Errorf("missing text.body")
		}
		return clean(m.Text.Body), nil
	case media[m.Type] != nil:
		md := media[m.Type]
		return label(m.Type, md.Filename, md.Caption), nil
	case m.Type == "location" && m.Location != nil:
		l := m.Location
		return label("location", l.Name, l.Address, fmt.Sprintf("(%g, %g)", l.Latitude, l.Longitude)), nil
	case m.Type == "button" && m.Button != nil:
		return label("button", m.Button.Text), nil
	case m.Type == "interactive" && m.Interactive != nil:
		if r := m.Interactive.ButtonReply; r != nil {
			return label("button", r.Title), nil
		}
		if r := m.Interactive.ListReply; r != nil {
			return label("list", r.Title), nil
		}
	case m.Type == "reaction" && m.Reaction != nil:
		return label("reaction", m.Reaction.Emoji), nil
	}
	return label(m.Type), nil
}

// WhatsAppMsg is one customer message for WhatsAppBody.
type WhatsAppMsg struct {
	From   string    // customer's number: E.164 ("+4915…") or bare digits
	Name   string    // WhatsApp profile name
	ID     string    // wamid, the idempotency key
	Text   string    // a text message's body
	SentAt time.Time // sent as Unix seconds
}

// WhatsAppBody builds a Cloud API webhook body carrying msgs in one change,
// as Meta batches them: one contacts[] entry per distinct sender.
func WhatsAppBody(msgs ...WhatsAppMsg) []byte {
	v := waValue{MessagingProduct: "whatsapp", Contacts: []waContact{}}
	v.Metadata.DisplayPhoneNumber = "15550783881"
	v.Metadata.PhoneNumberID = "106540352242922"
	seen := map[string]bool{}
	for _, m := range msgs {
		from := digitsOnly(m.From)
		if !seen[from] {
			seen[from] = true
			c := waContact{WaID: from}
			c.Profile.Name = m.Name
			v.Contacts = append(v.Contacts, c)
		}
		wm := waMessage{From: from, ID: m.ID, Timestamp: strconv.FormatInt(m.SentAt.Unix(), 10), Type: "text"}
		wm.Text = &struct {
			Body string `json:"body"`
		}{m.Text}
		v.Messages = append(v.Messages, mustJSON(wm))
	}
	change := waChange{Field: "messages", Value: mustJSON(v)}
	entry := waEntry{ID: "102290129340398", Changes: []json.RawMessage{mustJSON(change)}}
	return mustJSON(waBody{Object: "whatsapp_business_account", Entry: []json.RawMessage{mustJSON(entry)}})
}

// digitsOnly writes a number the way WhatsApp does: digits, no "+".
func digitsOnly(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// mustJSON marshals builder values, which are plain strings and numbers and
// cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
