-- The full-text index SEARCH BODY and TEXT read (issue 10): for each message, its whole
-- decoded header and the decoded text of its body (the text parts, joined by line feeds),
-- both lowercased by the caller at ingest exactly as SEARCH lowercases (hadron-state's
-- `fold`). A case-sensitive trigram index of lowercased text answers "contains this
-- lowercased needle of three characters or more" exactly, with no folding of its own.
-- Contentless (the text is not kept), rowid = messages.id.
CREATE VIRTUAL TABLE message_fulltext USING fts5 (
    header, body,
    content = '', contentless_delete = 1, tokenize = 'trigram case_sensitive 1'
);

CREATE TRIGGER messages_fulltext_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_fulltext WHERE rowid = old.id;
END;

-- The messages the index does not hold yet: every row stored before it existed (listed here
-- by this migration) and every new one until the background indexer has read it
-- (`cannot_index` = 0); messages whose text cannot be indexed (too long, or holding NUL) stay
-- with `cannot_index` = 1. SEARCH reads all of them from their bodies.
CREATE TABLE unindexed_text (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    cannot_index INTEGER NOT NULL DEFAULT 0
);
INSERT INTO unindexed_text (message_id) SELECT id FROM messages;
