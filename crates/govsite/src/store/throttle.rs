//! Failed sign-in counting, per account and per client address, kept in the database so that
//! several web nodes throttle together.

use sqlx::Row;

use super::{Db, StoreResult};

#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Failed sign-ins for one account, from anyone: past a few, the captcha is required.
    Account,
    /// Failed sign-ins for one account from one client (`account|address`): past the limit
    /// that client waits; the owner elsewhere does not.
    AccountClient,
    Ip,
    /// Password-reset requests from one address.
    ResetRequest,
    /// Unit registrations from one address.
    Registration,
    /// Second-factor codes tried for one account.
    Totp,
    /// Current passwords tried on the change-password page, per account.
    PasswordChange,
    /// Wrong captcha answers, per account (or address, for the public).
    Captcha,
    /// Reports filed by the public, per address.
    BadgeReport,
    /// Messages sent on a stranger's word (registration's activation mail and SMS), per
    /// e-mail address or mobile number: no flooding someone's mailbox or phone.
    Destination,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::AccountClient => "account_client",
            Self::Ip => "ip",
            Self::ResetRequest => "reset_ip",
            Self::Registration => "register_ip",
            Self::Totp => "totp",
            Self::PasswordChange => "password_change",
            Self::Captcha => "captcha",
            Self::BadgeReport => "badge_report",
            Self::Destination => "destination",
        }
    }
}

/// Counts an attempt. Callers count *before* checking a secret, so that parallel guesses
/// cannot all pass the limit check; a successful attempt is then [`forget`]-ed.
pub async fn record_failure(db: &Db, scope: Scope, key: &str, now: i64) -> StoreResult<i64> {
    let key: String = key.chars().take(64).collect();
    let row =
        sqlx::query("INSERT INTO login_failures (scope, key, at) VALUES ($1, $2, $3) RETURNING id")
            .bind(scope.as_str())
            .bind(key)
            .bind(now)
            .fetch_one(&mut *db.writer().await?)
            .await?;
    Ok(row.try_get("id")?)
}

/// Removes one counted attempt that turned out to be good.
pub async fn forget(db: &Db, id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE id = $1")
        .bind(id)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn failures_since(db: &Db, scope: Scope, key: &str, since: i64) -> StoreResult<i64> {
    let key: String = key.chars().take(64).collect();
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM login_failures WHERE scope = $1 AND key = $2 AND at > $3",
    )
    .bind(scope.as_str())
    .bind(key)
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    Ok(row.try_get("n")?)
}

/// Forgets an account's failures after a successful sign-in.
pub async fn clear(db: &Db, scope: Scope, key: &str) -> StoreResult<()> {
    let key: String = key.chars().take(64).collect();
    sqlx::query("DELETE FROM login_failures WHERE scope = $1 AND key = $2")
        .bind(scope.as_str())
        .bind(key)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Forgets every failed sign-in of the account `key` (lower-cased user name), from anyone and
/// from every client: after the owner signs in or resets the password.
pub async fn clear_account(db: &Db, key: &str) -> StoreResult<()> {
    let key: String = key.chars().take(64).collect();
    sqlx::query(
        "DELETE FROM login_failures WHERE (scope = 'account' AND key = $1)
            OR (scope = 'account_client' AND SUBSTR(key, 1, LENGTH($1) + 1) = $1 || '|')",
    )
    .bind(key)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// The key of one account's failures from one client.
pub fn account_client_key(account: &str, client: &str) -> String {
    format!("{account}|{client}")
}

pub async fn purge_before(db: &Db, before: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(before)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}
