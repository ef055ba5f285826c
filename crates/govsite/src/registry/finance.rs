//! Money decisions: a unit or an office reports a bank transfer, finance confirms it (the
//! units' balances are credited, for 编办代缴 each unit its share) or returns it, and issues
//! invoices for payments not yet invoiced. Each is one transaction with its audit row.

use govsite_core::ids::{InvoiceId, OfficeId, TransferId, UnitId};
use govsite_core::money::Money;
use govsite_core::transfer::TransferStatus;

use super::RegistryError;
use crate::store::audit::{self, Actor, Event};
use crate::store::invoices::{self, Item as InvoiceItem};
use crate::store::transfers::{self, OfficeSplit, Reported, Transfer};
use crate::store::units::UnitRecord;
use crate::store::{Db, StoreError, ledger};

/// A unit reports a transfer it made (我要转账); finance confirms it later. Returns the id and
/// the reference the unit quotes.
pub async fn report_transfer(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    reported: &Reported<'_>,
    now: i64,
) -> Result<(TransferId, String), RegistryError> {
    let mut tx = db.begin().await?;
    let (id, reference) = transfers::create(&mut tx, unit, reported, now).await?;
    let event = Event {
        action: "transfer_reported",
        subject_type: "transfer",
        subject_id: id.to_string(),
        to_state: "pending",
        reason: &format!("{} 元", reported.amount),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok((id, reference))
}

/// 编办代缴: an office reports one transfer for several of its units, split as
/// `split.allocations` (checked by the caller to sum to the amount); its `items` and `renewals`
/// are the applications it pays and the names it renews, each fee part of its unit's share.
pub async fn report_office_transfer(
    db: &Db,
    actor: &Actor,
    office: OfficeId,
    reported: &Reported<'_>,
    split: &OfficeSplit<'_>,
    now: i64,
) -> Result<(TransferId, String), RegistryError> {
    let mut tx = db.begin().await?;
    let (id, reference) =
        transfers::create_for_office(&mut tx, office, reported, split, now).await?;
    let event = Event {
        action: "transfer_reported",
        subject_type: "transfer",
        subject_id: id.to_string(),
        to_state: "pending",
        reason: &format!(
            "编办代缴 {} 元，{}个单位",
            reported.amount,
            split.allocations.len()
        ),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok((id, reference))
}

/// Finance confirms a pending transfer (the unit, or each unit of an office's transfer, is
/// credited) or returns it with a reason.
pub async fn decide_transfer(
    db: &Db,
    actor: &Actor,
    t: &Transfer,
    confirm: bool,
    reason: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let reason: String = reason.trim().chars().take(200).collect();
    if !confirm && reason.is_empty() {
        return Err(RegistryError::Invalid("退回转账时请填写原因。"));
    }
    let status = if confirm {
        TransferStatus::Confirmed
    } else {
        TransferStatus::Rejected
    };
    let allocations = match (confirm, t.unit_id) {
        (true, None) => transfers::allocations(db, t.id).await?,
        _ => Vec::new(),
    };
    // 编办代缴 that pays: the applications the office picked, still awaiting payment, are
    // paid from the shares just credited and their names activated, in this transaction.
    let mut payments = Vec::new();
    if confirm && t.unit_id.is_none() {
        for id in transfers::items(db, t.id).await? {
            if let Some(app) = crate::store::applications::find(db, id).await?
                && app.state == govsite_core::domain_application::AppState::RegistryApproved
            {
                payments.push(super::applications::prepare_payment(db, &app).await?);
            }
        }
    }
    // And the names it renews, at the fee of the day they were picked, if their expiry has
    // not moved since (a unit that renewed meanwhile keeps its share as balance).
    let mut renewals = Vec::new();
    if confirm && t.unit_id.is_none() {
        for item in transfers::renewals(db, t.id).await? {
            if let Some(d) = crate::store::domains::find(db, item.domain).await?
                && d.unit_id == item.unit
                && d.expires_at == item.expires_at
                && d.state != govsite_core::domain_lifecycle::DomainState::Deleted
            {
                let new_expiry = govsite_core::domain_lifecycle::renew(
                    d.expires_at,
                    now,
                    item.years,
                    govsite_core::domain_lifecycle::Periods::default(),
                )
                .map_err(|e| RegistryError::Refused(format!("{}：{e}", d.unicode())))?;
                let quote = super::names_admin::Quote {
                    items: vec![super::names_admin::Renewal {
                        domain: d,
                        years: item.years,
                        new_expiry,
                    }],
                    price: item.amount,
                    total: item.amount,
                };
                renewals.push((item.unit, quote));
            }
        }
    }
    let mut tx = db.begin().await?;
    if !transfers::decide(&mut tx, t.id, status, &reason, now).await? {
        return Err(RegistryError::Refused("该转账已被处理。".into()));
    }
    if confirm && let Some(unit) = t.unit_id {
        ledger::credit(
            &mut tx,
            unit,
            Money::from_fen(t.amount_fen),
            &format!("transfer-{}", t.id),
            &format!("转账到账 {}", t.reference),
            now,
        )
        .await?;
    }
    // 编办代缴: each unit is credited its share.
    for (unit, _, amount) in allocations {
        ledger::credit(
            &mut tx,
            unit,
            amount,
            &format!("transfer-{}-{unit}", t.id),
            &format!("编办代缴到账 {}（{}）", t.reference, t.unit_name),
            now,
        )
        .await?;
    }
    let how = format!("（{}代缴，{}）", t.unit_name, t.reference);
    for p in &payments {
        // An application its unit paid meanwhile is left alone; its share stays as balance.
        super::applications::pay_in(&mut tx, actor, p, &how, now).await?;
    }
    for (unit, quote) in &renewals {
        super::names_admin::renew_in(&mut tx, actor, *unit, quote, &how, now).await?;
    }
    let event = Event {
        action: if confirm {
            "transfer_confirmed"
        } else {
            "transfer_rejected"
        },
        subject_type: "transfer",
        subject_id: t.id.to_string(),
        from_state: "pending",
        to_state: status.as_str(),
        reason: &reason,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Finance issues one invoice for `items` (the unit's payments not yet invoiced). Returns its
/// id and number; someone else invoicing the same payments first is refused.
pub async fn issue_invoice(
    db: &Db,
    actor: &Actor,
    unit: &UnitRecord,
    title: &str,
    tax_number: &str,
    items: &[InvoiceItem],
    now: i64,
) -> Result<(InvoiceId, String), RegistryError> {
    if items.is_empty() {
        return Err(RegistryError::Refused("该单位没有待开发票的缴费。".into()));
    }
    let mut tx = db.begin().await?;
    let (id, number) = match invoices::issue(
        &mut tx,
        unit.id,
        title,
        tax_number,
        items,
        &actor.label,
        now,
    )
    .await
    {
        Ok(done) => done,
        Err(StoreError::Duplicate(_)) => {
            return Err(RegistryError::Refused(
                "这些缴费已由他人开具发票，请刷新页面。".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let total: i64 = items.iter().map(|i| i.amount_fen).sum();
    let event = Event {
        action: "invoice_issued",
        subject_type: "invoice",
        subject_id: id.to_string(),
        from_state: "",
        to_state: &number,
        reason: &format!(
            "{} {} 元，{}笔",
            unit.form.name,
            Money::from_fen(total),
            items.len()
        ),
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok((id, number))
}
