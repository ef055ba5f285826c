//! SQL of 机构改革: a unit's status, what it has under review, closing it, and moving what it
//! holds to its successor. The rules are `govsite_core::reorganisation`; the decisions are
//! `registry::reorganisation`.

use govsite_core::ids::{AccountId, SiteId, UnitId};
use govsite_core::reorganisation::UnitStatus;
use sqlx::{AnyConnection, Row};

use super::StoreResult;

/// A unit's status, its row taken for the transaction (a merge and an abolition of the same
/// unit, or a merge into a unit being closed, happen one after the other on PostgreSQL too).
pub async fn lock_status(
    conn: &mut AnyConnection,
    unit: UnitId,
) -> StoreResult<Option<UnitStatus>> {
    sqlx::query("UPDATE units SET status = status WHERE id = $1")
        .bind(unit.get())
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query("SELECT status FROM units WHERE id = $1")
        .bind(unit.get())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => UnitStatus::parse(&r.try_get::<String, _>("status")?),
        None => None,
    })
}

/// How many of the unit's domain and website applications are under review or awaiting
/// payment or paper: an abolition waits for them.
pub async fn in_review(conn: &mut AnyConnection, unit: UnitId) -> StoreResult<usize> {
    let n: i64 = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM domain_applications WHERE unit_id = $1
                   AND state IN ('submitted', 'office_approved', 'registry_approved'))
              + (SELECT COUNT(*) FROM site_applications WHERE unit_id = $1
                   AND state IN ('submitted', 'office_approved', 'registry_approved', 'awaiting_paper'))
              AS n",
    )
    .bind(unit.get())
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Closes an active unit as `status`; false when it was no longer active.
pub async fn close(
    conn: &mut AnyConnection,
    unit: UnitId,
    status: UnitStatus,
    successor: Option<UnitId>,
    reason: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE units SET status = $1, successor_id = $2, closed_at = $3, closed_reason = $4,
                updated_at = $3
         WHERE id = $5 AND status = 'active'",
    )
    .bind(status.as_str())
    .bind(successor.map(|s| s.get()))
    .bind(now)
    .bind(reason)
    .bind(unit.get())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What moved to the successor.
#[derive(Debug, Clone, Copy, Default)]
pub struct Moved {
    pub names: u64,
    pub applications: u64,
    pub sites: u64,
}

/// Moves the unit's names, domain and website applications and sites to `to`. Sites are
/// numbered after the successor's own (their badge codes do not change); the badge book and
/// the red-page book are told.
pub async fn move_holdings(
    conn: &mut AnyConnection,
    from: UnitId,
    to: UnitId,
    now: i64,
) -> StoreResult<Moved> {
    let names = sqlx::query("UPDATE domains SET unit_id = $1, updated_at = $2 WHERE unit_id = $3")
        .bind(to.get())
        .bind(now)
        .bind(from.get())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let mut applications = 0;
    for table in ["domain_applications", "site_applications"] {
        applications += sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET unit_id = $1 WHERE unit_id = $2"
        )))
        .bind(to.get())
        .bind(from.get())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    let offset: i64 =
        sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM sites WHERE unit_id = $1")
            .bind(to.get())
            .fetch_one(&mut *conn)
            .await?
            .try_get("m")?;
    let sites = sqlx::query(
        "UPDATE sites SET unit_id = $1, seq = seq + $2, updated_at = $3 WHERE unit_id = $4",
    )
    .bind(to.get())
    .bind(offset)
    .bind(now)
    .bind(from.get())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query("INSERT INTO site_changes (site_id) SELECT id FROM sites WHERE unit_id = $1")
        .bind(to.get())
        .execute(&mut *conn)
        .await?;
    for unit in [from, to] {
        sqlx::query("INSERT INTO red_page_changes (unit_id) VALUES ($1)")
            .bind(unit.get())
            .execute(&mut *conn)
            .await?;
    }
    Ok(Moved {
        names,
        applications,
        sites,
    })
}

/// The unit's open sites, red-page ones first.
pub async fn open_sites(
    conn: &mut AnyConnection,
    unit: UnitId,
    red_page_only: bool,
) -> StoreResult<Vec<(SiteId, String, String)>> {
    let rows = sqlx::query(
        "SELECT id, badge_code, badge_state FROM sites
         WHERE unit_id = $1 AND closed_at IS NULL AND (red_page = 1 OR $2 = 0)
         ORDER BY red_page DESC, id",
    )
    .bind(unit.get())
    .bind(i64::from(red_page_only))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                SiteId::new(r.try_get("id")?),
                r.try_get("badge_code")?,
                r.try_get("badge_state")?,
            ))
        })
        .collect()
}

/// Disables every account of the unit and ends their sessions; returns the accounts that
/// were not disabled already.
pub async fn disable_accounts(
    conn: &mut AnyConnection,
    unit: UnitId,
) -> StoreResult<Vec<AccountId>> {
    let rows = sqlx::query("SELECT id FROM accounts WHERE unit_id = $1 AND status <> 'disabled'")
        .bind(unit.get())
        .fetch_all(&mut *conn)
        .await?;
    let ids: Vec<AccountId> = rows
        .iter()
        .map(|r| r.try_get("id").map(AccountId::new))
        .collect::<Result<_, _>>()?;
    for id in &ids {
        sqlx::query("UPDATE accounts SET status = 'disabled' WHERE id = $1")
            .bind(id.get())
            .execute(&mut *conn)
            .await?;
        super::sessions::delete_for_account_in(conn, *id, None).await?;
    }
    Ok(ids)
}
