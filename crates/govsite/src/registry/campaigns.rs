//! 专项工作 decided: an office creates, edits and publishes a campaign; the worker's daily pass
//! sends reminders (once each), makes proposals to stop resolution when a milestone with that
//! consequence has passed, proposes restoration when a stopped unit catches up, and keeps the
//! day's counts; the office confirms or dismisses proposals in bulk (names held as 专项工作 in
//! the same transaction, the English registry's stop request produced), and restores.

use govsite_core::calendar::WorkingCalendar;
use govsite_core::campaign::{
    Campaign, Consequence, MilestoneKind, change_after_publication, reminder_due,
};
use govsite_core::deadline::cst_date;
use govsite_core::hold::{HoldCategory, HoldLevel};
use govsite_core::ids::{OfficeId, UnitId};

use super::RegistryError;
use super::names_admin::HoldChange;
use super::notices::{self, Notice};
use crate::store::audit::{self, Actor, Event};
use crate::store::campaigns::{self as store, CampaignRow, EnglishItem};
use crate::store::{Db, domains};

/// Who holds names for campaign `c`: its office, or the registry.
fn level(c: &CampaignRow) -> HoldLevel {
    if c.office_id.is_some() {
        HoldLevel::Office
    } else {
        HoldLevel::Registry
    }
}

fn refused(m: impl Into<String>) -> RegistryError {
    RegistryError::Refused(m.into())
}

/// A new draft campaign of `office` (the registry: none); returns its id.
pub async fn create(
    db: &Db,
    actor: &Actor,
    office: Option<OfficeId>,
    c: &Campaign,
    now: i64,
) -> Result<i64, RegistryError> {
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, office, c, &actor.label, now).await?;
    let event = Event {
        action: "campaign_created",
        subject_type: "campaign",
        subject_id: id.to_string(),
        to_state: "draft",
        reason: &format!("{}（{}）", c.title, c.doc_number),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Edits a campaign: a draft freely; a published one only moves milestones later (the units
/// planned on its dates). Audited with what changed.
pub async fn edit(
    db: &Db,
    actor: &Actor,
    before: &CampaignRow,
    after: &Campaign,
    now: i64,
) -> Result<(), RegistryError> {
    let old: Vec<_> = before
        .milestones
        .iter()
        .filter_map(|m| m.milestone())
        .collect();
    if before.published()
        && let Some(why) = change_after_publication(&old, &after.milestones)
    {
        return Err(refused(why));
    }
    let changes: Vec<String> = after
        .milestones
        .iter()
        .filter_map(|m| {
            let was = old.iter().find(|o| o.kind == m.kind);
            match was {
                Some(o) if o.due_on == m.due_on && o.consequence == m.consequence => None,
                Some(o) => Some(format!("{}：{} → {}", m.kind.label(), o.due_on, m.due_on)),
                None => Some(format!("{}：新增 {}", m.kind.label(), m.due_on)),
            }
        })
        .collect();
    let mut tx = db.begin().await?;
    store::update(&mut tx, before.id, after, now).await?;
    let event = Event {
        action: "campaign_edited",
        subject_type: "campaign",
        subject_id: before.id.to_string(),
        reason: &if changes.is_empty() {
            "修改名称、文号或范围".to_owned()
        } else {
            changes.join("；")
        },
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes a draft: from now on its units see it on their home page and its reminders go.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    c: &CampaignRow,
    now: i64,
) -> Result<(), RegistryError> {
    if c.milestones.is_empty() {
        return Err(refused("请先设置至少一个节点日期"));
    }
    let mut tx = db.begin().await?;
    if !store::publish(&mut tx, c.id, now).await? {
        return Err(refused("该专项工作已发布"));
    }
    let event = Event {
        action: "campaign_published",
        subject_type: "campaign",
        subject_id: c.id.to_string(),
        from_state: "draft",
        to_state: "published",
        reason: &format!("{}（{}）", c.title, c.doc_number),
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// What a daily pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub reminders: usize,
    pub proposals: usize,
    pub restorations: usize,
}

/// [`pass`] with the stored working calendar (the worker's call).
pub async fn run_pass(db: &Db, now: i64) -> Result<PassReport, RegistryError> {
    let calendar = crate::store::calendar::load(db).await?;
    pass(db, &calendar, now).await
}

/// The worker's pass over the published campaigns at `now`.
pub async fn pass(
    db: &Db,
    calendar: &WorkingCalendar,
    now: i64,
) -> Result<PassReport, RegistryError> {
    let today = cst_date(now);
    let actor = Actor::system("campaigns");
    let mut report = PassReport::default();
    for c in store::published(db).await? {
        let days = c.remind_days();
        for m in &c.milestones {
            let Some(milestone) = m.milestone() else {
                continue;
            };
            let mut tx = db.begin().await?;
            if let Some(d) = reminder_due(calendar, milestone.due_on, &days, today) {
                // The text says the days really left (a late reminder says fewer than `d`).
                let left = calendar.working_days_between(today, milestone.due_on);
                for unit in store::missing(&mut tx, &c, m.kind).await? {
                    if store::record_reminder(&mut tx, m.id, unit, d, now).await? {
                        remind(&mut tx, &c, m.kind, &m.due_on, unit, left, now).await?;
                        report.reminders += 1;
                    }
                }
            }
            if milestone.consequence == Consequence::StopResolution
                && today > milestone.due_on
                && m.proposed_at.is_none()
                && store::mark_proposed(&mut tx, m.id, now).await?
            {
                let missed = store::missing(&mut tx, &c, m.kind).await?;
                let mut made = 0;
                for unit in &missed {
                    if store::propose(&mut tx, m.id, *unit, now).await? {
                        made += 1;
                    }
                }
                let event = Event {
                    action: "campaign_proposals_made",
                    subject_type: "campaign",
                    subject_id: c.id.to_string(),
                    reason: &format!(
                        "“{}”于 {} 到期，{made} 个单位未完成",
                        m.kind_label, m.due_on
                    ),
                    ..Event::default()
                };
                audit::record(&mut tx, &actor, &event, now).await?;
                report.proposals += made;
            }
            tx.commit().await?;
        }
        // Today's counts, for the chart (one row per milestone and day).
        let mut tx = db.begin().await?;
        for m in &c.milestones {
            let counts = store::counts(db, &c, m.kind).await?;
            let (met, total) = m.kind.tally(&counts);
            store::record_counts(&mut tx, c.id, &today.to_string(), m.kind, met, total).await?;
        }
        tx.commit().await?;
    }
    // A stopped unit that caught up: restoration is proposed to its office.
    let mut tx = db.begin().await?;
    for (id, unit, kind) in store::confirmed(&mut tx).await? {
        if store::meets(&mut tx, unit, kind).await?
            && store::decide(
                &mut tx,
                id,
                "confirmed",
                "restore_proposed",
                "系统",
                "单位已整改",
                now,
            )
            .await?
        {
            let event = Event {
                action: "campaign_restore_proposed",
                subject_type: "unit",
                subject_id: unit.to_string(),
                from_state: "confirmed",
                to_state: "restore_proposed",
                reason: kind.label(),
            };
            audit::record(&mut tx, &actor, &event, now).await?;
            report.restorations += 1;
        }
    }
    tx.commit().await?;
    Ok(report)
}

/// Tells a unit of a campaign decision by SMS and e-mail (its handler), through the outbox.
async fn tell(
    tx: &mut sqlx::AnyConnection,
    unit: UnitId,
    subject: &str,
    text: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let notice = Notice {
        subject,
        text,
        template: "campaign_decision",
    };
    notices::to_unit(tx, unit, notice, now).await?;
    Ok(())
}

async fn remind(
    tx: &mut sqlx::AnyConnection,
    c: &CampaignRow,
    kind: MilestoneKind,
    due_on: &str,
    unit: UnitId,
    days_left: u32,
    now: i64,
) -> Result<(), RegistryError> {
    let consequence = c
        .milestones
        .iter()
        .find(|m| m.kind == kind)
        .map_or("", |m| {
            if m.consequence == Consequence::StopResolution {
                "逾期未完成的，将提请停止该单位的中英文域名解析。"
            } else {
                ""
            }
        });
    let text = format!(
        "根据{}（{}），请于 {due_on} 前{}（还有 {days_left} 个工作日）。{consequence}",
        c.title,
        c.doc_number,
        kind.label()
    );
    let notice = Notice {
        subject: "专项工作提醒",
        text: &text,
        template: "campaign_reminder",
    };
    notices::to_unit(tx, unit, notice, now).await?;
    Ok(())
}

/// What a bulk decision did.
#[derive(Debug, Clone, Default)]
pub struct Decided {
    pub done: Vec<String>,
    /// Units refused, with why (caught up meanwhile, decided by someone else first).
    pub refused: Vec<(String, String)>,
    pub english_request: Option<i64>,
}

fn check_reason(reason: &str) -> Result<String, RegistryError> {
    let reason: String = reason.trim().chars().take(300).collect();
    if reason.is_empty() {
        return Err(RegistryError::Invalid("请填写处理意见。"));
    }
    Ok(reason)
}

/// The office confirms proposals (`ids` of campaign `c`): each unit still behind has its
/// Chinese names held (category 专项工作, naming the campaign) in one transaction, and one
/// stop request for the English registry lists its English domains. A unit that caught up
/// meanwhile is refused and its proposal withdrawn; one decided by someone else is refused.
pub async fn confirm(
    db: &Db,
    actor: &Actor,
    c: &CampaignRow,
    ids: &[i64],
    reason: &str,
    now: i64,
) -> Result<Decided, RegistryError> {
    let reason = check_reason(reason)?;
    let mut out = Decided::default();
    let mut english = Vec::new();
    let mut told: Vec<UnitId> = Vec::new();
    let mut tx = db.begin().await?;
    for id in ids {
        let Some((campaign, e)) = store::enforcement(db, *id).await? else {
            continue;
        };
        if campaign != c.id {
            continue;
        }
        if store::meets(&mut tx, e.unit_id, e.kind).await? {
            if store::decide(
                &mut tx,
                e.id,
                "proposed",
                "withdrawn",
                &actor.label,
                "单位已达标",
                now,
            )
            .await?
            {
                out.refused
                    .push((e.unit_name.clone(), "已达标，不再停止解析".to_owned()));
            }
            continue;
        }
        if !store::decide(
            &mut tx,
            e.id,
            "proposed",
            "confirmed",
            &actor.label,
            &reason,
            now,
        )
        .await?
        {
            out.refused
                .push((e.unit_name.clone(), "已被他人处理".to_owned()));
            continue;
        }
        let why = format!(
            "专项工作《{}》（{}）：{}逾期（{}）。{reason}",
            c.title, c.doc_number, e.kind_label, e.due_on
        );
        for d in domains::of_unit(db, e.unit_id).await? {
            if d.variant_of.is_none() && !d.held {
                let change = HoldChange {
                    hold: true,
                    category: HoldCategory::Campaign.as_str(),
                    reason: &why,
                    by: level(c),
                };
                super::names_admin::set_hold_in(&mut tx, actor, &d, &change, now).await?;
            }
        }
        let reason = format!("{}逾期", e.kind_label);
        add_english(&mut tx, &mut english, &e, &reason).await?;
        if !told.contains(&e.unit_id) {
            told.push(e.unit_id);
            tell(
            &mut tx,
            e.unit_id,
            "专项工作：停止域名解析",
            &format!("{why} 你单位的中文域名已停止解析，英文域名的停止解析申请将报送中国互联网络信息中心。完成后请登录平台，系统将提请恢复解析。"),
            now,
        )
        .await?;
        }
        let event = Event {
            action: "campaign_stop_confirmed",
            subject_type: "unit",
            subject_id: e.unit_id.to_string(),
            from_state: "proposed",
            to_state: "confirmed",
            reason: &why,
        };
        audit::record(&mut tx, actor, &event, now).await?;
        out.done.push(e.unit_name);
    }
    out.english_request = file_english(&mut tx, actor, c, "stop", &english, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// The office dismisses proposals: no stop.
pub async fn dismiss(
    db: &Db,
    actor: &Actor,
    c: &CampaignRow,
    ids: &[i64],
    reason: &str,
    now: i64,
) -> Result<Decided, RegistryError> {
    let reason = check_reason(reason)?;
    let mut out = Decided::default();
    let mut tx = db.begin().await?;
    for id in ids {
        let Some((campaign, e)) = store::enforcement(db, *id).await? else {
            continue;
        };
        if campaign != c.id {
            continue;
        }
        if store::decide(
            &mut tx,
            e.id,
            "proposed",
            "dismissed",
            &actor.label,
            &reason,
            now,
        )
        .await?
        {
            let event = Event {
                action: "campaign_stop_dismissed",
                subject_type: "unit",
                subject_id: e.unit_id.to_string(),
                from_state: "proposed",
                to_state: "dismissed",
                reason: &reason,
            };
            audit::record(&mut tx, actor, &event, now).await?;
            out.done.push(e.unit_name);
        } else {
            out.refused.push((e.unit_name, "已被他人处理".to_owned()));
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// The office restores units that caught up: their campaign holds are lifted and a restore
/// request for their English domains is produced.
pub async fn restore(
    db: &Db,
    actor: &Actor,
    c: &CampaignRow,
    ids: &[i64],
    now: i64,
) -> Result<Decided, RegistryError> {
    let mut out = Decided::default();
    let mut english = Vec::new();
    let mut tx = db.begin().await?;
    for id in ids {
        let Some((campaign, e)) = store::enforcement(db, *id).await? else {
            continue;
        };
        if campaign != c.id {
            continue;
        }
        if !store::decide(
            &mut tx,
            e.id,
            "restore_proposed",
            "restored",
            &actor.label,
            "已整改，恢复解析",
            now,
        )
        .await?
        {
            out.refused.push((e.unit_name, "已被他人处理".to_owned()));
            continue;
        }
        // Still stopped for another milestone (or campaign): the holds stay until that one
        // is restored too.
        let still_stopped = store::still_stopped(&mut tx, e.unit_id).await?;
        let event = Event {
            action: "campaign_restored",
            subject_type: "unit",
            subject_id: e.unit_id.to_string(),
            from_state: "restore_proposed",
            to_state: "restored",
            reason: &if still_stopped {
                format!("专项工作《{}》；仍因其他未完成事项停止解析", c.title)
            } else {
                format!("专项工作《{}》", c.title)
            },
        };
        audit::record(&mut tx, actor, &event, now).await?;
        out.done.push(e.unit_name.clone());
        if still_stopped {
            continue;
        }
        for d in domains::of_unit(db, e.unit_id).await? {
            // A campaign hold the campaign's level may not lift (the registry's) stays.
            if d.variant_of.is_none()
                && d.held
                && d.hold_category == HoldCategory::Campaign.as_str()
                && super::names_admin::may_lift(&d, level(c))
            {
                let change = HoldChange {
                    hold: false,
                    category: "",
                    reason: "专项工作已整改，恢复解析",
                    by: level(c),
                };
                super::names_admin::set_hold_in(&mut tx, actor, &d, &change, now).await?;
            }
        }
        add_english(&mut tx, &mut english, &e, "已整改").await?;
        tell(
            &mut tx,
            e.unit_id,
            "专项工作：恢复域名解析",
            &format!("专项工作《{}》（{}）：你单位已整改，中文域名已恢复解析，英文域名的恢复解析申请将报送中国互联网络信息中心。", c.title, c.doc_number),
            now,
        )
        .await?;
    }
    out.english_request = file_english(&mut tx, actor, c, "restore", &english, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// Adds `e`'s unit's English domains to a request being built, each once per unit.
async fn add_english(
    tx: &mut sqlx::AnyConnection,
    english: &mut Vec<EnglishItem>,
    e: &store::Enforcement,
    reason: &str,
) -> Result<(), RegistryError> {
    for (domain, site) in store::english_domains(tx, e.unit_id).await? {
        // A unit stopped for two milestones at once is listed once per domain.
        if english
            .iter()
            .any(|i| i.unit_id == e.unit_id && i.english_domain == domain)
        {
            continue;
        }
        english.push(EnglishItem {
            unit_id: e.unit_id,
            unit_name: e.unit_name.clone(),
            english_domain: domain,
            site_name: site,
            reason: reason.to_owned(),
        });
    }
    Ok(())
}

/// Files the request for the English registry (`kind` stop or restore) when it lists any
/// domain; audited. Returns its id.
async fn file_english(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    c: &CampaignRow,
    kind: &str,
    english: &[EnglishItem],
    now: i64,
) -> Result<Option<i64>, RegistryError> {
    if english.is_empty() {
        return Ok(None);
    }
    let id = store::insert_english(tx, c.id, kind, english, &actor.label, now).await?;
    let what = if kind == "stop" { "停止" } else { "恢复" };
    let event = Event {
        action: "english_request_created",
        subject_type: "campaign",
        subject_id: c.id.to_string(),
        to_state: "pending",
        reason: &format!("英文域名{what}解析申请 {id}：{} 个域名", english.len()),
        ..Event::default()
    };
    audit::record(tx, actor, &event, now).await?;
    Ok(Some(id))
}

/// An English request moves on: 待发送 → 已发送 → 已停止 (a stop) or 已恢复 (a restore).
pub async fn advance_english(
    db: &Db,
    actor: &Actor,
    campaign: i64,
    request: &store::EnglishRequest,
    now: i64,
) -> Result<(), RegistryError> {
    if request.campaign_id != campaign {
        return Err(refused("未找到该申请"));
    }
    let to = match (request.state.as_str(), request.kind.as_str()) {
        ("pending", _) => "sent",
        ("sent", "stop") => "stopped",
        ("sent", _) => "restored",
        _ => return Err(refused("该申请已办结")),
    };
    let mut tx = db.begin().await?;
    if !store::set_english_state(&mut tx, request.id, &request.state, to, now).await? {
        return Err(refused("该申请已被他人处理"));
    }
    let event = Event {
        action: "english_request_advanced",
        subject_type: "campaign",
        subject_id: campaign.to_string(),
        from_state: &request.state,
        to_state: to,
        reason: &format!("英文域名{}申请 {}", request.kind_label, request.id),
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}
