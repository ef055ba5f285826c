//! Sign-in accounts of every role.

use govsite_core::ids::{AccountId, OfficeId, UnitId};
use govsite_core::role::Role;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult, map_unique, stored};

/// Where an account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Created, waiting for its one-time activation link to be used.
    Pending,
    Active,
    Disabled,
}

impl AccountStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "active" => Some(Self::Active),
            "disabled" => Some(Self::Disabled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待激活",
            Self::Active => "正常",
            Self::Disabled => "已停用",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub office_id: Option<OfficeId>,
    pub email: String,
    pub mobile: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub status: AccountStatus,
    pub must_change_password: bool,
    #[serde(skip)]
    pub totp_secret: Option<String>,
    #[serde(skip)]
    pub totp_last_step: Option<i64>,
    pub totp_required: bool,
    pub created_at: i64,
}

impl Account {
    pub fn totp_enabled(&self) -> bool {
        self.totp_secret.is_some()
    }
}

const COLUMNS: &str = "id, username, display_name, role, unit_id, office_id, email, mobile,
    password_hash, status, must_change_password, totp_secret, totp_last_step, totp_required,
    created_at";

fn from_row(row: &AnyRow) -> StoreResult<Account> {
    let id: i64 = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let status: String = row.try_get("status")?;
    Ok(Account {
        id: AccountId::new(id),
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: stored("accounts", id, "role", &role, Role::parse)?,
        unit_id: row.try_get::<Option<i64>, _>("unit_id")?.map(UnitId::new),
        office_id: row
            .try_get::<Option<i64>, _>("office_id")?
            .map(OfficeId::new),
        email: row.try_get("email")?,
        mobile: row.try_get("mobile")?,
        password_hash: row.try_get("password_hash")?,
        status: stored("accounts", id, "status", &status, AccountStatus::parse)?,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
        totp_secret: row.try_get("totp_secret")?,
        totp_last_step: row.try_get("totp_last_step")?,
        totp_required: row.try_get::<i64, _>("totp_required")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

/// What is needed to create an account; it starts pending, without a password.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub office_id: Option<OfficeId>,
    pub email: &'a str,
    pub mobile: &'a str,
    pub totp_required: bool,
}

pub async fn insert(
    conn: &mut AnyConnection,
    a: &NewAccount<'_>,
    now: i64,
) -> StoreResult<AccountId> {
    let row = sqlx::query(
        "INSERT INTO accounts (username, display_name, role, unit_id, office_id, email, mobile,
                               status, totp_required, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9) RETURNING id",
    )
    .bind(a.username)
    .bind(a.display_name)
    .bind(a.role.as_str())
    .bind(a.unit_id.map(|u| u.get()))
    .bind(a.office_id.map(|o| o.get()))
    .bind(a.email)
    .bind(a.mobile)
    .bind(i64::from(a.totp_required))
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| map_unique(e, "username"))?;
    Ok(AccountId::new(row.try_get("id")?))
}

pub async fn find(db: &Db, id: AccountId) -> StoreResult<Option<Account>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE id = $1"
    )))
    .bind(id.get())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_username(db: &Db, username: &str) -> StoreResult<Option<Account>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE username = $1"
    )))
    .bind(username)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(db: &Db) -> StoreResult<Vec<Account>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts ORDER BY role, username"
    )))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Accounts belonging to one unit.
pub async fn of_unit(db: &Db, unit: UnitId) -> StoreResult<Vec<Account>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE unit_id = $1 ORDER BY username"
    )))
    .bind(unit.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Sets a new password hash and makes the account active; clears a forced change.
/// Active staff of one office, or the registry reviewers when `office` is `None`.
pub async fn reviewers(db: &Db, office: Option<OfficeId>) -> StoreResult<Vec<Account>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM accounts WHERE status = 'active'
           AND ((role = 'office_reviewer' AND office_id = $1)
                OR ($1 IS NULL AND role = 'registry_reviewer'))
         ORDER BY username"
    )))
    .bind(office.map(|o| o.get()))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(from_row).collect()
}

pub async fn set_password(
    conn: &mut AnyConnection,
    id: AccountId,
    hash: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE accounts SET password_hash = $1, status = CASE WHEN status = 'pending'
             THEN 'active' ELSE status END, must_change_password = 0, password_changed_at = $2
         WHERE id = $3",
    )
    .bind(hash)
    .bind(now)
    .bind(id.get())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Points a unit's accounts at the unit's current handler.
pub async fn set_unit_contacts(
    conn: &mut AnyConnection,
    unit: UnitId,
    email: &str,
    mobile: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET email = $1, mobile = $2 WHERE unit_id = $3")
        .bind(email)
        .bind(mobile)
        .bind(unit.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_role(
    conn: &mut AnyConnection,
    id: AccountId,
    role: Role,
    office: Option<OfficeId>,
) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET role = $1, office_id = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(office.map(|o| o.get()))
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut AnyConnection,
    id: AccountId,
    status: AccountStatus,
) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_flags(
    conn: &mut AnyConnection,
    id: AccountId,
    must_change_password: bool,
    totp_required: bool,
) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET must_change_password = $1, totp_required = $2 WHERE id = $3")
        .bind(i64::from(must_change_password))
        .bind(i64::from(totp_required))
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn set_totp(
    conn: &mut AnyConnection,
    id: AccountId,
    secret: Option<&str>,
    step: Option<i64>,
) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET totp_secret = $1, totp_last_step = $2 WHERE id = $3")
        .bind(secret)
        .bind(step)
        .bind(id.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records the TOTP step just used, only if it is newer than the last (no replay, even racing).
pub async fn consume_totp_step(db: &Db, id: AccountId, step: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET totp_last_step = $1
         WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(id.get())
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(done.rows_affected() == 1)
}
