-- The duplicate blocking keys changed (model.BlockingKeys): a database with
-- contacts indexed under the old keys is rescanned once when next opened
-- (app.Open), so new contacts find the old ones.
INSERT INTO settings(key, value) SELECT 'dup_rescan_needed', '1' WHERE EXISTS (SELECT 1 FROM contacts)
  ON CONFLICT(key) DO UPDATE SET value = excluded.value;
