-- The change feed between instances on one database: an instance told (LISTEN/NOTIFY) that
-- a mailbox changed reads what changed since the last mod-sequence it saw. These indexes make
-- that read cost what changed, not the mailbox's size.
CREATE INDEX mailbox_messages_modseq ON mailbox_messages (mailbox_id, modseq);
CREATE INDEX expunged_modseq ON expunged (mailbox_id, modseq);
