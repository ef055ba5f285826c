//! 「显示完整」: which contact of which unit a person asked to see in full, and when. Contacts
//! are masked on every staff screen; a reveal lets that one account see that one contact for a
//! short while, and the decision that records it also writes the audit row.

use govsite_core::ids::{AccountId, UnitId};
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult};

pub async fn insert(
    conn: &mut AnyConnection,
    account: AccountId,
    unit: UnitId,
    field: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO contact_reveals (account_id, unit_id, field, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(account.get())
    .bind(unit.get())
    .bind(field)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The fields of `unit` that `account` asked to see since `since`.
pub async fn since(
    db: &Db,
    account: AccountId,
    unit: UnitId,
    since: i64,
) -> StoreResult<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT field FROM contact_reveals
         WHERE account_id = $1 AND unit_id = $2 AND at >= $3",
    )
    .bind(account.get())
    .bind(unit.get())
    .bind(since)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| r.try_get("field").map_err(Into::into))
        .collect()
}
