DROP INDEX mailbox_messages_sent_unknown;
DROP INDEX mailbox_messages_sent_day;
ALTER TABLE mailbox_messages DROP COLUMN sent_day;
