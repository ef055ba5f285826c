//! The staff's queues at scale: one filter (region, states, a search, submission dates) and
//! one keyset page reader (`govsite_core::paging`) for every list of applications, so each
//! list only says what its table is and what its search looks at.

use govsite_core::paging::{PageInfo, PageRequest};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, StoreResult};

/// What a reviewer's queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub region: Option<i64>,
    /// Stored state codes (constants of ours, never user input).
    pub states: Vec<&'static str>,
    pub q: String,
    /// Submitted at or after (unix seconds).
    pub from: Option<i64>,
    /// Submitted before.
    pub to: Option<i64>,
}

/// One queue's table: its FROM (aliases `a` for the applications, `u` for units), its
/// columns, and its search expression over `$3` (a LIKE pattern).
pub struct Table {
    pub from: &'static str,
    pub columns: &'static str,
    pub search: &'static str,
}

impl QueueFilter {
    fn clause(&self, search: &str) -> String {
        let states: Vec<String> = self.states.iter().map(|s| format!("'{s}'")).collect();
        let states = if states.is_empty() {
            "'none'".to_owned()
        } else {
            states.join(", ")
        };
        format!(
            "($1 IS NULL OR u.region_code = $1) AND a.state IN ({states})
             AND ($2 = '' OR {search})
             AND ($4 IS NULL OR a.submitted_at >= $4) AND ($5 IS NULL OR a.submitted_at < $5)"
        )
    }

    fn pattern(&self) -> String {
        format!("%{}%", super::units::escape_like(self.q.trim()))
    }
}

/// One page, newest first, and where it sits.
pub async fn page<T>(
    db: &Db,
    t: &Table,
    f: &QueueFilter,
    request: PageRequest,
    per_page: u32,
    from_page: u32,
    map: impl Fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<(Vec<T>, PageInfo)> {
    let clause = f.clause(t.search);
    let pattern = f.pattern();
    let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n {} WHERE {clause}",
        t.from
    )))
    .bind(f.region)
    .bind(f.q.trim())
    .bind(&pattern)
    .bind(f.from)
    .bind(f.to)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    let plan = request.plan("a.id", per_page, total);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} {} WHERE {clause} AND {} ORDER BY a.id {} LIMIT $6 OFFSET $7",
        t.columns, t.from, plan.condition, plan.order,
    )))
    .bind(f.region)
    .bind(f.q.trim())
    .bind(&pattern)
    .bind(f.from)
    .bind(f.to)
    .bind(plan.limit)
    .bind(plan.offset)
    .fetch_all(db.pool())
    .await?;
    let mut items = rows
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>("id")?, map(r)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    let more = items.len() > per_page as usize;
    items.truncate(per_page as usize);
    if plan.reversed {
        items.reverse();
    }
    let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
    let items: Vec<T> = items.into_iter().map(|(_, t)| t).collect();
    let info = PageInfo::new(request, &ids, more, total, per_page, from_page);
    Ok((items, info))
}

/// The whole filtered queue (at most `cap` rows, newest first), for an export.
pub async fn all<T>(
    db: &Db,
    t: &Table,
    f: &QueueFilter,
    cap: i64,
    map: impl Fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} {} WHERE {} ORDER BY a.id DESC LIMIT $6",
        t.columns,
        t.from,
        f.clause(t.search)
    )))
    .bind(f.region)
    .bind(f.q.trim())
    .bind(f.pattern())
    .bind(f.from)
    .bind(f.to)
    .bind(cap)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(map).collect()
}
