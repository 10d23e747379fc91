-- Contacts: one row per customer. Identities live in their own table so a
-- contact can have any number per channel.
CREATE TABLE contacts (
  id                 INTEGER PRIMARY KEY,
  name               TEXT    NOT NULL,
  name_fold          TEXT    NOT NULL,            -- Unicode case-folded name, for search
  name_generated     INTEGER NOT NULL DEFAULT 0,
  lead_stage         TEXT    NOT NULL DEFAULT 'lead',
  email              TEXT    NOT NULL DEFAULT '',
  phone              TEXT    NOT NULL DEFAULT '',
  company            TEXT    NOT NULL DEFAULT '',
  country            TEXT    NOT NULL DEFAULT '',
  timezone           TEXT    NOT NULL DEFAULT '',
  language           TEXT    NOT NULL DEFAULT '',
  email_unsubscribed INTEGER NOT NULL DEFAULT 0,
  created_at         INTEGER NOT NULL,            -- unix milliseconds, UTC
  updated_at         INTEGER NOT NULL
);
CREATE INDEX contacts_email ON contacts(email);
CREATE INDEX contacts_phone ON contacts(phone);

CREATE TABLE identities (
  id         INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  channel    TEXT    NOT NULL,
  value      TEXT    NOT NULL,                    -- normalised (model.NormalizeIdentity)
  created_at INTEGER NOT NULL,
  UNIQUE (channel, value)
);
CREATE INDEX identities_contact ON identities(contact_id);

CREATE TABLE tickets (
  id              INTEGER PRIMARY KEY,
  contact_id      INTEGER NOT NULL REFERENCES contacts(id),
  channel         TEXT    NOT NULL,
  identity        TEXT    NOT NULL DEFAULT '',    -- identity value the conversation runs on
  status          TEXT    NOT NULL DEFAULT 'open',
  subject         TEXT    NOT NULL DEFAULT '',
  preview         TEXT    NOT NULL DEFAULT '',
  assignee        TEXT    NOT NULL DEFAULT '',
  proactive       INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  last_message_at INTEGER NOT NULL,
  deleted_at      INTEGER                           -- in the trash since; NULL = live
);
-- The inbox lists read keyset pages in (last_message_at, id) order; each
-- built-in view has an index in that order so a page never scans.
CREATE INDEX tickets_inbox    ON tickets(last_message_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX tickets_channel  ON tickets(channel, last_message_at DESC, id DESC) WHERE deleted_at IS NULL;
-- Only assigned tickets: most arrive unassigned, and "Unassigned" reads the
-- inbox index instead.
CREATE INDEX tickets_assignee ON tickets(assignee, last_message_at DESC, id DESC) WHERE deleted_at IS NULL AND assignee <> '';
CREATE INDEX tickets_trash    ON tickets(last_message_at DESC, id DESC) WHERE deleted_at IS NOT NULL;
CREATE INDEX tickets_contact  ON tickets(contact_id, channel, last_message_at);

CREATE TABLE messages (
  id          INTEGER PRIMARY KEY,
  ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
  direction   TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
  author      TEXT    NOT NULL DEFAULT '',
  subject     TEXT    NOT NULL DEFAULT '',
  body        TEXT    NOT NULL,
  external_id TEXT,                                 -- "<channel>:<provider message id>": idempotency and email threading
  sent_at     INTEGER NOT NULL,
  marketing   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX messages_external ON messages(external_id) WHERE external_id IS NOT NULL;
CREATE INDEX messages_ticket ON messages(ticket_id, sent_at, id);

CREATE TABLE tags (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  name_fold  TEXT    NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE contact_tags (
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  tag_id     INTEGER NOT NULL REFERENCES tags(id),
  PRIMARY KEY (contact_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX contact_tags_tag ON contact_tags(tag_id);
CREATE TABLE ticket_tags (
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  tag_id    INTEGER NOT NULL REFERENCES tags(id),
  PRIMARY KEY (ticket_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_tag ON ticket_tags(tag_id);

CREATE TABLE notes (
  id         INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  author     TEXT    NOT NULL,
  body       TEXT    NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX notes_contact ON notes(contact_id, created_at);

CREATE TABLE properties (
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  name       TEXT    NOT NULL,
  value      TEXT    NOT NULL,
  PRIMARY KEY (contact_id, name)
) WITHOUT ROWID;

-- Append-only: the contact-details timeline.
CREATE TABLE activity (
  id         INTEGER PRIMARY KEY,
  contact_id INTEGER REFERENCES contacts(id),
  ticket_id  INTEGER REFERENCES tickets(id),
  kind       TEXT    NOT NULL,
  agent      TEXT    NOT NULL DEFAULT '',
  detail     TEXT    NOT NULL DEFAULT '',
  at         INTEGER NOT NULL
);
CREATE INDEX activity_contact ON activity(contact_id, id);

-- Pairs of contacts that are likely one person (a < b).
CREATE TABLE potential_duplicates (
  contact_a    INTEGER NOT NULL REFERENCES contacts(id),
  contact_b    INTEGER NOT NULL REFERENCES contacts(id),
  reason       TEXT    NOT NULL,
  score        REAL    NOT NULL DEFAULT 1,
  created_at   INTEGER NOT NULL,
  dismissed_at INTEGER,
  PRIMARY KEY (contact_a, contact_b),
  CHECK (contact_a < contact_b)
) WITHOUT ROWID;
CREATE INDEX potential_duplicates_b ON potential_duplicates(contact_b);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
