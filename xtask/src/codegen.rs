//! `cargo xtask codegen`: regenerate crates/hadron-store/src/schema.rs from the migrations.

use anyhow::{Context, bail};

/// Arguments of `cargo xtask codegen`.
#[derive(Debug, clap::Args)]
pub(crate) struct CodegenArgs {
    /// Database to generate from (migrated first). Default: a fresh temporary SQLite file.
    #[arg(long)]
    pub(crate) database: Option<String>,
    /// Only check that the checked-in schema.rs is current; fail if not.
    #[arg(long)]
    pub(crate) check: bool,
}

/// Runs `cargo xtask codegen`.
pub(crate) fn codegen(args: CodegenArgs) -> anyhow::Result<()> {
    let tmp = std::env::temp_dir().join(format!("hadron-codegen-{}.db", std::process::id()));
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", tmp.display()));
    let generated = hadron_store::codegen::generate_schema(&url);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    let generated = generated.with_context(|| format!("introspecting {url}"))?;
    let path = crate::migrate::store_dir().join("src/schema.rs");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let norm = |s: &str| s.split_whitespace().collect::<String>();
    if args.check {
        if norm(&current) != norm(&generated) {
            bail!(
                "{} is out of date: run `cargo xtask codegen`",
                path.display()
            );
        }
        println!("{} is up to date", path.display());
        return Ok(());
    }
    std::fs::write(&path, generated)?;
    println!("wrote {} (run `cargo fmt`)", path.display());
    Ok(())
}
