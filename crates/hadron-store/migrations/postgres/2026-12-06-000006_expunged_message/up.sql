-- The message row each expunged UID referred to (NULL for rows expunged before this
-- migration). An instance told of an expunge committed by another instance on the same
-- database reads an expunged message's metadata through it, so a session that still shows
-- the message can FETCH and SEARCH it until it is told (RFC 3501 §7.4.1), as it can after a
-- local expunge; message rows and bodies stay until garbage collection.
ALTER TABLE expunged ADD COLUMN message_id BIGINT;
