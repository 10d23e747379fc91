package app

import (
	"context"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"cxinbox/model"
	"cxinbox/storage"
)

// Agents' SSH keys (team mode): `cxinbox serve --ssh` lets a connection in
// only with a registered public key, and the session runs as that key's
// agent. Keys are shown by fingerprint, never whole.

// AgentKey is an agent's SSH public key as people see it.
type AgentKey struct {
	Agent       string    `json:"agent"`
	Fingerprint string    `json:"fingerprint"` // SHA256:…, as ssh-keygen -l prints it
	Type        string    `json:"type"`
	Comment     string    `json:"comment,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// ActAgentKeyAdded is the activity kind of a key given to an agent.
const ActAgentKeyAdded = "agent_key_added"

// minRSABits is the smallest RSA key accepted (OpenSSH's own floor).
const minRSABits = 2048

func agentKeyOf(k storage.AgentKey) AgentKey {
	return AgentKey{Agent: k.Agent, Fingerprint: k.Fingerprint, Type: k.Type, Comment: k.Comment, CreatedAt: k.CreatedAt}
}

// ParseAgentKey reads one public key in authorized_keys form
// ("ssh-ed25519 AAAA… comment") and returns it with its comment. Options
// before the key type, certificates, DSA and short RSA keys are refused.
func ParseAgentKey(line string) (gossh.PublicKey, string, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil, "", errors.New("ssh key is empty")
	}
	if strings.Contains(line, "PRIVATE KEY") {
		return nil, "", errors.New("that is a private key: give the public one (the .pub file)")
	}
	key, comment, options, rest, err := gossh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return nil, "", fmt.Errorf("not an SSH public key (want a line like \"ssh-ed25519 AAAA… you@host\"): %w", err)
	}
	switch {
	case len(options) > 0:
		return nil, "", fmt.Errorf("ssh key has authorized_keys options (%s): give the key alone", strings.Join(options, ","))
	case len(strings.TrimSpace(string(rest))) > 0:
		return nil, "", errors.New("give one ssh key per --ssh-key")
	}
	if _, ok := key.(*gossh.Certificate); ok {
		return nil, "", errors.New("ssh certificates are not supported: give the plain public key")
	}
	switch key.Type() {
	case gossh.KeyAlgoDSA:
		return nil, "", errors.New("DSA keys are too weak: use ssh-keygen -t ed25519")
	case gossh.KeyAlgoRSA:
		if ck, ok := key.(gossh.CryptoPublicKey); ok {
			if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && rk.N.BitLen() < minRSABits {
				return nil, "", fmt.Errorf("RSA key of %d bits is too short (at least %d): use ssh-keygen -t ed25519", rk.N.BitLen(), minRSABits)
			}
		}
	}
	return key, strings.TrimSpace(comment), nil
}

// AddAgentKeys gives agent name the SSH public keys (authorized_keys lines),
// registering the agent first if it is new (an admin if admin; admin also
// makes an existing agent one). All or nothing, in one transaction. A key
// the agent already has is skipped; a key of another agent is refused. It
// returns whether the agent was created and the keys added.
func (a *App) AddAgentKeys(ctx context.Context, name string, admin bool, keys []string) (created bool, added []AgentKey, err error) {
	name, err = checkName("agent", name, MaxAgentName)
	if err != nil {
		return false, nil, err
	}
	if len(keys) == 0 {
		return false, nil, errors.New("no ssh key given")
	}
	type parsed struct {
		key     gossh.PublicKey
		comment string
	}
	ps := make([]parsed, len(keys))
	for i, line := range keys {
		k, c, err := ParseAgentKey(line)
		if err != nil {
			if len(keys) > 1 {
				err = fmt.Errorf("ssh key %d: %w", i+1, err)
			}
			return false, nil, err
		}
		ps[i] = parsed{k, c}
	}
	err = a.write(ctx, Change{}, func(tx *storage.Tx) error {
		created, added = false, nil
		ag, ok, err := tx.AgentByName(name)
		if err != nil {
			return err
		}
		if !ok {
			if ag, err = insertAgent(tx, name, admin); err != nil {
				return err
			}
			created = true
		} else if admin && !ag.Admin {
			if err := tx.SetAgentAdmin(ag.ID, true); err != nil {
				return err
			}
			if err := tx.Activity(model.Activity{Kind: ActAgentAdmin, Detail: fmt.Sprintf("agent %s is now an admin", name)}); err != nil {
				return err
			}
		}
		for _, p := range ps {
			fp := gossh.FingerprintSHA256(p.key)
			old, taken, err := tx.AgentKeyByFingerprint(fp)
			if err != nil {
				return err
			}
			if taken {
				if old.AgentID == ag.ID {
					continue
				}
				return fmt.Errorf("ssh key %s already belongs to agent %s", fp, old.Agent)
			}
			row, err := tx.InsertAgentKey(storage.AgentKey{AgentID: ag.ID, Agent: name, Fingerprint: fp, Type: p.key.Type(),
				PublicKey: p.key.Marshal(), Comment: p.comment})
			if err != nil {
				return err
			}
			if err := tx.Activity(model.Activity{Kind: ActAgentKeyAdded, Agent: name,
				Detail: fmt.Sprintf("agent %s: ssh key %s (%s) added", name, fp, p.key.Type())}); err != nil {
				return err
			}
			added = append(added, agentKeyOf(row))
		}
		return nil
	})
	if err != nil {
		return false, nil, err
	}
	return created, added, nil
}

// AgentByKey returns the agent whose registered key is key; ok is false for
// a key no agent has. The stored key is compared whole, in constant time,
// not just by fingerprint.
func (a *App) AgentByKey(ctx context.Context, key gossh.PublicKey) (ag Agent, ok bool, err error) {
	if key == nil {
		return Agent{}, false, nil
	}
	if _, cert := key.(*gossh.Certificate); cert {
		return Agent{}, false, nil
	}
	k, ok, err := a.store.AgentKeyByFingerprint(ctx, gossh.FingerprintSHA256(key))
	if err != nil || !ok {
		return Agent{}, false, err
	}
	if subtle.ConstantTimeCompare(k.PublicKey, key.Marshal()) != 1 {
		return Agent{}, false, nil
	}
	row, ok, err := a.store.AgentByName(ctx, k.Agent)
	if err != nil || !ok {
		return Agent{}, false, err
	}
	return agentOf(row), true, nil
}

// AgentKeys lists every agent's SSH keys (by fingerprint), by agent name.
func (a *App) AgentKeys(ctx context.Context) ([]AgentKey, error) {
	rows, err := a.store.AgentKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AgentKey, len(rows))
	for i, r := range rows {
		out[i] = agentKeyOf(r)
	}
	return out, nil
}
