//! Registry policy kept in the database: the versioned price list, reserved names, settings.

use govsite_core::money::Money;
use govsite_core::region::FeeTier;
use sqlx::Row;

use super::{Db, StoreResult};

pub use govsite_core::deadline::{DEFAULT_MOUNT_DAYS, DEFAULT_OFFICE_REVIEW_DAYS};

/// The price per name per year for `tier` in force at `now`.
pub async fn price(db: &Db, tier: FeeTier, now: i64) -> StoreResult<Option<Money>> {
    let row = sqlx::query(
        "SELECT price_fen FROM prices WHERE fee_tier = $1 AND effective_from <= $2
         ORDER BY effective_from DESC, id DESC LIMIT 1",
    )
    .bind(tier.as_str())
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .map(|r| r.try_get("price_fen").map(Money::from_fen))
        .transpose()?)
}

/// The fee tier of a region.
pub async fn fee_tier(db: &Db, region_code: i64) -> StoreResult<FeeTier> {
    let row = sqlx::query("SELECT fee_tier FROM regions WHERE code = $1")
        .bind(region_code)
        .fetch_optional(db.pool())
        .await?;
    let tier: Option<String> = row.map(|r| r.try_get("fee_tier")).transpose()?;
    Ok(tier
        .as_deref()
        .and_then(FeeTier::parse)
        .unwrap_or(FeeTier::Standard))
}

/// Working days the office of `region_code` has for a first review.
pub async fn office_review_days(db: &Db, region_code: i64) -> StoreResult<u32> {
    let row = sqlx::query("SELECT review_days FROM regions WHERE code = $1")
        .bind(region_code)
        .fetch_optional(db.pool())
        .await?;
    let per_region: Option<i64> = row.and_then(|r| r.try_get("review_days").ok()).flatten();
    Ok(per_region
        .and_then(|d| u32::try_from(d).ok())
        .unwrap_or(DEFAULT_OFFICE_REVIEW_DAYS))
}

/// Working days a unit of `region_code` has to mount its badge.
pub async fn mount_days(db: &Db, region_code: i64) -> StoreResult<u32> {
    let row = sqlx::query("SELECT mount_days FROM regions WHERE code = $1")
        .bind(region_code)
        .fetch_optional(db.pool())
        .await?;
    let per_region: Option<i64> = row.and_then(|r| r.try_get("mount_days").ok()).flatten();
    Ok(per_region
        .and_then(|d| u32::try_from(d).ok())
        .unwrap_or(DEFAULT_MOUNT_DAYS))
}

/// Why a name is reserved, if it is.
pub async fn reserved(db: &Db, canonical: &str) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT reason FROM reserved_names WHERE canonical = $1")
        .bind(canonical)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.try_get("reason")).transpose()?)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PriceRow {
    pub fee_tier: String,
    pub price: String,
    pub effective_from: i64,
    pub created_by: String,
}

/// Every version of the price list, newest first.
pub async fn prices(db: &Db) -> StoreResult<Vec<PriceRow>> {
    let rows = sqlx::query(
        "SELECT fee_tier, price_fen, effective_from, created_by FROM prices
         ORDER BY effective_from DESC, id DESC",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PriceRow {
                fee_tier: r.try_get("fee_tier")?,
                price: Money::from_fen(r.try_get("price_fen")?).to_string(),
                effective_from: r.try_get("effective_from")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A new version of one tier's price, in force from `effective_from`.
pub async fn add_price(
    conn: &mut sqlx::AnyConnection,
    tier: FeeTier,
    price: Money,
    effective_from: i64,
    by: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO prices (fee_tier, price_fen, effective_from, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tier.as_str())
    .bind(price.fen())
    .bind(effective_from)
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ReservedRow {
    pub canonical: String,
    pub label: String,
    pub reason: String,
    pub created_by: String,
}

pub async fn reserved_list(db: &Db) -> StoreResult<Vec<ReservedRow>> {
    let rows = sqlx::query(
        "SELECT canonical, label, reason, created_by FROM reserved_names ORDER BY label",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ReservedRow {
                canonical: r.try_get("canonical")?,
                label: r.try_get("label")?,
                reason: r.try_get("reason")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn add_reserved(
    conn: &mut sqlx::AnyConnection,
    canonical: &str,
    label: &str,
    reason: &str,
    by: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO reserved_names (canonical, label, reason, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(canonical)
    .bind(label)
    .bind(reason)
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| super::map_unique(e, "reserved_name"))?;
    Ok(())
}

/// Removes a reserved name; false when it was not reserved.
pub async fn remove_reserved(conn: &mut sqlx::AnyConnection, canonical: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM reserved_names WHERE canonical = $1")
        .bind(canonical)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The working-day limits a region may set apart from the platform default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionLimit {
    /// The 编办's first review of an application.
    OfficeReview,
    /// Mounting a badge after it is issued.
    Mount,
}

impl RegionLimit {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "review" => Some(Self::OfficeReview),
            "mount" => Some(Self::Mount),
            _ => None,
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::OfficeReview => "review_days",
            Self::Mount => "mount_days",
        }
    }

    pub fn audit_action(self) -> &'static str {
        match self {
            Self::OfficeReview => "review_days_set",
            Self::Mount => "mount_days_set",
        }
    }
}

/// Sets (or with `None` clears) one of a region's limits; returns the previous value, or
/// `None` when the region does not exist.
pub async fn set_region_days(
    conn: &mut sqlx::AnyConnection,
    limit: RegionLimit,
    region_code: i64,
    days: Option<i64>,
) -> StoreResult<Option<Option<i64>>> {
    let column = limit.column();
    let before = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {column} AS days FROM regions WHERE code = $1"
    )))
    .bind(region_code)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before else {
        return Ok(None);
    };
    let previous: Option<i64> = before.try_get("days")?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE regions SET {column} = $1 WHERE code = $2"
    )))
    .bind(days)
    .bind(region_code)
    .execute(&mut *conn)
    .await?;
    Ok(Some(previous))
}

/// A region with a limit of its own.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RegionDays {
    pub code: i64,
    pub name: String,
    pub review_days: Option<i64>,
    pub mount_days: Option<i64>,
}

/// Regions with their own limits, by code.
pub async fn region_days_overrides(db: &Db) -> StoreResult<Vec<RegionDays>> {
    let rows = sqlx::query(
        "SELECT code, name, review_days, mount_days FROM regions
         WHERE review_days IS NOT NULL OR mount_days IS NOT NULL ORDER BY code",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RegionDays {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                review_days: r.try_get("review_days")?,
                mount_days: r.try_get("mount_days")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The key that signs anonymous visitors' CSRF cookies and captcha challenges, so that the
/// public pages need no row per visitor; shared by every web node.
pub async fn form_key(db: &Db, now: i64) -> StoreResult<[u8; 32]> {
    super::secrets::settings_secret(db, "form_signing_key", now).await
}

/// Gives a region its own badge mount days unless it has some already (the demo's county).
pub async fn set_mount_days_if_unset(db: &Db, region_code: i64, days: u32) -> StoreResult<()> {
    sqlx::query("UPDATE regions SET mount_days = $1 WHERE code = $2 AND mount_days IS NULL")
        .bind(i64::from(days))
        .bind(region_code)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

pub async fn set_setting(
    conn: &mut sqlx::AnyConnection,
    key: &str,
    value: &str,
    by: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (key) DO UPDATE SET value = $2, updated_by = $3, updated_at = $4",
    )
    .bind(key)
    .bind(value)
    .bind(by)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Working days staff have to answer a question in 用户问答.
pub async fn reply_days(db: &Db) -> StoreResult<u32> {
    Ok(platform(db).await?.reply_days)
}

/// The platform settings (bank account, support contacts, reply limit), defaults for keys
/// never set.
pub async fn platform(db: &Db) -> StoreResult<govsite_core::platform::PlatformSettings> {
    let rows = sqlx::query(
        "SELECT key, value FROM settings WHERE key IN ('question_reply_days', 'bank_name',
             'bank_account_name', 'bank_account_no', 'support_phone', 'support_email',
             'handler_id_days')",
    )
    .fetch_all(db.pool())
    .await?;
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|r| Ok((r.try_get("key")?, r.try_get("value")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(govsite_core::platform::PlatformSettings::from_entries(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    ))
}
