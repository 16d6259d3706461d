-- The byte offsets of every MIME entity of a message (opaque to the store, written by the
-- layer above at ingest), so FETCH BODY[section] reads only the range it needs from the
-- blob. NULL for rows written before this migration: the reader then parses the body.
ALTER TABLE messages ADD COLUMN part_map BLOB;
