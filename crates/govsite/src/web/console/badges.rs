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

use govsite_core::deadline::cst_date;
use govsite_core::ids::{BadgeReportId, EnforcementId, SiteId};

use crate::registry::badges as badge_decisions;
use crate::store::badges;
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId, Query};
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
    q: String,
    /// The registry's region filter (a province, city or county code).
    region: String,
    after: String,
    before: String,
    page: String,
    last: String,
    at: String,
    format: String,
}

const FILTERS: [(&str, &str); 9] = [
    ("", "全部"),
    ("issued", "待挂标"),
    ("mounted", "已挂标"),
    ("overdue", "逾期未挂标"),
    ("hotlinked", "被盗用（近30天）"),
    ("reported", "有待处理的反映"),
    ("suspended", "已暂停"),
    ("revoked", "已注销"),
    ("red_page", "网络红页"),
];

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let scope = super::review_stage(&web, &ctx).await?.1;
    let region = scope.region();
    let status = FILTERS
        .iter()
        .find(|(k, _)| *k == q.status)
        .map_or("", |(k, _)| *k);
    let since = cst_date(web.now() - 30 * 86_400).to_string();
    let search: String = q.q.chars().take(60).collect();
    let filter = badges::BadgeFilter {
        region,
        status,
        since_day: &since,
        search: &search,
        area: form::area(scope, &q.region),
    };
    if q.format == "xlsx" {
        let rows = badges::all(&web.db, &filter, 1_000_000).await?;
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|b| {
                vec![
                    b.unit_name,
                    b.site_name,
                    if b.red_page {
                        "网络红页".to_owned()
                    } else {
                        "自建网站".to_owned()
                    },
                    b.badge_code,
                    b.badge_state_label.to_owned(),
                    b.mount_due,
                    b.hits.to_string(),
                    b.hotlinks.to_string(),
                    b.reports.to_string(),
                ]
            })
            .collect();
        return crate::web::xlsx::download(
            "网站标识",
            "网站标识",
            &[
                "单位",
                "网站",
                "类型",
                "标识编号",
                "状态",
                "挂标期限",
                "近30天浏览",
                "近30天盗用",
                "待处理反映",
            ],
            &rows,
        );
    }
    let (request, at) = form::page_request(&q.after, &q.before, &q.page, &q.last, &q.at);
    let (rows, info) = badges::page(&web.db, &filter, request, PER_PAGE, at).await?;
    let query = serde_urlencoded::to_string([
        ("status", status),
        ("q", search.as_str()),
        ("region", q.region.as_str()),
    ])
    .unwrap_or_default();
    web.page(
        &ctx,
        "console/badges.html",
        context! {
            title => "网站标识",
            rows => rows,
            total => info.total,
            info => info,
            status => status,
            q => search,
            region => &q.region,
            national => scope == crate::store::units::Scope::All,
            query => query,
            filters => FILTERS,
            reports => badges::open_reports(&web.db, region).await?,
            enforcements => badges::proposed_enforcements(&web.db, region).await?,
        },
    )
    .map(IntoResponse::into_response)
}

async fn in_scope(
    web: &WebState,
    ctx: &Ctx,
    id: BadgeReportId,
) -> Result<badges::Report, AppError> {
    let region = region(web, ctx).await?;
    badges::find_report(&web.db, id)
        .await?
        .filter(|r| region.is_none_or(|code| code == r.region_code))
        .ok_or(AppError::NotFound)
}

async fn show_report(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<BadgeReportId>,
) -> Result<Html<String>, AppError> {
    let report = in_scope(&web, &ctx, id).await?;
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
    PathId(id): PathId<BadgeReportId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let report = in_scope(&web, &ctx, id).await?;
    let f: CloseForm = form::parse(&body)?;
    badge_decisions::close_report(&web.db, &actor(&ctx), report.id, &f.note, web.now()).await?;
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
    PathId(id): PathId<EnforcementId>,
    body: Bytes,
) -> Result<Response, AppError> {
    // Stopping resolution is the 编办's decision (the registry sees the list, an office acts).
    ctx.require(|r| r == Role::OfficeReviewer)?;
    let region = region(&web, &ctx).await?;
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
    let by = super::hold_level(&ctx);
    badge_decisions::decide_enforcement(&web.db, &actor(&ctx), by, &e, confirm, &f.note, web.now())
        .await?;
    Ok(Redirect::to("/console/badges").into_response())
}

/// Lifts a suspension once the unit has put things right (see
/// [`badge_decisions::reinstate`]).
async fn reinstate(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteId>,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(|r| r == Role::OfficeReviewer)?;
    let region = region(&web, &ctx).await?;
    let site = crate::store::sites::find_site(&web.db, id)
        .await?
        .filter(|s| region.is_none_or(|code| code == s.region_code))
        .ok_or(AppError::NotFound)?;
    let f: CloseForm = form::parse(&body)?;
    let by = super::hold_level(&ctx);
    badge_decisions::reinstate(&web.db, &actor(&ctx), by, &site, &f.note, web.now()).await?;
    Ok(Redirect::to("/console/badges?status=suspended").into_response())
}
