//! Units (开办主体) and their contacts.

use govsite_core::contact::{Email, Mobile};
use govsite_core::ids::UnitId;
use govsite_core::org_type::OrgType;
use govsite_core::reorganisation::UnitStatus;
use govsite_core::unit::{ContactPerson, UnitDetails, UnitForm};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult, map_unique};

/// Which units a reader may see: everything, or one region's units only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Region(i64),
}

impl Scope {
    /// The region code the scope is limited to, or `None` for all (an SQL `$n IS NULL` test).
    pub fn region(self) -> Option<i64> {
        match self {
            Self::All => None,
            Self::Region(r) => Some(r),
        }
    }
}

/// A unit as stored, with contacts, ready to show or to refill its edit form.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRecord {
    pub id: UnitId,
    pub region_code: i64,
    pub org_type: String,
    pub form: UnitForm,
    pub created_at: i64,
    pub updated_at: i64,
    /// False while a self-registered unit waits for its 编办 to confirm it (待编办确认).
    pub confirmed: bool,
    /// 机构改革: active, merged (into `successor`) or abolished, since `closed_at`, and why.
    pub status: UnitStatus,
    pub status_label: &'static str,
    pub successor: Option<UnitId>,
    pub closed_at: Option<i64>,
    pub closed_reason: String,
}

impl UnitRecord {
    pub fn org_type_label(&self) -> &'static str {
        OrgType::parse(&self.org_type).map_or("未知", |t| t.label())
    }

    pub fn suffix_label(&self) -> &'static str {
        OrgType::parse(&self.org_type).map_or("", |t| t.suffix().label())
    }

    /// The handler's mobile, masked for screens.
    pub fn handler_mobile_masked(&self) -> String {
        Mobile::parse("", &self.form.handler_mobile)
            .map(|m| m.masked())
            .unwrap_or_default()
    }

    pub fn handler_email_masked(&self) -> String {
        Email::parse("", &self.form.handler_email)
            .map(|m| m.masked())
            .unwrap_or_default()
    }
}

/// One row of a console list.
#[derive(Debug, Clone, Serialize)]
pub struct UnitSummary {
    pub id: UnitId,
    pub name: String,
    pub credit_code: String,
    pub org_type_label: &'static str,
    pub region_code: i64,
    pub region_name: String,
    pub created_at: i64,
    pub confirmed: bool,
    /// 已合并 or 已撤销 for a closed unit; empty for an active one.
    pub status_label: &'static str,
}

pub async fn insert(conn: &mut AnyConnection, unit: &UnitDetails, now: i64) -> StoreResult<UnitId> {
    let row = sqlx::query(
        "INSERT INTO units (name, credit_code, org_type, region_code, parent_org, functions,
                            address, postcode, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(&unit.name)
    .bind(unit.credit_code.as_str())
    .bind(unit.org_type.as_str())
    .bind(i64::from(unit.region.value()))
    .bind(&unit.parent_org)
    .bind(&unit.functions)
    .bind(&unit.address)
    .bind(unit.postcode.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| map_unique(e, "credit_code"))?;
    let id = UnitId::new(row.try_get("id")?);
    write_contacts(conn, id, unit).await?;
    Ok(id)
}

/// Replaces a unit's details and contacts. The caller audits the change.
pub async fn update(
    conn: &mut AnyConnection,
    id: UnitId,
    unit: &UnitDetails,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE units SET name = $1, credit_code = $2, org_type = $3, region_code = $4,
                parent_org = $5, functions = $6, address = $7, postcode = $8, updated_at = $9
         WHERE id = $10",
    )
    .bind(&unit.name)
    .bind(unit.credit_code.as_str())
    .bind(unit.org_type.as_str())
    .bind(i64::from(unit.region.value()))
    .bind(&unit.parent_org)
    .bind(&unit.functions)
    .bind(&unit.address)
    .bind(unit.postcode.as_str())
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await
    .map_err(|e| map_unique(e, "credit_code"))?;
    sqlx::query("DELETE FROM contacts WHERE unit_id = $1")
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    write_contacts(conn, id, unit).await
}

async fn write_contacts(
    conn: &mut AnyConnection,
    id: UnitId,
    unit: &UnitDetails,
) -> StoreResult<()> {
    let people: [(&str, &ContactPerson); 2] =
        [("leader", &unit.leader), ("webmaster", &unit.webmaster)];
    for (kind, p) in people {
        sqlx::query(
            "INSERT INTO contacts (unit_id, kind, name, phone, address, email, postcode)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.get())
        .bind(kind)
        .bind(&p.name)
        .bind(p.phone.as_str())
        .bind(&p.address)
        .bind(p.email.as_str())
        .bind(p.postcode.as_str())
        .execute(&mut *conn)
        .await?;
    }
    let h = &unit.handler;
    sqlx::query(
        "INSERT INTO contacts (unit_id, kind, name, phone, mobile, email)
         VALUES ($1, 'handler', $2, $3, $4, $5)",
    )
    .bind(id.get())
    .bind(&h.name)
    .bind(h.phone.as_ref().map_or("", |p| p.as_str()))
    .bind(h.mobile.as_str())
    .bind(h.email.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The unit with `id`, if `scope` lets the reader see it. Outside the scope it does not exist.
pub async fn find(db: &Db, id: UnitId, scope: Scope) -> StoreResult<Option<UnitRecord>> {
    let row = sqlx::query(
        "SELECT id, name, credit_code, org_type, region_code, parent_org, functions, address,
                postcode, created_at, updated_at, confirmation, status, successor_id, closed_at,
                closed_reason FROM units WHERE id = $1",
    )
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let region_code: i64 = row.try_get("region_code")?;
    if let Scope::Region(r) = scope
        && r != region_code
    {
        return Ok(None);
    }
    let status =
        UnitStatus::parse(&row.try_get::<String, _>("status")?).unwrap_or(UnitStatus::Active);
    let mut form = UnitForm {
        name: row.try_get("name")?,
        credit_code: row.try_get("credit_code")?,
        org_type: row.try_get("org_type")?,
        region_code: format!("{region_code:06}"),
        parent_org: row.try_get("parent_org")?,
        functions: row.try_get("functions")?,
        address: row.try_get("address")?,
        postcode: row.try_get("postcode")?,
        ..UnitForm::default()
    };
    let contacts = sqlx::query(
        "SELECT kind, name, phone, mobile, address, email, postcode FROM contacts WHERE unit_id = $1",
    )
    .bind(id.get())
    .fetch_all(db.pool())
    .await?;
    for c in &contacts {
        fill_contact(&mut form, c)?;
    }
    Ok(Some(UnitRecord {
        id,
        region_code,
        org_type: form.org_type.clone(),
        form,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        confirmed: row.try_get::<String, _>("confirmation")? == "confirmed",
        status,
        status_label: status.label(),
        successor: row
            .try_get::<Option<i64>, _>("successor_id")?
            .map(UnitId::new),
        closed_at: row.try_get("closed_at")?,
        closed_reason: row.try_get("closed_reason")?,
    }))
}

fn fill_contact(form: &mut UnitForm, c: &AnyRow) -> Result<(), sqlx::Error> {
    let kind: String = c.try_get("kind")?;
    let name: String = c.try_get("name")?;
    let phone: String = c.try_get("phone")?;
    let address: String = c.try_get("address")?;
    let email: String = c.try_get("email")?;
    let postcode: String = c.try_get("postcode")?;
    match kind.as_str() {
        "leader" => {
            (form.leader_name, form.leader_phone, form.leader_address) = (name, phone, address);
            (form.leader_email, form.leader_postcode) = (email, postcode);
        }
        "webmaster" => {
            (form.webmaster_name, form.webmaster_phone) = (name, phone);
            (form.webmaster_address, form.webmaster_email) = (address, email);
            form.webmaster_postcode = postcode;
        }
        "handler" => {
            (form.handler_name, form.handler_phone, form.handler_email) = (name, phone, email);
            form.handler_mobile = c.try_get("mobile")?;
        }
        _ => {}
    }
    Ok(())
}

/// The units' table for 工作管理 / 单位管理: searched by name and credit code, the
/// confirmation as the state, the registration date as the date.
pub const QUEUE: super::queues::Table<UnitSummary> = super::queues::Table {
    from: "FROM units u JOIN regions r ON r.code = u.region_code",
    columns: "u.id, u.name, u.credit_code, u.org_type, u.region_code, u.created_at,
              u.confirmation, u.status, r.name AS region_name",
    id: "u.id",
    state: "u.confirmation",
    date: "u.created_at",
    base: "1 = 1",
    search: "LOWER(u.name) LIKE LOWER($3) ESCAPE '\\' OR LOWER(u.credit_code) LIKE LOWER($3) ESCAPE '\\'",
    map: summary,
};

fn summary(row: &sqlx::any::AnyRow) -> StoreResult<UnitSummary> {
    let org_type: String = row.try_get("org_type")?;
    Ok(UnitSummary {
        id: UnitId::new(row.try_get("id")?),
        name: row.try_get("name")?,
        credit_code: row.try_get("credit_code")?,
        org_type_label: OrgType::parse(&org_type).map_or("未知", |t| t.label()),
        region_code: row.try_get("region_code")?,
        region_name: row.try_get("region_name")?,
        created_at: row.try_get("created_at")?,
        confirmed: row.try_get::<String, _>("confirmation")? == "confirmed",
        status_label: UnitStatus::parse(&row.try_get::<String, _>("status")?).map_or("", |s| {
            if s == UnitStatus::Active {
                ""
            } else {
                s.label()
            }
        }),
    })
}

/// One unit as lists show it, if `scope` lets the reader see it.
pub async fn summary_of(db: &Db, id: UnitId, scope: Scope) -> StoreResult<Option<UnitSummary>> {
    let row = sqlx::query(
        "SELECT u.id, u.name, u.credit_code, u.org_type, u.region_code, u.created_at,
                u.confirmation, u.status, r.name AS region_name
         FROM units u JOIN regions r ON r.code = u.region_code
         WHERE u.id = $1 AND ($2 IS NULL OR u.region_code = $2)",
    )
    .bind(id.get())
    .bind(scope.region())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(summary).transpose()
}

/// A page of the active units in `scope` whose name or credit code contains `search`.
pub async fn list(
    db: &Db,
    scope: Scope,
    search: &str,
    page: u32,
    per_page: u32,
) -> StoreResult<(Vec<UnitSummary>, i64)> {
    let pattern = format!("%{}%", escape_like(search.trim()));
    let region = scope.region();
    let filter = "($1 IS NULL OR u.region_code = $1) AND u.status = 'active'
                  AND (LOWER(u.name) LIKE LOWER($2) ESCAPE '\\' OR UPPER(u.credit_code) LIKE UPPER($2) ESCAPE '\\')";
    let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM units u WHERE {filter}"
    )))
    .bind(region)
    .bind(&pattern)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT u.id, u.name, u.credit_code, u.org_type, u.region_code, u.created_at,
                u.confirmation, u.status, r.name AS region_name
         FROM units u JOIN regions r ON r.code = u.region_code
         WHERE {filter} ORDER BY u.region_code, u.name, u.id LIMIT $3 OFFSET $4"
    )))
    .bind(region)
    .bind(&pattern)
    .bind(i64::from(per_page))
    .bind(i64::from(page.saturating_sub(1)) * i64::from(per_page))
    .fetch_all(db.pool())
    .await?;
    let units = rows.iter().map(summary).collect::<StoreResult<_>>()?;
    Ok((units, total))
}

/// Marks a unit as waiting for its 编办's confirmation (a self-registration).
pub async fn mark_unconfirmed(conn: &mut AnyConnection, id: UnitId) -> StoreResult<()> {
    sqlx::query("UPDATE units SET confirmation = 'pending' WHERE id = $1")
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Confirms a waiting unit; false when it was not waiting (confirmed already).
pub async fn confirm(
    conn: &mut AnyConnection,
    id: UnitId,
    by: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE units SET confirmation = 'confirmed', confirmed_by = $1, updated_at = $2
         WHERE id = $3 AND confirmation = 'pending'",
    )
    .bind(by)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the unit may submit applications (not waiting for its 编办).
pub async fn is_confirmed(db: &Db, id: UnitId) -> StoreResult<bool> {
    let row = sqlx::query("SELECT confirmation FROM units WHERE id = $1")
        .bind(id.get())
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<String, _>("confirmation")? == "confirmed",
        None => false,
    })
}

pub async fn id_by_credit_code(db: &Db, code: &str) -> StoreResult<Option<UnitId>> {
    let row = sqlx::query("SELECT id FROM units WHERE credit_code = $1")
        .bind(code)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.try_get("id").map(UnitId::new)).transpose()?)
}

pub(crate) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The handler (经办人) of a unit: name, mobile, e-mail, for notices.
pub async fn handler_contact(
    conn: &mut AnyConnection,
    unit: UnitId,
) -> StoreResult<Option<(String, String, String)>> {
    let row = sqlx::query(
        "SELECT name, mobile, email FROM contacts WHERE unit_id = $1 AND kind = 'handler'",
    )
    .bind(unit.get())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .map(|r| {
            Ok::<_, sqlx::Error>((
                r.try_get("name")?,
                r.try_get("mobile")?,
                r.try_get("email")?,
            ))
        })
        .transpose()?)
}
