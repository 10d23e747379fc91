package app

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"cxinbox/model"
	"cxinbox/storage"
)

// DuplicatePair is an open potential-duplicate pair: two contacts that are
// likely one person, the score and the evidence. A < B.
type DuplicatePair struct {
	A       int64     `json:"a"`
	B       int64     `json:"b"`
	Score   float64   `json:"score"`
	Reasons []string  `json:"reasons"`
	Since   time.Time `json:"since"`
}

func pairOf(p storage.DupPair) DuplicatePair {
	return DuplicatePair{A: p.A, B: p.B, Score: roundScore(p.Score), Reasons: p.Reasons, Since: p.CreatedAt}
}

func roundScore(s float64) float64 { return float64(int(s*1000+0.5)) / 1000 }

// Other returns the contact of the pair that is not id.
func (p DuplicatePair) Other(id int64) int64 {
	if p.A == id {
		return p.B
	}
	return p.A
}

// maxBlock is the most contacts a blocking key may hold and still make
// candidates: a key shared by more (a very common name) says too little to be
// worth comparing against, and comparing would cost time on every arrival.
const maxBlock = 200

// checkDuplicates re-checks contacts after they were created or changed, in
// the writing transaction: their blocking keys are replaced, candidates that
// share a key are scored, and pairs at or above model.DupThreshold are stored
// (pairs that no longer score are dropped; dismissed pairs never return). It
// returns the pairs that are new.
func checkDuplicates(tx *storage.Tx, ids []int64, now time.Time) ([]storage.DupPair, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ev, err := tx.Evidence(ids)
	if err != nil {
		return nil, err
	}
	keys := make(map[int64][]int64, len(ids))
	var all []int64
	for _, id := range ids {
		e, ok := ev[id]
		if !ok {
			keys[id] = nil // merged away or gone: out of the index
			continue
		}
		keys[id] = storage.DupKeyHashes(e)
		all = append(all, keys[id]...)
	}
	if err := tx.ReplaceDupKeys(keys); err != nil {
		return nil, err
	}
	byKey, err := tx.DupCandidates(all)
	if err != nil {
		return nil, err
	}
	cands := map[int64][]int64{}
	var need []int64
	for _, id := range ids {
		seen := map[int64]bool{id: true}
		for _, k := range keys[id] {
			if len(byKey[k]) > maxBlock {
				continue
			}
			for _, o := range byKey[k] {
				if !seen[o] {
					seen[o] = true
					cands[id] = append(cands[id], o)
					if _, ok := ev[o]; !ok {
						need = append(need, o)
					}
				}
			}
		}
	}
	if len(need) > 0 {
		more, err := tx.Evidence(need)
		if err != nil {
			return nil, err
		}
		for id, e := range more {
			ev[id] = e
		}
	}
	var pairs []storage.DupPair
	for _, id := range ids {
		for _, o := range cands[id] {
			b, ok := ev[o]
			if !ok {
				continue
			}
			if score, reasons := model.ScorePair(ev[id], b); model.IsPotentialDuplicate(score) {
				pairs = append(pairs, storage.DupPair{A: min(id, o), B: max(id, o), Score: score, Reasons: reasons})
			}
		}
	}
	return tx.SetDupPairs(ids, pairs, now)
}

// dupActivities are the timeline rows for newly found pairs: one on each side.
func dupActivities(added []storage.DupPair, agent string, at time.Time) []model.Activity {
	var acts []model.Activity
	for _, p := range added {
		why := strings.Join(p.Reasons, ", ")
		for _, side := range [][2]int64{{p.A, p.B}, {p.B, p.A}} {
			acts = append(acts, model.Activity{ContactID: side[0], Kind: model.ActPotentialDup, Agent: agent, At: at,
				Detail: fmt.Sprintf("potential duplicate of contact %d (%s)", side[1], why)})
		}
	}
	return acts
}

// recheck re-checks one contact after an agent's edit and records new pairs
// on the timeline.
func recheck(tx *storage.Tx, agent string, ids ...int64) error {
	now := time.Now()
	added, err := checkDuplicates(tx, ids, now)
	if err != nil {
		return err
	}
	for _, a := range dupActivities(added, agent, now) {
		if err := tx.Activity(a); err != nil {
			return err
		}
	}
	return nil
}

// DupPage asks for one keyset page of open pairs, best first.
type DupPage struct {
	After *DuplicatePair // the last pair of the previous page; nil for the first
	Limit int
}

// Duplicates returns one page of open potential-duplicate pairs, best first.
func (a *App) Duplicates(ctx context.Context, p DupPage) ([]DuplicatePair, error) {
	var after *storage.DupPair
	if p.After != nil {
		// The page key is the stored score, not the rounded one shown.
		sp, _, err := a.store.Pair(ctx, p.After.A, p.After.B)
		if err != nil {
			sp = storage.DupPair{A: p.After.A, B: p.After.B, Score: p.After.Score}
		}
		after = &sp
	}
	rows, err := a.store.OpenPairs(ctx, after, p.Limit)
	out := make([]DuplicatePair, len(rows))
	for i, r := range rows {
		out[i] = pairOf(r)
	}
	return out, err
}

// DuplicatesOf returns a contact's open pairs, best first.
func (a *App) DuplicatesOf(ctx context.Context, id int64) ([]DuplicatePair, error) {
	if _, err := a.Contact(ctx, id); err != nil {
		return nil, err
	}
	rows, err := a.store.PairsOf(ctx, id)
	out := make([]DuplicatePair, len(rows))
	for i, r := range rows {
		out[i] = pairOf(r)
	}
	return out, err
}

// CountDuplicates counts open pairs.
func (a *App) CountDuplicates(ctx context.Context) (int64, error) { return a.store.CountOpenPairs(ctx) }

// Comparison is two contacts side by side with what detection thinks of them.
type Comparison struct {
	A, B      ContactDetails
	Score     float64
	Reasons   []string
	Dismissed bool // an agent said "not a duplicate"
}

// Compare returns both contacts in full and their pair's score and reasons
// (scored afresh when the pair is not stored).
func (a *App) Compare(ctx context.Context, x, y int64) (Comparison, error) {
	var c Comparison
	if x == y {
		return c, fmt.Errorf("contact %d compared with itself", x)
	}
	var err error
	if c.A, err = a.ContactDetails(ctx, x); err != nil {
		return c, err
	}
	if c.B, err = a.ContactDetails(ctx, y); err != nil {
		return c, err
	}
	p, dismissed, err := a.store.Pair(ctx, x, y)
	switch {
	case err == nil && !dismissed:
		c.Score, c.Reasons = roundScore(p.Score), p.Reasons
		return c, nil
	case err != nil && !IsNotFound(err):
		return c, err
	}
	c.Dismissed = dismissed
	score, reasons := model.ScorePair(evidenceOf(c.A), evidenceOf(c.B))
	c.Score, c.Reasons = roundScore(score), reasons
	return c, nil
}

// evidenceOf is the detection evidence of a loaded contact, as storage builds it.
func evidenceOf(d ContactDetails) model.DupEvidence {
	e := model.DupEvidence{ID: d.ID, Name: d.Name, NameGenerated: d.NameGenerated, Country: d.Country, Timezone: d.Timezone}
	if d.Email != "" {
		e.Emails = append(e.Emails, d.Email)
	}
	if d.Phone != "" {
		e.Phones = append(e.Phones, d.Phone)
	}
	for _, id := range d.Identities {
		switch id.Channel {
		case model.Email:
			if !slices.Contains(e.Emails, id.Value) {
				e.Emails = append(e.Emails, id.Value)
			}
		case model.SMS, model.WhatsApp:
			if !slices.Contains(e.Phones, id.Value) {
				e.Phones = append(e.Phones, id.Value)
			}
		case model.WebChat:
		default:
			e.OtherIDs = append(e.OtherIDs, id.String())
		}
	}
	return e
}

// NotDuplicate records that two contacts are different people: the pair is
// closed for good and never proposed again, whatever changes later.
func (a *App) NotDuplicate(ctx context.Context, agent string, x, y int64) error {
	if x == y {
		return fmt.Errorf("contact %d and %d are the same contact", x, y)
	}
	return a.write(ctx, Change{ContactIDs: []int64{x, y}}, func(tx *storage.Tx) error {
		for _, id := range []int64{x, y} {
			ok, err := tx.ContactExists(id)
			if err != nil {
				return err
			}
			if !ok {
				return notFound("contact", id)
			}
		}
		if _, err := tx.DismissPair(x, y, time.Now()); err != nil {
			return err
		}
		for _, side := range [][2]int64{{x, y}, {y, x}} {
			if err := tx.Activity(model.Activity{ContactID: side[0], Kind: model.ActNotDuplicate, Agent: agent,
				Detail: fmt.Sprintf("not a duplicate of contact %d", side[1])}); err != nil {
				return err
			}
		}
		return nil
	})
}

// RescanResult is what a full rescan found.
type RescanResult struct {
	Contacts int           `json:"contacts"`
	Keys     int           `json:"keys"`
	Compared int           `json:"pairs_compared"`
	Pairs    int           `json:"pairs"`
	Took     time.Duration `json:"-"`
	TookMS   int64         `json:"took_ms"`
}

// RescanDuplicates rebuilds the blocking index and every open pair from all
// contacts: read from one snapshot, scored in parallel, written in one
// transaction. Dismissed pairs stay dismissed.
func (a *App) RescanDuplicates(ctx context.Context) (RescanResult, error) {
	start := time.Now()
	var res RescanResult
	var evs []model.DupEvidence
	maxID, err := a.store.AllEvidence(ctx, func(e model.DupEvidence) error {
		evs = append(evs, e)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("rescan: %w", err)
	}
	keys := make(map[int64][]int64, len(evs))
	blocks := map[int64][]int32{}
	for i, e := range evs {
		ks := storage.DupKeyHashes(e)
		keys[e.ID] = ks
		res.Keys += len(ks)
		for _, k := range ks {
			blocks[k] = append(blocks[k], int32(i))
		}
	}
	// Candidate pairs, each once: a pair sharing several keys is compared
	// under the first.
	var work [][2]int32
	seen := map[[2]int32]struct{}{}
	for _, b := range blocks {
		if len(b) < 2 || len(b) > maxBlock {
			continue
		}
		for i := range b {
			for j := i + 1; j < len(b); j++ {
				p := [2]int32{min(b[i], b[j]), max(b[i], b[j])}
				if _, ok := seen[p]; !ok {
					seen[p] = struct{}{}
					work = append(work, p)
				}
			}
		}
	}
	res.Contacts, res.Compared = len(evs), len(work)
	pairs := scoreAll(evs, work)
	res.Pairs = len(pairs)
	err = a.write(ctx, Change{}, func(tx *storage.Tx) error {
		return tx.RebuildDupIndex(maxID, keys, pairs, time.Now())
	})
	res.Took = time.Since(start)
	res.TookMS = res.Took.Milliseconds()
	return res, err
}

// scoreAll scores the candidate pairs on every core and returns those that
// cross the threshold, ordered by contact ids.
func scoreAll(evs []model.DupEvidence, work [][2]int32) []storage.DupPair {
	n := runtime.GOMAXPROCS(0)
	out := make([][]storage.DupPair, n)
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(work); i += n {
				x, y := evs[work[i][0]], evs[work[i][1]]
				if score, reasons := model.ScorePair(x, y); model.IsPotentialDuplicate(score) {
					out[w] = append(out[w], storage.DupPair{A: min(x.ID, y.ID), B: max(x.ID, y.ID), Score: score, Reasons: reasons})
				}
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(out...)
	slices.SortFunc(all, func(p, q storage.DupPair) int {
		if p.A != q.A {
			return int(p.A - q.A)
		}
		return int(p.B - q.B)
	})
	return all
}
