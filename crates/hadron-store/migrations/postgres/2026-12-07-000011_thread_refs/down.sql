ALTER TABLE messages DROP COLUMN thread_refs;
ALTER TABLE messages ADD COLUMN message_id_header TEXT;
