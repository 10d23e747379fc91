package storage

import (
	"context"

	"cxinbox/model"
)

// ContactOfIdentity returns the contact that owns the identity, read on the
// read pool (the web chat looks a visitor's cookie up on every update).
func (s *Store) ContactOfIdentity(ctx context.Context, id model.Identity) (int64, bool, error) {
	var cid int64
	ok, err := found(s.r.QueryRowContext(ctx, `SELECT contact_id FROM identities WHERE channel = ? AND value = ?`,
		string(id.Channel), id.Value).Scan(&cid))
	return cid, ok, err
}
