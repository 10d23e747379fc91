package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"cxinbox/model"
)

// DupPair is a stored potential-duplicate pair, A < B.
type DupPair struct {
	A, B      int64
	Score     float64
	Reasons   []string
	CreatedAt time.Time
}

// DupKeyHash is the blocking key as the index stores it: FNV-1a, 64 bits.
func DupKeyHash(k string) int64 {
	h := fnv.New64a()
	h.Write([]byte(k))
	return int64(h.Sum64())
}

// DupKeyHashes hashes BlockingKeys(e).
func DupKeyHashes(e model.DupEvidence) []int64 {
	keys := model.BlockingKeys(e)
	out := make([]int64, len(keys))
	for i, k := range keys {
		out[i] = DupKeyHash(k)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// evidenceAcc builds DupEvidence from a contact row and its identities.
type evidenceAcc map[int64]*model.DupEvidence

func (acc evidenceAcc) contact(r *sql.Rows) error {
	_, err := acc.scan(r)
	return err
}

func (acc evidenceAcc) scan(r *sql.Rows) (*model.DupEvidence, error) {
	var e model.DupEvidence
	var email, phone string
	if err := r.Scan(&e.ID, &e.Name, &e.NameGenerated, &email, &phone, &e.Country, &e.Timezone); err != nil {
		return nil, err
	}
	if email != "" {
		e.Emails = append(e.Emails, email)
	}
	if phone != "" {
		e.Phones = append(e.Phones, phone)
	}
	acc[e.ID] = &e
	return &e, nil
}

func (acc evidenceAcc) identity(r *sql.Rows) error {
	var cid int64
	var id model.Identity
	if err := r.Scan(&cid, &id.Channel, &id.Value); err != nil {
		return err
	}
	acc.add(cid, id)
	return nil
}

const evidenceContactCols = `id, name, name_generated, email, phone, country, timezone`

// Evidence returns what duplicate detection knows about each of ids that
// exists and is not merged away.
func (t *Tx) Evidence(ids []int64) (map[int64]model.DupEvidence, error) {
	acc := evidenceAcc{}
	if len(ids) == 0 {
		return map[int64]model.DupEvidence{}, nil
	}
	list := jsonList(ids)
	if err := t.each(`SELECT `+evidenceContactCols+` FROM contacts WHERE id IN (SELECT value FROM json_each(?)) AND merged_into IS NULL`,
		[]any{list}, acc.contact); err != nil {
		return nil, fmt.Errorf("duplicate evidence: %w", err)
	}
	if err := t.each(`SELECT contact_id, channel, value FROM identities WHERE contact_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
		[]any{list}, acc.identity); err != nil {
		return nil, fmt.Errorf("duplicate evidence: %w", err)
	}
	out := make(map[int64]model.DupEvidence, len(acc))
	for id, e := range acc {
		out[id] = *e
	}
	return out, nil
}

// AllEvidence calls fn with the evidence of every live contact, in id order,
// reading from one snapshot, and returns the highest contact id it saw.
func (s *Store) AllEvidence(ctx context.Context, fn func(model.DupEvidence) error) (maxID int64, err error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// Contacts and identities are read side by side in id order (the
	// identities by their contact index), so memory holds one contact at a time.
	crows, err := tx.QueryContext(ctx, `SELECT `+evidenceContactCols+` FROM contacts WHERE merged_into IS NULL ORDER BY id`)
	if err != nil {
		return 0, err
	}
	defer crows.Close()
	irows, err := tx.QueryContext(ctx, `SELECT contact_id, channel, value FROM identities ORDER BY contact_id, id`)
	if err != nil {
		return 0, err
	}
	defer irows.Close()
	var pend struct {
		ok  bool
		cid int64
		id  model.Identity
	}
	nextIdentity := func() error {
		pend.ok = irows.Next()
		if pend.ok {
			return irows.Scan(&pend.cid, &pend.id.Channel, &pend.id.Value)
		}
		return irows.Err()
	}
	if err := nextIdentity(); err != nil {
		return 0, err
	}
	for crows.Next() {
		acc := evidenceAcc{}
		e, err := acc.scan(crows)
		if err != nil {
			return 0, err
		}
		maxID = e.ID
		for pend.ok && pend.cid <= e.ID {
			acc.add(pend.cid, pend.id) // identities of merged-away contacts find no entry
			if err := nextIdentity(); err != nil {
				return 0, err
			}
		}
		if err := fn(*e); err != nil {
			return 0, err
		}
	}
	return maxID, crows.Err()
}

// add files an identity under the evidence it is: emails, phones, or other
// channel ids (a web-chat cookie is one browser, never shared: no evidence).
func (acc evidenceAcc) add(cid int64, id model.Identity) {
	e := acc[cid]
	if e == nil {
		return
	}
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

// ReplaceDupKeys sets the blocking keys of each contact in keys, replacing
// what the index held for it.
func (t *Tx) ReplaceDupKeys(keys map[int64][]int64) error {
	if len(keys) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(keys))
	var rows [][]any
	for id, ks := range keys {
		ids = append(ids, id)
		for _, k := range ks {
			rows = append(rows, []any{k, id})
		}
	}
	if _, err := t.exec(`DELETE FROM dup_keys WHERE contact_id IN (SELECT value FROM json_each(?))`, jsonList(ids)); err != nil {
		return fmt.Errorf("replace duplicate keys: %w", err)
	}
	return t.insertRows("dup_keys", "key, contact_id", 2, rows, " ON CONFLICT DO NOTHING")
}

// DupCandidates returns the live contacts indexed under any of keys, with how
// many contacts each key holds (a key shared by very many contacts says
// little and callers may skip it).
func (t *Tx) DupCandidates(keys []int64) (byKey map[int64][]int64, err error) {
	byKey = map[int64][]int64{}
	if len(keys) == 0 {
		return byKey, nil
	}
	err = t.each(`SELECT key, contact_id FROM dup_keys WHERE key IN (SELECT value FROM json_each(?))`, []any{jsonList(keys)},
		func(r *sql.Rows) error {
			var k, id int64
			if err := r.Scan(&k, &id); err != nil {
				return err
			}
			byKey[k] = append(byKey[k], id)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("duplicate candidates: %w", err)
	}
	return byKey, nil
}

// SetDupPairs records the pairs found when the contacts in checked were
// (re)checked: each pair is added or its score and reasons updated, and an
// open pair involving a checked contact that is no longer found is dropped.
// A dismissed pair ("not a duplicate") is never reopened or dropped. It
// returns the pairs that were not open before.
func (t *Tx) SetDupPairs(checked []int64, pairs []DupPair, now time.Time) (added []DupPair, err error) {
	if len(checked) == 0 && len(pairs) == 0 {
		return nil, nil
	}
	before := map[[2]int64]bool{}
	list := jsonList(checked)
	if err := t.each(`SELECT contact_a, contact_b, dismissed_at IS NOT NULL FROM potential_duplicates
		WHERE contact_a IN (SELECT value FROM json_each(?1)) OR contact_b IN (SELECT value FROM json_each(?1))`, []any{list},
		func(r *sql.Rows) error {
			var a, b int64
			var dismissed bool
			if err := r.Scan(&a, &b, &dismissed); err != nil {
				return err
			}
			before[[2]int64{a, b}] = dismissed || before[[2]int64{a, b}]
			return nil
		}); err != nil {
		return nil, fmt.Errorf("set duplicate pairs: %w", err)
	}
	found := map[[2]int64]bool{}
	var rows [][]any
	for _, p := range pairs {
		if p.A > p.B {
			p.A, p.B = p.B, p.A
		}
		k := [2]int64{p.A, p.B}
		if found[k] || p.A == p.B {
			continue
		}
		found[k] = true
		dismissed, known := before[k]
		if dismissed {
			continue
		}
		if !known {
			added = append(added, p)
		}
		reasons, _ := json.Marshal(p.Reasons)
		rows = append(rows, []any{p.A, p.B, string(reasons), p.Score, ms(now)})
	}
	var drop [][2]int64
	for k, dismissed := range before {
		if !dismissed && !found[k] {
			drop = append(drop, k)
		}
	}
	for _, k := range drop {
		if _, err := t.exec(`DELETE FROM potential_duplicates WHERE contact_a = ? AND contact_b = ? AND dismissed_at IS NULL`, k[0], k[1]); err != nil {
			return nil, fmt.Errorf("set duplicate pairs: %w", err)
		}
	}
	if err := t.insertRows("potential_duplicates", "contact_a, contact_b, reason, score, created_at", 5, rows,
		` ON CONFLICT (contact_a, contact_b) DO UPDATE SET reason = excluded.reason, score = excluded.score WHERE dismissed_at IS NULL`); err != nil {
		return nil, err
	}
	return added, nil
}

// DismissPair marks a pair "not a duplicate" for good, recording it if it
// was not a candidate. It reports whether the pair was open before.
func (t *Tx) DismissPair(a, b int64, now time.Time) (wasOpen bool, err error) {
	if a > b {
		a, b = b, a
	}
	var n int
	if err := t.queryRow(`SELECT COUNT(*) FROM potential_duplicates WHERE contact_a = ? AND contact_b = ? AND dismissed_at IS NULL`, a, b).Scan(&n); err != nil {
		return false, err
	}
	_, err = t.exec(`INSERT INTO potential_duplicates (contact_a, contact_b, reason, score, created_at, dismissed_at)
		VALUES (?, ?, '[]', 0, ?, ?) ON CONFLICT (contact_a, contact_b) DO UPDATE SET dismissed_at = excluded.dismissed_at
		WHERE dismissed_at IS NULL`, a, b, ms(now), ms(now))
	return n > 0, err
}

// DropOpenPairsOf removes the open pairs of a contact (when it is merged away).
func (t *Tx) DropOpenPairsOf(id int64) error {
	_, err := t.exec(`DELETE FROM potential_duplicates WHERE (contact_a = ?1 OR contact_b = ?1) AND dismissed_at IS NULL`, id)
	return err
}

// RebuildDupIndex replaces the blocking keys of every contact up to maxID and
// every open pair among them with a rescan's results; dismissed pairs stay.
// Contacts created after the rescan's snapshot were checked on arrival and
// keep their keys and pairs.
func (t *Tx) RebuildDupIndex(maxID int64, keys map[int64][]int64, pairs []DupPair, now time.Time) error {
	if _, err := t.exec(`DELETE FROM dup_keys WHERE contact_id <= ?`, maxID); err != nil {
		return fmt.Errorf("rescan: %w", err)
	}
	if _, err := t.exec(`DELETE FROM potential_duplicates WHERE dismissed_at IS NULL AND contact_b <= ?`, maxID); err != nil {
		return fmt.Errorf("rescan: %w", err)
	}
	rows := make([][]any, 0, len(keys)*6)
	for id, ks := range keys {
		for _, k := range ks {
			rows = append(rows, []any{k, id})
		}
	}
	if err := t.insertRows("dup_keys", "key, contact_id", 2, rows, " ON CONFLICT DO NOTHING"); err != nil {
		return err
	}
	prows := make([][]any, 0, len(pairs))
	for _, p := range pairs {
		reasons, _ := json.Marshal(p.Reasons)
		prows = append(prows, []any{p.A, p.B, string(reasons), p.Score, ms(now)})
	}
	return t.insertRows("potential_duplicates", "contact_a, contact_b, reason, score, created_at", 5, prows, " ON CONFLICT DO NOTHING")
}

const pairCols = `contact_a, contact_b, score, reason, created_at`

func scanPair(r interface{ Scan(...any) error }) (DupPair, error) {
	var p DupPair
	var reasons string
	var created int64
	if err := r.Scan(&p.A, &p.B, &p.Score, &reasons, &created); err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(reasons), &p.Reasons); err != nil {
		p.Reasons = []string{reasons}
	}
	p.CreatedAt = fromMS(created)
	return p, nil
}

// OpenPairs returns one keyset page of open pairs, best first: after is the
// last pair of the previous page (nil for the first).
func (s *Store) OpenPairs(ctx context.Context, after *DupPair, limit int) ([]DupPair, error) {
	if limit <= 0 {
		limit = 100
	}
	q := `SELECT ` + pairCols + ` FROM potential_duplicates WHERE dismissed_at IS NULL`
	var args []any
	if after != nil {
		q += ` AND (score < ? OR (score = ? AND (contact_a > ? OR (contact_a = ? AND contact_b > ?))))`
		args = append(args, after.Score, after.Score, after.A, after.A, after.B)
	}
	q += ` ORDER BY score DESC, contact_a, contact_b LIMIT ?`
	args = append(args, limit)
	var out []DupPair
	err := s.each(ctx, q, args, func(r *sql.Rows) error {
		p, err := scanPair(r)
		out = append(out, p)
		return err
	})
	return out, err
}

// PairsOf returns a contact's open pairs, best first.
func (s *Store) PairsOf(ctx context.Context, id int64) ([]DupPair, error) {
	var out []DupPair
	err := s.each(ctx, `SELECT `+pairCols+` FROM potential_duplicates WHERE dismissed_at IS NULL AND contact_a = ?1
		UNION ALL SELECT `+pairCols+` FROM potential_duplicates WHERE dismissed_at IS NULL AND contact_b = ?1
		ORDER BY score DESC, contact_a, contact_b`, []any{id}, func(r *sql.Rows) error {
		p, err := scanPair(r)
		out = append(out, p)
		return err
	})
	return out, err
}

// Pair returns the stored pair of a and b (open or dismissed).
func (s *Store) Pair(ctx context.Context, a, b int64) (p DupPair, dismissed bool, err error) {
	if a > b {
		a, b = b, a
	}
	row := s.r.QueryRowContext(ctx, `SELECT `+pairCols+`, dismissed_at IS NOT NULL FROM potential_duplicates WHERE contact_a = ? AND contact_b = ?`, a, b)
	var reasons string
	var created int64
	err = row.Scan(&p.A, &p.B, &p.Score, &reasons, &created, &dismissed)
	if err == sql.ErrNoRows {
		return p, false, ErrNotFound
	}
	if err != nil {
		return p, false, err
	}
	_ = json.Unmarshal([]byte(reasons), &p.Reasons)
	p.CreatedAt = fromMS(created)
	return p, dismissed, nil
}

// CountOpenPairs counts open pairs.
func (s *Store) CountOpenPairs(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM potential_duplicates WHERE dismissed_at IS NULL`).Scan(&n)
	return n, err
}
