-- The full-text index SEARCH BODY and TEXT read (issue 10): for each message, its whole
-- decoded header and the decoded text of its body (the text parts, joined by line feeds),
-- both lowercased by the caller at ingest exactly as SEARCH lowercases (hadron-state's
-- `fold`). `LIKE '%needle%'` on the lowercased text is SEARCH's substring test, exactly;
-- pg_trgm's trigram GIN indexes answer it without reading every row (the index is lossy,
-- PostgreSQL rechecks each candidate). pg_trgm is a trusted extension shipped with
-- PostgreSQL: the role that migrates needs the CREATE privilege on the database.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE message_fulltext (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    header TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX message_fulltext_header ON message_fulltext USING gin (header gin_trgm_ops);
CREATE INDEX message_fulltext_body ON message_fulltext USING gin (body gin_trgm_ops);

-- The messages the index does not hold yet: every row stored before it existed (listed here
-- by this migration) and every new one until the background indexer has read it
-- (`cannot_index` = 0); messages whose text cannot be indexed (too long, or holding NUL) stay
-- with `cannot_index` = 1. SEARCH reads all of them from their bodies.
CREATE TABLE unindexed_text (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    cannot_index INTEGER NOT NULL DEFAULT 0
);
INSERT INTO unindexed_text (message_id) SELECT id FROM messages;
