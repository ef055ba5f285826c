//! The audit chain's SQL: the head, the audit rows not sealed yet, appending an entry, and the
//! chain walked with the content of each row it seals (see `registry::audit_chain`).

use serde::Serialize;
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{Db, StoreResult};

/// An audit row's content, every column, as it is hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditContent {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub from_state: String,
    pub to_state: String,
    pub reason: String,
    pub ip: String,
}

const CONTENT: &str = "e.id, e.at, e.actor_id, e.actor, e.action, e.subject_type, e.subject_id,
    e.from_state, e.to_state, e.reason, e.ip";

fn content(r: &AnyRow) -> Result<AuditContent, sqlx::Error> {
    Ok(AuditContent {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject_type: r.try_get("subject_type")?,
        subject_id: r.try_get("subject_id")?,
        from_state: r.try_get("from_state")?,
        to_state: r.try_get("to_state")?,
        reason: r.try_get("reason")?,
        ip: r.try_get("ip")?,
    })
}

/// One entry of the chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChainEntry {
    pub seq: i64,
    pub audit_id: i64,
    pub prev_hash: String,
    pub hash: String,
    pub algorithm: String,
    pub sealed_at: i64,
}

fn entry(r: &AnyRow) -> Result<ChainEntry, sqlx::Error> {
    Ok(ChainEntry {
        seq: r.try_get("seq")?,
        audit_id: r.try_get("audit_id")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
        algorithm: r.try_get("algorithm")?,
        sealed_at: r.try_get("sealed_at")?,
    })
}

const ENTRY: &str = "c.seq, c.audit_id, c.prev_hash, c.hash, c.algorithm, c.sealed_at";

/// The last entry, with the time of the row it seals.
pub async fn head(conn: &mut AnyConnection) -> StoreResult<Option<(ChainEntry, i64)>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY}, e.at FROM audit_chain c LEFT JOIN audit_events e ON e.id = c.audit_id
         ORDER BY c.seq DESC LIMIT 1"
    )))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .map(|r| {
            Ok::<_, sqlx::Error>((entry(&r)?, r.try_get::<Option<i64>, _>("at")?.unwrap_or(0)))
        })
        .transpose()?)
}

/// Audit rows written at or after `since` and not sealed yet, oldest id first.
pub async fn unsealed(
    conn: &mut AnyConnection,
    since: i64,
    limit: i64,
) -> StoreResult<Vec<AuditContent>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CONTENT} FROM audit_events e
         WHERE e.at >= $1 AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = e.id)
         ORDER BY e.id LIMIT $2"
    )))
    .bind(since)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.iter().map(content).collect::<Result<_, _>>()?)
}

/// How many audit rows written at or after `since` have no chain entry.
pub async fn unsealed_count(db: &Db, since: i64) -> StoreResult<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM audit_events e
         WHERE e.at >= $1 AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.audit_id = e.id)",
    )
    .bind(since)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?)
}

pub async fn append(
    conn: &mut AnyConnection,
    audit_id: i64,
    prev_hash: &str,
    hash: &str,
    algorithm: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_chain (audit_id, prev_hash, hash, algorithm, sealed_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(audit_id)
    .bind(prev_hash)
    .bind(hash)
    .bind(algorithm)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Chain entries after `after_seq`, in order, each with the content of the row it seals
/// (`None` when that row is gone).
pub async fn walk(
    db: &Db,
    after_seq: i64,
    limit: i64,
) -> StoreResult<Vec<(ChainEntry, Option<AuditContent>)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY}, {CONTENT}, e.id IS NOT NULL AS present
         FROM audit_chain c LEFT JOIN audit_events e ON e.id = c.audit_id
         WHERE c.seq > $1 ORDER BY c.seq LIMIT $2"
    )))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let present = match r.try_get::<bool, _>("present") {
                Ok(b) => b,
                Err(_) => r.try_get::<i64, _>("present")? != 0,
            };
            Ok((entry(r)?, if present { Some(content(r)?) } else { None }))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}
