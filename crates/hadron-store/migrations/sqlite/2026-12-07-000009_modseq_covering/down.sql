DROP INDEX mailbox_messages_modseq;
CREATE INDEX mailbox_messages_modseq ON mailbox_messages (mailbox_id, modseq);
