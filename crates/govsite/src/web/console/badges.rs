//! 网站标识 in the consoles: the badges of the office's units (the registry: all) by status,
//! with their views and hot-links of the last 30 days, and the public's reports to handle.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use crate::registry::applications::cst_date;
use crate::store::StoreError;
use crate::store::audit::{self, Event};
use crate::store::badges;
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathText, Query, page_number};
use crate::web::session::Ctx;

const PER_PAGE: u32 = 50;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/badges", get(list))
        .route(
            "/console/badges/reports/{id}",
            get(show_report).post(close_report),
        )
        .route(
            "/console/badges/enforcements/{id}",
            axum::routing::post(decide_enforcement),
        )
        .route(
            "/console/badges/sites/{id}/reinstate",
            axum::routing::post(reinstate),
        )
}

/// The region a reviewer sees (`None`: all, the registry).
async fn region(web: &WebState, ctx: &Ctx) -> Result<Option<i64>, AppError> {
    Ok(super::review_stage(web, ctx).await?.1.region())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    status: String,
    page: Option<String>,
}

const FILTERS: [(&str, &str); 8] = [
    ("", "全部"),
    ("issued", "待挂标"),
    ("mounted", "已挂标"),
    ("overdue", "逾期未挂标"),
    ("hotlinked", "被盗用（近30天）"),
    ("reported", "有待处理的反映"),
    ("suspended", "已暂停"),
    ("revoked", "已注销"),
];

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let region = region(&web, &ctx).await?;
    let status = FILTERS
        .iter()
        .find(|(k, _)| *k == q.status)
        .map_or("", |(k, _)| *k);
    let since = cst_date(web.now() - 30 * 86_400).to_string();
    let page = page_number(q.page.as_deref());
    let (rows, total) = badges::list(&web.db, region, status, &since, page, PER_PAGE).await?;
    let pages = (total.max(1) + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE);
    web.page(
        &ctx,
        "console/badges.html",
        context! {
            title => "网站标识",
            rows => rows,
            total => total,
            page => page,
            pages => pages,
            status => status,
            filters => FILTERS,
            reports => badges::open_reports(&web.db, region).await?,
            enforcements => badges::proposed_enforcements(&web.db, region).await?,
        },
    )
}

async fn in_scope(web: &WebState, ctx: &Ctx, raw: &str) -> Result<badges::Report, AppError> {
    let region = region(web, ctx).await?;
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    badges::find_report(&web.db, id)
        .await?
        .filter(|r| region.is_none_or(|code| code == r.region_code))
        .ok_or(AppError::NotFound)
}

async fn show_report(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
) -> Result<Html<String>, AppError> {
    let report = in_scope(&web, &ctx, &raw).await?;
    web.page(
        &ctx,
        "console/badge_report.html",
        context! { title => format!("公众反映 {}", report.id), report => report },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CloseForm {
    note: String,
}

async fn close_report(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
    body: Bytes,
) -> Result<Response, AppError> {
    let report = in_scope(&web, &ctx, &raw).await?;
    let f: CloseForm = form::parse(&body)?;
    let note: String = f.note.trim().chars().take(300).collect();
    if note.is_empty() {
        return Err(AppError::BadRequest("请填写处理结果。"));
    }
    let actor = actor(&ctx);
    let now = web.now();
    let mut tx = web.db.begin().await.map_err(StoreError::from)?;
    if !badges::close_report(&mut tx, report.id, &actor.label, &note, now).await? {
        return Err(AppError::Conflict("该反映已处理。".into()));
    }
    let event = Event {
        action: "badge_report_closed",
        subject_type: "badge_report",
        subject_id: report.id.to_string(),
        from_state: "open",
        to_state: "closed",
        reason: &note,
    };
    audit::record(&mut tx, &actor, &event, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Redirect::to("/console/badges?status=reported").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DecideForm {
    decision: String,
    note: String,
}

/// A 编办 person confirms a proposal (the site's Chinese domain stops resolving, the badge is
/// suspended) or dismisses it; either way with a note, audited.
async fn decide_enforcement(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
    body: Bytes,
) -> Result<Response, AppError> {
    // Stopping resolution is the 编办's decision (the registry sees the list, an office acts).
    ctx.require(|r| r == Role::OfficeReviewer)?;
    let region = region(&web, &ctx).await?;
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    let e = badges::find_enforcement(&web.db, id)
        .await?
        .filter(|e| region.is_none_or(|code| code == e.region_code))
        .ok_or(AppError::NotFound)?;
    let f: DecideForm = form::parse(&body)?;
    let confirm = match f.decision.as_str() {
        "confirm" => true,
        "dismiss" => false,
        _ => return Err(AppError::BadRequest("请选择确认停止解析或不予停止。")),
    };
    let note: String = f.note.trim().chars().take(300).collect();
    if note.is_empty() {
        return Err(AppError::BadRequest("请填写处理意见。"));
    }
    let actor = actor(&ctx);
    let now = web.now();
    let mut tx = web.db.begin().await.map_err(StoreError::from)?;
    if !badges::decide_enforcement(&mut tx, e.id, confirm, &actor.label, &note, now).await? {
        return Err(AppError::Conflict("该建议已处理。".into()));
    }
    if confirm {
        sqlx::query("UPDATE sites SET badge_state = 'suspended', updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(e.site_id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
    }
    let event = Event {
        action: "badge_enforcement_decided",
        subject_type: "badge_enforcement",
        subject_id: e.id.to_string(),
        from_state: "proposed",
        to_state: if confirm { "confirmed" } else { "dismissed" },
        reason: &note,
    };
    audit::record(&mut tx, &actor, &event, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if confirm
        && !e.domain_ace.is_empty()
        && let Some(d) = crate::store::domains::by_ace(&web.db, &e.domain_ace).await?
        && !d.held
    {
        let reason = format!("{}；{note}", e.reason);
        crate::registry::names_admin::set_hold(&web.db, &actor, &d, true, "badge", &reason, now)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    }
    Ok(Redirect::to("/console/badges").into_response())
}

/// Lifts a suspension once the unit has put things right: the badge goes back to issued
/// (the checker marks it mounted at its next visit, with a fresh deadline of the region's
/// mount days) and a stop of resolution made for the badge is released.
async fn reinstate(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(|r| r == Role::OfficeReviewer)?;
    let region = region(&web, &ctx).await?;
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    let site = crate::store::sites::find_site(&web.db, id)
        .await?
        .filter(|s| region.is_none_or(|code| code == s.region_code))
        .ok_or(AppError::NotFound)?;
    let f: CloseForm = form::parse(&body)?;
    let note: String = f.note.trim().chars().take(300).collect();
    if note.is_empty() {
        return Err(AppError::BadRequest("请填写恢复的理由。"));
    }
    let now = web.now();
    let days = crate::store::policy::mount_days(&web.db, site.region_code).await?;
    let cal = crate::store::calendar::load(&web.db).await?;
    let due = cal.add_working_days(cst_date(now), days as u32).to_string();
    let domain = if site.domain_ace.is_empty() {
        None
    } else {
        crate::store::domains::by_ace(&web.db, &site.domain_ace).await?
    };
    let actor = actor(&ctx);
    let mut tx = web.db.begin().await.map_err(StoreError::from)?;
    let done = sqlx::query(
        "UPDATE sites SET badge_state = 'issued', mount_due = $1, updated_at = $2
         WHERE id = $3 AND badge_state = 'suspended' AND closed_at IS NULL",
    )
    .bind(&due)
    .bind(now)
    .bind(site.id)
    .execute(&mut *tx)
    .await
    .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict("该标识未被暂停。".into()));
    }
    let event = Event {
        action: "badge_reinstated",
        subject_type: "site",
        subject_id: site.id.to_string(),
        from_state: "suspended",
        to_state: "issued",
        reason: &note,
    };
    audit::record(&mut tx, &actor, &event, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    if let Some(d) = domain.filter(|d| d.held && d.hold_category == "badge") {
        crate::registry::names_admin::set_hold(&web.db, &actor, &d, false, "", "", now)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    }
    Ok(Redirect::to("/console/badges?status=suspended").into_response())
}
