//! Test support (feature `testing`): a PostgreSQL database of one's own.
//!
//! The test suites of this crate and of the crates above it run against
//! PostgreSQL when `HADRON_TEST_PG` names a server; each test gets a
//! uniquely named database that is dropped when the test is done.

use std::sync::atomic::{AtomicU32, Ordering};

use diesel::prelude::*;

/// A PostgreSQL database created for one test and dropped (`WITH (FORCE)`)
/// when this value is dropped.
#[derive(Debug)]
pub struct PgTestDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgTestDatabase {
    /// Creates `<prefix>_<pid>_<n>_<nanos>` on the server `HADRON_TEST_PG`
    /// names; `None`, with the reason printed, when the variable is unset.
    ///
    /// # Panics
    ///
    /// When the server is unreachable or refuses the database: a test run
    /// that asked for PostgreSQL must not silently skip it.
    pub fn create(prefix: &str) -> Option<PgTestDatabase> {
        static N: AtomicU32 = AtomicU32::new(0);
        let Ok(admin) = std::env::var("HADRON_TEST_PG") else {
            eprintln!("skipping the PostgreSQL run: HADRON_TEST_PG is not set");
            return None;
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "{prefix}_{}_{}_{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
        );
        let mut c = PgConnection::establish(&admin).expect("HADRON_TEST_PG unreachable");
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut c)
            .expect("create database");
        let url = with_database(&admin, &name);
        Some(PgTestDatabase { admin, name, url })
    }

    /// The URL of the new database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Ends (`pg_terminate_backend`) the sessions on this database whose
    /// last statement starts with `statement` — `"LISTEN"` for the change
    /// listeners — as a server restart or a network cut would; returns
    /// how many.
    pub fn terminate_sessions(&self, statement: &str) -> usize {
        #[derive(QueryableByName)]
        struct Ended {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            ended: bool,
        }
        let mut c = PgConnection::establish(&self.url).expect("test database unreachable");
        diesel::sql_query(
            "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND query LIKE $1 || '%'",
        )
        .bind::<diesel::sql_types::Text, _>(statement)
        .load::<Ended>(&mut c)
        .expect("pg_terminate_backend")
        .iter()
        .filter(|e| e.ended)
        .count()
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = PgConnection::establish(&self.admin) {
            let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            let _ = diesel::sql_query(sql).execute(&mut c);
        }
    }
}

/// Makes `mailbox`'s rows look as if written before the store kept each message's `Date:`
/// day (the column NULL), so tests reach the path that reads the header instead.
pub fn forget_sent_days(store: &crate::Store, mailbox: crate::MailboxId) -> usize {
    store.forget_sent_days(mailbox).expect("forget_sent_days")
}

/// Sets the save date of every message of `mailbox` to `when` (Unix seconds); `None` makes
/// them look as if stored before the store kept save dates. Returns how many rows changed.
pub fn set_save_dates(store: &crate::Store, mailbox: crate::MailboxId, when: Option<i64>) -> usize {
    store.set_save_dates(mailbox, when).expect("set_save_dates")
}

/// Makes the messages of `mailbox` look as if stored before the store kept their SORT and
/// THREAD keys (the columns NULL), so tests reach the paths that derive them from the search
/// columns or the message.
pub fn forget_sort_keys(store: &crate::Store, mailbox: crate::MailboxId) -> usize {
    store.forget_sort_keys(mailbox).expect("forget_sort_keys")
}

/// Makes the messages of `mailbox` look as if stored before the store kept their previews (the
/// column NULL), so tests reach the path that computes them from the body.
pub fn forget_previews(store: &crate::Store, mailbox: crate::MailboxId) -> usize {
    store.forget_previews(mailbox).expect("forget_previews")
}

/// Takes every message of `mailbox` out of the full-text index for good (the background
/// indexer will not offer them again), so tests reach the path that reads their bodies.
pub fn forget_text_index(store: &crate::Store, mailbox: crate::MailboxId) -> usize {
    store.forget_text_index(mailbox).expect("forget_text_index")
}

/// `postgres://host/db?query` with the database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database_name() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "t"),
            "postgres://u@h:5432/t"
        );
        assert_eq!(with_database("postgres://h", "t"), "postgres://h/t");
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "t"),
            "postgres://h/t?sslmode=disable"
        );
    }
}
