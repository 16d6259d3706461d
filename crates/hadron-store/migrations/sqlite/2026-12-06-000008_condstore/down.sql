DROP INDEX messages_thread_id;
ALTER TABLE messages DROP COLUMN thread_id;
ALTER TABLE expunged DROP COLUMN expunged_at;
ALTER TABLE mailboxes DROP COLUMN expunged_floor;
DROP INDEX expunged_modseq;
DROP INDEX mailbox_messages_modseq;
