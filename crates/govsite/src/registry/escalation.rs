//! First reviews past their time limit are escalated once to the office one level up (the
//! city for a county, the province for a city), or to the registry when no such office
//! exists, by e-mail to its reviewers; the escalation is audited.

use crate::notify::messages::SIGNATURE;
use crate::store::audit::{self, Actor, Event};
use crate::store::outbox::{Channel, NewMessage};
use crate::store::{Db, StoreResult, accounts, applications, offices};
use govsite_core::region::RegionCode;

use super::applications::cst_date;

/// Escalates every overdue first review not escalated yet; returns how many.
pub async fn escalate_overdue(db: &Db, now: i64) -> StoreResult<usize> {
    let today = cst_date(now).to_string();
    let overdue = applications::overdue_unescalated(db, &today).await?;
    let actor = Actor::system("escalation");
    for a in &overdue {
        let (office, office_name) = office_above(db, a.region_code).await?;
        let reviewers = accounts::reviewers(db, office).await?;
        let mut tx = db.begin().await?;
        let text = format!(
            "{}的域名注册申请 {} 应于 {} 前完成编办初审，现已超期，请督促办理。",
            a.unit_name,
            a.reference.as_deref().unwrap_or(""),
            a.office_due
        );
        for r in reviewers.iter().filter(|r| !r.email.is_empty()) {
            let m = NewMessage {
                channel: Channel::Email,
                recipient: r.email.clone(),
                subject: "域名注册申请初审超期".to_owned(),
                body: format!("{}：\n\n{text}\n\n{SIGNATURE}\n", r.display_name),
                template: "review_overdue",
            };
            crate::store::outbox::enqueue(&mut tx, &m, now).await?;
        }
        applications::mark_escalated(&mut tx, a.id, now).await?;
        let event = Event {
            action: "review_escalated",
            subject_type: "domain_application",
            subject_id: a.id.to_string(),
            from_state: "submitted",
            to_state: "submitted",
            reason: &format!("超期（时限 {}），已提醒{}", a.office_due, office_name),
        };
        audit::record(&mut tx, &actor, &event, now).await?;
        tx.commit().await?;
    }
    Ok(overdue.len())
}

/// The nearest office above `region`, or the registry (`None`).
async fn office_above(
    db: &Db,
    region: i64,
) -> StoreResult<(Option<govsite_core::ids::OfficeId>, String)> {
    let mut here = RegionCode::from_i64(region);
    while let Some(code) = here {
        let Some(parent) = offices::region(db, code).await?.and_then(|r| r.parent_code) else {
            break;
        };
        let Some(parent_code) = RegionCode::from_i64(parent) else {
            break;
        };
        if let Some(id) = offices::find_by_region(db, parent_code).await? {
            let name = offices::find(db, id)
                .await?
                .map_or_else(String::new, |o| o.name);
            return Ok((Some(id), name));
        }
        here = Some(parent_code);
    }
    Ok((None, "注册管理中心".to_owned()))
}
