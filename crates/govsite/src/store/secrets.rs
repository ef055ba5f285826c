//! The secrets the database keeps (the form key in `settings`, the badge keys in
//! `signing_keys`, TOTP secrets in `accounts`), always sealed with the key outside the database ([`crate::auth::seal`]): a copy of the
//! database alone signs nothing and passes no second factor.

use govsite_core::ids::AccountId;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreError, StoreResult};
use crate::auth::seal::is_sealed;

/// The `settings` rows that hold a 32-byte secret (the badge key only until it moves to
/// `signing_keys` on first use).
const SETTINGS_SECRETS: [&str; 2] = ["badge_signing_key", "form_signing_key"];

/// A 32-byte secret kept sealed in `settings` under `name`, made on first use (every node then
/// reads the same one). Callers cache it: this writes when it is missing.
pub async fn settings_secret(db: &Db, name: &str, now: i64) -> StoreResult<[u8; 32]> {
    if let Some(bytes) = read_settings_secret(db, name).await? {
        return Ok(bytes);
    }
    let sealed = db
        .sealer()?
        .seal(&settings_purpose(name), &fresh_secret()?)?;
    sqlx::query(
        "INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, 'system', $3)
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(name)
    .bind(sealed)
    .bind(now)
    .execute(&mut *db.writer().await?)
    .await?;
    read_settings_secret(db, name)
        .await?
        .ok_or_else(|| StoreError::Reference(format!("secret {name} vanished")))
}

/// 32 fresh random bytes: a new secret or signing seed.
fn fresh_secret() -> StoreResult<[u8; 32]> {
    crate::auth::token::random_bytes::<32>()
        .map_err(|e| StoreError::Reference(format!("random source: {e}")))
}

async fn read_settings_secret(db: &Db, name: &str) -> StoreResult<Option<[u8; 32]>> {
    match stored_setting(db, name).await? {
        Some(value) => settings_secret_from(db, name, &value).map(Some),
        None => Ok(None),
    }
}

/// The value of a `settings` row as stored.
async fn stored_setting(db: &Db, name: &str) -> StoreResult<Option<String>> {
    Ok(sqlx::query("SELECT value FROM settings WHERE key = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?
        .map(|row| row.try_get("value"))
        .transpose()?)
}

/// The secret a stored `settings` value holds: opened when sealed, or the base64 of a value
/// written before secrets were sealed (`seal_at_rest` seals it at the next start).
fn settings_secret_from(db: &Db, name: &str, value: &str) -> StoreResult<[u8; 32]> {
    let bytes = if is_sealed(value) {
        db.sealer()?.open(&settings_purpose(name), value)?
    } else {
        data_encoding::BASE64
            .decode(value.as_bytes())
            .map_err(|_| StoreError::Corrupt(format!("secret {name} is malformed")))?
    };
    <[u8; 32]>::try_from(bytes)
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
        let Some(value) = stored_setting(db, name).await? else {
            continue;
        };
        // Opens a sealed value (a wrong key fails here) or decodes a plain one.
        let plain = settings_secret_from(db, name, &value)?;
        if is_sealed(&value) {
            continue;
        }
        let new = sealer.seal(&settings_purpose(name), &plain)?;
        // Compare-and-set: a second node sealing at the same time changes nothing twice.
        sealed += sqlx::query("UPDATE settings SET value = $1 WHERE key = $2 AND value = $3")
            .bind(new)
            .bind(name)
            .bind(&value)
            .execute(&mut *db.writer().await?)
            .await?
            .rows_affected() as usize;
    }
    let keys = sqlx::query("SELECT kid, secret FROM signing_keys")
        .fetch_all(db.pool())
        .await?;
    for row in keys {
        let kid: String = row.try_get("kid")?;
        sealer.open(
            &signing_key_purpose(&kid),
            &row.try_get::<String, _>("secret")?,
        )?;
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
                .execute(&mut *db.writer().await?)
                .await?
                .rows_affected() as usize;
    }
    Ok(sealed)
}

/// The badge facts' signing key in use: its id and its Ed25519 seed.
#[derive(Debug, Clone)]
pub struct BadgeKey {
    pub kid: String,
    pub seed: [u8; 32],
}

/// A published badge key: kept after it retires, so older statements still verify.
#[derive(Debug, Clone)]
pub struct PublishedKey {
    pub kid: String,
    /// The Ed25519 public key, base64.
    pub public_key: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

fn signing_key_purpose(kid: &str) -> String {
    format!("signing_key:{kid}")
}

/// The key id of a public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public_key: &[u8; 32]) -> String {
    use sha2::{Digest, Sha256};
    data_encoding::HEXLOWER.encode(&Sha256::digest(public_key))[..16].to_owned()
}

/// The signing key in use: the newest one not retired. On first use it is the key kept in
/// `settings` before keys rotated, or a fresh one.
pub async fn current_badge_key(db: &Db, now: i64) -> StoreResult<BadgeKey> {
    if let Some(key) = read_current(db).await? {
        return Ok(key);
    }
    let seed = match read_settings_secret(db, "badge_signing_key").await? {
        Some(seed) => seed,
        None => fresh_secret()?,
    };
    let key = seal_key(db, &seed)?;
    let mut tx = db.begin().await?;
    insert_key(&mut tx, &key, now).await?;
    sqlx::query("DELETE FROM settings WHERE key = 'badge_signing_key'")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    read_current(db)
        .await?
        .ok_or_else(|| StoreError::Reference("the badge signing key vanished".into()))
}

/// A fresh badge key, sealed, ready to be stored by [`insert_key`].
pub struct NewKey {
    pub kid: String,
    sealed: String,
    public_key: String,
}

/// Makes a fresh key and seals it (outside any transaction: sealing needs no database).
pub fn new_key(db: &Db) -> StoreResult<NewKey> {
    seal_key(db, &fresh_secret()?)
}

fn seal_key(db: &Db, seed: &[u8; 32]) -> StoreResult<NewKey> {
    let public = ed25519_dalek::SigningKey::from_bytes(seed)
        .verifying_key()
        .to_bytes();
    let kid = key_id(&public);
    Ok(NewKey {
        sealed: db.sealer()?.seal(&signing_key_purpose(&kid), seed)?,
        public_key: data_encoding::BASE64.encode(&public),
        kid,
    })
}

/// Retires every key in use (they stay published).
pub async fn retire_keys(conn: &mut AnyConnection, now: i64) -> StoreResult<u64> {
    Ok(
        sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}

/// Stores a key made by [`new_key`]; it signs from now on.
pub async fn insert_key(conn: &mut AnyConnection, key: &NewKey, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, secret, public_key, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (kid) DO NOTHING",
    )
    .bind(&key.kid)
    .bind(&key.sealed)
    .bind(&key.public_key)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every badge key ever used, newest first.
pub async fn published_badge_keys(db: &Db) -> StoreResult<Vec<PublishedKey>> {
    let rows = sqlx::query(
        "SELECT kid, public_key, created_at, retired_at FROM signing_keys ORDER BY id DESC",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PublishedKey {
                kid: r.try_get("kid")?,
                public_key: r.try_get("public_key")?,
                created_at: r.try_get("created_at")?,
                retired_at: r.try_get("retired_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

async fn read_current(db: &Db) -> StoreResult<Option<BadgeKey>> {
    let Some(row) = sqlx::query(
        "SELECT kid, secret FROM signing_keys WHERE retired_at IS NULL ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let kid: String = row.try_get("kid")?;
    let secret: String = row.try_get("secret")?;
    let seed = db.sealer()?.open(&signing_key_purpose(&kid), &secret)?;
    let seed = <[u8; 32]>::try_from(seed)
        .map_err(|_| StoreError::Corrupt(format!("signing key {kid} is malformed")))?;
    Ok(Some(BadgeKey { kid, seed }))
}
