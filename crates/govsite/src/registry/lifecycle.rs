//! The passage of time for registered names: reminders before expiry, expiry, suspension and
//! deletion, each change audited and told to the unit. Run by the worker; tests call [`pass`]
//! after moving the clock.

use govsite_core::domain_lifecycle::{DAY, Periods, due_reminder, state_at};

use super::notices::{self, Notice};
use crate::store::audit::{self, Actor, Event};
use crate::store::{Db, StoreResult, domains};

/// What one pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    pub reminders: usize,
    pub transitions: usize,
}

pub async fn pass(db: &Db, now: i64, periods: Periods) -> StoreResult<PassReport> {
    let mut report = PassReport::default();
    let actor = Actor::system("lifecycle");
    for d in domains::living(db).await? {
        let current = d.domain_state();
        let next = state_at(d.expires_at, now, periods, d.held);
        let sent: Vec<i64> = d
            .reminders_sent
            .split(',')
            .filter_map(|s| s.parse().ok())
            .collect();
        let reminder = (next == current)
            .then(|| due_reminder(d.expires_at, now, &sent))
            .flatten();
        if next == current && reminder.is_none() {
            continue;
        }
        let mut tx = db.begin().await?;
        if let Some(days) = reminder {
            let mut all = sent.clone();
            all.extend(
                govsite_core::domain_lifecycle::REMINDER_DAYS
                    .iter()
                    .filter(|r| **r >= days),
            );
            all.sort_unstable();
            all.dedup();
            let text: Vec<String> = all.iter().map(i64::to_string).collect();
            domains::record_reminder(&mut tx, d.id, &text.join(",")).await?;
            let left = (d.expires_at - now + DAY - 1) / DAY;
            let body = format!(
                "您单位的中文域名 {} 将于{}天后到期，请及时续费，以免停止解析。",
                d.unicode(),
                left
            );
            let notice = Notice {
                subject: "中文域名即将到期",
                text: &body,
                template: "domain_expiry_reminder",
            };
            notices::to_unit(&mut tx, d.unit_id, notice, now).await?;
            report.reminders += 1;
        }
        if next != current {
            domains::set_state(&mut tx, d.id, next.as_str(), now).await?;
            let event = Event {
                action: "domain_state_changed",
                subject_type: "domain",
                subject_id: d.id.to_string(),
                from_state: current.as_str(),
                to_state: next.as_str(),
                reason: if d.held && next.as_str() == "suspended" {
                    &d.hold_reason
                } else {
                    "expiry"
                },
            };
            audit::record(&mut tx, &actor, &event, now).await?;
            let body = format!(
                "您单位的中文域名 {} 状态已变为“{}”。",
                d.unicode(),
                next.label()
            );
            let notice = Notice {
                subject: "中文域名状态变更",
                text: &body,
                template: "domain_state",
            };
            notices::to_unit(&mut tx, d.unit_id, notice, now).await?;
            report.transitions += 1;
        }
        tx.commit().await?;
    }
    Ok(report)
}

/// Runs [`pass`] every `every` until `shutdown` flips.
pub async fn run(
    db: Db,
    clock: crate::clock::SharedClock,
    every: std::time::Duration,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = pass(&db, clock.now(), Periods::default()).await {
            tracing::error!(error = %e, "lifecycle pass failed");
        }
        if let Err(e) = super::escalation::escalate_overdue(&db, clock.now()).await {
            tracing::error!(error = %e, "escalation of overdue reviews failed");
        }
        if let Err(e) = super::campaigns::run_pass(&db, clock.now()).await {
            tracing::error!(error = %e, "campaign pass failed");
        }
        if let Err(e) = housekeeping(&db, clock.now()).await {
            tracing::error!(error = %e, "housekeeping failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// How long a badge's daily view and hot-link counts are kept.
pub const BADGE_COUNT_DAYS: i64 = 180;

/// Drops expired sessions, sign-in counters older than a day, used captcha challenges past
/// their expiry, one-time links expired for 30 days, badge view and hot-link counts older
/// than [`BADGE_COUNT_DAYS`], and zone changes older than 30 days (followers only look at
/// recent ones; each zone's latest, its serial, stays). Every table that grows with traffic
/// is bounded here.
pub async fn housekeeping(db: &Db, now: i64) -> StoreResult<()> {
    crate::store::sessions::purge_expired(db, now).await?;
    crate::store::throttle::purge_before(db, now - DAY).await?;
    crate::store::captchas::purge_expired(db, now).await?;
    crate::store::tokens::purge_expired(db, now - 30 * DAY).await?;
    let cutoff = govsite_core::deadline::cst_date(now - BADGE_COUNT_DAYS * DAY).to_string();
    crate::store::badges::prune_counts(db, &cutoff).await?;
    let keep = i64::from(crate::store::policy::platform(db).await?.handler_id_days);
    crate::store::sites::purge_handler_ids(db, now - keep * DAY, now).await?;
    crate::store::zones::prune_changes(db, now - 30 * DAY).await
}

/// Days the 经办人's ID number is kept after the application ends (badge issued or site
/// closed), unless 平台设置 says otherwise: the paper filing it served is long confirmed by
/// then (PIPL: no longer than needed).
pub const HANDLER_ID_DAYS: i64 = govsite_core::platform::DEFAULT_HANDLER_ID_DAYS as i64;
