//! What the badge book reads and writes: every issued badge with the facts its script needs,
//! the change log of `sites` (`site_changes`, filled by triggers) it follows, and the hits and
//! hot-links it counts in memory and writes in batches.

use govsite_core::badge_state::BadgeState;
use govsite_core::ids::SiteId;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::changes::ChangeLog;
use super::{Db, StoreResult};

/// One issued badge as the book needs it.
#[derive(Debug, Clone)]
pub struct BookRow {
    pub site_id: SiteId,
    pub badge_code: String,
    /// `None`: a stored state none of ours. The book logs it (naming the row) and never
    /// serves that badge as valid; the other badges load as usual.
    pub badge_state: Option<BadgeState>,
    /// The Chinese domain in ACE and Unicode, and the English one (any may be empty).
    pub domain_ace: String,
    pub domain_label: String,
    pub english_domain: String,
    pub red_page: bool,
    /// For a red-page site: the unit's names (ACE) whose enablement is the red page, where the
    /// forwarding role shows the page with this badge.
    pub red_page_names: Vec<String>,
    /// The unit's organisation type: a public institution's badge is blue.
    pub public_institution: bool,
}

const COLUMNS: &str = "s.id, s.unit_id, s.badge_code, s.badge_state, s.domain_ace, s.domain_label,
    s.english_domain, s.red_page, u.org_type";

fn book_row(r: &AnyRow) -> StoreResult<BookRow> {
    let id: i64 = r.try_get("id")?;
    let state: String = r.try_get("badge_state")?;
    let badge_state = BadgeState::parse(&state)
        .inspect_err(|e| tracing::error!(row = %format!("sites row {id}"), error = %e, "badge with an unknown state"))
        .ok();
    Ok(BookRow {
        site_id: SiteId::new(id),
        badge_code: r.try_get("badge_code")?,
        badge_state,
        domain_ace: r.try_get("domain_ace")?,
        domain_label: r.try_get("domain_label")?,
        english_domain: r.try_get("english_domain")?,
        red_page: r.try_get::<i64, _>("red_page")? != 0,
        red_page_names: Vec::new(),
        public_institution: r.try_get::<String, _>("org_type")? == "public_institution",
    })
}

/// Every badge ever issued.
pub async fn all(db: &Db) -> StoreResult<Vec<BookRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM sites s JOIN units u ON u.id = s.unit_id"
    )))
    .fetch_all(db.pool())
    .await?;
    let mut out = rows
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>("unit_id")?, book_row(r)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    add_red_page_names(db, &mut out, None).await?;
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

/// Fills `red_page_names` of the red-page sites among `rows` (unit id, row); `units`: only
/// these units' names are read (all when `None`).
async fn add_red_page_names(
    db: &Db,
    rows: &mut [(i64, BookRow)],
    units: Option<&str>,
) -> StoreResult<()> {
    if !rows.iter().any(|(_, r)| r.red_page) {
        return Ok(());
    }
    let filter = units.map_or(String::new(), |list| format!("AND unit_id IN ({list})"));
    let names = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT unit_id, ace FROM domains WHERE plan = 'red_page' AND state <> 'deleted' {filter}"
    )))
    .fetch_all(db.pool())
    .await?;
    let mut by_unit: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for r in &names {
        by_unit
            .entry(r.try_get("unit_id")?)
            .or_default()
            .push(r.try_get("ace")?);
    }
    for (unit, row) in rows.iter_mut().filter(|(_, r)| r.red_page) {
        row.red_page_names = by_unit.get(unit).cloned().unwrap_or_default();
    }
    Ok(())
}

/// The badges of these sites, read 500 at a time.
pub async fn of_sites(db: &Db, ids: &[SiteId]) -> StoreResult<Vec<BookRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        // Only numbers of ours are formatted into the text.
        let list = chunk
            .iter()
            .map(|id| id.get().to_string())
            .collect::<Vec<_>>()
            .join(",");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sites s JOIN units u ON u.id = s.unit_id WHERE s.id IN ({list})"
        )))
        .fetch_all(db.pool())
        .await?;
        let mut chunk_rows = rows
            .iter()
            .map(|r| Ok((r.try_get::<i64, _>("unit_id")?, book_row(r)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        let units = chunk_rows
            .iter()
            .map(|(u, _)| u.to_string())
            .collect::<Vec<_>>()
            .join(",");
        add_red_page_names(db, &mut chunk_rows, Some(&units)).await?;
        out.extend(chunk_rows.into_iter().map(|(_, r)| r));
    }
    Ok(out)
}

/// `site_changes`: one row per change of a site's public facts or badge state.
#[derive(Debug)]
pub struct SiteChanges;

impl ChangeLog for SiteChanges {
    const TABLE: &'static str = "site_changes";
    const COLUMNS: &'static str = "site_id";
    const BATCH: i64 = 5_000;
    type Change = SiteId;

    fn parse(_id: i64, r: &AnyRow) -> Result<Option<SiteId>, sqlx::Error> {
        Ok(Some(SiteId::new(r.try_get("site_id")?)))
    }
}

/// Deletes site changes older than `before` (the book reloads whole every five minutes, so
/// an hour of changes is plenty).
pub async fn prune_changes(db: &Db, before: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM site_changes WHERE at < $1")
        .bind(before)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Adds counted views per site and hot-links per (site, host) to `day`'s rows, in one
/// transaction.
pub async fn add_hits(
    db: &Db,
    day: &str,
    hits: &[(SiteId, u64)],
    hotlinks: &[((SiteId, String), u64)],
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    for (site, n) in hits {
        sqlx::query(
            "INSERT INTO badge_hits (site_id, day, hits) VALUES ($1, $2, $3)
             ON CONFLICT (site_id, day) DO UPDATE SET hits = badge_hits.hits + excluded.hits",
        )
        .bind(site.get())
        .bind(day)
        .bind(i64::try_from(*n).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
    }
    for ((site, host), n) in hotlinks {
        sqlx::query(
            "INSERT INTO badge_hotlinks (site_id, host, day, hits) VALUES ($1, $2, $3, $4)
             ON CONFLICT (site_id, host, day)
             DO UPDATE SET hits = badge_hotlinks.hits + excluded.hits",
        )
        .bind(site.get())
        .bind(host)
        .bind(day)
        .bind(i64::try_from(*n).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
