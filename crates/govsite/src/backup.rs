//! `govsite backup` and `govsite restore`: a consistent copy of the database while the service
//! runs, and that copy put back into an empty place (or over a database, when told).
//!
//! SQLite: `VACUUM INTO` (see `store::backup`); restoring copies the file into the data
//! directory (the service stopped). PostgreSQL: `pg_dump --format=custom` (one snapshot) and
//! `pg_restore`, found on the PATH or under /usr/lib/postgresql. The secret key file is never
//! in a backup: it is kept apart, and a restore needs it beside the database.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::config::{BackupArgs, RestoreArgs};
use crate::store::{Backend, Db, backup};

/// The PostgreSQL client tool `name` (pg_dump, pg_restore): on the PATH, else the newest
/// under /usr/lib/postgresql.
fn pg_tool(name: &str) -> anyhow::Result<PathBuf> {
    let on_path = Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        return Ok(PathBuf::from(name));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let tool = e.path().join("bin").join(name);
            tool.exists().then_some((version, tool))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .with_context(|| format!("没有找到 {name}：请安装与数据库同版本的 PostgreSQL 客户端工具"))
}

fn run(mut cmd: Command, what: &str) -> anyhow::Result<()> {
    let out = cmd.output().with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    if args.out.exists() {
        bail!("{} 已存在：备份不会覆盖已有文件", args.out.display());
    }
    let db = args.database.connect().await?;
    write(&db, &args.database.url()?, &args.out).await?;
    let tables = backup::tables(&db).await?.len();
    let size = std::fs::metadata(&args.out)?.len();
    println!(
        "已备份 {} 张表到 {}（{} 字节）。密钥文件不在备份中，请另行妥善保管。",
        tables,
        args.out.display(),
        size
    );
    Ok(())
}

/// Writes a consistent copy of `db` (reached at `url`) to `out`, readable by its owner only.
pub async fn write(db: &Db, url: &str, out: &Path) -> anyhow::Result<()> {
    if !backup::holds_data(db).await? {
        bail!("数据库是空的，没有可备份的内容");
    }
    match db.backend() {
        Backend::Sqlite => backup::sqlite_copy(db, out)
            .await
            .context("VACUUM INTO failed")?,
        Backend::Postgres => {
            let mut cmd = tokio::process::Command::new(pg_tool("pg_dump")?);
            cmd.args(["--format=custom", "--no-owner", "--file"])
                .arg(out)
                .arg(url);
            let done = cmd.output().await.context("cannot run pg_dump")?;
            if !done.status.success() {
                bail!(
                    "pg_dump failed: {}",
                    String::from_utf8_lossy(&done.stderr).trim()
                );
            }
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// The files a schedule writes: `govsite-YYYYMMDD-HHMMSS.backup` (UTC), so that their names
/// sort by age.
const PREFIX: &str = "govsite-";
const SUFFIX: &str = ".backup";

/// One scheduled backup: a new file in `dir` named by `now`, then only the newest `keep`
/// scheduled files are kept. Returns the new file.
pub async fn scheduled(
    db: &Db,
    url: &str,
    dir: &Path,
    keep: usize,
    now: i64,
) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stamp = chrono::DateTime::from_timestamp(now, 0)
        .unwrap_or_default()
        .format("%Y%m%d-%H%M%S");
    let out = dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    if !out.exists() {
        write(db, url, &out).await?;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(keep.max(1));
    for old in &files[..excess] {
        std::fs::remove_file(old)?;
    }
    Ok(out)
}

/// Backs up every `every` until `stop`, keeping the newest `keep` (`--backup-dir`). Run it in
/// one process of a deployment only.
pub async fn run_schedule(
    db: Db,
    url: String,
    dir: PathBuf,
    keep: usize,
    every: std::time::Duration,
    clock: crate::clock::SharedClock,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(every) => {}
        }
        match scheduled(&db, &url, &dir, keep, clock.now()).await {
            Ok(file) => tracing::info!(file = %file.display(), "scheduled backup written"),
            Err(e) => tracing::error!(error = %e, "scheduled backup failed"),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Sqlite,
    PgDump,
}

fn kind_of(file: &Path) -> anyhow::Result<Kind> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let n = std::fs::File::open(file)
        .with_context(|| format!("cannot open {}", file.display()))?
        .read(&mut head)?;
    if head[..n].starts_with(b"SQLite format 3\0") {
        Ok(Kind::Sqlite)
    } else if head[..n].starts_with(b"PGDMP") {
        Ok(Kind::PgDump)
    } else {
        bail!("{} 不是 govsite backup 生成的备份文件", file.display())
    }
}

/// The database file a SQLite target names: `--database-url sqlite://PATH?…` or
/// govsite.db in `--data-dir`.
fn sqlite_file(args: &RestoreArgs) -> anyhow::Result<PathBuf> {
    match &args.database.database_url {
        Some(url) => {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .context("--database-url: not a sqlite:// URL")?;
            Ok(PathBuf::from(path.split('?').next().unwrap_or(path)))
        }
        None => {
            Db::sqlite_url_in(&args.database.data_dir)?;
            Ok(args.database.data_dir.join("govsite.db"))
        }
    }
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let kind = kind_of(&args.from)?;
    let target = args.database.connect().await?;
    let occupied = backup::holds_data(&target).await?;
    if occupied && !args.force {
        bail!("目标数据库已有数据：确认要用备份覆盖时，请加 --force（先停止服务）");
    }
    match (kind, target.backend()) {
        (Kind::Sqlite, Backend::Sqlite) => {
            target.close().await;
            // The copy is staged beside the target and checked before it replaces anything.
            let file = sqlite_file(&args)?;
            let staged = file.with_extension("db.restoring");
            std::fs::copy(&args.from, &staged)?;
            let copy = Db::connect(&format!("sqlite://{}", staged.display())).await?;
            let usable = backup::holds_data(&copy).await;
            copy.close().await;
            if !usable.unwrap_or(false) {
                let _ = std::fs::remove_file(&staged);
                bail!("{} 中没有 govsite 数据", args.from.display());
            }
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            std::fs::rename(&staged, &file)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
            }
        }
        (Kind::PgDump, Backend::Postgres) => {
            target.close().await;
            let url = args.database.url()?;
            let mut cmd = Command::new(pg_tool("pg_restore")?);
            cmd.args(["--no-owner", "--exit-on-error", "--single-transaction"]);
            if occupied {
                cmd.args(["--clean", "--if-exists"]);
            }
            cmd.arg("--dbname").arg(&url).arg(&args.from);
            run(cmd, "pg_restore")?;
        }
        (Kind::Sqlite, Backend::Postgres) => {
            bail!("这是 SQLite 数据库的备份，不能恢复到 PostgreSQL")
        }
        (Kind::PgDump, Backend::Sqlite) => {
            bail!("这是 PostgreSQL 数据库的备份，不能恢复到 SQLite")
        }
    }
    // A backup from an older version is brought up to this one.
    let db = args.database.connect().await?;
    db.migrate().await?;
    let mut rows = 0;
    let tables = backup::tables(&db).await?;
    for t in &tables {
        rows += backup::count(&db, t).await?;
    }
    println!(
        "已从 {} 恢复 {} 张表、{} 行。请确认密钥文件与恢复的数据库配套后再启动服务。",
        args.from.display(),
        tables.len(),
        rows
    );
    Ok(())
}
