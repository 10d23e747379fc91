package provider

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"cxinbox/model"
)

var t0 = time.Date(2025, 11, 24, 13, 13, 20, 0, time.UTC)

// TestRoundTrip checks that each builder's body parses back to what was put
// in, through Parse as the ingest will call it.
func TestRoundTrip(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	longLine := strings.Repeat("a long line with = signs and ümläuts ", 5)
	cases := []struct {
		name string
		ch   model.Channel
		body []byte
		want []model.Inbound
	}{
		{"whatsapp", model.WhatsApp, WhatsAppBody(
			WhatsAppMsg{From: "+16315551181", Name: "Kerry Fisher", ID: "wamid.1", Text: "Hi\nthere", SentAt: t0},
			WhatsAppMsg{From: "5511987654321", Name: "João", ID: "wamid.2", Text: "Olá", SentAt: t0.Add(time.Second)},
			WhatsAppMsg{From: "+16315551181", Name: "Kerry Fisher", ID: "wamid.3", Text: "again", SentAt: t0.Add(2 * time.Second)},
		), []model.Inbound{
			{Sender: id(model.WhatsApp, "+16315551181"), SenderName: "Kerry Fisher", MessageID: "wamid.1", Text: "Hi\nthere", SentAt: t0},
			{Sender: id(model.WhatsApp, "+5511987654321"), SenderName: "João", MessageID: "wamid.2", Text: "Olá", SentAt: t0.Add(time.Second)},
			{Sender: id(model.WhatsApp, "+16315551181"), SenderName: "Kerry Fisher", MessageID: "wamid.3", Text: "again", SentAt: t0.Add(2 * time.Second)},
		}},
		{"facebook", model.Facebook, MetaBody(model.Facebook,
			MetaMsg{PageID: "111", SenderID: "222", MID: "m_1", Text: "one", SentAt: t0.Add(123 * time.Millisecond)},
			MetaMsg{PageID: "333", SenderID: "222", MID: "m_2", Text: "two", SentAt: t0},
			MetaMsg{PageID: "111", SenderID: "444", MID: "m_3", Text: "three", SentAt: t0},
		), []model.Inbound{
			{Sender: id(model.Facebook, "111:222"), MessageID: "m_1", Text: "one", SentAt: t0.Add(123 * time.Millisecond)},
			{Sender: id(model.Facebook, "111:444"), MessageID: "m_3", Text: "three", SentAt: t0},
			{Sender: id(model.Facebook, "333:222"), MessageID: "m_2", Text: "two", SentAt: t0},
		}},
		{"instagram", model.Instagram, MetaBody(model.Instagram,
			MetaMsg{PageID: "17841405822304914", SenderID: "1185032942198383", MID: "ig_1", Text: "in stock?", SentAt: t0},
		), []model.Inbound{
			{Sender: id(model.Instagram, "17841405822304914:1185032942198383"), MessageID: "ig_1", Text: "in stock?", SentAt: t0},
		}},
		{"telegram", model.Telegram, TelegramBody(TelegramMsg{
			UpdateID: 9, MessageID: 77, FromID: 5512003401, FirstName: "Test", LastName: "Lastname", Username: "t", Text: "hello", SentAt: t0.In(berlin)},
		), []model.Inbound{
			{Sender: id(model.Telegram, "5512003401"), SenderName: "Test Lastname", MessageID: "5512003401:77", Text: "hello", SentAt: t0},
		}},
		{"sms", model.SMS, TwilioSMSBody(SMSMsg{
			MessageSid: "SM" + strings.Repeat("ab", 16), From: "+491701234567", To: "+4930901820", Body: "Grüße & <tags> + more", SentAt: t0.In(berlin)},
		), []model.Inbound{
			{Sender: id(model.SMS, "+491701234567"), MessageID: "SM" + strings.Repeat("ab", 16), Text: "Grüße & <tags> + more", SentAt: t0},
		}},
		{"email", model.Email, EmailBody(EmailMsg{
			MessageID: "r2@mail.example.es", From: "Ana@Example.ES", FromName: "Ana Núñez", To: "support@shop.test",
			Subject: "Re: ¿Pedido nº 4711?", Text: "Gracias!\n\n" + longLine + "\ntrailing space here  \nend",
			InReplyTo: "out-1@shop.test", References: []string{"first@mail.example.es", "out-1@shop.test"}, SentAt: t0.In(berlin)},
		), []model.Inbound{
			{Sender: id(model.Email, "ana@example.es"), SenderName: "Ana Núñez", MessageID: "r2@mail.example.es",
				Subject: "Re: ¿Pedido nº 4711?", Text: "Gracias!\n\n" + longLine + "\ntrailing space here  \nend",
				InReplyTo: []string{"out-1@shop.test", "first@mail.example.es"}, SentAt: t0},
		}},
		{"webchat", model.WebChat, WebChatBody(WebChatMsg{
			VisitorID: "v_1", MessageID: "wc_1", Text: "pricing?", StartedBy: model.StartedByVisitor,
			Prechat: &model.Prechat{Name: "Ana", Email: "ana@example.es", Phone: "+4930901820", Company: "ACME",
				Extra: map[string]string{"order": "4711", "name": "shadowed by the standard field"}},
			Country: "DE", Timezone: "Europe/Berlin", Language: "de", SentAt: t0.Add(5 * time.Millisecond).In(berlin)},
		), []model.Inbound{
			{Sender: id(model.WebChat, "v_1"), SenderName: "Ana", MessageID: "wc_1", Text: "pricing?", SentAt: t0.Add(5 * time.Millisecond),
				StartedBy: model.StartedByVisitor, Country: "DE", Timezone: "Europe/Berlin", Language: "de",
				Prechat: &model.Prechat{Name: "Ana", Email: "ana@example.es", Phone: "+4930901820", Company: "ACME", Extra: map[string]string{"order": "4711"}}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Through the JSONL event too, as the feed writes and ingest reads it.
			line, err := json.Marshal(Event{Channel: c.ch, Body: c.body})
			if err != nil {
				t.Fatal(err)
			}
			var e Event
			if err := json.Unmarshal(line, &e); err != nil {
				t.Fatal(err)
			}
			if e.Channel != c.ch || !bytes.Equal(e.Body, c.body) {
				t.Fatalf("event round trip changed the body:\n%s\n%s", c.body, e.Body)
			}
			got, err := Parse(e.Channel, e.Body)
			if err != nil {
				t.Fatalf("%v\nbody: %s", err, c.body)
			}
			checkInbound(t, got)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got\n%s\nwant\n%s\nbody: %s", dump(got), dump(c.want), c.body)
			}
		})
	}
}

func TestEmailBodyHeaders(t *testing.T) {
	raw := string(EmailBody(EmailMsg{MessageID: "a@b.c", From: "ana@example.es", FromName: "Ana Núñez", To: "s@shop.test",
		Subject: "Hola", Text: "x", InReplyTo: "p@b.c", References: []string{"r@b.c", "p@b.c"}, SentAt: t0}))
	for _, want := range []string{
		"Message-ID: <a@b.c>\r\n", "Date: Mon, 24 Nov 2025 13:13:20 +0000\r\n", "From: =?utf-8?q?Ana_N=C3=BA=C3=B1ez?= <ana@example.es>\r\n",
		"To: <s@shop.test>\r\n", "Subject: Hola\r\n", "In-Reply-To: <p@b.c>\r\n", "References: <r@b.c> <p@b.c>\r\n", "MIME-Version: 1.0\r\n",
		"Content-Type: text/plain; charset=utf-8\r\n", "Content-Transfer-Encoding: quoted-printable\r\n\r\nx",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("message lacks %q:\n%s", want, raw)
		}
	}
}

func TestSMSReceiveTime(t *testing.T) {
	defer func(old func() time.Time) { now = old }(now)
	now = func() time.Time { return t0.Add(1500 * time.Millisecond) }
	msgs, err := ParseTwilioSMS(TwilioSMSBody(SMSMsg{MessageSid: "SM" + strings.Repeat("0", 32), From: "+15558675310", Body: "hi"}))
	if err != nil || len(msgs) != 1 || !msgs[0].SentAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("got %v, %v; want one message stamped with the receive time", msgs, err)
	}
}

func TestEventJSON(t *testing.T) {
	wa, _ := os.ReadFile("testdata/whatsapp_text.json")
	line, err := json.Marshal(Event{Channel: "WhatsApp", Body: append([]byte("\n  "), wa...)})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(line, []byte(`{"channel":"whatsapp","body":{"object":`)) || bytes.Contains(line, []byte("\n")) {
		t.Errorf("whatsapp event = %s", line)
	}
	line, err = json.Marshal(Event{Channel: model.SMS, Body: []byte("Body=hi&From=%2B1")})
	if err != nil || string(line) != `{"channel":"sms","body":"Body=hi\u0026From=%2B1"}` {
		t.Errorf("sms event = %s, %v", line, err)
	}

	for _, c := range []struct{ line, err string }{
		{`{"channel":"fax","body":{}}`, `event: unknown channel "fax"`},
		{`{"body":{}}`, "event: missing channel"},
		{`{"channel":7,"body":{}}`, "event: channel is a number, want a string"},
		{`{"channel":"telegram"}`, "event: missing body"},
		{`{"channel":"telegram","body":null}`, "event: missing body"},
		{`{"channel":"email","body":""}`, "event: email body is empty"},
		{`{"channel":"sms","body":{"From":"+1"}}`, "event: sms body is an object, want a JSON string"},
		{`{"channel":"whatsapp","body":"{}"}`, "event: whatsapp body is a string, want a JSON object"},
		{`{"channel":"webchat","body":[1]}`, "event: webchat body is an array, want a JSON object"},
		{`["sms","x"]`, "event: line is an array, want a JSON object"},
		{`{"channel":"sms","body":"x"`, "unexpected end of JSON input"},
	} {
		var e Event
		if err := json.Unmarshal([]byte(c.line), &e); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error = %v, want one containing %q", c.line, err, c.err)
		}
	}
	for _, c := range []struct {
		e   Event
		err string
	}{
		{Event{Channel: "fax", Body: []byte("{}")}, `unknown channel "fax"`},
		{Event{Channel: model.Telegram, Body: []byte("[1]")}, "event: telegram body is not a JSON object"},
		{Event{Channel: model.Telegram, Body: []byte(`{"a":`)}, "event: telegram body is not a JSON object"},
		{Event{Channel: model.Email, Body: []byte("Subject: \xff\r\n")}, "event: email body is not valid UTF-8"},
		{Event{Channel: model.SMS}, "event: sms body is empty"},
	} {
		if _, err := json.Marshal(c.e); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%+v: error = %v, want one containing %q", c.e, err, c.err)
		}
	}
}
