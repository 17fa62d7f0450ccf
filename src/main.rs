use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    incident_desk::cli::run(incident_desk::cli::Cli::parse()).await
}
