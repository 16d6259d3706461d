-- Per-user quota limits (RFC 9208, one quota root per user covering all its mailboxes): the
-- STORAGE limit in units of 1024 octets and the MESSAGE limit, NULL for no limit. Usage is
-- not stored here: it is summed from the mailboxes' counters (`message_count`, `total_size`).
ALTER TABLE users ADD COLUMN quota_storage_kib BIGINT;
ALTER TABLE users ADD COLUMN quota_messages BIGINT;
