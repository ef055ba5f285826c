use clap::Parser;
use govsite::config::{Cli, Command, UnitsCommand, ZoneCommand};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // One TLS crypto provider for the whole process (SMTP, SMS gateway, PostgreSQL).
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("GOVSITE_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => govsite::server::serve(*args).await,
        Command::Demo(args) => govsite::demo::run(args).await,
        Command::Zone(ZoneCommand::Export(args)) => govsite::zone::export(args).await,
        Command::BadgeCheck(args) => govsite::badge::checker::command(args).await,
        Command::Units(UnitsCommand::Import(args)) => govsite::units_import::command(args).await,
        Command::Migrate(args) => {
            let db = args.connect().await?;
            db.migrate().await?;
            println!("数据库已是最新版本 (database is up to date)");
            Ok(())
        }
    }
}
