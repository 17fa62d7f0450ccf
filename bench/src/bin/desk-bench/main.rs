//! Committee desk benchmark.
//!
//! `seed` migrates a database and writes a realistic history of incidents (a million in
//! a few minutes) with their tickets, timeline and failed deliveries.

mod dataset;
mod seed;
mod sql;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database and add `--count` incidents to it.
    Seed(seed::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed(args) => seed::run(args).await,
    }
}
