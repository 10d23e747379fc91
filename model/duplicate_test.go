package model

import (
	"slices"
	"strings"
	"testing"
)

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
			name:    "transposed letters in email, same name",
			a:       DupEvidence{Name: "John Smith", Emails: []string{"jonh.smith@example.com"}},
			b:       DupEvidence{Name: "John Smith", Emails: []string{"john.smith@example.com"}},
			reasons: []string{"email 0.97 similar", "same name"},
			dup:     true,
		},
		{
			name:    "transposed letters in email alone",
			a:       DupEvidence{Emails: []string{"jonh.smith@example.com"}},
			b:       DupEvidence{Emails: []string{"john.smith@example.com"}},
			reasons: []string{"email 0.97 similar"},
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
			name:    "short names give no evidence",
			a:       DupEvidence{Name: "Al"},
			b:       DupEvidence{Name: "Al"},
			reasons: nil,
			dup:     false,
		},
		{
			name:    "conflict: different emails, phones and names",
			a:       DupEvidence{Name: "Ann Lee", Emails: []string{"ann@a.com"}, Phones: []string{"+15550000001"}, OtherIDs: []string{"telegram:1"}},
			b:       DupEvidence{Name: "Bob Stone", Emails: []string{"bob@b.com"}, Phones: []string{"+15550000002"}, OtherIDs: []string{"telegram:1"}},
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
		})
	}
}

func TestScorePairConflictLowers(t *testing.T) {
	a := DupEvidence{Name: "Ann Lee", Emails: []string{"ann@a.com"}, Phones: []string{"+15550000001"}, Country: "US"}
	b := DupEvidence{Name: "Bob Stone", Emails: []string{"bob@b.com"}, Phones: []string{"+15550000002"}, Country: "US"}
	conflicting, _ := ScorePair(a, b)
	a.Emails, b.Emails, a.Phones, b.Phones = nil, nil, nil, nil
	plain, _ := ScorePair(a, b)
	if !(conflicting < plain) {
		t.Fatalf("conflict score %.3f not below %.3f", conflicting, plain)
	}
}

func TestBlockingKeysVariantsMeet(t *testing.T) {
	tests := []struct {
		name string
		a, b DupEvidence
	}{
		{"email dots and tag",
			DupEvidence{Emails: []string{"john.smith+news@gmail.com"}},
			DupEvidence{Emails: []string{"johnsmith@gmail.com"}}},
		{"email transposition",
			DupEvidence{Emails: []string{"jonh.smith@example.com"}},
			DupEvidence{Emails: []string{"john.smith@example.com"}}},
		{"name transposition",
			DupEvidence{Name: "Jonh Smith"},
			DupEvidence{Name: "John Smith"}},
		{"surname typo",
			DupEvidence{Name: "John Smiht"},
			DupEvidence{Name: "John Smyth"}},
		{"accents, case and word order",
			DupEvidence{Name: "Zoë Ödön"},
			DupEvidence{Name: "odon, ZOE"}},
		{"same phone",
			DupEvidence{Name: "Rich Key", NameGenerated: true, Phones: []string{"+447946000001"}},
			DupEvidence{Name: "Someone Else", Phones: []string{"+447946000001"}}},
		{"same meta id",
			DupEvidence{OtherIDs: []string{"meta:1:2"}},
			DupEvidence{OtherIDs: []string{"meta:1:2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := BlockingKeys(tt.a), BlockingKeys(tt.b)
			if !slices.ContainsFunc(ka, func(k string) bool { return slices.Contains(kb, k) }) {
				t.Errorf("no shared key:\n%q\n%q", ka, kb)
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
		"email:z.odon+x@example.com",
		"emailbase:zodon@example.com",
		"emailsorted:dnooz@example.com",
		"id:telegram:42",
		"name1:zoe+o",
		"name:odon zoe",
		"namesorted:dnoo eoz",
		"phone:+36301234567",
	}
	if !slices.Equal(got, want) {
		t.Errorf("BlockingKeys =\n%q\nwant\n%q", got, want)
	}
	for _, e := range []DupEvidence{
		{Name: "Rich Key", NameGenerated: true},
		{Name: "Al"},
		{Name: "  "},
	} {
		for _, k := range BlockingKeys(e) {
			if strings.HasPrefix(k, "name") {
				t.Errorf("%+v: unexpected name key %q", e, k)
			}
		}
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
