//! The tamper-evident audit trail. Audit rows are written inside the transactions of the
//! decisions they record; a sealer (in every serving process, every few seconds, and before
//! verification) then links each new row into a hash chain: entry n holds H(hash of entry
//! n-1, the row's content), H being SM3 (GB/T 32905-2016) or SHA-256. Changing, deleting or
//! inserting a row behind the service's back breaks the chain at that row, and
//! `govsite audit verify` names it. The head (its hash) is shown to the auditor, who may note
//! it elsewhere: a chain rewritten from an old row onward no longer ends in a noted head.

use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::clock::SharedClock;
use crate::store::audit_chain::{self, AuditContent, ChainEntry};
use crate::store::{Db, StoreError, StoreResult};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// How far back (seconds) before the newest sealed row the sealer looks for rows committed
/// late by a long transaction.
pub const LOOK_BACK: i64 = 3600;
/// Rows sealed per transaction.
const BATCH: i64 = 500;

/// The hash function of new entries; each entry names its own, so a chain may hold both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Algorithm {
    /// SM3 (GB/T 32905-2016), as GB/T 39786 asks for government data.
    #[default]
    Sm3,
    Sha256,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sm3 => "sm3",
            Self::Sha256 => "sha256",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "sm3" => Some(Self::Sm3),
            "sha256" => Some(Self::Sha256),
            _ => None,
        }
    }
}

/// The canonical bytes of a row: its columns as one JSON array, in a fixed order.
fn canonical(row: &AuditContent) -> Vec<u8> {
    serde_json::json!([
        row.id,
        row.at,
        row.actor_id,
        row.actor,
        row.action,
        row.subject_type,
        row.subject_id,
        row.from_state,
        row.to_state,
        row.reason,
        row.ip
    ])
    .to_string()
    .into_bytes()
}

/// H(prev_hash, "\n", canonical row), lowercase hex.
pub fn link(algorithm: Algorithm, prev_hash: &str, row: &AuditContent) -> String {
    let mut input = prev_hash.as_bytes().to_vec();
    input.push(b'\n');
    input.extend_from_slice(&canonical(row));
    match algorithm {
        Algorithm::Sm3 => data_encoding::HEXLOWER.encode(&sm3::Sm3::digest(&input)),
        Algorithm::Sha256 => data_encoding::HEXLOWER.encode(&Sha256::digest(&input)),
    }
}

/// Seals every audit row not in the chain yet; returns how many. Safe to run in several
/// processes at once: a second sealer appending after the same head is refused (unique
/// `prev_hash`) and its transaction rolled back.
pub async fn seal(db: &Db, algorithm: Algorithm, now: i64) -> StoreResult<usize> {
    let mut sealed = 0;
    let mut raced = 0;
    loop {
        match seal_batch(db, algorithm, now).await {
            Ok(0) => return Ok(sealed),
            Ok(n) => sealed += n,
            // Another process sealed after the same head first: read the new head, again.
            Err(StoreError::Sql(sqlx::Error::Database(e)))
                if e.is_unique_violation() && raced < 5 =>
            {
                raced += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Seals up to one batch in one transaction; returns how many.
async fn seal_batch(db: &Db, algorithm: Algorithm, now: i64) -> StoreResult<usize> {
    let mut tx = db.begin().await?;
    let head = audit_chain::head(&mut tx).await?;
    let since = head.as_ref().map_or(i64::MIN, |(_, at)| at - LOOK_BACK);
    let rows = audit_chain::unsealed(&mut tx, since, BATCH).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut prev = head.map_or_else(|| GENESIS.to_owned(), |(e, _)| e.hash);
    for row in &rows {
        let hash = link(algorithm, &prev, row);
        audit_chain::append(&mut tx, row.id, &prev, &hash, algorithm.as_str(), now).await?;
        prev = hash;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// Why an entry does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// Its link to the previous entry does not match: an entry was inserted or removed.
    Relinked,
    /// The audit row it seals is gone.
    Deleted,
    /// The audit row's content is not what was sealed.
    Changed,
    UnknownAlgorithm,
}

impl Break {
    pub fn code(self) -> &'static str {
        match self {
            Self::Relinked => "relinked",
            Self::Deleted => "deleted",
            Self::Changed => "changed",
            Self::UnknownAlgorithm => "algorithm",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Relinked => "与前一条的链接不符（有记录被插入或删除）",
            Self::Deleted => "该审计记录已被删除",
            Self::Changed => "记录内容与封存时不符（已被修改）",
            Self::UnknownAlgorithm => "未知的杂凑算法",
        }
    }
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub checked: u64,
    pub head: Option<ChainEntry>,
    /// The first entry that does not hold: its audit row and why.
    pub broken: Option<(ChainEntry, Break)>,
    /// Audit rows not sealed yet (written in the last few seconds, or inserted behind the
    /// service's back with no chain entry).
    pub unsealed: i64,
}

/// The chain's last entry and the time of the row it seals.
pub async fn head(db: &Db) -> StoreResult<Option<(ChainEntry, i64)>> {
    let mut conn = db.pool().acquire().await?;
    audit_chain::head(&mut conn).await
}

/// Walks the whole chain and recomputes every link.
pub async fn verify(db: &Db) -> StoreResult<Verification> {
    let mut checked = 0;
    let mut prev = GENESIS.to_owned();
    let mut after = 0;
    let mut head = None;
    loop {
        let page = audit_chain::walk(db, after, 5000).await?;
        if page.is_empty() {
            break;
        }
        for (entry, row) in page {
            after = entry.seq;
            let why = match (&row, Algorithm::parse(&entry.algorithm)) {
                _ if entry.prev_hash != prev => Some(Break::Relinked),
                (None, _) => Some(Break::Deleted),
                (_, None) => Some(Break::UnknownAlgorithm),
                (Some(row), Some(alg)) if link(alg, &prev, row) != entry.hash => {
                    Some(Break::Changed)
                }
                _ => None,
            };
            if let Some(why) = why {
                return Ok(Verification {
                    checked,
                    head: Some(entry.clone()),
                    broken: Some((entry, why)),
                    unsealed: audit_chain::unsealed_count(db, i64::MIN).await?,
                });
            }
            prev = entry.hash.clone();
            head = Some(entry);
            checked += 1;
        }
    }
    Ok(Verification {
        checked,
        head,
        broken: None,
        unsealed: audit_chain::unsealed_count(db, i64::MIN).await?,
    })
}

/// Seals new rows every `every` until `stop`.
pub async fn run(
    db: Db,
    clock: SharedClock,
    algorithm: Algorithm,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = seal(&db, algorithm, clock.now()).await {
            tracing::error!(error = %e, "sealing the audit trail failed");
        }
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_is_the_standard_one() {
        // GB/T 32905-2016, example 1: SM3("abc").
        assert_eq!(
            data_encoding::HEXLOWER.encode(&sm3::Sm3::digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn every_column_changes_the_link() {
        let row = AuditContent {
            id: 7,
            at: 1_700_000_000,
            actor_id: Some(3),
            actor: "甲".into(),
            action: "sign_in".into(),
            subject_type: "account".into(),
            subject_id: "3".into(),
            from_state: String::new(),
            to_state: String::new(),
            reason: String::new(),
            ip: "127.0.0.1".into(),
        };
        let base = link(Algorithm::Sm3, GENESIS, &row);
        assert_eq!(base.len(), 64);
        assert_ne!(base, link(Algorithm::Sha256, GENESIS, &row));
        let mut changed = row.clone();
        changed.reason = "x".into();
        assert_ne!(base, link(Algorithm::Sm3, GENESIS, &changed));
        let mut moved = row.clone();
        moved.actor_id = None;
        assert_ne!(base, link(Algorithm::Sm3, GENESIS, &moved));
        assert_ne!(
            base,
            link(Algorithm::Sm3, &base, &row),
            "the previous hash counts"
        );
    }
}
