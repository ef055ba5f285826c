//! One-time tokens for activation and password reset. The database holds only their hash.

use govsite_core::ids::AccountId;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Activation,
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::Reset => "reset",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "activation" => Some(Self::Activation),
            "reset" => Some(Self::Reset),
            _ => None,
        }
    }

    /// The page a link of this purpose opens, under the public URL.
    pub fn path(self) -> &'static str {
        match self {
            Self::Activation => "/activate/",
            Self::Reset => "/password/reset/",
        }
    }
}

/// Stores a token, cancelling earlier unused ones of the same purpose for the account.
pub async fn issue(
    conn: &mut AnyConnection,
    account: AccountId,
    purpose: Purpose,
    token_hash: &str,
    now: i64,
    ttl_seconds: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE one_time_tokens SET used_at = $1
         WHERE account_id = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(account.get())
    .bind(purpose.as_str())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO one_time_tokens (token_hash, account_id, purpose, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(account.get())
    .bind(purpose.as_str())
    .bind(now)
    .bind(now + ttl_seconds)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The account a live token belongs to, without using it up.
pub async fn peek(
    db: &Db,
    purpose: Purpose,
    token_hash: &str,
    now: i64,
) -> StoreResult<Option<AccountId>> {
    let row = sqlx::query(
        "SELECT account_id FROM one_time_tokens
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .map(|r| r.try_get("account_id").map(AccountId::new))
        .transpose()?)
}

/// Uses a token up; true only for the one caller that got it first.
pub async fn consume(
    conn: &mut AnyConnection,
    purpose: Purpose,
    token_hash: &str,
    now: i64,
) -> StoreResult<Option<AccountId>> {
    let row = sqlx::query(
        "UPDATE one_time_tokens SET used_at = $1
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
         RETURNING account_id",
    )
    .bind(now)
    .bind(token_hash)
    .bind(purpose.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .map(|r| r.try_get("account_id").map(AccountId::new))
        .transpose()?)
}

/// Drops one-time links that expired before `before` (used or not: they open nothing).
pub async fn purge_expired(db: &Db, before: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM one_time_tokens WHERE expires_at < $1")
        .bind(before)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}
