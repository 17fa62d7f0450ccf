//! Page register benchmark.
//!
//! `seed` migrates a database and writes a register at an organisation's scale (a million
//! declared pages of 300,000 members by default) with every version and the declaration
//! requests that asked the members; `measure` starts `target/release/incident-desk serve`
//! on that database with a key of the register's read scope, and times searches by link
//! and by phone and the list of members who have not answered a request.

mod dataset;
mod measure;
mod seed;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database and write the register into it.
    Seed(seed::Args),
    /// Serve the seeded database and time the register's queries.
    Measure(measure::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed(args) => seed::run(args).await,
        Command::Measure(args) => measure::run(args).await,
    }
}
