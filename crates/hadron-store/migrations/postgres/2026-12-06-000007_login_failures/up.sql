-- Failed logins by key ("ip:<address>", "user:<name>"): the count and the time of the last
-- failure (Unix seconds). On PostgreSQL every instance of a cluster counts and reads them here,
-- so throttling and lockout hold across instances; a single SQLite process keeps its own in
-- memory and leaves this table empty.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL,
    last_at BIGINT NOT NULL
);
