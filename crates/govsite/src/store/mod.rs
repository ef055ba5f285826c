//! Storage: one connection pool over SQLite (the embedded default) or PostgreSQL, chosen by URL.
//!
//! All SQL is portable between the two engines: `$n` placeholders, integers for flags, money in
//! fen and times in unix seconds. Each submodule owns the queries of one table family.

pub mod accounts;
pub mod api_keys;
pub mod applications;
pub mod audit;
pub mod audit_chain;
pub mod backup;
pub mod badge_book;
pub mod badge_checks;
pub mod badges;
pub mod calendar;
pub mod campaigns;
pub mod captchas;
pub mod changes;
pub mod contact_reveals;
pub mod dashboard;
pub mod domains;
pub mod forwards;
pub mod inbox;
pub mod invoices;
pub mod ledger;
pub mod metrics;
mod migrate;
pub mod offices;
pub mod outbox;
pub mod policy;
pub mod questions;
pub mod queues;
pub mod red_pages;
pub mod reference;
pub mod reorganisation;
pub mod rosters;
pub mod secrets;
pub mod sessions;
pub mod sites;
pub mod supervision;
pub mod synthetic;
pub mod throttle;
pub mod tokens;
pub mod transfers;
pub mod units;
pub mod zones;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use migrate::MIGRATIONS;

use crate::auth::seal::Sealer;

/// How long a request may wait for a pooled connection, or on SQLite for its turn to write.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which engine the pool talks to, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("unsupported database URL (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    #[error("a row with the same {0} already exists")]
    Duplicate(&'static str),
    #[error("reference data is malformed: {0}")]
    Reference(String),
    /// A stored value none of our types accepts (an unknown state, say): the row is named.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Sealing(#[from] crate::auth::seal::SealError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The database handle shared by every role of the process.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Seals and opens the secrets kept in the database ([`secrets`]); none until
    /// [`Db::with_sealer`], and then secrets can be neither read nor made.
    sealer: Option<Arc<Sealer>>,
    /// SQLite only: write transactions queue here, first come first served, before they take
    /// a connection ([`Db::begin`]). SQLite's own busy wait is a sleep-and-retry that starves
    /// unlucky writers, and a writer waiting in it holds a pooled connection the transaction
    /// in progress may need; the queue holds neither.
    write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// A write transaction: the connection inside it, and on SQLite the writers' queue held until
/// it commits or rolls back (dropping it rolls back).
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

/// A pooled connection for writes outside a transaction, holding the writers' queue on SQLite.
pub struct WriteConn {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteConn {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.conn
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

impl Db {
    /// Opens a pool for `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let options = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            .acquire_timeout(ACQUIRE_TIMEOUT);
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
                        .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(url).await?;
        if backend == Backend::Sqlite {
            // WAL lets readers run beside the one writer; the setting persists in the file.
            pool.execute("PRAGMA journal_mode = WAL;").await?;
        }
        Ok(Self {
            pool,
            backend,
            sealer: None,
            write_gate: (backend == Backend::Sqlite).then(Default::default),
        })
    }

    /// This handle with the key that seals the database's secrets.
    pub fn with_sealer(mut self, sealer: Sealer) -> Self {
        self.sealer = Some(Arc::new(sealer));
        self
    }

    /// The key that seals secrets, or an error saying none was given.
    pub(crate) fn sealer(&self) -> StoreResult<&Sealer> {
        self.sealer
            .as_deref()
            .ok_or(StoreError::Sealing(crate::auth::seal::SealError::NoKey))
    }

    /// The SQLite URL for the database file inside a data directory, creating the directory.
    /// The data directory is made (or tightened to) `0700` and the database file created
    /// `0600`, so other users of the machine read neither the data nor the secrets in it;
    /// SQLite gives its journal files the database file's permissions.
    pub fn sqlite_url_in(data_dir: &Path) -> std::io::Result<String> {
        std::fs::create_dir_all(data_dir)?;
        let file = data_dir.join("govsite.db");
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&file)?;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(format!("sqlite://{}?mode=rwc", file.display()))
    }

    /// Starts a write transaction. On SQLite it first waits its turn in the writers' queue,
    /// without a connection, then takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// transaction that reads before it writes never fails with "database is locked" at its
    /// first write.
    pub async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        let turn = self.write_turn().await?;
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx { tx, _turn: turn })
    }

    /// A connection for one statement that writes outside any transaction; on SQLite it waits
    /// its turn in the writers' queue like [`Db::begin`].
    pub async fn writer(&self) -> Result<WriteConn, sqlx::Error> {
        let turn = self.write_turn().await?;
        let conn = self.pool.acquire().await?;
        Ok(WriteConn { conn, _turn: turn })
    }

    /// Waits for the writers' queue on SQLite, as long as the pool lets a request wait for a
    /// connection: a writer that waits longer fails as a timed-out pool does (the web answers
    /// 503), never hangs.
    async fn write_turn(&self) -> Result<Option<tokio::sync::OwnedMutexGuard<()>>, sqlx::Error> {
        let Some(gate) = &self.write_gate else {
            return Ok(None);
        };
        match tokio::time::timeout(ACQUIRE_TIMEOUT, gate.clone().lock_owned()).await {
            Ok(turn) => Ok(Some(turn)),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every pending migration, then loads reference data that is still missing.
    pub async fn migrate(&self) -> StoreResult<()> {
        migrate::run(self).await?;
        reference::load(self).await
    }

    /// True when the database answers and every shipped migration is applied.
    pub async fn migrations_current(&self) -> StoreResult<bool> {
        migrate::is_current(self).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A stored value read into one of our types, or [`StoreError::Corrupt`] naming the table,
/// the row and the column: an unknown state in the database is an error, never a default.
pub(crate) fn stored<T>(
    table: &str,
    id: i64,
    column: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> StoreResult<T> {
    parse(value)
        .ok_or_else(|| StoreError::Corrupt(format!("{table} row {id}: unknown {column} {value:?}")))
}

/// The rows a background job works through: a row none of our types accepts is logged (table
/// and row named) and left out, so one bad row does not stop expiry or escalation for every
/// unit; any other error stops the job as before.
pub(crate) fn skipping_corrupt<T>(
    rows: impl IntoIterator<Item = StoreResult<T>>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    for row in rows {
        match row {
            Ok(v) => out.push(v),
            Err(StoreError::Corrupt(what)) => {
                tracing::error!(row = %what, "stored row left out: a value none of our types accepts");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// A site's stored badge state (`sites.badge_state`), or [`StoreError::Corrupt`] naming the row.
pub(crate) fn stored_badge_state(
    site: i64,
    state: &str,
) -> StoreResult<govsite_core::badge_state::BadgeState> {
    stored("sites", site, "badge_state", state, |s| {
        govsite_core::badge_state::BadgeState::parse(s).ok()
    })
}

/// A stored JSON document read back, or [`StoreError::Corrupt`] naming the row.
pub(crate) fn stored_json<T: serde::de::DeserializeOwned>(
    table: &str,
    id: i64,
    column: &str,
    json: &str,
) -> StoreResult<T> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("{table} row {id}: {column} unreadable: {e}")))
}

/// Maps a unique-constraint violation to [`StoreError::Duplicate`] naming `what`.
pub(crate) fn map_unique(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(what),
        _ => StoreError::Sql(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// More writers than connections, each reading on a second pooled connection while it
    /// holds the write lock. Were writers to wait for SQLite's lock while holding connections,
    /// the one holding the lock would wait for a connection until the pool timed out.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_reading_inside_their_transaction_never_starve_the_sqlite_pool() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&Db::sqlite_url_in(dir.path()).unwrap())
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER NOT NULL)")
            .execute(db.pool())
            .await
            .unwrap();
        let writers: Vec<_> = (0..24_i64)
            .map(|n| {
                let db = db.clone();
                tokio::spawn(async move {
                    let mut tx = db.begin().await?;
                    sqlx::query("INSERT INTO t (n) VALUES ($1)")
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("SELECT COUNT(*) AS c FROM t")
                        .fetch_one(db.pool())
                        .await?;
                    tx.commit().await
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap().unwrap();
        }
        let rows: i64 = sqlx::Row::get(
            &sqlx::query("SELECT COUNT(*) AS c FROM t")
                .fetch_one(db.pool())
                .await
                .unwrap(),
            "c",
        );
        assert_eq!(rows, 24);
    }
}
