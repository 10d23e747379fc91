package provider

import (
	"fmt"
	json "github.com/goccy/go-json"
	"strconv"
	"time"

	"cxinbox/model"
)

// Telegram Bot API shapes.
type (
	tgUpdate struct {
		UpdateID int64           `json:"update_id"`
		Message  json.RawMessage `json:"message,omitempty"`
	}
	tgUser struct {
		ID        int64  `json:"id"`
		IsBot     bool   `json:"is_bot"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name,omitempty"`
		Username  string `json:"username,omitempty"`
	}
	tgChat struct {
		ID        int64  `json:"id"`
		FirstName string `json:"first_name,omitempty"`
		Type      string `json:"type"`
	}
	tgMessage struct {
		MessageID int64   `json:"message_id"`
		From      *tgUser `json:"from,omitempty"`
		Chat      tgChat  `json:"chat"`
		Date      int64   `json:"date"`
		Text      string  `json:"text,omitempty"`
		Caption   string  `json:"caption,omitempty"`
		Sticker   *struct {
			Emoji string `json:"emoji"`
		} `json:"sticker,omitempty"`
		Document *struct {
			FileName string `json:"file_name"`
		} `json:"document,omitempty"`
		Location *struct {
			Latitude  float64 `json:"latitude"`
			Longitude float64 `json:"longitude"`
		} `json:"location,omitempty"`
		// Media we only name; their content is a file id.
		Photo     json.RawMessage `json:"photo,omitempty"`
		Video     json.RawMessage `json:"video,omitempty"`
		VideoNote json.RawMessage `json:"video_note,omitempty"`
		Voice     json.RawMessage `json:"voice,omitempty"`
		Audio     json.RawMessage `json:"audio,omitempty"`
		Animation json.RawMessage `json:"animation,omitempty"`
		Contact   json.RawMessage `json:"contact,omitempty"`
		Venue     json.RawMessage `json:"venue,omitempty"`
		Poll      json.RawMessage `json:"poll,omitempty"`
		Dice      json.RawMessage `json:"dice,omitempty"`
	}
)

// ParseTelegram parses one Bot API Update. Only update.message is a
// customer message; edited_message, callback_query, channel_post etc.
// yield none, as do service messages (members joining, pins) and messages
// from bots.
//
// MessageID is "<chat.id>:<message_id>", not update_id: message ids are
// unique per chat for good, while Telegram restarts update_id at random
// after a week without updates, so it can repeat.
func ParseTelegram(body []byte) ([]model.Inbound, error) {
	const p = "telegram"
	var u tgUpdate
	if err := decode(body, "", &u); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if u.UpdateID == 0 {
		return nil, fmt.Errorf("%s: missing update_id", p)
	}
	if isNull(u.Message) {
		return nil, nil
	}
	var m tgMessage
	if err := decode(u.Message, "message", &m); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	switch {
	case m.MessageID == 0:
		return nil, fmt.Errorf("%s: missing message.message_id", p)
	case m.Chat.ID == 0:
		return nil, fmt.Errorf("%s: missing message.chat.id", p)
	case m.From == nil || m.From.ID == 0:
		return nil, fmt.Errorf("%s: missing message.from.id", p)
	case m.From.IsBot:
		return nil, nil
	}
	sender, err := model.NewIdentity(model.Telegram, strconv.FormatInt(m.From.ID, 10))
	if err != nil {
		return nil, fmt.Errorf("%s: message.from.id: %w", p, err)
	}
	at, ok := unixTime(m.Date)
	if !ok {
		return nil, fmt.Errorf("%s: message.date %d is not a Unix time", p, m.Date)
	}
	text := tgText(&m)
	if text == "" {
		return nil, nil // service message: nothing the customer wrote
	}
	name := clean(m.From.FirstName + " " + m.From.LastName)
	return checked(p, []model.Inbound{{
		Sender:     sender,
		SenderName: name,
		MessageID:  strconv.FormatInt(m.Chat.ID, 10) + ":" + strconv.FormatInt(m.MessageID, 10),
		Text:       text,
		SentAt:     at,
	}})
}

func tgText(m *tgMessage) string {
	if t := clean(m.Text); t != "" {
		return t
	}
	switch {
	case m.Sticker != nil:
		return label("sticker", m.Sticker.Emoji)
	case m.Document != nil:
		return label("document", m.Document.FileName, m.Caption)
	case m.Location != nil:
		return label("location", fmt.Sprintf("(%g, %g)", m.Location.Latitude, m.Location.Longitude))
	}
	for _, k := range []struct {
		name string
		raw  json.RawMessage
	}{
		{"photo", m.Photo}, {"video", m.Video}, {"video_note", m.VideoNote}, {"voice", m.Voice},
		{"audio", m.Audio}, {"animation", m.Animation}, {"contact", m.Contact}, {"venue", m.Venue},
		{"poll", m.Poll}, {"dice", m.Dice},
	} {
		if !isNull(k.raw) {
			return label(k.name, m.Caption)
		}
	}
	return ""
}

// TelegramMsg is one customer message for TelegramBody, in a private chat
// with the bot (chat.id = from.id, as Telegram does for private chats).
type TelegramMsg struct {
	UpdateID  int64
	MessageID int64  // message_id within the chat
	FromID    int64  // the customer's user id
	FirstName string // required by Telegram
	LastName  string // optional
	Username  string // optional
	Text      string
	SentAt    time.Time // sent as Unix seconds
}

// TelegramBody builds the Update the Bot API posts for m.
func TelegramBody(m TelegramMsg) []byte {
	msg := tgMessage{
		MessageID: m.MessageID,
		From:      &tgUser{ID: m.FromID, FirstName: m.FirstName, LastName: m.LastName, Username: m.Username},
		Chat:      tgChat{ID: m.FromID, FirstName: m.FirstName, Type: "private"},
		Date:      m.SentAt.Unix(),
		Text:      m.Text,
	}
	return mustJSON(tgUpdate{UpdateID: m.UpdateID, Message: mustJSON(msg)})
}
