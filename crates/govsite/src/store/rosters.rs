//! Roster imports as stored: the uploaded file from preview to application, the units of a
//! region as the difference needs them, and the units and contacts an import writes.

use govsite_core::ids::UnitId;
use govsite_core::roster::RosterUnit;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult, map_unique};

/// A unit already stored, as the difference with a roster compares it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub id: UnitId,
    pub name: String,
    pub credit_code: String,
    pub org_type: String,
    pub region_code: i64,
    pub parent_org: String,
    /// 机构改革: `active`, `merged` or `abolished`.
    pub status: String,
}

fn listed(r: &sqlx::any::AnyRow) -> StoreResult<Listed> {
    Ok(Listed {
        id: UnitId::new(r.try_get("id")?),
        name: r.try_get("name")?,
        status: r.try_get("status")?,
        credit_code: r.try_get("credit_code")?,
        org_type: r.try_get("org_type")?,
        region_code: r.try_get("region_code")?,
        parent_org: r.try_get("parent_org")?,
    })
}

/// Every unit of `region`.
pub async fn of_region(db: &Db, region: i64) -> StoreResult<Vec<Listed>> {
    let rows = sqlx::query(
        "SELECT id, name, credit_code, org_type, region_code, parent_org, status FROM units
         WHERE region_code = $1 ORDER BY id",
    )
    .bind(region)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(listed).collect()
}

/// The units with these credit codes, wherever they are (500 codes a query).
pub async fn by_codes(db: &Db, codes: &[String]) -> StoreResult<Vec<Listed>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, name, credit_code, org_type, region_code, parent_org, status FROM units
             WHERE credit_code IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for c in chunk {
            q = q.bind(c);
        }
        for r in q.fetch_all(db.pool()).await? {
            out.push(listed(&r)?);
        }
    }
    Ok(out)
}

/// A unit from the roster: confirmed (its office listed it), details the unit completes
/// itself after activation, the roster's contact as its handler.
pub async fn insert_unit(
    conn: &mut AnyConnection,
    u: &RosterUnit,
    now: i64,
) -> StoreResult<UnitId> {
    let id: i64 = sqlx::query(
        "INSERT INTO units (name, credit_code, org_type, region_code, parent_org, functions,
                            address, postcode, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, '', '', '', $6, $6) RETURNING id",
    )
    .bind(&u.name)
    .bind(&u.credit_code)
    .bind(&u.org_type)
    .bind(u.region_code)
    .bind(&u.parent_org)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| map_unique(e, "credit_code"))?
    .try_get("id")?;
    sqlx::query(
        "INSERT INTO contacts (unit_id, kind, name, phone, mobile, email)
         VALUES ($1, 'handler', $2, '', $3, $4)",
    )
    .bind(id)
    .bind(&u.contact_name)
    .bind(&u.mobile)
    .bind(&u.email)
    .execute(&mut *conn)
    .await?;
    Ok(UnitId::new(id))
}

/// What a later roster changes of a listed unit: its name, type and 上级主管单位.
pub async fn update_unit(
    conn: &mut AnyConnection,
    id: UnitId,
    u: &RosterUnit,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE units SET name = $1, org_type = $2, parent_org = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(&u.name)
    .bind(&u.org_type)
    .bind(&u.parent_org)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An uploaded roster.
#[derive(Debug, Clone, Serialize)]
pub struct Upload {
    pub id: i64,
    pub region_code: i64,
    pub file_name: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub uploaded_by: String,
    pub created_at: i64,
    pub applied_at: Option<i64>,
    pub applied_by: String,
    pub summary: String,
}

pub async fn insert_upload(
    db: &Db,
    region: i64,
    file_name: &str,
    bytes: &[u8],
    by: &str,
    now: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query(
        "INSERT INTO roster_uploads (region_code, file_name, bytes, uploaded_by, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(region)
    .bind(file_name)
    .bind(bytes.to_vec())
    .bind(by)
    .bind(now)
    .fetch_one(&mut *db.writer().await?)
    .await?
    .try_get("id")?)
}

pub async fn upload(db: &Db, id: i64) -> StoreResult<Option<Upload>> {
    let row = sqlx::query(
        "SELECT id, region_code, file_name, bytes, uploaded_by, created_at, applied_at,
                applied_by, summary FROM roster_uploads WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(Upload {
            id: r.try_get("id")?,
            region_code: r.try_get("region_code")?,
            file_name: r.try_get("file_name")?,
            bytes: r.try_get("bytes")?,
            uploaded_by: r.try_get("uploaded_by")?,
            created_at: r.try_get("created_at")?,
            applied_at: r.try_get("applied_at")?,
            applied_by: r.try_get("applied_by")?,
            summary: r.try_get("summary")?,
        })
    })
    .transpose()
}

/// Marks an upload applied; false when it was applied already (a second click).
pub async fn mark_applied(
    conn: &mut AnyConnection,
    id: i64,
    by: &str,
    summary: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE roster_uploads SET applied_at = $1, applied_by = $2, summary = $3
         WHERE id = $4 AND applied_at IS NULL",
    )
    .bind(now)
    .bind(by)
    .bind(summary)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
