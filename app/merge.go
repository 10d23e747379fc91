package app

import (
	"context"
	"errors"
)

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

// PlanMerge returns the fields on which keep and other disagree with their
// default choices. Both must be live (not merged away) and different.
func (a *App) PlanMerge(ctx context.Context, keep, other int64) (MergePlan, error) {
	return MergePlan{}, errors.New("merge: not built yet")
}

// Merge folds other into keep in one transaction and returns the merge id.
// choose maps a FieldChoice.Field to the contact (keep or other) whose value
// wins; fields left out take their Default.
func (a *App) Merge(ctx context.Context, agent string, keep, other int64, choose map[string]int64) (int64, error) {
	return 0, errors.New("merge: not built yet")
}

// Unmerge undoes a merge while neither contact has changed since; otherwise it
// explains what changed.
func (a *App) Unmerge(ctx context.Context, agent string, mergeID int64) error {
	return errors.New("merge: not built yet")
}
