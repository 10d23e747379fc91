package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
	h := uint64(14695981039346656037)
	for i := 0; i < len(k); i++ {
		h = (h ^ uint64(k[i])) * 1099511628211
	}
	return int64(h)
}

// evidenceAcc builds DupEvidence from a contact row and its identities.
type evidenceAcc map[int64]*model.DupEvidence

func (acc evidenceAcc) scan(r *sql.Rows) (*model.DupEvidence, error) {
	var id int64
	var gen bool
	var name, email, phone, country, tz string
	if err := r.Scan(&id, &name, &gen, &email, &phone, &country, &tz); err != nil {
		return nil, err
	}
	e := model.NewDupEvidence(id, name, gen, email, phone, country, tz)
	acc[id] = e
	return e, nil
}

const evidenceContactCols = `id, name, name_generated, email, phone, country, timezone`

// Evidence returns what duplicate detection knows about each of ids that
// exists and is not merged away, in one query: a contact's row comes once
// per identity.
func (t *Tx) Evidence(ids []int64) (map[int64]model.DupEvidence, error) {
	out := make(map[int64]model.DupEvidence, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	acc := evidenceAcc{}
	err := t.each(`SELECT c.id, c.name, c.name_generated, c.email, c.phone, c.country, c.timezone, i.channel, i.value
		FROM contacts c LEFT JOIN identities i ON i.contact_id = c.id
		WHERE c.id IN (SELECT value FROM json_each(?)) AND c.merged_into IS NULL ORDER BY c.id, i.id`, []any{jsonList(ids)},
		func(r *sql.Rows) error {
			var id int64
			var gen bool
			var name, email, phone, country, tz string
			var ch, val sql.NullString
			if err := r.Scan(&id, &name, &gen, &email, &phone, &country, &tz, &ch, &val); err != nil {
				return err
			}
			if acc[id] == nil {
				acc[id] = model.NewDupEvidence(id, name, gen, email, phone, country, tz)
			}
			if ch.Valid {
				acc.add(id, model.Identity{Channel: model.Channel(ch.String), Value: val.String})
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("duplicate evidence: %w", err)
	}
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

// add files an identity under its contact's evidence (model.DupEvidence.AddIdentity);
// identities of contacts not being read (merged away) are skipped.
func (acc evidenceAcc) add(cid int64, id model.Identity) {
	e := acc[cid]
	if e == nil {
		return
	}
	e.AddIdentity(id)
}

// DeleteDupKeys takes contacts out of the index and reports whether any of
// them had keys: a contact that had none (a new one) has no open pairs for
// SetDupPairs to reconsider.
func (t *Tx) DeleteDupKeys(ids []int64) (hadKeys bool, err error) {
	if len(ids) == 0 {
		return false, nil
	}
	res, err := t.exec(`DELETE FROM dup_keys WHERE contact_id IN (SELECT value FROM json_each(?))`, jsonList(ids))
	if err != nil {
		return false, fmt.Errorf("delete duplicate keys: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// InsertDupKeys files contacts under their keys (after DeleteDupKeys).
func (t *Tx) InsertDupKeys(keys map[int64][]int64) error { return t.insertDupKeys(keys) }

// DupKeysInUse returns which of keys the index holds for any contact: one
// index probe each. Most keys of a new contact are its alone.
func (t *Tx) DupKeysInUse(keys []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(keys) == 0 {
		return out, nil
	}
	err := t.each(`SELECT value FROM json_each(?) WHERE EXISTS (SELECT 1 FROM dup_keys WHERE key = value)`, []any{jsonList(keys)},
		func(r *sql.Rows) error {
			var k int64
			err := r.Scan(&k)
			out[k] = true
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("duplicate keys in use: %w", err)
	}
	return out, nil
}

// insertDupKeys inserts the index rows of keys.
func (t *Tx) insertDupKeys(keys map[int64][]int64) error {
	var rows [][2]int64
	for id, ks := range keys {
		for _, k := range ks {
			rows = append(rows, [2]int64{k, id})
		}
	}
	return t.insertDupKeyRows(rows)
}

// insertDupKeyRows inserts (key, contact) rows.
func (t *Tx) insertDupKeyRows(rows [][2]int64) error {
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = []any{r[0], r[1]}
	}
	return t.insertRows("dup_keys", "key, contact_id", 2, vals, " ON CONFLICT DO NOTHING")
}

// DupCandidates returns, for each of keys whose block holds at most
// limits[i] contacts (all of them, the excluded included), the live
// contacts in that block other than the excluded ones, with their evidence;
// and the keys whose blocks hold more. Those are left out without reading
// them: a key shared by very many contacts says little. Callers pass only
// keys in use (DupKeysInUse), which for a new contact are few.
func (t *Tx) DupCandidates(keys []int64, limits []int, exclude []int64) (byKey map[int64][]int64, over map[int64]bool, ev map[int64]model.DupEvidence, err error) {
	byKey, over, ev = map[int64][]int64{}, map[int64]bool{}, map[int64]model.DupEvidence{}
	if len(keys) == 0 {
		return byKey, over, ev, nil
	}
	pairs := make([][2]int64, len(keys))
	most := 0
	for i, k := range keys {
		pairs[i] = [2]int64{k, int64(limits[i])}
		most = max(most, limits[i])
	}
	acc := evidenceAcc{}
	last := [2]int64{}
	// The size check reads at most most+1 index entries per key.
	err = t.each(`WITH k AS MATERIALIZED (
			SELECT value ->> 0 AS key, value ->> 1 AS lim,
				(SELECT COUNT(*) FROM (SELECT 1 FROM dup_keys d WHERE d.key = value ->> 0 LIMIT ?2)) AS n
			FROM json_each(?1))
		SELECT d.key, c.id, c.name, c.name_generated, c.email, c.phone, c.country, c.timezone, i.channel, i.value
		FROM k JOIN dup_keys d ON d.key = k.key
		JOIN contacts c ON c.id = d.contact_id AND c.merged_into IS NULL
		LEFT JOIN identities i ON i.contact_id = c.id
		WHERE k.n <= k.lim AND d.contact_id NOT IN (SELECT value FROM json_each(?3))
		UNION ALL
		SELECT key, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM k WHERE n > lim`,
		[]any{jsonList(pairs), most + 1, jsonList(exclude)},
		func(r *sql.Rows) error {
			var k int64
			var id sql.NullInt64
			var name, email, phone, country, tz, ch, val sql.NullString
			var gen sql.NullBool
			if err := r.Scan(&k, &id, &name, &gen, &email, &phone, &country, &tz, &ch, &val); err != nil {
				return err
			}
			if !id.Valid {
				over[k] = true
				return nil
			}
			if cur := [2]int64{k, id.Int64}; cur != last {
				last = cur
				byKey[k] = append(byKey[k], id.Int64)
			}
			if acc[id.Int64] == nil {
				acc[id.Int64] = model.NewDupEvidence(id.Int64, name.String, gen.Bool, email.String, phone.String, country.String, tz.String)
			}
			if ch.Valid {
				acc.add(id.Int64, model.Identity{Channel: model.Channel(ch.String), Value: val.String})
			}
			return nil
		})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("duplicate candidates: %w", err)
	}
	for id, e := range acc {
		ev[id] = *e
	}
	return byKey, over, ev, nil
}

// SetDupPairs records the pairs found when the contacts in checked were
// (re)checked: each pair is added or its score and reasons updated, and an
// open pair involving a checked contact that is no longer found is dropped.
// A dismissed pair ("not a duplicate") is never reopened or dropped. It
// returns the pairs that were not open before. fresh says none of checked
// had blocking keys before (new contacts): none can be in a stored pair, so
// there is nothing to look up but the dismissed pairs among pairs.
func (t *Tx) SetDupPairs(checked []int64, pairs []DupPair, now time.Time, fresh bool) (added []DupPair, err error) {
	if len(checked) == 0 && len(pairs) == 0 {
		return nil, nil
	}
	before := map[[2]int64]bool{}
	if !fresh {
		if err := t.pairsOf(checked, before); err != nil {
			return nil, err
		}
	} else if len(pairs) > 0 {
		// A dismissed pair can exist for contacts without keys (an agent
		// dismissed a pair detection never proposed): look them up.
		ids := make([]int64, 0, 2*len(pairs))
		for _, p := range pairs {
			ids = append(ids, p.A, p.B)
		}
		if err := t.pairsOf(ids, before); err != nil {
			return nil, err
		}
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
	isChecked := make(map[int64]bool, len(checked))
	for _, id := range checked {
		isChecked[id] = true
	}
	var drop [][2]int64
	for k, dismissed := range before {
		if !dismissed && !found[k] && (isChecked[k[0]] || isChecked[k[1]]) {
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

// pairsOf files the stored pairs involving ids into before: pair → dismissed.
func (t *Tx) pairsOf(ids []int64, before map[[2]int64]bool) error {
	if err := t.each(`SELECT contact_a, contact_b, dismissed_at IS NOT NULL FROM potential_duplicates
		WHERE contact_a IN (SELECT value FROM json_each(?1)) OR contact_b IN (SELECT value FROM json_each(?1))`, []any{jsonList(ids)},
		func(r *sql.Rows) error {
			var a, b int64
			var dismissed bool
			if err := r.Scan(&a, &b, &dismissed); err != nil {
				return err
			}
			before[[2]int64{a, b}] = dismissed || before[[2]int64{a, b}]
			return nil
		}); err != nil {
		return fmt.Errorf("set duplicate pairs: %w", err)
	}
	return nil
}

// DismissPair marks a pair "not a duplicate" for good, recording it if it
// was not a candidate.
func (t *Tx) DismissPair(a, b int64, now time.Time) error {
	if a > b {
		a, b = b, a
	}
	_, err := t.exec(`INSERT INTO potential_duplicates (contact_a, contact_b, reason, score, created_at, dismissed_at)
		VALUES (?, ?, '[]', 0, ?, ?) ON CONFLICT (contact_a, contact_b) DO UPDATE SET dismissed_at = excluded.dismissed_at
		WHERE dismissed_at IS NULL`, a, b, ms(now), ms(now))
	return err
}

// DropOpenPairsOf removes the open pairs of a contact (when it is merged away).
func (t *Tx) DropOpenPairsOf(id int64) error {
	_, err := t.exec(`DELETE FROM potential_duplicates WHERE (contact_a = ?1 OR contact_b = ?1) AND dismissed_at IS NULL`, id)
	return err
}

// RebuildDupIndex replaces the blocking keys of every contact up to maxID and
// every open pair among them with a rescan's results; dismissed pairs stay.
// Contacts created after the rescan's snapshot were checked on arrival and
// keep their keys and pairs. When no such contact exists the index is
// rebuilt from scratch: emptied, loaded in key order with its secondary
// indexes dropped, and those re-created — a bulk load, many times faster
// than deleting and inserting row by row.
func (t *Tx) RebuildDupIndex(maxID int64, keys map[int64][]int64, pairs []DupPair, now time.Time) error {
	var later bool
	if err := t.queryRow(`SELECT EXISTS (SELECT 1 FROM dup_keys WHERE contact_id > ?)`, maxID).Scan(&later); err != nil {
		return fmt.Errorf("rescan: %w", err)
	}
	var indexes []string
	if later {
		if _, err := t.exec(`DELETE FROM dup_keys WHERE contact_id <= ?`, maxID); err != nil {
			return fmt.Errorf("rescan: %w", err)
		}
	} else {
		if err := t.each(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'dup_keys' AND sql IS NOT NULL`, nil,
			func(r *sql.Rows) error {
				var name, q string
				err := r.Scan(&name, &q)
				indexes = append(indexes, name, q)
				return err
			}); err != nil {
			return fmt.Errorf("rescan: %w", err)
		}
		for i := 0; i < len(indexes); i += 2 {
			if _, err := t.tx.ExecContext(t.ctx, `DROP INDEX "`+indexes[i]+`"`); err != nil {
				return fmt.Errorf("rescan: %w", err)
			}
		}
		if _, err := t.exec(`DELETE FROM dup_keys`); err != nil {
			return fmt.Errorf("rescan: %w", err)
		}
	}
	if _, err := t.exec(`DELETE FROM potential_duplicates WHERE dismissed_at IS NULL AND contact_b <= ?`, maxID); err != nil {
		return fmt.Errorf("rescan: %w", err)
	}
	n := 0
	for _, ks := range keys {
		n += len(ks)
	}
	rows := make([][2]int64, 0, n)
	for id, ks := range keys {
		for _, k := range ks {
			rows = append(rows, [2]int64{k, id})
		}
	}
	slices.SortFunc(rows, func(a, b [2]int64) int {
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		return cmp.Compare(a[1], b[1])
	})
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), 50000)]
		rows = rows[len(chunk):]
		if err := t.insertDupKeyRows(chunk); err != nil {
			return err
		}
	}
	for i := 1; i < len(indexes); i += 2 {
		if _, err := t.tx.ExecContext(t.ctx, indexes[i]); err != nil {
			return fmt.Errorf("rescan: %w", err)
		}
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

// LiveIdentities returns every identity of every live contact (not merged
// away), by contact: what an evaluation against a ground truth needs.
func (s *Store) LiveIdentities(ctx context.Context) (map[int64][]model.Identity, error) {
	out := map[int64][]model.Identity{}
	err := s.each(ctx, `SELECT i.contact_id, i.channel, i.value FROM identities i JOIN contacts c ON c.id = i.contact_id
		WHERE c.merged_into IS NULL ORDER BY i.contact_id, i.id`, nil, func(r *sql.Rows) error {
		var cid int64
		var id model.Identity
		if err := r.Scan(&cid, &id.Channel, &id.Value); err != nil {
			return err
		}
		out[cid] = append(out[cid], id)
		return nil
	})
	return out, err
}
