-- Agents: who works the inbox. Views belong to agents; admins may change
-- other agents' public views.
CREATE TABLE agents (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE,             -- as given to --agent (exact)
  admin      INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);

-- Views: saved ticket filters. A private view is its owner's alone; a public
-- one every agent sees. Names are unique per owner, case-insensitively.
CREATE TABLE views (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  name_fold  TEXT    NOT NULL,                    -- model.Fold(name)
  owner_id   INTEGER NOT NULL REFERENCES agents(id),
  public     INTEGER NOT NULL DEFAULT 0,
  position   INTEGER NOT NULL,                    -- default order: creation
  filter     TEXT    NOT NULL,                    -- model.Filter as JSON
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (owner_id, name_fold)
);

-- Each agent's own order of the views it sees (MoveView); views without a
-- row follow in default order.
CREATE TABLE view_order (
  agent_id INTEGER NOT NULL REFERENCES agents(id),
  view_id  INTEGER NOT NULL REFERENCES views(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (agent_id, view_id)
) WITHOUT ROWID;
CREATE INDEX view_order_view ON view_order(view_id);

-- Purging a ticket from the trash detaches its activity rows (ticket_id set
-- NULL; the timeline keeps them) and SQLite checks the foreign key of every
-- deleted ticket against activity: both need this index to avoid a scan of
-- the whole table per ticket. Partial: only ticket rows pay for it.
CREATE INDEX activity_ticket ON activity(ticket_id) WHERE ticket_id IS NOT NULL;
