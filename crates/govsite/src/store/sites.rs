//! Websites (网站) with their badges, and the applications to open or re-qualify them
//! (网站开办审核 / 资格复核申请) with their history.

use govsite_core::badge_check::Finding;
use govsite_core::badge_state::BadgeState;
use govsite_core::ids::{SiteApplicationId, SiteId, UnitId};
use govsite_core::site_application::SiteState;
use govsite_core::site_form::{SiteForm, SiteKind};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreError, StoreResult, stored, stored_json};

#[derive(Debug, Clone, Serialize)]
pub struct SiteApplication {
    pub id: SiteApplicationId,
    pub reference: Option<String>,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub region_code: i64,
    pub org_type: String,
    pub site_id: Option<SiteId>,
    pub kind: SiteKind,
    pub kind_label: &'static str,
    pub state: SiteState,
    pub state_label: &'static str,
    pub form: SiteForm,
    /// The handler's ID number masked, for every screen (the full number is only printed).
    pub handler_id_masked: String,
    pub prechecks_json: String,
    pub prechecks_at: Option<i64>,
    pub office_due: String,
    pub paper_due: String,
    pub paper_received_on: String,
    pub paper_copies: i64,
    pub paper_id_copy: bool,
    pub reason_code: String,
    pub reason_text: String,
    pub copied_from: Option<SiteApplicationId>,
    pub submitted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SiteApplication {
    pub fn site_state(&self) -> SiteState {
        self.state
    }

    pub fn site_kind(&self) -> SiteKind {
        self.kind
    }
}

const COLUMNS: &str = "a.id, a.reference, a.unit_id, u.name AS unit_name, u.region_code,
    u.org_type, a.site_id, a.kind, a.state, a.form_json, a.prechecks_json, a.prechecks_at,
    a.office_due, a.paper_due, a.paper_received_on, a.paper_copies, a.paper_id_copy,
    a.reason_code, a.reason_text, a.copied_from, a.submitted_at, a.created_at, a.updated_at";

fn from_row(r: &AnyRow) -> StoreResult<SiteApplication> {
    let id: i64 = r.try_get("id")?;
    let table = "site_applications";
    let state = stored(
        table,
        id,
        "state",
        &r.try_get::<String, _>("state")?,
        SiteState::parse,
    )?;
    let kind = stored(
        table,
        id,
        "kind",
        &r.try_get::<String, _>("kind")?,
        SiteKind::parse,
    )?;
    let form: SiteForm = stored_json(
        table,
        id,
        "form_json",
        &r.try_get::<String, _>("form_json")?,
    )?;
    Ok(SiteApplication {
        id: SiteApplicationId::new(id),
        reference: r.try_get("reference")?,
        unit_id: UnitId::new(r.try_get("unit_id")?),
        unit_name: r.try_get("unit_name")?,
        region_code: r.try_get("region_code")?,
        org_type: r.try_get("org_type")?,
        site_id: r.try_get::<Option<i64>, _>("site_id")?.map(SiteId::new),
        kind_label: kind.label(),
        kind,
        state_label: state.label(),
        state,
        handler_id_masked: form.handler_id_masked(),
        form,
        prechecks_json: r.try_get("prechecks_json")?,
        prechecks_at: r.try_get("prechecks_at")?,
        office_due: r.try_get("office_due")?,
        paper_due: r.try_get("paper_due")?,
        paper_received_on: r.try_get("paper_received_on")?,
        paper_copies: r.try_get("paper_copies")?,
        paper_id_copy: r.try_get::<i64, _>("paper_id_copy")? != 0,
        reason_code: r.try_get("reason_code")?,
        reason_text: r.try_get("reason_text")?,
        copied_from: r
            .try_get::<Option<i64>, _>("copied_from")?
            .map(SiteApplicationId::new),
        submitted_at: r.try_get("submitted_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn create_draft(
    conn: &mut AnyConnection,
    unit: UnitId,
    kind: SiteKind,
    site: Option<SiteId>,
    form: &SiteForm,
    copied_from: Option<SiteApplicationId>,
    now: i64,
) -> StoreResult<SiteApplicationId> {
    let row = sqlx::query(
        "INSERT INTO site_applications (unit_id, site_id, kind, state, form_json, copied_from,
             created_at, updated_at)
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $6) RETURNING id",
    )
    .bind(unit.get())
    .bind(site.map(|v| v.get()))
    .bind(kind.as_str())
    .bind(serde_json::to_string(form).unwrap_or_default())
    .bind(copied_from.map(|v| v.get()))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(SiteApplicationId::new(row.try_get("id")?))
}

/// Saves the form of an application the unit may still change.
pub async fn save_form(
    conn: &mut AnyConnection,
    id: SiteApplicationId,
    kind: SiteKind,
    form: &SiteForm,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE site_applications SET form_json = $1, updated_at = $2, kind = $4
         WHERE id = $3 AND state IN ('draft', 'office_rejected', 'registry_rejected')",
    )
    .bind(serde_json::to_string(form).unwrap_or_default())
    .bind(now)
    .bind(id.get())
    .bind(kind.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves an application from `from` to `to` only if it is still in `from` (two reviewers
/// acting at once cannot both succeed) and records the step in its history.
pub async fn transition(
    conn: &mut AnyConnection,
    id: SiteApplicationId,
    from: SiteState,
    to: SiteState,
    actor: &str,
    note: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE site_applications SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
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
        "INSERT INTO site_application_events (application_id, at, actor, from_state, to_state, note)
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

/// Stamps a submission: the 申请序号 (`WZ` + submission date in China time + the
/// application number, six digits; kept across resubmissions) and the office's due date.
pub async fn mark_submitted(
    conn: &mut AnyConnection,
    id: SiteApplicationId,
    office_due: &str,
    now: i64,
) -> StoreResult<String> {
    let reference = format!(
        "WZ{}{:06}",
        chrono::DateTime::from_timestamp(now + 8 * 3600, 0)
            .map_or_else(String::new, |t| t.format("%Y%m%d").to_string()),
        id
    );
    sqlx::query(
        "UPDATE site_applications SET reference = COALESCE(reference, $1), office_due = $2,
             submitted_at = $3, escalated_at = NULL, prechecks_json = '', prechecks_at = NULL
         WHERE id = $4",
    )
    .bind(&reference)
    .bind(office_due)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT reference FROM site_applications WHERE id = $1")
        .bind(id.get())
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("reference")?)
}

/// The reason of the last rejection or return, shown to the unit (查看审核结果).
pub async fn set_reason(
    conn: &mut AnyConnection,
    id: SiteApplicationId,
    code: &str,
    text: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE site_applications SET reason_code = $1, reason_text = $2 WHERE id = $3")
        .bind(code)
        .bind(text)
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_paper_due(
    conn: &mut AnyConnection,
    id: SiteApplicationId,
    due: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE site_applications SET paper_due = $1 WHERE id = $2")
        .bind(due)
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What the 编办 received on paper.
pub async fn record_paper(
    conn: &mut AnyConnection,
    id: SiteApplicationId,
    received_on: &str,
    copies: i64,
    id_copy: bool,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE site_applications SET paper_received_on = $1, paper_copies = $2,
             paper_id_copy = $3 WHERE id = $4",
    )
    .bind(received_on)
    .bind(copies)
    .bind(i64::from(id_copy))
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_site(
    conn: &mut AnyConnection,
    id: SiteApplicationId,
    site: SiteId,
) -> StoreResult<()> {
    sqlx::query("UPDATE site_applications SET site_id = $1 WHERE id = $2")
        .bind(site.get())
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_prechecks(
    db: &Db,
    id: SiteApplicationId,
    json: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE site_applications SET prechecks_json = $1, prechecks_at = $2 WHERE id = $3",
    )
    .bind(json)
    .bind(now)
    .bind(id.get())
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

/// One application, with the 经办人's ID number opened from its sealed column (left empty
/// when purged, or when this process holds no key).
pub async fn find(db: &Db, id: SiteApplicationId) -> StoreResult<Option<SiteApplication>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, a.handler_id_sealed FROM site_applications a
         JOIN units u ON u.id = a.unit_id WHERE a.id = $1"
    )))
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut app = from_row(&row)?;
    let sealed: String = row.try_get("handler_id_sealed")?;
    if !sealed.is_empty()
        && let Ok(sealer) = db.sealer()
    {
        let plain = sealer.open(&id_purpose(id), &sealed)?;
        app.form.handler_id_card = String::from_utf8(plain)
            .map_err(|_| StoreError::Corrupt(format!("site_applications row {id}: handler_id")))?;
        app.handler_id_masked = app.form.handler_id_masked();
    }
    Ok(Some(app))
}

/// What a sealed ID number is bound to: this application's id.
fn id_purpose(id: SiteApplicationId) -> String {
    format!("site_application:{id}:handler_id_card")
}

/// Moves the 经办人's ID number of application `id` out of its form into the sealed column
/// (nothing to do when the form holds none), inside the caller's transaction.
pub async fn seal_handler_id(
    conn: &mut AnyConnection,
    sealer: &crate::auth::seal::Sealer,
    id: SiteApplicationId,
) -> StoreResult<()> {
    let row = sqlx::query("SELECT form_json FROM site_applications WHERE id = $1")
        .bind(id.get())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(());
    };
    let json: String = row.try_get("form_json")?;
    let mut form: SiteForm = stored_json("site_applications", id.get(), "form_json", &json)?;
    let id_card = std::mem::take(&mut form.handler_id_card);
    if id_card.trim().is_empty() {
        return Ok(());
    }
    let sealed = sealer.seal(&id_purpose(id), id_card.trim().as_bytes())?;
    sqlx::query(
        "UPDATE site_applications SET form_json = $1, handler_id_sealed = $2 WHERE id = $3",
    )
    .bind(serde_json::to_string(&form).unwrap_or_default())
    .bind(sealed)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Seals every ID number still in a form (written by an older version, or by a command
/// without the key); run at start. Returns how many.
pub async fn seal_handler_ids(db: &Db) -> StoreResult<usize> {
    let sealer = db.sealer()?;
    let ids: Vec<i64> = sqlx::query(
        "SELECT id FROM site_applications WHERE form_json LIKE '%\"handler_id_card\":\"_%'",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get("id"))
    .collect::<Result<_, _>>()?;
    for id in &ids {
        let mut tx = db.begin().await?;
        seal_handler_id(&mut tx, sealer, SiteApplicationId::new(*id)).await?;
        tx.commit().await?;
    }
    Ok(ids.len())
}

/// Blanks the sealed ID numbers of applications that ended (badge issued, closed) before
/// `before`; returns how many.
pub async fn purge_handler_ids(db: &Db, before: i64, now: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE site_applications SET handler_id_sealed = '', handler_id_purged_at = $1
         WHERE handler_id_sealed <> '' AND state IN ('badge_issued', 'closed')
           AND updated_at < $2",
    )
    .bind(now)
    .bind(before)
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected())
}

/// One page of a unit's applications, newest first, and how many it has (我的申请表).
pub async fn of_unit(
    db: &Db,
    unit: UnitId,
    page: u32,
    per_page: u32,
) -> StoreResult<(Vec<SiteApplication>, i64)> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM site_applications a JOIN units u ON u.id = a.unit_id
         WHERE a.unit_id = $1 ORDER BY a.id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(unit.get())
    .bind(i64::from(per_page))
    .bind(i64::from(page.saturating_sub(1)) * i64::from(per_page))
    .fetch_all(db.pool())
    .await?;
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM site_applications WHERE unit_id = $1")
        .bind(unit.get())
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}

/// The website applications' queue table: searched by reference, unit name and credit code,
/// and the form (site name, domain).
pub const QUEUE: super::queues::Table<SiteApplication> = super::queues::Table {
    from: "FROM site_applications a JOIN units u ON u.id = a.unit_id",
    columns: COLUMNS,
    id: "a.id",
    state: "a.state",
    date: "a.submitted_at",
    base: "1 = 1",
    search: "LOWER(a.reference) LIKE LOWER($3) ESCAPE '\\' OR LOWER(u.name) LIKE LOWER($3) ESCAPE '\\'
             OR LOWER(u.credit_code) LIKE LOWER($3) ESCAPE '\\' OR LOWER(a.form_json) LIKE LOWER($3) ESCAPE '\\'",
    map: from_row,
};

/// Applications waiting in `state`, of one region or all, oldest first.
pub async fn queue(
    db: &Db,
    state: SiteState,
    region: Option<i64>,
) -> StoreResult<Vec<SiteApplication>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM site_applications a JOIN units u ON u.id = a.unit_id
         WHERE a.state = $1 AND ($2 IS NULL OR u.region_code = $2) ORDER BY a.submitted_at, a.id"
    )))
    .bind(state.as_str())
    .bind(region)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Submitted applications past their office due date and not escalated yet.
pub async fn overdue_unescalated(db: &Db, today: &str) -> StoreResult<Vec<SiteApplication>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM site_applications a JOIN units u ON u.id = a.unit_id
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
    id: SiteApplicationId,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE site_applications SET escalated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// An application of the same unit for the same site that is still under way (so a unit
/// cannot have two open applications for one site).
pub async fn open_for_site(
    db: &Db,
    site: SiteId,
    except: Option<SiteApplicationId>,
) -> StoreResult<Option<String>> {
    let row = sqlx::query(
        "SELECT COALESCE(reference, '草稿') AS r FROM site_applications
         WHERE site_id = $1 AND id <> $2
           AND state NOT IN ('draft', 'badge_issued', 'closed') LIMIT 1",
    )
    .bind(site.get())
    .bind(except.map_or(0, |a| a.get()))
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| r.try_get("r")).transpose()?)
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    pub at: i64,
    pub actor: String,
    pub from_label: &'static str,
    pub to_label: &'static str,
    pub note: String,
}

pub async fn events(db: &Db, id: SiteApplicationId) -> StoreResult<Vec<EventRow>> {
    let rows = sqlx::query(
        "SELECT e.at, e.actor, e.from_state, e.to_state, e.note, u.name AS unit_name,
                a.display_name
         FROM site_application_events e
         LEFT JOIN accounts a ON a.username = e.actor
         LEFT JOIN units u ON u.id = a.unit_id
         WHERE e.application_id = $1 ORDER BY e.id",
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
                // People read who acted: the unit's name, or the staff member's, never an
                // account number.
                actor: match (
                    r.try_get::<Option<String>, _>("unit_name")?,
                    r.try_get::<Option<String>, _>("display_name")?,
                ) {
                    (Some(unit), _) => unit,
                    (None, Some(name)) => name,
                    (None, None) => r.try_get("actor")?,
                },
                from_label: SiteState::parse(&from).map_or("", SiteState::label),
                to_label: SiteState::parse(&to).map_or("", SiteState::label),
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// A website and its badge.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    pub id: SiteId,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub region_code: i64,
    pub org_type: String,
    pub seq: i64,
    pub name: String,
    pub domain_ace: String,
    pub domain_label: String,
    pub english_domain: String,
    pub ipv4: String,
    pub ipv6: String,
    pub red_page: bool,
    pub intro: String,
    pub badge_code: String,
    pub badge_state: BadgeState,
    pub badge_state_label: &'static str,
    pub badge_issued_at: i64,
    pub mount_due: String,
    pub closed_at: Option<i64>,
    pub last_check_at: Option<i64>,
    pub last_check_label: &'static str,
    /// ICP备案号 and 公安备案号, empty when not given.
    pub icp_record: String,
    pub psb_record: String,
}

const SITE_COLUMNS: &str = "s.id, s.unit_id, u.name AS unit_name, u.region_code, u.org_type,
    s.seq, s.name, s.domain_ace, s.domain_label, s.english_domain, s.ipv4, s.ipv6, s.red_page,
    s.intro, s.badge_code, s.badge_state, s.badge_issued_at, s.mount_due, s.closed_at,
    s.last_check_at, s.last_check_outcome, s.icp_record, s.psb_record";

fn site_from_row(r: &AnyRow) -> StoreResult<Site> {
    let id: i64 = r.try_get("id")?;
    let badge_state = super::stored_badge_state(id, &r.try_get::<String, _>("badge_state")?)?;
    Ok(Site {
        id: SiteId::new(id),
        unit_id: UnitId::new(r.try_get("unit_id")?),
        unit_name: r.try_get("unit_name")?,
        region_code: r.try_get("region_code")?,
        org_type: r.try_get("org_type")?,
        seq: r.try_get("seq")?,
        name: r.try_get("name")?,
        domain_ace: r.try_get("domain_ace")?,
        domain_label: r.try_get("domain_label")?,
        english_domain: r.try_get("english_domain")?,
        ipv4: r.try_get("ipv4")?,
        ipv6: r.try_get("ipv6")?,
        red_page: r.try_get::<i64, _>("red_page")? != 0,
        intro: r.try_get("intro")?,
        badge_code: r.try_get("badge_code")?,
        badge_state_label: badge_state.label(),
        badge_state,
        badge_issued_at: r.try_get("badge_issued_at")?,
        mount_due: r.try_get("mount_due")?,
        closed_at: r.try_get("closed_at")?,
        last_check_at: r.try_get("last_check_at")?,
        last_check_label: check_label(&r.try_get::<String, _>("last_check_outcome")?),
        icp_record: r.try_get("icp_record")?,
        psb_record: r.try_get("psb_record")?,
    })
}

/// The sites with their badges, for the API's lists: searched by the site's name, its domains,
/// its badge code and the unit's name; the badge's state as the state, its issue as the date.
pub const SITES: super::queues::Table<Site> = super::queues::Table {
    from: "FROM sites s JOIN units u ON u.id = s.unit_id",
    columns: SITE_COLUMNS,
    id: "s.id",
    state: "s.badge_state",
    date: "s.badge_issued_at",
    base: "1 = 1",
    search: "LOWER(s.name) LIKE LOWER($3) ESCAPE '\\' OR LOWER(s.domain_label) LIKE LOWER($3) ESCAPE '\\'
             OR LOWER(s.domain_ace) LIKE LOWER($3) ESCAPE '\\' OR LOWER(s.badge_code) LIKE LOWER($3) ESCAPE '\\'
             OR LOWER(u.name) LIKE LOWER($3) ESCAPE '\\'",
    map: site_from_row,
};

/// The mount checker's last finding, in words.
pub fn check_label(outcome: &str) -> &'static str {
    Finding::parse(outcome).map_or("", Finding::label)
}

pub async fn find_site(db: &Db, id: SiteId) -> StoreResult<Option<Site>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SITE_COLUMNS} FROM sites s JOIN units u ON u.id = s.unit_id WHERE s.id = $1"
    )))
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(site_from_row).transpose()
}

pub async fn sites_of_unit(db: &Db, unit: UnitId) -> StoreResult<Vec<Site>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SITE_COLUMNS} FROM sites s JOIN units u ON u.id = s.unit_id
         WHERE s.unit_id = $1 ORDER BY s.seq"
    )))
    .bind(unit.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(site_from_row).collect()
}

/// The badge code of a site, inside a transaction.
pub async fn find_site_in(conn: &mut AnyConnection, id: SiteId) -> StoreResult<String> {
    let row = sqlx::query("SELECT badge_code FROM sites WHERE id = $1")
        .bind(id.get())
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("badge_code")?)
}

/// The form of the last application that issued or kept the site's badge.
pub async fn latest_form_of_site(db: &Db, site: SiteId) -> StoreResult<Option<SiteForm>> {
    let row = sqlx::query(
        "SELECT form_json FROM site_applications WHERE site_id = $1 AND state = 'badge_issued'
         ORDER BY id DESC LIMIT 1",
    )
    .bind(site.get())
    .fetch_optional(db.pool())
    .await?;
    Ok(row
        .map(|r| r.try_get::<String, _>("form_json"))
        .transpose()?
        .and_then(|j| serde_json::from_str(&j).ok()))
}

/// Another open site of the unit on this domain, by name (a pre-check for reviewers).
pub async fn other_site_on_domain(
    db: &Db,
    unit: UnitId,
    ace: &str,
    except: Option<SiteId>,
) -> StoreResult<Option<String>> {
    let row = sqlx::query(
        "SELECT name FROM sites WHERE unit_id = $1 AND domain_ace = $2 AND closed_at IS NULL
           AND ($3 IS NULL OR id <> $3) LIMIT 1",
    )
    .bind(unit.get())
    .bind(ace)
    .bind(except.map(|v| v.get()))
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| r.try_get("name")).transpose()?)
}

/// What a site is, as approved.
pub struct SiteFacts<'a> {
    pub name: &'a str,
    pub domain_ace: &'a str,
    pub domain_label: &'a str,
    pub english_domain: &'a str,
    pub ipv4: &'a str,
    pub ipv6: &'a str,
    pub red_page: bool,
    pub intro: &'a str,
}

/// The next site number of a unit (the badge code's last four digits).
pub async fn next_seq(conn: &mut AnyConnection, unit: UnitId) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM sites WHERE unit_id = $1")
        .bind(unit.get())
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_site(
    conn: &mut AnyConnection,
    unit: UnitId,
    seq: i64,
    facts: &SiteFacts<'_>,
    badge_code: &str,
    mount_due: &str,
    now: i64,
) -> StoreResult<SiteId> {
    let row = sqlx::query(
        "INSERT INTO sites (unit_id, seq, name, domain_ace, domain_label, english_domain, ipv4,
             ipv6, red_page, intro, badge_code, badge_state, badge_issued_at, mount_due,
             created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'issued', $12, $13, $12, $12)
         RETURNING id",
    )
    .bind(unit.get())
    .bind(seq)
    .bind(facts.name)
    .bind(facts.domain_ace)
    .bind(facts.domain_label)
    .bind(facts.english_domain)
    .bind(facts.ipv4)
    .bind(facts.ipv6)
    .bind(i64::from(facts.red_page))
    .bind(facts.intro)
    .bind(badge_code)
    .bind(now)
    .bind(mount_due)
    .fetch_one(&mut *conn)
    .await?;
    Ok(SiteId::new(row.try_get("id")?))
}

/// A re-qualified or changed site takes its new facts and keeps its code and its mount
/// deadline.
pub async fn update_site(
    conn: &mut AnyConnection,
    id: SiteId,
    facts: &SiteFacts<'_>,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sites SET name = $1, domain_ace = $2, domain_label = $3, english_domain = $4,
             ipv4 = $5, ipv6 = $6, red_page = $7, intro = $8, updated_at = $9 WHERE id = $10",
    )
    .bind(facts.name)
    .bind(facts.domain_ace)
    .bind(facts.domain_label)
    .bind(facts.english_domain)
    .bind(facts.ipv4)
    .bind(facts.ipv6)
    .bind(i64::from(facts.red_page))
    .bind(facts.intro)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Closes a site: its badge is revoked, for good.
pub async fn close_site(conn: &mut AnyConnection, id: SiteId, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE sites SET closed_at = $1, badge_state = 'revoked', updated_at = $1
         WHERE id = $2 AND closed_at IS NULL",
    )
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The site holding a badge code.
pub async fn by_code(db: &Db, code: &str) -> StoreResult<Option<Site>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SITE_COLUMNS} FROM sites s JOIN units u ON u.id = s.unit_id WHERE s.badge_code = $1"
    )))
    .bind(code)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(site_from_row).transpose()
}

/// The public search (/v?q=): a badge code, a domain (ACE or Unicode, Chinese or English)
/// or part of a unit's name; at most 20 sites.
pub async fn search(db: &Db, code: &str, domain: &str, name: &str) -> StoreResult<Vec<Site>> {
    let like = format!("%{}%", super::units::escape_like(name));
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {SITE_COLUMNS} FROM sites s JOIN units u ON u.id = s.unit_id
         WHERE s.badge_code = $1 OR s.domain_ace = $2 OR s.domain_label = $2
            OR s.english_domain = $2 OR ($3 <> '%%' AND u.name LIKE $3 ESCAPE '\\')
         ORDER BY s.id LIMIT 20"
    )))
    .bind(code)
    .bind(domain)
    .bind(like)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(site_from_row).collect()
}

/// Records a site's ICP and public security filing numbers (empty: none).
pub async fn set_filings(
    conn: &mut AnyConnection,
    site: SiteId,
    icp: &str,
    psb: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE sites SET icp_record = $1, psb_record = $2 WHERE id = $3")
        .bind(icp)
        .bind(psb)
        .bind(site.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
