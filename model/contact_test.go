package model

import (
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// fieldCase is one row of the NormalizeField table.
type fieldCase struct {
	name  string
	field string
	in    string
	want  string
	err   string
}

var fieldCases = []fieldCase{
	{name: "name trimmed", field: "name", in: "  Ann Lee ", want: "Ann Lee"},
	{name: "name keeps case and accents", field: "name", in: "Ödön Kovács", want: "Ödön Kovács"},
	{name: "name 200 bytes kept", field: "name", in: strings.Repeat("n", 200), want: strings.Repeat("n", 200)},
	{name: "name empty refused", field: "name", in: "", err: "name cannot be empty"},
	{name: "name blank refused", field: "name", in: " \t", err: "name cannot be empty"},
	{name: "name over 200 bytes refused", field: "name", in: strings.Repeat("n", 201), err: "name is longer than 200 bytes"},

	{name: "company trimmed", field: "company", in: " Acme GmbH ", want: "Acme GmbH"},
	{name: "company empty clears", field: "company", in: "", want: ""},
	{name: "company over 200 bytes refused", field: "company", in: strings.Repeat("c", 201), err: "company is longer than 200 bytes"},

	{name: "email normalised", field: "email", in: "Ann <ANN@X.com>", want: "ann@x.com"},
	{name: "email empty clears", field: "email", in: "  ", want: ""},
	{name: "email invalid refused", field: "email", in: "ann@x", err: `"ann@x"`},

	{name: "phone to E.164", field: "phone", in: "+1 (631) 555-1181", want: "+16315551181"},
	{name: "phone empty clears", field: "phone", in: "", want: ""},
	{name: "phone with letters refused", field: "phone", in: "555-CALL", err: `"555-CALL"`},

	{name: "country upper case kept", field: "country", in: "DE", want: "DE"},
	{name: "country lower case raised", field: "country", in: "de", want: "DE"},
	{name: "country mixed case raised", field: "country", in: " bR ", want: "BR"},
	{name: "country Antarctica accepted", field: "country", in: "aq", want: "AQ"},
	{name: "country empty clears", field: "country", in: "", want: ""},
	{name: "country name refused", field: "country", in: "Germany", err: `country "Germany" is not an ISO 3166 two-letter code`},
	{name: "country alpha-3 refused", field: "country", in: "DEU", err: `"DEU"`},
	{name: "country unknown code refused", field: "country", in: "XX", err: `country "XX"`},

	{name: "timezone IANA name kept", field: "timezone", in: "Europe/Berlin", want: "Europe/Berlin"},
	{name: "timezone trimmed", field: "timezone", in: " America/Sao_Paulo ", want: "America/Sao_Paulo"},
	{name: "timezone UTC accepted", field: "timezone", in: "UTC", want: "UTC"},
	{name: "timezone empty clears", field: "timezone", in: "", want: ""},
	{name: "timezone Local refused", field: "timezone", in: "Local", err: `time zone "Local" is not an IANA name`},
	{name: "timezone unknown refused", field: "timezone", in: "Mars/Olympus", err: `time zone "Mars/Olympus"`},
	{name: "timezone offset refused", field: "timezone", in: "+02:00", err: `time zone "+02:00"`},
	{name: "timezone path escape refused", field: "timezone", in: "../../etc/passwd", err: `"../../etc/passwd"`},

	{name: "language kept", field: "language", in: "en", want: "en"},
	{name: "language region canonical case", field: "language", in: "PT-br", want: "pt-BR"},
	{name: "language underscore form accepted", field: "language", in: "pt_BR", want: "pt-BR"},
	{name: "language script canonical case", field: "language", in: "zh-hant-tw", want: "zh-Hant-TW"},
	{name: "language empty clears", field: "language", in: "", want: ""},
	{name: "language gibberish refused", field: "language", in: "english!", err: `language "english!" is not a BCP 47 tag`},
	{name: "language too long subtag refused", field: "language", in: "toolongtag", err: `"toolongtag"`},

	{name: "lead stage kept", field: "lead_stage", in: "qualified", want: "qualified"},
	{name: "lead stage any case", field: "lead_stage", in: " Customer ", want: "customer"},
	{name: "lead stage empty refused", field: "lead_stage", in: "", err: `lead stage "" is not one of`},
	{name: "lead stage unknown refused", field: "lead_stage", in: "prospect", err: `lead stage "prospect" is not one of lead, qualified`},

	{name: "unknown field refused", field: "birthday", in: "1990-01-01", err: `unknown field "birthday"`},
	{name: "field names are exact", field: "Name", in: "Ann", err: `unknown field "Name"`},
}

func TestNormalizeField(t *testing.T) {
	for _, c := range fieldCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizeField(c.field, c.in)
			check(t, normCase{in: c.field + "=" + c.in, want: c.want, err: c.err}, got, err)
		})
	}
	// Every lead stage is accepted as itself.
	for _, s := range LeadStages {
		if got, err := NormalizeField("lead_stage", strings.ToUpper(string(s))); err != nil || got != string(s) {
			t.Errorf("lead_stage %q = %q, %v", s, got, err)
		}
	}
	// Every standard field has a row above, and IsField knows exactly them.
	covered := map[string]bool{}
	for _, c := range fieldCases {
		covered[c.field] = true
	}
	for _, f := range Fields {
		if !covered[f] {
			t.Errorf("field %q has no test row", f)
		}
		if !IsField(f) {
			t.Errorf("IsField(%q) = false", f)
		}
	}
	for _, f := range []string{"", "Name", "birthday", "vip"} {
		if IsField(f) {
			t.Errorf("IsField(%q) = true", f)
		}
	}
}

func TestNormalizePropertyName(t *testing.T) {
	cases := []normCase{
		{name: "simple name kept", in: "plan", want: "plan"},
		{name: "lower-cased and trimmed", in: "  Plan_Tier ", want: "plan_tier"},
		{name: "digits dash and dot allowed", in: "crm.id-2", want: "crm.id-2"},
		{name: "64 characters kept", in: strings.Repeat("p", 64), want: strings.Repeat("p", 64)},
		{name: "empty refused", in: "", err: `property name "" must be 1 to 64 characters`},
		{name: "blank refused", in: "   ", err: `"   " must be 1 to 64`},
		{name: "65 characters refused", in: strings.Repeat("p", 65), err: "must be 1 to 64 characters"},
		{name: "space refused", in: "plan tier", err: `property name "plan tier" may only hold letters`},
		{name: "punctuation refused", in: "plan;drop", err: `"plan;drop" may only hold`},
		{name: "non-ASCII letter refused", in: "größe", err: `"größe" may only hold`},
		{name: "standard field refused", in: "email", err: `property name "email" is a standard field`},
		{name: "standard field in other case refused", in: "Lead_Stage", err: `"Lead_Stage" is a standard field`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizePropertyName(c.in)
			check(t, c, got, err)
		})
	}
}

func TestNormalizeTag(t *testing.T) {
	cases := []normCase{
		{name: "tag kept with its case", in: "VIP", want: "VIP"},
		{name: "trimmed", in: "  refund ", want: "refund"},
		{name: "inner whitespace folded", in: "late \t  delivery\n", want: "late delivery"},
		{name: "40 characters kept", in: strings.Repeat("é", 40), want: strings.Repeat("é", 40)},
		{name: "empty refused", in: "", err: "tag is empty"},
		{name: "blank refused", in: " \n\t", err: "tag is empty"},
		{name: "41 characters refused", in: strings.Repeat("t", 41), err: `"` + strings.Repeat("t", 41) + `" is longer than 40 characters`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NormalizeTag(c.in)
			check(t, c, got, err)
		})
	}
}

func TestParseStatus(t *testing.T) {
	cases := []normCase{
		{name: "open", in: "open", want: "open"},
		{name: "any case", in: "Pending", want: "pending"},
		{name: "trimmed", in: " resolved ", want: "resolved"},
		{name: "closed", in: "CLOSED", want: "closed"},
		{name: "unknown refused", in: "done", err: `status "done" is not one of open, pending, resolved, closed`},
		{name: "empty refused", in: "", err: `status ""`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseStatus(c.in)
			check(t, c, string(got), err)
		})
	}
	for _, s := range Statuses {
		if want := s == StatusOpen || s == StatusPending; s.Joinable() != want {
			t.Errorf("%q.Joinable() = %v, want %v", s, s.Joinable(), want)
		}
	}
}

func TestSameSubject(t *testing.T) {
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		{name: "stacked reply and German forward prefixes, case ignored", a: "Re: AW: Order 1", b: "order 1", want: true},
		{name: "identical", a: "Order 1", b: "Order 1", want: true},
		{name: "Fwd and FW prefixes", a: "Fwd: FW: Invoice", b: "invoice", want: true},
		{name: "upper-case RE without space", a: "RE:Invoice", b: "Invoice", want: true},
		{name: "Nordic SV and VS prefixes", a: "SV: VS: Hej", b: "hej", want: true},
		{name: "French TR and Spanish RV prefixes", a: "TR: RV: Facture", b: "Facture", want: true},
		{name: "German WG prefix", a: "WG: Rechnung", b: "Rechnung", want: true},
		{name: "surrounding space", a: "  Re:  Order 1  ", b: "Order 1", want: true},
		{name: "Unicode case folded", a: "Re: ÖDÖN", b: "ödön", want: true},
		{name: "both empty", a: "", b: "Re:", want: true},
		{name: "different subjects", a: "Re: Order 1", b: "Order 2", want: false},
		{name: "a colon inside the subject is not a prefix", a: "Order: 1", b: "1", want: false},
		{name: "unknown prefix kept", a: "Ticket: refund", b: "refund", want: false},
		{name: "prefix only at the start", a: "Order 1 Re: more", b: "Order 1 more", want: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SameSubject(c.a, c.b); got != c.want {
				t.Fatalf("SameSubject(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
			}
			if got := SameSubject(c.b, c.a); got != c.want {
				t.Fatalf("SameSubject(%q, %q) = %v, not symmetric", c.b, c.a, got)
			}
		})
	}
}

func TestFold(t *testing.T) {
	cases := []struct {
		name, a, b string
	}{
		{name: "accented upper and mixed case", a: "ÖDÖN", b: "Ödön"},
		{name: "ASCII case", a: "Ann LEE", b: "ann lee"},
		{name: "German sharp s folds to ss", a: "STRASSE", b: "straße"},
		{name: "Greek final sigma", a: "ΟΔΟΣ", b: "οδος"},
		{name: "surrounding space trimmed", a: "  Ann ", b: "ann"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if Fold(c.a) != Fold(c.b) {
				t.Fatalf("Fold(%q) = %q, Fold(%q) = %q, want equal", c.a, Fold(c.a), c.b, Fold(c.b))
			}
			if f := Fold(c.a); Fold(f) != f {
				t.Fatalf("Fold is not idempotent on %q: %q then %q", c.a, f, Fold(f))
			}
		})
	}
	if Fold("Ann") == Fold("Anne") {
		t.Fatal("Fold conflates different names")
	}
}

func TestGeneratedName(t *testing.T) {
	seen := map[string]bool{}
	for i := range 100 {
		id := "v-" + strconv.Itoa(i)
		n := GeneratedName(id)
		words := strings.Split(n, " ")
		if len(words) != 2 {
			t.Fatalf("GeneratedName(%q) = %q, want two words", id, n)
		}
		for _, w := range words {
			r := []rune(w)
			if len(r) < 2 || !unicode.IsUpper(r[0]) || strings.ToLower(string(r[1:])) != string(r[1:]) {
				t.Fatalf("GeneratedName(%q) = %q: word %q is not capitalised", id, n, w)
			}
		}
		if again := GeneratedName(id); again != n {
			t.Fatalf("GeneratedName(%q) is not deterministic: %q then %q", id, n, again)
		}
		seen[n] = true
	}
	if len(seen) < 30 {
		t.Fatalf("100 visitor ids gave only %d distinct names, want at least 30: %v", len(seen), seen)
	}
	if GeneratedName("") == "" {
		t.Fatal("an empty visitor id still needs a name")
	}
}

func TestInboundValidate(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	valid := func() Inbound {
		return Inbound{Sender: Identity{Channel: WhatsApp, Value: "+16315551181"}, MessageID: "wamid.1", Text: "hi", SentAt: at}
	}
	cases := []struct {
		name   string
		mutate func(*Inbound)
		err    string
	}{
		{name: "valid message passes", mutate: func(*Inbound) {}},
		{name: "valid web chat message passes", mutate: func(m *Inbound) {
			m.Sender = Identity{Channel: WebChat, Value: "v-1"}
			m.StartedBy = StartedByWorkflow
		}},
		{name: "no channel refused", mutate: func(m *Inbound) { m.Sender.Channel = "" }, err: "no channel"},
		{name: "unknown channel refused", mutate: func(m *Inbound) { m.Sender.Channel = "fax" }, err: `unknown channel "fax"`},
		{name: "invalid sender refused", mutate: func(m *Inbound) { m.Sender.Value = "not-a-phone" }, err: `sender: phone number "not-a-phone"`},
		{name: "empty sender refused", mutate: func(m *Inbound) { m.Sender.Value = "" }, err: "sender: phone number is empty"},
		{name: "sender not normalised refused", mutate: func(m *Inbound) { m.Sender.Value = "16315551181" },
			err: `sender "16315551181" is not normalised (want "+16315551181")`},
		{name: "upper-case email sender refused", mutate: func(m *Inbound) { m.Sender = Identity{Channel: Email, Value: "Ann@x.com"} },
			err: `sender "Ann@x.com" is not normalised (want "ann@x.com")`},
		{name: "no message id refused", mutate: func(m *Inbound) { m.MessageID = "" }, err: "inbound whatsapp message has no message id"},
		{name: "blank message id refused", mutate: func(m *Inbound) { m.MessageID = "  " }, err: "has no message id"},
		{name: "no timestamp refused", mutate: func(m *Inbound) { m.SentAt = time.Time{} }, err: "inbound whatsapp message wamid.1 has no timestamp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := valid()
			c.mutate(&m)
			err := m.Validate()
			if c.err == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, c.err)
			}
		})
	}
	m := valid()
	if m.Key() != "whatsapp:wamid.1" {
		t.Fatalf("Key() = %q", m.Key())
	}
}
