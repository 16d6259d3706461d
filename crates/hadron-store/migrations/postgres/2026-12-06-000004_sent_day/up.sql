-- The calendar day of each message's Date: header in the header's own zone (days since
-- 1970-01-01; -2147483648 when the header is missing or unparseable), written at ingest, with
-- a per-mailbox index: SEARCH SENTBEFORE/SENTON/SENTSINCE read only the rows that match.
-- NULL for rows written before this migration (the day needs the header, which SQL cannot
-- parse): those are tested from the message itself, found through a partial index.
ALTER TABLE mailbox_messages ADD COLUMN sent_day INTEGER;
CREATE INDEX mailbox_messages_sent_day ON mailbox_messages (mailbox_id, sent_day);
CREATE INDEX mailbox_messages_sent_unknown ON mailbox_messages (mailbox_id, uid) WHERE sent_day IS NULL;
