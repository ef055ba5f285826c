//! Finance confirms (or returns) the bank transfers units report; a confirmation credits the
//! unit's balance through the ledger.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::ids::TransferId;
use govsite_core::role::Role;
use govsite_core::transfer::TransferStatus;
use minijinja::context;
use serde::Deserialize;

use crate::registry::finance;
use crate::store::transfers;
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/transfers", get(list))
        .route("/console/transfers/{id}", post(decide))
}

async fn list(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    ctx.require(|r| r == Role::Finance)?;
    let mut pending = Vec::new();
    for t in transfers::by_status(&web.db, TransferStatus::Pending).await? {
        let split: Vec<String> = transfers::allocations(&web.db, t.id)
            .await?
            .into_iter()
            .map(|(_, name, amount)| format!("{name} {amount} 元"))
            .collect();
        pending.push(context! { t => t, split => split });
    }
    web.page(
        &ctx,
        "console/transfers.html",
        context! {
            title => "转账确认",
            pending => pending,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Decision {
    action: String,
    reason: String,
}

async fn decide(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<TransferId>,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(|r| r == Role::Finance)?;
    let t = transfers::find(&web.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let d: Decision = form::parse(&body)?;
    let confirm = match d.action.as_str() {
        "confirm" => true,
        "reject" => false,
        _ => return Err(AppError::BadRequest("无法完成该操作，请刷新页面后重试。")),
    };
    finance::decide_transfer(&web.db, &actor(&ctx), &t, confirm, &d.reason, web.now()).await?;
    Ok(Redirect::to("/console/transfers").into_response())
}
