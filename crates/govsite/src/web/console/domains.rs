//! Registered names as the staff see them: an office its own region's, the registry all of
//! them, filtered by state. A 编办 or the registry stops a name's resolution with a reason
//! (e.g. a missed campaign deadline) and restores it, both effective at once.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::domain_lifecycle::DomainState;
use govsite_core::ids::DomainId;
use govsite_core::role::Role;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::unit_scope;
use crate::registry::applications::RegistryError;
use crate::registry::names_admin;
use crate::registry::names_admin::HOLD_REASONS;
use crate::store::audit;
use crate::store::domains::{self, Domain};
use crate::store::units;
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId, Query};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/domains", get(list))
        .route("/console/domains/{id}", get(show))
        .route("/console/domains/{id}/hold", post(hold))
}

fn acts_on_names(r: Role) -> bool {
    matches!(r, Role::OfficeReviewer | Role::RegistryReviewer)
}

#[derive(Deserialize, Default, serde::Serialize)]
#[serde(default)]
struct ListQuery {
    state: String,
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

const STATES: [(&str, &str); 5] = [
    ("active", "正常"),
    ("expired", "已到期（保护期内）"),
    ("suspended", "已暂停解析"),
    ("held", "被停止解析"),
    ("", "全部"),
];

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let user = ctx.require(Role::sees_units)?;
    let (scope, office_name) = unit_scope(&web, user).await?;
    let state = STATES
        .iter()
        .find(|(s, _)| *s == q.state)
        .map_or("", |(s, _)| *s);
    let search: String = q.q.chars().take(60).collect();
    let live = ["active", "expired", "suspended"];
    let filter = crate::store::queues::QueueFilter {
        region: scope.region(),
        states: match state {
            "" | "held" => live.to_vec(),
            s => live.iter().copied().filter(|l| *l == s).collect(),
        },
        q: search.clone(),
        from: None,
        to: None,
        extra: if state == "held" { "d.held = 1" } else { "" },
        area: crate::web::form::area(scope, &q.region),
        unit: None,
    };
    if q.format == "xlsx" {
        let rows: Vec<Vec<String>> =
            crate::store::queues::all(&web.db, &domains::QUEUE, &filter, 1_000_000)
                .await?
                .into_iter()
                .map(|d| {
                    vec![
                        d.unicode(),
                        d.ace.clone(),
                        d.unit_name.clone(),
                        d.state_label.to_owned(),
                        if d.held {
                            d.hold_reason.clone()
                        } else {
                            String::new()
                        },
                        crate::pages::format_ts(d.expires_at, "%Y-%m-%d"),
                    ]
                })
                .collect();
        return crate::web::xlsx::download(
            "域名管理",
            "域名管理",
            &["域名", "ACE", "单位", "状态", "停止解析原因", "到期日期"],
            &rows,
        );
    }
    let (request, at) =
        crate::web::form::page_request(&q.after, &q.before, &q.page, &q.last, &q.at);
    let (rows, info) =
        crate::store::queues::page(&web.db, &domains::QUEUE, &filter, request, 50, at).await?;
    let query = serde_urlencoded::to_string([
        ("state", state),
        ("q", search.as_str()),
        ("region", q.region.as_str()),
    ])
    .unwrap_or_default();
    web.page(
        &ctx,
        "console/domains.html",
        context! {
            title => "域名管理",
            office_name => office_name,
            national => scope == crate::store::units::Scope::All,
            region => &q.region,
            domains => rows,
            states => STATES,
            state => state,
            q => search,
            info => info,
            query => query,
        },
    )
    .map(IntoResponse::into_response)
}

/// A name whose unit is in the signed-in person's scope (404 otherwise).
async fn in_scope(web: &WebState, ctx: &Ctx, id: DomainId) -> Result<Domain, AppError> {
    let user = ctx.require(Role::sees_units)?;
    let (scope, _) = unit_scope(web, user).await?;
    let d = domains::find(&web.db, id)
        .await?
        .filter(|d| d.variant_of.is_none() && d.state != DomainState::Deleted)
        .ok_or(AppError::NotFound)?;
    units::find(&web.db, d.unit_id, scope)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(d)
}

/// The name's page; after a refused hold, `error` says why and `typed` keeps what was typed.
async fn name_page(
    web: &WebState,
    ctx: &Ctx,
    d: &Domain,
    error: &str,
    typed: &HoldForm,
) -> Result<Html<String>, AppError> {
    let history = audit::history(&web.db, "domain", d.id.get()).await?;
    let may_act = ctx.user().is_ok_and(|u| acts_on_names(u.role));
    web.page(
        ctx,
        "console/domain.html",
        context! {
            title => d.unicode(),
            domain => d,
            history => history,
            reasons => HOLD_REASONS,
            may_act => may_act && d.domain_state() != DomainState::Deleted,
            error => error,
            typed => typed,
        },
    )
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainId>,
) -> Result<Html<String>, AppError> {
    let d = in_scope(&web, &ctx, id).await?;
    name_page(&web, &ctx, &d, "", &HoldForm::default()).await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct HoldForm {
    action: String,
    reason_code: String,
    reason: String,
}

async fn hold(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainId>,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(acts_on_names)?;
    let d = in_scope(&web, &ctx, id).await?;
    let f: HoldForm = form::parse(&body)?;
    let hold = match f.action.as_str() {
        "hold" => true,
        "release" => false,
        _ => return Err(AppError::BadRequest("请选择停止解析或恢复解析。")),
    };
    let text: String = f.reason.trim().chars().take(300).collect();
    let (code, reason) = if hold {
        let Some((code, category)) = HOLD_REASONS.iter().find(|(c, _)| *c == f.reason_code) else {
            return Ok(name_page(&web, &ctx, &d, "请选择停止解析的原因类别。", &f)
                .await?
                .into_response());
        };
        if text.is_empty() {
            return Ok(name_page(&web, &ctx, &d, "请填写停止解析的具体原因。", &f)
                .await?
                .into_response());
        }
        (*code, format!("{category}：{text}"))
    } else {
        ("", text)
    };
    let change = names_admin::HoldChange {
        hold,
        category: code,
        reason: &reason,
        by: super::hold_level(&ctx),
    };
    match names_admin::set_hold(&web.db, &actor(&ctx), &d, &change, web.now()).await {
        Ok(()) => {
            web.outbox_wake.notify_one();
            Ok(Redirect::to(&format!("/console/domains/{}", d.id)).into_response())
        }
        Err(RegistryError::Refused(m)) => {
            Ok(name_page(&web, &ctx, &d, &m, &f).await?.into_response())
        }
        Err(RegistryError::Form(_)) => Err(AppError::BadRequest("停止解析的内容有误。")),
        Err(e) => Err(e.into()),
    }
}
