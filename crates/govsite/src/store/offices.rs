//! Regions and the establishment offices (编办) bound to them.

use govsite_core::ids::OfficeId;
use govsite_core::office::OfficeDetails;
use govsite_core::region::RegionCode;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, StoreResult, map_unique};

#[derive(Debug, Clone, Serialize)]
pub struct Region {
    pub code: i64,
    pub name: String,
    pub level: String,
    pub parent_code: Option<i64>,
    pub fee_tier: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Office {
    pub id: OfficeId,
    pub region_code: i64,
    pub name: String,
    /// Full path of the office's region, e.g. 甘肃省 白银市 靖远县.
    pub region_path: String,
    /// Where it receives paper and whom units ask (empty until the office says).
    pub details: OfficeDetails,
}

fn region_from(row: &AnyRow) -> Result<Region, sqlx::Error> {
    Ok(Region {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        level: row.try_get("level")?,
        parent_code: row.try_get("parent_code")?,
        fee_tier: row.try_get("fee_tier")?,
    })
}

pub async fn region(db: &Db, code: RegionCode) -> StoreResult<Option<Region>> {
    let row =
        sqlx::query("SELECT code, name, level, parent_code, fee_tier FROM regions WHERE code = $1")
            .bind(i64::from(code.value()))
            .fetch_optional(db.pool())
            .await?;
    Ok(row.as_ref().map(region_from).transpose()?)
}

/// Every region in code order (a province precedes its cities, a city its counties).
pub async fn all_regions(db: &Db) -> StoreResult<Vec<Region>> {
    let rows =
        sqlx::query("SELECT code, name, level, parent_code, fee_tier FROM regions ORDER BY code")
            .fetch_all(db.pool())
            .await?;
    Ok(rows.iter().map(region_from).collect::<Result<_, _>>()?)
}

/// Regions whose parent is `parent` (provinces when `None`), by code.
pub async fn children(db: &Db, parent: Option<i64>) -> StoreResult<Vec<Region>> {
    let rows = match parent {
        Some(p) => {
            sqlx::query(
                "SELECT code, name, level, parent_code, fee_tier FROM regions
                 WHERE parent_code = $1 ORDER BY code",
            )
            .bind(p)
            .fetch_all(db.pool())
            .await?
        }
        None => {
            sqlx::query(
                "SELECT code, name, level, parent_code, fee_tier FROM regions
                 WHERE parent_code IS NULL ORDER BY code",
            )
            .fetch_all(db.pool())
            .await?
        }
    };
    Ok(rows.iter().map(region_from).collect::<Result<_, _>>()?)
}

/// 甘肃省 白银市 靖远县: the names from the province down to `code`.
pub async fn region_path(db: &Db, code: i64) -> StoreResult<String> {
    let mut names = Vec::new();
    let mut next = Some(code);
    while let Some(c) = next {
        let Some(r) = RegionCode::from_i64(c) else {
            break;
        };
        let Some(region) = region(db, r).await? else {
            break;
        };
        names.push(region.name);
        next = region.parent_code;
    }
    names.reverse();
    Ok(names.join(" "))
}

pub async fn create(db: &Db, region: RegionCode, name: &str, now: i64) -> StoreResult<OfficeId> {
    let mut conn = db.writer().await?;
    insert(&mut conn, region, name, now).await
}

/// A new office, inside a decision's transaction; `Duplicate` when the region has one.
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    region: RegionCode,
    name: &str,
    now: i64,
) -> StoreResult<OfficeId> {
    let row = sqlx::query(
        "INSERT INTO offices (region_code, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(i64::from(region.value()))
    .bind(name)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| map_unique(e, "region"))?;
    Ok(OfficeId::new(row.try_get("id")?))
}

pub async fn find(db: &Db, id: OfficeId) -> StoreResult<Option<Office>> {
    let row = sqlx::query(
        "SELECT id, region_code, name, address, room, contact_name, contact_phone, hours
         FROM offices WHERE id = $1",
    )
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let region_code: i64 = row.try_get("region_code")?;
    Ok(Some(Office {
        id: OfficeId::new(row.try_get("id")?),
        region_code,
        name: row.try_get("name")?,
        region_path: region_path(db, region_code).await?,
        details: OfficeDetails {
            address: row.try_get("address")?,
            room: row.try_get("room")?,
            contact_name: row.try_get("contact_name")?,
            contact_phone: row.try_get("contact_phone")?,
            hours: row.try_get("hours")?,
        },
    }))
}

/// The office of a unit's region (`None` when the region has none).
pub async fn of_region(db: &Db, region_code: i64) -> StoreResult<Option<Office>> {
    match RegionCode::from_i64(region_code) {
        Some(r) => match find_by_region(db, r).await? {
            Some(id) => find(db, id).await,
            None => Ok(None),
        },
        None => Ok(None),
    }
}

/// Stores an office's own details.
pub async fn set_details(
    conn: &mut sqlx::AnyConnection,
    id: OfficeId,
    d: &OfficeDetails,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE offices SET address = $1, room = $2, contact_name = $3, contact_phone = $4,
                hours = $5, details_updated_at = $6 WHERE id = $7",
    )
    .bind(&d.address)
    .bind(&d.room)
    .bind(&d.contact_name)
    .bind(&d.contact_phone)
    .bind(&d.hours)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn find_by_region(db: &Db, region: RegionCode) -> StoreResult<Option<OfficeId>> {
    let row = sqlx::query("SELECT id FROM offices WHERE region_code = $1")
        .bind(i64::from(region.value()))
        .fetch_optional(db.pool())
        .await?;
    Ok(row
        .map(|r| r.try_get("id").map(OfficeId::new))
        .transpose()?)
}

pub async fn list(db: &Db) -> StoreResult<Vec<Office>> {
    let rows = sqlx::query("SELECT id FROM offices ORDER BY region_code")
        .fetch_all(db.pool())
        .await?;
    let mut offices = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(o) = find(db, OfficeId::new(row.try_get("id")?)).await? {
            offices.push(o);
        }
    }
    Ok(offices)
}
