//! Committee desk benchmark.
//!
//! `seed` migrates a database and writes a realistic history of incidents (a million in
//! a few minutes) with their tickets, timeline and failed deliveries; `measure` starts
//! `target/release/incident-desk serve` on that database, signs in an admin and a
//! committee officer, and times the desk's queue pages one request after another.

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
    /// Migrate the database and add `--count` incidents to it.
    Seed(seed::Args),
    /// Serve the seeded database and time the queue pages.
    Measure(measure::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Seed(args) => seed::run(args).await,
        Command::Measure(args) => measure::run(args).await,
    }
}
