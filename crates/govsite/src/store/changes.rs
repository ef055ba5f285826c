//! Following a change table (`zone_changes`, `site_changes`, filled by triggers): what changed
//! since we last looked, in this process or any other writing the same database.
//!
//! On PostgreSQL identity values can commit out of order, so a gap below the newest id seen is
//! re-read until it fills or is old enough to be a rolled back transaction. One follower serves
//! every change table; a [`ChangeLog`] names the table and reads its rows.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, StoreResult};

/// How long a gap in the ids is waited for before it counts as a rollback (a transaction that
/// commits later than this after taking its id is missed; none of ours runs that long).
const GAP_PATIENCE: Duration = Duration::from_secs(60);
/// At start, this many of the latest ids count as the window in which gaps are waited for.
const START_WINDOW: i64 = 1_000;

/// A table of changes: an increasing `id` and the columns that say what changed.
pub trait ChangeLog {
    /// The table, a constant of ours (never user input).
    const TABLE: &'static str;
    /// The columns read besides `id`.
    const COLUMNS: &'static str;
    /// At most this many changes are read per poll; the rest come at the next.
    const BATCH: i64;
    /// What one change says.
    type Change;
    /// The change in a row, or `None` for a row that only moves a counter on.
    fn parse(id: i64, row: &AnyRow) -> Result<Option<Self::Change>, sqlx::Error>;
}

/// Where a follower is in its change table.
#[derive(Debug)]
pub struct Follower<L> {
    /// Every id up to here has been seen (or given up on).
    floor: i64,
    /// Ids seen above the floor.
    above: BTreeSet<i64>,
    /// Since when the floor has been stuck, and at which value.
    gap_since: Option<(i64, Instant)>,
    log: PhantomData<fn() -> L>,
}

impl<L: ChangeLog> Follower<L> {
    /// A follower past every change made so far: take it before loading what the changes
    /// apply to, so that a change committed during the load is applied again after it.
    /// The latest ids are taken as seen, but a gap among them (an id taken by a transaction
    /// not committed yet) is still waited for.
    pub async fn now(db: &Db) -> StoreResult<Self> {
        let ids: Vec<i64> = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM {} ORDER BY id DESC LIMIT $1",
            L::TABLE
        )))
        .bind(START_WINDOW)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
        let mut f = Self::at(ids.last().map_or(0, |first| first - 1), ids);
        f.advance();
        Ok(f)
    }

    fn at(floor: i64, above: impl IntoIterator<Item = i64>) -> Self {
        Self {
            floor,
            above: above.into_iter().collect(),
            gap_since: None,
            log: PhantomData,
        }
    }

    fn max_seen(&self) -> i64 {
        self.above
            .last()
            .copied()
            .unwrap_or(self.floor)
            .max(self.floor)
    }

    /// The changes not seen yet, oldest first.
    pub async fn poll(&mut self, db: &Db) -> StoreResult<Vec<L::Change>> {
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, {} FROM {} WHERE id > $1 ORDER BY id LIMIT $2",
            L::COLUMNS,
            L::TABLE
        )))
        .bind(self.max_seen())
        .bind(L::BATCH)
        .fetch_all(db.pool())
        .await?;
        if !self.above.is_empty() {
            // Late commits into the gaps below the newest id seen.
            rows.extend(
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT id, {} FROM {} WHERE id > $1 AND id < $2 ORDER BY id",
                    L::COLUMNS,
                    L::TABLE
                )))
                .bind(self.floor)
                .bind(self.max_seen())
                .fetch_all(db.pool())
                .await?,
            );
        }
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            if !self.above.insert(id) {
                continue;
            }
            if let Some(change) = L::parse(id, &r)? {
                out.push(change);
            }
        }
        self.advance();
        Ok(out)
    }

    fn advance(&mut self) {
        while self.above.remove(&(self.floor + 1)) {
            self.floor += 1;
        }
        match (self.above.first().copied(), self.gap_since) {
            (None, _) => self.gap_since = None,
            // Each gap gets its own patience: the clock restarts when the floor moves.
            (Some(first), Some((at, since)))
                if at == self.floor && since.elapsed() > GAP_PATIENCE =>
            {
                self.floor = first - 1;
                self.gap_since = None;
                self.advance();
            }
            (Some(_), Some((at, _))) if at == self.floor => {}
            (Some(_), _) => self.gap_since = Some((self.floor, Instant::now())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Log;
    impl ChangeLog for Log {
        const TABLE: &'static str = "t";
        const COLUMNS: &'static str = "x";
        const BATCH: i64 = 1;
        type Change = ();
        fn parse(_: i64, _: &AnyRow) -> Result<Option<()>, sqlx::Error> {
            Ok(None)
        }
    }

    #[test]
    fn the_floor_waits_at_a_gap() {
        let mut f = Follower::<Log>::at(10, [11, 12, 14]);
        f.advance();
        assert_eq!(f.floor, 12);
        assert!(f.gap_since.is_some(), "13 is missing");
        f.above.insert(13);
        f.advance();
        assert_eq!(f.floor, 14);
        assert!(f.above.is_empty() && f.gap_since.is_none());
    }
}
