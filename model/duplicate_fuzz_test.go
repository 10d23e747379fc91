package model

import (
	"slices"
	"testing"
)

// FuzzScorePair checks the scoring's invariants on arbitrary input: the
// score is in [0, 1], symmetric, and the quick path (MatchProfiles) decides
// exactly as the full one; keys are sorted, unique and deterministic.
//
//	go test ./model -run '^$' -fuzz FuzzScorePair -fuzztime 1m
func FuzzScorePair(f *testing.F) {
	f.Add("Zoë Ödön", "z.odon+x@example.com", "+36301234567", "zoe odon", "zodon@example.com", "+36301234568", "HU", "HU", false)
	f.Add("Jan Groß", "jan_gross@gmx.net", "", "Jan", "jan.gorss@gmx.net", "+4915242317294", "DE", "", false)
	f.Add("Rich Key", "", "+447946000001", "Rich Key", "", "+447946000001", "", "", true)
	f.Add("", "a@b", "", "", "A@B", "", "", "", false)
	f.Fuzz(func(t *testing.T, nameA, emailA, phoneA, nameB, emailB, phoneB, countryA, countryB string, gen bool) {
		list := func(s string) []string {
			if s == "" {
				return nil
			}
			return []string{s}
		}
		a := DupEvidence{Name: nameA, NameGenerated: gen, Emails: list(emailA), Phones: list(phoneA), Country: countryA}
		b := DupEvidence{Name: nameB, Emails: list(emailB), Phones: list(phoneB), Country: countryB}
		s1, r1 := ScorePair(a, b)
		s2, r2 := ScorePair(b, a)
		if s1 < 0 || s1 > 1 || s1 != s2 || !slices.Equal(r1, r2) {
			t.Fatalf("ScorePair(a, b) = %v %q, ScorePair(b, a) = %v %q", s1, r1, s2, r2)
		}
		pa, pb := NewDupProfile(a), NewDupProfile(b)
		qs, qr, dup := MatchProfiles(pa, pb)
		if dup != IsPotentialDuplicate(s1) || (dup && (qs != s1 || !slices.Equal(qr, r1))) {
			t.Fatalf("MatchProfiles = %v %q %v, ScorePair = %v %q", qs, qr, dup, s1, r1)
		}
		k := BlockingKeys(a)
		if !slices.IsSorted(k) || len(slices.Compact(slices.Clone(k))) != len(k) || !slices.Equal(k, BlockingKeys(a)) {
			t.Fatalf("keys %q not sorted, unique and repeatable", k)
		}
	})
}
