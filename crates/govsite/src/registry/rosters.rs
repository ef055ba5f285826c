//! Importing an office's roster of units (单位名册): the difference with what is stored (new,
//! changed, unchanged, missing from the roster), then applying it in one transaction: new
//! units are created confirmed, with a pending account and an invitation (a one-time link by
//! e-mail, an SMS saying so; never a password); changed units take the roster's name, type and
//! 上级主管单位. Applying the same roster again changes nothing. Units missing from the roster
//! are listed, each with its way to 机构改革 (merge into a successor or abolish, decided by
//! the office unit by unit in `registry::reorganisation`, never by an import); a row for a
//! unit already merged or abolished is an error.

use std::collections::{HashMap, HashSet};

use govsite_core::roster::{Roster, RosterUnit, RowError};
use serde::Serialize;

use super::RegistryError;
use crate::auth::token;
use crate::store::accounts::{self, NewAccount};
use crate::store::audit::{self, Actor, Event};
use crate::store::rosters::{self, Listed};
use crate::store::{Db, StoreResult};

/// How long a roster invitation lasts: a week, longer than a self-registration's link
/// (the unit did not ask for it and may read its mail late).
const INVITATION_TTL: i64 = 7 * 86_400;

/// One unit whose stored facts differ from the roster's.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub id: i64,
    pub unit: RosterUnit,
    pub changes: Vec<String>,
}

/// What applying a roster would do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diff {
    pub new: Vec<RosterUnit>,
    pub changed: Vec<Changed>,
    pub unchanged: usize,
    /// Units of the region the roster does not list (merged, abolished, or left out).
    pub missing: Vec<Listed>,
    /// The file's row errors, and rows whose credit code belongs to a unit elsewhere.
    pub errors: Vec<RowError>,
}

impl Diff {
    pub fn has_work(&self) -> bool {
        self.errors.is_empty() && (!self.new.is_empty() || !self.changed.is_empty())
    }

    pub fn summary(&self) -> String {
        format!(
            "新增 {} 个，变更 {} 个，未变 {} 个，名册外 {} 个",
            self.new.len(),
            self.changed.len(),
            self.unchanged,
            self.missing.len()
        )
    }
}

fn org_label(code: &str) -> &'static str {
    govsite_core::org_type::OrgType::parse(code).map_or("未知", |t| t.label())
}

/// The difference between `roster` and the units stored for `region`.
pub async fn diff(db: &Db, region: i64, roster: Roster) -> StoreResult<Diff> {
    let here = rosters::of_region(db, region).await?;
    let codes: Vec<String> = roster.units.iter().map(|u| u.credit_code.clone()).collect();
    let elsewhere: HashMap<String, Listed> = rosters::by_codes(db, &codes)
        .await?
        .into_iter()
        .filter(|l| l.region_code != region)
        .map(|l| (l.credit_code.clone(), l))
        .collect();
    let by_code: HashMap<&str, &Listed> =
        here.iter().map(|l| (l.credit_code.as_str(), l)).collect();
    let mut out = Diff {
        errors: roster.errors,
        ..Diff::default()
    };
    let mut listed = HashSet::new();
    for u in roster.units {
        if let Some(other) = elsewhere.get(&u.credit_code) {
            out.errors.push(RowError {
                row: u.row,
                messages: vec![format!(
                    "统一社会信用代码已由其他地区的“{}”登记，请联系注册管理中心",
                    other.name
                )],
            });
            continue;
        }
        match by_code.get(u.credit_code.as_str()) {
            None => out.new.push(u),
            Some(l) if l.status != "active" => {
                listed.insert(l.id);
                let status = govsite_core::reorganisation::UnitStatus::parse(&l.status)
                    .map_or("已关闭", |s| s.label());
                out.errors.push(RowError {
                    row: u.row,
                    messages: vec![format!(
                        "“{}”在机构改革中{status}，不能再导入；新设机构请使用其新的统一社会信用代码",
                        l.name
                    )],
                });
            }
            Some(l) => {
                listed.insert(l.id);
                let mut changes = Vec::new();
                if l.name != u.name {
                    changes.push(format!("名称：{} → {}", l.name, u.name));
                }
                if l.org_type != u.org_type {
                    changes.push(format!(
                        "组织机构类型：{} → {}",
                        org_label(&l.org_type),
                        u.org_type_label
                    ));
                }
                if l.parent_org != u.parent_org {
                    changes.push(format!("上级主管单位：{} → {}", l.parent_org, u.parent_org));
                }
                if changes.is_empty() {
                    out.unchanged += 1;
                } else {
                    out.changed.push(Changed {
                        id: l.id.get(),
                        unit: u,
                        changes,
                    });
                }
            }
        }
    }
    out.missing = here
        .into_iter()
        .filter(|l| !listed.contains(&l.id) && l.status == "active")
        .collect();
    out.errors.sort_by_key(|e| e.row);
    Ok(out)
}

/// What an application did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Applied {
    pub created: usize,
    pub updated: usize,
    pub invited: usize,
}

/// Applies `diff` (made just before by [`diff`]) for `region`, in one transaction; `upload`
/// marks the stored upload applied in the same transaction (a second click is refused).
/// `progress` is told after each unit.
pub async fn apply(
    db: &Db,
    actor: &Actor,
    region: i64,
    diff: &Diff,
    upload: Option<i64>,
    now: i64,
    mut progress: impl FnMut(usize, usize),
) -> Result<Applied, RegistryError> {
    if !diff.errors.is_empty() {
        return Err(RegistryError::Refused(format!(
            "名册有 {} 行错误，请修改后重新导入；本次没有导入任何内容",
            diff.errors.len()
        )));
    }
    // Account numbers for the new units' accounts, free now (8 digits, as registration's).
    let mut numbers = Vec::new();
    let mut taken = HashSet::new();
    while numbers.len() < diff.new.len() {
        let bytes =
            token::random_bytes::<4>().map_err(|e| RegistryError::Refused(e.to_string()))?;
        let n = (40_000_000 + u32::from_le_bytes(bytes) % 10_000_000).to_string();
        if taken.insert(n.clone()) && accounts::find_by_username(db, &n).await?.is_none() {
            numbers.push(n);
        }
    }
    let total = diff.new.len() + diff.changed.len();
    let mut done = Applied::default();
    let mut tx = db.begin().await?;
    if let Some(id) = upload
        && !rosters::mark_applied(&mut tx, id, &actor.label, &diff.summary(), now).await?
    {
        return Err(RegistryError::Refused(
            "该名册已导入，无需重复导入".to_owned(),
        ));
    }
    for (u, username) in diff.new.iter().zip(&numbers) {
        let unit = match rosters::insert_unit(&mut tx, u, now).await {
            Ok(id) => id,
            Err(crate::store::StoreError::Duplicate(_)) => {
                return Err(RegistryError::Refused(format!(
                    "第{}行的统一社会信用代码刚刚已被登记，请重新预览后再导入",
                    u.row
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let event = Event {
            action: "unit_imported",
            subject_type: "unit",
            subject_id: unit.to_string(),
            to_state: "confirmed",
            reason: &format!("名册导入第{}行", u.row),
            ..Event::default()
        };
        audit::record(&mut tx, actor, &event, now).await?;
        if !u.email.is_empty() {
            let account = NewAccount {
                username,
                display_name: &u.name,
                role: govsite_core::role::Role::Unit,
                unit_id: Some(unit),
                office_id: None,
                email: &u.email,
                mobile: &u.mobile,
                totp_required: false,
            };
            let account_id = accounts::insert(&mut tx, &account, now).await?;
            let to = super::accounts::Invitee {
                email: &u.email,
                mobile: &u.mobile,
                display_name: &u.name,
                username,
            };
            super::accounts::send_activation(&mut tx, account_id, &to, INVITATION_TTL, now).await?;
            done.invited += 1;
        }
        done.created += 1;
        progress(done.created + done.updated, total);
    }
    for c in &diff.changed {
        let id = govsite_core::ids::UnitId::new(c.id);
        rosters::update_unit(&mut tx, id, &c.unit, now).await?;
        let event = Event {
            action: "unit_corrected",
            subject_type: "unit",
            subject_id: id.to_string(),
            reason: &format!("名册导入第{}行（{}）", c.unit.row, c.changes.join("；")),
            ..Event::default()
        };
        audit::record(&mut tx, actor, &event, now).await?;
        done.updated += 1;
        progress(done.created + done.updated, total);
    }
    let event = Event {
        action: "roster_imported",
        subject_type: "region",
        subject_id: region.to_string(),
        reason: &diff.summary(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(done)
}
