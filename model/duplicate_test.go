package model

import (
	"slices"
	"strings"
	"testing"
)

// TestScorePair has a case for every reason, alone and in the combinations
// that decide a pair, with whether it crosses DupThreshold.
func TestScorePair(t *testing.T) {
	gen := GeneratedName("visitor-1")
	tests := []struct {
		name    string
		a, b    DupEvidence
		reasons []string
		dup     bool
	}{
		{
			name:    "same email, different names",
			a:       DupEvidence{Name: "Ann Lee", Emails: []string{"ann@example.com"}},
			b:       DupEvidence{Name: "Annabel Stone", Emails: []string{"ann@example.com"}},
			reasons: []string{"same email"},
			dup:     true,
		},
		{
			name:    "same phone (format variants normalised equal)",
			a:       DupEvidence{Name: "Bob Stone", Phones: []string{mustPhone(t, "+44 20 7946 0958")}},
			b:       DupEvidence{Name: "Robert Stone", Phones: []string{mustPhone(t, "0044 (20) 7946-0958")}},
			reasons: []string{"same phone"},
			dup:     true,
		},
		{
			name:    "same phone: Brazilian mobile with and without the ninth digit",
			a:       DupEvidence{Phones: []string{mustPhone(t, "+55 11 8765-4321")}},
			b:       DupEvidence{Phones: []string{mustPhone(t, "+55 11 98765-4321")}},
			reasons: []string{"same phone"},
			dup:     true,
		},
		{
			name:    "phone one digit off alone",
			a:       DupEvidence{Phones: []string{"+447946000001"}},
			b:       DupEvidence{Phones: []string{"+447946000007"}},
			reasons: []string{"phone differs by one digit"},
			dup:     false,
		},
		{
			name:    "phone one digit off, same name",
			a:       DupEvidence{Name: "Jonas Böhm", Phones: []string{"+4915148664283"}},
			b:       DupEvidence{Name: "Jonas Bohm", Phones: []string{"+4915148664273"}},
			reasons: []string{"phone differs by one digit", "same name"},
			dup:     true,
		},
		{
			name:    "phone one digit off, first name only",
			a:       DupEvidence{Name: "Sofía ⚽", Phones: []string{"+529986063349"}},
			b:       DupEvidence{Name: "Sofía Núñez", Phones: []string{"+529986062349"}},
			reasons: []string{"phone differs by one digit", "name matches in part"},
			dup:     true,
		},
		{
			name:    "a digit of the country code is no slip",
			a:       DupEvidence{Name: "Ann Lee", Phones: []string{"+4915148664283"}},
			b:       DupEvidence{Name: "Ann Lee", Phones: []string{"+4315148664283"}},
			reasons: []string{"same name"},
			dup:     false,
		},
		{
			name:    "same telegram id",
			a:       DupEvidence{OtherIDs: []string{"telegram:12345"}},
			b:       DupEvidence{OtherIDs: []string{"telegram:12345"}},
			reasons: []string{"same telegram id"},
			dup:     true,
		},
		{
			name:    "email differs only in dots and +tag",
			a:       DupEvidence{Emails: []string{"john.smith+shop@gmail.com"}},
			b:       DupEvidence{Emails: []string{"johnsmith@gmail.com"}},
			reasons: []string{"email differs only in dots or +tag"},
			dup:     true,
		},
		{
			name:    "an underscore dropped is like a dot",
			a:       DupEvidence{Emails: []string{"lea_rousseau@orange.fr"}},
			b:       DupEvidence{Emails: []string{"learousseau@orange.fr"}},
			reasons: []string{"email differs only in dots or +tag"},
			dup:     true,
		},
		{
			name:    "dot for underscore is two ways to write a name, not a variant",
			a:       DupEvidence{Emails: []string{"jan.gross@gmx.net"}},
			b:       DupEvidence{Emails: []string{"jan_gross@gmx.net"}},
			reasons: nil,
			dup:     false,
		},
		{
			name:    "transposed letters in email, same name",
			a:       DupEvidence{Name: "John Smith", Emails: []string{"jonh.smith@example.com"}},
			b:       DupEvidence{Name: "John Smith", Emails: []string{"john.smith@example.com"}},
			reasons: []string{"email differs by one typo", "same name"},
			dup:     true,
		},
		{
			name:    "transposed letters in email alone",
			a:       DupEvidence{Emails: []string{"jonh.smith@example.com"}},
			b:       DupEvidence{Emails: []string{"john.smith@example.com"}},
			reasons: []string{"email differs by one typo"},
			dup:     false,
		},
		{
			name:    "a letter moved across an underscore is one typo",
			a:       DupEvidence{Name: "Lukas Koch", Emails: []string{"lukas_koch@gmx.de"}},
			b:       DupEvidence{Name: "Lukas Koch", Emails: []string{"lukask_och@gmx.de"}},
			reasons: []string{"email differs by one typo", "same name"},
			dup:     true,
		},
		{
			name:    "two typos in a long address, same name, same place",
			a:       DupEvidence{Name: "Aditya Banerjee", Emails: []string{"aditaybanerjee@hotmail.com"}, Country: "IN", Timezone: "Asia/Kolkata"},
			b:       DupEvidence{Name: "Aditya Banerjee", Emails: []string{"adityaabnerjee@hotmail.com"}, Country: "IN", Timezone: "Asia/Kolkata"},
			reasons: []string{"email differs by two typos", "same name", "same country", "same time zone"},
			dup:     true,
		},
		{
			name:    "another number in the address is another mailbox",
			a:       DupEvidence{Name: "Anna Silva", Emails: []string{"annasilva12@gmail.com"}},
			b:       DupEvidence{Name: "Anna Silva", Emails: []string{"annasilva13@gmail.com"}},
			reasons: []string{"same name"},
			dup:     false,
		},
		{
			name:    "digits swapped are a typo",
			a:       DupEvidence{Name: "Günter Wolf", Emails: []string{"guenter.wolf1950@gmx.net"}},
			b:       DupEvidence{Name: "Günter", Emails: []string{"guenter.wolf1590@gmx.net"}},
			reasons: []string{"email differs by one typo", "name matches in part"},
			dup:     true,
		},
		{
			name:    "digits rotated are two mailboxes, not two typos",
			a:       DupEvidence{Name: "Chloe Dubois", Emails: []string{"chloe.dubois.419@example.com"}},
			b:       DupEvidence{Name: "Chloe Dubois", Emails: []string{"chloe.dubois.941@example.com"}},
			reasons: []string{"same name"},
			dup:     false,
		},
		{
			name:    "similar local part at another domain is no evidence",
			a:       DupEvidence{Emails: []string{"jonh.smith@example.com"}},
			b:       DupEvidence{Emails: []string{"john.smith@example.org"}},
			reasons: nil,
			dup:     false,
		},
		{
			name:    "accents and case: Zoë Ödön vs Zoe Odon, same country",
			a:       DupEvidence{Name: "Zoë Ödön", Country: "HU"},
			b:       DupEvidence{Name: "ZOE odon", Country: "HU"},
			reasons: []string{"same name", "same country"},
			dup:     false,
		},
		{
			name:    "typo in name, same country and time zone",
			a:       DupEvidence{Name: "Jonh Smith", Country: "GB", Timezone: "Europe/London"},
			b:       DupEvidence{Name: "John Smith", Country: "GB", Timezone: "Europe/London"},
			reasons: []string{"name 0.97 similar", "same country", "same time zone"},
			dup:     false,
		},
		{
			name:    "name typo plus phone",
			a:       DupEvidence{Name: "Jonh Smith", Phones: []string{"+447946000001"}},
			b:       DupEvidence{Name: "John Smith", Phones: []string{"+447946000001"}},
			reasons: []string{"same phone", "name 0.97 similar"},
			dup:     true,
		},
		{
			name:    "word order does not matter",
			a:       DupEvidence{Name: "Smith, John"},
			b:       DupEvidence{Name: "John Smith"},
			reasons: []string{"same name"},
			dup:     false,
		},
		{
			name:    "first name only matches in part",
			a:       DupEvidence{Name: "Anna"},
			b:       DupEvidence{Name: "Anna Silva"},
			reasons: []string{"name matches in part"},
			dup:     false,
		},
		{
			name:    "different names, same country",
			a:       DupEvidence{Name: "Ann Lee", Country: "US"},
			b:       DupEvidence{Name: "Bob Stone", Country: "US"},
			reasons: []string{"same country"},
			dup:     false,
		},
		{
			name:    "generated name with only country",
			a:       DupEvidence{Name: gen, NameGenerated: true, Country: "DE", Timezone: "Europe/Berlin"},
			b:       DupEvidence{Name: gen, Country: "DE", Timezone: "Europe/Berlin"},
			reasons: []string{"generated name: no name evidence", "same country", "same time zone"},
			dup:     false,
		},
		{
			name:    "generated name with same email",
			a:       DupEvidence{Name: "Rich Key", NameGenerated: true, Emails: []string{"x@example.com"}},
			b:       DupEvidence{Name: "Xavier Young", Emails: []string{"x@example.com"}},
			reasons: []string{"same email", "generated name: no name evidence"},
			dup:     true,
		},
		{
			name:    "generated name never counts as the same name",
			a:       DupEvidence{Name: "Rich Key", NameGenerated: true, Emails: []string{"jonh.smith@example.com"}},
			b:       DupEvidence{Name: "Rich Key", Emails: []string{"john.smith@example.com"}},
			reasons: []string{"email differs by one typo", "generated name: no name evidence"},
			dup:     false,
		},
		{
			name:    "short names give no evidence",
			a:       DupEvidence{Name: "Al"},
			b:       DupEvidence{Name: "Al"},
			reasons: nil,
			dup:     false,
		},
		{
			name:    "conflict: different emails, phones and names",
			a:       DupEvidence{Name: "Ann Lee", Emails: []string{"ann@a.com"}, Phones: []string{"+15550000001"}, OtherIDs: []string{"telegram:1"}},
			b:       DupEvidence{Name: "Bob Stone", Emails: []string{"bob@b.com"}, Phones: []string{"+15557770002"}, OtherIDs: []string{"telegram:1"}},
			reasons: []string{"same telegram id", "different email, phone and name"},
			dup:     false,
		},
		{
			name:    "nothing in common",
			a:       DupEvidence{Name: "Ann Lee", Emails: []string{"ann@a.com"}},
			b:       DupEvidence{Name: "Bob Stone", Emails: []string{"bob@b.com"}},
			reasons: nil,
			dup:     false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			score, reasons := ScorePair(tt.a, tt.b)
			if score < 0 || score > 1 {
				t.Fatalf("score %v out of [0,1]", score)
			}
			if !slices.Equal(reasons, tt.reasons) {
				t.Errorf("reasons = %q, want %q (score %.3f)", reasons, tt.reasons, score)
			}
			if got := IsPotentialDuplicate(score); got != tt.dup {
				t.Errorf("score %.3f: potential duplicate = %v, want %v (threshold %v)", score, got, tt.dup, DupThreshold)
			}
			score2, reasons2 := ScorePair(tt.b, tt.a)
			if score2 != score || !slices.Equal(reasons2, reasons) {
				t.Errorf("not symmetric: %.6f %q vs %.6f %q", score, reasons, score2, reasons2)
			}
			checkMatch(t, tt.a, tt.b)
		})
	}
}

// checkMatch asserts that MatchProfiles, the quick path, decides as
// ScoreProfiles does, with the same score and reasons when it crosses.
func checkMatch(t *testing.T, a, b DupEvidence) {
	t.Helper()
	pa, pb := NewDupProfile(a), NewDupProfile(b)
	score, reasons := ScoreProfiles(pa, pb)
	qs, qr, dup := MatchProfiles(pa, pb)
	if dup != IsPotentialDuplicate(score) {
		t.Fatalf("MatchProfiles says %v, ScoreProfiles %.4f %q", dup, score, reasons)
	}
	if dup && (qs != score || !slices.Equal(qr, reasons)) {
		t.Fatalf("MatchProfiles %.4f %q, ScoreProfiles %.4f %q", qs, qr, score, reasons)
	}
}

func TestScorePairConflictLowers(t *testing.T) {
	a := DupEvidence{Name: "Ann Lee", Emails: []string{"ann@a.com"}, Phones: []string{"+15550000001"}, Country: "US", OtherIDs: []string{"telegram:1"}}
	b := DupEvidence{Name: "Bob Stone", Emails: []string{"bob@b.com"}, Phones: []string{"+15557770002"}, Country: "US", OtherIDs: []string{"telegram:1"}}
	conflicting, _ := ScorePair(a, b)
	a.Emails, b.Emails, a.Phones, b.Phones = nil, nil, nil, nil
	plain, _ := ScorePair(a, b)
	if !(conflicting < plain) {
		t.Fatalf("conflict score %.3f not below %.3f", conflicting, plain)
	}
}

// TestBlockingKeysVariantsMeet: every variant the scoring rewards shares a
// key with the original, so the incremental check finds it.
func TestBlockingKeysVariantsMeet(t *testing.T) {
	tests := []struct {
		name string
		key  string // the kind of key they share
		a, b DupEvidence
	}{
		{"same email, any case", KeyEmail,
			DupEvidence{Emails: []string{"ann@example.com"}},
			DupEvidence{Emails: []string{"ann@example.com"}}},
		{"email dots and tag", KeyEmail,
			DupEvidence{Emails: []string{"john.smith+news@gmail.com"}},
			DupEvidence{Emails: []string{"johnsmith@gmail.com"}}},
		{"email underscore", KeyEmail,
			DupEvidence{Emails: []string{"john_smith@gmail.com"}},
			DupEvidence{Emails: []string{"johnsmith@gmail.com"}}},
		{"email transposition", KeyEmail,
			DupEvidence{Emails: []string{"jonh.smith@example.com"}},
			DupEvidence{Emails: []string{"john.smith@example.com"}}},
		{"email doubled letter", KeyEmail,
			DupEvidence{Emails: []string{"john.smithh@example.com"}},
			DupEvidence{Emails: []string{"john.smith@example.com"}}},
		{"same phone", KeyPhone,
			DupEvidence{Name: "Rich Key", NameGenerated: true, Phones: []string{"+447946000001"}},
			DupEvidence{Name: "Someone Else", Phones: []string{"+447946000001"}}},
		{"phone with a slip in its last four digits", KeyPhoneHead,
			DupEvidence{Phones: []string{"+4915148664283"}},
			DupEvidence{Phones: []string{"+4915148664273"}}},
		{"name: accents, case and word order", KeyName,
			DupEvidence{Name: "Zoë Ödön", Emails: []string{"zoe@a.hu"}},
			DupEvidence{Name: "odon, ZOE", Phones: []string{"+36301234567"}}},
		{"name: ß folds to ss", KeyName,
			DupEvidence{Name: "Jan Groß", Emails: []string{"jan@gmx.net"}},
			DupEvidence{Name: "JAN GROSS", Emails: []string{"jg@gmx.net"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := BlockingKeys(tt.a), BlockingKeys(tt.b)
			if !slices.ContainsFunc(ka, func(k string) bool { return strings.HasPrefix(k, tt.key+":") && slices.Contains(kb, k) }) {
				t.Errorf("no shared %s key:\n%q\n%q", tt.key, ka, kb)
			}
		})
	}
}

func TestBlockingKeys(t *testing.T) {
	got := BlockingKeys(DupEvidence{
		Name:     "Zoë Ödön",
		Emails:   []string{"z.odon+x@example.com"},
		Phones:   []string{"+36301234567"},
		OtherIDs: []string{"telegram:42"},
		Country:  "HU",
	})
	want := []string{
		"email:dnoz@example.com",
		"name:odon zoe",
		"phone:+36301234567",
		"phonehead:+3630123",
	}
	if !slices.Equal(got, want) {
		t.Errorf("BlockingKeys =\n%q\nwant\n%q", got, want)
	}
	// No name key: generated, too short, one word, or no email or phone to
	// go with it.
	for _, e := range []DupEvidence{
		{Name: "Rich Key", NameGenerated: true, Emails: []string{"a@b.c"}},
		{Name: "Al", Emails: []string{"a@b.c"}},
		{Name: "  ", Emails: []string{"a@b.c"}},
		{Name: "Anna", Emails: []string{"a@b.c"}},
		{Name: "Anna Silva", OtherIDs: []string{"telegram:42"}},
	} {
		for _, k := range BlockingKeys(e) {
			if strings.HasPrefix(k, KeyName+":") {
				t.Errorf("%+v: unexpected name key %q", e, k)
			}
		}
	}
	// Channel ids, country and time zone make no keys.
	if k := BlockingKeys(DupEvidence{OtherIDs: []string{"telegram:42"}, Country: "HU", Timezone: "Europe/Budapest"}); len(k) != 0 {
		t.Errorf("keys %q, want none", k)
	}
}

func TestBlockLimit(t *testing.T) {
	if n, e := BlockLimit("name:anna silva"), BlockLimit("email:ains@gmail.com"); !(n < e) || n < 2 {
		t.Errorf("name block limit %d, email %d: names must be cut sooner", n, e)
	}
}

func TestSepSubset(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"annlee", "ann.lee", true},
		{"ann.lee", "ann.l.ee", true},
		{"ann_lee", "annlee", false}, // a has a separator b lacks
		{"ann.lee", "ann_lee", false},
		{"ann.lee", "ann.lee", true},
		{"annlee", "annl.ee", true},
	} {
		if got := sepSubset(tt.a, tt.b); got != tt.want {
			t.Errorf("sepSubset(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNameTokensFold(t *testing.T) {
	for in, want := range map[string]string{
		"Zoë Ödön":       "zoe odon",
		"JAN GROSS":      "jan gross",
		"Jan Groß":       "jan gross",
		"Łukasz Wójcik":  "łukasz wojcik", // ł does not decompose: kept
		"Şükrü  Yılmaz":  "sukru yılmaz",
		"Anna-Lena ✌️":   "anna lena",
		"O'Brien, Seán":  "o brien sean",
		"Jürgen Müller ": "jurgen muller",
	} {
		if got := strings.Join(nameTokens(DupEvidence{Name: in}), " "); got != want {
			t.Errorf("nameTokens(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkDupProfile(b *testing.B) {
	evs := []DupEvidence{
		{Name: "Jürgen Müller", Emails: []string{"juergen.mueller@gmx.de"}, Country: "DE"},
		{Name: "Ann Smith", Emails: []string{"ann.smith@gmail.com"}, Phones: []string{"+14155550123"}},
	}
	for i := 0; i < b.N; i++ {
		NewDupProfile(evs[i%2]).Keys()
	}
}

func BenchmarkMatchProfiles(b *testing.B) {
	x := NewDupProfile(DupEvidence{Name: "Jürgen Müller", Emails: []string{"juergen.mueller@gmx.de"}, Phones: []string{"+4915148664283"}})
	y := NewDupProfile(DupEvidence{Name: "Jürgen Müller", Emails: []string{"juergenmueller@gmx.de"}, Country: "DE"})
	z := NewDupProfile(DupEvidence{Name: "Jürgen Schmidt", Emails: []string{"js@web.de"}, Country: "DE"})
	for i := 0; i < b.N; i++ {
		MatchProfiles(x, y)
		MatchProfiles(x, z)
	}
}

func mustPhone(t *testing.T, raw string) string {
	t.Helper()
	p, err := NormalizePhone(raw, "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
