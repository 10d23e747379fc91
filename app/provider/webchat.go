package provider

import (
	"fmt"
	json "github.com/goccy/go-json"
	"slices"
	"time"

	"cxinbox/model"
)

// wcBody is the JSON our chat page posts.
type wcBody struct {
	VisitorID string                     `json:"visitor_id"`
	MessageID string                     `json:"message_id"`
	Text      string                     `json:"text"`
	StartedBy string                     `json:"started_by"`
	Prechat   map[string]json.RawMessage `json:"prechat,omitempty"`
	Country   string                     `json:"country,omitempty"`
	Timezone  string                     `json:"timezone,omitempty"`
	Language  string                     `json:"language,omitempty"`
	SentAt    string                     `json:"sent_at"`
}

// ParseWebChat parses a message posted by our chat page. The visitor id
// (the cookie) is the identity. prechat — name, email, phone, company and
// any other form fields, all strings — may only come with started_by
// "visitor", since only a visitor fills in the form; an empty form counts
// as none. Country, timezone, language and the prechat email and phone are
// validated and stored normalised; a bad one is an error naming the field.
func ParseWebChat(body []byte) ([]model.Inbound, error) {
	const p = "webchat"
	var b wcBody
	if err := decode(body, "", &b); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	switch {
	case b.VisitorID == "":
		return nil, fmt.Errorf("%s: missing visitor_id", p)
	case clean(b.MessageID) == "":
		return nil, fmt.Errorf("%s: missing message_id", p)
	case clean(b.Text) == "":
		return nil, fmt.Errorf("%s: missing text", p)
	case b.StartedBy == "":
		return nil, fmt.Errorf("%s: missing started_by", p)
	case b.SentAt == "":
		return nil, fmt.Errorf("%s: missing sent_at", p)
	}
	sender, err := model.NewIdentity(model.WebChat, b.VisitorID)
	if err != nil {
		return nil, fmt.Errorf("%s: visitor_id: %w", p, err)
	}
	sb := model.StartedBy(b.StartedBy)
	if sb != model.StartedByVisitor && sb != model.StartedByWorkflow && sb != model.StartedByAgent {
		return nil, fmt.Errorf("%s: started_by %q is not visitor, workflow or agent", p, b.StartedBy)
	}
	t, err := time.Parse(time.RFC3339Nano, b.SentAt)
	if err != nil || t.Unix() <= 0 {
		return nil, fmt.Errorf("%s: sent_at %q is not an RFC 3339 time", p, b.SentAt)
	}
	in := model.Inbound{
		Sender:    sender,
		MessageID: clean(b.MessageID),
		Text:      clean(b.Text),
		SentAt:    t.UTC(),
		StartedBy: sb,
	}
	for _, f := range []struct {
		name, raw string
		dst       *string
	}{{"country", b.Country, &in.Country}, {"timezone", b.Timezone, &in.Timezone}, {"language", b.Language, &in.Language}} {
		if *f.dst, err = model.NormalizeField(f.name, f.raw); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", p, f.name, err)
		}
	}
	if in.Prechat, err = wcPrechat(b.Prechat, in.Country); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if in.Prechat != nil {
		if sb != model.StartedByVisitor {
			return nil, fmt.Errorf("%s: prechat given but started_by is %q; only a visitor fills in the form", p, sb)
		}
		in.SenderName = in.Prechat.Name
	}
	return checked(p, []model.Inbound{in})
}

// wcPrechat reads the form; region (the browser's country) lets a phone
// typed in national format be understood.
func wcPrechat(form map[string]json.RawMessage, region string) (*model.Prechat, error) {
	var pc model.Prechat
	empty := true
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys) // errors must not depend on map order
	for _, k := range keys {
		var v string
		if !isNull(form[k]) {
			if err := decode(form[k], "prechat."+k, &v); err != nil {
				return nil, err
			}
		}
		if v = clean(v); v == "" {
			continue
		}
		var err error
		switch k {
		case "name", "company":
			dst := map[string]*string{"name": &pc.Name, "company": &pc.Company}[k]
			*dst, err = model.NormalizeField(k, v)
		case "email":
			pc.Email, err = model.NormalizeEmail(v) // idempotent: its output re-validates
		case "phone":
			pc.Phone, err = model.NormalizePhone(v, region)
		default:
			if pc.Extra == nil {
				pc.Extra = map[string]string{}
			}
			pc.Extra[k] = v
		}
		if err != nil {
			return nil, fmt.Errorf("prechat.%s: %w", k, err)
		}
		empty = false
	}
	if empty {
		return nil, nil
	}
	return &pc, nil
}

// WebChatMsg is one visitor message for WebChatBody.
type WebChatMsg struct {
	VisitorID string // the cookie value
	MessageID string
	Text      string
	StartedBy model.StartedBy
	Prechat   *model.Prechat // the filled-in form; Extra keys sit beside the standard ones
	Country   string         // ISO 3166 alpha-2, optional
	Timezone  string         // IANA, optional
	Language  string         // BCP 47, optional
	SentAt    time.Time      // sent as RFC 3339 with nanoseconds
}

// WebChatBody builds the JSON our chat page posts for m.
func WebChatBody(m WebChatMsg) []byte {
	b := wcBody{
		VisitorID: m.VisitorID, MessageID: m.MessageID, Text: m.Text, StartedBy: string(m.StartedBy),
		Country: m.Country, Timezone: m.Timezone, Language: m.Language,
		SentAt: m.SentAt.Format(time.RFC3339Nano),
	}
	if pc := m.Prechat; pc != nil {
		b.Prechat = map[string]json.RawMessage{}
		for k, v := range pc.Extra {
			b.Prechat[k] = mustJSON(v)
		}
		for k, v := range map[string]string{"name": pc.Name, "email": pc.Email, "phone": pc.Phone, "company": pc.Company} {
			if v != "" {
				b.Prechat[k] = mustJSON(v)
			}
		}
	}
	return mustJSON(b)
}
