//! Following `zone_changes`: which names changed since we last looked, in this process or any
//! other writing the same database. On PostgreSQL identity values can commit out of order, so
//! a gap below the newest id seen is re-read until it fills or is old enough to be a rolled
//! back transaction.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use govsite_core::org_type::Suffix;
use sqlx::Row;

use crate::store::{Db, StoreResult};

/// How long a gap in the ids is waited for before it counts as a rollback (a transaction that
/// commits later than this after taking its id is missed; none of ours runs that long).
const GAP_PATIENCE: Duration = Duration::from_secs(60);
/// At start, this many of the latest ids count as the window in which gaps are waited for.
const START_WINDOW: i64 = 1_000;
/// At most this many changes are read per poll; the rest come at the next.
const BATCH: i64 = 20_000;

/// One changed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub suffix: Suffix,
    /// ACE with the suffix (`xn--….xn--zfr164b`).
    pub ace: String,
}

impl Change {
    /// The label under the apex.
    pub fn label(&self) -> &str {
        self.ace.split('.').next().unwrap_or_default()
    }
}

/// Where a follower is in `zone_changes`.
#[derive(Debug)]
pub struct Cursor {
    /// Every id up to here has been seen (or given up on).
    floor: i64,
    /// Ids seen above the floor.
    above: BTreeSet<i64>,
    /// Since when the floor has been stuck, and at which value.
    gap_since: Option<(i64, Instant)>,
}

impl Cursor {
    /// A cursor past every change made so far: take it before loading the zones, so that a
    /// change committed during the load is applied again after it.
    /// The latest ids are taken as seen, but a gap among them (an id taken by a transaction
    /// not committed yet) is still waited for.
    pub async fn now(db: &Db) -> StoreResult<Cursor> {
        let ids: Vec<i64> = sqlx::query("SELECT id FROM zone_changes ORDER BY id DESC LIMIT $1")
            .bind(START_WINDOW)
            .fetch_all(db.pool())
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        let mut c = Cursor {
            floor: ids.last().map_or(0, |first| first - 1),
            above: ids.into_iter().collect(),
            gap_since: None,
        };
        c.advance();
        Ok(c)
    }

    fn max_seen(&self) -> i64 {
        self.above
            .last()
            .copied()
            .unwrap_or(self.floor)
            .max(self.floor)
    }

    /// The changes not seen yet, oldest first.
    pub async fn poll(&mut self, db: &Db) -> StoreResult<Vec<Change>> {
        let mut rows = sqlx::query(
            "SELECT id, suffix, ace FROM zone_changes WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(self.max_seen())
        .bind(BATCH)
        .fetch_all(db.pool())
        .await?;
        if !self.above.is_empty() {
            // Late commits into the gaps below the newest id seen.
            rows.extend(
                sqlx::query(
                    "SELECT id, suffix, ace FROM zone_changes WHERE id > $1 AND id < $2
                     ORDER BY id",
                )
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
            let suffix: String = r.try_get("suffix")?;
            let ace: String = r.try_get("ace")?;
            // A row without a name only moves a serial on (see `zone::bump_serial`).
            if ace.is_empty() {
                continue;
            }
            if let Some(suffix) = crate::zone::parse_zone(&suffix) {
                out.push(Change { id, suffix, ace });
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

    #[test]
    fn the_floor_waits_at_a_gap() {
        let mut c = Cursor {
            floor: 10,
            above: [11, 12, 14].into(),
            gap_since: None,
        };
        c.advance();
        assert_eq!(c.floor, 12);
        assert!(c.gap_since.is_some(), "13 is missing");
        c.above.insert(13);
        c.advance();
        assert_eq!(c.floor, 14);
        assert!(c.above.is_empty() && c.gap_since.is_none());
    }
}
