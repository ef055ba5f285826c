//! 名册导入: an office uploads its roster of units (.xlsx or .csv), sees every row's errors
//! and the difference (new, changed, unchanged, missing), then applies it. The upload is kept
//! between preview and application, so a reload never imports twice.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use super::review_stage;
use crate::registry::rosters as decide;
use crate::store::rosters;
use crate::store::units::Scope;
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathText, Query};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route(
            "/console/units/import",
            get(upload_form)
                .post(upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::web::UPLOAD_LIMIT,
                )),
        )
        .route("/console/units/import/{id}", get(preview))
        .route("/console/units/import/{id}/apply", post(apply))
}

/// The office's region: only an office imports its roster here (the registry's bulk loads
/// use `govsite units import`).
async fn office_region(web: &WebState, ctx: &Ctx) -> Result<i64, AppError> {
    ctx.require(|r| r == Role::OfficeReviewer)?;
    match review_stage(web, ctx).await?.1 {
        Scope::Region(r) => Ok(r),
        Scope::All => Err(AppError::Forbidden),
    }
}

async fn form_page(
    web: &WebState,
    ctx: &Ctx,
    error: Option<String>,
) -> Result<Html<String>, AppError> {
    web.page(
        ctx,
        "console/roster_upload.html",
        context! {
            title => if error.is_some() { "错误：导入单位名册" } else { "导入单位名册" },
            error => error,
        },
    )
}

async fn upload_form(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    office_region(&web, &ctx).await?;
    form_page(&web, &ctx, None).await
}

async fn upload(
    State(web): State<WebState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let region = office_region(&web, &ctx).await?;
    let file = form::multipart(&headers, body)
        .await?
        .into_iter()
        .find(|p| p.name == "file" && p.file_name.is_some());
    let Some(file) = file else {
        return Ok((
            axum::http::StatusCode::BAD_REQUEST,
            form_page(&web, &ctx, Some("请选择名册文件（.xlsx 或 .csv）".into())).await?,
        )
            .into_response());
    };
    let name: String = file
        .file_name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    // Checked now so a wrong file is refused at once; read again for the preview.
    if let Err(e) = crate::roster_file::rows(&name, &file.bytes) {
        return Ok((
            axum::http::StatusCode::BAD_REQUEST,
            form_page(&web, &ctx, Some(e.to_string())).await?,
        )
            .into_response());
    }
    let id = rosters::insert_upload(
        &web.db,
        region,
        &name,
        &file.bytes,
        &actor(&ctx).label,
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/units/import/{id}")).into_response())
}

/// The upload `id` of this office's region.
async fn own_upload(
    web: &WebState,
    ctx: &Ctx,
    raw: &str,
) -> Result<(i64, rosters::Upload), AppError> {
    let region = office_region(web, ctx).await?;
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    let upload = rosters::upload(&web.db, id)
        .await?
        .filter(|u| u.region_code == region)
        .ok_or(AppError::NotFound)?;
    Ok((region, upload))
}

/// The roster read and compared with what is stored.
async fn difference(
    web: &WebState,
    region: i64,
    upload: &rosters::Upload,
) -> Result<decide::Diff, AppError> {
    let rows = crate::roster_file::rows(&upload.file_name, &upload.bytes)
        .map_err(|_| AppError::Conflict("名册文件无法读取，请重新上传".into()))?;
    let roster = govsite_core::roster::read(&rows, |c| i64::from(c.value()) == region)
        .map_err(|e| AppError::Conflict(e.to_string()))?;
    Ok(decide::diff(&web.db, region, roster).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PreviewQuery {
    done: String,
}

async fn preview(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
    Query(q): Query<PreviewQuery>,
) -> Result<Html<String>, AppError> {
    let (region, upload) = own_upload(&web, &ctx, &raw).await?;
    let diff = match crate::roster_file::rows(&upload.file_name, &upload.bytes)
        .map_err(|e| e.to_string())
        .and_then(|rows| {
            govsite_core::roster::read(&rows, |c| i64::from(c.value()) == region)
                .map_err(|e| e.to_string())
        }) {
        Ok(roster) => Ok(decide::diff(&web.db, region, roster).await?),
        Err(message) => Err(message),
    };
    let (diff, file_error) = match diff {
        Ok(d) => (d, None),
        Err(m) => (decide::Diff::default(), Some(m)),
    };
    web.page(
        &ctx,
        "console/roster_preview.html",
        context! {
            title => format!("名册导入预览：{}", upload.file_name),
            can_apply => upload.applied_at.is_none() && diff.has_work() && file_error.is_none(),
            summary => diff.summary(),
            diff => diff,
            file_error => file_error,
            upload => upload,
            done => q.done == "1",
        },
    )
}

async fn apply(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
) -> Result<Response, AppError> {
    let (region, upload) = own_upload(&web, &ctx, &raw).await?;
    let diff = difference(&web, region, &upload).await?;
    decide::apply(
        &web.db,
        &actor(&ctx),
        region,
        &diff,
        Some(upload.id),
        web.now(),
        |_, _| {},
    )
    .await?;
    web.outbox_wake.notify_one();
    Ok(Redirect::to(&format!("/console/units/import/{}?done=1", upload.id)).into_response())
}
