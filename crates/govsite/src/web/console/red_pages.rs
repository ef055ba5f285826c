//! 网络红页 in the consoles: the red pages of the office's units (the registry: all), a
//! preview of a unit's draft for the website reviewers, and taking a page down (下线) for its
//! content with a reason, which the unit is told by SMS and e-mail.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::ids::UnitId;
use minijinja::context;
use serde::Deserialize;

use super::review_stage;
use crate::registry::red_pages as decide;
use crate::store::red_pages;
use crate::store::units::{self, UnitRecord};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId, Query};
use crate::web::portal::red_page::preview_response;
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/red-pages", get(list))
        .route("/console/red-pages/{id}/take-down", post(take_down))
        .route("/console/red-pages/{id}/preview/", get(preview_home))
        .route("/console/red-pages/{id}/preview/{*rest}", get(preview_page))
}

/// A unit of the reviewer's region (the registry: any); another region's is a 404.
async fn unit_in_scope(web: &WebState, ctx: &Ctx, id: UnitId) -> Result<UnitRecord, AppError> {
    let (_, scope) = review_stage(web, ctx).await?;
    units::find(&web.db, id, scope)
        .await?
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    done: String,
}

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    let rows = red_pages::list(&web.db, scope.region()).await?;
    let published = rows.iter().filter(|r| r.state.is_public()).count();
    web.page(
        &ctx,
        "console/red_pages.html",
        context! {
            title => "网络红页",
            rows => rows,
            published => published,
            registry => registry,
            done => (q.done == "taken_down").then_some("红页已下线，已通过短信和电子邮件通知该单位。"),
        },
    )
}

#[derive(Deserialize)]
struct TakeDownForm {
    #[serde(default)]
    reason: String,
}

async fn take_down(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = unit_in_scope(&web, &ctx, id).await?;
    let posted: TakeDownForm = form::parse(&body)?;
    decide::take_down(&web.db, &actor(&ctx), unit.id, &posted.reason, web.now()).await?;
    Ok(Redirect::to("/console/red-pages?done=taken_down").into_response())
}

async fn preview_home(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    preview(&web, &ctx, id, "", &headers).await
}

async fn preview_page(
    State(web): State<WebState>,
    ctx: Ctx,
    Path((id, rest)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id: UnitId = id.parse().map_err(|_| AppError::NotFound)?;
    preview(&web, &ctx, id, &rest, &headers).await
}

/// The unit's current draft, as the reviewers of its website application see it.
async fn preview(
    web: &WebState,
    ctx: &Ctx,
    id: UnitId,
    rest: &str,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let unit = unit_in_scope(web, ctx, id).await?;
    let page = red_pages::find(&web.db, unit.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let base = format!("/console/red-pages/{}/preview/", unit.id);
    preview_response(
        web,
        &unit,
        &page.draft,
        &base,
        "该单位红页草稿的预览",
        rest,
        headers,
    )
    .await
}
