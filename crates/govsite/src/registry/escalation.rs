//! First reviews (of domain and website applications) past their time limit are escalated once to the office one level up (the
//! city for a county, the province for a city), or to the registry when no such office
//! exists, by e-mail to its reviewers; the escalation is audited.

use crate::notify::messages::SIGNATURE;
use crate::store::audit::{self, Actor, Event};
use crate::store::outbox::{Channel, NewMessage};
use crate::store::{Db, StoreResult, accounts, applications, offices, sites};
use govsite_core::region::RegionCode;

use govsite_core::deadline::cst_date;
use govsite_core::ids::{DomainApplicationId, SiteApplicationId};

/// Which application is overdue.
#[derive(Clone, Copy)]
enum Subject {
    Domain(DomainApplicationId),
    Site(SiteApplicationId),
}

/// An overdue first review, of a domain or a website application.
struct Overdue<'a> {
    id: Subject,
    region_code: i64,
    unit_name: &'a str,
    reference: &'a str,
    due: &'a str,
    what: &'static str,
    subject_type: &'static str,
}

/// Escalates every overdue first review not escalated yet (domain and website
/// applications); returns how many.
pub async fn escalate_overdue(db: &Db, now: i64) -> StoreResult<usize> {
    let today = cst_date(now).to_string();
    let domain_apps = applications::overdue_unescalated(db, &today).await?;
    let site_apps = sites::overdue_unescalated(db, &today).await?;
    let items = domain_apps
        .iter()
        .map(|a| Overdue {
            id: Subject::Domain(a.id),
            region_code: a.region_code,
            unit_name: &a.unit_name,
            reference: a.reference.as_deref().unwrap_or(""),
            due: &a.office_due,
            what: "域名注册申请",
            subject_type: "domain_application",
        })
        .chain(site_apps.iter().map(|a| Overdue {
            id: Subject::Site(a.id),
            region_code: a.region_code,
            unit_name: &a.unit_name,
            reference: a.reference.as_deref().unwrap_or(""),
            due: &a.office_due,
            what: "网站开办审核申请",
            subject_type: "site_application",
        }));
    let actor = Actor::system("escalation");
    let mut count = 0;
    for a in items {
        let (office, office_name) = office_above(db, a.region_code).await?;
        let reviewers = accounts::reviewers(db, office).await?;
        let mut tx = db.begin().await?;
        let text = format!(
            "{}的{} {} 应于 {} 前完成编办初审，现已超期，请督促办理。",
            a.unit_name, a.what, a.reference, a.due
        );
        for r in &reviewers {
            let m = NewMessage {
                channel: Channel::Email,
                recipient: r.email.clone(),
                subject: format!("{}初审超期", a.what),
                body: format!("{}：\n\n{text}\n\n{SIGNATURE}\n", r.display_name),
                template: "review_overdue",
            };
            super::notices::to_account(&mut tx, r.id, &m, now).await?;
        }
        let subject_id = match a.id {
            Subject::Site(id) => {
                sites::mark_escalated(&mut tx, id, now).await?;
                id.to_string()
            }
            Subject::Domain(id) => {
                applications::mark_escalated(&mut tx, id, now).await?;
                id.to_string()
            }
        };
        let event = Event {
            action: "review_escalated",
            subject_type: a.subject_type,
            subject_id,
            from_state: "submitted",
            to_state: "submitted",
            reason: &format!("超期（时限 {}），已提醒{}", a.due, office_name),
        };
        audit::record(&mut tx, &actor, &event, now).await?;
        tx.commit().await?;
        count += 1;
    }
    Ok(count)
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
