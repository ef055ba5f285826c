//! Decisions about badges once issued: what a visit of the mount checker leads to (mounted,
//! overdue with notices, a proposal to stop resolution), the 编办's decision on a proposal
//! (the badge suspended and its domain held, in one transaction), lifting a suspension, and
//! closing the public's reports. Each is one transaction with its audit rows and notices.

use govsite_core::badge_check::Finding;
use govsite_core::badge_state::{BadgeEvent, BadgeState};
use govsite_core::deadline::{self, Deadline, cst_date};
use govsite_core::hold::HoldLevel;
use govsite_core::ids::BadgeReportId;
use govsite_core::region::RegionCode;

use super::RegistryError;
use super::names_admin;
use super::notices::{self, Notice};
use crate::notify::messages;
use crate::store::audit::{self, Actor, Event};
use crate::store::badge_checks::{self, CheckTarget};
use crate::store::outbox::{Channel, NewMessage};
use crate::store::{Db, StoreResult, accounts, badges, calendar, domains, offices, policy, sites};

/// A dismissed proposal to stop resolution is not made again for this long.
const DISMISSED_QUIET: i64 = 30 * 86_400;

/// Stores one visit and moves the badge: mounted when every page shows it live; overdue when
/// the deadline has passed without that (the unit's handler and its 编办 are told once); a
/// proposal to stop resolution when it is still overdue at the next visit. A badge the
/// checker no longer visits (suspended or revoked meanwhile) keeps its state.
pub async fn record_visit(
    db: &Db,
    t: &CheckTarget,
    finding: Finding,
    evidence_json: &str,
    now: i64,
) -> StoreResult<()> {
    let Some(site) = badge_checks::checked(db, t.site_id).await? else {
        return Ok(());
    };
    let state = site.state;
    let today = cst_date(now).to_string();
    let event = if finding == Finding::Live {
        BadgeEvent::SeenLive
    } else {
        BadgeEvent::NotSeen {
            past_due: !site.mount_due.is_empty() && today > site.mount_due,
        }
    };
    let next = state.apply(event).unwrap_or(state);
    let newly_overdue = next == BadgeState::Overdue && state != BadgeState::Overdue;
    let reviewers = match RegionCode::from_i64(site.region_code) {
        Some(r) if newly_overdue => {
            accounts::reviewers(db, offices::find_by_region(db, r).await?).await?
        }
        _ => Vec::new(),
    };
    let checker = Actor::system("badge-checker");
    let mut tx = db.begin().await?;
    badge_checks::insert_visit(&mut tx, t.site_id, finding.as_str(), evidence_json, now).await?;
    let moved = next != state;
    badge_checks::set_visit_result(&mut tx, t.site_id, finding.as_str(), next, moved, now).await?;
    if moved {
        let event = Event {
            action: "badge_state_changed",
            subject_type: "site",
            subject_id: t.site_id.to_string(),
            from_state: state.as_str(),
            to_state: next.as_str(),
            reason: finding.label(),
        };
        audit::record(&mut tx, &checker, &event, now).await?;
    }
    let due = &site.mount_due;
    // Still overdue at the next visit after the notice: propose stopping resolution, once.
    if state == BadgeState::Overdue
        && next == BadgeState::Overdue
        && badge_checks::recent_enforcements(&mut tx, t.site_id, now - DISMISSED_QUIET).await? == 0
    {
        let reason = format!(
            "逾期未挂标（挂标期限 {due}），检查结果：{}",
            finding.label()
        );
        let id = badge_checks::propose_enforcement(&mut tx, t.site_id, &reason, now).await?;
        let event = Event {
            action: "badge_enforcement_proposed",
            subject_type: "badge_enforcement",
            subject_id: id.to_string(),
            from_state: "",
            to_state: "proposed",
            reason: &reason,
        };
        audit::record(&mut tx, &checker, &event, now).await?;
    }
    if newly_overdue {
        let text = if t.red_page {
            format!(
                "网络红页“{}”的网站标识（{}）应于 {due} 前挂标，网络红页尚未发布。请尽快在“红页管理”中完善并发布红页，标识会自动显示。",
                site.name, t.code
            )
        } else {
            format!(
                "网站“{}”的网站标识（{}）应于 {due} 前挂标，检查结果：{}。请尽快在网站所有页面底部加挂标识；逾期不改的，将提请停止域名解析。",
                site.name,
                t.code,
                finding.label()
            )
        };
        let notice = Notice {
            subject: "网站标识逾期未挂标",
            text: &text,
            template: "badge_overdue",
        };
        notices::to_unit(&mut tx, site.unit_id, notice, now).await?;
        for r in &reviewers {
            let m = NewMessage {
                channel: Channel::Email,
                recipient: r.email.clone(),
                subject: "辖区网站标识逾期未挂标".to_owned(),
                body: format!(
                    "{}：\n\n{text}\n\n{}\n",
                    r.display_name,
                    messages::SIGNATURE
                ),
                template: "badge_overdue",
            };
            notices::to_account(&mut tx, r.id, &m, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A 编办 person closes a report from the public with what was done.
pub async fn close_report(
    db: &Db,
    actor: &Actor,
    report: BadgeReportId,
    note: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let note = required_note(note, "请填写处理结果。")?;
    let mut tx = db.begin().await?;
    if !badges::close_report(&mut tx, report, &actor.label, &note, now).await? {
        return Err(RegistryError::Refused("该反映已处理。".into()));
    }
    let event = Event {
        action: "badge_report_closed",
        subject_type: "badge_report",
        subject_id: report.to_string(),
        from_state: "open",
        to_state: "closed",
        reason: &note,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The 编办 confirms a proposal to stop resolution (the badge is suspended and the site's
/// Chinese domain stops resolving, in one transaction) or dismisses it; either with a note.
pub async fn decide_enforcement(
    db: &Db,
    actor: &Actor,
    by: HoldLevel,
    e: &badges::Enforcement,
    confirm: bool,
    note: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let note = required_note(note, "请填写处理意见。")?;
    let domain = match confirm && !e.domain_ace.is_empty() {
        true => domains::by_ace(db, &e.domain_ace)
            .await?
            .filter(|d| !d.held),
        false => None,
    };
    let mut tx = db.begin().await?;
    if !badges::decide_enforcement(&mut tx, e.id, confirm, &actor.label, &note, now).await? {
        return Err(RegistryError::Refused("该建议已处理。".into()));
    }
    if confirm && !badge_checks::suspend(&mut tx, e.site_id, now).await? {
        // Closed (revoked) or suspended meanwhile: nothing to stop; the proposal stays open.
        return Err(RegistryError::Refused(
            "该网站已关闭或标识已暂停，无需停止解析。".into(),
        ));
    }
    let event = Event {
        action: "badge_enforcement_decided",
        subject_type: "badge_enforcement",
        subject_id: e.id.to_string(),
        from_state: "proposed",
        to_state: if confirm { "confirmed" } else { "dismissed" },
        reason: &note,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    if let Some(d) = domain {
        let reason = format!("{}；{note}", e.reason);
        let change = names_admin::HoldChange {
            hold: true,
            category: "badge",
            reason: &reason,
            by,
        };
        names_admin::set_hold_in(&mut tx, actor, &d, &change, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Lifts a suspension once the unit has put things right: the badge goes back to issued (the
/// checker marks it mounted at its next visit) with a fresh deadline of the region's mount
/// days, and a stop of resolution made for the badge is released, in one transaction.
pub async fn reinstate(
    db: &Db,
    actor: &Actor,
    by: HoldLevel,
    site: &sites::Site,
    note: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let note = required_note(note, "请填写恢复的理由。")?;
    let days = policy::mount_days(db, site.region_code).await?;
    let cal = calendar::load(db).await?;
    let due = deadline::due(Deadline::Mount { days }, &cal, now).to_string();
    let domain = match site.domain_ace.is_empty() {
        true => None,
        false => domains::by_ace(db, &site.domain_ace)
            .await?
            // A badge hold the registry placed stays until the registry lifts it.
            .filter(|d| d.held && d.hold_category == "badge" && names_admin::may_lift(d, by)),
    };
    let mut tx = db.begin().await?;
    if !badge_checks::reinstate(&mut tx, site.id, &due, now).await? {
        return Err(RegistryError::Refused("该标识未被暂停。".into()));
    }
    let event = Event {
        action: "badge_reinstated",
        subject_type: "site",
        subject_id: site.id.to_string(),
        from_state: BadgeState::Suspended.as_str(),
        to_state: BadgeState::Issued.as_str(),
        reason: &note,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    if let Some(d) = domain {
        let change = names_admin::HoldChange {
            hold: false,
            category: "",
            reason: "",
            by,
        };
        names_admin::set_hold_in(&mut tx, actor, &d, &change, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A note of at most 300 characters that may not be empty.
fn required_note(note: &str, missing: &'static str) -> Result<String, RegistryError> {
    let note: String = note.trim().chars().take(300).collect();
    if note.is_empty() {
        return Err(RegistryError::Invalid(missing));
    }
    Ok(note)
}

/// Someone from the public reports a problem with a badge (a counterfeit site, wrong facts);
/// it waits in the unit's 编办's queue.
pub async fn file_report(
    db: &Db,
    report: &badges::NewReport<'_>,
    now: i64,
) -> Result<BadgeReportId, RegistryError> {
    let mut tx = db.begin().await?;
    let id = badges::insert_report(&mut tx, report, now).await?;
    let event = Event {
        action: "badge_report_filed",
        subject_type: "badge_report",
        subject_id: id.to_string(),
        reason: report.kind,
        ..Default::default()
    };
    audit::record(&mut tx, &Actor::system("public"), &event, now).await?;
    tx.commit().await?;
    Ok(id)
}
