package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"cxinbox/model"
)

// parseCase is one sample body in testdata/ and what parsing it gives:
// an error containing err, or exactly want (nil want = no messages).
type parseCase struct {
	file string
	err  string
	want []model.Inbound
}

func runCases(t *testing.T, parse func([]byte) ([]model.Inbound, error), cases []parseCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parse(body)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkInbound(t, got)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got\n%s\nwant\n%s", dump(got), dump(c.want))
			}
		})
	}
}

// checkInbound asserts the rules every parser promises.
func checkInbound(t testing.TB, msgs []model.Inbound) {
	t.Helper()
	for i := range msgs {
		m := &msgs[i]
		if err := m.Validate(); err != nil {
			t.Fatalf("message %d fails Validate: %v", i, err)
		}
		if m.SentAt.Location() != time.UTC {
			t.Fatalf("message %d: SentAt %v is not UTC", i, m.SentAt)
		}
		if m.Text != strings.TrimSpace(m.Text) {
			t.Fatalf("message %d: text %q is not trimmed", i, m.Text)
		}
	}
}

func dump(msgs []model.Inbound) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "%+v", m)
		if m.Prechat != nil {
			fmt.Fprintf(&b, " prechat=%+v", *m.Prechat)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func id(ch model.Channel, v string) model.Identity { return model.Identity{Channel: ch, Value: v} }

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func rfc3339(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestParseWhatsApp(t *testing.T) {
	kerry := id(model.WhatsApp, "+16315551181")
	wa := func(from model.Identity, name, mid, text string, sec int64) model.Inbound {
		return model.Inbound{Sender: from, SenderName: name, MessageID: mid, Text: text, SentAt: unix(sec)}
	}
	runCases(t, ParseWhatsApp, []parseCase{
		{file: "whatsapp_text.json", want: []model.Inbound{
			wa(kerry, "Kerry Fisher", "wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTdBMjY0RjQ5RjY4QzQ3RUQ4RgA=", "Hi, my order is late\n#4711", 1763990000)}},
		{file: "whatsapp_multi.json", want: []model.Inbound{
			wa(kerry, "Kerry Fisher", "wamid.AAA1", "First", 1763990000),
			wa(id(model.WhatsApp, "+5511987654321"), "João Silva", "wamid.AAA2", "[image] the broken part", 1763990005),
			wa(kerry, "Kerry Fisher", "wamid.AAA3", "[document] invoice.pdf", 1763990010)}},
		{file: "whatsapp_media.json", want: []model.Inbound{
			wa(kerry, "Kerry Fisher", "wamid.M1", "[location] Shop Alexanderplatz 1 (52.52, 13.405)", 1763990001),
			wa(kerry, "Kerry Fisher", "wamid.M2", "[button] Yes, please", 1763990002),
			wa(kerry, "Kerry Fisher", "wamid.M3", "[reaction] 👍", 1763990003),
			wa(kerry, "Kerry Fisher", "wamid.M4", "[audio]", 1763990004),
			wa(kerry, "Kerry Fisher", "wamid.M5", "[unsupported]", 1763990005)}},
		{file: "whatsapp_statuses.json"},
		{file: "whatsapp_malformed.json", err: "whatsapp: malformed JSON"},
		{file: "whatsapp_missing_from.json", err: "whatsapp: entry[0].changes[0].value.messages[1]: missing from"},
		{file: "whatsapp_missing_id.json", err: "entry[0].changes[0].value.messages[0]: missing id"},
		{file: "whatsapp_wrong_type.json", err: "whatsapp: entry[0].changes[0].value.messages[0].timestamp is a number, want a string"},
		{file: "whatsapp_bad_phone.json", err: `messages[0]: from "abc" is not a phone number`},
		{file: "whatsapp_unknown_object.json", err: `whatsapp: object "page" is not whatsapp_business_account`},
		{file: "whatsapp_entry_not_array.json", err: "whatsapp: entry is an object, want an array"},
	})
}

func TestParseMeta(t *testing.T) {
	ms := func(v int64) time.Time { return time.UnixMilli(v).UTC() }
	runCases(t, ParseMeta, []parseCase{
		{file: "meta_facebook_text.json", want: []model.Inbound{{
			Sender: id(model.Facebook, "110392518376541:6183004271690128"), MessageID: "m_Gx7Q1bAqT2-tq8HsX0tXqjJ8Yw",
			Text: "Do you ship to Canada?", SentAt: ms(1763990000000)}}},
		{file: "meta_facebook_multi.json", want: []model.Inbound{
			{Sender: id(model.Facebook, "110392518376541:6183004271690128"), MessageID: "m_1", Text: "Hello", SentAt: ms(1763990000500)},
			{Sender: id(model.Facebook, "110392518376541:6183004271690128"), MessageID: "m_2", Text: "[image]", SentAt: ms(1763990000900)},
			{Sender: id(model.Facebook, "220392518376542:7283004271690129"), MessageID: "m_3", Text: "Second page", SentAt: ms(1763990002000)}}},
		{file: "meta_instagram_text.json", want: []model.Inbound{{
			Sender:    id(model.Instagram, "17841405822304914:1185032942198383"),
			MessageID: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTkzNTcyNDQ4MjMwODM3NjozMTY0NjU4MTM3MzQwMjk4NDYzMzQ2MDg5MzQ3OTk5OTkzNgZDZD",
			Text:      "[story_mention]\nIs this in stock?", SentAt: ms(1763990000300)}}},
		{file: "meta_delivery_only.json"},
		{file: "meta_malformed.json", err: "meta: malformed JSON"},
		{file: "meta_unknown_object.json", err: `meta: unknown object "whatsapp_business_account"`},
		{file: "meta_missing_sender.json", err: "facebook: entry[0].messaging[0]: missing sender.id"},
		{file: "meta_missing_mid.json", err: "instagram: entry[0].messaging[0]: missing message.mid"},
		{file: "meta_wrong_type.json", err: "facebook: entry[0].messaging[0].sender.id is a number, want a string"},
		{file: "meta_bad_sender.json", err: `facebook: entry[0].messaging[0]: sender: meta identity: id "abc" is not numeric`},
	})
}

func TestParseTelegram(t *testing.T) {
	runCases(t, ParseTelegram, []parseCase{
		{file: "telegram_text.json", want: []model.Inbound{{
			Sender: id(model.Telegram, "5512003401"), SenderName: "Test Lastname", MessageID: "5512003401:1365",
			Text: "/start", SentAt: unix(1763990000)}}},
		{file: "telegram_photo.json", want: []model.Inbound{{
			Sender: id(model.Telegram, "5512003401"), SenderName: "Test", MessageID: "5512003401:1366",
			Text: "[photo] this arrived broken", SentAt: unix(1763990060)}}},
		{file: "telegram_edited.json"},
		{file: "telegram_callback.json"},
		{file: "telegram_malformed.json", err: "telegram: malformed JSON"},
		{file: "telegram_from_id_string.json", err: "telegram: message.from.id is a string, want an integer"},
		{file: "telegram_missing_from.json", err: "telegram: missing message.from.id"},
		{file: "telegram_missing_message_id.json", err: "telegram: missing message.message_id"},
		{file: "telegram_missing_update_id.json", err: "telegram: missing update_id"},
	})
}

func TestParseTwilioSMS(t *testing.T) {
	received := time.Date(2025, 11, 24, 13, 14, 0, 0, time.UTC)
	defer func(old func() time.Time) { now = old }(now)
	now = func() time.Time { return received.In(time.FixedZone("CET", 3600)) }
	sid := "SM9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
	runCases(t, ParseTwilioSMS, []parseCase{
		{file: "sms_text.txt", want: []model.Inbound{{
			Sender: id(model.SMS, "+15558675310"), MessageID: sid, Text: "Hi, where is my order? 📦", SentAt: received}}},
		{file: "sms_mms.txt", want: []model.Inbound{{
			Sender: id(model.SMS, "+491701234567"), MessageID: "MM0123456789abcdef0123456789abcdef", Text: "[image]\n[video]", SentAt: received}}},
		{file: "sms_date_sent.txt", want: []model.Inbound{{
			Sender: id(model.SMS, "+15558675310"), MessageID: sid, Text: "back from the archive", SentAt: unix(1763990000)}}},
		{file: "sms_status_callback.txt"},
		{file: "sms_bad_phone.txt", err: `sms: From "abc" is not a phone number: `},
		{file: "sms_missing_from.txt", err: "sms: missing From"},
		{file: "sms_missing_sid.txt", err: "sms: missing MessageSid"},
		{file: "sms_bad_sid.txt", err: `sms: MessageSid "SMnothex" is not SM or MM followed by 32 hex digits`},
		{file: "sms_malformed.txt", err: "sms: malformed form body"},
		{file: "sms_bad_date.txt", err: `sms: DateSent "yesterday" is not an RFC 1123 date`},
	})
}

func TestParseEmail(t *testing.T) {
	runCases(t, ParseEmail, []parseCase{
		{file: "email_plain.eml", want: []model.Inbound{{
			Sender: id(model.Email, "kerry.fisher@example.com"), SenderName: "Kerry Fisher", MessageID: "CAF=abc123@mail.example.com",
			Subject: "Order #4711 is late", Text: "Hello,\n\nmy order #4711 has not arrived.\n\nKerry", SentAt: unix(1763990000)}}},
		{file: "email_encoded_name.eml", want: []model.Inbound{{
			Sender: id(model.Email, "ana@example.es"), SenderName: "Núñez", MessageID: "reply-2@mail.example.es",
			Subject: "Re: Pedido nº 4711", InReplyTo: []string{"out-1@shop.test", "first@mail.example.es"},
			Text:   "Gracias, ¿cuándo llega?\n\n> On Mon, Shop Support wrote:\n> Your order ships today.",
			SentAt: rfc3339("2025-11-25T12:00:00Z")}}},
		{file: "email_quoted_encoded_name.eml", want: []model.Inbound{{
			Sender: id(model.Email, "joerg@example.de"), SenderName: "Jörg Müller", MessageID: "q1@mail.example.de",
			Subject: "Grüße", Text: "Schöne Grüße", SentAt: rfc3339("2025-11-26T10:00:00Z")}}},
		{file: "email_multipart_alternative.eml", want: []model.Inbound{{
			Sender: id(model.Email, "kerry@example.com"), SenderName: "Kerry Fisher", MessageID: "alt-1@mail.example.com", Subject: "Refund",
			Text: "I would like a refund for order #4711. The price was 49,90 € and this line is soft-wrapped.", SentAt: unix(1763990000)}}},
		{file: "email_multipart_mixed.eml", want: []model.Inbound{{
			Sender: id(model.Email, "kerry@example.com"), MessageID: "mixed-1@mail.example.com", Subject: "Invoice attached",
			Text: "Please see the invoice.\nDanke schön!\n[attachment] invoice.pdf", SentAt: unix(1763990000)}}},
		{file: "email_html_only.eml", want: []model.Inbound{{
			Sender: id(model.Email, "kerry@example.com"), SenderName: "Kerry", MessageID: "html-1@mail.example.com", Subject: "Hi",
			Text: "Where is my \"parcel\"?\nThanks & bye", SentAt: unix(1763990000)}}},
		{file: "email_no_from.eml", err: "email: no From header"},
		{file: "email_bad_from.eml", err: `email: From "not an address" is not an address`},
		{file: "email_no_message_id.eml", err: "email: no Message-ID header"},
		{file: "email_no_date.eml", err: "email: no Date header"},
		{file: "email_bad_date.eml", err: `email: Date "the day before yesterday" is not an RFC 5322 date`},
		{file: "email_malformed.eml", err: "email: malformed message"},
		{file: "email_quoted_local.eml", err: `email: From "\"john..doe\"@example.com" is not an address`},
		{file: "email_bad_base64.eml", err: "email: body: text/plain part: illegal base64"},
	})
}

func TestParseWebChat(t *testing.T) {
	runCases(t, ParseWebChat, []parseCase{
		{file: "webchat_prechat.json", want: []model.Inbound{{
			Sender: id(model.WebChat, "v_8f14e45fceea167a5a36dedd4bea2543"), SenderName: "Ana Núñez", MessageID: "wc_01JD5Q8Z3K",
			Text: "Hi, I have a question about pricing", SentAt: rfc3339("2025-11-24T13:13:20.5Z"), StartedBy: model.StartedByVisitor,
			Prechat: &model.Prechat{Name: "Ana Núñez", Email: "ana.nunez@example.es", Phone: "+4930901820", Company: "Núñez GmbH",
				Extra: map[string]string{"order_number": "4711"}},
			Country: "DE", Timezone: "Europe/Berlin", Language: "de-DE"}}},
		{file: "webchat_workflow.json", want: []model.Inbound{{
			Sender: id(model.WebChat, "v_c9f0f895fb98ab9159f51fd0297e236d"), MessageID: "wc_01JD5QA", Text: "yes please",
			SentAt: unix(1763990000), StartedBy: model.StartedByWorkflow}}},
		{file: "webchat_empty_prechat.json", want: []model.Inbound{{
			Sender: id(model.WebChat, "v_1"), MessageID: "wc_2", Text: "hello", SentAt: unix(1763990000), StartedBy: model.StartedByAgent}}},
		{file: "webchat_prechat_not_visitor.json", err: `webchat: prechat given but started_by is "agent"`},
		{file: "webchat_bad_email.json", err: `webchat: prechat.email: email address "ana@" is not valid`},
		{file: "webchat_quoted_email.json", err: `webchat: prechat.email: email address "\"a b\"@example.com" is not valid: quoted local part`},
		{file: "webchat_bad_phone.json", err: `webchat: prechat.phone: phone number "call me maybe" is not valid`},
		{file: "webchat_bad_country.json", err: `webchat: country: country "Germany" is not an ISO 3166 two-letter code`},
		{file: "webchat_bad_timezone.json", err: `webchat: timezone: time zone "CET+1" is not an IANA name`},
		{file: "webchat_wrong_type.json", err: "webchat: prechat.seats is a number, want a string"},
		{file: "webchat_missing_visitor.json", err: "webchat: missing visitor_id"},
		{file: "webchat_missing_message_id.json", err: "webchat: missing message_id"},
		{file: "webchat_bad_started_by.json", err: `webchat: started_by "bot" is not visitor, workflow or agent`},
		{file: "webchat_bad_sent_at.json", err: `webchat: sent_at "24.11.2025 13:13" is not an RFC 3339 time`},
		{file: "webchat_malformed.json", err: "webchat: malformed JSON"},
	})
}

// TestParseDispatch feeds every good sample through Parse with the channel
// its name implies, and checks a Meta body cannot pass for the other app.
func TestParseDispatch(t *testing.T) {
	files, _ := filepath.Glob("testdata/*_*.*")
	for _, f := range files {
		body, _ := os.ReadFile(f)
		prefix, _, _ := strings.Cut(filepath.Base(f), "_")
		ch := model.Channel(prefix)
		if prefix == "meta" {
			ch = model.Facebook
			if strings.Contains(f, "instagram") {
				ch = model.Instagram
			}
		}
		msgs, err := Parse(ch, body)
		if err == nil {
			checkInbound(t, msgs)
		}
	}
	fb, _ := os.ReadFile("testdata/meta_facebook_text.json")
	if _, err := Parse(model.Instagram, fb); err == nil || !strings.Contains(err.Error(), "instagram: body is for facebook") {
		t.Errorf("instagram event with a page body: error = %v", err)
	}
	if _, err := Parse("fax", fb); err == nil || !strings.Contains(err.Error(), `unknown channel "fax"`) {
		t.Errorf("unknown channel: error = %v", err)
	}
}
