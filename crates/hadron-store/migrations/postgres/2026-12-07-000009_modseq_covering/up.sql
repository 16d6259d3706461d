-- "What changed after mod-sequence m" (`FETCH ... (CHANGEDSINCE m)`, `SELECT ... (QRESYNC
-- ...)`, the change feed) reads uid, flags, keywords and modseq of the rows that changed:
-- with them in the index, an index-only scan answers it without visiting the table.
DROP INDEX mailbox_messages_modseq;
CREATE INDEX mailbox_messages_modseq ON mailbox_messages (mailbox_id, modseq)
    INCLUDE (uid, flags, keywords);
