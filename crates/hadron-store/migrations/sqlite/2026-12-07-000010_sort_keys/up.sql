-- The keys SORT compares (RFC 5256, RFC 5957), computed at ingest so that sorting never
-- re-reads a message: the base subject (§2.1); and, joined by line feeds, the mailboxes of the
-- first From, To and Cc addresses and the display forms of the first From and To; each ''
-- when the header is missing. NULL for rows written before this migration (computing them needs the header,
-- which SQL cannot parse): SORT then derives them from the decoded search columns.
ALTER TABLE messages ADD COLUMN sort_subject TEXT;
ALTER TABLE messages ADD COLUMN sort_addresses TEXT;
