-- "What changed after mod-sequence m" (`FETCH ... (CHANGEDSINCE m)`, `SELECT ... (QRESYNC
-- ...)`, the change feed) reads uid, flags, keywords and modseq of the rows that changed.
-- With the flags in the index (and the uid, part of the table's key, in every entry) it is
-- answered from the index alone, without a lookup in the table per changed row. A flag
-- change moves the row's modseq, so it rewrites this entry anyway.
DROP INDEX mailbox_messages_modseq;
CREATE INDEX mailbox_messages_modseq ON mailbox_messages (mailbox_id, modseq, flags, keywords);
