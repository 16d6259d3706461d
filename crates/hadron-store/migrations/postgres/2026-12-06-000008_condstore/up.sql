-- CONDSTORE and QRESYNC (RFC 7162). On PostgreSQL the mod-sequence indexes exist already
-- (2026-12-06-000003_change_feed). The mod-sequence up to which the mailbox's expunged UIDs
-- have been forgotten (`Store::prune_expunged`); 0 while the whole history is kept. A client
-- resynchronising from an older mod-sequence cannot be told exactly what vanished, so it is
-- told the full state instead.
ALTER TABLE mailboxes ADD COLUMN expunged_floor BIGINT NOT NULL DEFAULT 0;
-- When each UID was expunged (Unix seconds), so that the history can be kept for a
-- configured time (`[gc] expunged_history_days`); rows from before this migration count
-- from now.
ALTER TABLE expunged ADD COLUMN expunged_at BIGINT NOT NULL DEFAULT 0;
UPDATE expunged SET expunged_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT);
-- OBJECTID (RFC 8474): the THREADID computed at ingest from the thread's root Message-ID
-- (NULL for messages stored before, or without any Message-ID: THREADID NIL); indexed for
-- SEARCH THREADID.
ALTER TABLE messages ADD COLUMN thread_id TEXT;
CREATE INDEX messages_thread_id ON messages (thread_id);
