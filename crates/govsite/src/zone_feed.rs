//! Following `zone_changes`: which names changed since we last looked, in this process or any
//! other writing the same database. On PostgreSQL identity values can commit out of order, so
//! a gap below the newest id seen is re-read until it fills or is old enough to be a rolled
//! back transaction.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use govsite_core::org_type::Suffix;
use sqlx::Row;

use crate::store::{Db, StoreResult};

/// How long a gap in the ids is waited for before it counts as a rollback.
const GAP_PATIENCE: Duration = Duration::from_secs(10);
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
    gap_since: Option<Instant>,
}

fn suffix_of(text: &str) -> Option<Suffix> {
    match text {
        "政务" => Some(Suffix::Zhengwu),
        "公益" => Some(Suffix::Gongyi),
        _ => None,
    }
}

impl Cursor {
    /// A cursor past every change made so far: take it before loading the zones, so that a
    /// change committed during the load is applied again after it.
    pub async fn now(db: &Db) -> StoreResult<Cursor> {
        let max: Option<i64> = sqlx::query("SELECT MAX(id) AS m FROM zone_changes")
            .fetch_one(db.pool())
            .await?
            .try_get("m")?;
        Ok(Cursor {
            floor: max.unwrap_or(0),
            above: BTreeSet::new(),
            gap_since: None,
        })
    }

    /// The changes not seen yet, oldest first.
    pub async fn poll(&mut self, db: &Db) -> StoreResult<Vec<Change>> {
        let rows = sqlx::query(
            "SELECT id, suffix, ace FROM zone_changes WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(self.floor)
        .bind(BATCH)
        .fetch_all(db.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            if !self.above.insert(id) {
                continue;
            }
            let suffix: String = r.try_get("suffix")?;
            if let Some(suffix) = suffix_of(&suffix) {
                out.push(Change {
                    id,
                    suffix,
                    ace: r.try_get("ace")?,
                });
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
            (Some(_), None) => self.gap_since = Some(Instant::now()),
            (Some(first), Some(since)) if since.elapsed() > GAP_PATIENCE => {
                self.floor = first - 1;
                self.gap_since = None;
                self.advance();
            }
            _ => {}
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
