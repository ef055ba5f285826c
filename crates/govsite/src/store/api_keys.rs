//! API keys: stored by the SHA-256 of the key, never the key itself (see
//! `migrations/*/0020_api_keys.sql`).

use govsite_core::api_key::ApiScope;
use govsite_core::ids::{AccountId, ApiKeyId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult, stored};

/// A key as lists and the API's caller check read it.
#[derive(Debug, Clone, Serialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub account_id: AccountId,
    pub label: String,
    pub scope: ApiScope,
    pub scope_label: &'static str,
    pub hint: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: String,
}

impl ApiKey {
    /// Neither revoked nor expired at `now`.
    pub fn live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

const COLUMNS: &str = "id, account_id, label, scope, hint, created_at, expires_at, revoked_at,
    last_used_at, last_used_ip";

fn from_row(r: &AnyRow) -> StoreResult<ApiKey> {
    let id: i64 = r.try_get("id")?;
    let scope: String = r.try_get("scope")?;
    let scope = stored("api_keys", id, "scope", &scope, ApiScope::parse)?;
    Ok(ApiKey {
        id: ApiKeyId::new(id),
        account_id: AccountId::new(r.try_get("account_id")?),
        label: r.try_get("label")?,
        scope_label: scope.label(),
        scope,
        hint: r.try_get("hint")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        revoked_at: r.try_get("revoked_at")?,
        last_used_at: r.try_get("last_used_at")?,
        last_used_ip: r.try_get("last_used_ip")?,
    })
}

/// A new key's row.
#[derive(Debug, Clone)]
pub struct NewApiKey<'a> {
    pub account: AccountId,
    pub label: &'a str,
    pub scope: ApiScope,
    pub key_hash: &'a str,
    pub hint: &'a str,
    pub expires_at: i64,
    /// The key sealed for the one page that shows it, and the session that may read it.
    pub reveal: Option<(&'a str, &'a str)>,
}

pub async fn insert(
    conn: &mut AnyConnection,
    k: &NewApiKey<'_>,
    now: i64,
) -> StoreResult<ApiKeyId> {
    let row = sqlx::query(
        "INSERT INTO api_keys (account_id, label, scope, key_hash, hint, created_at, expires_at,
                               reveal_sealed, reveal_session)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(k.account.get())
    .bind(k.label)
    .bind(k.scope.as_str())
    .bind(k.key_hash)
    .bind(k.hint)
    .bind(now)
    .bind(k.expires_at)
    .bind(k.reveal.map(|(sealed, _)| sealed))
    .bind(k.reveal.map(|(_, session)| session))
    .fetch_one(&mut *conn)
    .await?;
    Ok(ApiKeyId::new(row.try_get("id")?))
}

/// Keys of one account that are neither revoked nor expired.
pub async fn live_count(
    conn: &mut AnyConnection,
    account: AccountId,
    now: i64,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM api_keys
         WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(account.get())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("n")?)
}

/// An account's keys, newest first.
pub async fn of_account(db: &Db, account: AccountId) -> StoreResult<Vec<ApiKey>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY id DESC"
    )))
    .bind(account.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// The key whose hash is `key_hash`, whatever its state.
pub async fn by_hash(db: &Db, key_hash: &str) -> StoreResult<Option<ApiKey>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys WHERE key_hash = $1"
    )))
    .bind(key_hash)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find(db: &Db, id: ApiKeyId) -> StoreResult<Option<ApiKey>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys WHERE id = $1"
    )))
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Revokes a live key of `account`; false when there is none (already revoked, or not its).
pub async fn revoke(
    conn: &mut AnyConnection,
    id: ApiKeyId,
    account: AccountId,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = $1, reveal_sealed = NULL, reveal_session = NULL
         WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id.get())
    .bind(account.get())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the sealed key of a fresh key for the session that created it, once: the value is
/// cleared in the same statement, so a reload shows nothing.
pub async fn take_reveal(db: &Db, id: ApiKeyId, session: &str) -> StoreResult<Option<String>> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "SELECT reveal_sealed FROM api_keys
         WHERE id = $1 AND reveal_session = $2 AND reveal_sealed IS NOT NULL",
    )
    .bind(id.get())
    .bind(session)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    sqlx::query("UPDATE api_keys SET reveal_sealed = NULL, reveal_session = NULL WHERE id = $1")
        .bind(id.get())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(row.try_get("reveal_sealed")?))
}

/// Records a use at most once a minute per key, so reads do not become writes.
pub async fn touch(db: &Db, id: ApiKeyId, ip: &str, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $1, last_used_ip = $2
         WHERE id = $3 AND (last_used_at IS NULL OR last_used_at < $4)",
    )
    .bind(now)
    .bind(ip)
    .bind(id.get())
    .bind(now - 60)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}
