package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/hbollon/go-edlib"
	"golang.org/x/text/cases"
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
	NameGenerated bool // a visitor's GeneratedName or a fallback like "Facebook user …1234": no name evidence
	Emails        []string
	Phones        []string
	OtherIDs      []string
	Country       string
	Timezone      string
}

// DupThreshold is the score at or above which a pair is a "potential
// duplicate".
const DupThreshold = 0.8

// DupReason is one piece of evidence the scoring found. The ones holding a %
// verb are formatted with the similarity, truncated to two decimals, so a
// reason never shows a figure above the one that was compared.
type DupReason string

const (
	ReasonSameEmail     DupReason = "same email"
	ReasonSamePhone     DupReason = "same phone"
	ReasonPhoneDigit    DupReason = "phone differs by one digit"
	ReasonSameID        DupReason = "same %s id"
	ReasonEmailDotsTag  DupReason = "email differs only in dots or +tag"
	ReasonEmailTypo     DupReason = "email differs by one typo"
	ReasonEmailTypo2    DupReason = "email differs by two typos"
	ReasonSameName      DupReason = "same name"
	ReasonNameSimilar   DupReason = "name %.2f similar"
	ReasonNamePart      DupReason = "name matches in part"
	ReasonGeneratedName DupReason = "generated name: no name evidence"
	ReasonSameCountry   DupReason = "same country"
	ReasonSameTimezone  DupReason = "same time zone"
	ReasonConflict      DupReason = "different email, phone and name"
)

// Evidence weights, combined by noisy-OR: score = 1 - Π(1 - w) over the
// evidence found, so each piece can only raise the score, none alone reaches
// 1, and independent weak pieces add up slowly. Only the strongest piece of
// email evidence counts, and of phone evidence, and of name evidence. When
// the two contacts conflict on everything that identifies a person — both
// have emails and none match or look alike, both have phones and none match
// or are one digit apart, both have real names and they are dissimilar — the
// result is multiplied by conflictFactor.
//
// Calibration (DupThreshold 0.8): an exact email, phone or channel id
// crosses alone; so does an email equal up to dots, underscores and +tag. A
// one-typo email or a phone one digit off does not, nor does a name, but
// either does with the same name, a name ≥ 0.94 similar, or a name that
// matches in part (a first name); a two-typo email needs the same name.
// Country and time zone never cross alone, nor with a matching name (two
// "Anna Silva"s in one country are two people).
const (
	wSameEmail   = 0.97
	wSamePhone   = 0.95
	wSameID      = 0.97
	wEmailBase   = 0.85
	wEmailTypo   = 0.60
	wEmailTypo2  = 0.45
	wPhoneDigit  = 0.60
	wNameLo      = 0.30 // at nameSimMin
	wNameHi      = 0.65 // at 1.0 (same name)
	nameSimMin   = 0.85
	wNamePart    = 0.55
	wSameCountry = 0.10
	wSameTZ      = 0.10

	conflictFactor = 0.5
	minNameLetters = 3
	// minTypoLocal is the shortest local part (letters and digits) for which
	// one typo is evidence: "al1" and "al2" say nothing.
	minTypoLocal = 5
	// minTypo2Local is the shortest for which two typos are.
	minTypo2Local = 8
)

// DupProfile is a contact's evidence prepared for comparison: names folded
// and tokenised, email addresses split, all once per contact, so comparing
// it with many candidates costs string comparisons, not Unicode transforms.
// It is read-only after NewDupProfile and safe to share between goroutines.
type DupProfile struct {
	DupEvidence
	generated bool        // has a generated name to mention
	emails    []emailForm // in input order, empty values skipped
	phones    []string    // non-empty
	ids       []string    // non-empty

	nameOnce sync.Once
	name     *nameForm // nil: no name evidence; built on first use
}

type nameForm struct {
	toks   []string // folded, accents stripped, letter/digit runs, as written
	sorted []string
	joined string // toks joined by spaces
	sjoin  string // sorted joined by spaces
	runes  int    // rune count of joined
}

type emailForm struct {
	addr    string
	domain  string
	bare    string // local part without +tag
	norm    string // that with every ASCII punctuation mark written as "."
	base    string // that without dots, underscores, hyphens and other ASCII punctuation
	letters string // the distinct characters of base, sorted
	digits  string // the digits of base, sorted
}

// NewDupProfile prepares e for comparison.
func NewDupProfile(e DupEvidence) *DupProfile {
	p := &DupProfile{DupEvidence: e}
	p.generated = e.NameGenerated && strings.TrimSpace(e.Name) != ""
	for _, m := range e.Emails {
		if m == "" {
			continue
		}
		f := emailForm{addr: m}
		local, domain, ok := strings.Cut(m, "@")
		if ok {
			local, _, _ = strings.Cut(local, "+")
			f.domain, f.bare = domain, local
			// Byte by byte: punctuation is ASCII, and no byte of a
			// multi-byte UTF-8 sequence is.
			base, norm := make([]byte, 0, len(local)), []byte(local)
			var digits []byte
			for i := 0; i < len(local); i++ {
				c := local[i]
				switch {
				case isSep(c):
					norm[i] = '.'
				case '0' <= c && c <= '9':
					digits = append(digits, c)
					base = append(base, c)
				default:
					base = append(base, c)
				}
			}
			slices.Sort(digits)
			f.base, f.norm, f.digits = string(base), string(norm), string(digits)
			f.letters = letterSet(f.base)
		}
		p.emails = append(p.emails, f)
	}
	for _, ph := range e.Phones {
		if ph != "" {
			p.phones = append(p.phones, ph)
		}
	}
	for _, id := range e.OtherIDs {
		if id != "" {
			p.ids = append(p.ids, id)
		}
	}
	return p
}

// nameForm returns the prepared name, nil when the name is no evidence. Most
// candidate pairs are decided without it, so it is built on first use.
func (p *DupProfile) nameForm() *nameForm {
	p.nameOnce.Do(func() {
		toks := nameTokens(p.DupEvidence)
		if toks == nil {
			return
		}
		n := &nameForm{toks: toks, sorted: slices.Clone(toks)}
		slices.Sort(n.sorted)
		n.joined, n.sjoin = strings.Join(toks, " "), strings.Join(n.sorted, " ")
		n.runes = utf8.RuneCountInString(n.joined)
		p.name = n
	})
	return p.name
}

// Blocking key kinds: the prefix before the first ':'.
const (
	KeyEmail     = "email"     // the local part's distinct letters and digits, sorted, @domain
	KeyPhone     = "phone"     // E.164
	KeyPhoneHead = "phonehead" // E.164 without its last 4 digits
	KeyName      = "name"      // folded name tokens, sorted
)

// BlockLimit is the most contacts a blocking key may hold and still make
// candidates. A key shared by very many contacts says little: a common name
// can only ever add weight to stronger evidence, so name blocks are cut much
// sooner than email and phone blocks.
func BlockLimit(key string) int {
	if strings.HasPrefix(key, KeyName+":") {
		return 40
	}
	return 100
}

// Keys returns the keys under which the contact is indexed to find duplicate
// candidates: two contacts are compared only if they share a key. There are
// few per contact (each is an index row written on every new contact):
//
//   - "email:<the distinct letters and digits of the local part before any
//     +tag, sorted>@<domain>" for every email: the same address, its dot and
//     +tag variants ("j.smith+x@d", "jsmith@d") and letters transposed or
//     doubled by a typo ("jonh.smith", "johnn.smith") all meet.
//   - "phone:<E.164>" for every phone, and "phonehead:<E.164 without its last
//     4 digits>", under which a number with a slip in its last digits meets
//     the original.
//   - "name:<folded tokens, sorted>" for a real name of two or more tokens
//     and at least 3 letters ("Ödön Zoë" meets "zoe odon") of a contact with
//     an email or a phone; never for a generated name or a single word (each
//     block would be a crowd). It finds a typo the keys above miss (a letter
//     changed, a digit off early in a number) when the name agrees — and a
//     name with neither email nor phone beside it can never reach the
//     threshold, so it needs no key.
//
// Channel ids (Telegram, Facebook, Instagram) get no key: an identity
// belongs to one contact, so no two contacts share one. Country and time
// zone are weak evidence, not keys: each would put a large share of all
// contacts into one block. The result is sorted and deduplicated.
func (p *DupProfile) Keys() []string {
	var keys []string
	for _, m := range p.emails {
		if m.domain == "" || m.base == "" {
			keys = append(keys, KeyEmail+":"+m.addr)
			continue
		}
		keys = append(keys, KeyEmail+":"+m.letters+"@"+m.domain)
	}
	for _, ph := range p.phones {
		keys = append(keys, KeyPhone+":"+ph)
		if len(ph) >= 9 {
			keys = append(keys, KeyPhoneHead+":"+ph[:len(ph)-4])
		}
	}
	if n := p.nameForm(); n != nil && len(n.toks) > 1 && len(p.emails)+len(p.phones) > 0 {
		keys = append(keys, KeyName+":"+n.sjoin)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// BlockingKeys returns NewDupProfile(e).Keys().
func BlockingKeys(e DupEvidence) []string { return NewDupProfile(e).Keys() }

// ScorePair scores how likely a and b are one person, in [0, 1], with the
// reasons in a fixed order (identities, email, name, place, conflict). It is
// deterministic and symmetric: ScorePair(a, b) == ScorePair(b, a).
func ScorePair(a, b DupEvidence) (score float64, reasons []string) {
	return ScoreProfiles(NewDupProfile(a), NewDupProfile(b))
}

// ScoreProfiles is ScorePair on prepared profiles.
func ScoreProfiles(a, b *DupProfile) (score float64, reasons []string) {
	score, reasons, _ = score2(a, b, false)
	return score, reasons
}

// MatchProfiles reports whether a and b are a potential duplicate, with the
// score and reasons when they are. It skips the name comparison when the
// name cannot decide, and formats no reasons for a pair that does not
// cross, so it is the one to call on every candidate.
func MatchProfiles(a, b *DupProfile) (score float64, reasons []string, dup bool) {
	return score2(a, b, true)
}

// evidence found for one pair, before it is weighed.
type pairEvidence struct {
	samePhone, phoneDigit bool
	sameID                string
	email                 int // emailNone … emailSame
	name                  int // 0 none, 1 part, 2 similar, 3 same; -1 dissimilar
	nameSim               float64
	country, tz           bool
}

const (
	emailNone = iota
	emailTypo2
	emailTypo
	emailBase
	emailSame
)

const (
	nameDissimilar = -1
	nameNone       = 0
	namePart       = 1
	nameSimilar    = 2
	nameSame       = 3
)

func score2(a, b *DupProfile, quick bool) (float64, []string, bool) {
	var ev pairEvidence
	miss := 1.0
	// Identities: exact shared values, then one digit off.
	if shared(a.phones, b.phones) != "" {
		ev.samePhone = true
		miss *= 1 - wSamePhone
	} else if oneDigitApart(a.phones, b.phones) {
		ev.phoneDigit = true
		miss *= 1 - wPhoneDigit
	}
	if id := shared(a.ids, b.ids); id != "" {
		ev.sameID = id
		miss *= 1 - wSameID
	}
	ev.email = compareEmails(a.emails, b.emails)
	switch ev.email {
	case emailSame:
		miss *= 1 - wSameEmail
	case emailBase:
		miss *= 1 - wEmailBase
	case emailTypo:
		miss *= 1 - wEmailTypo
	case emailTypo2:
		miss *= 1 - wEmailTypo2
	}
	if a.Country != "" && strings.EqualFold(a.Country, b.Country) {
		ev.country = true
		miss *= 1 - wSameCountry
	}
	if a.Timezone != "" && a.Timezone == b.Timezone {
		ev.tz = true
		miss *= 1 - wSameTZ
	}
	emailConflict := len(a.emails) > 0 && len(b.emails) > 0 && ev.email == emailNone
	phoneConflict := len(a.phones) > 0 && len(b.phones) > 0 && !ev.samePhone && !ev.phoneDigit
	canConflict := emailConflict && phoneConflict
	// The name can only raise the score by wNameHi at most, and only matters
	// for the conflict rule when email and phone both conflict: skip it when
	// it cannot change the answer.
	if quick && !canConflict {
		if 1-miss*(1-wNameHi) < DupThreshold {
			return 0, nil, false
		}
	}
	if an, bn := a.nameForm(), b.nameForm(); an != nil && bn != nil {
		ev.name, ev.nameSim = compareNames(an, bn)
		switch ev.name {
		case nameSame:
			miss *= 1 - wNameHi
		case nameSimilar:
			miss *= 1 - lerp(wNameLo, wNameHi, (ev.nameSim-nameSimMin)/(1-nameSimMin))
		case namePart:
			miss *= 1 - wNamePart
		}
	}
	score := 1 - miss
	conflict := canConflict && ev.name == nameDissimilar
	if conflict {
		score *= conflictFactor
	}
	score = math.Min(1, math.Max(0, score))
	dup := score >= DupThreshold
	if quick && !dup {
		return score, nil, false
	}
	return score, ev.reasons(a, b, conflict), dup
}

func (ev *pairEvidence) reasons(a, b *DupProfile, conflict bool) []string {
	var r []string
	if ev.samePhone {
		r = append(r, string(ReasonSamePhone))
	} else if ev.phoneDigit {
		r = append(r, string(ReasonPhoneDigit))
	}
	if ev.sameID != "" {
		ch, _, _ := strings.Cut(ev.sameID, ":")
		r = append(r, fmt.Sprintf(string(ReasonSameID), ch))
	}
	switch ev.email {
	case emailSame:
		r = append(r, string(ReasonSameEmail))
	case emailBase:
		r = append(r, string(ReasonEmailDotsTag))
	case emailTypo:
		r = append(r, string(ReasonEmailTypo))
	case emailTypo2:
		r = append(r, string(ReasonEmailTypo2))
	}
	switch {
	case a.generated || b.generated:
		r = append(r, string(ReasonGeneratedName))
	case ev.name == nameSame:
		r = append(r, string(ReasonSameName))
	case ev.name == nameSimilar:
		r = append(r, fmt.Sprintf(string(ReasonNameSimilar), trunc2(ev.nameSim)))
	case ev.name == namePart:
		r = append(r, string(ReasonNamePart))
	}
	if ev.country {
		r = append(r, string(ReasonSameCountry))
	}
	if ev.tz {
		r = append(r, string(ReasonSameTimezone))
	}
	if conflict {
		r = append(r, string(ReasonConflict))
	}
	return r
}

// IsPotentialDuplicate reports whether a score crosses DupThreshold.
func IsPotentialDuplicate(score float64) bool { return score >= DupThreshold }

// compareEmails returns the strongest email evidence between two lists.
func compareEmails(as, bs []emailForm) int {
	best := emailNone
	for i := range as {
		a := &as[i]
		for j := range bs {
			b := &bs[j]
			switch {
			case a.addr == b.addr:
				return emailSame
			case a.domain == "" || a.domain != b.domain || a.base == "" || b.base == "":
			case a.base == b.base && (sepSubset(a.bare, b.bare) || sepSubset(b.bare, a.bare)):
				best = max(best, emailBase)
			case best < emailTypo:
				best = max(best, typos(a, b))
			}
		}
	}
	return best
}

func isSep(c byte) bool {
	return c < utf8.RuneSelf && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9')
}

// sepSubset reports whether b is a with punctuation added: every dot,
// underscore or hyphen of a is in b at the same place ("ann.lee" and
// "ann.l.ee", "annlee" and "ann_lee", not "ann.lee" and "ann_lee": those are
// two ways to write a name, as likely two mailboxes as one).
func sepSubset(a, b string) bool {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && isSep(a[i]):
			if j >= len(b) || b[j] != a[i] {
				return false
			}
			i++
			j++
		case j < len(b) && isSep(b[j]):
			j++
		case i >= len(a) || j >= len(b) || a[i] != b[j]:
			return false
		default:
			i++
			j++
		}
	}
	return true
}

// typos returns emailTypo when two local parts (at one domain) are one typo
// apart — one letter inserted, dropped, changed, or two neighbours swapped
// (optimal string alignment distance 1) — emailTypo2 when two typos apart
// and long enough that two typos are still a small part of them, else
// emailNone. Punctuation counts as one symbol, so "ann.lee" and "ann_lee"
// are no typo apart (see sepSubset) and "ann_lee" and "annl_ee" are one. The
// digits in them must be the same: a changed digit is another mailbox
// ("anna.silva12", "anna.silva13"), not a slip; two neighbours swapped is
// one slip, but with two typos the digits must be untouched ("ann.lee.419"
// and "ann.lee.941" are two mailboxes).
func typos(a, b *emailForm) int {
	la, lb := len(a.base), len(b.base)
	if min(la, lb) < minTypoLocal || la-lb > 2 || lb-la > 2 || a.digits != b.digits {
		return emailNone
	}
	// Cheap necessary condition first: each typo changes the set of
	// distinct characters by at most one on each side.
	if setDiff(a.letters, b.letters) > 2 || setDiff(b.letters, a.letters) > 2 {
		return emailNone
	}
	switch d := edlib.OSADamerauLevenshteinDistance(a.norm, b.norm); {
	case d == 1:
		return emailTypo
	case d == 2 && min(la, lb) >= minTypo2Local && digitsInOrder(a.base) == digitsInOrder(b.base):
		return emailTypo2
	}
	return emailNone
}

// setDiff counts the characters of sorted set a missing from sorted set b.
func setDiff(a, b string) int {
	n, j := 0, 0
	for i := 0; i < len(a); i++ {
		for j < len(b) && b[j] < a[i] {
			j++
		}
		if j >= len(b) || b[j] != a[i] {
			n++
		}
	}
	return n
}

// oneDigitApart reports whether some phone of as and some of bs have the
// same length and country prefix and differ in exactly one digit.
func oneDigitApart(as, bs []string) bool {
	for _, a := range as {
		for _, b := range bs {
			if len(a) != len(b) || len(a) < 8 {
				continue
			}
			diff, at := 0, 0
			for i := 0; i < len(a) && diff < 2; i++ {
				if a[i] != b[i] {
					diff++
					at = i
				}
			}
			if diff == 1 && at >= 4 {
				return true
			}
		}
	}
	return false
}

// compareNames compares two real names: the same tokens in any order; one
// name's tokens all found in the other ("Anna" and "Anna Silva"); else
// Jaro-Winkler on the names as written and with their tokens sorted (the
// better).
func compareNames(a, b *nameForm) (int, float64) {
	if a.sjoin == b.sjoin {
		return nameSame, 1
	}
	if subset(a.sorted, b.sorted) || subset(b.sorted, a.sorted) {
		return namePart, 0
	}
	// Jaro-Winkler cannot reach nameSimMin when the lengths differ too much:
	// jaro ≤ (2 + short/long)/3, and the prefix bonus adds at most
	// 0.4·(1 - jaro).
	short, long := min(a.runes, b.runes), max(a.runes, b.runes)
	if j := (2 + float64(short)/float64(long)) / 3; j+0.4*(1-j) >= nameSimMin {
		sim := math.Max(jaroWinkler(a.joined, b.joined), jaroWinkler(a.sjoin, b.sjoin))
		if sim >= nameSimMin {
			return nameSimilar, sim
		}
	}
	return nameDissimilar, 0
}

// subset reports whether every token of sorted list a is in sorted list b,
// with at least one token of minNameLetters or more.
func subset(a, b []string) bool {
	long := false
	for _, t := range a {
		if _, ok := slices.BinarySearch(b, t); !ok {
			return false
		}
		long = long || len([]rune(t)) >= minNameLetters
	}
	return long && len(a) < len(b)
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

// runeFolds caches each non-ASCII rune folded and stripped of its accents
// ("Ö" → "o", "ß" → "ss"): names repeat few such runes, and running the
// Unicode transforms per name would cost more than the rest of a profile.
var runeFolds sync.Map

func foldRune(r rune) string {
	if v, ok := runeFolds.Load(r); ok {
		return v.(string)
	}
	t := nameFolders.Get().(transform.Transformer)
	s, _, err := transform.String(t, string(r))
	nameFolders.Put(t)
	if err != nil {
		s = string(r)
	}
	runeFolds.Store(r, s)
	return s
}

// nameFolders fold, decompose, strip accents and recompose names: one
// chain of transformers per goroutine at a time, reused (building one costs
// more than running it).
var nameFolders = sync.Pool{New: func() any {
	return transform.Chain(cases.Fold(), norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

// nameTokens folds a real name, strips accents and splits it into letter and
// digit runs. It returns nil for a generated name or one with fewer than
// minNameLetters letters.
func nameTokens(e DupEvidence) []string {
	if e.NameGenerated {
		return nil
	}
	var s string
	if isASCII(e.Name) {
		s = strings.ToLower(e.Name) // what folding and stripping would give
	} else {
		var b strings.Builder
		for _, r := range e.Name {
			if r < utf8.RuneSelf {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteString(foldRune(r))
			}
		}
		s = b.String()
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// letterSet is the distinct characters of s, sorted.
func letterSet(s string) string {
	if !isASCII(s) {
		r := []rune(s)
		slices.Sort(r)
		return string(slices.Compact(r))
	}
	var seen [utf8.RuneSelf]bool
	for i := 0; i < len(s); i++ {
		seen[s[i]] = true
	}
	b := make([]byte, 0, len(s))
	for c, ok := range seen {
		if ok {
			b = append(b, byte(c))
		}
	}
	return string(b)
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

func lerp(lo, hi, t float64) float64 { return lo + (hi-lo)*math.Max(0, math.Min(1, t)) }

// trunc2 truncates to two decimals so a shown "0.93" was really ≥ 0.93.
func trunc2(f float64) float64 { return math.Floor(f*100+1e-9) / 100 }

// digitsInOrder is the digits of s as they stand.
func digitsInOrder(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// NewDupEvidence starts a contact's evidence from its standard fields (values
// already normalised); identities are added with AddIdentity.
func NewDupEvidence(id int64, name string, generated bool, email, phone, country, timezone string) *DupEvidence {
	e := &DupEvidence{ID: id, Name: name, NameGenerated: generated, Country: country, Timezone: timezone}
	if email != "" {
		e.Emails = append(e.Emails, email)
	}
	if phone != "" {
		e.Phones = append(e.Phones, phone)
	}
	return e
}

// AddIdentity files an identity under the evidence it is: emails, phones, or
// other channel ids (a web-chat cookie is one browser, never shared: no
// evidence). Values already present are not repeated.
func (e *DupEvidence) AddIdentity(id Identity) {
	switch id.Channel {
	case Email:
		if !slices.Contains(e.Emails, id.Value) {
			e.Emails = append(e.Emails, id.Value)
		}
	case SMS, WhatsApp:
		if !slices.Contains(e.Phones, id.Value) {
			e.Phones = append(e.Phones, id.Value)
		}
	case WebChat:
	default:
		if s := id.String(); !slices.Contains(e.OtherIDs, s) {
			e.OtherIDs = append(e.OtherIDs, s)
		}
	}
}
