ALTER TABLE messages DROP COLUMN sort_addresses;
ALTER TABLE messages DROP COLUMN sort_subject;
