package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"cxinbox/model"
	"cxinbox/storage"
)

// Merge folds one contact (other) into another (keep) in one transaction:
// every identity, ticket (its messages follow it), note, activity row, tag
// and custom property of other moves to keep; other's row stays, marked
// merged_into = keep, so its id resolves to keep afterwards and the merge can
// be undone. The merges row holds a snapshot of everything the merge changed.
//
// Unmerge restores both contacts exactly while neither has changed since.
// "Exactly" means every row of every table is as it was before the merge,
// except the bookkeeping, which stays as history:
//   - the merges row itself (undone_at set by the unmerge);
//   - the activity rows the merge and the unmerge transactions wrote: the
//     "merged" row on the kept contact, "potential_duplicate" rows the
//     merge's re-check of the kept contact found (on it and on the other
//     contact of each new pair), and the two "unmerged" rows;
//   - settings.change_seq, which every write bumps.
// The potential-duplicate rows of both contacts, the blocking index
// (dup_keys) and a CRM outbox row the merge queued (dropped while still
// pending) are restored too.

// FieldChoice is one field on which the two contacts of a merge disagree
// (both have a value and the values differ): the agent picks which contact's
// value the kept contact ends up with.
type FieldChoice struct {
	Field      string // "name", "email", "phone", "company", "country", "timezone", "language", "lead_stage", or "property:<name>"
	KeepValue  string // the kept contact's value
	OtherValue string // the merged-away contact's value
	Default    int64  // the contact whose value wins unless the agent chooses: the non-generated name, else the most recently updated
}

// MergePlan is what a merge of other into keep would do, for the agent to
// review and choose fields.
type MergePlan struct {
	Keep, Other int64
	Conflicts   []FieldChoice
}

// propertyPrefix marks a custom property among the fields of a merge.
const propertyPrefix = "property:"

// MergeInfo is a merge as recorded.
type MergeInfo struct {
	ID       int64
	Kept     int64
	Merged   int64
	Agent    string
	At       time.Time
	Fields   map[string]int64 // every conflict: field → the contact whose value the kept contact took
	Moved    MergeCounts      // what came over from the merged contact
	UndoneAt time.Time        // zero while the merge stands
}

// MergeCounts counts what a merge moved from the merged contact to the kept
// one.
type MergeCounts struct {
	Identities, Tickets, Notes, Tags, Properties, Activity int
}

// UnmergeRefusedError says why a merge can no longer be undone: one of the
// two contacts changed after it (or the CRM already carried it out).
type UnmergeRefusedError struct {
	MergeID   int64
	ContactID int64
	Reason    string
}

func (e *UnmergeRefusedError) Error() string {
	if e.ContactID == 0 {
		return e.Reason
	}
	return fmt.Sprintf("contact %d changed after merge %d: %s — unmerging would lose it", e.ContactID, e.MergeID, e.Reason)
}

// mergeSnapshot is merges.snapshot: everything an unmerge needs to restore
// both contacts and to tell whether either changed since.
type mergeSnapshot struct {
	Version int `json:"version"`
	// Both contacts' whole rows before the merge, and right after it.
	Keep       storage.Row `json:"keep"`
	Other      storage.Row `json:"other"`
	KeepAfter  storage.Row `json:"keep_after"`
	OtherAfter storage.Row `json:"other_after"`
	// The kept contact's own rows before the merge.
	KeepIdentities []int64 `json:"keep_identities"`
	KeepTickets    []int64 `json:"keep_tickets"`
	KeepNotes      []int64 `json:"keep_notes"`
	// The rows moved from the merged contact to the kept one.
	Identities []int64 `json:"identities"`
	Tickets    []int64 `json:"tickets"`
	Notes      []int64 `json:"notes"`
	Activity   []int64 `json:"activity"`
	// Tags (ids) and custom properties of each, before; the kept contact's
	// after.
	KeepTags            []int64           `json:"keep_tags"`
	OtherTags           []int64           `json:"other_tags"`
	KeepProperties      map[string]string `json:"keep_properties"`
	OtherProperties     map[string]string `json:"other_properties"`
	KeepPropertiesAfter map[string]string `json:"keep_properties_after"`
	// Every potential-duplicate row of either contact before the merge.
	Pairs []storage.PairRow `json:"pairs"`
	// Conflicts and who won them; every field whose value came from the
	// merged contact.
	Fields    map[string]int64 `json:"fields"`
	FromOther []string         `json:"from_other"`
	Moved     MergeCounts      `json:"moved"`
	// The largest activity and message ids when the merge committed: rows
	// above them on either contact are changes made after it.
	ActivityMark int64 `json:"activity_mark"`
	MessageMark  int64 `json:"message_mark"`
	// The CRM outbox row the merge queued (0: neither contact is linked).
	CRMOutbox int64 `json:"crm_outbox"`
}

// PlanMerge returns the fields on which keep and other disagree with their
// default choices. Both must be live (not merged away) and different.
func (a *App) PlanMerge(ctx context.Context, keep, other int64) (MergePlan, error) {
	if keep == other {
		return MergePlan{}, errSelfMerge(keep)
	}
	var cs [2]model.Contact
	var ps [2]map[string]string
	for i, id := range []int64{keep, other} {
		c, into, ok, err := a.store.ContactState(ctx, id)
		if err != nil {
			return MergePlan{}, err
		}
		if !ok {
			return MergePlan{}, notFound("contact", id)
		}
		if into != 0 {
			m, found, err := a.store.StandingMergeOf(ctx, id)
			if err != nil {
				return MergePlan{}, err
			}
			return MergePlan{}, errMergedAway(id, into, m.ID, found)
		}
		if ps[i], err = a.store.Properties(ctx, id); err != nil {
			return MergePlan{}, err
		}
		cs[i] = c
	}
	return MergePlan{Keep: keep, Other: other, Conflicts: planConflicts(cs[0], cs[1], ps[0], ps[1])}, nil
}

// Merge folds other into keep in one transaction and returns the merge id.
// choose maps a FieldChoice.Field to the contact (keep or other) whose value
// wins; fields left out take their Default.
func (a *App) Merge(ctx context.Context, agent string, keep, other int64, choose map[string]int64) (int64, error) {
	if keep == other {
		return 0, errSelfMerge(keep)
	}
	var mergeID int64
	ch := Change{ContactIDs: []int64{keep, other}}
	err := a.store.Write(ctx, func(tx *storage.Tx) error {
		now := time.Now().UTC()
		var sides [2]storage.MergeSide
		for i, id := range []int64{keep, other} {
			s, ok, err := tx.MergeSide(id)
			if err != nil {
				return err
			}
			if !ok {
				return notFound("contact", id)
			}
			if s.MergedInto != 0 {
				m, found, err := tx.StandingMergeOf(id)
				if err != nil {
					return err
				}
				return errMergedAway(id, s.MergedInto, m.ID, found)
			}
			sides[i] = s
		}
		k, o := sides[0], sides[1]
		res, err := resolveMerge(k, o, choose)
		if err != nil {
			return err
		}
		pairs, err := tx.PairRowsOf([]int64{keep, other})
		if err != nil {
			return err
		}
		if mergeID, err = tx.InsertMerge(keep, other, agent, now); err != nil {
			return err
		}

		// Everything of other moves to keep.
		for _, mv := range []struct {
			table string
			ids   []int64
		}{{"identities", o.Identities}, {"tickets", o.Tickets}, {"notes", o.Notes}, {"activity", o.Activity}} {
			if err := tx.MoveRows(mv.table, mv.ids, keep); err != nil {
				return err
			}
		}
		if err := tx.SetContactTags(keep, res.tags); err != nil {
			return err
		}
		if err := tx.SetContactTags(other, nil); err != nil {
			return err
		}
		if err := tx.SetProperties(keep, res.props); err != nil {
			return err
		}
		if err := tx.SetProperties(other, nil); err != nil {
			return err
		}
		if err := tx.SetMergedFields(res.contact, now); err != nil {
			return err
		}
		if err := tx.SetMergedInto(other, keep); err != nil {
			return err
		}

		// Duplicate detection: other leaves the index and its open pairs go
		// (dismissed ones stay, as history); keep is checked afresh with
		// everything it now holds.
		if err := tx.DropOpenPairsOf(other); err != nil {
			return err
		}
		if _, err := tx.DeleteDupKeys([]int64{other}); err != nil {
			return err
		}
		if err := recheck(tx, agent, keep); err != nil {
			return err
		}

		var crmOutbox int64
		if k.CRMID != "" || o.CRMID != "" {
			detail, _ := json.Marshal(map[string]any{"kept": keep, "merged": other, "kept_crm_id": k.CRMID,
				"merged_crm_id": o.CRMID, "merge_id": mergeID})
			if crmOutbox, err = tx.EnqueueCRMMerge(keep, string(detail), now); err != nil {
				return err
			}
		}
		if err := tx.Activity(model.Activity{ContactID: keep, Kind: model.ActMerged, Agent: agent, At: now,
			Detail: mergedDetail(mergeID, o.Contact, res)}); err != nil {
			return err
		}

		snap := mergeSnapshot{Version: 1, Keep: k.Row, Other: o.Row,
			KeepIdentities: k.Identities, KeepTickets: k.Tickets, KeepNotes: k.Notes,
			Identities: o.Identities, Tickets: o.Tickets, Notes: o.Notes, Activity: o.Activity,
			KeepTags: k.Tags, OtherTags: o.Tags, KeepProperties: k.Properties, OtherProperties: o.Properties,
			KeepPropertiesAfter: res.props, Pairs: pairs, Fields: res.fields, FromOther: res.fromOther,
			Moved: res.moved, CRMOutbox: crmOutbox}
		if snap.KeepAfter, _, err = tx.ContactRow(keep); err != nil {
			return err
		}
		if snap.OtherAfter, _, err = tx.ContactRow(other); err != nil {
			return err
		}
		if snap.ActivityMark, snap.MessageMark, err = tx.MergeMarks(); err != nil {
			return err
		}
		b, err := json.Marshal(snap)
		if err != nil {
			return err
		}
		ch.TicketIDs = o.Tickets
		return tx.SetMergeSnapshot(mergeID, string(b))
	})
	if err != nil {
		return 0, err
	}
	a.publish(ch)
	return mergeID, nil
}

// Unmerge undoes a merge while neither contact has changed since; otherwise it
// explains what changed.
func (a *App) Unmerge(ctx context.Context, agent string, mergeID int64) error {
	var ch Change
	err := a.store.Write(ctx, func(tx *storage.Tx) error {
		m, ok, err := tx.MergeRecord(mergeID)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("merge", mergeID)
		}
		if !m.UndoneAt.IsZero() {
			return fmt.Errorf("merge %d was already undone at %s", mergeID, mergeWhen(m.UndoneAt))
		}
		var snap mergeSnapshot
		if err := json.Unmarshal([]byte(m.Snapshot), &snap); err != nil || snap.Version != 1 {
			return fmt.Errorf("merge %d: its snapshot cannot be read (%v): it cannot be undone", mergeID, err)
		}
		keep, other := m.KeptID, m.OtherID
		k, _, err := tx.MergeSide(keep)
		if err != nil {
			return err
		}
		o, _, err := tx.MergeSide(other)
		if err != nil {
			return err
		}
		if err := unmergeBlocker(tx, m, &snap, k, o); err != nil {
			return err
		}

		// Both rows as they were, then every moved row back by id.
		if err := tx.RestoreContactRow(keep, snap.Keep); err != nil {
			return err
		}
		if err := tx.RestoreContactRow(other, snap.Other); err != nil {
			return err
		}
		for _, mv := range []struct {
			table string
			ids   []int64
		}{{"identities", snap.Identities}, {"tickets", snap.Tickets}, {"notes", snap.Notes}, {"activity", snap.Activity}} {
			if err := tx.MoveRows(mv.table, mv.ids, other); err != nil {
				return err
			}
		}
		if err := tx.SetContactTags(keep, snap.KeepTags); err != nil {
			return err
		}
		if err := tx.SetContactTags(other, snap.OtherTags); err != nil {
			return err
		}
		if err := tx.SetProperties(keep, snap.KeepProperties); err != nil {
			return err
		}
		if err := tx.SetProperties(other, snap.OtherProperties); err != nil {
			return err
		}
		if err := tx.RestorePairRows([]int64{keep, other}, snap.Pairs); err != nil {
			return err
		}
		if snap.CRMOutbox != 0 {
			// unmergeBlocker made sure the CRM has not taken it yet.
			if err := tx.DropCRMMerge(snap.CRMOutbox); err != nil {
				return err
			}
		}
		now := time.Now().UTC()
		if err := tx.SetMergeUndone(mergeID, now); err != nil {
			return err
		}
		// Both back in the blocking index; with nothing changed since, the
		// re-check finds exactly the pairs just restored.
		if err := recheck(tx, agent, keep, other); err != nil {
			return err
		}
		oName := fmt.Sprint(snap.Other["name"])
		kName := fmt.Sprint(snap.Keep["name"])
		if err := tx.Activity(model.Activity{ContactID: keep, Kind: model.ActUnmerged, Agent: agent, At: now,
			Detail: fmt.Sprintf("unmerged contact %d (%s) back out of this one (undid merge %d): %s returned; fields as before the merge",
				other, oName, mergeID, countsText(snap.Moved))}); err != nil {
			return err
		}
		if err := tx.Activity(model.Activity{ContactID: other, Kind: model.ActUnmerged, Agent: agent, At: now,
			Detail: fmt.Sprintf("split back out of contact %d (%s) (undid merge %d): its own again", keep, kName, mergeID)}); err != nil {
			return err
		}
		ch = Change{ContactIDs: []int64{keep, other}, TicketIDs: snap.Tickets}
		return nil
	})
	if err != nil {
		return err
	}
	a.publish(ch)
	return nil
}

// MergeInfo returns one merge as recorded.
func (a *App) MergeInfo(ctx context.Context, mergeID int64) (MergeInfo, error) {
	m, ok, err := a.store.MergeRecord(ctx, mergeID)
	if err != nil {
		return MergeInfo{}, err
	}
	if !ok {
		return MergeInfo{}, notFound("merge", mergeID)
	}
	return mergeInfo(m), nil
}

// Merges returns the merges a contact took part in, kept or merged away,
// newest first.
func (a *App) Merges(ctx context.Context, contactID int64) ([]MergeInfo, error) {
	ms, err := a.store.MergesOf(ctx, contactID)
	if err != nil {
		return nil, err
	}
	out := make([]MergeInfo, len(ms))
	for i, m := range ms {
		out[i] = mergeInfo(m)
	}
	return out, nil
}

func mergeInfo(m storage.MergeRecord) MergeInfo {
	var snap mergeSnapshot
	_ = json.Unmarshal([]byte(m.Snapshot), &snap) // an unreadable snapshot leaves Fields and Moved empty
	if snap.Fields == nil {
		snap.Fields = map[string]int64{}
	}
	return MergeInfo{ID: m.ID, Kept: m.KeptID, Merged: m.OtherID, Agent: m.Agent, At: m.At, Fields: snap.Fields,
		Moved: snap.Moved, UndoneAt: m.UndoneAt}
}

// unmergeBlocker returns why merge m cannot be undone now, or nil. Anything
// that happened to either contact after the merge blocks it: a later merge
// of either that still stands, a timeline entry (tag, note, field, ticket,
// new duplicate, ...), a message on one of its tickets, a difference in its
// row, identities, tickets, notes, tags or properties that left no timeline
// entry, or the CRM sync having taken the merge already.
func unmergeBlocker(tx *storage.Tx, m storage.MergeRecord, snap *mergeSnapshot, k, o storage.MergeSide) error {
	refuse := func(contact int64, format string, args ...any) error {
		return &UnmergeRefusedError{MergeID: m.ID, ContactID: contact, Reason: fmt.Sprintf(format, args...)}
	}
	ids := []int64{k.Contact.ID, o.Contact.ID}
	// A later merge of either contact that still stands: undo it first.
	later, found, err := tx.StandingMergeAfter(m.ID, ids)
	if err != nil {
		return err
	}
	if found {
		var what string
		switch {
		case slices.Contains(ids, later.OtherID):
			what = fmt.Sprintf("contact %d was merged into contact %d", later.OtherID, later.KeptID)
		default:
			what = fmt.Sprintf("contact %d took in contact %d", later.KeptID, later.OtherID)
		}
		return &UnmergeRefusedError{MergeID: m.ID, Reason: fmt.Sprintf("%s after merge %d (merge %d): undo merge %d first", what, m.ID, later.ID, later.ID)}
	}
	if k.MergedInto != 0 || o.MergedInto != k.Contact.ID {
		return &UnmergeRefusedError{MergeID: m.ID, Reason: fmt.Sprintf("contact %d is no longer merged into contact %d", o.Contact.ID, k.Contact.ID)}
	}
	// The "merged" and "unmerged" rows of later merges, all undone by now,
	// are bookkeeping: what those merges changed is back, as the checks of
	// rows below confirm.
	acts, err := tx.ActivityAfter(ids, snap.ActivityMark, []string{model.ActMerged, model.ActUnmerged}, 1)
	if err != nil {
		return err
	}
	if len(acts) > 0 {
		act := acts[0]
		who := act.Agent
		if who == "" {
			who = "the system"
		}
		return refuse(act.ContactID, "%s by %s at %s (%s)", strings.ReplaceAll(act.Kind, "_", " "), who, mergeWhen(act.At), mergeClip(act.Detail, 80))
	}
	msgs, err := tx.MessagesAfter(ids, snap.MessageMark, 1)
	if err != nil {
		return err
	}
	if len(msgs) > 0 {
		dir := "inbound"
		if msgs[0].Direction == model.Out {
			dir = "outbound"
		}
		return refuse(k.Contact.ID, "new %s message on ticket #%d at %s", dir, msgs[0].TicketID, mergeWhen(msgs[0].SentAt))
	}
	if d := snap.KeepAfter.Diff(k.Row); len(d) > 0 {
		return refuse(k.Contact.ID, "%s changed", strings.Join(d, ", "))
	}
	if d := snap.OtherAfter.Diff(o.Row); len(d) > 0 {
		return refuse(o.Contact.ID, "%s changed", strings.Join(d, ", "))
	}
	union := func(a, b []int64) []int64 {
		out := slices.Concat(a, b)
		slices.Sort(out)
		return slices.Compact(out)
	}
	for _, c := range []struct {
		what      string
		now, want []int64
	}{
		{"identities", k.Identities, union(snap.KeepIdentities, snap.Identities)},
		{"tickets", k.Tickets, union(snap.KeepTickets, snap.Tickets)},
		{"notes", k.Notes, union(snap.KeepNotes, snap.Notes)},
		{"tags", k.Tags, union(snap.KeepTags, snap.OtherTags)},
	} {
		if !slices.Equal(union(c.now, nil), c.want) {
			return refuse(k.Contact.ID, "its %s changed", c.what)
		}
	}
	if !maps.Equal(k.Properties, snap.KeepPropertiesAfter) {
		return refuse(k.Contact.ID, "its custom properties changed")
	}
	if len(o.Identities)+len(o.Tickets)+len(o.Notes)+len(o.Tags)+len(o.Properties) > 0 {
		return refuse(o.Contact.ID, "rows were added to the merged-away contact")
	}
	if snap.CRMOutbox != 0 {
		untaken, what, err := tx.CRMMergeUntaken(snap.CRMOutbox, time.Now())
		if err != nil {
			return err
		}
		if !untaken {
			return &UnmergeRefusedError{MergeID: m.ID, Reason: fmt.Sprintf(
				"merge %d was already passed to the CRM (its outbox row %d: %s): unmerging here would not undo it there", m.ID, snap.CRMOutbox, what)}
		}
	}
	return nil
}

// mergeResult is what the kept contact becomes.
type mergeResult struct {
	contact   model.Contact
	props     map[string]string
	tags      []int64
	fields    map[string]int64 // conflicts → winner
	fromOther []string         // fields whose value came from the merged contact
	moved     MergeCounts
}

// planConflicts lists the fields both contacts have with different values,
// standard fields first (in form order), then custom properties by name.
// The default is the non-generated name, else the value of the contact
// updated most recently (the kept one on a tie). A field only one of them
// has is not a conflict: the merged contact takes the value there is.
func planConflicts(k, o model.Contact, kp, op map[string]string) []FieldChoice {
	newer := k.ID
	if o.UpdatedAt.After(k.UpdatedAt) {
		newer = o.ID
	}
	out := []FieldChoice{}
	for _, f := range model.Fields {
		kv, ov := k.Field(f), o.Field(f)
		if kv == ov || kv == "" || ov == "" {
			continue
		}
		def := newer
		if f == "name" && k.NameGenerated != o.NameGenerated {
			def = k.ID
			if k.NameGenerated {
				def = o.ID
			}
		}
		out = append(out, FieldChoice{Field: f, KeepValue: kv, OtherValue: ov, Default: def})
	}
	for _, name := range slices.Sorted(maps.Keys(kp)) {
		kv, ov := kp[name], op[name]
		if ov == "" || kv == ov {
			continue
		}
		out = append(out, FieldChoice{Field: propertyPrefix + name, KeepValue: kv, OtherValue: ov, Default: newer})
	}
	return out
}

// normalizeChoices checks the agent's choices: every key must be a standard
// field or property:<name> of a property one of the two has, every value one
// of the two contacts. It returns them keyed by canonical field name.
func normalizeChoices(choose map[string]int64, k, o storage.MergeSide) (map[string]int64, error) {
	keep, other := k.Contact.ID, o.Contact.ID
	out := make(map[string]int64, len(choose))
	for _, raw := range slices.Sorted(maps.Keys(choose)) {
		who := choose[raw]
		f := strings.ToLower(strings.TrimSpace(raw))
		switch {
		case model.IsField(f):
		case f == "email_unsubscribed":
			return nil, fmt.Errorf("email_unsubscribed is not a choice: a merge keeps a contact unsubscribed if either was")
		case strings.HasPrefix(f, propertyPrefix):
			name, err := model.NormalizePropertyName(strings.TrimPrefix(f, propertyPrefix))
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", raw, err)
			}
			if _, ok := k.Properties[name]; !ok {
				if _, ok := o.Properties[name]; !ok {
					return nil, fmt.Errorf("field %q: neither contact %d nor %d has a property %q", raw, keep, other, name)
				}
			}
			f = propertyPrefix + name
		default:
			hint := ""
			if _, ok := k.Properties[f]; ok {
				hint = fmt.Sprintf(" (did you mean %s%s?)", propertyPrefix, f)
			} else if _, ok := o.Properties[f]; ok {
				hint = fmt.Sprintf(" (did you mean %s%s?)", propertyPrefix, f)
			}
			return nil, fmt.Errorf("unknown field %q%s: choose one of %s, or %s<name> for a custom property",
				raw, hint, strings.Join(model.Fields, ", "), propertyPrefix)
		}
		if who != keep && who != other {
			return nil, fmt.Errorf("field %s: contact %d is neither the kept contact %d nor the merged contact %d", f, who, keep, other)
		}
		if prev, ok := out[f]; ok && prev != who {
			return nil, fmt.Errorf("field %s is chosen twice, from contact %d and from %d", f, prev, who)
		}
		out[f] = who
	}
	return out, nil
}

// resolveMerge decides what the kept contact becomes. A choice on a field
// that is not a conflict changes nothing: there is only one value to take.
func resolveMerge(k, o storage.MergeSide, choose map[string]int64) (mergeResult, error) {
	choice, err := normalizeChoices(choose, k, o)
	if err != nil {
		return mergeResult{}, err
	}
	winner := map[string]int64{}
	for _, fc := range planConflicts(k.Contact, o.Contact, k.Properties, o.Properties) {
		w, ok := choice[fc.Field]
		if !ok {
			w = fc.Default
		}
		winner[fc.Field] = w
	}
	res := mergeResult{contact: k.Contact, props: maps.Clone(k.Properties), fields: winner}
	if res.props == nil {
		res.props = map[string]string{}
	}
	otherID := o.Contact.ID
	for _, f := range model.Fields {
		kv, ov := k.Contact.Field(f), o.Contact.Field(f)
		take := kv == "" && ov != "" || (kv != ov && ov != "" && winner[f] == otherID)
		if f == "name" && kv == ov {
			// One name, generated only if both contacts had it generated.
			res.contact.NameGenerated = k.Contact.NameGenerated && o.Contact.NameGenerated
		}
		if !take {
			continue
		}
		res.contact.SetField(f, ov)
		if f == "name" {
			res.contact.NameGenerated = o.Contact.NameGenerated
		}
		res.fromOther = append(res.fromOther, f)
	}
	// Unsubscribed wins, never chosen: merging must not re-subscribe someone
	// who asked to stop receiving marketing email under either contact.
	if o.Contact.EmailUnsubscribed && !k.Contact.EmailUnsubscribed {
		res.contact.EmailUnsubscribed = true
		res.fromOther = append(res.fromOther, "email_unsubscribed")
	}
	for _, name := range slices.Sorted(maps.Keys(o.Properties)) {
		ov := o.Properties[name]
		kv, has := k.Properties[name]
		switch {
		case !has:
			res.props[name] = ov
			res.moved.Properties++
		case kv != ov && winner[propertyPrefix+name] == otherID:
			res.props[name] = ov
			res.moved.Properties++
			res.fromOther = append(res.fromOther, propertyPrefix+name)
		}
	}
	res.tags = slices.Concat(k.Tags, o.Tags)
	slices.Sort(res.tags)
	res.tags = slices.Compact(res.tags)
	res.moved.Tags = len(res.tags) - len(k.Tags)
	res.moved.Identities, res.moved.Tickets, res.moved.Notes, res.moved.Activity =
		len(o.Identities), len(o.Tickets), len(o.Notes), len(o.Activity)
	return res, nil
}

// mergedDetail is the kept contact's timeline entry for a merge: "merged
// contact 7 (Ana Souza) into this one (merge 3): 2 identities, 3 tickets,
// 1 note, 2 tags, 1 property, 9 timeline entries; name from contact 7".
func mergedDetail(mergeID int64, o model.Contact, res mergeResult) string {
	s := fmt.Sprintf("merged contact %d (%s) into this one (merge %d): %s", o.ID, o.Name, mergeID, countsText(res.moved))
	if len(res.fromOther) > 0 {
		s += fmt.Sprintf("; %s from contact %d", strings.Join(res.fromOther, ", "), o.ID)
	} else {
		s += "; every field kept"
	}
	return s
}

func countsText(c MergeCounts) string {
	var parts []string
	for _, p := range []struct {
		n              int
		single, plural string
	}{
		{c.Identities, "identity", "identities"}, {c.Tickets, "ticket", "tickets"}, {c.Notes, "note", "notes"},
		{c.Tags, "tag", "tags"}, {c.Properties, "property", "properties"}, {c.Activity, "timeline entry", "timeline entries"},
	} {
		switch {
		case p.n == 1:
			parts = append(parts, "1 "+p.single)
		case p.n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.plural))
		}
	}
	if len(parts) == 0 {
		return "no rows"
	}
	return strings.Join(parts, ", ")
}

func errSelfMerge(id int64) error {
	return fmt.Errorf("contact %d cannot be merged with itself", id)
}

func errMergedAway(id, into, mergeID int64, known bool) error {
	if known {
		return fmt.Errorf("contact %d was already merged into contact %d (merge %d)", id, into, mergeID)
	}
	return fmt.Errorf("contact %d was already merged into contact %d", id, into)
}

// mergeWhen formats a time for messages: minutes, UTC.
func mergeWhen(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func mergeClip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
