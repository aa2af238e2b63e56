use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    introgate::cli::run(introgate::cli::Cli::parse()).await
}
