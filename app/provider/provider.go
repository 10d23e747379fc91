// Package provider turns each channel's own inbound webhook body into
// model.Inbound messages, and builds such bodies for the feed simulator, so
// that knowledge of the seven wire formats lives in one place.
//
// Parsers are strict about types (a string where the provider sends a number
// is an error, not a zero) and lenient about fields they do not use, since
// providers add fields over time. Bodies that carry no customer message
// (delivery receipts, edits, echoes) yield no messages and no error.
package provider

import (
	"bytes"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"cxinbox/model"
)

// Event is one line of the feed / ingest JSONL stream:
//
//	{"channel":"<one of the seven>","body":<provider body>}
//
// body is a JSON object for whatsapp, facebook, instagram, telegram and
// webchat, and a JSON string for sms (the form-encoded body) and email (the
// raw message).
type Event struct {
	Channel model.Channel
	Body    []byte // the raw HTTP body bytes as the provider sends them
}

// stringBody reports whether the channel's body travels as a JSON string.
func stringBody(ch model.Channel) bool { return ch == model.SMS || ch == model.Email }

// MarshalJSON emits the stream shape. An object body is written verbatim
// (json.Marshal around it only drops insignificant whitespace); a string
// body must be UTF-8, since a JSON string cannot carry other bytes intact.
func (e Event) MarshalJSON() ([]byte, error) {
	ch, err := model.ParseChannel(string(e.Channel))
	if err != nil {
		return nil, fmt.Errorf("event: %w", err)
	}
	var body []byte
	switch {
	case len(e.Body) == 0:
		return nil, fmt.Errorf("event: %s body is empty", ch)
	case stringBody(ch):
		if !utf8.Valid(e.Body) {
			return nil, fmt.Errorf("event: %s body is not valid UTF-8", ch)
		}
		body, _ = json.Marshal(string(e.Body))
	default:
		body = bytes.TrimSpace(e.Body)
		if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
			return nil, fmt.Errorf("event: %s body is not a JSON object", ch)
		}
	}
	b := append([]byte(`{"channel":"`), ch...)
	b = append(b, `","body":`...)
	b = append(b, body...)
	return append(b, '}'), nil
}

// UnmarshalJSON reads the stream shape, checking the channel and that the
// body is of the kind the channel sends.
func (e *Event) UnmarshalJSON(b []byte) error {
	var raw struct {
		Channel *string         `json:"channel"`
		Body    json.RawMessage `json:"body"`
	}
	if k := jsonKind(b); k != "an object" {
		return fmt.Errorf("event: line is %s, want a JSON object", k)
	}
	if err := decode(b, "", &raw); err != nil {
		return fmt.Errorf("event: %w", err)
	}
	if raw.Channel == nil {
		return errors.New("event: missing channel")
	}
	ch, err := model.ParseChannel(*raw.Channel)
	if err != nil {
		return fmt.Errorf("event: %w", err)
	}
	if isNull(raw.Body) {
		return fmt.Errorf("event: missing body")
	}
	want := "a JSON object"
	if stringBody(ch) {
		want = "a JSON string"
	}
	kind := jsonKind(raw.Body)
	switch {
	case stringBody(ch) && kind == "a string":
		var s string
		if err := json.Unmarshal(raw.Body, &s); err != nil {
			return fmt.Errorf("event: body: %w", err)
		}
		if s == "" {
			return fmt.Errorf("event: %s body is empty", ch)
		}
		*e = Event{Channel: ch, Body: []byte(s)}
	case !stringBody(ch) && kind == "an object":
		*e = Event{Channel: ch, Body: raw.Body}
	default:
		return fmt.Errorf("event: %s body is %s, want %s", ch, kind, want)
	}
	return nil
}

// Parse parses one provider body received on channel ch.
func Parse(ch model.Channel, body []byte) ([]model.Inbound, error) {
	switch ch {
	case model.WhatsApp:
		return ParseWhatsApp(body)
	case model.Facebook, model.Instagram:
		got, msgs, err := parseMeta(body)
		if err == nil && got != ch {
			return nil, fmt.Errorf("%s: body is for %s (object %q)", ch, got, metaObject(got))
		}
		return msgs, err
	case model.Telegram:
		return ParseTelegram(body)
	case model.SMS:
		return ParseTwilioSMS(body)
	case model.Email:
		return ParseEmail(body)
	case model.WebChat:
		return ParseWebChat(body)
	}
	return nil, fmt.Errorf("unknown channel %q", ch)
}

// decode unmarshals the JSON value found at path (a provider-docs style
// path like "entry[0].changes[0]"), rewording encoding/json's type errors
// so they name the field, what it held and what it should hold.
func decode(data []byte, path string, v any) error {
	err := json.Unmarshal(data, v)
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		field := join(path, te.Field)
		if field == "" {
			field = "body"
		}
		return fmt.Errorf("%s is %s, want %s", field, valueKind(te.Value), typeKind(te.Type))
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON: %v", err)
	}
	return err
}

func join(path, field string) string {
	if path == "" || field == "" {
		return path + field
	}
	return path + "." + field
}

// valueKind words UnmarshalTypeError.Value ("string", "number 1.5", …).
func valueKind(v string) string {
	switch {
	case v == "object" || v == "array":
		return "an " + v
	case v == "bool":
		return "a boolean"
	case strings.HasPrefix(v, "number "):
		return "the number " + strings.TrimPrefix(v, "number ")
	}
	return "a " + v
}

func typeKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// jsonKind names the kind of a (valid) raw JSON value.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// maxUnix is the end of year 9999: later times cannot be written as RFC 3339.
const maxUnix = 253402300799

// unixTime converts a provider's Unix timestamp; zero, negative and absurd
// values are rejected rather than stored as 1970 or year 300000.
func unixTime(sec int64) (time.Time, bool) {
	if sec <= 0 || sec > maxUnix {
		return time.Time{}, false
	}
	return time.Unix(sec, 0).UTC(), true
}

// clean is the form all free text is stored in: valid UTF-8, no
// surrounding whitespace.
func clean(s string) string {
	return strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
}

// label renders a non-text message as "[kind] detail…" so no customer
// message is dropped just because it is a picture.
func label(kind string, details ...string) string {
	parts := []string{"[" + kind + "]"}
	for _, d := range details {
		if d = clean(d); d != "" {
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, " ")
}

// checked is the parsers' last step: every message must pass Validate, so a
// gap in a parser surfaces as an error here rather than in storage.
func checked(prefix string, msgs []model.Inbound) ([]model.Inbound, error) {
	for i := range msgs {
		if err := msgs[i].Validate(); err != nil {
			return nil, fmt.Errorf("%s: message %s: %w", prefix, msgs[i].MessageID, err)
		}
	}
	return msgs, nil
}
