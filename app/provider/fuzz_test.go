package provider

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"cxinbox/model"
)

// seed adds every testdata sample whose name starts with prefix.
func seed(f *testing.F, prefix string) {
	files, _ := filepath.Glob(filepath.Join("testdata", prefix+"_*"))
	if len(files) == 0 {
		f.Fatalf("no %s samples", prefix)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// fuzzParser: never panic, and whatever comes back is a valid message.
func fuzzParser(f *testing.F, prefix string, parse func([]byte) ([]model.Inbound, error)) {
	seed(f, prefix)
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs, err := parse(body)
		if err != nil {
			if len(msgs) != 0 {
				t.Fatalf("error %v with %d messages", err, len(msgs))
			}
			return
		}
		checkInbound(t, msgs)
		for _, m := range msgs {
			for _, s := range []string{m.Text, m.SenderName, m.Subject} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 %q", s)
				}
			}
		}
	})
}

func FuzzParseWhatsApp(f *testing.F)  { fuzzParser(f, "whatsapp", ParseWhatsApp) }
func FuzzParseMeta(f *testing.F)      { fuzzParser(f, "meta", ParseMeta) }
func FuzzParseTelegram(f *testing.F)  { fuzzParser(f, "telegram", ParseTelegram) }
func FuzzParseTwilioSMS(f *testing.F) { fuzzParser(f, "sms", ParseTwilioSMS) }
func FuzzParseEmail(f *testing.F)     { fuzzParser(f, "email", ParseEmail) }
func FuzzParseWebChat(f *testing.F)   { fuzzParser(f, "webchat", ParseWebChat) }

// FuzzEventUnmarshal: an event that decodes must encode again to the same
// event, and parse (or fail) without panicking.
func FuzzEventUnmarshal(f *testing.F) {
	files, _ := filepath.Glob("testdata/*_*.*")
	for _, file := range files {
		body, _ := os.ReadFile(file)
		prefix, _, _ := strings.Cut(filepath.Base(file), "_")
		ch := model.Channel(prefix)
		if prefix == "meta" {
			ch = model.Facebook
		}
		if line, err := json.Marshal(Event{Channel: ch, Body: body}); err == nil {
			f.Add(line)
		}
	}
	f.Add([]byte(`{"channel":"sms","body":{}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			return
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("decoded %s but cannot encode it: %v", line, err)
		}
		var e2 Event
		if err := json.Unmarshal(again, &e2); err != nil || e2.Channel != e.Channel || len(e2.Body) == 0 {
			t.Fatalf("re-decode of %s: %+v, %v", again, e2, err)
		}
		if msgs, err := Parse(e.Channel, e.Body); err == nil {
			checkInbound(t, msgs)
		}
	})
}
