ALTER TABLE messages DROP COLUMN preview;
