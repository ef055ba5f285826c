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
/// `public_institution`, and `unconfirmed` (waiting for the 编办 to confirm them); one scan.
pub async fn units(db: &Db, area: Area) -> StoreResult<Counts> {
    let row = sqlx::query(
        "SELECT CAST(SUM(CASE WHEN org_type = 'public_institution' THEN 0 ELSE 1 END) AS BIGINT) AS government,
                CAST(SUM(CASE WHEN org_type = 'public_institution' THEN 1 ELSE 0 END) AS BIGINT) AS public_institution,
                CAST(SUM(CASE WHEN confirmation <> 'confirmed' THEN 1 ELSE 0 END) AS BIGINT) AS unconfirmed
         FROM units WHERE status = 'active' AND region_code BETWEEN $1 AND $2",
    )
    .bind(area.lo)
    .bind(area.hi)
    .fetch_one(db.pool())
    .await?;
    ["government", "public_institution", "unconfirmed"]
        .into_iter()
        .map(|k| Ok((k.to_owned(), row.try_get::<Option<i64>, _>(k)?.unwrap_or(0))))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
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
/// with no units are left out. Three grouped scans (units with their names, sites, and
/// applications), not a lookup per unit: at a million units each is one pass.
pub async fn rollup(db: &Db, area: Area, span: i64) -> StoreResult<Vec<RollupRow>> {
    // `span` is one of three integer constants of ours.
    let group = format!("CAST((u.region_code / {span}) * {span} AS BIGINT)");
    let units = format!(
        "SELECT g.code, COALESCE(r.name, '') AS name, g.n
         FROM (SELECT {group} AS code, COUNT(*) AS n FROM units u
               WHERE u.status = 'active' AND u.region_code BETWEEN $1 AND $2
               GROUP BY {group}) g
         LEFT JOIN regions r ON r.code = g.code ORDER BY g.code"
    );
    let names = format!(
        "SELECT {group} AS code,
                CAST(SUM(CASE WHEN d.state = 'active' AND d.held = 0 THEN 1 ELSE 0 END) AS BIGINT) AS a,
                CAST(SUM(CASE WHEN d.state IN ('expired', 'suspended') OR d.held = 1 THEN 1 ELSE 0 END) AS BIGINT) AS b,
                CAST(0 AS BIGINT) AS c
         FROM domains d JOIN units u ON u.id = d.unit_id
         WHERE d.variant_of IS NULL AND u.status = 'active' AND u.region_code BETWEEN $1 AND $2
         GROUP BY {group}"
    );
    let sites = format!(
        "SELECT {group} AS code,
                CAST(SUM(CASE WHEN s.badge_state IN ('issued', 'mounted', 'overdue') THEN 1 ELSE 0 END) AS BIGINT) AS a,
                CAST(SUM(CASE WHEN s.badge_state = 'mounted' THEN 1 ELSE 0 END) AS BIGINT) AS b,
                CAST(SUM(CASE WHEN s.badge_state = 'overdue' THEN 1 ELSE 0 END) AS BIGINT) AS c
         FROM sites s JOIN units u ON u.id = s.unit_id
         WHERE s.closed_at IS NULL AND u.status = 'active' AND u.region_code BETWEEN $1 AND $2
         GROUP BY {group}"
    );
    let reviews = format!(
        "SELECT {group} AS code, COUNT(*) AS a, CAST(0 AS BIGINT) AS b, CAST(0 AS BIGINT) AS c
         FROM site_applications a JOIN units u ON u.id = a.unit_id
         WHERE a.state IN ('submitted', 'office_approved', 'registry_approved', 'awaiting_paper')
           AND u.status = 'active' AND u.region_code BETWEEN $1 AND $2
         GROUP BY {group}"
    );
    let mut out: Vec<RollupRow> = Vec::new();
    for r in sqlx::query(sqlx::AssertSqlSafe(units))
        .bind(area.lo)
        .bind(area.hi)
        .fetch_all(db.pool())
        .await?
    {
        out.push(RollupRow {
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            units: r.try_get("n")?,
            ..RollupRow::default()
        });
    }
    for (sql, fill) in [
        (names, fill_names as fn(&mut RollupRow, [i64; 3])),
        (sites, fill_sites),
        (reviews, fill_reviews),
    ] {
        for r in sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(area.lo)
            .bind(area.hi)
            .fetch_all(db.pool())
            .await?
        {
            let code: i64 = r.try_get("code")?;
            let n = [r.try_get("a")?, r.try_get("b")?, r.try_get("c")?];
            if let Some(row) = out.iter_mut().find(|x| x.code == code) {
                fill(row, n);
            }
        }
    }
    Ok(out)
}

fn fill_names(row: &mut RollupRow, [active, lapsed, _]: [i64; 3]) {
    row.active_names = active;
    row.lapsed_names = lapsed;
}

fn fill_sites(row: &mut RollupRow, [badges, mounted, overdue]: [i64; 3]) {
    row.badges = badges;
    row.mounted = mounted;
    row.overdue = overdue;
}

fn fill_reviews(row: &mut RollupRow, [in_review, _, _]: [i64; 3]) {
    row.in_review = in_review;
}
