package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/hbollon/go-edlib"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// DupEvidence is what duplicate detection knows about one contact. Every
// field is already normalised: emails by NormalizeEmail (lower case), phones
// by NormalizePhone (E.164), OtherIDs as Identity.String() ("telegram:123",
// "meta:page:sender"), Country and Timezone by their normalisers.
type DupEvidence struct {
	ID            int64
	Name          string
	NameGenerated bool // a visitor's GeneratedName: no name evidence
	Emails        []string
	Phones        []string
	OtherIDs      []string
	Country       string
	Timezone      string
}

// DupThreshold is the score at or above which a pair is a "potential
// duplicate".
const DupThreshold = 0.8

// DupReason is one piece of evidence ScorePair found. The ones holding a %
// verb are formatted with the similarity, truncated to two decimals, so a
// reason never shows a figure above the one that was compared.
type DupReason string

const (
	ReasonSameEmail     DupReason = "same email"
	ReasonSamePhone     DupReason = "same phone"
	ReasonSameID        DupReason = "same %s id"
	ReasonEmailDotsTag  DupReason = "email differs only in dots or +tag"
	ReasonEmailSimilar  DupReason = "email %.2f similar"
	ReasonSameName      DupReason = "same name"
	ReasonNameSimilar   DupReason = "name %.2f similar"
	ReasonGeneratedName DupReason = "generated name: no name evidence"
	ReasonSameCountry   DupReason = "same country"
	ReasonSameTimezone  DupReason = "same time zone"
	ReasonConflict      DupReason = "different email, phone and name"
)

// Evidence weights, combined by noisy-OR: score = 1 - Π(1 - w) over the
// evidence found, so each piece can only raise the score, none alone reaches
// 1, and independent weak pieces add up slowly. Only the strongest piece of
// email evidence counts (an exact match is not also counted as a similar one).
// When the two contacts conflict on everything that identifies a person —
// both have emails and none match or look alike, both have phones and none
// match, both have real names and they are dissimilar — the result is
// multiplied by conflictFactor.
//
// Calibration: an exact email, phone or channel id crosses DupThreshold
// alone; so does an email equal up to dots and +tag. A near-identical email
// local part at the same domain (Jaro-Winkler ≥ 0.93) or a matching name does
// not, but the two together do. Country and time zone never cross alone, nor
// with a matching name (two "John Smith"s in one country are two people).
const (
	wSameEmail   = 0.97
	wSamePhone   = 0.95
	wSameID      = 0.97
	wEmailBase   = 0.85
	wEmailSimLo  = 0.55 // at emailSimMin
	wEmailSimHi  = 0.75 // at 1.0
	emailSimMin  = 0.93
	wNameLo      = 0.30 // at nameSimMin
	wNameHi      = 0.65 // at 1.0 (same name)
	nameSimMin   = 0.85
	wSameCountry = 0.10
	wSameTZ      = 0.10

	conflictFactor = 0.5
	minNameLetters = 3
)

// BlockingKeys returns the keys under which a contact is indexed to find
// duplicate candidates: two contacts are compared only if they share a key.
//
//   - "email:<addr>" and "phone:<e164>" and "id:<channel:value>" for every
//     identity.
//   - "emailbase:<local without dots and +tag>@<domain>" so "j.smith+x@d" and
//     "jsmith@d" meet.
//   - "emailsorted:<letters of that local part, sorted>@<domain>" so letters
//     transposed by a typo ("jonh.smith" / "john.smith") meet.
//   - For a real name of at least 3 letters, folded, accents stripped and cut
//     into letter/digit tokens: "name:<tokens sorted>" (word order and
//     accents don't matter: "Ödön Zoë" meets "Zoe Odon"), "name1:<first
//     token>+<last token's initial>" (a typo in the surname, except its first
//     letter, still meets), and "namesorted:<each token's letters sorted,
//     tokens sorted>" (transposed letters anywhere: "Jonh Smith" meets
//     "John Smith"). Generated visitor names give no name keys.
//
// Country and time zone are weak evidence, not keys: each would put a large
// share of all contacts into one block. The result is sorted and deduplicated.
func BlockingKeys(e DupEvidence) []string {
	var keys []string
	for _, m := range e.Emails {
		if m == "" {
			continue
		}
		keys = append(keys, "email:"+m)
		if base, domain, ok := emailBase(m); ok && base != "" {
			keys = append(keys, "emailbase:"+base+"@"+domain, "emailsorted:"+sortLetters(base)+"@"+domain)
		}
	}
	for _, p := range e.Phones {
		if p != "" {
			keys = append(keys, "phone:"+p)
		}
	}
	for _, id := range e.OtherIDs {
		if id != "" {
			keys = append(keys, "id:"+id)
		}
	}
	if toks := nameTokens(e); toks != nil {
		sorted := slices.Clone(toks)
		slices.Sort(sorted)
		keys = append(keys, "name:"+strings.Join(sorted, " "))
		if len(toks) > 1 {
			last := []rune(toks[len(toks)-1])
			keys = append(keys, "name1:"+toks[0]+"+"+string(last[0]))
		}
		anagram := make([]string, len(toks))
		for i, t := range toks {
			anagram[i] = sortLetters(t)
		}
		slices.Sort(anagram)
		keys = append(keys, "namesorted:"+strings.Join(anagram, " "))
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// ScorePair scores how likely a and b are one person, in [0, 1], with the
// reasons in a fixed order (identities, email, name, place, conflict). It is
// deterministic and symmetric: ScorePair(a, b) == ScorePair(b, a).
func ScorePair(a, b DupEvidence) (score float64, reasons []string) {
	var weights []float64
	add := func(w float64, reason string) {
		weights = append(weights, w)
		reasons = append(reasons, reason)
	}

	// Identities: exact shared values.
	if shared(a.Phones, b.Phones) != "" {
		add(wSamePhone, string(ReasonSamePhone))
	}
	if id := shared(a.OtherIDs, b.OtherIDs); id != "" {
		ch, _, _ := strings.Cut(id, ":")
		add(wSameID, fmt.Sprintf(string(ReasonSameID), ch))
	}

	// Email: only the strongest piece counts.
	emailMatch := false
	switch {
	case shared(a.Emails, b.Emails) != "":
		add(wSameEmail, string(ReasonSameEmail))
		emailMatch = true
	case sharedBase(a.Emails, b.Emails):
		add(wEmailBase, string(ReasonEmailDotsTag))
		emailMatch = true
	default:
		if sim := bestLocalSimilarity(a.Emails, b.Emails); sim >= emailSimMin {
			add(lerp(wEmailSimLo, wEmailSimHi, (sim-emailSimMin)/(1-emailSimMin)), fmt.Sprintf(string(ReasonEmailSimilar), trunc2(sim)))
			emailMatch = true
		}
	}

	// Name.
	nameDissimilar := false
	if (a.NameGenerated && strings.TrimSpace(a.Name) != "") || (b.NameGenerated && strings.TrimSpace(b.Name) != "") {
		reasons = append(reasons, string(ReasonGeneratedName))
	} else if ta, tb := nameTokens(a), nameTokens(b); ta != nil && tb != nil {
		sim := nameSimilarity(ta, tb)
		switch {
		case sim >= 1:
			add(wNameHi, string(ReasonSameName))
		case sim >= nameSimMin:
			add(lerp(wNameLo, wNameHi, (sim-nameSimMin)/(1-nameSimMin)), fmt.Sprintf(string(ReasonNameSimilar), trunc2(sim)))
		default:
			nameDissimilar = true
		}
	}

	// Place: weak evidence only.
	if a.Country != "" && strings.EqualFold(a.Country, b.Country) {
		add(wSameCountry, string(ReasonSameCountry))
	}
	if a.Timezone != "" && a.Timezone == b.Timezone {
		add(wSameTZ, string(ReasonSameTimezone))
	}

	miss := 1.0
	for _, w := range weights {
		miss *= 1 - w
	}
	score = 1 - miss

	emailConflict := nonEmpty(a.Emails) && nonEmpty(b.Emails) && !emailMatch
	phoneConflict := nonEmpty(a.Phones) && nonEmpty(b.Phones) && shared(a.Phones, b.Phones) == ""
	if emailConflict && phoneConflict && nameDissimilar {
		score *= conflictFactor
		reasons = append(reasons, string(ReasonConflict))
	}
	return math.Min(1, math.Max(0, score)), reasons
}

// IsPotentialDuplicate reports whether a score crosses DupThreshold.
func IsPotentialDuplicate(score float64) bool { return score >= DupThreshold }

// emailBase splits a normalised address into its local part without dots and
// "+tag", and its domain.
func emailBase(addr string) (base, domain string, ok bool) {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return "", "", false
	}
	local, _, _ = strings.Cut(local, "+")
	return strings.ReplaceAll(local, ".", ""), domain, true
}

func sharedBase(as, bs []string) bool {
	for _, a := range as {
		ba, da, ok := emailBase(a)
		if !ok || ba == "" {
			continue
		}
		for _, b := range bs {
			if bb, db, ok := emailBase(b); ok && ba == bb && da == db {
				return true
			}
		}
	}
	return false
}

// bestLocalSimilarity is the highest Jaro-Winkler similarity between the
// dot- and tag-free local parts of two addresses at the same domain.
func bestLocalSimilarity(as, bs []string) float64 {
	best := 0.0
	for _, a := range as {
		ba, da, ok := emailBase(a)
		if !ok || ba == "" {
			continue
		}
		for _, b := range bs {
			bb, db, ok := emailBase(b)
			if !ok || bb == "" || da != db {
				continue
			}
			best = math.Max(best, jaroWinkler(ba, bb))
		}
	}
	return best
}

// nameSimilarity compares two token lists as written and with their tokens
// sorted (so "Smith John" matches "John Smith"), keeping the better.
func nameSimilarity(a, b []string) float64 {
	sim := jaroWinkler(strings.Join(a, " "), strings.Join(b, " "))
	sa, sb := slices.Clone(a), slices.Clone(b)
	slices.Sort(sa)
	slices.Sort(sb)
	return math.Max(sim, jaroWinkler(strings.Join(sa, " "), strings.Join(sb, " ")))
}

// jaroWinkler is symmetric: the order of the arguments cannot change a score.
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	if a > b {
		a, b = b, a
	}
	// edlib returns float32; round through its decimal form so 0.93 stays 0.93.
	f := float64(edlib.JaroWinklerSimilarity(a, b))
	return math.Round(f*1e6) / 1e6
}

var stripMarks = runes.Remove(runes.In(unicode.Mn))

// nameTokens folds a real name, strips accents and splits it into letter and
// digit runs. It returns nil for a generated name or one with fewer than
// minNameLetters letters.
func nameTokens(e DupEvidence) []string {
	if e.NameGenerated {
		return nil
	}
	s, _, err := transform.String(transform.Chain(norm.NFD, stripMarks, norm.NFC), Fold(e.Name))
	if err != nil {
		return nil
	}
	toks := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	letters := 0
	for _, t := range toks {
		for _, r := range t {
			if unicode.IsLetter(r) {
				letters++
			}
		}
	}
	if letters < minNameLetters {
		return nil
	}
	return toks
}

func sortLetters(s string) string {
	r := []rune(s)
	slices.Sort(r)
	return string(r)
}

// shared returns the smallest value in both lists, "" if none: the smallest,
// so the result does not depend on the order of the arguments.
func shared(as, bs []string) string {
	best := ""
	for _, a := range as {
		if a != "" && slices.Contains(bs, a) && (best == "" || a < best) {
			best = a
		}
	}
	return best
}

func nonEmpty(xs []string) bool {
	return slices.ContainsFunc(xs, func(s string) bool { return s != "" })
}

func lerp(lo, hi, t float64) float64 { return lo + (hi-lo)*math.Max(0, math.Min(1, t)) }

// trunc2 truncates to two decimals so a shown "0.93" was really ≥ 0.93.
func trunc2(f float64) float64 { return math.Floor(f*100+1e-9) / 100 }
