//! 我要转账: bank transfers reported by a unit, confirmed or rejected by finance staff.

use govsite_core::ids::{DomainApplicationId, DomainId, OfficeId, TransferId, UnitId};
use govsite_core::money::Money;
use govsite_core::transfer::TransferStatus;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult, stored};

#[derive(Debug, Clone, Serialize)]
pub struct Transfer {
    pub id: TransferId,
    pub reference: String,
    pub unit_id: Option<UnitId>,
    pub unit_name: String,
    pub amount_fen: i64,
    pub amount: String,
    pub payer: String,
    pub bank_ref: String,
    pub paid_on: String,
    pub status: TransferStatus,
    pub status_label: &'static str,
    pub reject_reason: String,
    pub created_at: i64,
}

const COLUMNS: &str =
    "t.id, t.reference, t.unit_id, COALESCE(u.name, o.name, '') AS unit_name, t.amount_fen,
    t.payer, t.bank_ref, t.paid_on, t.status, t.reject_reason, t.created_at";

/// The transfers' table for finance's history: searched by reference, payer, bank
/// reference and the unit's or office's name.
pub const QUEUE: super::queues::Table<Transfer> = super::queues::Table {
    from: "FROM transfers t LEFT JOIN units u ON u.id = t.unit_id LEFT JOIN offices o ON o.id = t.office_id",
    columns: COLUMNS,
    id: "t.id",
    state: "t.status",
    date: "t.created_at",
    base: "1 = 1",
    search: "LOWER(t.reference) LIKE LOWER($3) ESCAPE '\\' OR LOWER(t.payer) LIKE LOWER($3) ESCAPE '\\'
             OR LOWER(t.bank_ref) LIKE LOWER($3) ESCAPE '\\' OR LOWER(u.name) LIKE LOWER($3) ESCAPE '\\'
             OR LOWER(o.name) LIKE LOWER($3) ESCAPE '\\'",
    map: from_row,
};

fn from_row(r: &AnyRow) -> StoreResult<Transfer> {
    let id: i64 = r.try_get("id")?;
    let status: String = r.try_get("status")?;
    let status = stored("transfers", id, "status", &status, TransferStatus::parse)?;
    let amount_fen: i64 = r.try_get("amount_fen")?;
    Ok(Transfer {
        id: TransferId::new(id),
        reference: r.try_get("reference")?,
        unit_id: r.try_get::<Option<i64>, _>("unit_id")?.map(UnitId::new),
        unit_name: r.try_get("unit_name")?,
        amount_fen,
        amount: Money::from_fen(amount_fen).to_string(),
        payer: r.try_get("payer")?,
        bank_ref: r.try_get("bank_ref")?,
        paid_on: r.try_get("paid_on")?,
        status_label: status.label(),
        status,
        reject_reason: r.try_get("reject_reason")?,
        created_at: r.try_get("created_at")?,
    })
}

/// What was paid in, as reported.
pub struct Reported<'a> {
    pub amount: Money,
    pub payer: &'a str,
    pub bank_ref: &'a str,
    pub paid_on: &'a str,
}

/// Records a transfer a unit reported; returns its id and the reference code to quote.
pub async fn create(
    conn: &mut AnyConnection,
    unit: UnitId,
    r: &Reported<'_>,
    now: i64,
) -> StoreResult<(TransferId, String)> {
    insert(conn, Some(unit.get()), None, r, now).await
}

/// 编办代缴: one transfer by an office for several of its units, split as `allocations`
/// (which sum to the amount).
/// What an office's transfer pays: each unit's share, and within the shares the applications
/// it pays for and the names it renews.
#[derive(Debug, Clone, Copy)]
pub struct OfficeSplit<'a> {
    pub allocations: &'a [(UnitId, Money)],
    pub items: &'a [(DomainApplicationId, UnitId, Money)],
    pub renewals: &'a [RenewalItem],
}

pub async fn create_for_office(
    conn: &mut AnyConnection,
    office: OfficeId,
    r: &Reported<'_>,
    split: &OfficeSplit<'_>,
    now: i64,
) -> StoreResult<(TransferId, String)> {
    let OfficeSplit {
        allocations,
        items,
        renewals,
    } = *split;
    let (id, reference) = insert(conn, None, Some(office.get()), r, now).await?;
    for item in renewals {
        sqlx::query(
            "INSERT INTO transfer_renewals (transfer_id, domain_id, unit_id, years, amount_fen, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.get())
        .bind(item.domain.get())
        .bind(item.unit.get())
        .bind(i64::from(item.years))
        .bind(item.amount.fen())
        .bind(item.expires_at)
        .execute(&mut *conn)
        .await?;
    }
    for (app, unit, amount) in items {
        sqlx::query(
            "INSERT INTO transfer_items (transfer_id, application_id, unit_id, amount_fen)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id.get())
        .bind(app.get())
        .bind(unit.get())
        .bind(amount.fen())
        .execute(&mut *conn)
        .await?;
    }
    for (unit, amount) in allocations {
        sqlx::query("INSERT INTO transfer_allocations (transfer_id, unit_id, amount_fen) VALUES ($1, $2, $3)")
            .bind(id.get())
            .bind(unit.get())
            .bind(amount.fen())
            .execute(&mut *conn)
            .await?;
    }
    Ok((id, reference))
}

async fn insert(
    conn: &mut AnyConnection,
    unit: Option<i64>,
    office: Option<i64>,
    r: &Reported<'_>,
    now: i64,
) -> StoreResult<(TransferId, String)> {
    let provisional = format!("pending-{unit:?}-{office:?}-{now}");
    let row = sqlx::query(
        "INSERT INTO transfers (reference, unit_id, office_id, amount_fen, payer, bank_ref, paid_on, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) RETURNING id",
    )
    .bind(&provisional)
    .bind(unit)
    .bind(office)
    .bind(r.amount.fen())
    .bind(r.payer)
    .bind(r.bank_ref)
    .bind(r.paid_on)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = row.try_get("id")?;
    let reference = format!("ZZ{id:08}");
    sqlx::query("UPDATE transfers SET reference = $1 WHERE id = $2")
        .bind(&reference)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok((TransferId::new(id), reference))
}

/// How an office's transfer is split: (unit, unit name, amount).
pub async fn allocations(
    db: &Db,
    transfer: TransferId,
) -> StoreResult<Vec<(UnitId, String, Money)>> {
    let rows = sqlx::query(
        "SELECT a.unit_id, u.name, a.amount_fen FROM transfer_allocations a
         JOIN units u ON u.id = a.unit_id WHERE a.transfer_id = $1 ORDER BY u.name",
    )
    .bind(transfer.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                UnitId::new(r.try_get("unit_id")?),
                r.try_get("name")?,
                Money::from_fen(r.try_get("amount_fen")?),
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The applications an office's transfer pays for.
/// A name an office's transfer renews: for how many years, at what fee, and the expiry it had
/// when the office picked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalItem {
    pub domain: DomainId,
    pub unit: UnitId,
    pub years: u32,
    pub amount: Money,
    pub expires_at: i64,
}

/// The names an office's transfer renews.
pub async fn renewals(db: &Db, transfer: TransferId) -> StoreResult<Vec<RenewalItem>> {
    let rows = sqlx::query(
        "SELECT domain_id, unit_id, years, amount_fen, expires_at FROM transfer_renewals
         WHERE transfer_id = $1 ORDER BY domain_id",
    )
    .bind(transfer.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RenewalItem {
                domain: DomainId::new(r.try_get("domain_id")?),
                unit: UnitId::new(r.try_get("unit_id")?),
                years: u32::try_from(r.try_get::<i64, _>("years")?).unwrap_or(1),
                amount: Money::from_fen(r.try_get("amount_fen")?),
                expires_at: r.try_get("expires_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn items(db: &Db, transfer: TransferId) -> StoreResult<Vec<DomainApplicationId>> {
    let rows = sqlx::query(
        "SELECT application_id FROM transfer_items WHERE transfer_id = $1 ORDER BY application_id",
    )
    .bind(transfer.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok(DomainApplicationId::new(r.try_get("application_id")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn of_office(db: &Db, office: OfficeId) -> StoreResult<Vec<Transfer>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM transfers t LEFT JOIN units u ON u.id = t.unit_id LEFT JOIN offices o ON o.id = t.office_id WHERE t.office_id = $1 ORDER BY t.id DESC"
    )))
    .bind(office.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn of_unit(db: &Db, unit: UnitId) -> StoreResult<Vec<Transfer>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM transfers t LEFT JOIN units u ON u.id = t.unit_id LEFT JOIN offices o ON o.id = t.office_id WHERE t.unit_id = $1 ORDER BY t.id DESC"
    )))
    .bind(unit.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn by_status(db: &Db, status: TransferStatus) -> StoreResult<Vec<Transfer>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM transfers t LEFT JOIN units u ON u.id = t.unit_id LEFT JOIN offices o ON o.id = t.office_id WHERE t.status = $1 ORDER BY t.id"
    )))
    .bind(status.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn find(db: &Db, id: TransferId) -> StoreResult<Option<Transfer>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM transfers t LEFT JOIN units u ON u.id = t.unit_id LEFT JOIN offices o ON o.id = t.office_id WHERE t.id = $1"
    )))
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Decides a pending transfer once; false when someone decided it first.
pub async fn decide(
    conn: &mut AnyConnection,
    id: TransferId,
    status: TransferStatus,
    reason: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE transfers SET status = $1, reject_reason = $2, decided_at = $3 WHERE id = $4 AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(reason)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
