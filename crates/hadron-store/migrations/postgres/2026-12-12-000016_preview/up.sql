-- PREVIEW (RFC 8970): each message's preview, the start of its main text as one line of
-- plain text (at most 256 characters), computed at ingest like ENVELOPE and BODYSTRUCTURE so
-- that FETCH PREVIEW reads a column and not the body. An empty string for a message without
-- text (RFC 8970 answers those with an empty preview).
--
-- NULL for rows written before this migration: FETCH PREVIEW computes theirs from the body
-- and stores it here; FETCH PREVIEW (LAZY) answers NIL for them without reading the body.
ALTER TABLE messages ADD COLUMN preview TEXT;
