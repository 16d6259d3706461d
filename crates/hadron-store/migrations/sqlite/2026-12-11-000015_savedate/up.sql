-- SAVEDATE (RFC 8514): when each message was saved into the mailbox it is in, Unix seconds,
-- set by every write that adds a row (APPEND, COPY, MOVE, LMTP delivery, import), so a copy
-- or a move gets the time it arrived, unlike its INTERNALDATE, which it keeps.
--
-- NULL for rows written before this migration: when they were saved is not recorded
-- anywhere (their INTERNALDATE may be years older, kept from a COPY or given by APPEND), so
-- none is made up. FETCH SAVEDATE answers NIL for them, and SAVEDBEFORE/SAVEDON/SAVEDSINCE
-- compare their INTERNALDATE instead, as RFC 8514 §4.3 has a mailbox without save dates do.
ALTER TABLE mailbox_messages ADD COLUMN save_date BIGINT;
-- Per mailbox, so the SAVED* keys read only the rows that match: by save date, and the rows
-- without one by internal date (a partial index, empty once the old rows are gone).
CREATE INDEX mailbox_messages_save_date ON mailbox_messages (mailbox_id, save_date);
CREATE INDEX mailbox_messages_save_unknown ON mailbox_messages (mailbox_id, internal_date) WHERE save_date IS NULL;
