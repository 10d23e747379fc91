package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/hbollon/go-edlib"

	"cxinbox/app/feed"
	"cxinbox/model"
	"cxinbox/storage"
)

// DupQuality is duplicate detection measured against a feed's ground truth:
// the open potential-duplicate pairs compared with the pairs of contacts that
// are really one person.
//
// A true pair is two live contacts of one person. Not every true pair can be
// found by anyone: a person who writes once on Facebook and once by email is
// two contacts with nothing in common but, at best, a name, and two "Anna
// Silva"s are not one person. So recall is counted against the identifiable
// pairs: true pairs whose two contacts hold an email or a phone of that
// person each such that the two are equal or one is a variant of the other
// (case, dots or +tag, a typo, another format, one digit off, a Brazilian
// mobile without its ninth digit), or a channel id they share. RecallAll
// counts against every true pair, for the record.
//
// The variants counted as identifying are the ones a person makes: an
// address at the same domain whose local part, without dots, underscores,
// hyphens and +tag, is at most two typos (insert, drop, change, swap) from
// the other's; a number one digit off. A person's mobile and landline, or
// two unrelated addresses, are not.
type DupQuality struct {
	Contacts   int `json:"contacts"`     // live contacts
	Persons    int `json:"persons"`      // people with at least one contact
	Unknown    int `json:"unknown"`      // contacts the truth does not know (none in a feed-only database)
	Predicted  int `json:"predicted"`    // open pairs
	Correct    int `json:"correct"`      // open pairs that are one person
	TruePairs  int `json:"true_pairs"`   // pairs of contacts of one person
	Identified int `json:"identifiable"` // of those, pairs with identifying evidence in common
	Found      int `json:"found"`        // identifiable pairs that are open

	Precision float64 `json:"precision"` // Correct / Predicted
	Recall    float64 `json:"recall"`    // Found / Identified
	F1        float64 `json:"f1"`
	RecallAll float64 `json:"recall_all"` // Correct / TruePairs
	F1All     float64 `json:"f1_all"`

	// By the strongest link between the two contacts ("email typo",
	// "same phone", ...) and, for misses, why ("not blocked", "scored 0.74").
	TrueByLink  map[string]int `json:"true_by_link"`
	FoundByLink map[string]int `json:"found_by_link"`
	Misses      map[string]int `json:"misses"`
	// False alarms by their reasons, figures dropped ("name similar").
	FalseAlarms map[string]int `json:"false_alarms"`
	// Unidentifiable true pairs, by what they have in common.
	Unidentifiable map[string]int `json:"unidentifiable"`
	// A few of each miss and false alarm, for reading.
	Examples []string `json:"examples,omitempty"`
}

// String is a short report: the figures, then the breakdowns.
func (q DupQuality) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "contacts %d, persons %d, open pairs %d (%d correct), true pairs %d (%d identifiable, %d found)\n",
		q.Contacts, q.Persons, q.Predicted, q.Correct, q.TruePairs, q.Identified, q.Found)
	fmt.Fprintf(&b, "precision %.4f  recall %.4f  F1 %.4f  (over all true pairs: recall %.4f, F1 %.4f)\n",
		q.Precision, q.Recall, q.F1, q.RecallAll, q.F1All)
	section := func(title string, m map[string]int) {
		if len(m) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s:\n", title)
		keys := slices.Collect(maps.Keys(m))
		slices.SortFunc(keys, func(x, y string) int {
			if m[x] != m[y] {
				return m[y] - m[x]
			}
			return strings.Compare(x, y)
		})
		for _, k := range keys {
			fmt.Fprintf(&b, "  %6d  %s\n", m[k], k)
		}
	}
	links := map[string]int{}
	for k, n := range q.TrueByLink {
		links[fmt.Sprintf("%-28s found %d", k, q.FoundByLink[k])] = n
	}
	section("identifiable pairs by link", links)
	section("misses", q.Misses)
	section("false alarms", q.FalseAlarms)
	section("unidentifiable true pairs", q.Unidentifiable)
	return b.String()
}

// EvaluateDuplicates measures the open pairs of a database filled from a
// feed against that feed's truth. maxExamples bounds the examples kept per
// kind of miss or false alarm.
func (a *App) EvaluateDuplicates(ctx context.Context, truth *feed.Truth, maxExamples int) (DupQuality, error) {
	q := DupQuality{TrueByLink: map[string]int{}, FoundByLink: map[string]int{}, Misses: map[string]int{},
		FalseAlarms: map[string]int{}, Unidentifiable: map[string]int{}}
	idents, err := a.store.LiveIdentities(ctx)
	if err != nil {
		return q, err
	}
	evs := map[int64]model.DupEvidence{}
	if _, err := a.store.AllEvidence(ctx, func(e model.DupEvidence) error {
		evs[e.ID] = e
		return nil
	}); err != nil {
		return q, err
	}
	q.Contacts = len(evs)

	// Each contact's person: the one its identities belong to.
	person := map[int64]int{}
	byPerson := map[int][]int64{}
	for id := range evs {
		p, ok := 0, false
		for _, i := range idents[id] {
			if pi, known := truth.PersonOf(feed.TruthIdentity{Channel: i.Channel, Value: i.Value}); known {
				p, ok = pi, true
				break
			}
		}
		if !ok {
			q.Unknown++
			continue
		}
		person[id] = p
		byPerson[p] = append(byPerson[p], id)
	}
	q.Persons = len(byPerson)

	// The open pairs.
	open := map[[2]int64]storage.DupPair{}
	var after *storage.DupPair
	for {
		page, err := a.store.OpenPairs(ctx, after, 5000)
		if err != nil {
			return q, err
		}
		for _, p := range page {
			open[[2]int64{p.A, p.B}] = p
		}
		if len(page) < 5000 {
			break
		}
		after = &page[len(page)-1]
	}
	q.Predicted = len(open)

	profiles := map[int64]*model.DupProfile{}
	profile := func(id int64) *model.DupProfile {
		p := profiles[id]
		if p == nil {
			p = dupProfile(evs[id])
			profiles[id] = p
		}
		return p
	}
	examples := map[string]int{}
	example := func(kind string, a, b int64, extra string) {
		if examples[kind] >= maxExamples {
			return
		}
		examples[kind]++
		q.Examples = append(q.Examples, fmt.Sprintf("%s: %d %s | %d %s | %s", kind, a, describe(evs[a], idents[a]), b, describe(evs[b], idents[b]), extra))
	}

	for k, p := range open {
		pa, oka := person[k[0]]
		pb, okb := person[k[1]]
		switch {
		case !oka || !okb:
		case pa == pb:
			q.Correct++
		default:
			why := reasonKind(p.Reasons)
			q.FalseAlarms[why]++
			example("false alarm ("+why+")", k[0], k[1], fmt.Sprintf("%.3f %q", p.Score, p.Reasons))
		}
	}

	blockedBy := func(a, b int64) bool {
		ka, kb := profile(a).Keys(), profile(b).Keys()
		for _, k := range ka {
			if slices.Contains(kb, k) {
				return true
			}
		}
		return false
	}
	for _, ids := range byPerson {
		slices.Sort(ids)
		for i := range ids {
			for j := i + 1; j < len(ids); j++ {
				x, y := ids[i], ids[j]
				q.TruePairs++
				link := dupLink(evs[x], evs[y])
				if link == "" {
					q.Unidentifiable[unidentifiable(profile(x), profile(y))]++
					continue
				}
				q.Identified++
				q.TrueByLink[link]++
				if _, ok := open[[2]int64{x, y}]; ok {
					q.Found++
					q.FoundByLink[link]++
					continue
				}
				why := "not blocked"
				if blockedBy(x, y) {
					score, reasons := model.ScoreProfiles(profile(x), profile(y))
					why = fmt.Sprintf("scored %.1f: %s", score, reasonKind(reasons))
					if score >= model.DupThreshold {
						why = "block over its limit"
					}
				}
				kind := link + " / " + why
				q.Misses[kind]++
				example("miss ("+kind+")", x, y, "")
			}
		}
	}
	q.Precision = ratio(q.Correct, q.Predicted)
	q.Recall = ratio(q.Found, q.Identified)
	q.F1 = f1(q.Precision, q.Recall)
	q.RecallAll = ratio(q.Correct, q.TruePairs)
	q.F1All = f1(q.Precision, q.RecallAll)
	slices.Sort(q.Examples)
	return q, nil
}

// dupLink names the strongest identifying evidence two contacts of one
// person have in common, "" when none.
func dupLink(a, b model.DupEvidence) string {
	if shared(a.Emails, b.Emails) {
		return "same email"
	}
	if shared(a.Phones, b.Phones) {
		return "same phone"
	}
	if shared(a.OtherIDs, b.OtherIDs) {
		return "same channel id"
	}
	strip := strings.NewReplacer(".", "", "_", "", "-", "")
	typo := ""
	for _, x := range a.Emails {
		for _, y := range b.Emails {
			lx, dx, _ := strings.Cut(x, "@")
			ly, dy, _ := strings.Cut(y, "@")
			lx, _, _ = strings.Cut(lx, "+")
			ly, _, _ = strings.Cut(ly, "+")
			if dx != dy {
				continue
			}
			lx, ly = strip.Replace(lx), strip.Replace(ly)
			if lx == ly {
				return "email dots or +tag"
			}
			if edlib.OSADamerauLevenshteinDistance(lx, ly) <= 2 {
				typo = "email typo"
			}
		}
	}
	if typo != "" {
		return typo
	}
	for _, x := range a.Phones {
		for _, y := range b.Phones {
			if len(x) == len(y) {
				if d, _ := edlib.HammingDistance(x, y); d == 1 {
					return "phone one digit off"
				}
			}
		}
	}
	return ""
}

// unidentifiable says what an unidentifiable true pair has in common.
func unidentifiable(a, b *model.DupProfile) string {
	kind := func(p *model.DupProfile) string {
		switch {
		case len(p.Emails) > 0:
			return "email"
		case len(p.Phones) > 0:
			return "phone"
		case len(p.OtherIDs) > 0:
			return strings.SplitN(p.OtherIDs[0], ":", 2)[0]
		}
		return "cookie only"
	}
	ka, kb := kind(a), kind(b)
	if ka > kb {
		ka, kb = kb, ka
	}
	score, reasons := model.ScoreProfiles(a, b)
	what := "nothing in common"
	if len(reasons) > 0 {
		what = reasonKind(reasons)
	}
	if score >= model.DupThreshold {
		what += " (open)"
	}
	return ka + " + " + kb + ": " + what
}

func shared(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// reasonKind is the reasons without their figures: "name similar, same country".
func reasonKind(reasons []string) string {
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = strings.Join(strings.FieldsFunc(r, func(c rune) bool { return c == '.' || (c >= '0' && c <= '9') }), "")
		out[i] = strings.Join(strings.Fields(out[i]), " ")
	}
	return strings.Join(out, ", ")
}

func describe(e model.DupEvidence, ids []model.Identity) string {
	var parts []string
	name := e.Name
	if e.NameGenerated {
		name += "(gen)"
	}
	parts = append(parts, fmt.Sprintf("%q", name))
	for _, i := range ids {
		parts = append(parts, i.String())
	}
	parts = append(parts, "emails="+strings.Join(e.Emails, ","), "phones="+strings.Join(e.Phones, ","), e.Country)
	return strings.Join(parts, " ")
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// IngestFeed ingests events from a feed with the given seed through the
// normal ingest path and returns the feed's truth: the way to build a
// database to evaluate duplicate detection on.
func (a *App) IngestFeed(ctx context.Context, seed int64, events int) (*feed.Truth, StreamResult, error) {
	f := feed.New(seed)
	pr, pw := io.Pipe()
	go func() {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for i := 0; i < events; i++ {
			if err := enc.Encode(f.Next()); err != nil {
				pw.CloseWithError(err)
				return
			}
			if buf.Len() > 1<<20 {
				if _, err := pw.Write(buf.Bytes()); err != nil {
					return
				}
				buf.Reset()
			}
		}
		pw.Write(buf.Bytes())
		pw.Close()
	}()
	var firstErr error
	res, err := a.IngestStream(ctx, pr, func(line int, err error) {
		if firstErr == nil {
			firstErr = fmt.Errorf("feed event %d: %w", line, err)
		}
	})
	if err == nil {
		err = firstErr
	}
	return f.Truth(), res, err
}
