//! Registry policy kept in the database: the versioned price list, reserved names, settings.

use govsite_core::money::Money;
use govsite_core::region::FeeTier;
use sqlx::Row;

use super::{Db, StoreResult};

/// The platform default for a 编办's first review, in working days (the seed county's 2).
pub const DEFAULT_OFFICE_REVIEW_DAYS: i64 = 2;

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
pub async fn office_review_days(db: &Db, region_code: i64) -> StoreResult<i64> {
    let row = sqlx::query("SELECT review_days FROM regions WHERE code = $1")
        .bind(region_code)
        .fetch_optional(db.pool())
        .await?;
    let per_region: Option<i64> = row.and_then(|r| r.try_get("review_days").ok()).flatten();
    Ok(per_region.unwrap_or(DEFAULT_OFFICE_REVIEW_DAYS))
}

/// Why a name is reserved, if it is.
pub async fn reserved(db: &Db, canonical: &str) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT reason FROM reserved_names WHERE canonical = $1")
        .bind(canonical)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.try_get("reason")).transpose()?)
}
