-- CRM sync: the connection, the per-contact link, and what the outbox worker
-- needs to lease, defer and retry rows.

-- The one active CRM and its secrets. storage.SaveCRMConnection makes the
-- database file (and its -wal/-shm) 0600 before it writes a row here.
CREATE TABLE crm_connection (
  id            INTEGER PRIMARY KEY CHECK (id = 1),  -- one active CRM at a time
  provider      TEXT    NOT NULL,                    -- 'hubspot', 'salesforce', 'zoho'
  private_token TEXT    NOT NULL DEFAULT '',         -- HubSpot private-app token
  client_id     TEXT    NOT NULL DEFAULT '',
  client_secret TEXT    NOT NULL DEFAULT '',
  refresh_token TEXT    NOT NULL DEFAULT '',
  access_token  TEXT    NOT NULL DEFAULT '',
  token_expiry  INTEGER NOT NULL DEFAULT 0,          -- unix ms; 0 = unknown (refresh on 401)
  api_base      TEXT    NOT NULL,                    -- vendor default, instance_url / api_domain, or --base-url
  auth_url      TEXT    NOT NULL DEFAULT '',         -- token endpoint
  connected_at  INTEGER NOT NULL
);

-- When the contact was last pushed successfully (NULL = never), and the
-- upsert key its first attempt used ('email:<address>' or 'id'): a retry
-- after an unknown outcome must look the record up by the same key, even if
-- the email changed in between, or it could create a second record.
ALTER TABLE contacts ADD COLUMN crm_synced_at INTEGER;
ALTER TABLE contacts ADD COLUMN crm_key TEXT NOT NULL DEFAULT '';

-- A row is due when next_attempt_at has passed (retry back-off) and no
-- worker holds it (claimed_until: a lease, so a killed worker's rows come
-- back by themselves and two workers never push one contact at once).
ALTER TABLE crm_outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE crm_outbox ADD COLUMN claimed_until INTEGER NOT NULL DEFAULT 0;
-- The contact pane's "CRM: pending / failed" line.
CREATE INDEX crm_outbox_contact ON crm_outbox(contact_id, state);
