//! The 编办's supervision lists (annexes 5, 6 and 7 of the seed): units whose names lapsed and
//! must register again, units with no Chinese domain, and the contacts of every unit. Never a
//! password column: accounts are listed by user name only.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;

use super::units::escape_like;
use super::{Db, StoreResult};

/// Which units a list covers: a range of region codes (one county, a city with its
/// districts, a province) and a search on the unit name.
#[derive(Debug, Clone)]
pub struct ListFilter {
    pub region_lo: i64,
    pub region_hi: i64,
    pub name: String,
}

impl ListFilter {
    /// Everything under `code`: a province (`620000`) covers `620000..=629999`, a city
    /// (`620400`) `620400..=620499`, a county itself only.
    pub fn under(code: i64, name: &str) -> Self {
        let span = if code % 10_000 == 0 {
            9_999
        } else if code % 100 == 0 {
            99
        } else {
            0
        };
        Self {
            region_lo: code,
            region_hi: code + span,
            name: name.to_owned(),
        }
    }

    /// One region exactly: an office's own jurisdiction.
    pub fn region(code: i64, name: &str) -> Self {
        Self {
            region_lo: code,
            region_hi: code,
            name: name.to_owned(),
        }
    }

    pub fn everywhere(name: &str) -> Self {
        Self {
            region_lo: 0,
            region_hi: 999_999,
            name: name.to_owned(),
        }
    }

    fn pattern(&self) -> String {
        format!("%{}%", escape_like(self.name.trim()))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitRow {
    pub unit_id: i64,
    pub name: String,
    pub region_name: String,
    /// Names counted by the list (lapsed ones for annex 5; 0 for annex 6).
    pub domains: i64,
    /// The unit's sign-in names, comma separated.
    pub accounts: String,
    pub note: String,
}

/// A unit's sign-in names, and whether any of them was activated (a password set).
#[derive(Debug, Default)]
struct UnitAccounts {
    names: Vec<String>,
    activated: bool,
}

impl UnitAccounts {
    /// What annex 6 says of a unit's accounts: a unit of the imported roster may have none
    /// yet, or an invitation not taken up.
    fn note(&self) -> &'static str {
        if self.names.is_empty() {
            "尚未开通账号"
        } else if !self.activated {
            "已发邀请，账号未激活"
        } else {
            ""
        }
    }
}

/// Sign-in names of the units in range, by unit.
async fn usernames(db: &Db, f: &ListFilter) -> StoreResult<HashMap<i64, UnitAccounts>> {
    let rows = sqlx::query(
        "SELECT a.unit_id, a.username,
                CAST(CASE WHEN a.password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS activated
         FROM accounts a JOIN units u ON u.id = a.unit_id
         WHERE a.role = 'unit' AND u.region_code BETWEEN $1 AND $2 ORDER BY a.username",
    )
    .bind(f.region_lo)
    .bind(f.region_hi)
    .fetch_all(db.pool())
    .await?;
    let mut out: HashMap<i64, UnitAccounts> = HashMap::new();
    for r in rows {
        let unit = out.entry(r.try_get("unit_id")?).or_default();
        unit.names.push(r.try_get("username")?);
        unit.activated |= r.try_get::<i64, _>("activated")? == 1;
    }
    Ok(out)
}

/// 已到期需重新注册单位名单: units with names past expiry (in protection, suspended by expiry,
/// or deleted and not registered again). Names stopped by the staff are not lapsed.
pub async fn lapsed(db: &Db, f: &ListFilter) -> StoreResult<Vec<UnitRow>> {
    let rows = sqlx::query(
        "SELECT u.id, u.name, r.name AS region_name,
                SUM(CASE WHEN d.state = 'expired' THEN 1 ELSE 0 END) AS expired,
                SUM(CASE WHEN d.state = 'suspended' THEN 1 ELSE 0 END) AS suspended,
                SUM(CASE WHEN d.state = 'deleted' THEN 1 ELSE 0 END) AS deleted
         FROM units u JOIN regions r ON r.code = u.region_code
              JOIN domains d ON d.unit_id = u.id AND d.variant_of IS NULL AND d.held = 0
         WHERE u.region_code BETWEEN $1 AND $2 AND LOWER(u.name) LIKE LOWER($3) ESCAPE '\\'
           AND d.state IN ('expired', 'suspended', 'deleted')
           AND NOT EXISTS (SELECT 1 FROM domains again WHERE again.id > d.id AND again.variant_of IS NULL
                           AND again.unit_id = d.unit_id
                           AND again.suffix = d.suffix AND again.canonical = d.canonical
                           AND again.state <> 'deleted')
         GROUP BY u.id, u.name, r.name ORDER BY u.name, u.id",
    )
    .bind(f.region_lo)
    .bind(f.region_hi)
    .bind(f.pattern())
    .fetch_all(db.pool())
    .await?;
    let mut accounts = usernames(db, f).await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            let counts: [(i64, &str); 3] = [
                (r.try_get("expired")?, "保护期内"),
                (r.try_get("suspended")?, "已暂停解析"),
                (r.try_get("deleted")?, "已删除"),
            ];
            let note = counts
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| format!("{what}{n}个"))
                .collect::<Vec<_>>()
                .join("，");
            Ok(UnitRow {
                unit_id: id,
                name: r.try_get("name")?,
                region_name: r.try_get("region_name")?,
                domains: counts.iter().map(|(n, _)| n).sum(),
                accounts: accounts.remove(&id).unwrap_or_default().names.join("，"),
                note,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// 未注册中文域名单位名单: every unit of the office's roster (imported or self-registered,
/// not merged or abolished) that never held a Chinese domain, whether or not it has an account.
pub async fn unregistered(db: &Db, f: &ListFilter) -> StoreResult<Vec<UnitRow>> {
    let rows = sqlx::query(
        "SELECT u.id, u.name, r.name AS region_name,
                (SELECT COUNT(*) FROM domain_applications a WHERE a.unit_id = u.id
                   AND a.state IN ('submitted', 'office_approved', 'registry_approved')) AS pending
         FROM units u JOIN regions r ON r.code = u.region_code
         WHERE u.region_code BETWEEN $1 AND $2 AND LOWER(u.name) LIKE LOWER($3) ESCAPE '\\'
           AND u.status = 'active'
           AND NOT EXISTS (SELECT 1 FROM domains d WHERE d.unit_id = u.id)
         ORDER BY u.name, u.id",
    )
    .bind(f.region_lo)
    .bind(f.region_hi)
    .bind(f.pattern())
    .fetch_all(db.pool())
    .await?;
    let mut accounts = usernames(db, f).await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            let pending: i64 = r.try_get("pending")?;
            let unit_accounts = accounts.remove(&id).unwrap_or_default();
            let note = [
                if pending > 0 {
                    "域名注册申请在办"
                } else {
                    ""
                },
                unit_accounts.note(),
            ]
            .into_iter()
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
            .join("；");
            Ok(UnitRow {
                unit_id: id,
                name: r.try_get("name")?,
                region_name: r.try_get("region_name")?,
                domains: 0,
                accounts: unit_accounts.names.join("，"),
                note,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// One person of annex 7.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Person {
    pub name: String,
    pub phone: String,
    pub address: String,
    pub email: String,
    pub postcode: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactRow {
    pub unit_id: i64,
    pub name: String,
    pub region_name: String,
    pub leader: Person,
    pub webmaster: Person,
}

/// 注册单位联系人信息登记表: the leader in charge and the webmaster of every unit in range
/// (not merged or abolished).
pub async fn contacts(db: &Db, f: &ListFilter) -> StoreResult<Vec<ContactRow>> {
    let rows = sqlx::query(
        "SELECT u.id, u.name, r.name AS region_name, c.kind, c.name AS person, c.phone,
                c.address, c.email, c.postcode
         FROM units u JOIN regions r ON r.code = u.region_code
              LEFT JOIN contacts c ON c.unit_id = u.id AND c.kind IN ('leader', 'webmaster')
         WHERE u.region_code BETWEEN $1 AND $2 AND LOWER(u.name) LIKE LOWER($3) ESCAPE '\\'
           AND u.status = 'active'
         ORDER BY u.name, u.id",
    )
    .bind(f.region_lo)
    .bind(f.region_hi)
    .bind(f.pattern())
    .fetch_all(db.pool())
    .await?;
    let mut out: Vec<ContactRow> = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        if out.last().is_none_or(|c| c.unit_id != id) {
            out.push(ContactRow {
                unit_id: id,
                name: r.try_get("name")?,
                region_name: r.try_get("region_name")?,
                leader: Person::default(),
                webmaster: Person::default(),
            });
        }
        let kind: Option<String> = r.try_get("kind")?;
        let Some(kind) = kind else { continue };
        let person = Person {
            name: r.try_get("person")?,
            phone: r.try_get("phone")?,
            address: r.try_get("address")?,
            email: r.try_get("email")?,
            postcode: r.try_get("postcode")?,
        };
        let row = out.last_mut().expect("pushed above");
        if kind == "leader" {
            row.leader = person;
        } else {
            row.webmaster = person;
        }
    }
    Ok(out)
}
