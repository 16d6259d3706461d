//! Embedded migrations and the schema version check.

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sqlite::Sqlite;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{Result, StoreError};

/// Migrations for SQLite, embedded at compile time.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// Migrations for PostgreSQL, embedded at compile time.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Brings the schema up to date, refusing a database that has migrations this build does not
/// know (it was migrated by a newer Hadron). Returns the names of the migrations it applied.
pub(crate) fn run<C, DB>(conn: &mut C, migrations: EmbeddedMigrations) -> Result<Vec<String>>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let known: Vec<String> = MigrationSource::<DB>::migrations(&migrations)
        .map_err(|e| StoreError::Migration(e.to_string()))?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    let applied = conn
        .applied_migrations()
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    if let Some(unknown) = applied
        .iter()
        .map(|v| v.to_string())
        .find(|v| !known.contains(v))
    {
        return Err(StoreError::SchemaTooNew { unknown });
    }
    let done = conn
        .run_pending_migrations(migrations)
        .map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok(done.iter().map(|v| v.to_string()).collect())
}

/// Runs the SQLite migrations on `conn`.
pub(crate) fn run_sqlite(conn: &mut diesel::SqliteConnection) -> Result<Vec<String>> {
    run::<_, Sqlite>(conn, SQLITE_MIGRATIONS)
}

/// Runs the PostgreSQL migrations on `conn`, under an advisory lock so that several instances
/// starting at once migrate one after the other.
pub(crate) fn run_postgres(conn: &mut diesel::PgConnection) -> Result<Vec<String>> {
    use diesel::RunQueryDsl;
    const LOCK: i64 = 0x4841_4452_4f4e; // "HADRON"
    diesel::sql_query(format!("SELECT pg_advisory_lock({LOCK})")).execute(conn)?;
    let r = run::<_, Pg>(conn, POSTGRES_MIGRATIONS);
    diesel::sql_query(format!("SELECT pg_advisory_unlock({LOCK})")).execute(conn)?;
    r
}
