ALTER TABLE mailboxes DROP COLUMN expunged_floor;
DROP INDEX expunged_modseq;
DROP INDEX mailbox_messages_modseq;
