//! The operations, compiled once per backend from `ops_impl.rs`.

/// Operations on PostgreSQL connections.
pub(crate) mod pg {
    #![allow(clippy::too_many_arguments)]
    type Conn = diesel::PgConnection;
    type DB = diesel::pg::Pg;
    include!("ops_impl.rs");
}

/// Operations on SQLite connections.
pub(crate) mod sqlite {
    #![allow(clippy::too_many_arguments)]
    type Conn = diesel::SqliteConnection;
    type DB = diesel::sqlite::Sqlite;
    include!("ops_impl.rs");
}
