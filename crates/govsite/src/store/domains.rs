//! Registered names: who holds what, availability, and the state each name is in.

use govsite_core::domain_form::Plan;
use govsite_core::domain_lifecycle::DomainState;
use govsite_core::ids::{DomainApplicationId, DomainId, UnitId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult, map_unique, stored};

#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    pub id: DomainId,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub suffix: String,
    pub label: String,
    pub ace: String,
    pub variant_of: Option<DomainId>,
    pub state: DomainState,
    pub state_label: &'static str,
    pub held: bool,
    pub hold_reason: String,
    /// Why resolution was stopped, by category (campaign, badge, content, …).
    pub hold_category: String,
    /// Who placed the hold: `office`, `registry`, or empty (not held, or not recorded).
    pub held_by: String,
    pub plan: String,
    pub ipv4: String,
    pub ipv6: String,
    pub nameservers: String,
    pub forward_url: String,
    pub registered_at: i64,
    pub expires_at: i64,
    pub reminders_sent: String,
}

impl Domain {
    pub fn domain_state(&self) -> DomainState {
        self.state
    }

    /// 靖远县人民政府.政务
    pub fn unicode(&self) -> String {
        format!("{}.{}", self.label, self.suffix)
    }
}

const COLUMNS: &str =
    "d.id, d.unit_id, u.name AS unit_name, d.suffix, d.label, d.ace, d.variant_of,
    d.state, d.held, d.hold_reason, d.hold_category, d.held_by, d.plan, d.ipv4, d.ipv6, d.nameservers, d.forward_url,
    d.registered_at, d.expires_at, d.reminders_sent";

fn from_row(r: &AnyRow) -> StoreResult<Domain> {
    let id: i64 = r.try_get("id")?;
    let state: String = r.try_get("state")?;
    let state = stored("domains", id, "state", &state, DomainState::parse)?;
    Ok(Domain {
        id: DomainId::new(id),
        unit_id: UnitId::new(r.try_get("unit_id")?),
        unit_name: r.try_get("unit_name")?,
        suffix: r.try_get("suffix")?,
        label: r.try_get("label")?,
        ace: r.try_get("ace")?,
        variant_of: r
            .try_get::<Option<i64>, _>("variant_of")?
            .map(DomainId::new),
        state_label: state.label(),
        state,
        held: r.try_get::<i64, _>("held")? != 0,
        hold_reason: r.try_get("hold_reason")?,
        hold_category: r.try_get("hold_category")?,
        held_by: r.try_get("held_by")?,
        plan: r.try_get("plan")?,
        ipv4: r.try_get("ipv4")?,
        ipv6: r.try_get("ipv6")?,
        nameservers: r.try_get("nameservers")?,
        forward_url: r.try_get("forward_url")?,
        registered_at: r.try_get("registered_at")?,
        expires_at: r.try_get("expires_at")?,
        reminders_sent: r.try_get("reminders_sent")?,
    })
}

/// The unit holding a live name (or variant) with this key under `suffix`, if any.
pub async fn holder(
    db: &Db,
    suffix: &str,
    canonical: &str,
) -> StoreResult<Option<(UnitId, String)>> {
    let row = sqlx::query(
        "SELECT d.unit_id, u.name FROM domains d JOIN units u ON u.id = d.unit_id
         WHERE d.suffix = $1 AND d.canonical = $2 AND d.state <> 'deleted' LIMIT 1",
    )
    .bind(suffix)
    .bind(canonical)
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .map(|r| Ok::<_, sqlx::Error>((UnitId::new(r.try_get("unit_id")?), r.try_get("name")?)))
        .transpose()?)
}

/// Another unit whose legal name is this label (in any of the given spellings).
pub async fn other_unit_named(
    db: &Db,
    spellings: &[&str],
    own: UnitId,
) -> StoreResult<Option<String>> {
    for name in spellings {
        let row = sqlx::query("SELECT name FROM units WHERE name = $1 AND id <> $2 LIMIT 1")
            .bind(*name)
            .bind(own.get())
            .fetch_optional(db.pool())
            .await?;
        if let Some(r) = row {
            return Ok(Some(r.try_get("name")?));
        }
    }
    Ok(None)
}

/// What a new name needs to be stored.
pub struct NewDomain<'a> {
    pub unit: UnitId,
    pub application_id: Option<DomainApplicationId>,
    pub suffix: &'a str,
    pub label: &'a str,
    pub ace: &'a str,
    pub canonical: &'a str,
    pub variant_of: Option<DomainId>,
    pub plan: &'a str,
    pub ipv4: &'a str,
    pub ipv6: &'a str,
    pub nameservers: &'a str,
    pub forward_url: &'a str,
    pub expires_at: i64,
}

pub async fn insert(
    conn: &mut AnyConnection,
    d: &NewDomain<'_>,
    now: i64,
) -> StoreResult<DomainId> {
    let row = sqlx::query(
        "INSERT INTO domains (unit_id, application_id, suffix, label, ace, canonical, variant_of,
                              state, plan, ipv4, ipv6, nameservers, forward_url, registered_at,
                              expires_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12, $13, $14, $13)
         RETURNING id",
    )
    .bind(d.unit.get())
    .bind(d.application_id.map(|a| a.get()))
    .bind(d.suffix)
    .bind(d.label)
    .bind(d.ace)
    .bind(d.canonical)
    .bind(d.variant_of.map(|v| v.get()))
    .bind(d.plan)
    .bind(d.ipv4)
    .bind(d.ipv6)
    .bind(d.nameservers)
    .bind(d.forward_url)
    .bind(now)
    .bind(d.expires_at)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| map_unique(e, "domain"))?;
    Ok(DomainId::new(row.try_get("id")?))
}

pub async fn of_unit(db: &Db, unit: UnitId) -> StoreResult<Vec<Domain>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domains d JOIN units u ON u.id = d.unit_id
         WHERE d.unit_id = $1 AND d.state <> 'deleted' ORDER BY d.variant_of IS NOT NULL, d.id"
    )))
    .bind(unit.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn find(db: &Db, id: DomainId) -> StoreResult<Option<Domain>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domains d JOIN units u ON u.id = d.unit_id WHERE d.id = $1"
    )))
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A live name by its ACE form (`xn--….xn--zfr164b`).
pub async fn by_ace(db: &Db, ace: &str) -> StoreResult<Option<Domain>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domains d JOIN units u ON u.id = d.unit_id
         WHERE d.ace = $1 AND d.state <> 'deleted'"
    )))
    .bind(ace)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// RDAP's domain search: the live names (variants left out) whose Unicode label (or, with
/// `ace`, whose ACE form) starts with `prefix`, in one zone (`suffix`, e.g. `政务`) or both;
/// at most `limit`, oldest first.
pub async fn starting_with(
    db: &Db,
    prefix: &str,
    ace: bool,
    suffix: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Domain>> {
    let column = if ace { "d.ace" } else { "d.label" };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domains d JOIN units u ON u.id = d.unit_id
         WHERE d.state <> 'deleted' AND d.variant_of IS NULL
           AND {column} LIKE $1 ESCAPE '\\' AND ($2 IS NULL OR d.suffix = $2)
         ORDER BY d.id LIMIT $3"
    )))
    .bind(format!("{}%", super::units::escape_like(prefix)))
    .bind(suffix)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// The live names delegated to the name server `host` (as stored: ASCII, lower case), at
/// most `limit`, oldest first.
pub async fn delegated_to(db: &Db, host: &str, limit: i64) -> StoreResult<Vec<Domain>> {
    let host = super::units::escape_like(host);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domains d JOIN units u ON u.id = d.unit_id
         WHERE d.state <> 'deleted' AND d.variant_of IS NULL
           AND (' ' || d.nameservers || ' ' LIKE $1 ESCAPE '\\'
                OR ' ' || d.nameservers || ' ' LIKE $2 ESCAPE '\\')
         ORDER BY d.id LIMIT $3"
    )))
    .bind(format!("% {host} %"))
    .bind(format!("% {host}=%"))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Names whose state may change by time: not deleted, not a variant (variants follow their name).
/// A row with a state none of ours is logged and left out (see `skipping_corrupt`).
pub async fn living(db: &Db) -> StoreResult<Vec<Domain>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domains d JOIN units u ON u.id = d.unit_id
         WHERE d.state <> 'deleted' AND d.variant_of IS NULL ORDER BY d.expires_at"
    )))
    .fetch_all(db.pool())
    .await?;
    super::skipping_corrupt(rows.iter().map(from_row))
}

/// 编办代缴 of renewals: the primary names of the region's active units that expire before
/// `before` (in their protection period included), soonest first, at most `limit`.
pub async fn renewals_due(
    db: &Db,
    region: i64,
    before: i64,
    limit: i64,
) -> StoreResult<Vec<Domain>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domains d JOIN units u ON u.id = d.unit_id
         WHERE u.region_code = $1 AND u.status = 'active' AND d.variant_of IS NULL
           AND d.state <> 'deleted' AND d.expires_at < $2
         ORDER BY d.expires_at, d.id LIMIT $3"
    )))
    .bind(region)
    .bind(before)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    super::skipping_corrupt(rows.iter().map(from_row))
}

/// Sets the state of a name and of its variants.
pub async fn set_state(
    conn: &mut AnyConnection,
    id: DomainId,
    state: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE domains SET state = $1, updated_at = $2 WHERE id = $3 OR variant_of = $3")
        .bind(state)
        .bind(now)
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves the expiry of a name (and its variants) from `old` to `new`; false when it no
/// longer is `old`, i.e. somebody renewed it meanwhile.
pub async fn move_expiry(
    conn: &mut AnyConnection,
    id: DomainId,
    old: i64,
    new: i64,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE domains SET expires_at = $1, reminders_sent = '', updated_at = $2
         WHERE (id = $3 OR variant_of = $3) AND expires_at = $4",
    )
    .bind(new)
    .bind(now)
    .bind(id.get())
    .bind(old)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Holds (or releases) a name and its variants; `by` is who placed the hold (empty on release).
pub async fn set_hold(
    conn: &mut AnyConnection,
    id: DomainId,
    held: bool,
    category: &str,
    reason: &str,
    by: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE domains SET held = $1, hold_category = $2, hold_reason = $3, held_by = $4, updated_at = $5 WHERE id = $6 OR variant_of = $6")
        .bind(i64::from(held))
        .bind(category)
        .bind(reason)
        .bind(by)
        .bind(now)
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn record_reminder(
    conn: &mut AnyConnection,
    id: DomainId,
    sent: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE domains SET reminders_sent = $1 WHERE id = $2")
        .bind(sent)
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The columns that say how a name resolves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Records {
    pub plan: &'static str,
    pub ipv4: String,
    pub ipv6: String,
    /// `host` or `host=glue address`, space separated.
    pub nameservers: String,
    pub forward_url: String,
}

impl Records {
    pub fn of(plan: &Plan) -> Self {
        let mut r = Self {
            plan: plan.kind(),
            ipv4: String::new(),
            ipv6: String::new(),
            nameservers: String::new(),
            forward_url: String::new(),
        };
        match plan {
            Plan::Resolve { ipv4, ipv6 } => {
                r.ipv4 = ipv4.map(|a| a.to_string()).unwrap_or_default();
                r.ipv6 = ipv6.map(|a| a.to_string()).unwrap_or_default();
            }
            Plan::Delegate { nameservers } => {
                r.nameservers = nameservers
                    .iter()
                    .map(|(h, ip)| ip.map_or(h.clone(), |ip| format!("{h}={ip}")))
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            Plan::Forward { url } => r.forward_url = url.clone(),
            Plan::RedPage => {}
        }
        r
    }

    /// One line for the audit trail.
    pub fn describe(&self) -> String {
        [
            self.plan,
            &self.ipv4,
            &self.ipv6,
            &self.nameservers,
            &self.forward_url,
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// Sets how a name (and its variants) resolves, all columns at once.
pub async fn set_records(
    conn: &mut AnyConnection,
    id: DomainId,
    r: &Records,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE domains SET plan = $1, ipv4 = $2, ipv6 = $3, nameservers = $4, forward_url = $5,
             updated_at = $6 WHERE id = $7 OR variant_of = $7",
    )
    .bind(r.plan)
    .bind(&r.ipv4)
    .bind(&r.ipv6)
    .bind(&r.nameservers)
    .bind(&r.forward_url)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The registered names' table for the consoles' 域名管理: searched by the name (Unicode or
/// ACE) and the unit's name and credit code; traditional variants and deleted names left out.
pub const QUEUE: super::queues::Table<Domain> = super::queues::Table {
    from: "FROM domains d JOIN units u ON u.id = d.unit_id",
    columns: COLUMNS,
    id: "d.id",
    state: "d.state",
    date: "d.registered_at",
    base: "d.variant_of IS NULL AND d.state <> 'deleted'",
    search: "LOWER(d.label) LIKE LOWER($3) ESCAPE '\\' OR LOWER(d.ace) LIKE LOWER($3) ESCAPE '\\'
             OR LOWER(u.name) LIKE LOWER($3) ESCAPE '\\' OR LOWER(u.credit_code) LIKE LOWER($3) ESCAPE '\\'",
    map: from_row,
};
