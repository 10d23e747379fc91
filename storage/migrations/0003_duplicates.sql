-- Duplicate detection and merge.

-- The blocking index: a contact is compared only with contacts sharing one of
-- its keys (model.BlockingKeys, stored as 64-bit hashes: a collision only adds
-- a candidate, which scoring then rejects).
CREATE TABLE dup_keys (
  key        INTEGER NOT NULL,
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  PRIMARY KEY (key, contact_id)
) WITHOUT ROWID;
CREATE INDEX dup_keys_contact ON dup_keys(contact_id);

-- Reasons become a JSON array ("same email", "name 0.93 similar", ...).
UPDATE potential_duplicates SET reason = json_array(reason) WHERE NOT json_valid(reason);
-- Open pairs, best first, for the Duplicates screen.
CREATE INDEX potential_duplicates_open ON potential_duplicates(score DESC, contact_a, contact_b) WHERE dismissed_at IS NULL;

-- A merged-away contact keeps its row (so a merge can be undone) and points at
-- the contact it was folded into; lists skip it, lookups of its id follow it.
ALTER TABLE contacts ADD COLUMN merged_into INTEGER REFERENCES contacts(id);
-- The CRM's record id for this contact ('' = not linked).
ALTER TABLE contacts ADD COLUMN crm_id TEXT NOT NULL DEFAULT '';

-- One row per merge. snapshot is JSON: both contacts' rows and what moved,
-- enough to restore both exactly on unmerge.
CREATE TABLE merges (
  id         INTEGER PRIMARY KEY,
  kept_id    INTEGER NOT NULL REFERENCES contacts(id),
  other_id   INTEGER NOT NULL REFERENCES contacts(id),
  agent      TEXT    NOT NULL DEFAULT '',
  at         INTEGER NOT NULL,
  snapshot   TEXT    NOT NULL,
  undone_at  INTEGER
);
CREATE INDEX merges_kept ON merges(kept_id);

-- Changes the CRM sync must carry out, written in the transaction that made
-- them (the CRM issue drains it).
CREATE TABLE crm_outbox (
  id         INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  kind       TEXT    NOT NULL,              -- 'create', 'update', 'merge'
  detail     TEXT    NOT NULL DEFAULT '',   -- JSON
  state      TEXT    NOT NULL DEFAULT 'pending',
  attempts   INTEGER NOT NULL DEFAULT 0,
  last_error TEXT    NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX crm_outbox_pending ON crm_outbox(id) WHERE state = 'pending';
