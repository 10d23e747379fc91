package model

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzz targets for the normalisers. Each is seeded with its table's cases;
// run one with
//
//	go test ./model -run '^$' -fuzz '^FuzzNormalizeEmail$' -fuzztime 30s
//
// Properties: no panic; an accepted output meets its invariants and is a
// fixed point (normalising it again returns it, with no error).

// checkEmail fails unless v is a stored-form email address.
func checkEmail(t *testing.T, raw, v string) {
	t.Helper()
	if v != strings.ToLower(v) {
		t.Fatalf("NormalizeEmail(%q) = %q is not lower case", raw, v)
	}
	if strings.Count(v, "@") != 1 {
		t.Fatalf("NormalizeEmail(%q) = %q does not hold exactly one @", raw, v)
	}
	local, domain, _ := strings.Cut(v, "@")
	if local == "" || !strings.Contains(domain, ".") || strings.Contains(domain, "..") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		t.Fatalf("NormalizeEmail(%q) = %q: bad local part or domain", raw, v)
	}
	if strings.ContainsAny(v, " \t\r\n\"\\<>,") {
		t.Fatalf("NormalizeEmail(%q) = %q holds a space, quote or bracket", raw, v)
	}
	if !utf8.ValidString(v) {
		t.Fatalf("NormalizeEmail(%q) = %q is not valid UTF-8", raw, v)
	}
}

// checkPhone fails unless v is an E.164 number.
func checkPhone(t *testing.T, raw, v string) {
	t.Helper()
	if len(v) < 3 || len(v) > 16 || v[0] != '+' || v[1] == '0' || !isDigits(v[1:]) {
		t.Fatalf("NormalizePhone(%q) = %q is not E.164 (+ then 2–15 digits, no leading 0)", raw, v)
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, c := range emailCases {
		f.Add(c.in)
	}
	f.Add(`"a@b"@x.com`)
	f.Add("Ann <ann@x.com>, Bob <bob@y.org>")
	f.Add("=?utf-8?q?Ann?= <ann@x.com>")
	f.Add("ann@[1.2.3.4]")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := NormalizeEmail(raw)
		if err != nil {
			if v != "" || err.Error() == "" {
				t.Fatalf("NormalizeEmail(%q) = %q, %v: an error must come alone and say something", raw, v, err)
			}
			return
		}
		checkEmail(t, raw, v)
		again, err := NormalizeEmail(v)
		if err != nil || again != v {
			t.Fatalf("NormalizeEmail(%q) = %q, but normalising that again gives %q, %v", raw, v, again, err)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, c := range phoneCases {
		f.Add(c.in, c.region)
	}
	f.Add("+55 11 8765 4321", "BR")
	f.Add("(11) 8765-4321", "BR")
	f.Add("+1 631 555 1181;ext=2", "")
	f.Add("+80012345678", "")
	f.Add("٠٠٤٩٣٠٩٠١٨٢٠", "")
	f.Fuzz(func(t *testing.T, raw, region string) {
		v, err := NormalizePhone(raw, region)
		if err != nil {
			if v != "" {
				t.Fatalf("NormalizePhone(%q, %q) = %q beside error %v", raw, region, v, err)
			}
			return
		}
		checkPhone(t, raw, v)
		// E.164 is international: it must normalise to itself whatever the
		// region, and with none.
		for _, r := range []string{"", region} {
			again, err := NormalizePhone(v, r)
			if err != nil || again != v {
				t.Fatalf("NormalizePhone(%q, %q) = %q, but NormalizePhone(%q, %q) = %q, %v", raw, region, v, v, r, again, err)
			}
		}
	})
}

func FuzzNormalizeIdentity(f *testing.F) {
	for _, c := range identityCases {
		f.Add(string(c.ch), c.raw)
	}
	for _, c := range emailCases {
		f.Add(string(Email), c.in)
	}
	for _, c := range phoneCases {
		f.Add(string(WhatsApp), c.in)
	}
	for _, c := range telegramCases {
		f.Add(string(Telegram), c.in)
	}
	for _, c := range visitorCases {
		f.Add(string(WebChat), c.in)
	}
	f.Fuzz(func(t *testing.T, channel, raw string) {
		ch := Channel(channel)
		v, err := NormalizeIdentity(ch, raw)
		if err != nil {
			if v != "" {
				t.Fatalf("NormalizeIdentity(%q, %q) = %q beside error %v", ch, raw, v, err)
			}
			return
		}
		if p, err := ParseChannel(channel); err != nil || p != ch {
			t.Fatalf("NormalizeIdentity accepted %q on channel %q, which ParseChannel refuses: %v", raw, ch, err)
		}
		switch ch {
		case Email:
			checkEmail(t, raw, v)
		case SMS, WhatsApp:
			checkPhone(t, raw, v)
		case Facebook, Instagram:
			page, sender, ok := strings.Cut(v, ":")
			if !ok || !isDigits(page) || !isDigits(sender) {
				t.Fatalf("NormalizeIdentity(%s, %q) = %q, want <digits>:<digits>", ch, raw, v)
			}
		case Telegram:
			if !isDigits(v) || v[0] == '0' || len(v) > 16 {
				t.Fatalf("NormalizeIdentity(telegram, %q) = %q, want a positive decimal without leading zeros", raw, v)
			}
		case WebChat:
			if v == "" || len(v) > 128 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
				t.Fatalf("NormalizeIdentity(webchat, %q) = %q, want 1–128 bytes without spaces or controls", raw, v)
			}
		}
		again, err := NormalizeIdentity(ch, v)
		if err != nil || again != v {
			t.Fatalf("NormalizeIdentity(%s, %q) = %q, but normalising that again gives %q, %v", ch, raw, v, again, err)
		}
		// What a parser produces must pass the inbound invariants.
		m := Inbound{Sender: Identity{Channel: ch, Value: v}, MessageID: "m1", SentAt: time.Unix(1, 0)}
		if err := m.Validate(); err != nil {
			t.Fatalf("an inbound message from normalised %s sender %q fails Validate: %v", ch, v, err)
		}
	})
}

func FuzzNormalizeField(f *testing.F) {
	for _, c := range fieldCases {
		f.Add(c.field, c.in)
	}
	f.Fuzz(func(t *testing.T, field, value string) {
		v, err := NormalizeField(field, value)
		if err != nil {
			if v != "" {
				t.Fatalf("NormalizeField(%q, %q) = %q beside error %v", field, value, v, err)
			}
			return
		}
		if !IsField(field) {
			t.Fatalf("NormalizeField accepted unknown field %q", field)
		}
		if v != strings.TrimSpace(v) {
			t.Fatalf("NormalizeField(%s, %q) = %q is not trimmed", field, value, v)
		}
		switch field {
		case "name":
			if v == "" || len(v) > 200 {
				t.Fatalf("name %q: want 1–200 bytes", v)
			}
		case "company":
			if len(v) > 200 {
				t.Fatalf("company %q: want at most 200 bytes", v)
			}
		case "email":
			if v != "" {
				checkEmail(t, value, v)
			}
		case "phone":
			if v != "" {
				checkPhone(t, value, v)
			}
		case "country":
			if v != "" && (len(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z') {
				t.Fatalf("country %q: want two upper-case letters", v)
			}
		case "timezone":
			if v != "" {
				if _, err := time.LoadLocation(v); err != nil {
					t.Fatalf("timezone %q does not load: %v", v, err)
				}
			}
		case "lead_stage":
			ok := false
			for _, s := range LeadStages {
				ok = ok || v == string(s)
			}
			if !ok {
				t.Fatalf("lead stage %q is not one of %v", v, LeadStages)
			}
		}
		again, err := NormalizeField(field, v)
		if err != nil || again != v {
			t.Fatalf("NormalizeField(%s, %q) = %q, but normalising that again gives %q, %v", field, value, v, again, err)
		}
	})
}
