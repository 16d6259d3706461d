ALTER TABLE expunged DROP COLUMN message_id;
