DROP INDEX mailbox_messages_size;
DROP INDEX mailbox_messages_internal_date;
ALTER TABLE mailbox_messages DROP COLUMN size;
ALTER TABLE mailbox_messages DROP COLUMN internal_date;
