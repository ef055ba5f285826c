//! What the forwarding role reads of `domains`: the plan-2 (forward) and plan-3 (red page) names that still exist,
//! all of them at start, one at a time when the zone feed says a name changed. The rows are
//! plain; the forwarding role decides what each means (redirect, notice or nothing).

use govsite_core::ids::UnitId;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, StoreResult};

/// One name as the forwarding role sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardRow {
    pub unit_id: UnitId,
    pub ace: String,
    pub state: String,
    /// The stored flag: non-zero while the staff hold the name.
    pub held: i64,
    /// The staff's hold reason category code (`govsite_core::hold`), empty when not held.
    pub hold_category: String,
    pub plan: String,
    pub forward_url: String,
}

fn row(r: &AnyRow) -> StoreResult<ForwardRow> {
    Ok(ForwardRow {
        unit_id: UnitId::new(r.try_get("unit_id")?),
        ace: r.try_get("ace")?,
        state: r.try_get("state")?,
        held: r.try_get("held")?,
        hold_category: r.try_get("hold_category")?,
        plan: r.try_get("plan")?,
        forward_url: r.try_get("forward_url")?,
    })
}

/// Every name with the forwarding or red-page plan that is not deleted.
pub async fn all(db: &Db) -> StoreResult<Vec<ForwardRow>> {
    let rows = sqlx::query(
        "SELECT unit_id, ace, state, held, hold_category, plan, forward_url FROM domains
         WHERE plan IN ('forward', 'red_page') AND state <> 'deleted'",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(row).collect()
}

/// The name `ace` if it is not deleted, whatever its plan (a name that left the forwarding
/// plan must leave the table too).
pub async fn by_ace(db: &Db, ace: &str) -> StoreResult<Option<ForwardRow>> {
    let found = sqlx::query(
        "SELECT unit_id, ace, state, held, hold_category, plan, forward_url FROM domains
         WHERE ace = $1 AND state <> 'deleted'",
    )
    .bind(ace)
    .fetch_optional(db.pool())
    .await?;
    found.as_ref().map(row).transpose()
}
