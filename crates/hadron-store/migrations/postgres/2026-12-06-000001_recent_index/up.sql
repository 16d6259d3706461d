-- The messages still `\Recent` (flag bit 32) of each mailbox: a SELECT that starts from an
-- index it already holds claims them without reading every row of the mailbox. Partial, so
-- it stays as small as the number of unclaimed new messages. Queries must repeat the WHERE
-- clause exactly for the planner to use it.
CREATE INDEX mailbox_messages_recent ON mailbox_messages (mailbox_id, uid) WHERE (flags & 32) <> 0;
