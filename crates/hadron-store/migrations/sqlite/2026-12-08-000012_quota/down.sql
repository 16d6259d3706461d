ALTER TABLE users DROP COLUMN quota_messages;
ALTER TABLE users DROP COLUMN quota_storage_kib;
