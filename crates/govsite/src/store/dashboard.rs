//! The figures of the console's 工作台: over a range of region codes (an office's own region,
//! the area under it, the nation), units, names, applications, sites and badges counted by
//! state, reviews waiting and past their time limit, and a roll-up by the regions one level
//! down. Counts only; the lists they link to say who.

use sqlx::Row;

use super::{Db, StoreResult};

/// A range of region codes, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Area {
    pub lo: i64,
    pub hi: i64,
}

/// (key, count) pairs in the order the query returned them.
pub type Counts = Vec<(String, i64)>;

async fn grouped(db: &Db, sql: &'static str, area: Area) -> StoreResult<Counts> {
    let rows = sqlx::query(sql)
        .bind(area.lo)
        .bind(area.hi)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("k")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Active units by kind: `government` (党政机关 and the other organs that register .政务),
/// `public_institution`, and `unconfirmed` (waiting for the 编办 to confirm them).
pub async fn units(db: &Db, area: Area) -> StoreResult<Counts> {
    grouped(
        db,
        "SELECT k, COUNT(*) AS n FROM (
             SELECT CASE WHEN org_type = 'public_institution' THEN 'public_institution'
                         ELSE 'government' END AS k
             FROM units WHERE status = 'active' AND region_code BETWEEN $1 AND $2
             UNION ALL
             SELECT 'unconfirmed' AS k FROM units
             WHERE status = 'active' AND confirmation <> 'confirmed'
               AND region_code BETWEEN $1 AND $2) x GROUP BY k",
        area,
    )
    .await
}

/// Chinese names (not their variants, not deleted) by state; a name stopped by the staff
/// counts as `held` whatever its state.
pub async fn names(db: &Db, area: Area) -> StoreResult<Counts> {
    grouped(
        db,
        "SELECT CASE WHEN d.held = 1 THEN 'held' ELSE d.state END AS k, COUNT(*) AS n
         FROM domains d JOIN units u ON u.id = d.unit_id
         WHERE d.variant_of IS NULL AND d.state <> 'deleted'
           AND u.region_code BETWEEN $1 AND $2
         GROUP BY CASE WHEN d.held = 1 THEN 'held' ELSE d.state END",
        area,
    )
    .await
}

/// Website applications (开办审核, 资格复核) by state, drafts left out.
pub async fn site_applications(db: &Db, area: Area) -> StoreResult<Counts> {
    grouped(
        db,
        "SELECT a.state AS k, COUNT(*) AS n
         FROM site_applications a JOIN units u ON u.id = a.unit_id
         WHERE a.state <> 'draft' AND u.region_code BETWEEN $1 AND $2 GROUP BY a.state",
        area,
    )
    .await
}

/// Badges of open sites by state.
pub async fn badges(db: &Db, area: Area) -> StoreResult<Counts> {
    grouped(
        db,
        "SELECT s.badge_state AS k, COUNT(*) AS n
         FROM sites s JOIN units u ON u.id = s.unit_id
         WHERE s.closed_at IS NULL AND u.region_code BETWEEN $1 AND $2 GROUP BY s.badge_state",
        area,
    )
    .await
}

/// Reviews waiting on `today`: `domain_office` and `site_office` (the 编办's first reviews),
/// their `_overdue` parts (past the office's time limit), `paper` (sites owing paper) and
/// `paper_overdue`, and
/// `domain_registry` and `site_registry` (the registry's second reviews).
pub async fn reviews(db: &Db, area: Area, today: &str) -> StoreResult<Counts> {
    let rows = sqlx::query(
        "SELECT k, COUNT(*) AS n FROM (
             SELECT CASE a.state WHEN 'submitted' THEN 'domain_office'
                                 ELSE 'domain_registry' END AS k
             FROM domain_applications a JOIN units u ON u.id = a.unit_id
             WHERE a.state IN ('submitted', 'office_approved') AND u.region_code BETWEEN $1 AND $2
             UNION ALL
             SELECT 'domain_office_overdue' AS k
             FROM domain_applications a JOIN units u ON u.id = a.unit_id
             WHERE a.state = 'submitted' AND a.office_due <> '' AND a.office_due < $3
               AND u.region_code BETWEEN $1 AND $2
             UNION ALL
             SELECT CASE a.state WHEN 'submitted' THEN 'site_office'
                                 WHEN 'awaiting_paper' THEN 'paper'
                                 ELSE 'site_registry' END AS k
             FROM site_applications a JOIN units u ON u.id = a.unit_id
             WHERE a.state IN ('submitted', 'office_approved', 'awaiting_paper')
               AND u.region_code BETWEEN $1 AND $2
             UNION ALL
             SELECT 'paper_overdue' AS k
             FROM site_applications a JOIN units u ON u.id = a.unit_id
             WHERE a.state = 'awaiting_paper' AND a.paper_due <> '' AND a.paper_due < $3
               AND u.region_code BETWEEN $1 AND $2
             UNION ALL
             SELECT 'site_office_overdue' AS k
             FROM site_applications a JOIN units u ON u.id = a.unit_id
             WHERE a.state = 'submitted' AND a.office_due <> '' AND a.office_due < $3
               AND u.region_code BETWEEN $1 AND $2) x GROUP BY k",
    )
    .bind(area.lo)
    .bind(area.hi)
    .bind(today)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("k")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// One region of a roll-up: the region's name and its figures.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RollupRow {
    pub code: i64,
    pub name: String,
    pub units: i64,
    pub active_names: i64,
    pub lapsed_names: i64,
    pub in_review: i64,
    pub badges: i64,
    pub mounted: i64,
    pub overdue: i64,
}

/// The figures of `area` by the regions one level down: `span` is 100 for the cities of a
/// province, 10_000 for the provinces of the nation, 1 for the counties of a city. Regions
/// with no units are left out.
pub async fn rollup(db: &Db, area: Area, span: i64) -> StoreResult<Vec<RollupRow>> {
    // `span` is one of three integer constants of ours. Per unit first, then per region.
    let sql = format!(
        "SELECT g.code, COALESCE(r.name, '') AS name, g.units, g.active_names, g.lapsed_names,
                g.in_review, g.badges, g.mounted, g.overdue
         FROM (SELECT code, COUNT(*) AS units,
                      CAST(SUM(active_names) AS BIGINT) AS active_names,
                      CAST(SUM(lapsed_names) AS BIGINT) AS lapsed_names,
                      CAST(SUM(in_review) AS BIGINT) AS in_review,
                      CAST(SUM(badges) AS BIGINT) AS badges,
                      CAST(SUM(mounted) AS BIGINT) AS mounted,
                      CAST(SUM(overdue) AS BIGINT) AS overdue
               FROM (SELECT CAST((u.region_code / {span}) * {span} AS BIGINT) AS code,
                       (SELECT COUNT(*) FROM domains d WHERE d.unit_id = u.id AND d.variant_of IS NULL
                          AND d.state = 'active' AND d.held = 0) AS active_names,
                       (SELECT COUNT(*) FROM domains d WHERE d.unit_id = u.id AND d.variant_of IS NULL
                          AND (d.state IN ('expired', 'suspended') OR d.held = 1)) AS lapsed_names,
                       (SELECT COUNT(*) FROM site_applications a WHERE a.unit_id = u.id
                          AND a.state IN ('submitted', 'office_approved', 'registry_approved',
                                          'awaiting_paper')) AS in_review,
                       (SELECT COUNT(*) FROM sites s WHERE s.unit_id = u.id AND s.closed_at IS NULL
                          AND s.badge_state IN ('issued', 'mounted', 'overdue')) AS badges,
                       (SELECT COUNT(*) FROM sites s WHERE s.unit_id = u.id AND s.closed_at IS NULL
                          AND s.badge_state = 'mounted') AS mounted,
                       (SELECT COUNT(*) FROM sites s WHERE s.unit_id = u.id AND s.closed_at IS NULL
                          AND s.badge_state = 'overdue') AS overdue
                     FROM units u WHERE u.status = 'active' AND u.region_code BETWEEN $1 AND $2) per_unit
               GROUP BY code) g
         LEFT JOIN regions r ON r.code = g.code
         ORDER BY g.code"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(area.lo)
        .bind(area.hi)
        .fetch_all(db.pool())
        .await?;
    let n = |r: &sqlx::any::AnyRow, c: &str| -> Result<i64, sqlx::Error> {
        Ok(r.try_get::<Option<i64>, _>(c)?.unwrap_or(0))
    };
    rows.iter()
        .map(|r| {
            Ok(RollupRow {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                units: n(r, "units")?,
                active_names: n(r, "active_names")?,
                lapsed_names: n(r, "lapsed_names")?,
                in_review: n(r, "in_review")?,
                badges: n(r, "badges")?,
                mounted: n(r, "mounted")?,
                overdue: n(r, "overdue")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
