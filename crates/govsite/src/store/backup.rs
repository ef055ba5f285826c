//! Consistent copies of the database while the service runs, and their restore.
//!
//! SQLite: `VACUUM INTO` writes a transaction-consistent copy of the live database (readers and
//! the one writer carry on). PostgreSQL's copies are made by its own tools (`crate::backup`).
//! Also the tables and their checksums, to compare a restored copy with its source.

use std::path::Path;

use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Backend, Db, StoreError, StoreResult};

/// Every table of the schema (not the engine's own), in name order.
pub async fn tables(db: &Db) -> StoreResult<Vec<String>> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = current_schema()
             ORDER BY tablename"
        }
    };
    let rows = sqlx::query(sql).fetch_all(db.pool()).await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("name"))
        .collect::<Result<_, _>>()?)
}

/// Whether the database holds a govsite schema already (any migration applied).
pub async fn holds_data(db: &Db) -> StoreResult<bool> {
    Ok(tables(db).await?.iter().any(|t| t == "schema_migrations"))
}

/// A table's row count and a SHA-256 over every row (in the order of its first column), each
/// value as text: equal for two copies of one table, on one engine.
pub async fn checksum(db: &Db, table: &str) -> StoreResult<(i64, String)> {
    if !table
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(StoreError::Corrupt(format!("table name {table:?}")));
    }
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM {table} ORDER BY 1"
    )))
    .fetch_all(db.pool())
    .await?;
    let mut hash = Sha256::new();
    for row in &rows {
        for (i, _) in row.columns().iter().enumerate() {
            let text = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                v.map(|v| v.to_string())
            } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                v
            } else if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
                v.map(|b| data_encoding::HEXLOWER.encode(&b))
            } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
                v.map(|v| v.to_string())
            } else if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
                v.map(|v| v.to_string())
            } else {
                Some("?".to_owned())
            };
            hash.update(text.as_deref().unwrap_or("\u{0}NULL").as_bytes());
            hash.update([0x1f]);
        }
        hash.update([0x1e]);
    }
    Ok((
        rows.len() as i64,
        data_encoding::HEXLOWER.encode(&hash.finalize()),
    ))
}

/// SQLite: a consistent copy of the live database into `out` (which must not exist).
pub async fn sqlite_copy(db: &Db, out: &Path) -> StoreResult<()> {
    sqlx::query("VACUUM INTO $1")
        .bind(out.display().to_string())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// A table's row count.
pub async fn count(db: &Db, table: &str) -> StoreResult<i64> {
    if !table
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(StoreError::Corrupt(format!("table name {table:?}")));
    }
    Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM {table}"
    )))
    .fetch_one(db.pool())
    .await?
    .try_get("n")?)
}
