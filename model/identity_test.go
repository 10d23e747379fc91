package model

import (
	"strings"
	"testing"
)

// normCase is one row of a normaliser table: in (and region, where the
// normaliser takes one) gives want, or an error whose message contains err.
type normCase struct {
	name   string
	in     string
	region string
	want   string
	err    string // "" = must succeed; otherwise a substring of the message
}

// check runs one normCase against got/err.
func check(t *testing.T, c normCase, got string, err error) {
	t.Helper()
	if c.err != "" {
		if err == nil {
			t.Fatalf("(%q) = %q, want an error containing %q", c.in, got, c.err)
		}
		if !strings.Contains(err.Error(), c.err) {
			t.Fatalf("(%q) error %q does not name the problem (want it to contain %q)", c.in, err, c.err)
		}
		if got != "" {
			t.Fatalf("(%q) returned %q beside its error", c.in, got)
		}
		return
	}
	if err != nil {
		t.Fatalf("(%q) unexpected error: %v", c.in, err)
	}
	if got != c.want {
		t.Fatalf("(%q) = %q, want %q", c.in, got, c.want)
	}
}

var emailCases = []normCase{
	{name: "plain address kept", in: "ann@x.com", want: "ann@x.com"},
	{name: "surrounding space trimmed", in: "  ann@x.com \t\n", want: "ann@x.com"},
	{name: "upper case lowered in local part and domain", in: "Ann.Lee@Example.COM", want: "ann.lee@example.com"},
	{name: "mailto prefix dropped", in: "mailto:ann@x.com", want: "ann@x.com"},
	{name: "upper-case MAILTO prefix dropped", in: "MAILTO:Ann@X.com", want: "ann@x.com"},
	{name: "display-name form reduced to the address", in: "Ann <ann@x.com>", want: "ann@x.com"},
	{name: "quoted display name reduced to the address", in: `"Lee, Ann" <Ann@X.com>`, want: "ann@x.com"},
	{name: "plus tag kept", in: "ann+shop@x.com", want: "ann+shop@x.com"},
	{name: "subdomain kept", in: "ann@mail.x.co.uk", want: "ann@mail.x.co.uk"},
	{name: "harmlessly quoted local part unquoted", in: `"ann"@x.com`, want: "ann@x.com"},
	{name: "empty refused", in: "", err: "empty"},
	{name: "blank refused", in: "   ", err: "empty"},
	{name: "bare mailto refused as empty", in: "mailto:", err: "empty"},
	{name: "no @ refused", in: "annx.com", err: `"annx.com"`},
	{name: "no local part refused", in: "@x.com", err: `"@x.com"`},
	{name: "no domain refused", in: "ann@", err: `"ann@"`},
	{name: "domain without a dot refused", in: "ann@localhost", err: `bad domain "localhost"`},
	{name: "double dot in domain refused", in: "ann@x..com", err: `"ann@x..com"`},
	{name: "double dot in local part refused", in: "a..b@x.com", err: `"a..b@x.com"`},
	{name: "leading dot in domain refused", in: "ann@.x.com", err: `"ann@.x.com"`},
	{name: "trailing dot in domain refused", in: "ann@x.com.", err: `"ann@x.com."`},
	{name: "quoted local part with a space refused", in: `"ann lee"@x.com`, err: "quoted local part"},
	{name: "quoted local part with a backslash refused", in: `"ann\\lee"@x.com`, err: "quoted local part"},
	{name: "quoted local part hiding an @ refused", in: `"a@b"@x.com`, err: "quoted local part"},
	{name: "quoted local part with a special character refused", in: `"a(b"@x.com`, err: `local part "a(b" needs quotes`},
	{name: "two addresses refused", in: "ann@x.com, bob@x.com", err: `"ann@x.com, bob@x.com"`},
	{name: "space inside address refused", in: "ann lee@x.com", err: `"ann lee@x.com"`},
}

func TestNormalizeEmail(t *testing.T) {
	for _, c := range emailCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizeEmail(c.in)
			check(t, c, got, err)
		})
	}
}

var phoneCases = []normCase{
	{name: "formatted NANP number to E.164", in: "+1 (631) 555-1181", want: "+16315551181"},
	{name: "E.164 kept", in: "+16315551181", want: "+16315551181"},
	{name: "surrounding space trimmed", in: "  +44 20 7946 0958 ", want: "+442079460958"},
	{name: "00 international prefix read as +", in: "0049 30 901820", want: "+4930901820"},
	{name: "bare WhatsApp digits read as international", in: "16315551181", want: "+16315551181"},
	{name: "national number with region", in: "030 901820", region: "DE", want: "+4930901820"},
	{name: "region in lower case", in: "030 901820", region: "de", want: "+4930901820"},
	{name: "international number ignores region", in: "+1 631 555 1181", region: "DE", want: "+16315551181"},
	{name: "Brazilian mobile without the ninth digit gains it", in: "551187654321", want: "+5511987654321"},
	{name: "Brazilian mobile without the ninth digit, with +, gains it", in: "+55 11 8765-4321", want: "+5511987654321"},
	{name: "Brazilian mobile with the ninth digit unchanged", in: "5511987654321", want: "+5511987654321"},
	{name: "Brazilian mobile with the ninth digit, formatted, unchanged", in: "+55 (11) 98765-4321", want: "+5511987654321"},
	{name: "Brazilian landline starting 3 unchanged", in: "551134567890", want: "+551134567890"},
	{name: "Brazilian landline starting 2 unchanged", in: "+55 21 2345 6789", want: "+552123456789"},
	{name: "Brazilian landline starting 5 unchanged", in: "+55 11 5555 1234", want: "+551155551234"},
	{name: "empty refused", in: "", err: "empty"},
	{name: "blank refused", in: "  ", err: "empty"},
	{name: "letters refused", in: "1-800-FLOWERS", err: `"1-800-FLOWERS" is not valid: contains letters`},
	{name: "extension word refused as letters", in: "+1 631 555 1181 ext 2", err: "contains letters"},
	{name: "too short refused", in: "12345", err: `"12345" is not valid: 5 digits`},
	{name: "too long refused", in: "+123456789012345678", err: `"+123456789012345678" is not valid: 18 digits`},
	{name: "more than 15 digits after parsing refused", in: "810  000  0 000  000 0000", err: `"810  000  0 000  000 0000" is not valid: +8100000000000000 is longer than E.164 allows`},
	{name: "number that does not read back as itself refused", in: "810000000000", err: `"810000000000" is not valid: +81000000000 does not read back`},
	{name: "impossible number refused", in: "+1 234 567", err: `"+1 234 567" is not valid: not a possible number`},
	{name: "unknown country code refused", in: "+999 1234 5678", err: `"+999 1234 5678" is not valid`},
}

func TestNormalizePhone(t *testing.T) {
	for _, c := range phoneCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizePhone(c.in, c.region)
			check(t, c, got, err)
			// The cache must not change the answer the second time.
			got2, err2 := NormalizePhone(c.in, c.region)
			if got2 != got || (err == nil) != (err2 == nil) {
				t.Fatalf("second call (%q, %q) = %q, %v; first gave %q, %v", c.in, c.region, got2, err2, got, err)
			}
		})
	}
}

func TestMetaIdentity(t *testing.T) {
	cases := []struct {
		name, page, sender, want, err string
	}{
		{name: "page and sender joined", page: "1234", sender: "5678", want: "1234:5678"},
		{name: "parts trimmed", page: " 1234 ", sender: "\t5678\n", want: "1234:5678"},
		{name: "empty page refused", page: "", sender: "5678", err: "page id is empty"},
		{name: "blank page refused", page: "  ", sender: "5678", err: "page id is empty"},
		{name: "empty sender refused", page: "1234", sender: "", err: "sender id is empty"},
		{name: "non-numeric page refused", page: "page1", sender: "5678", err: `"page1" is not numeric`},
		{name: "non-numeric sender refused", page: "1234", sender: "56a8", err: `"56a8" is not numeric`},
		{name: "negative sender refused", page: "1234", sender: "-5", err: `"-5" is not numeric`},
		{name: "non-ASCII digits refused", page: "1234", sender: "٥٦", err: `"٥٦" is not numeric`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MetaIdentity(c.page, c.sender)
			check(t, normCase{in: c.page + "|" + c.sender, want: c.want, err: c.err}, got, err)
		})
	}
}

// identityCase is one row of the NormalizeIdentity table.
type identityCase struct {
	name string
	ch   Channel
	raw  string
	want string
	err  string
}

var identityCases = []identityCase{
	{name: "email normalised", ch: Email, raw: " Ann <ANN@x.com> ", want: "ann@x.com"},
	{name: "bad email refused", ch: Email, raw: "ann", err: `"ann"`},
	{name: "sms phone to E.164", ch: SMS, raw: "+1 (631) 555-1181", want: "+16315551181"},
	{name: "whatsapp bare digits to E.164", ch: WhatsApp, raw: "16315551181", want: "+16315551181"},
	{name: "whatsapp Brazilian mobile gains ninth digit", ch: WhatsApp, raw: "551187654321", want: "+5511987654321"},
	{name: "sms letters refused", ch: SMS, raw: "CALLME", err: `"CALLME"`},
	{name: "facebook page-scoped id", ch: Facebook, raw: "100200:300400", want: "100200:300400"},
	{name: "facebook id trimmed around the colon", ch: Facebook, raw: " 100200 : 300400 ", want: "100200:300400"},
	{name: "instagram page-scoped id", ch: Instagram, raw: "17841:99887766", want: "17841:99887766"},
	{name: "facebook without page refused", ch: Facebook, raw: "300400", err: `"300400": want <page id>:<sender id>`},
	{name: "instagram without page refused", ch: Instagram, raw: "300400", err: `instagram identity "300400"`},
	{name: "facebook empty page refused", ch: Facebook, raw: ":300400", err: "page id is empty"},
	{name: "facebook empty sender refused", ch: Facebook, raw: "100200:", err: "sender id is empty"},
	{name: "facebook non-numeric sender refused", ch: Facebook, raw: "100200:abc", err: `"abc" is not numeric`},
	{name: "instagram non-numeric page refused", ch: Instagram, raw: "acct:300400", err: `"acct" is not numeric`},
	{name: "facebook extra colon refused", ch: Facebook, raw: "1:2:3", err: `"2:3" is not numeric`},
	{name: "telegram user id", ch: Telegram, raw: " 123456789 ", want: "123456789"},
	{name: "telegram non-numeric refused", ch: Telegram, raw: "@ann", err: `"@ann"`},
	{name: "webchat cookie kept", ch: WebChat, raw: "v_abc-123", want: "v_abc-123"},
	{name: "webchat empty refused", ch: WebChat, raw: "", err: "visitor id is empty"},
	{name: "unknown channel refused", ch: Channel("fax"), raw: "123", err: `unknown channel "fax"`},
	{name: "empty channel refused", ch: Channel(""), raw: "123", err: `unknown channel ""`},
}

func TestNormalizeIdentity(t *testing.T) {
	for _, c := range identityCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizeIdentity(c.ch, c.raw)
			check(t, normCase{in: c.raw, want: c.want, err: c.err}, got, err)

			id, err := NewIdentity(c.ch, c.raw)
			if c.err != "" {
				if err == nil || id != (Identity{}) {
					t.Fatalf("NewIdentity(%s, %q) = %v, %v; want zero identity and an error", c.ch, c.raw, id, err)
				}
				return
			}
			if err != nil || id != (Identity{Channel: c.ch, Value: c.want}) {
				t.Fatalf("NewIdentity(%s, %q) = %v, %v; want %s:%s", c.ch, c.raw, id, err, c.ch, c.want)
			}
			if id.String() != string(c.ch)+":"+c.want {
				t.Fatalf("String() = %q", id.String())
			}
		})
	}
}

var telegramCases = []normCase{
	{name: "positive integer kept", in: "123456789", want: "123456789"},
	{name: "space trimmed", in: " 42\n", want: "42"},
	{name: "leading zeros dropped", in: "00042", want: "42"},
	{name: "plus sign dropped", in: "+42", want: "42"},
	{name: "largest 52-bit id kept", in: "4503599627370495", want: "4503599627370495"},
	{name: "empty refused", in: "", err: `"" is not a positive integer`},
	{name: "zero refused", in: "0", err: `"0" is not a positive integer`},
	{name: "negative refused", in: "-42", err: `"-42" is not a positive integer`},
	{name: "username refused", in: "@ann", err: `"@ann" is not a positive integer`},
	{name: "decimal refused", in: "4.2", err: `"4.2" is not a positive integer`},
	{name: "2^52 out of range", in: "4503599627370496", err: `"4503599627370496" is out of range`},
	{name: "beyond int64 refused", in: "99999999999999999999", err: `"99999999999999999999"`},
}

func TestNormalizeTelegramID(t *testing.T) {
	for _, c := range telegramCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizeTelegramID(c.in)
			check(t, c, got, err)
		})
	}
}

var visitorCases = []normCase{
	{name: "cookie kept", in: "v_8f3a-11ee.b2", want: "v_8f3a-11ee.b2"},
	{name: "case kept: ids are opaque", in: "AbC", want: "AbC"},
	{name: "surrounding space trimmed", in: "  abc  ", want: "abc"},
	{name: "printable non-ASCII kept", in: "visitor-ü", want: "visitor-ü"},
	{name: "128 bytes kept", in: strings.Repeat("a", 128), want: strings.Repeat("a", 128)},
	{name: "empty refused", in: "", err: "visitor id is empty"},
	{name: "blank refused", in: " \t ", err: "visitor id is empty"},
	{name: "inner space refused", in: "ab cd", err: `"ab cd" contains a space or control character`},
	{name: "tab refused", in: "ab\tcd", err: `"ab\tcd" contains a space`},
	{name: "NUL refused", in: "ab\x00cd", err: `"ab\x00cd" contains a space or control character`},
	{name: "DEL refused", in: "ab\x7fcd", err: `"ab\x7fcd"`},
	{name: "non-breaking space refused", in: "ab\u00a0cd", err: "contains a space or control character"},
	{name: "129 bytes refused", in: strings.Repeat("a", 129), err: "129 bytes long (at most 128)"},
	{name: "multibyte over 128 bytes refused", in: strings.Repeat("é", 65), err: "130 bytes long"},
}

func TestNormalizeVisitorID(t *testing.T) {
	for _, c := range visitorCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizeVisitorID(c.in)
			check(t, c, got, err)
		})
	}
}

func TestParseChannel(t *testing.T) {
	cases := []normCase{
		{name: "email", in: "email", want: "email"},
		{name: "upper case accepted", in: "WhatsApp", want: "whatsapp"},
		{name: "space trimmed", in: " sms ", want: "sms"},
		{name: "facebook", in: "facebook", want: "facebook"},
		{name: "instagram", in: "INSTAGRAM", want: "instagram"},
		{name: "telegram", in: "telegram", want: "telegram"},
		{name: "webchat", in: "webchat", want: "webchat"},
		{name: "unknown refused", in: "fax", err: `unknown channel "fax"`},
		{name: "empty refused", in: "", err: `unknown channel ""`},
		{name: "spelled with a space refused", in: "web chat", err: `"web chat"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseChannel(c.in)
			check(t, c, string(got), err)
		})
	}
	for _, ch := range Channels {
		if got, err := ParseChannel(string(ch)); err != nil || got != ch {
			t.Errorf("ParseChannel(%q) = %q, %v", ch, got, err)
		}
		if ch.Label() == string(ch) {
			t.Errorf("channel %q has no human label (%q)", ch, ch.Label())
		}
		if ch.IsInbox() != (ch != WebChat) {
			t.Errorf("%q.IsInbox() = %v", ch, ch.IsInbox())
		}
	}
}
