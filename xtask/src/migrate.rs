//! `cargo xtask migrate`: apply the store's migrations, or scaffold a new one.

use std::path::PathBuf;

use anyhow::{Context, bail};

/// Arguments of `cargo xtask migrate`.
#[derive(Debug, clap::Args)]
pub(crate) struct MigrateArgs {
    /// Database to migrate: `sqlite://PATH` or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://hadron.db")]
    pub(crate) database: String,
    /// `new NAME` scaffolds a migration instead of applying them.
    #[command(subcommand)]
    pub(crate) command: Option<MigrateCommand>,
}

/// Subcommands of `cargo xtask migrate`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum MigrateCommand {
    /// Create empty up.sql/down.sql for both backends under crates/hadron-store/migrations.
    New {
        /// Snake-case name of the migration.
        name: String,
    },
}

/// The hadron-store crate directory.
pub(crate) fn store_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/hadron-store")
}

/// Runs `cargo xtask migrate`.
pub(crate) fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    match args.command {
        None => {
            let applied = hadron_store::Store::migrate(&args.database)
                .with_context(|| format!("migrating {}", args.database))?;
            if applied.is_empty() {
                println!("{}: schema is up to date", args.database);
            }
            for v in applied {
                println!("{}: applied {v}", args.database);
            }
            Ok(())
        }
        Some(MigrateCommand::New { name }) => {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                bail!("migration name must be non-empty [A-Za-z0-9_]");
            }
            let dir_name = format!("{}_{name}", timestamp());
            for backend in ["sqlite", "postgres"] {
                let dir = store_dir().join("migrations").join(backend).join(&dir_name);
                std::fs::create_dir_all(&dir)?;
                std::fs::write(dir.join("up.sql"), format!("-- {name} ({backend})\n"))?;
                std::fs::write(
                    dir.join("down.sql"),
                    format!("-- revert {name} ({backend})\n"),
                )?;
                println!("created {}", dir.display());
            }
            println!("then run `cargo xtask codegen` to refresh src/schema.rs");
            Ok(())
        }
    }
}

/// Current UTC time as `YYYY-MM-DD-HHMMSS` (diesel's migration directory prefix).
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
