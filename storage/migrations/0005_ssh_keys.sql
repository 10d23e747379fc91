-- Agents' SSH public keys: `cxinbox serve --ssh` lets in a connection only
-- with one of these, and the session runs as the key's agent. A key belongs
-- to one agent; an agent may have several (laptop, desktop).
CREATE TABLE agent_keys (
  id          INTEGER PRIMARY KEY,
  agent_id    INTEGER NOT NULL REFERENCES agents(id),
  fingerprint TEXT    NOT NULL UNIQUE,            -- "SHA256:..." as ssh-keygen -l prints it
  key_type    TEXT    NOT NULL,                   -- "ssh-ed25519", "ssh-rsa", ...
  public_key  BLOB    NOT NULL,                   -- the key in SSH wire format
  comment     TEXT    NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL
);
CREATE INDEX agent_keys_agent ON agent_keys(agent_id);
