//! 本办信息: an office edits where it receives paper and whom its units ask (address, room,
//! contact, phone, hours). Its units see them on the paper steps and the help page.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::office::OfficeDetailsForm;
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use crate::registry::RegistryError;
use crate::registry::offices as decide;
use crate::store::offices::{self, Office};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, Query};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new().route("/console/office", get(show).post(save))
}

/// The signed-in office reviewer's own office.
async fn own_office(web: &WebState, ctx: &Ctx) -> Result<Office, AppError> {
    let user = ctx.require(|r| r == Role::OfficeReviewer)?;
    let id = user.office_id.ok_or(AppError::Forbidden)?;
    offices::find(&web.db, id).await?.ok_or(AppError::Forbidden)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Saved {
    saved: String,
}

fn page(
    web: &WebState,
    ctx: &Ctx,
    office: &Office,
    form: &OfficeDetailsForm,
    errors: Option<&govsite_core::FieldErrors>,
    saved: bool,
) -> Result<Html<String>, AppError> {
    web.page(
        ctx,
        "console/office.html",
        context! {
            title => if errors.is_some() { "错误：本办信息" } else { "本办信息" },
            office => office,
            form => form,
            errors => errors,
            saved => saved,
        },
    )
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<Saved>,
) -> Result<Html<String>, AppError> {
    let office = own_office(&web, &ctx).await?;
    let form = OfficeDetailsForm::of(&office.details);
    page(&web, &ctx, &office, &form, None, q.saved == "1")
}

async fn save(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let office = own_office(&web, &ctx).await?;
    let form: OfficeDetailsForm = form::parse(&body)?;
    match decide::set_details(&web.db, &actor(&ctx), office.id, &form, web.now()).await {
        Ok(()) => Ok(Redirect::to("/console/office?saved=1").into_response()),
        Err(RegistryError::Form(errors)) => {
            Ok(page(&web, &ctx, &office, &form, Some(&errors), false)?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}
