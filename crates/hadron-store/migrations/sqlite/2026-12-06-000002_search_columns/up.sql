-- The internal date and size of each message, copied onto its mailbox rows with an index per
-- mailbox, so SEARCH SINCE/BEFORE/ON and LARGER/SMALLER read only the rows that match instead
-- of every row of the mailbox joined to `messages`. Both are fixed for a message's life.
ALTER TABLE mailbox_messages ADD COLUMN internal_date BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mailbox_messages ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
UPDATE mailbox_messages SET
    internal_date = (SELECT m.internal_date FROM messages m WHERE m.id = mailbox_messages.message_id),
    size = (SELECT m.size FROM messages m WHERE m.id = mailbox_messages.message_id);
CREATE INDEX mailbox_messages_internal_date ON mailbox_messages (mailbox_id, internal_date);
CREATE INDEX mailbox_messages_size ON mailbox_messages (mailbox_id, size);
