-- CONDSTORE and QRESYNC (RFC 7162). On PostgreSQL the mod-sequence indexes exist already
-- (2026-12-06-000003_change_feed). The mod-sequence up to which the mailbox's expunged UIDs
-- have been forgotten (`Store::prune_expunged`); 0 while the whole history is kept. A client
-- resynchronising from an older mod-sequence cannot be told exactly what vanished, so it is
-- told the full state instead.
ALTER TABLE mailboxes ADD COLUMN expunged_floor BIGINT NOT NULL DEFAULT 0;
