//! Developer tasks for the Hadron workspace: `cargo xtask <command>`.

mod codegen;
mod migrate;

use clap::Parser;

/// Hadron developer tasks.
#[derive(Debug, Parser)]
enum Cmd {
    /// Apply the store's migrations to a database (or `new NAME` to scaffold one).
    Migrate(migrate::MigrateArgs),
    /// Regenerate crates/hadron-store/src/schema.rs from the migrations.
    Codegen(codegen::CodegenArgs),
}

fn main() -> anyhow::Result<()> {
    match Cmd::parse() {
        Cmd::Migrate(args) => migrate::migrate(args),
        Cmd::Codegen(args) => codegen::codegen(args),
    }
}
