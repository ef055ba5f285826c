//! `govsite api-key create | list | revoke`: the administrator's way to make a key for an
//! integration that has no one to sign in (the same checks and audit as the web page).

use anyhow::{Context, bail};
use govsite_core::api_key::KeyForm;
use govsite_core::ids::ApiKeyId;

use crate::config::{ApiKeyAccountArgs, ApiKeyCommand};
use crate::registry::{RegistryError, api_keys as decide};
use crate::store::accounts::{self, Account};
use crate::store::api_keys;
use crate::store::audit::Actor;

async fn account(args: &ApiKeyAccountArgs) -> anyhow::Result<(crate::store::Db, Account)> {
    let db = args.database.connect().await?;
    db.migrate().await?;
    let account = accounts::find_by_username(&db, args.account.trim())
        .await?
        .with_context(|| format!("没有名为 {} 的账号", args.account.trim()))?;
    Ok((db, account))
}

fn explain(e: RegistryError) -> anyhow::Error {
    match e {
        RegistryError::Form(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("；")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

fn date(ts: i64) -> String {
    crate::pages::format_ts(ts, "%Y-%m-%d %H:%M")
}

pub async fn command(cmd: ApiKeyCommand) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp();
    let actor = Actor::system("api-key");
    match cmd {
        ApiKeyCommand::Create(args) => {
            let (db, account) = account(&args.account).await?;
            let form = KeyForm {
                label: args.label.clone(),
                scope: args.scope.clone(),
                days: args.expires.to_string(),
            };
            let new = form
                .check(account.role)
                .map_err(|e| explain(RegistryError::Form(e)))?;
            let made = decide::create(&db, &actor, &account, &new, None, now)
                .await
                .map_err(explain)?;
            println!(
                "已为账号 {} 创建接口密钥 #{}（{}，{} 天后到期）。密钥只显示这一次，请妥善保存：",
                account.username,
                made.id,
                new.scope.label(),
                new.days
            );
            println!("{}", made.key);
        }
        ApiKeyCommand::List(args) => {
            let (db, account) = account(&args).await?;
            for k in api_keys::of_account(&db, account.id).await? {
                let state = match (k.revoked_at, k.live(now)) {
                    (Some(at), _) => format!("已吊销 {}", date(at)),
                    (None, false) => "已过期".to_owned(),
                    (None, true) => "有效".to_owned(),
                };
                println!(
                    "#{}\t{}\t{}\t{}\t到期 {}\t最近使用 {}\t{state}",
                    k.id,
                    k.hint,
                    k.scope.as_str(),
                    k.label,
                    date(k.expires_at),
                    k.last_used_at.map_or_else(|| "从未".to_owned(), date),
                );
            }
        }
        ApiKeyCommand::Revoke(args) => {
            let (db, account) = account(&args.account).await?;
            if args.id <= 0 {
                bail!("密钥编号应为正整数");
            }
            decide::revoke(&db, &actor, &account, ApiKeyId::new(args.id), now)
                .await
                .map_err(explain)?;
            println!("密钥 #{} 已吊销，立即生效", args.id);
        }
    }
    Ok(())
}
