//! What a unit and the staff do with a registered name: renew it, change how it resolves,
//! stop and restore its resolution. Each takes effect at once and is audited.

use govsite_core::domain_form::DomainForm;
use govsite_core::domain_lifecycle::{Periods, renew};
/// Why a name's resolution is stopped; the category is shown to the public on the
/// forwarding notice page, the text only to the unit and the staff.
pub use govsite_core::hold::HOLD_REASONS;
use govsite_core::money::{Money, Years, fee};

use govsite_core::hold::HoldLevel;
use govsite_core::ids::UnitId;
use serde::Serialize;
use sqlx::AnyConnection;

use govsite_core::deadline::cst_date;

use super::RegistryError;
use super::notices::{self, Notice};
use crate::store::audit::{self, Actor, Event};
use crate::store::domains::{self, Domain, Records};
use crate::store::{Db, ledger, policy};

/// One name picked for renewal, with the expiry it had when quoted and the one it will get.
#[derive(Debug, Clone, Serialize)]
pub struct Renewal {
    pub domain: Domain,
    pub years: u32,
    pub new_expiry: i64,
}

/// What a renewal of `picks` costs at today's price for the unit's region.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    pub items: Vec<Renewal>,
    pub price: Money,
    pub total: Money,
}

/// Prices a renewal; refuses names that cannot be renewed (deleted, or past ten years ahead).
pub async fn quote(
    db: &Db,
    region_code: i64,
    picks: Vec<(Domain, Years)>,
    now: i64,
) -> Result<Quote, RegistryError> {
    if picks.is_empty() {
        return Err(RegistryError::Refused("请选择要续费的域名".into()));
    }
    let mut items = Vec::with_capacity(picks.len());
    for (domain, years) in picks {
        let new_expiry = renew(domain.expires_at, now, years.get(), Periods::default())
            .map_err(|e| RegistryError::Refused(format!("{}：{e}", domain.unicode())))?;
        items.push(Renewal {
            domain,
            years: years.get(),
            new_expiry,
        });
    }
    let tier = policy::fee_tier(db, region_code).await?;
    let price = policy::price(db, tier, now)
        .await?
        .ok_or_else(|| RegistryError::Refused("价格表未设置，请联系注册管理中心".into()))?;
    let terms = items.iter().filter_map(|i| Years::new(i.years).ok());
    let total = fee(price, terms).ok_or_else(|| RegistryError::Refused("费用计算溢出".into()))?;
    Ok(Quote {
        items,
        price,
        total,
    })
}

/// Renews every name of the quote, paying the total from the unit's balance in one ledger
/// transaction. A name whose expiry moved since the quote (a second click, another renewal)
/// refuses the whole renewal, so nothing is paid twice.
pub async fn renew_names(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    q: &Quote,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    renew_in(&mut tx, actor, unit, q, "", now).await?;
    tx.commit().await?;
    Ok(())
}

/// [`renew_names`] inside a caller's transaction (编办代缴: finance's confirmation credits the
/// unit's share and renews in the same transaction); `how` is added to the ledger memo.
pub(crate) async fn renew_in(
    tx: &mut AnyConnection,
    actor: &Actor,
    unit: UnitId,
    q: &Quote,
    how: &str,
    now: i64,
) -> Result<(), RegistryError> {
    for item in &q.items {
        let d = &item.domain;
        if d.unit_id != unit {
            return Err(RegistryError::Refused("只能续费本单位的域名".into()));
        }
        if !domains::move_expiry(&mut *tx, d.id, d.expires_at, item.new_expiry, now).await? {
            return Err(RegistryError::Refused(format!(
                "{}的到期日已变更（可能已续费），请刷新后重试",
                d.unicode()
            )));
        }
        // A name renewed during its protection period (or after expiry took it out of the
        // zone) resolves again at once; a hold by the staff stays.
        let to = if d.held { d.state.as_str() } else { "active" };
        domains::set_state(&mut *tx, d.id, to, now).await?;
        let event = Event {
            action: "domain_renewed",
            subject_type: "domain",
            subject_id: d.id.to_string(),
            from_state: d.state.as_str(),
            to_state: to,
            reason: &format!(
                "{} 续费{}年，至{}{how}",
                d.unicode(),
                item.years,
                cst_date(item.new_expiry)
            ),
        };
        audit::record(&mut *tx, actor, &event, now).await?;
    }
    let names: Vec<String> = q
        .items
        .iter()
        .map(|i| format!("{} {}年", i.domain.unicode(), i.years))
        .collect();
    let txn = format!("renew-{}-{now}-{}", unit.get(), q.items[0].domain.id);
    if !ledger::pay(
        &mut *tx,
        unit,
        q.total,
        &txn,
        &format!("域名续费：{}{how}", names.join("，")),
        now,
    )
    .await?
    {
        return Err(RegistryError::Refused(format!(
            "账户余额不足，续费应缴 {} 元，请先转账充值",
            q.total
        )));
    }
    Ok(())
}

/// Changes how a name resolves: addresses, the unit's own name servers, or forwarding.
pub async fn change_records(
    db: &Db,
    actor: &Actor,
    d: &Domain,
    form: &DomainForm,
    now: i64,
) -> Result<(), RegistryError> {
    let plan = form.parse_plan().map_err(RegistryError::Form)?;
    let records = Records::of(&plan);
    let mut tx = db.begin().await?;
    domains::set_records(&mut tx, d.id, &records, now).await?;
    let from = [
        d.plan.as_str(),
        &d.ipv4,
        &d.ipv6,
        &d.nameservers,
        &d.forward_url,
    ]
    .iter()
    .filter(|s| !s.is_empty())
    .copied()
    .collect::<Vec<_>>()
    .join(" ");
    let to = records.describe();
    let event = Event {
        action: "domain_records_changed",
        subject_type: "domain",
        subject_id: d.id.to_string(),
        from_state: &from,
        to_state: &to,
        reason: "",
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A hold placed or lifted: what, why, and by whom (which decides who may lift it later).
#[derive(Debug, Clone, Copy)]
pub struct HoldChange<'a> {
    pub hold: bool,
    /// The hold category (empty on release).
    pub category: &'a str,
    pub reason: &'a str,
    pub by: HoldLevel,
}

/// Stops (or restores) resolution for non-compliance, e.g. a missed campaign deadline. An
/// office may not lift a hold the registry placed.
pub async fn set_hold(
    db: &Db,
    actor: &Actor,
    d: &Domain,
    change: &HoldChange<'_>,
    now: i64,
) -> Result<(), RegistryError> {
    if change.hold == d.held {
        return Err(RegistryError::Refused(if change.hold {
            "该域名已停止解析".into()
        } else {
            "该域名未被停止解析".into()
        }));
    }
    if change.hold && change.reason.trim().is_empty() {
        return Err(RegistryError::Refused("停止解析须填写原因".into()));
    }
    let mut tx = db.begin().await?;
    set_hold_in(&mut tx, actor, d, change, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `by` may lift the hold on `d`.
pub fn may_lift(d: &Domain, by: HoldLevel) -> bool {
    by.may_lift(HoldLevel::parse(&d.held_by))
}

/// [`set_hold`] inside a decision's own transaction (a badge suspension stops its domain's
/// resolution in the same transaction). The caller has checked `hold != d.held`; lifting a
/// hold the level may not lift is refused.
pub(crate) async fn set_hold_in(
    tx: &mut AnyConnection,
    actor: &Actor,
    d: &Domain,
    change: &HoldChange<'_>,
    now: i64,
) -> Result<(), RegistryError> {
    let (hold, category, reason) = (change.hold, change.category, change.reason);
    if !hold && !may_lift(d, change.by) {
        return Err(RegistryError::Refused(
            "该域名由注册管理中心停止解析，须由注册管理中心恢复。".into(),
        ));
    }
    let to = govsite_core::domain_lifecycle::state_at(d.expires_at, now, Periods::default(), hold);
    let by = if hold { change.by.as_str() } else { "" };
    domains::set_hold(&mut *tx, d.id, hold, category, reason.trim(), by, now).await?;
    domains::set_state(&mut *tx, d.id, to.as_str(), now).await?;
    let event = Event {
        action: if hold {
            "domain_held"
        } else {
            "domain_released"
        },
        subject_type: "domain",
        subject_id: d.id.to_string(),
        from_state: d.state.as_str(),
        to_state: to.as_str(),
        reason: reason.trim(),
    };
    audit::record(&mut *tx, actor, &event, now).await?;
    {
        let body = if hold {
            format!(
                "您单位的中文域名 {} 已被停止解析，原因：{}。整改后请联系所属编办恢复。",
                d.unicode(),
                reason.trim()
            )
        } else {
            format!("您单位的中文域名 {} 已恢复解析。", d.unicode())
        };
        let subject = if hold {
            "中文域名已停止解析"
        } else {
            "中文域名已恢复解析"
        };
        let notice = Notice {
            subject,
            text: &body,
            template: "domain_state",
        };
        notices::to_unit(tx, d.unit_id, notice, now).await?;
    }
    Ok(())
}
