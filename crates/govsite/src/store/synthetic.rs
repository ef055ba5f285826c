//! The bulk writes of `demo --scale N`: synthetic units (named `合成测试单位…`), one active
//! .政务 name each and one site with a mounted badge, inserted many rows per statement so a
//! million units load in minutes. Only the demo loader calls these.

use std::collections::HashSet;
use std::fmt::Write as _;

use govsite_core::ids::UnitId;
use sqlx::Row;

use super::{Db, StoreResult};

/// The prefix every synthetic unit's name starts with.
pub const NAME_PREFIX: &str = "合成测试单位";

/// The names of the synthetic units already loaded.
pub async fn unit_names(db: &Db) -> StoreResult<HashSet<String>> {
    let rows = sqlx::query("SELECT name FROM units WHERE name LIKE '合成测试单位%'")
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("name"))
        .collect::<Result<_, _>>()?)
}

/// Synthetic units without any domain, by id.
pub async fn units_without_domain(db: &Db) -> StoreResult<Vec<(UnitId, String)>> {
    let rows = sqlx::query(
        "SELECT u.id, u.name FROM units u WHERE u.name LIKE '合成测试单位%'
         AND NOT EXISTS (SELECT 1 FROM domains d WHERE d.unit_id = u.id) ORDER BY u.id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Ok((UnitId::new(r.try_get("id")?), r.try_get("name")?)))
        .collect::<Result<_, sqlx::Error>>()?)
}

/// One active .政务 name of a synthetic unit.
#[derive(Debug, Clone)]
pub struct SyntheticDomain {
    pub unit: UnitId,
    pub label: String,
    pub ace: String,
    /// `resolve`, `delegate` or `forward`.
    pub plan: &'static str,
    pub ipv4: String,
    pub nameservers: String,
    pub forward_url: String,
}

/// Inserts the names in one statement (the caller passes a few hundred at a time).
pub async fn insert_domains(
    db: &Db,
    rows: &[SyntheticDomain],
    now: i64,
    expires: i64,
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(
        "INSERT INTO domains (unit_id, suffix, label, ace, canonical, state, plan, ipv4,
         nameservers, forward_url, registered_at, expires_at, updated_at) VALUES ",
    );
    for i in 0..rows.len() {
        if i > 0 {
            sql.push(',');
        }
        // Only placeholders are written into the text; every value is bound.
        let b = i * 9;
        let _ = write!(
            sql,
            "(${}, '政务', ${}, ${}, ${}, 'active', ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            b + 1,
            b + 2,
            b + 3,
            b + 2,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 9,
            b + 8
        );
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for d in rows {
        q = q
            .bind(d.unit.get())
            .bind(d.label.clone())
            .bind(d.ace.clone())
            .bind(d.plan)
            .bind(d.ipv4.clone())
            .bind(d.nameservers.clone())
            .bind(d.forward_url.clone())
            .bind(now)
            .bind(expires);
    }
    q.execute(&mut *db.writer().await?).await?;
    Ok(())
}

/// A synthetic unit with a name but no site yet.
#[derive(Debug, Clone)]
pub struct UnitWithName {
    pub unit: UnitId,
    pub region_code: i64,
    pub ace: String,
    pub label: String,
}

pub async fn units_without_site(db: &Db) -> StoreResult<Vec<UnitWithName>> {
    let rows = sqlx::query(
        "SELECT u.id, u.region_code, d.ace, d.label FROM units u JOIN domains d ON d.unit_id = u.id
         WHERE u.name LIKE '合成测试单位%' AND d.variant_of IS NULL
           AND NOT EXISTS (SELECT 1 FROM sites s WHERE s.unit_id = u.id) ORDER BY u.id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            Ok(UnitWithName {
                unit: UnitId::new(r.try_get("id")?),
                region_code: r.try_get("region_code")?,
                ace: r.try_get("ace")?,
                label: r.try_get("label")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// A synthetic site (number 1 of its unit) with a mounted badge.
#[derive(Debug, Clone)]
pub struct SyntheticSite {
    pub unit: UnitId,
    pub name: String,
    pub domain_ace: String,
    pub domain_label: String,
    pub badge_code: String,
}

/// Inserts the sites in one statement (the caller passes a few hundred at a time).
pub async fn insert_sites(db: &Db, rows: &[SyntheticSite], now: i64) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(
        "INSERT INTO sites (unit_id, seq, name, domain_ace, domain_label, badge_code,
         badge_state, badge_issued_at, created_at, updated_at) VALUES ",
    );
    for i in 0..rows.len() {
        if i > 0 {
            sql.push(',');
        }
        let b = i * 6;
        let _ = write!(
            sql,
            "(${}, 1, ${}, ${}, ${}, ${}, 'mounted', ${t}, ${t}, ${t})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            t = b + 6
        );
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for s in rows {
        q = q
            .bind(s.unit.get())
            .bind(s.name.clone())
            .bind(s.domain_ace.clone())
            .bind(s.domain_label.clone())
            .bind(s.badge_code.clone())
            .bind(now);
    }
    q.execute(&mut *db.writer().await?).await?;
    Ok(())
}
