package provider

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cxinbox/model"
)

// now is the clock behind the receive time given to SMS without DateSent;
// a variable so tests can fix it.
var now = time.Now

// ParseTwilioSMS parses Twilio's form-encoded incoming-message webhook.
//
// Twilio's webhook carries no send time, so SentAt is the receive time
// unless the body has a DateSent parameter (RFC 1123 with numeric zone, as
// the Message resource's date_sent is written): not something Twilio
// posts, but how the feed simulator and replays from the REST API keep the
// original time. Status callbacks (SmsStatus/MessageStatus other than
// "received") are delivery receipts and yield no message.
func ParseTwilioSMS(body []byte) ([]model.Inbound, error) {
	const p = "sms"
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%s: malformed form body: %v", p, err)
	}
	for _, k := range []string{"MessageStatus", "SmsStatus"} {
		if s := q.Get(k); s != "" && s != "received" {
			return nil, nil
		}
	}
	sid := q.Get("MessageSid")
	if sid == "" {
		return nil, fmt.Errorf("%s: missing MessageSid", p)
	}
	if !isTwilioSid(sid) {
		return nil, fmt.Errorf("%s: MessageSid %q is not SM or MM followed by 32 hex digits", p, sid)
	}
	from := q.Get("From")
	if from == "" {
		return nil, fmt.Errorf("%s: missing From", p)
	}
	sender, err := model.NewIdentity(model.SMS, from)
	if err != nil {
		return nil, fmt.Errorf("%s: From %q is not a phone number: %w", p, from, err)
	}
	at := now().UTC().Truncate(time.Second)
	if ds := q.Get("DateSent"); ds != "" {
		t, err := time.Parse(time.RFC1123Z, ds)
		if err != nil || t.Unix() <= 0 {
			return nil, fmt.Errorf("%s: DateSent %q is not an RFC 1123 date (like %q)", p, ds, time.RFC1123Z)
		}
		at = t.UTC()
	}
	// MMS media come as MediaContentType0…N; name each so a picture without
	// text is not an empty message.
	var parts []string
	if n, err := strconv.Atoi(q.Get("NumMedia")); err == nil {
		for i := 0; i < n && i < 10; i++ { // Twilio allows at most 10
			kind, _, _ := strings.Cut(q.Get("MediaContentType"+strconv.Itoa(i)), "/")
			if kind == "" {
				kind = "media"
			}
			parts = append(parts, label(clean(kind)))
		}
	}
	if t := clean(q.Get("Body")); t != "" {
		parts = append(parts, t)
	}
	return checked(p, []model.Inbound{{
		Sender:    sender,
		MessageID: sid,
		Text:      strings.Join(parts, "\n"),
		SentAt:    at,
	}})
}

func isTwilioSid(s string) bool {
	if len(s) != 34 || (s[:2] != "SM" && s[:2] != "MM") {
		return false
	}
	for _, c := range s[2:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// SMSMsg is one incoming SMS for TwilioSMSBody.
type SMSMsg struct {
	MessageSid string // "SM" + 32 lowercase hex digits
	AccountSid string // "AC" + 32 hex digits; a fixed test account if empty
	From, To   string // E.164
	Body       string
	SentAt     time.Time // carried as DateSent when set (see ParseTwilioSMS)
}

// TwilioSMSBody builds the form-encoded body Twilio posts for m.
func TwilioSMSBody(m SMSMsg) []byte {
	acct := m.AccountSid
	if acct == "" {
		acct = "AC00000000000000000000000000000000"
	}
	q := url.Values{
		"SmsMessageSid": {m.MessageSid}, "NumMedia": {"0"},
		"SmsSid": {m.MessageSid}, "SmsStatus": {"received"}, "Body": {m.Body}, "To": {m.To},
		"NumSegments": {"1"}, "MessageSid": {m.MessageSid}, "AccountSid": {acct},
		"From": {m.From}, "ApiVersion": {"2010-04-01"},
	}
	if !m.SentAt.IsZero() {
		q.Set("DateSent", m.SentAt.UTC().Format(time.RFC1123Z))
	}
	return []byte(q.Encode())
}
