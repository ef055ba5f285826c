//! What the 编办 console shows about badges: each site's badge with its views and hot-links
//! of the last 30 days and its open reports; and the reports the public files.

use govsite_core::badge_state::BadgeState;
use govsite_core::ids::{BadgeReportId, EnforcementId, SiteId, UnitId};
use govsite_core::paging::{PageInfo, PageRequest};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct BadgeRow {
    pub site_id: SiteId,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub site_name: String,
    pub badge_code: String,
    pub badge_state: BadgeState,
    pub badge_state_label: &'static str,
    /// A 网络红页: its badge is mounted while the page is published.
    pub red_page: bool,
    pub mount_due: String,
    pub hits: i64,
    pub hotlinks: i64,
    pub reports: i64,
}

/// Which badges a list shows: one region (or all), a status filter — `mounted`, `issued`,
/// `overdue`, `suspended`, `revoked`, `hotlinked` (seen on a foreign host since `since_day`),
/// `reported` (an open report), `red_page` (网络红页 sites) — and a `search` over the unit, the
/// site, the badge code and the domains (any letter case).
#[derive(Debug, Clone, Copy)]
pub struct BadgeFilter<'a> {
    pub region: Option<i64>,
    pub status: &'a str,
    pub since_day: &'a str,
    pub search: &'a str,
    /// The registry's region filter: region codes from the first to the second.
    pub area: Option<(i64, i64)>,
}

impl BadgeFilter<'_> {
    /// `FROM … WHERE …` over `$1` region, `$2` since day, `$3` status, `$4` search, `$5` its
    /// LIKE pattern.
    fn from(&self) -> String {
        let condition = match self.status {
            "mounted" | "issued" | "overdue" | "suspended" | "revoked" => "s.badge_state = $3",
            "hotlinked" => {
                "EXISTS (SELECT 1 FROM badge_hotlinks h WHERE h.site_id = s.id AND h.day >= $2) AND $3 = $3"
            }
            "red_page" => "s.red_page = 1 AND $3 = $3",
            "reported" => {
                "EXISTS (SELECT 1 FROM badge_reports r WHERE r.site_id = s.id AND r.state = 'open') AND $3 = $3"
            }
            _ => "$3 = $3",
        };
        // Two integers of ours, never text from the request.
        let area = self.area.map_or(String::new(), |(lo, hi)| {
            format!(" AND u.region_code BETWEEN {lo} AND {hi}")
        });
        format!(
            "FROM sites s JOIN units u ON u.id = s.unit_id
             WHERE ($1 IS NULL OR u.region_code = $1) AND $2 = $2 AND {condition}{area}
               AND ($4 = '' OR LOWER(u.name) LIKE LOWER($5) ESCAPE '\\'
                    OR LOWER(s.name) LIKE LOWER($5) ESCAPE '\\'
                    OR LOWER(s.badge_code) LIKE LOWER($5) ESCAPE '\\'
                    OR LOWER(s.domain_label) LIKE LOWER($5) ESCAPE '\\'
                    OR LOWER(s.domain_ace) LIKE LOWER($5) ESCAPE '\\'
                    OR LOWER(s.english_domain) LIKE LOWER($5) ESCAPE '\\')"
        )
    }

    fn bind<'q>(
        &'q self,
        sql: &'q str,
        pattern: &'q str,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.region)
            .bind(self.since_day)
            .bind(self.status)
            .bind(self.search.trim())
            .bind(pattern)
    }

    fn pattern(&self) -> String {
        format!("%{}%", super::units::escape_like(self.search.trim()))
    }
}

const BADGE_COLUMNS: &str = "SELECT s.id, s.unit_id, u.name AS unit_name, s.name, s.badge_code,
        s.badge_state, s.mount_due, s.red_page,
        (SELECT CAST(COALESCE(SUM(hits), 0) AS BIGINT) FROM badge_hits b WHERE b.site_id = s.id AND b.day >= $2) AS hits,
        (SELECT CAST(COALESCE(SUM(hits), 0) AS BIGINT) FROM badge_hotlinks h WHERE h.site_id = s.id AND h.day >= $2) AS hotlinks,
        (SELECT COUNT(*) FROM badge_reports r WHERE r.site_id = s.id AND r.state = 'open') AS reports";

/// One keyset page of the filtered badges, newest first, and where it sits.
pub async fn page(
    db: &Db,
    f: &BadgeFilter<'_>,
    request: PageRequest,
    per_page: u32,
    from_page: u32,
) -> StoreResult<(Vec<BadgeRow>, PageInfo)> {
    let from = f.from();
    let pattern = f.pattern();
    let count = format!("SELECT COUNT(*) AS n {from}");
    let total: i64 = f
        .bind(&count, &pattern)
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    let plan = request.plan("s.id", per_page, total);
    let sql = format!(
        "{BADGE_COLUMNS} {from} AND {} ORDER BY s.id {} LIMIT $6 OFFSET $7",
        plan.condition, plan.order
    );
    let rows = f
        .bind(&sql, &pattern)
        .bind(plan.limit)
        .bind(plan.offset)
        .fetch_all(db.pool())
        .await?;
    let mut items = rows
        .iter()
        .map(badge_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let more = items.len() > per_page as usize;
    items.truncate(per_page as usize);
    if plan.reversed {
        items.reverse();
    }
    let ids: Vec<i64> = items.iter().map(|b| b.site_id.get()).collect();
    let info = PageInfo::new(request, &ids, more, total, per_page, from_page);
    Ok((items, info))
}

/// Every filtered badge (at most `cap`, newest first), for an export.
pub async fn all(db: &Db, f: &BadgeFilter<'_>, cap: i64) -> StoreResult<Vec<BadgeRow>> {
    let sql = format!("{BADGE_COLUMNS} {} ORDER BY s.id DESC LIMIT $6", f.from());
    let pattern = f.pattern();
    let rows = f
        .bind(&sql, &pattern)
        .bind(cap)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(badge_row).collect()
}

fn badge_row(r: &sqlx::any::AnyRow) -> StoreResult<BadgeRow> {
    let id: i64 = r.try_get("id")?;
    let state = super::stored_badge_state(id, &r.try_get::<String, _>("badge_state")?)?;
    Ok(BadgeRow {
        site_id: SiteId::new(id),
        unit_id: UnitId::new(r.try_get("unit_id")?),
        unit_name: r.try_get("unit_name")?,
        site_name: r.try_get("name")?,
        badge_code: r.try_get("badge_code")?,
        badge_state_label: state.label(),
        badge_state: state,
        red_page: r.try_get::<i64, _>("red_page")? != 0,
        mount_due: r.try_get("mount_due")?,
        hits: r.try_get("hits")?,
        hotlinks: r.try_get("hotlinks")?,
        reports: r.try_get("reports")?,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: BadgeReportId,
    pub site_id: SiteId,
    pub region_code: i64,
    pub site_name: String,
    pub badge_code: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub url: String,
    pub description: String,
    pub contact: String,
    pub state: String,
    pub handled_by: String,
    pub note: String,
    pub created_at: i64,
}

pub const REPORT_KINDS: [(&str, &str); 3] = [
    ("counterfeit", "仿冒网站（冒用此标识）"),
    ("error", "核验信息有误"),
    ("other", "其他问题"),
];

pub fn kind_label(kind: &str) -> &'static str {
    REPORT_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("", |(_, l)| l)
}

pub struct NewReport<'a> {
    pub site_id: SiteId,
    pub kind: &'a str,
    pub url: &'a str,
    pub description: &'a str,
    pub contact: &'a str,
}

pub async fn insert_report(
    conn: &mut AnyConnection,
    r: &NewReport<'_>,
    now: i64,
) -> StoreResult<BadgeReportId> {
    let row = sqlx::query(
        "INSERT INTO badge_reports (site_id, kind, url, description, contact, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(r.site_id.get())
    .bind(r.kind)
    .bind(r.url)
    .bind(r.description)
    .bind(r.contact)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(BadgeReportId::new(row.try_get("id")?))
}

const REPORT_COLUMNS: &str = "r.id, r.site_id, u.region_code, s.name AS site_name, s.badge_code,
    r.kind, r.url, r.description, r.contact, r.state, r.handled_by, r.note, r.created_at";

fn report(r: &sqlx::any::AnyRow) -> Result<Report, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok(Report {
        id: BadgeReportId::new(r.try_get("id")?),
        site_id: SiteId::new(r.try_get("site_id")?),
        region_code: r.try_get("region_code")?,
        site_name: r.try_get("site_name")?,
        badge_code: r.try_get("badge_code")?,
        kind_label: kind_label(&kind),
        kind,
        url: r.try_get("url")?,
        description: r.try_get("description")?,
        contact: r.try_get("contact")?,
        state: r.try_get("state")?,
        handled_by: r.try_get("handled_by")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Open reports of one region (or all), oldest first.
pub async fn open_reports(db: &Db, region: Option<i64>) -> StoreResult<Vec<Report>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {REPORT_COLUMNS} FROM badge_reports r JOIN sites s ON s.id = r.site_id
         JOIN units u ON u.id = s.unit_id
         WHERE r.state = 'open' AND ($1 IS NULL OR u.region_code = $1) ORDER BY r.id"
    )))
    .bind(region)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(report).collect::<Result<_, _>>()?)
}

pub async fn find_report(db: &Db, id: BadgeReportId) -> StoreResult<Option<Report>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {REPORT_COLUMNS} FROM badge_reports r JOIN sites s ON s.id = r.site_id
         JOIN units u ON u.id = s.unit_id WHERE r.id = $1"
    )))
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(report).transpose()?)
}

/// Closes an open report with the 编办's note; false when it was already closed.
pub async fn close_report(
    conn: &mut AnyConnection,
    id: BadgeReportId,
    by: &str,
    note: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE badge_reports SET state = 'closed', handled_by = $1, note = $2, handled_at = $3
         WHERE id = $4 AND state = 'open'",
    )
    .bind(by)
    .bind(note)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A proposal to stop a site's resolution for an overdue badge.
#[derive(Debug, Clone, Serialize)]
pub struct Enforcement {
    pub id: EnforcementId,
    pub site_id: SiteId,
    pub region_code: i64,
    pub unit_name: String,
    pub site_name: String,
    pub badge_code: String,
    pub domain_ace: String,
    pub domain_label: String,
    pub state: String,
    pub reason: String,
    pub proposed_at: i64,
}

const ENFORCEMENT_COLUMNS: &str = "e.id, e.site_id, u.region_code, u.name AS unit_name,
    s.name AS site_name, s.badge_code, s.domain_ace, s.domain_label, e.state, e.reason,
    e.proposed_at";

fn enforcement(r: &sqlx::any::AnyRow) -> Result<Enforcement, sqlx::Error> {
    Ok(Enforcement {
        id: EnforcementId::new(r.try_get("id")?),
        site_id: SiteId::new(r.try_get("site_id")?),
        region_code: r.try_get("region_code")?,
        unit_name: r.try_get("unit_name")?,
        site_name: r.try_get("site_name")?,
        badge_code: r.try_get("badge_code")?,
        domain_ace: r.try_get("domain_ace")?,
        domain_label: r.try_get("domain_label")?,
        state: r.try_get("state")?,
        reason: r.try_get("reason")?,
        proposed_at: r.try_get("proposed_at")?,
    })
}

/// Open proposals of one region (or all), oldest first.
pub async fn proposed_enforcements(db: &Db, region: Option<i64>) -> StoreResult<Vec<Enforcement>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENFORCEMENT_COLUMNS} FROM badge_enforcements e JOIN sites s ON s.id = e.site_id
         JOIN units u ON u.id = s.unit_id
         WHERE e.state = 'proposed' AND ($1 IS NULL OR u.region_code = $1) ORDER BY e.id"
    )))
    .bind(region)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(enforcement).collect::<Result<_, _>>()?)
}

pub async fn find_enforcement(db: &Db, id: EnforcementId) -> StoreResult<Option<Enforcement>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENFORCEMENT_COLUMNS} FROM badge_enforcements e JOIN sites s ON s.id = e.site_id
         JOIN units u ON u.id = s.unit_id WHERE e.id = $1"
    )))
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.as_ref().map(enforcement).transpose()?)
}

/// Confirms or dismisses a proposal still open; false when someone decided first.
pub async fn decide_enforcement(
    conn: &mut AnyConnection,
    id: EnforcementId,
    confirm: bool,
    by: &str,
    note: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE badge_enforcements SET state = $1, decided_by = $2, note = $3, decided_at = $4
         WHERE id = $5 AND state = 'proposed'",
    )
    .bind(if confirm { "confirmed" } else { "dismissed" })
    .bind(by)
    .bind(note)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Drops the daily view and hot-link counts of days before `before` (`YYYY-MM-DD`).
pub async fn prune_counts(db: &Db, before: &str) -> StoreResult<()> {
    for sql in [
        "DELETE FROM badge_hits WHERE day < $1",
        "DELETE FROM badge_hotlinks WHERE day < $1",
    ] {
        sqlx::query(sql)
            .bind(before)
            .execute(&mut *db.writer().await?)
            .await?;
    }
    Ok(())
}
