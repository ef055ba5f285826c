//! What the mount checker reads and writes: the sites to visit, each visit with its evidence,
//! the badge state it leads to, and the proposals to stop resolution.

use govsite_core::badge_state::BadgeState;
use govsite_core::ids::{EnforcementId, SiteId, UnitId};
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult};

/// One site to visit.
#[derive(Debug, Clone)]
pub struct CheckTarget {
    pub site_id: SiteId,
    pub code: String,
    /// The English domain first (the one browsers reach), then the Chinese one in ACE.
    pub hosts: Vec<String>,
    /// A 网络红页 site: judged from the red page itself, never fetched.
    pub red_page: bool,
}

/// Every open, self-built site whose badge the checker still visits.
pub async fn targets(db: &Db) -> StoreResult<Vec<CheckTarget>> {
    let rows = sqlx::query(
        "SELECT s.id, s.badge_code, s.domain_ace, s.english_domain FROM sites s
         WHERE s.closed_at IS NULL AND s.red_page = 0
           AND s.badge_state IN ('issued', 'mounted', 'overdue') ORDER BY s.id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let english: String = r.try_get("english_domain")?;
            let ace: String = r.try_get("domain_ace")?;
            Ok(CheckTarget {
                site_id: SiteId::new(r.try_get("id")?),
                code: r.try_get("badge_code")?,
                hosts: [english, ace]
                    .into_iter()
                    .filter(|h| !h.is_empty())
                    .collect(),
                red_page: false,
            })
        })
        .collect()
}

/// Every open red-page site whose badge the checker still judges, with whether the unit's red
/// page is public (it then carries the badge by itself).
pub async fn red_page_targets(db: &Db) -> StoreResult<Vec<(CheckTarget, bool)>> {
    let rows = sqlx::query(
        "SELECT s.id, s.badge_code, COALESCE(r.state, '') AS page_state FROM sites s
         LEFT JOIN red_pages r ON r.unit_id = s.unit_id
         WHERE s.closed_at IS NULL AND s.red_page = 1
           AND s.badge_state IN ('issued', 'mounted', 'overdue') ORDER BY s.id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                CheckTarget {
                    site_id: SiteId::new(r.try_get("id")?),
                    code: r.try_get("badge_code")?,
                    hosts: Vec::new(),
                    red_page: true,
                },
                r.try_get::<String, _>("page_state")? == "published",
            ))
        })
        .collect()
}

/// A visited site as the decision after the visit needs it.
#[derive(Debug, Clone)]
pub struct Checked {
    pub state: BadgeState,
    /// The mount deadline, `YYYY-MM-DD`, or empty.
    pub mount_due: String,
    pub name: String,
    pub unit_id: UnitId,
    pub region_code: i64,
}

pub async fn checked(db: &Db, site: SiteId) -> StoreResult<Option<Checked>> {
    let row = sqlx::query(
        "SELECT s.badge_state, s.mount_due, s.name, s.unit_id, u.region_code FROM sites s
         JOIN units u ON u.id = s.unit_id WHERE s.id = $1",
    )
    .bind(site.get())
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let state: String = r.try_get("badge_state")?;
    Ok(Some(Checked {
        state: super::stored_badge_state(site.get(), &state)?,
        mount_due: r.try_get("mount_due")?,
        name: r.try_get("name")?,
        unit_id: UnitId::new(r.try_get("unit_id")?),
        region_code: r.try_get("region_code")?,
    }))
}

/// Stores one visit: its overall outcome and each page's evidence (JSON).
pub async fn insert_visit(
    conn: &mut AnyConnection,
    site: SiteId,
    outcome: &str,
    evidence_json: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO badge_checks (site_id, at, outcome, evidence) VALUES ($1, $2, $3, $4)",
    )
    .bind(site.get())
    .bind(now)
    .bind(outcome)
    .bind(evidence_json)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Notes the visit on the site and moves the badge to `next` if it is still one the checker
/// visits (a suspension or a closure made meanwhile is never undone here).
pub async fn set_visit_result(
    conn: &mut AnyConnection,
    site: SiteId,
    outcome: &str,
    next: BadgeState,
    moved: bool,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sites SET last_check_at = $1, last_check_outcome = $2,
             badge_state = CASE WHEN badge_state IN ('issued', 'mounted', 'overdue')
                 AND closed_at IS NULL THEN $3 ELSE badge_state END,
             updated_at = CASE WHEN $4 = 1 THEN $1 ELSE updated_at END WHERE id = $5",
    )
    .bind(now)
    .bind(outcome)
    .bind(next.as_str())
    .bind(i64::from(moved))
    .bind(site.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Proposals for `site` still open, or decided since `since`.
pub async fn recent_enforcements(
    conn: &mut AnyConnection,
    site: SiteId,
    since: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM badge_enforcements WHERE site_id = $1
           AND (state = 'proposed' OR decided_at >= $2)",
    )
    .bind(site.get())
    .bind(since)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?)
}

/// A proposal to stop the site's resolution, for its 编办 to confirm or dismiss.
pub async fn propose_enforcement(
    conn: &mut AnyConnection,
    site: SiteId,
    reason: &str,
    now: i64,
) -> StoreResult<EnforcementId> {
    let id: i64 = sqlx::query(
        "INSERT INTO badge_enforcements (site_id, reason, proposed_at) VALUES ($1, $2, $3)
         RETURNING id",
    )
    .bind(site.get())
    .bind(reason)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    Ok(EnforcementId::new(id))
}

/// How many sites had each outcome at their last visit, for `govsite badge-check`.
pub async fn outcome_counts(db: &Db) -> StoreResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT last_check_outcome AS o, COUNT(*) AS n FROM sites
         WHERE last_check_at IS NOT NULL GROUP BY last_check_outcome ORDER BY last_check_outcome",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("o")?, r.try_get("n")?)))
        .collect()
}

/// The 编办 suspends a badge (with the stop of its domain's resolution).
pub async fn suspend(conn: &mut AnyConnection, site: SiteId, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE sites SET badge_state = 'suspended', updated_at = $1
         WHERE id = $2 AND badge_state IN ('issued', 'mounted', 'overdue')",
    )
    .bind(now)
    .bind(site.get())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The 编办 lifts a suspension: the badge is issued again with a fresh mount deadline.
pub async fn reinstate(
    conn: &mut AnyConnection,
    site: SiteId,
    mount_due: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE sites SET badge_state = 'issued', mount_due = $1, updated_at = $2
         WHERE id = $3 AND badge_state = 'suspended' AND closed_at IS NULL",
    )
    .bind(mount_due)
    .bind(now)
    .bind(site.get())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
