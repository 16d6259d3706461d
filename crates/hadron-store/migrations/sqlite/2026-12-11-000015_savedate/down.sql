DROP INDEX mailbox_messages_save_unknown;
DROP INDEX mailbox_messages_save_date;
ALTER TABLE mailbox_messages DROP COLUMN save_date;
