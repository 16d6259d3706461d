//! Generates `src/schema.rs` (the diesel `table!` definitions) from a migrated database, so
//! the checked-in file can be regenerated (`cargo xtask codegen`) and checked for drift
//! against both backends (a test does).
//!
//! Types are mapped to the ones both backends share: ids are `BigInt` everywhere (SQLite's
//! `INTEGER PRIMARY KEY` rowid is 64-bit), `INTEGER`/`int4` → `Integer`, `BIGINT`/`int8` →
//! `BigInt`, `TEXT` → `Text`, `BLOB`/`bytea` → `Binary`.

use std::fmt::Write as _;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel::{PgConnection, SqliteConnection};

use crate::error::{Result, StoreError};

struct Column {
    name: String,
    ty: &'static str,
    nullable: bool,
}

struct Table {
    name: String,
    pk: Vec<String>,
    columns: Vec<Column>,
    /// (column, referenced table)
    fks: Vec<(String, String)>,
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct SqliteCol {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    ty: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct PgCol {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    ty: String,
    #[diesel(sql_type = Text)]
    nullable: String,
}

#[derive(QueryableByName)]
struct FkRow {
    #[diesel(sql_type = Text)]
    col: String,
    #[diesel(sql_type = Text)]
    target: String,
}

fn unknown_type(table: &str, col: &str, ty: &str) -> StoreError {
    StoreError::Migration(format!(
        "codegen: no mapping for {table}.{col} of type {ty}"
    ))
}

fn sqlite_tables(c: &mut SqliteConnection) -> Result<Vec<Table>> {
    let names: Vec<NameRow> = diesel::sql_query(
        // Ordinary tables only: not the full-text index (`virtual`) nor its `shadow` tables,
        // which exist on SQLite alone and which no query reaches through diesel's DSL.
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel%' ORDER BY name",
    )
    .load(c)?;
    let mut out = Vec::new();
    for NameRow { name } in names {
        let cols: Vec<SqliteCol> = diesel::sql_query(
            "SELECT name, type AS ty, \"notnull\" AS not_null, pk FROM pragma_table_info(?) \
             ORDER BY cid",
        )
        .bind::<Text, _>(&name)
        .load(c)?;
        let mut pk: Vec<(i32, String)> = cols
            .iter()
            .filter(|c| c.pk > 0)
            .map(|c| (c.pk, c.name.clone()))
            .collect();
        pk.sort();
        let single_pk = pk.len() == 1;
        let mut columns = Vec::new();
        for col in &cols {
            let ty = match col.ty.to_ascii_uppercase().as_str() {
                "INTEGER" if single_pk && col.pk > 0 => "BigInt",
                "INTEGER" => "Integer",
                "BIGINT" => "BigInt",
                "TEXT" => "Text",
                "BLOB" => "Binary",
                other => return Err(unknown_type(&name, &col.name, other)),
            };
            columns.push(Column {
                name: col.name.clone(),
                ty,
                nullable: col.not_null == 0 && col.pk == 0,
            });
        }
        let fks: Vec<FkRow> = diesel::sql_query(
            "SELECT \"from\" AS col, \"table\" AS target FROM pragma_foreign_key_list(?)",
        )
        .bind::<Text, _>(&name)
        .load(c)?;
        out.push(Table {
            name,
            pk: pk.into_iter().map(|(_, n)| n).collect(),
            columns,
            fks: fks.into_iter().map(|f| (f.col, f.target)).collect(),
        });
    }
    Ok(out)
}

fn pg_tables(c: &mut PgConnection) -> Result<Vec<Table>> {
    let names: Vec<NameRow> = diesel::sql_query(
        // Not the full-text index (`message_fulltext`): each backend keeps it in its own
        // shape (an FTS5 table on SQLite, skipped above), and no query reaches it through
        // diesel's DSL.
        "SELECT table_name::text AS name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
         AND table_name NOT LIKE '\\_\\_diesel%' AND table_name <> 'message_fulltext' \
         ORDER BY table_name",
    )
    .load(c)?;
    let mut out = Vec::new();
    for NameRow { name } in names {
        let cols: Vec<PgCol> = diesel::sql_query(
            "SELECT column_name::text AS name, udt_name::text AS ty, is_nullable::text AS nullable \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 \
             ORDER BY ordinal_position",
        )
        .bind::<Text, _>(&name)
        .load(c)?;
        let pk: Vec<NameRow> = diesel::sql_query(
            "SELECT a.attname::text AS name FROM pg_index i JOIN pg_attribute a \
             ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
             WHERE i.indrelid = $1::regclass AND i.indisprimary \
             ORDER BY array_position(i.indkey::int2[], a.attnum)",
        )
        .bind::<Text, _>(&name)
        .load(c)?;
        let mut columns = Vec::new();
        for col in &cols {
            let ty = match col.ty.as_str() {
                "int4" => "Integer",
                "int8" => "BigInt",
                "text" => "Text",
                "bytea" => "Binary",
                other => return Err(unknown_type(&name, &col.name, other)),
            };
            columns.push(Column {
                name: col.name.clone(),
                ty,
                nullable: col.nullable == "YES",
            });
        }
        let fks: Vec<FkRow> = diesel::sql_query(
            "SELECT a.attname::text AS col, c.confrelid::regclass::text AS target \
             FROM pg_constraint c JOIN pg_attribute a \
             ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
             WHERE c.contype = 'f' AND c.conrelid = $1::regclass",
        )
        .bind::<Text, _>(&name)
        .load(c)?;
        out.push(Table {
            name,
            pk: pk.into_iter().map(|r| r.name).collect(),
            columns,
            fks: fks.into_iter().map(|f| (f.col, f.target)).collect(),
        });
    }
    Ok(out)
}

fn render(tables: &[Table]) -> String {
    let mut s = String::new();
    s.push_str(
        "// @generated by `cargo xtask codegen` from the migrations; do not edit by hand.\n\
         // A test checks that it matches a freshly migrated database on both backends.\n\
         //! Diesel table definitions shared by both backends.\n\
         #![allow(missing_docs, unreachable_pub)]\n",
    );
    for t in tables {
        let _ = writeln!(
            s,
            "\ndiesel::table! {{\n    {} ({}) {{",
            t.name,
            t.pk.join(", ")
        );
        for c in &t.columns {
            let ty = if c.nullable {
                format!("Nullable<{}>", c.ty)
            } else {
                c.ty.to_owned()
            };
            let _ = writeln!(s, "        {} -> {},", c.name, ty);
        }
        s.push_str("    }\n}\n");
    }
    let mut joins: Vec<String> = tables
        .iter()
        .flat_map(|t| {
            t.fks.iter().map(move |(col, target)| {
                format!("diesel::joinable!({} -> {target} ({col}));", t.name)
            })
        })
        .collect();
    joins.sort();
    joins.dedup();
    if !joins.is_empty() {
        s.push('\n');
        for j in joins {
            s.push_str(&j);
            s.push('\n');
        }
    }
    s.push_str("\ndiesel::allow_tables_to_appear_in_same_query!(\n");
    for t in tables {
        let _ = writeln!(s, "    {},", t.name);
    }
    s.push_str(");\n");
    s
}

/// Migrates the database at `url` (`sqlite://…` or `postgres://…`) and renders `schema.rs`
/// from what the database then contains.
pub fn generate_schema(url: &str) -> Result<String> {
    crate::Store::migrate(url)?;
    let tables = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        pg_tables(&mut PgConnection::establish(url)?)?
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        sqlite_tables(&mut SqliteConnection::establish(path)?)?
    } else {
        return Err(StoreError::BadUrl(url.to_owned()));
    };
    Ok(render(&tables))
}

/// The checked-in `schema.rs`.
pub const CHECKED_IN_SCHEMA: &str = include_str!("schema.rs");
