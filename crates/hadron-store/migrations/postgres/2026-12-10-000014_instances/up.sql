-- The running `hadron serve` processes on this database (issue 15's `hadron stats`): each
-- registers itself at start, refreshes its heartbeat and its count of logged-in IMAP
-- sessions every few seconds, and removes its row at a clean shutdown. A row whose heartbeat
-- is stale is a process that died: readers ignore it, and the next start prunes it.
CREATE TABLE instances (
    id TEXT PRIMARY KEY NOT NULL,
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    sessions BIGINT NOT NULL DEFAULT 0
);
