//! 机构改革 decided: a 编办 (for its region) or the registry merges a unit into its successor
//! or abolishes it, in one transaction with its audit rows and notices. The rules are
//! `govsite_core::reorganisation`.

use govsite_core::domain_lifecycle::{Periods, state_at};
use govsite_core::hold::HoldCategory;
use govsite_core::ids::UnitId;
use govsite_core::money::Money;
use govsite_core::red_page::RedPageState;
use govsite_core::reorganisation::{Reform, UnitStatus, refusal};
use sqlx::AnyConnection;

use super::RegistryError;
use super::notices::{self, Notice};
use crate::store::audit::{self, Actor, Event};
use crate::store::reorganisation::{self as store, Moved};
use crate::store::units::{self, Scope};
use crate::store::{Db, domains, ledger, red_pages, sites};

/// What a reform did, for the clerk's notice.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    pub moved: Moved,
    pub balance: Money,
    pub closed_sites: usize,
    pub held_names: usize,
    pub accounts: usize,
}

fn checked_reason(reason: &str) -> Result<String, RegistryError> {
    let reason: String = reason.trim().chars().take(300).collect();
    if reason.is_empty() {
        return Err(RegistryError::Invalid(
            "请填写机构改革的依据（例如批准文件的文号）。",
        ));
    }
    Ok(reason)
}

/// Merges `unit` into `successor`: names, applications, sites and balance follow the
/// successor; the unit's red page is withdrawn and its red-page site closed; its accounts
/// are disabled. Both units' handlers are told.
pub async fn merge(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    successor: UnitId,
    reason: &str,
    now: i64,
) -> Result<Outcome, RegistryError> {
    let reason = checked_reason(reason)?;
    let from = units::find(db, unit, Scope::All).await?;
    let into = units::find(db, successor, Scope::All).await?;
    let mut tx = db.begin().await?;
    // Both rows in id order, so two merges crossing each other cannot deadlock.
    let (first, second) = if unit.get() < successor.get() {
        (unit, successor)
    } else {
        (successor, unit)
    };
    let a = store::lock_status(&mut tx, first).await?;
    let b = store::lock_status(&mut tx, second).await?;
    let (status, successor_status) = if first == unit { (a, b) } else { (b, a) };
    let (Some(status), Some(from)) = (status, from) else {
        return Err(RegistryError::Refused("未找到该单位".to_owned()));
    };
    let into = into.zip(successor_status);
    if let Some(why) = refusal(
        (unit.get(), status),
        into.as_ref().map(|(u, s)| (u.id.get(), *s)),
        Reform::MergeInto(successor.get()),
        0,
    ) {
        return Err(RegistryError::Refused(why));
    }
    let Some((into, _)) = into else {
        return Err(RegistryError::Refused("未找到并入单位".to_owned()));
    };
    let mut out = Outcome::default();
    withdraw_red_page(&mut tx, actor, unit, &reason, now).await?;
    out.closed_sites = close_sites(&mut tx, actor, unit, true, now).await?;
    out.moved = store::move_holdings(&mut tx, unit, successor, now).await?;
    out.balance = ledger::move_balance(
        &mut tx,
        unit,
        successor,
        &format!("merge-{unit}-{successor}"),
        &format!("机构改革：{}并入{}", from.form.name, into.form.name),
        now,
    )
    .await?;
    out.accounts = store::disable_accounts(&mut tx, unit).await?.len();
    if !store::close(
        &mut tx,
        unit,
        UnitStatus::Merged,
        Some(successor),
        &reason,
        now,
    )
    .await?
    {
        return Err(RegistryError::Refused("该单位已办理机构改革".to_owned()));
    }
    let what = format!(
        "域名 {} 个、申请 {} 项、网站 {} 个、余额 {} 元",
        out.moved.names, out.moved.applications, out.moved.sites, out.balance
    );
    let merged = Event {
        action: "unit_merged",
        subject_type: "unit",
        subject_id: unit.to_string(),
        from_state: "active",
        to_state: "merged",
        reason: &format!(
            "并入{}（{}）：{reason}；移交{what}",
            into.form.name, into.form.credit_code
        ),
    };
    audit::record(&mut tx, actor, &merged, now).await?;
    let received = Event {
        action: "unit_merge_received",
        subject_type: "unit",
        subject_id: successor.to_string(),
        reason: &format!(
            "{}（{}）并入本单位：{reason}；接收{what}",
            from.form.name, from.form.credit_code
        ),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &received, now).await?;
    notify(
        &mut tx,
        successor,
        "机构改革：单位合并",
        &format!(
            "根据机构改革（{reason}），{}已并入您单位，其{what}已转入您单位名下。请登录平台核对，并及时更新网站和网站标识信息。",
            from.form.name
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Abolishes `unit` (撤销): its names stop resolving, its sites are closed (badges revoked),
/// its red page is withdrawn and its accounts disabled; its balance stays for finance to
/// refund. Refused while an application of the unit is under review.
pub async fn abolish(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    reason: &str,
    now: i64,
) -> Result<Outcome, RegistryError> {
    let reason = checked_reason(reason)?;
    let names = domains::of_unit(db, unit).await?;
    let mut tx = db.begin().await?;
    let Some(status) = store::lock_status(&mut tx, unit).await? else {
        return Err(RegistryError::Refused("未找到该单位".to_owned()));
    };
    let in_review = store::in_review(&mut tx, unit).await?;
    if let Some(why) = refusal((unit.get(), status), None, Reform::Abolish, in_review) {
        return Err(RegistryError::Refused(why));
    }
    let mut out = Outcome::default();
    withdraw_red_page(&mut tx, actor, unit, &reason, now).await?;
    out.closed_sites = close_sites(&mut tx, actor, unit, false, now).await?;
    let hold_reason = format!("单位已撤销：{reason}");
    for d in names.iter().filter(|d| !d.held) {
        let to = state_at(d.expires_at, now, Periods::default(), true);
        let category = HoldCategory::UnitChanged.as_str();
        // An office's reorganisation: the office (or the registry) may lift it.
        let by = govsite_core::hold::HoldLevel::Office.as_str();
        domains::set_hold(&mut tx, d.id, true, category, &hold_reason, by, now).await?;
        domains::set_state(&mut tx, d.id, to.as_str(), now).await?;
        let event = Event {
            action: "domain_held",
            subject_type: "domain",
            subject_id: d.id.to_string(),
            from_state: d.state.as_str(),
            to_state: to.as_str(),
            reason: &hold_reason,
        };
        audit::record(&mut tx, actor, &event, now).await?;
        out.held_names += 1;
    }
    out.balance = ledger::balance_in(&mut tx, unit).await?;
    // Told before the accounts close, so the handler's contacts are read while they exist.
    notify(
        &mut tx,
        unit,
        "机构改革：单位已撤销",
        &format!(
            "根据机构改革（{reason}），您单位已在政务和公益机构域名注册管理平台撤销：中文域名停止解析，网站标识已注销，平台账号已停用。账户余额 {} 元请联系注册管理中心财务办理退款。",
            out.balance
        ),
        now,
    )
    .await?;
    out.accounts = store::disable_accounts(&mut tx, unit).await?.len();
    if !store::close(&mut tx, unit, UnitStatus::Abolished, None, &reason, now).await? {
        return Err(RegistryError::Refused("该单位已办理机构改革".to_owned()));
    }
    let event = Event {
        action: "unit_abolished",
        subject_type: "unit",
        subject_id: unit.to_string(),
        from_state: "active",
        to_state: "abolished",
        reason: &format!(
            "{reason}；停止解析域名 {} 个，关闭网站 {} 个，停用账号 {} 个，余额 {} 元待退款",
            out.held_names, out.closed_sites, out.accounts, out.balance
        ),
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// A published red page of a unit that no longer exists as such is withdrawn.
async fn withdraw_red_page(
    tx: &mut AnyConnection,
    actor: &Actor,
    unit: UnitId,
    reason: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let (from, to) = (RedPageState::Published, RedPageState::Unpublished);
    if red_pages::set_state(tx, unit, from, to, None, reason, now).await? {
        let event = Event {
            action: "red_page_unpublished",
            subject_type: "red_page",
            subject_id: unit.to_string(),
            from_state: from.as_str(),
            to_state: to.as_str(),
            reason: &format!("机构改革：{reason}"),
        };
        audit::record(tx, actor, &event, now).await?;
    }
    Ok(())
}

/// Closes the unit's open sites (only its red-page site when `red_page_only`): their badges
/// are revoked. Returns how many.
async fn close_sites(
    tx: &mut AnyConnection,
    actor: &Actor,
    unit: UnitId,
    red_page_only: bool,
    now: i64,
) -> Result<usize, RegistryError> {
    let open = store::open_sites(tx, unit, red_page_only).await?;
    for (id, code, state) in &open {
        if sites::close_site(tx, *id, now).await? {
            let event = Event {
                action: "site_closed",
                subject_type: "site",
                subject_id: id.to_string(),
                from_state: state,
                to_state: "revoked",
                reason: &format!("机构改革，网站标识 {code} 注销"),
            };
            audit::record(tx, actor, &event, now).await?;
        }
    }
    Ok(open.len())
}

async fn notify(
    tx: &mut AnyConnection,
    unit: UnitId,
    subject: &str,
    text: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let notice = Notice {
        subject,
        text,
        template: "unit_reorganised",
    };
    notices::to_unit(tx, unit, notice, now).await?;
    Ok(())
}
