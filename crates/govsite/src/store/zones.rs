//! The zones as stored: which names are in them (live and not held: active, or expired but
//! still in the protection period, with their variants), their records, the serial, and the
//! change log (`zone_changes`, filled by triggers on `domains`) the DNS and forwarding roles
//! follow.

use govsite_core::org_type::Suffix;
use govsite_core::zone::{Entry, Records, parse_zone};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::changes::ChangeLog;
use super::{Db, StoreResult};

/// One changed name in `zone_changes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneChange {
    pub id: i64,
    pub suffix: Suffix,
    /// ACE with the suffix (`xn--….xn--zfr164b`).
    pub ace: String,
}

impl ZoneChange {
    /// The label under the apex.
    pub fn label(&self) -> &str {
        self.ace.split('.').next().unwrap_or_default()
    }
}

/// `zone_changes`: one row per change of a name, or a row without a name that only moves a
/// zone's serial on (see [`bump_serial`]).
#[derive(Debug)]
pub struct ZoneChanges;

impl ChangeLog for ZoneChanges {
    const TABLE: &'static str = "zone_changes";
    const COLUMNS: &'static str = "suffix, ace";
    const BATCH: i64 = 20_000;
    type Change = ZoneChange;

    fn parse(id: i64, r: &AnyRow) -> Result<Option<ZoneChange>, sqlx::Error> {
        let suffix: String = r.try_get("suffix")?;
        let ace: String = r.try_get("ace")?;
        if ace.is_empty() {
            return Ok(None);
        }
        Ok(parse_zone(&suffix).map(|suffix| ZoneChange { id, suffix, ace }))
    }
}

fn records(plan: &str, ipv4: &str, ipv6: &str, nameservers: &str) -> Records {
    match plan {
        "delegate" => Records::Delegation(
            nameservers
                .split_whitespace()
                .map(|s| {
                    let (host, glue) = s.split_once('=').unwrap_or((s, ""));
                    (host.to_owned(), glue.parse().ok())
                })
                .collect(),
        ),
        // Both lead to the forwarding role, which redirects or serves the red page.
        "forward" | "red_page" => Records::Forward,
        // An unparsable stored address counts as missing, so the name is reported.
        _ => Records::Address {
            v4: ipv4.parse().ok(),
            v6: ipv6.parse().ok(),
        },
    }
}

fn entry_of(r: &sqlx::any::AnyRow) -> StoreResult<Entry> {
    let ace: String = r.try_get("ace")?;
    let plan: String = r.try_get("plan")?;
    let ipv4: String = r.try_get("ipv4")?;
    let ipv6: String = r.try_get("ipv6")?;
    let ns: String = r.try_get("nameservers")?;
    Ok(Entry {
        label: ace.split('.').next().unwrap_or_default().to_owned(),
        records: records(&plan, &ipv4, &ipv6, &ns),
    })
}

/// The names of `suffix`'s zone and its serial.
pub async fn entries(db: &Db, suffix: Suffix) -> StoreResult<(Vec<Entry>, u32)> {
    let mut out = Vec::new();
    each_entry(db, suffix, |e| out.push(e)).await?;
    Ok((out, serial(db, suffix).await?))
}

/// Calls `f` with each name of `suffix`'s zone, a page at a time (by id): a zone of a
/// million names never sits in memory as rows.
pub async fn each_entry(db: &Db, suffix: Suffix, mut f: impl FnMut(Entry)) -> StoreResult<()> {
    each_live(db, |s, e| {
        if s == suffix {
            f(e)
        }
    })
    .await
}

/// Calls `f` with each live name of both zones, in one pass over the table.
pub async fn each_live(db: &Db, mut f: impl FnMut(Suffix, Entry)) -> StoreResult<()> {
    let mut after = 0i64;
    loop {
        // Only the primary key in the condition: a filter on state would let the planner pick
        // the state index and sort every page (quadratic on a million names); the rows that
        // are not live are skipped here instead.
        let rows = sqlx::query(
            "SELECT id, suffix, state, held, ace, plan, ipv4, ipv6, nameservers FROM domains
             WHERE id > $1 ORDER BY id LIMIT 5000",
        )
        .bind(after)
        .fetch_all(db.pool())
        .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.try_get("id")?;
        for r in &rows {
            let suffix: String = r.try_get("suffix")?;
            let state: String = r.try_get("state")?;
            let held: i64 = r.try_get("held")?;
            let live = matches!(state.as_str(), "active" | "expired") && held == 0;
            if let (true, Some(suffix)) = (live, parse_zone(&suffix)) {
                f(suffix, entry_of(r)?);
            }
        }
    }
}

/// The zone's serial: the number of its latest change (`zone_changes`, filled by triggers on
/// every activation, change, suspension, restoration, expiry or deletion), at least 1.
pub async fn serial(db: &Db, suffix: Suffix) -> StoreResult<u32> {
    let latest: Option<i64> =
        sqlx::query("SELECT MAX(id) AS s FROM zone_changes WHERE suffix = $1")
            .bind(&suffix.label()[1..])
            .fetch_one(db.pool())
            .await?
            .try_get("s")?;
    Ok(latest.map_or(1, |s| (s as u32).max(1)))
}

/// Deletes change rows older than `before`, keeping each zone's latest (its serial).
pub async fn prune_changes(db: &Db, before: i64) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM zone_changes WHERE at < $1
         AND id NOT IN (SELECT MAX(id) FROM zone_changes GROUP BY suffix)",
    )
    .bind(before)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// A new serial for `suffix`'s zone, newer than any served so far: a change row without a
/// name. Used when a late commit brings a lower number, so the serial served is always one the
/// database holds and never goes back after a restart.
pub async fn bump_serial(db: &Db, suffix: Suffix) -> StoreResult<u32> {
    let id: i64 =
        sqlx::query("INSERT INTO zone_changes (suffix, ace) VALUES ($1, '') RETURNING id")
            .bind(&suffix.label()[1..])
            .fetch_one(&mut *db.writer().await?)
            .await?
            .try_get("id")?;
    Ok(id as u32)
}

/// What the names `aces` (ACE, with their suffix) answer now; names not in the zone are absent
/// from the map. Read 500 at a time.
pub async fn entries_by_ace(
    db: &Db,
    aces: &[String],
) -> StoreResult<std::collections::HashMap<String, Entry>> {
    let mut out = std::collections::HashMap::with_capacity(aces.len());
    for chunk in aces.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        // Only placeholders are formatted into the text; the names are bound.
        let sql = format!(
            "SELECT ace, plan, ipv4, ipv6, nameservers FROM domains
             WHERE ace IN ({}) AND state IN ('active', 'expired') AND held = 0",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for ace in chunk {
            q = q.bind(ace);
        }
        for r in q.fetch_all(db.pool()).await? {
            let ace: String = r.try_get("ace")?;
            out.insert(ace, entry_of(&r)?);
        }
    }
    Ok(out)
}

/// What one name (ACE, with its suffix) answers now, or `None` if it is not in the zone.
pub async fn entry(db: &Db, ace: &str) -> StoreResult<Option<Entry>> {
    let row = sqlx::query(
        "SELECT ace, plan, ipv4, ipv6, nameservers FROM domains
         WHERE ace = $1 AND state IN ('active', 'expired') AND held = 0",
    )
    .bind(ace)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(entry_of).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_red_page_name_leads_to_the_forwarding_role_like_a_forwarded_one() {
        assert_eq!(records("red_page", "", "", ""), Records::Forward);
        assert_eq!(records("forward", "", "", ""), Records::Forward);
        assert_eq!(
            records("resolve", "192.0.2.1", "", ""),
            Records::Address {
                v4: "192.0.2.1".parse().ok(),
                v6: None
            }
        );
    }
}
