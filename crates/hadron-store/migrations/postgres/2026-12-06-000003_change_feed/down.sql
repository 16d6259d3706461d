DROP INDEX expunged_modseq;
DROP INDEX mailbox_messages_modseq;
