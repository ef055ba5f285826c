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

use super::unit_scope;
use crate::registry::applications::cst_date;
use crate::store::StoreError;
use crate::store::audit::{self, Event};
use crate::store::badges;
use crate::store::units::Scope;
use crate::web::AppState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathText, Query, page_number};
use crate::web::session::Ctx;

const PER_PAGE: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/badges", get(list)).route(
        "/console/badges/reports/{id}",
        get(show_report).post(close_report),
    )
}

fn is_reviewer(r: Role) -> bool {
    matches!(r, Role::OfficeReviewer | Role::RegistryReviewer)
}

async fn region(app: &AppState, ctx: &Ctx) -> Result<Option<i64>, AppError> {
    let user = ctx.require(is_reviewer)?;
    Ok(match unit_scope(app, user).await?.0 {
        Scope::Region(r) => Some(r),
        Scope::All => None,
    })
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
    State(app): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let region = region(&app, &ctx).await?;
    let status = FILTERS
        .iter()
        .find(|(k, _)| *k == q.status)
        .map_or("", |(k, _)| *k);
    let since = cst_date(app.now() - 30 * 86_400).to_string();
    let page = page_number(q.page.as_deref());
    let (rows, total) = badges::list(&app.db, region, status, &since, page, PER_PAGE).await?;
    let pages = (total.max(1) + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE);
    app.page(
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
            reports => badges::open_reports(&app.db, region).await?,
        },
    )
}

async fn in_scope(app: &AppState, ctx: &Ctx, raw: &str) -> Result<badges::Report, AppError> {
    let region = region(app, ctx).await?;
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    badges::find_report(&app.db, id)
        .await?
        .filter(|r| region.is_none_or(|code| code == r.region_code))
        .ok_or(AppError::NotFound)
}

async fn show_report(
    State(app): State<AppState>,
    ctx: Ctx,
    PathText(raw): PathText,
) -> Result<Html<String>, AppError> {
    let report = in_scope(&app, &ctx, &raw).await?;
    app.page(
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
    State(app): State<AppState>,
    ctx: Ctx,
    PathText(raw): PathText,
    body: Bytes,
) -> Result<Response, AppError> {
    let report = in_scope(&app, &ctx, &raw).await?;
    let f: CloseForm = form::parse(&body)?;
    let note: String = f.note.trim().chars().take(300).collect();
    if note.is_empty() {
        return Err(AppError::BadRequest("请填写处理结果。"));
    }
    let actor = actor(&ctx);
    let now = app.now();
    let mut tx = app.db.begin().await.map_err(StoreError::from)?;
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
