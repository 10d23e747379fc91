package app

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// dupDetection switches the check on ingest and edits; benchmarks turn it
// off to measure ingest without it.
var dupDetection = true

// dupCheckNanos is the time spent in checkDuplicates since the process
// started: benchmarks report it as a share of ingest's time.
var dupCheckNanos atomic.Int64

// dupProfile prepares a contact's evidence for scoring. A name the system
// made up from an identity ("Facebook user …1234", an email's local part, a
// phone number) is no name evidence, like a visitor's generated name.
func dupProfile(e model.DupEvidence) *model.DupProfile {
	if !e.NameGenerated && e.Name != "" && isFallbackName(e) {
		e.NameGenerated = true
	}
	return model.NewDupProfile(e)
}

func isFallbackName(e model.DupEvidence) bool {
	for _, m := range e.Emails {
		if fallbackName(model.Identity{Channel: model.Email, Value: m}) == e.Name {
			return true
		}
	}
	for _, p := range e.Phones {
		if p == e.Name {
			return true
		}
	}
	for _, id := range e.OtherIDs {
		ch, v, _ := strings.Cut(id, ":")
		if fallbackName(model.Identity{Channel: model.Channel(ch), Value: v}) == e.Name {
			return true
		}
	}
	return false
}

// dupKeys returns a profile's blocking keys hashed, sorted, with each
// hash's block limit.
func dupKeys(p *model.DupProfile) (hashes []int64, limits map[int64]int) {
	keys := p.Keys()
	hashes = make([]int64, len(keys))
	limits = make(map[int64]int, len(keys))
	for i, k := range keys {
		h := storage.DupKeyHash(k)
		hashes[i], limits[h] = h, model.BlockLimit(k)
	}
	slices.Sort(hashes)
	return slices.Compact(hashes), limits
}

// checkDuplicates re-checks contacts after they were created or changed, in
// the writing transaction: their blocking keys are replaced, candidates that
// share a key are scored, and pairs at or above model.DupThreshold are stored
// (pairs that no longer score are dropped; dismissed pairs never return). It
// returns the pairs that are new. It costs six statements and the inserts of
// the keys and pairs, however many contacts are checked.
func checkDuplicates(tx *storage.Tx, ids []int64, now time.Time) ([]storage.DupPair, error) {
	if len(ids) == 0 || !dupDetection {
		return nil, nil
	}
	start := time.Now()
	defer func() { dupCheckNanos.Add(int64(time.Since(start))) }()
	ev, err := tx.Evidence(ids)
	if err != nil {
		return nil, err
	}
	return checkEvidence(tx, ids, ev, false, now)
}

// checkEvidence is checkDuplicates with the contacts' evidence in hand (ev
// lacks the ids merged away or gone); created says the contacts were made in
// this transaction, so they have no keys to drop first.
func checkEvidence(tx *storage.Tx, ids []int64, ev map[int64]model.DupEvidence, created bool, now time.Time) ([]storage.DupPair, error) {
	hadKeys := false
	if !created {
		var err error
		if hadKeys, err = tx.DeleteDupKeys(ids); err != nil {
			return nil, err
		}
	}
	f, err := findDuplicates(txDupReader{tx}, ids, ev)
	if err != nil {
		return nil, err
	}
	f.hadKeys = hadKeys
	return f.record(tx, now)
}

// dupReader is what finding duplicates reads: the writer's transaction, or
// the planner's snapshot with the committing group's new contacts laid over
// it (writer.go). Neither holds the checked contacts' own keys yet.
type dupReader interface {
	// DupKeysInUse returns which keys some contact holds.
	DupKeysInUse(keys []int64) (map[int64]bool, error)
	// DupCandidates is storage.Tx.DupCandidates, a block's size counting
	// own[k] more holders: the checked contacts, filed after the check.
	DupCandidates(keys []int64, limits []int, exclude []int64, own map[int64]int) (byKey map[int64][]int64, over map[int64]bool, ev map[int64]model.DupEvidence, err error)
}

// dupFinding is what checking contacts found, recorded in the transaction
// by record.
type dupFinding struct {
	ids     []int64
	keys    map[int64][]int64 // each checked contact's keys (nil: out of the index)
	ev      map[int64]model.DupEvidence
	pairs   []storage.DupPair
	hadKeys bool // the contacts were in the index before the check
}

// record files the contacts under their keys and stores the pairs; it
// returns the pairs that are new.
func (f *dupFinding) record(tx *storage.Tx, now time.Time) ([]storage.DupPair, error) {
	if err := tx.InsertDupKeys(f.keys); err != nil {
		return nil, err
	}
	return tx.SetDupPairs(f.ids, f.pairs, now, !f.hadKeys)
}

// findDuplicates finds the likely duplicates of the contacts ids (with their
// evidence ev), reading through r; nothing is written.
func findDuplicates(r dupReader, ids []int64, ev map[int64]model.DupEvidence) (dupFinding, error) {
	f := dupFinding{ids: ids, keys: make(map[int64][]int64, len(ids)), ev: ev}
	profiles := make(map[int64]*model.DupProfile, len(ids))
	keys := f.keys
	limit := map[int64]int{}
	own := map[int64]int{}
	var all []int64
	for _, id := range ids {
		e, ok := ev[id]
		if !ok {
			keys[id] = nil // merged away or gone: out of the index
			continue
		}
		p := dupProfile(e)
		profiles[id] = p
		hs, lim := dupKeys(p)
		keys[id] = hs
		for _, h := range hs {
			own[h]++
			if _, ok := limit[h]; !ok {
				limit[h] = lim[h]
				all = append(all, h)
			}
		}
	}
	// Which keys others hold is asked first, so that a key nobody else
	// has — most of them — costs one index probe and nothing more.
	inUse, err := r.DupKeysInUse(all)
	if err != nil {
		return f, err
	}
	checked := make([]int64, 0, len(profiles))
	for id := range profiles {
		checked = append(checked, id)
	}
	var used []int64
	var usedLimits []int
	for _, h := range all {
		if inUse[h] {
			used = append(used, h)
			usedLimits = append(usedLimits, limit[h])
		}
	}
	byKey, over, candEv, err := r.DupCandidates(used, usedLimits, checked, own)
	if err != nil {
		return f, err
	}
	// Checked contacts are candidates of each other through the keys in
	// memory. A key in use was checked against its limit with them counted;
	// a new key's block is only theirs.
	group := map[int64][]int64{}
	if len(checked) > 1 {
		for _, id := range ids {
			if profiles[id] != nil {
				for _, k := range keys[id] {
					group[k] = append(group[k], id)
				}
			}
		}
		for k, g := range group {
			if !inUse[k] && len(g) > limit[k] {
				over[k] = true
			}
		}
	}
	cands := make(map[int64][]int64, len(ids))
	for _, id := range ids {
		if profiles[id] == nil {
			continue
		}
		var seen []int64
		for _, k := range keys[id] {
			for _, o := range byKey[k] {
				if !slices.Contains(seen, o) {
					seen = append(seen, o)
				}
			}
			if g := group[k]; len(g) > 1 && !over[k] {
				for _, o := range g {
					// A pair of two checked contacts is scored once, from
					// the lower id's side.
					if o > id && !slices.Contains(seen, o) {
						seen = append(seen, o)
					}
				}
			}
		}
		cands[id] = seen
	}
	for id, e := range candEv {
		profiles[id] = dupProfile(e)
	}
	for _, id := range ids {
		a := profiles[id]
		for _, o := range cands[id] {
			b := profiles[o]
			if b == nil {
				continue // merged away
			}
			if score, reasons, dup := model.MatchProfiles(a, b); dup {
				f.pairs = append(f.pairs, storage.DupPair{A: min(id, o), B: max(id, o), Score: score, Reasons: reasons})
			}
		}
	}
	return f, nil
}

// txDupReader reads the blocking index in a transaction (or snapshot).
type txDupReader struct{ tx *storage.Tx }

func (r txDupReader) DupKeysInUse(keys []int64) (map[int64]bool, error) {
	return r.tx.DupKeysInUse(keys)
}

func (r txDupReader) DupCandidates(keys []int64, limits []int, exclude []int64, own map[int64]int) (map[int64][]int64, map[int64]bool, map[int64]model.DupEvidence, error) {
	return candidatesWithin(r.tx, keys, limits, exclude, func(k int64) int { return own[k] })
}

// candidatesWithin asks tx for the blocks of keys, each limit lowered by
// the holders tx does not know of (extra): a block already over its limit
// with them is not read at all.
func candidatesWithin(tx *storage.Tx, keys []int64, limits []int, exclude []int64, extra func(int64) int) (map[int64][]int64, map[int64]bool, map[int64]model.DupEvidence, error) {
	ask := make([]int64, 0, len(keys))
	lims := make([]int, 0, len(keys))
	var early []int64
	for i, k := range keys {
		l := limits[i] - extra(k)
		if l < 0 {
			early = append(early, k)
			continue
		}
		ask = append(ask, k)
		lims = append(lims, l)
	}
	byKey, over, ev, err := tx.DupCandidates(ask, lims, exclude)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, k := range early {
		over[k] = true
	}
	return byKey, over, ev, nil
}

// pendingDupReader is the planner's: a snapshot that may lack the new
// contacts of the group still committing, laid over with them (their keys
// and evidence, from that group's finding).
type pendingDupReader struct {
	snap    *storage.Tx
	holders map[int64][]int64 // key → the pending contacts filed under it
	ev      map[int64]model.DupEvidence
}

func newPendingDupReader(snap *storage.Tx, pending *dupFinding) pendingDupReader {
	r := pendingDupReader{snap: snap, holders: map[int64][]int64{}}
	if pending != nil {
		r.ev = pending.ev
		for id, ks := range pending.keys {
			for _, k := range ks {
				r.holders[k] = append(r.holders[k], id)
			}
		}
	}
	return r
}

func (r pendingDupReader) DupKeysInUse(keys []int64) (map[int64]bool, error) {
	in, err := r.snap.DupKeysInUse(keys)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if len(r.holders[k]) > 0 {
			in[k] = true
		}
	}
	return in, nil
}

func (r pendingDupReader) DupCandidates(keys []int64, limits []int, exclude []int64, own map[int64]int) (map[int64][]int64, map[int64]bool, map[int64]model.DupEvidence, error) {
	byKey, over, ev, err := candidatesWithin(r.snap, keys, limits, exclude, func(k int64) int { return own[k] + len(r.holders[k]) })
	if err != nil {
		return nil, nil, nil, err
	}
	for _, k := range keys {
		if over[k] {
			continue
		}
		for _, id := range r.holders[k] { // another group's: never among exclude
			byKey[k] = append(byKey[k], id)
			ev[id] = r.ev[id]
		}
	}
	return byKey, over, ev, nil
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

// DuplicatesOf returns a contact's open pairs, best first (a merged-away id
// answers for the contact it was merged into).
func (a *App) DuplicatesOf(ctx context.Context, id int64) ([]DuplicatePair, error) {
	c, err := a.Contact(ctx, id)
	if err != nil {
		return nil, err
	}
	rows, err := a.store.PairsOf(ctx, c.ID)
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

// Compare returns both contacts (fields, identities, tags, properties,
// notes, tickets; not the timeline, which the comparison does not show) and
// their pair's score and reasons (scored afresh when the pair is not stored).
func (a *App) Compare(ctx context.Context, x, y int64) (Comparison, error) {
	var c Comparison
	if x == y {
		return c, fmt.Errorf("contact %d compared with itself", x)
	}
	var err error
	if c.A, err = a.contactWithTickets(ctx, x); err != nil {
		return c, err
	}
	if c.B, err = a.contactWithTickets(ctx, y); err != nil {
		return c, err
	}
	p, dismissed, err := a.store.Pair(ctx, c.A.ID, c.B.ID) // merged-away ids resolved
	switch {
	case err == nil && !dismissed:
		c.Score, c.Reasons = roundScore(p.Score), p.Reasons
		return c, nil
	case err != nil && !IsNotFound(err):
		return c, err
	}
	c.Dismissed = dismissed
	score, reasons := model.ScoreProfiles(dupProfile(evidenceOf(c.A)), dupProfile(evidenceOf(c.B)))
	c.Score, c.Reasons = roundScore(score), reasons
	return c, nil
}

// evidenceOf is the detection evidence of a loaded contact, as storage builds it.
func evidenceOf(d ContactDetails) model.DupEvidence {
	e := model.NewDupEvidence(d.ID, d.Name, d.NameGenerated, d.Email, d.Phone, d.Country, d.Timezone)
	for _, id := range d.Identities {
		e.AddIdentity(id)
	}
	return *e
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
		if err := tx.DismissPair(x, y, time.Now()); err != nil {
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
// transaction. Dismissed pairs stay dismissed. It finds exactly the pairs the
// incremental check would find for the same contacts.
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
	idx := buildDupIndex(evs)
	res.Contacts, res.Keys = len(evs), idx.nkeys
	pairs, compared := idx.score()
	res.Compared, res.Pairs = compared, len(pairs)
	keys := make(map[int64][]int64, len(evs))
	for i, p := range idx.profiles {
		keys[p.ID] = idx.keys[i]
	}
	err = a.write(ctx, Change{}, func(tx *storage.Tx) error {
		return tx.RebuildDupIndex(maxID, keys, pairs, time.Now())
	})
	res.Took = time.Since(start)
	res.TookMS = res.Took.Milliseconds()
	return res, err
}

// dupIndex is the blocking index of a whole set of contacts, in memory.
type dupIndex struct {
	profiles []*model.DupProfile
	keys     [][]int64         // per profile, sorted
	blocks   map[int64][]int32 // key → profiles, in order
	limit    map[int64]int     // key → its block limit
	nkeys    int
}

// buildDupIndex prepares every contact and files it under its keys, on
// every core.
func buildDupIndex(evs []model.DupEvidence) *dupIndex {
	idx := &dupIndex{profiles: make([]*model.DupProfile, len(evs)), keys: make([][]int64, len(evs))}
	limits := make([]map[int64]int, len(evs))
	parallel(len(evs), func(i int) {
		idx.profiles[i] = dupProfile(evs[i])
		idx.keys[i], limits[i] = dupKeys(idx.profiles[i])
	})
	idx.blocks, idx.limit = map[int64][]int32{}, map[int64]int{}
	for i, ks := range idx.keys {
		idx.nkeys += len(ks)
		for _, k := range ks {
			idx.blocks[k] = append(idx.blocks[k], int32(i))
			idx.limit[k] = limits[i][k]
		}
	}
	return idx
}

// usable reports whether block k makes candidates.
func (idx *dupIndex) usable(k int64) bool {
	n := len(idx.blocks[k])
	return n >= 2 && n <= idx.limit[k]
}

// score compares every pair that shares a usable block, once (under the
// smallest key the two share), on every core, and returns the pairs that
// cross the threshold ordered by contact ids, and how many were compared.
func (idx *dupIndex) score() ([]storage.DupPair, int) {
	var blocks []int64
	for k := range idx.blocks {
		if idx.usable(k) {
			blocks = append(blocks, k)
		}
	}
	slices.Sort(blocks)
	n := runtime.GOMAXPROCS(0)
	out := make([][]storage.DupPair, n)
	compared := make([]int, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				bi := int(next.Add(1) - 1)
				if bi >= len(blocks) {
					return
				}
				k := blocks[bi]
				b := idx.blocks[k]
				for i := range b {
					for j := i + 1; j < len(b); j++ {
						x, y := b[i], b[j]
						if idx.firstShared(x, y) != k {
							continue
						}
						compared[w]++
						px, py := idx.profiles[x], idx.profiles[y]
						if score, reasons, dup := model.MatchProfiles(px, py); dup {
							out[w] = append(out[w], storage.DupPair{A: min(px.ID, py.ID), B: max(px.ID, py.ID), Score: score, Reasons: reasons})
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	all := slices.Concat(out...)
	slices.SortFunc(all, func(p, q storage.DupPair) int {
		if c := cmp.Compare(p.A, q.A); c != 0 {
			return c
		}
		return cmp.Compare(p.B, q.B)
	})
	total := 0
	for _, c := range compared {
		total += c
	}
	return all, total
}

// firstShared is the smallest usable key that profiles x and y share.
func (idx *dupIndex) firstShared(x, y int32) int64 {
	a, b := idx.keys[x], idx.keys[y]
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			if idx.usable(a[i]) {
				return a[i]
			}
			i++
			j++
		}
	}
	return 0
}

// parallel runs fn(0..n-1) on every core.
func parallel(n int, fn func(i int)) {
	w := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for g := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < n; i += w {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// checkNewContacts is checkDuplicates for contacts the ingest writer has
// just inserted, from the rows it built: the same result without reading
// the contacts back (about a fifth of the check's time in ingest).
func checkNewContacts(tx *storage.Tx, cs []model.Contact, idents []storage.IdentityRow, now time.Time) ([]storage.DupPair, error) {
	if len(cs) == 0 || !dupDetection {
		return nil, nil
	}
	start := time.Now()
	defer func() { dupCheckNanos.Add(int64(time.Since(start))) }()
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return checkEvidence(tx, ids, newContactsEvidence(cs, idents), true, now)
}

// newContactsEvidence is the evidence of contacts being created, from the
// rows about to be inserted, as Evidence would read it back.
func newContactsEvidence(cs []model.Contact, idents []storage.IdentityRow) map[int64]model.DupEvidence {
	ev := make(map[int64]*model.DupEvidence, len(cs))
	for _, c := range cs {
		ev[c.ID] = model.NewDupEvidence(c.ID, c.Name, c.NameGenerated, c.Email, c.Phone, c.Country, c.Timezone)
	}
	for _, r := range idents {
		if e, ok := ev[r.ContactID]; ok {
			e.AddIdentity(r.Identity)
		}
	}
	out := make(map[int64]model.DupEvidence, len(ev))
	for id, e := range ev {
		out[id] = *e
	}
	return out
}
