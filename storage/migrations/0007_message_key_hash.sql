-- Inbound messages are found by a 64-bit hash of their provider key
-- (storage/message_key.go) instead of a unique index on the key text: the
-- text index was the costliest entry of every ingested message (keys like
-- "email:<CAF...@mail.gmail.com>" share long prefixes). The hash index is not
-- unique (two keys may share a hash); lookups compare the text, and the
-- single ingest writer checks before it inserts.
ALTER TABLE messages ADD COLUMN external_hash INTEGER;
UPDATE messages SET external_hash = cx_key_hash(external_id) WHERE external_id IS NOT NULL;
DROP INDEX messages_external;
CREATE INDEX messages_external_hash ON messages(external_hash) WHERE external_hash IS NOT NULL;
