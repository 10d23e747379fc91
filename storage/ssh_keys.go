package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AgentKey is a row of agent_keys: an SSH public key that logs in as an agent.
type AgentKey struct {
	ID          int64
	AgentID     int64
	Agent       string // the agent's name
	Fingerprint string
	Type        string
	PublicKey   []byte // SSH wire format
	Comment     string
	CreatedAt   time.Time
}

const agentKeyCols = `k.id, k.agent_id, a.name, k.fingerprint, k.key_type, k.public_key, k.comment, k.created_at`

const agentKeyFrom = ` FROM agent_keys k JOIN agents a ON a.id = k.agent_id`

func scanAgentKey(sc interface{ Scan(...any) error }) (AgentKey, error) {
	var k AgentKey
	var at int64
	err := sc.Scan(&k.ID, &k.AgentID, &k.Agent, &k.Fingerprint, &k.Type, &k.PublicKey, &k.Comment, &at)
	k.CreatedAt = fromMS(at)
	return k, err
}

// AgentKeyByFingerprint returns the key with this fingerprint and its agent;
// ok is false when no agent has it.
func (s *Store) AgentKeyByFingerprint(ctx context.Context, fp string) (k AgentKey, ok bool, err error) {
	k, err = scanAgentKey(s.r.QueryRowContext(ctx, `SELECT `+agentKeyCols+agentKeyFrom+` WHERE k.fingerprint = ?`, fp))
	ok, err = found(err)
	return k, ok, err
}

// AgentKeyByFingerprint is Store.AgentKeyByFingerprint inside the write
// transaction.
func (t *Tx) AgentKeyByFingerprint(fp string) (k AgentKey, ok bool, err error) {
	k, err = scanAgentKey(t.queryRow(`SELECT `+agentKeyCols+agentKeyFrom+` WHERE k.fingerprint = ?`, fp))
	ok, err = found(err)
	return k, ok, err
}

// AgentKeys lists every agent's keys, by agent name then age.
func (s *Store) AgentKeys(ctx context.Context) ([]AgentKey, error) {
	var out []AgentKey
	err := s.each(ctx, `SELECT `+agentKeyCols+agentKeyFrom+` ORDER BY a.name, k.id`, nil, func(r *sql.Rows) error {
		k, err := scanAgentKey(r)
		out = append(out, k)
		return err
	})
	return out, err
}

// InsertAgentKey stores a key for an agent (the fingerprint must be free).
// The caller writes the activity.
func (t *Tx) InsertAgentKey(k AgentKey) (AgentKey, error) {
	k.CreatedAt = now().Truncate(time.Millisecond)
	id, err := t.insert(`INSERT INTO agent_keys(agent_id, fingerprint, key_type, public_key, comment, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		k.AgentID, k.Fingerprint, k.Type, k.PublicKey, k.Comment, ms(k.CreatedAt))
	if err != nil {
		return AgentKey{}, fmt.Errorf("add ssh key %s: %w", k.Fingerprint, err)
	}
	k.ID = id
	return k, nil
}
