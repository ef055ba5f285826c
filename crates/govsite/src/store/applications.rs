//! Domain applications (域名注册申请), their names with reviewers' verdicts, and their history.

use govsite_core::domain_application::AppState;
use govsite_core::domain_form::DomainForm;
use govsite_core::ids::{DomainApplicationId, UnitId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult, stored, stored_json};

#[derive(Debug, Clone, Serialize)]
pub struct Application {
    pub id: DomainApplicationId,
    pub reference: Option<String>,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub region_code: i64,
    pub suffix: String,
    pub state: AppState,
    pub state_label: &'static str,
    pub form: DomainForm,
    pub fee_fen: i64,
    pub price_fen: i64,
    pub office_due: String,
    pub submitted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The paper (申请表 一式三份 and certificate copies) as the 编办 recorded it; empty date
    /// until received.
    pub paper_received_on: String,
    pub paper_copies: i64,
    pub paper_certificates: bool,
    pub paper_recorded_by: String,
}

impl Application {
    pub fn app_state(&self) -> AppState {
        self.state
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NameRow {
    pub id: i64,
    pub slot: i64,
    pub label: String,
    pub ace: String,
    pub canonical: String,
    pub years: i64,
    pub flag: String,
    pub office_verdict: String,
    pub registry_verdict: String,
    /// Each stage's own reason (a rejection's code and explanation).
    pub office_reason_code: String,
    pub office_reason_text: String,
    pub registry_reason_code: String,
    pub registry_reason_text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub at: i64,
    pub actor: String,
    pub from_state: String,
    pub to_state: String,
    pub from_label: &'static str,
    pub to_label: &'static str,
    pub note: String,
}

/// A name to store with an application.
pub struct NewName<'a> {
    pub slot: u8,
    pub label: &'a str,
    pub ace: &'a str,
    pub canonical: &'a str,
    pub years: u32,
    pub flag: &'a str,
}

const COLUMNS: &str = "a.id, a.reference, a.unit_id, u.name AS unit_name, u.region_code, a.suffix,
    a.state, a.form_json, a.fee_fen, a.price_fen, a.office_due, a.submitted_at, a.created_at,
    a.updated_at, a.paper_received_on, a.paper_copies, a.paper_certificates, a.paper_recorded_by";

fn from_row(r: &AnyRow) -> StoreResult<Application> {
    let id: i64 = r.try_get("id")?;
    let table = "domain_applications";
    let state = stored(
        table,
        id,
        "state",
        &r.try_get::<String, _>("state")?,
        AppState::parse,
    )?;
    let form_json: String = r.try_get("form_json")?;
    Ok(Application {
        id: DomainApplicationId::new(id),
        reference: r.try_get("reference")?,
        unit_id: UnitId::new(r.try_get("unit_id")?),
        unit_name: r.try_get("unit_name")?,
        region_code: r.try_get("region_code")?,
        suffix: r.try_get("suffix")?,
        state_label: state.label(),
        state,
        form: stored_json(table, id, "form_json", &form_json)?,
        fee_fen: r.try_get("fee_fen")?,
        price_fen: r.try_get("price_fen")?,
        office_due: r.try_get("office_due")?,
        submitted_at: r.try_get("submitted_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        paper_received_on: r.try_get("paper_received_on")?,
        paper_copies: r.try_get("paper_copies")?,
        paper_certificates: r.try_get::<i64, _>("paper_certificates")? != 0,
        paper_recorded_by: r.try_get("paper_recorded_by")?,
    })
}

pub async fn create_draft(
    conn: &mut AnyConnection,
    unit: UnitId,
    suffix: &str,
    form: &DomainForm,
    now: i64,
) -> StoreResult<DomainApplicationId> {
    let row = sqlx::query(
        "INSERT INTO domain_applications (unit_id, suffix, state, form_json, created_at, updated_at)
         VALUES ($1, $2, 'draft', $3, $4, $4) RETURNING id",
    )
    .bind(unit.get())
    .bind(suffix)
    .bind(serde_json::to_string(form).unwrap_or_default())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(DomainApplicationId::new(row.try_get("id")?))
}

/// Saves the form of an application the unit may still change.
pub async fn save_form(
    conn: &mut AnyConnection,
    id: DomainApplicationId,
    suffix: &str,
    form: &DomainForm,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE domain_applications SET form_json = $1, updated_at = $2, suffix = $4
         WHERE id = $3 AND state IN ('draft', 'office_rejected', 'registry_rejected')",
    )
    .bind(serde_json::to_string(form).unwrap_or_default())
    .bind(now)
    .bind(id.get())
    .bind(suffix)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the names of an application.
pub async fn set_names(
    conn: &mut AnyConnection,
    id: DomainApplicationId,
    names: &[NewName<'_>],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM application_names WHERE application_id = $1")
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    for n in names {
        sqlx::query(
            "INSERT INTO application_names (application_id, slot, label, ace, canonical, years, flag)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.get())
        .bind(i64::from(n.slot))
        .bind(n.label)
        .bind(n.ace)
        .bind(n.canonical)
        .bind(i64::from(n.years))
        .bind(n.flag)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Moves an application from `from` to `to`, only if it is still in `from` (two reviewers
/// acting at once cannot both succeed), and records the step in its history.
pub async fn transition(
    conn: &mut AnyConnection,
    id: DomainApplicationId,
    from: AppState,
    to: AppState,
    actor: &str,
    note: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE domain_applications SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(id.get())
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO application_events (application_id, at, actor, from_state, to_state, note)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.get())
    .bind(now)
    .bind(actor)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(note)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Stamps a submission: reference number (kept across resubmissions), fee, due date.
pub async fn mark_submitted(
    conn: &mut AnyConnection,
    id: DomainApplicationId,
    price: i64,
    fee: i64,
    office_due: &str,
    now: i64,
) -> StoreResult<String> {
    let reference = format!(
        "YM{}{:06}",
        chrono::DateTime::from_timestamp(now + 8 * 3600, 0)
            .map_or_else(String::new, |t| t.format("%Y%m%d").to_string()),
        id
    );
    sqlx::query(
        "UPDATE domain_applications SET reference = COALESCE(reference, $1), price_fen = $2,
             fee_fen = $3, office_due = $4, submitted_at = $5, escalated_at = NULL
         WHERE id = $6",
    )
    .bind(&reference)
    .bind(price)
    .bind(fee)
    .bind(office_due)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT reference FROM domain_applications WHERE id = $1")
        .bind(id.get())
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("reference")?)
}

/// Records the paper the 编办 received for an application.
pub async fn record_paper(
    conn: &mut AnyConnection,
    id: DomainApplicationId,
    received_on: &str,
    copies: u32,
    certificates: bool,
    by: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE domain_applications SET paper_received_on = $1, paper_copies = $2,
                paper_certificates = $3, paper_recorded_by = $4 WHERE id = $5",
    )
    .bind(received_on)
    .bind(i64::from(copies))
    .bind(i64::from(certificates))
    .bind(by)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_verdict(
    conn: &mut AnyConnection,
    name_id: i64,
    stage: &str,
    verdict: &str,
    code: &str,
    text: &str,
) -> StoreResult<()> {
    // Only our two constant prefixes are formatted into the text.
    let stage = if stage == "registry" {
        "registry"
    } else {
        "office"
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE application_names SET {stage}_verdict = $1, {stage}_reason_code = $2,
                {stage}_reason_text = $3 WHERE id = $4"
    )))
    .bind(verdict)
    .bind(code)
    .bind(text)
    .bind(name_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Clears earlier verdicts when an application is resubmitted.
pub async fn clear_verdicts(conn: &mut AnyConnection, id: DomainApplicationId) -> StoreResult<()> {
    sqlx::query(
        "UPDATE application_names SET office_verdict = '', registry_verdict = '',
             office_reason_code = '', office_reason_text = '', registry_reason_code = '',
             registry_reason_text = '' WHERE application_id = $1",
    )
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The domain applications' queue table: searched by reference, unit name and credit code,
/// and the names applied for.
pub const QUEUE: super::queues::Table<Application> = super::queues::Table {
    from: "FROM domain_applications a JOIN units u ON u.id = a.unit_id",
    columns: COLUMNS,
    id: "a.id",
    state: "a.state",
    date: "a.submitted_at",
    base: "1 = 1",
    search: "LOWER(a.reference) LIKE LOWER($3) ESCAPE '\\' OR LOWER(u.name) LIKE LOWER($3) ESCAPE '\\'
             OR LOWER(u.credit_code) LIKE LOWER($3) ESCAPE '\\'
             OR EXISTS (SELECT 1 FROM application_names n WHERE n.application_id = a.id
                        AND (LOWER(n.label) LIKE LOWER($3) ESCAPE '\\' OR LOWER(n.ace) LIKE LOWER($3) ESCAPE '\\'))",
    map: from_row,
};

pub async fn find(db: &Db, id: DomainApplicationId) -> StoreResult<Option<Application>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domain_applications a JOIN units u ON u.id = a.unit_id WHERE a.id = $1"
    )))
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn of_unit(db: &Db, unit: UnitId) -> StoreResult<Vec<Application>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domain_applications a JOIN units u ON u.id = a.unit_id
         WHERE a.unit_id = $1 ORDER BY a.id DESC"
    )))
    .bind(unit.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Applications waiting in `state`, of one region or all, oldest first.
pub async fn queue(db: &Db, state: AppState, region: Option<i64>) -> StoreResult<Vec<Application>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domain_applications a JOIN units u ON u.id = a.unit_id
         WHERE a.state = $1 AND ($2 IS NULL OR u.region_code = $2) ORDER BY a.submitted_at, a.id"
    )))
    .bind(state.as_str())
    .bind(region)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn names(db: &Db, id: DomainApplicationId) -> StoreResult<Vec<NameRow>> {
    let rows = sqlx::query(
        "SELECT id, slot, label, ace, canonical, years, flag, office_verdict, registry_verdict,
                office_reason_code, office_reason_text, registry_reason_code, registry_reason_text
         FROM application_names WHERE application_id = $1 ORDER BY slot",
    )
    .bind(id.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NameRow {
                id: r.try_get("id")?,
                slot: r.try_get("slot")?,
                label: r.try_get("label")?,
                ace: r.try_get("ace")?,
                canonical: r.try_get("canonical")?,
                years: r.try_get("years")?,
                flag: r.try_get("flag")?,
                office_verdict: r.try_get("office_verdict")?,
                registry_verdict: r.try_get("registry_verdict")?,
                office_reason_code: r.try_get("office_reason_code")?,
                office_reason_text: r.try_get("office_reason_text")?,
                registry_reason_code: r.try_get("registry_reason_code")?,
                registry_reason_text: r.try_get("registry_reason_text")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn events(db: &Db, id: DomainApplicationId) -> StoreResult<Vec<EventRow>> {
    let rows = sqlx::query(
        "SELECT at, actor, from_state, to_state, note FROM application_events
         WHERE application_id = $1 ORDER BY id",
    )
    .bind(id.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let from: String = r.try_get("from_state")?;
            let to: String = r.try_get("to_state")?;
            Ok(EventRow {
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                from_label: AppState::parse(&from).map_or("", AppState::label),
                to_label: AppState::parse(&to).map_or("", AppState::label),
                from_state: from,
                to_state: to,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Submitted applications past their office due date and not escalated yet.
pub async fn overdue_unescalated(db: &Db, today: &str) -> StoreResult<Vec<Application>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM domain_applications a JOIN units u ON u.id = a.unit_id
         WHERE a.state = 'submitted' AND a.office_due <> '' AND a.office_due < $1
           AND a.escalated_at IS NULL ORDER BY a.id"
    )))
    .bind(today)
    .fetch_all(db.pool())
    .await?;
    super::skipping_corrupt(rows.iter().map(from_row))
}

pub async fn mark_escalated(
    conn: &mut AnyConnection,
    id: DomainApplicationId,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE domain_applications SET escalated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
