package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"cxinbox/app/provider"
	"cxinbox/model"
)

// stream renders n events as the JSONL the CLI writes.
func stream(t testing.TB, f *Feed, n int) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for i := range out {
		b, err := json.Marshal(f.Next())
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		out[i] = b
	}
	return out
}

func TestSameSeedSameStream(t *testing.T) {
	a, b := New(42), New(42)
	sa, sb := stream(t, a, 2000), stream(t, b, 2000)
	for i := range sa {
		if !bytes.Equal(sa[i], sb[i]) {
			t.Fatalf("event %d differs:\n%s\n%s", i, sa[i], sb[i])
		}
	}
	var ta, tb bytes.Buffer
	if err := a.WriteTruth(&ta); err != nil {
		t.Fatal(err)
	}
	b.WriteTruth(&tb)
	if !bytes.Equal(ta.Bytes(), tb.Bytes()) {
		t.Error("same seed, different ground truth")
	}
	sc, s0 := stream(t, New(43), 2000), stream(t, New(0), 2000)
	same := 0
	for i := range sa {
		if bytes.Equal(sa[i], sc[i]) || bytes.Equal(sa[i], s0[i]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d of 2000 events equal across different seeds", same)
	}
	if !bytes.Equal(stream(t, New(0), 1)[0], s0[0]) {
		t.Error("seed 0 is not deterministic")
	}
}

func TestClock(t *testing.T) {
	f := New(1)
	if at := parse(t, 0, f.Next())[0].SentAt; !at.Equal(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("first event at %v, want the default start", at)
	}
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	g := New(1, WithClock(start, time.Second, time.Second))
	for i := range 200 {
		want := start.Add(time.Duration(i) * time.Second)
		// A re-delivery carries its original, earlier time.
		if at := parse(t, i, g.Next())[0].SentAt; !at.Equal(want) && !at.Before(want) {
			t.Fatalf("event %d at %v, want %v", i, at, want)
		}
	}
}

func parse(t testing.TB, i int, ev provider.Event) []model.Inbound {
	t.Helper()
	line, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("event %d: %v", i, err)
	}
	var back provider.Event
	if err := json.Unmarshal(line, &back); err != nil {
		t.Fatalf("event %d: %v\n%s", i, err, line)
	}
	ms, err := provider.Parse(back.Channel, back.Body)
	if err != nil || len(ms) != 1 {
		t.Fatalf("event %d: %d messages, %v\n%s", i, len(ms), err, line)
	}
	if err := ms[0].Validate(); err != nil {
		t.Fatalf("event %d: %v", i, err)
	}
	if ms[0].Sender.Channel != ev.Channel {
		t.Fatalf("event %d on %s parsed as %s", i, ev.Channel, ms[0].Sender.Channel)
	}
	return ms
}

// TestScenarios parses 5,000 events the way ingest does and finds every
// scenario in what was sent, not in the feed's own counters.
func TestScenarios(t *testing.T) {
	const n = 5000
	f := New(7)
	events := make([]provider.Event, n)
	msgs := make([]model.Inbound, n)
	for i := range events {
		events[i] = f.Next()
		msgs[i] = parse(t, i, events[i])[0]
	}
	truth := f.Truth()
	owner := func(ch model.Channel, v string) int {
		p, ok := truth.PersonOf(TruthIdentity{Channel: ch, Value: v})
		if !ok {
			t.Fatalf("%s %q is in no person's truth", ch, v)
		}
		return p
	}

	got := map[string]int{}
	perChannel := map[model.Channel]int{}
	byKey := map[string]int{}         // message key → first event index
	seen := map[model.Identity]bool{} // sender identities so far
	emailIDs := map[string]int{}      // Message-ID → person
	visitorsOf := map[int]int{}       // person → web-chat cookies seen
	formEmails := map[string]int{}    // normalised emails known so far → person
	msgOwner := map[string]int{}
	for _, per := range truth.Persons {
		for _, id := range per.MessageIDs {
			msgOwner[id] = per.ID
		}
	}
	for i, m := range msgs {
		p := owner(m.Sender.Channel, m.Sender.Value)
		if msgOwner[m.MessageID] != p {
			t.Fatalf("event %d: message %s is person %d's in the truth, sent by %d", i, m.MessageID, msgOwner[m.MessageID], p)
		}
		if j, dup := byKey[m.Key()]; dup {
			if !bytes.Equal(events[i].Body, events[j].Body) {
				t.Fatalf("event %d reuses the id of event %d with another body", i, j)
			}
			got["redelivery"]++
			continue
		}
		byKey[m.Key()] = i
		perChannel[m.Sender.Channel]++
		if seen[m.Sender] {
			got["follow_up"]++
		} else {
			got["new_identity"]++
		}
		switch m.Sender.Channel {
		case model.Email:
			if len(m.InReplyTo) > 0 {
				if q, ok := emailIDs[m.InReplyTo[0]]; !ok || q != p {
					t.Errorf("event %d answers %q, not an earlier mail of the same person", i, m.InReplyTo[0])
				}
				got["email_reply"]++
			}
			emailIDs[m.MessageID] = p
			if m.SenderName != "" && m.SenderName != truth.Persons[p-1].Name {
				t.Errorf("event %d: sender name %q, want %q", i, m.SenderName, truth.Persons[p-1].Name)
			}
			formEmails[m.Sender.Value] = p
		case model.WebChat:
			switch {
			case seen[m.Sender]:
				got["returning_visitor"]++
			case m.Prechat != nil && m.StartedBy == model.StartedByVisitor:
				got["prechat_form"]++
				if q, ok := formEmails[m.Prechat.Email]; ok && q == p && visitorsOf[p] > 0 {
					got["second_browser"]++
				}
			case m.Prechat == nil && m.StartedBy != model.StartedByVisitor:
				got["no_prechat"]++
			}
			if !seen[m.Sender] {
				visitorsOf[p]++
			}
			if m.Prechat != nil && m.Prechat.Email != "" {
				formEmails[m.Prechat.Email] = p
			}
		}
		seen[m.Sender] = true
	}

	for _, per := range truth.Persons {
		var chans []model.Channel
		pages := map[string]bool{}
		norm := map[string][]string{} // normalised email or phone → raw forms
		for _, id := range per.Identities {
			if !id.Prechat {
				chans = append(chans, id.Channel)
			}
			switch id.Channel {
			case model.Facebook:
				page, _, _ := strings.Cut(id.Value, ":")
				pages[page] = true
			case model.WhatsApp:
				if len(id.Value) == 12 && strings.HasPrefix(id.Value, "55") {
					got["brazil_no_ninth_digit"]++
				}
			}
			if id.Channel == model.Email || id.Channel == model.SMS || id.Channel == model.WhatsApp {
				k, _ := key(id.Channel, id.Value)
				norm[k] = append(norm[k], id.Value)
				if id.Prechat && strings.HasPrefix(id.Value, "00") {
					got["phone_format_variant"]++
				}
			}
		}
		if slices.Contains(chans, model.Email) && slices.Contains(chans, model.WhatsApp) {
			got["email_and_whatsapp"]++
		}
		if len(pages) == 2 {
			got["second_facebook_page"]++
		}
		var emails, phones []string
		for k, raws := range norm {
			if c, v, _ := strings.Cut(k, ":"); c == "email" {
				emails = append(emails, v)
				for _, r := range raws {
					if r != v {
						got["email_case_variant"]++
					}
				}
			} else {
				phones = append(phones, v)
			}
		}
		for _, a := range emails {
			for _, b := range emails {
				switch {
				case a == b:
				case strings.ReplaceAll(strings.ReplaceAll(a, ".", ""), "_", "") == strings.ReplaceAll(strings.ReplaceAll(b, ".", ""), "_", "") && len(a) > len(b):
					got["email_dot_variant"]++
				case len(a) == len(b) && transposed(a, b) && a < b:
					got["email_typo"]++
				}
			}
		}
		for _, a := range phones {
			for _, b := range phones {
				if len(a) == len(b) && a < b && oneDigitApart(a, b) {
					got["phone_typo"]++
				}
			}
		}
	}

	for _, s := range []string{"new_identity", "follow_up", "redelivery", "email_reply", "email_and_whatsapp",
		"prechat_form", "no_prechat", "returning_visitor", "second_browser", "second_facebook_page",
		"email_case_variant", "email_dot_variant", "email_typo", "phone_format_variant", "phone_typo", "brazil_no_ninth_digit"} {
		if got[s] == 0 {
			t.Errorf("no %s in %d events", s, n)
		}
	}
	t.Logf("found: %v", got)
	t.Logf("feed's own count: %v", f.Stats())
	for _, s := range scenarioNames {
		if f.Stats()[s] == 0 {
			t.Errorf("feed counted no %s", s)
		}
	}

	// The mix: every channel, each within 3 points of its share.
	total := n - got["redelivery"]
	for i, ch := range model.Channels {
		share := 100 * float64(perChannel[ch]) / float64(total)
		if d := share - float64(channelWeights[i]); d < -3 || d > 3 {
			t.Errorf("%s is %.1f%% of events, want about %d%%", ch, share, channelWeights[i])
		}
	}
}

// transposed reports whether a and b differ by one swap of neighbours.
func transposed(a, b string) bool {
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
}

func oneDigitApart(a, b string) bool {
	d := 0
	for i := range len(a) {
		if a[i] != b[i] {
			d++
		}
	}
	return d == 1
}

func TestTruthConsistent(t *testing.T) {
	f := New(3)
	for range 5000 {
		f.Next()
	}
	truth := f.Truth()
	owners := map[string]int{}
	msgOwner := map[string]int{}
	nonASCII := 0
	for i, p := range truth.Persons {
		if p.ID != i+1 {
			t.Fatalf("person %d has ID %d", i, p.ID)
		}
		if len(p.Identities) == 0 || len(p.MessageIDs) == 0 {
			t.Errorf("person %d has %d identities and %d messages", p.ID, len(p.Identities), len(p.MessageIDs))
		}
		if !isASCII(p.Name) {
			nonASCII++
		}
		if _, err := model.NormalizeCountry(p.Country); err != nil {
			t.Error(err)
		}
		if _, err := time.LoadLocation(p.Timezone); err != nil {
			t.Error(err)
		}
		for _, id := range p.Identities {
			k, ok := key(id.Channel, id.Value)
			if !ok {
				t.Fatalf("person %d: %s %q does not normalise", p.ID, id.Channel, id.Value)
			}
			if o, dup := owners[k]; dup && o != p.ID {
				t.Errorf("%s belongs to persons %d and %d", k, o, p.ID)
			}
			owners[k] = p.ID
		}
		for _, m := range p.MessageIDs {
			if o, dup := msgOwner[m]; dup {
				t.Errorf("message %s recorded for persons %d and %d", m, o, p.ID)
			}
			msgOwner[m] = p.ID
		}
	}
	if nonASCII == 0 {
		t.Error("no person has a non-ASCII name")
	}

	var a, b TruthIdentity
	for _, p := range truth.Persons {
		for _, id := range p.Identities {
			if id.Channel == model.WhatsApp && a.Value == "" {
				for _, e := range p.Identities {
					if e.Channel == model.Email {
						a, b = id, e
					}
				}
			}
		}
	}
	if a.Value == "" {
		t.Fatal("no person writes by email and WhatsApp")
	}
	if !truth.SamePerson(a, b) || !truth.SamePerson(a, TruthIdentity{Channel: model.SMS, Value: "+" + a.Value}) {
		t.Errorf("%v and %v should be one person", a, b)
	}
	other := truth.Persons[0].Identities[0]
	if truth.SamePerson(a, other) == (owners[mustKey(t, a)] != owners[mustKey(t, other)]) {
		t.Errorf("SamePerson(%v, %v) is wrong", a, other)
	}
	if truth.SamePerson(a, TruthIdentity{Channel: model.Email, Value: "nobody@example.org"}) {
		t.Error("unknown identity matched")
	}

	var buf bytes.Buffer
	if err := f.WriteTruth(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTruth(&buf)
	if err != nil || len(back.Persons) != len(truth.Persons) || !back.SamePerson(a, b) {
		t.Fatalf("truth does not round-trip through JSON: %v", err)
	}
}

func mustKey(t *testing.T, id TruthIdentity) string {
	k, ok := key(id.Channel, id.Value)
	if !ok {
		t.Fatalf("%v does not normalise", id)
	}
	return k
}

func isASCII(s string) bool { return utf8.RuneCountInString(s) == len(s) }

// TestPeople checks what the simulator makes up against libphonenumber:
// valid numbers, whose time zones include the person's.
func TestPeople(t *testing.T) {
	f := New(11)
	countries := map[string]bool{}
	for range 3000 {
		p := f.newPerson()
		countries[p.loc.country] = true
		for _, ph := range []string{p.mobile, p.landline} {
			if ph == "" {
				continue
			}
			if v, err := model.NormalizePhone(ph, ""); err != nil || v != ph {
				t.Fatalf("%s: %q normalises to %q, %v", p.name(), ph, v, err)
			}
			n, _ := phonenumbers.Parse(ph, "")
			if !phonenumbers.IsValidNumberForRegion(n, p.loc.country) {
				t.Errorf("%s: %s is not a valid %s number", p.name(), ph, p.loc.country)
			}
			if zones, _ := phonenumbers.GetTimezonesForNumber(n); ph == p.mobile && !nearZone(p.tz, zones) {
				t.Errorf("%s: %s rings in %v, person lives in %s", p.name(), ph, zones, p.tz)
			}
		}
		if _, err := model.NormalizeEmail(p.email); err != nil || !isASCII(p.email) {
			t.Errorf("%s: email %q: %v", p.name(), p.email, err)
		}
		for _, v := range []string{caseVariant(p.email), dotVariant(p.email), f.typoVariant(p.email)} {
			if _, err := model.NormalizeEmail(v); err != nil {
				t.Errorf("variant of %s: %v", p.email, err)
			}
		}
		if typed := typedPhone(p.mobile, true); !strings.HasPrefix(typed, "00") || mustNorm(t, typed) != p.mobile {
			t.Errorf("%q is not %s typed with 00", typed, p.mobile)
		}
		if typo := f.phoneTypo(p.mobile); typo != "" && (typo == p.mobile || mustNorm(t, typo) != typo) {
			t.Errorf("bad typo %q of %s", typo, p.mobile)
		}
	}
	if len(countries) < len(locales) {
		t.Errorf("only %d of %d countries drawn", len(countries), len(locales))
	}
	// Every number pattern can produce a valid number, so newPerson cannot spin.
	for _, l := range locales {
		for _, z := range l.zones {
			for _, pat := range append(slices.Clone(z.mobile), l.landline...) {
				ok := 0
				for range 200 {
					if f.phone(&l, pat) != "" {
						ok++
					}
				}
				if ok < 20 {
					t.Errorf("%s pattern %s: %d of 200 draws valid", l.country, pat, ok)
				}
			}
		}
	}
}

// nearZone reports whether tz keeps within an hour of one of zones, the
// coarse zones libphonenumber knows for a number (Madrid for a Canarian
// mobile, Noronha for Recife).
func nearZone(tz string, zones []string) bool {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	_, want := at.In(mustZone(tz)).Zone()
	for _, z := range zones {
		if _, off := at.In(mustZone(z)).Zone(); off-want <= 3600 && want-off <= 3600 {
			return true
		}
	}
	return false
}

func mustZone(tz string) *time.Location {
	l, err := time.LoadLocation(tz)
	if err != nil {
		panic(err)
	}
	return l
}

func mustNorm(t *testing.T, phone string) string {
	v, err := model.NormalizePhone(phone, "")
	if err != nil {
		t.Fatalf("%q: %v", phone, err)
	}
	return v
}

func TestAsciiName(t *testing.T) {
	for in, want := range map[string]string{"Müller": "mueller", "Núñez": "nunez", "Łukasz": "lukasz", "Ödön": "odon",
		"de Vries": "devries", "Anna-Lena": "annalena", "Yılmaz": "yilmaz", "Zoë": "zoe"} {
		country := ""
		if in == "Müller" {
			country = "DE"
		}
		if got := asciiName(in, country); got != want {
			t.Errorf("asciiName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBoundedState(t *testing.T) {
	f := New(5, WithPool(50))
	for range 20000 {
		f.Next()
	}
	if len(f.pool.ring) != 50 {
		t.Fatalf("pool grew to %d", len(f.pool.ring))
	}
	for _, p := range f.pool.ring {
		if len(p.visitors) > 3 || len(p.thread.refs) > 8 {
			t.Fatalf("person %d keeps %d cookies and %d references", p.id, len(p.visitors), len(p.thread.refs))
		}
	}
}

func TestStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	out := make(chan provider.Event, 1000)
	if err := Stream(ctx, New(9), 100, out); err != context.DeadlineExceeded {
		t.Fatalf("Stream returned %v", err)
	}
	close(out)
	want := New(9)
	n := 0
	for ev := range out {
		if w := want.Next(); !bytes.Equal(ev.Body, w.Body) {
			t.Fatalf("streamed event %d differs from Next", n)
		}
		n++
	}
	if n < 15 || n > 45 {
		t.Errorf("streamed %d events in 0.3 s at 100/s", n)
	}
	if err := Stream(ctx, New(9), 0, out); err == nil {
		t.Error("rate 0 accepted")
	}
}

func BenchmarkNext(b *testing.B) {
	f := New(1)
	b.ReportAllocs()
	for b.Loop() {
		f.Next()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
