//! Finance confirms (or returns) the bank transfers units report; a confirmation credits the
//! unit's balance through the ledger.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
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

/// The history's filters as the query string carries them.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
struct HistoryQuery {
    q: String,
    status: String,
    after: String,
    before: String,
    page: String,
    last: String,
    at: String,
    format: String,
}

const STATUSES: [(&str, &str); 4] = [
    ("", "全部"),
    ("confirmed", "已到账"),
    ("rejected", "已退回"),
    ("pending", "待确认"),
];

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    crate::web::form::Query(q): crate::web::form::Query<HistoryQuery>,
) -> Result<Response, AppError> {
    ctx.require(|r| r == Role::Finance)?;
    let status = STATUSES
        .iter()
        .find(|(k, _)| *k == q.status)
        .map_or("", |(k, _)| *k);
    let filter = crate::store::queues::QueueFilter {
        region: None,
        states: match status {
            "" => vec!["pending", "confirmed", "rejected"],
            s => vec![s],
        },
        q: q.q.chars().take(60).collect(),
        from: None,
        to: None,
        extra: "",
        area: None,
        unit: None,
    };
    if q.format == "xlsx" {
        let rows: Vec<Vec<String>> =
            crate::store::queues::all(&web.db, &transfers::QUEUE, &filter, 1_000_000)
                .await?
                .into_iter()
                .map(|t| {
                    vec![
                        t.reference.clone(),
                        t.unit_name.clone(),
                        t.amount.to_string(),
                        t.payer.clone(),
                        t.bank_ref.clone(),
                        t.paid_on.clone(),
                        t.status_label.to_owned(),
                        t.reject_reason.clone(),
                    ]
                })
                .collect();
        return crate::web::xlsx::download(
            "转账记录",
            "转账记录",
            &[
                "编号",
                "单位",
                "金额（元）",
                "付款单位",
                "流水号",
                "转账日期",
                "状态",
                "退回原因",
            ],
            &rows,
        );
    }
    let (request, at) =
        crate::web::form::page_request(&q.after, &q.before, &q.page, &q.last, &q.at);
    let (history, info) =
        crate::store::queues::page(&web.db, &transfers::QUEUE, &filter, request, 20, at).await?;
    let query =
        serde_urlencoded::to_string([("q", q.q.as_str()), ("status", status)]).unwrap_or_default();
    let mut pending = Vec::new();
    for t in transfers::by_status(&web.db, TransferStatus::Pending).await? {
        let split: Vec<String> = transfers::allocations(&web.db, t.id)
            .await?
            .into_iter()
            .map(|(_, name, amount)| format!("{name} {amount} 元"))
            .collect();
        pending.push(context! { t => t, split => split });
    }
    Ok(web
        .page(
            &ctx,
            "console/transfers.html",
            context! {
                title => "转账确认",
                pending => pending,
                history => history,
                info => info,
                q => q,
                status => status,
                statuses => STATUSES,
                query => query,
            },
        )?
        .into_response())
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
