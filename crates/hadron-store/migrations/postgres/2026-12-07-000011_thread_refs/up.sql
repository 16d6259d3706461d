-- What THREAD=REFERENCES (RFC 5256) links a message by, computed at ingest so that threading
-- never re-reads a message: its own Message-ID, then the Message-IDs it names as its
-- ancestors (References, else the first In-Reply-To), oldest first, one per line, without
-- angle brackets. NULL for rows written before this migration: THREAD then reads their
-- header. It replaces `message_id_header` (the raw Message-ID field), which nothing read.
ALTER TABLE messages DROP COLUMN message_id_header;
ALTER TABLE messages ADD COLUMN thread_refs TEXT;
