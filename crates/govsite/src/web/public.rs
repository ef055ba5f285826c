//! Public pages and the probes of whoever runs the service.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::error::AppError;
use super::form::{Query, safe_next};
use super::session::Ctx;
use super::templates::{COPY_SCRIPT, STYLESHEET};

/// Probes and static files: no session, no cookie.
pub fn health_routes() -> Router<WebState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/static/site.css", get(stylesheet))
        .route("/static/copy.js", get(copy_script))
}

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/", get(home))
        .route("/help", get(help))
        .route("/privacy", get(privacy))
        .route("/display", get(display))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// Ready when the database answers and every migration is applied.
async fn readyz(State(web): State<WebState>) -> Response {
    match web.db.migrations_current().await {
        Ok(true) => Json(serde_json::json!({
            "status": "ready",
            "database": web.db.backend().name(),
            "migrations": "current",
        }))
        .into_response(),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "not_ready", "migrations": "pending"})),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "not_ready", "database": "unreachable"})),
            )
                .into_response()
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

async fn copy_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        COPY_SCRIPT,
    )
}

async fn home(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    web.page(&ctx, "home.html", context! { title => "首页" })
}

/// Help; a signed-in unit also sees its 编办's address and contact.
async fn help(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let office = match ctx.user.as_ref().and_then(|u| u.unit_id) {
        Some(unit) => {
            match crate::store::units::find(&web.db, unit, crate::store::units::Scope::All).await? {
                Some(u) => crate::store::offices::of_region(&web.db, u.region_code).await?,
                None => None,
            }
        }
        None => None,
    };
    web.page(
        &ctx,
        "help.html",
        context! {
            title => "帮助",
            office => office,
            platform => crate::store::policy::platform(&web.db).await?,
        },
    )
}

/// 隐私说明: what the platform keeps about people, why, for how long and who sees it.
async fn privacy(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    web.page(
        &ctx,
        "privacy.html",
        context! {
            title => "隐私说明",
            handler_id_days => crate::store::policy::platform(&web.db).await?.handler_id_days,
        },
    )
}

#[derive(Deserialize)]
struct DisplayQuery {
    #[serde(default)]
    large: String,
    #[serde(default)]
    back: String,
}

/// Switches the large-text mode (适老化) on or off; a display preference only, kept in a cookie.
async fn display(Query(q): Query<DisplayQuery>) -> Response {
    let on = q.large == "1";
    let cookie = if on {
        "gs_large=1; Path=/; SameSite=Lax; Max-Age=31536000"
    } else {
        "gs_large=; Path=/; SameSite=Lax; Max-Age=0"
    };
    let back = if q.back.is_empty() {
        "/"
    } else {
        safe_next(&q.back)
    };
    let mut resp = Redirect::to(back).into_response();
    if let Ok(v) = header::HeaderValue::from_str(cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}
