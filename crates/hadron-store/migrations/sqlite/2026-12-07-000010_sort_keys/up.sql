-- The keys SORT compares (RFC 5256), computed at ingest so that sorting never re-reads a
-- message: the base subject (§2.1), and the local parts of the first From, To and Cc
-- addresses joined by line feeds (which no local part holds), each '' when the header is
-- missing. NULL for rows written before this migration (computing them needs the header,
-- which SQL cannot parse): SORT then derives them from the decoded search columns.
ALTER TABLE messages ADD COLUMN sort_subject TEXT;
ALTER TABLE messages ADD COLUMN sort_addresses TEXT;
