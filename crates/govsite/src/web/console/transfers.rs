//! Finance confirms (or returns) the bank transfers units report; a confirmation credits the
//! unit's balance through the ledger.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::ids::UnitId;
use govsite_core::money::Money;
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use crate::store::audit::{self, Event};
use crate::store::{StoreError, ledger, transfers};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathText};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/transfers", get(list))
        .route("/console/transfers/{id}", post(decide))
}

async fn list(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    ctx.require(|r| r == Role::Finance)?;
    let mut pending = Vec::new();
    for t in transfers::by_status(&web.db, "pending").await? {
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
    PathText(raw): PathText,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(|r| r == Role::Finance)?;
    let id: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
    let t = transfers::find(&web.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let d: Decision = form::parse(&body)?;
    let reason: String = d.reason.trim().chars().take(200).collect();
    let (status, confirm) = match d.action.as_str() {
        "confirm" => ("confirmed", true),
        "reject" if !reason.is_empty() => ("rejected", false),
        "reject" => return Err(AppError::BadRequest("退回转账时请填写原因。")),
        _ => return Err(AppError::BadRequest("无法完成该操作，请刷新页面后重试。")),
    };
    let now = web.now();
    let mut tx = web.db.begin().await.map_err(StoreError::from)?;
    if !transfers::decide(&mut tx, id, status, &reason, now).await? {
        return Err(AppError::Conflict("该转账已被处理。".into()));
    }
    if confirm && let Some(unit) = t.unit_id {
        ledger::credit(
            &mut tx,
            UnitId(unit),
            Money::from_fen(t.amount_fen),
            &format!("transfer-{id}"),
            &format!("转账到账 {}", t.reference),
            now,
        )
        .await?;
    } else if confirm {
        // 编办代缴: each unit is credited its share.
        for (unit, _, amount) in transfers::allocations(&web.db, id).await? {
            ledger::credit(
                &mut tx,
                unit,
                amount,
                &format!("transfer-{id}-{}", unit.0),
                &format!("编办代缴到账 {}（{}）", t.reference, t.unit_name),
                now,
            )
            .await?;
        }
    }
    let event = Event {
        action: if confirm {
            "transfer_confirmed"
        } else {
            "transfer_rejected"
        },
        subject_type: "transfer",
        subject_id: id.to_string(),
        from_state: "pending",
        to_state: status,
        reason: &reason,
    };
    audit::record(&mut tx, &actor(&ctx), &event, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Redirect::to("/console/transfers").into_response())
}
