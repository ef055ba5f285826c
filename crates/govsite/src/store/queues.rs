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
    /// A further condition of ours (a constant, e.g. `d.held = 1`), or empty.
    pub extra: &'static str,
    /// The registry's region filter: region codes from the first to the second (a province,
    /// a city or one county; see `govsite_core::region::area`).
    pub area: Option<(i64, i64)>,
    /// One unit's rows only (a unit reading its own records through the API).
    pub unit: Option<i64>,
}

/// One queue's table: its FROM (with `u` for units), its columns (the id first), its search
/// expression over `$3` (a LIKE pattern), its id, state and date columns, what every row of
/// it must satisfy, and how a row is read.
pub struct Table<T> {
    pub from: &'static str,
    pub columns: &'static str,
    pub search: &'static str,
    pub id: &'static str,
    pub state: &'static str,
    pub date: &'static str,
    pub base: &'static str,
    pub map: fn(&AnyRow) -> StoreResult<T>,
}

impl QueueFilter {
    fn clause<T>(&self, t: &Table<T>) -> String {
        let states: Vec<String> = self.states.iter().map(|s| format!("'{s}'")).collect();
        let states = if states.is_empty() {
            "'none'".to_owned()
        } else {
            states.join(", ")
        };
        let mut extra = if self.extra.is_empty() {
            String::new()
        } else {
            format!(" AND {}", self.extra)
        };
        // Two integers of ours, never text from the request.
        if let Some((lo, hi)) = self.area {
            extra.push_str(&format!(" AND u.region_code BETWEEN {lo} AND {hi}"));
        }
        if let Some(unit) = self.unit {
            extra.push_str(&format!(" AND u.id = {unit}"));
        }
        format!(
            "{base} AND ($1 IS NULL OR u.region_code = $1) AND {state} IN ({states})
             AND ($2 = '' OR {search})
             AND ($4 IS NULL OR {date} >= $4) AND ($5 IS NULL OR {date} < $5){extra}",
            base = t.base,
            state = t.state,
            search = t.search,
            date = t.date,
        )
    }

    fn pattern(&self) -> String {
        format!("%{}%", super::units::escape_like(self.q.trim()))
    }
}

/// The rows of a page read one past its size: each with its id (the first column), at most
/// `size` of them, and whether there was one more.
fn read_rows<T>(rows: &[AnyRow], t: &Table<T>, size: u32) -> StoreResult<(Vec<(i64, T)>, bool)> {
    let mut items = rows
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>(0)?, (t.map)(r)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    let more = items.len() > size as usize;
    items.truncate(size as usize);
    Ok((items, more))
}

/// One page, newest first, and where it sits.
pub async fn page<T>(
    db: &Db,
    t: &Table<T>,
    f: &QueueFilter,
    request: PageRequest,
    per_page: u32,
    from_page: u32,
) -> StoreResult<(Vec<T>, PageInfo)> {
    let clause = f.clause(t);
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
    let plan = request.plan(t.id, per_page, total);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} {} WHERE {clause} AND {} ORDER BY {} {} LIMIT $6 OFFSET $7",
        t.columns, t.from, plan.condition, t.id, plan.order,
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
    let (mut items, more) = read_rows(&rows, t, per_page)?;
    if plan.reversed {
        items.reverse();
    }
    let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
    let items: Vec<T> = items.into_iter().map(|(_, t)| t).collect();
    let info = PageInfo::new(request, &ids, more, total, per_page, from_page);
    Ok((items, info))
}

/// The whole filtered queue (at most `cap` rows, newest first), for an export.
pub async fn all<T>(db: &Db, t: &Table<T>, f: &QueueFilter, cap: i64) -> StoreResult<Vec<T>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} {} WHERE {} ORDER BY {} DESC LIMIT $6",
        t.columns,
        t.from,
        f.clause(t),
        t.id
    )))
    .bind(f.region)
    .bind(f.q.trim())
    .bind(f.pattern())
    .bind(f.from)
    .bind(f.to)
    .bind(cap)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(t.map).collect()
}

/// Up to `limit` rows newest first, starting below the id `below` (the API's cursor), and
/// the id to continue below when there are more. No count: a page costs the same at any depth.
pub async fn slice<T>(
    db: &Db,
    t: &Table<T>,
    f: &QueueFilter,
    below: Option<i64>,
    limit: u32,
) -> StoreResult<(Vec<T>, Option<i64>)> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} {} WHERE {} AND ($6 IS NULL OR {id} < $6) ORDER BY {id} DESC LIMIT $7",
        t.columns,
        t.from,
        f.clause(t),
        id = t.id
    )))
    .bind(f.region)
    .bind(f.q.trim())
    .bind(f.pattern())
    .bind(f.from)
    .bind(f.to)
    .bind(below)
    .bind(i64::from(limit) + 1)
    .fetch_all(db.pool())
    .await?;
    let (items, more) = read_rows(&rows, t, limit)?;
    let next = if more {
        items.last().map(|(id, _)| *id)
    } else {
        None
    };
    Ok((items.into_iter().map(|(_, t)| t).collect(), next))
}
