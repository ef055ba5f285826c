use clap::Parser;
use govsite::config::{
    AuditCommand, Cli, Command, KeysCommand, LogFormat, UnitsCommand, ZoneCommand,
};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // One TLS crypto provider for the whole process (SMTP, SMS gateway, PostgreSQL).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let filter = || {
        EnvFilter::try_from_env("GOVSITE_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"))
    };
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_target(false)
            .with_writer(std::io::stderr)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init(),
    }
    match cli.command {
        Command::Serve(args) => govsite::server::serve(*args).await,
        Command::Demo(args) => govsite::demo::run(args).await,
        Command::Zone(ZoneCommand::Export(args)) => govsite::zone::export(args).await,
        Command::BadgeCheck(args) => govsite::badge::checker::command(args).await,
        Command::Units(UnitsCommand::Import(args)) => govsite::units_import::command(args).await,
        Command::Keys(KeysCommand::Rotate(args)) => {
            let db = args.open().await?;
            let actor = govsite::store::audit::Actor::system("keys-rotate");
            let now = chrono::Utc::now().timestamp();
            let kid = govsite::registry::keys::rotate_badge_key(&db, &actor, now).await?;
            println!(
                "网站标识签名密钥已更换，各服务节点一分钟内启用新密钥；旧公钥仍在 /v/keys.json 公布。"
            );
            println!("{kid}");
            Ok(())
        }
        Command::Audit(AuditCommand::Verify(args)) => {
            let db = args.connect().await?;
            let v = govsite::registry::audit_chain::verify(&db).await?;
            if let Some((entry, why)) = &v.broken {
                anyhow::bail!(
                    "审计链在审计记录 #{}（链上第 {} 条）处断开：{}；此前 {} 条完好",
                    entry.audit_id,
                    entry.seq,
                    why.label(),
                    v.checked
                );
            }
            match &v.head {
                Some(head) => println!(
                    "审计链完好：已封存 {} 条，最新为审计记录 #{}，{} {}",
                    v.checked,
                    head.audit_id,
                    head.algorithm.to_uppercase(),
                    head.hash
                ),
                None => println!("审计链为空：尚无封存的审计记录"),
            }
            println!("未封存 {} 条（服务运行时每5秒封存一次）", v.unsealed);
            Ok(())
        }
        Command::ApiKey(cmd) => govsite::api_key_cli::command(cmd).await,
        Command::Backup(args) => govsite::backup::backup(args).await,
        Command::Restore(args) => govsite::backup::restore(args).await,
        Command::Migrate(args) => {
            let db = args.connect().await?;
            db.migrate().await?;
            println!("数据库已是最新版本 (database is up to date)");
            Ok(())
        }
    }
}
