//! 平台设置 (`/admin/settings`): the registry's bank account for transfers, its support
//! contacts and the reply time limit of 用户问答, kept by the administrator and audited.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::FieldErrors;
use govsite_core::platform::SettingsForm;
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::auth::actor;
use super::error::AppError;
use super::form::{self, Query};
use super::session::Ctx;
use crate::registry::policy as decide;
use crate::store::policy;

pub fn routes() -> Router<WebState> {
    Router::new().route("/admin/settings", get(show).post(save))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

fn view(
    web: &WebState,
    ctx: &Ctx,
    form: &SettingsForm,
    errors: Option<&FieldErrors>,
    done: bool,
) -> Result<Html<String>, AppError> {
    web.page(
        ctx,
        "admin/settings.html",
        context! {
            title => if errors.is_some() { "错误：平台设置" } else { "平台设置" },
            form => form,
            errors => errors,
            done => done,
        },
    )
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, AppError> {
    ctx.require(Role::manages_accounts)?;
    let current = policy::platform(&web.db).await?;
    view(&web, &ctx, &current.form(), None, q.done == "saved")
}

async fn save(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    ctx.require(Role::manages_accounts)?;
    let f: SettingsForm = form::parse(&body)?;
    match f.parse() {
        Ok(settings) => {
            decide::set_platform(&web.db, &actor(&ctx), &settings, web.now()).await?;
            Ok(Redirect::to("/admin/settings?done=saved").into_response())
        }
        Err(errors) => Ok((
            StatusCode::BAD_REQUEST,
            view(&web, &ctx, &f, Some(&errors), false)?,
        )
            .into_response()),
    }
}
