use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    incident_desk::app::cli::run(incident_desk::app::cli::Cli::parse()).await
}
