-- CONDSTORE and QRESYNC (RFC 7162). `FETCH ... (CHANGEDSINCE m)`, `SELECT ... (QRESYNC ...)`
-- and the change feed between instances ask "what changed after mod-sequence m": these
-- indexes answer from the rows that did, not from a scan of the mailbox.
CREATE INDEX mailbox_messages_modseq ON mailbox_messages (mailbox_id, modseq);
CREATE INDEX expunged_modseq ON expunged (mailbox_id, modseq);
-- The mod-sequence up to which the mailbox's expunged UIDs have been forgotten
-- (`Store::prune_expunged`); 0 while the whole history is kept. A client resynchronising
-- from an older mod-sequence cannot be told exactly what vanished, so it is told the
-- full state instead.
ALTER TABLE mailboxes ADD COLUMN expunged_floor BIGINT NOT NULL DEFAULT 0;
-- When each UID was expunged (Unix seconds), so that the history can be kept for a
-- configured time (`[gc] expunged_history_days`); rows from before this migration count
-- from now.
ALTER TABLE expunged ADD COLUMN expunged_at BIGINT NOT NULL DEFAULT 0;
UPDATE expunged SET expunged_at = CAST(strftime('%s', 'now') AS INTEGER);
-- OBJECTID (RFC 8474): the THREADID computed at ingest from the thread's root Message-ID
-- (NULL for messages stored before, or without any Message-ID: THREADID NIL); indexed for
-- SEARCH THREADID.
ALTER TABLE messages ADD COLUMN thread_id TEXT;
CREATE INDEX messages_thread_id ON messages (thread_id);
