//! The secrets the database keeps (the signing keys in `settings`, TOTP secrets in `accounts`),
//! always sealed with the key outside the database ([`crate::auth::seal`]): a copy of the
//! database alone signs nothing and passes no second factor.

use govsite_core::ids::AccountId;
use sqlx::Row;

use super::{Db, StoreError, StoreResult};
use crate::auth::seal::is_sealed;

/// The `settings` rows that hold a 32-byte secret.
const SETTINGS_SECRETS: [&str; 2] = ["badge_signing_key", "form_signing_key"];

/// A 32-byte secret kept sealed in `settings` under `name`, made on first use (every node then
/// reads the same one). Callers cache it: this writes when it is missing.
pub async fn settings_secret(db: &Db, name: &str, now: i64) -> StoreResult<[u8; 32]> {
    if let Some(bytes) = read_settings_secret(db, name).await? {
        return Ok(bytes);
    }
    let fresh = crate::auth::token::random_bytes::<32>()
        .map_err(|e| StoreError::Reference(format!("random source: {e}")))?;
    let sealed = db.sealer()?.seal(&settings_purpose(name), &fresh)?;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, 'system', $3)
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(name)
    .bind(sealed)
    .bind(now)
    .execute(db.pool())
    .await?;
    read_settings_secret(db, name)
        .await?
        .ok_or_else(|| StoreError::Reference(format!("secret {name} vanished")))
}

async fn read_settings_secret(db: &Db, name: &str) -> StoreResult<Option<[u8; 32]>> {
    let Some(row) = sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let value: String = row.try_get("value")?;
    let bytes = if is_sealed(&value) {
        db.sealer()?.open(&settings_purpose(name), &value)?
    } else {
        // Written before secrets were sealed; `seal_at_rest` seals it at the next start.
        data_encoding::BASE64
            .decode(value.as_bytes())
            .map_err(|_| StoreError::Corrupt(format!("secret {name} is malformed")))?
    };
    <[u8; 32]>::try_from(bytes)
        .map(Some)
        .map_err(|_| StoreError::Corrupt(format!("secret {name} is malformed")))
}

fn settings_purpose(name: &str) -> String {
    format!("settings:{name}")
}

fn totp_purpose(account: AccountId) -> String {
    format!("totp:{}", account.get())
}

/// A TOTP secret (base32 text) as `accounts.totp_secret` keeps it.
pub fn seal_totp(db: &Db, account: AccountId, secret: &str) -> StoreResult<String> {
    Ok(db
        .sealer()?
        .seal(&totp_purpose(account), secret.as_bytes())?)
}

/// The TOTP secret (base32 text) of `account` from its stored, sealed form.
pub fn open_totp(db: &Db, account: AccountId, stored: &str) -> StoreResult<String> {
    if !is_sealed(stored) {
        return Ok(stored.to_owned());
    }
    let plain = db.sealer()?.open(&totp_purpose(account), stored)?;
    String::from_utf8(plain)
        .map_err(|_| StoreError::Corrupt(format!("account {account}: TOTP secret malformed")))
}

/// Run at start: seals every secret still kept in plain text (a database from before sealing)
/// and opens every sealed one, so a wrong key file stops the service at once with a clear
/// message instead of failing sign-ins later. Returns how many values it sealed.
pub async fn seal_at_rest(db: &Db) -> StoreResult<usize> {
    let sealer = db.sealer()?;
    let mut sealed = 0;
    for name in SETTINGS_SECRETS {
        let Some(row) = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(name)
            .fetch_optional(db.pool())
            .await?
        else {
            continue;
        };
        let value: String = row.try_get("value")?;
        if is_sealed(&value) {
            sealer.open(&settings_purpose(name), &value)?;
            continue;
        }
        let Some(plain) = read_settings_secret(db, name).await? else {
            continue;
        };
        let new = sealer.seal(&settings_purpose(name), &plain)?;
        // Compare-and-set: a second node sealing at the same time changes nothing twice.
        sealed += sqlx::query("UPDATE settings SET value = $1 WHERE key = $2 AND value = $3")
            .bind(new)
            .bind(name)
            .bind(&value)
            .execute(db.pool())
            .await?
            .rows_affected() as usize;
    }
    let rows = sqlx::query("SELECT id, totp_secret FROM accounts WHERE totp_secret IS NOT NULL")
        .fetch_all(db.pool())
        .await?;
    for row in rows {
        let account = AccountId::new(row.try_get("id")?);
        let value: String = row.try_get("totp_secret")?;
        if is_sealed(&value) {
            sealer.open(&totp_purpose(account), &value)?;
            continue;
        }
        let new = seal_totp(db, account, &value)?;
        sealed +=
            sqlx::query("UPDATE accounts SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3")
                .bind(new)
                .bind(account.get())
                .bind(&value)
                .execute(db.pool())
                .await?
                .rows_affected() as usize;
    }
    Ok(sealed)
}
