//! Review of domain applications: the unit's 编办 first (its own region only), then the
//! registry. Each queue shows the time limit in working days; overdue items stand out.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::FieldErrors;
use govsite_core::deadline::cst_date;
use govsite_core::domain_application::{AppState, Verdict};
use govsite_core::ids::DomainApplicationId;
use minijinja::context;
use serde::Serialize;

use super::review_stage;
use crate::registry::applications::{
    self as registry_apps, NameDecision, REASON_CODES, RegistryError,
};
use crate::store::applications::{self, Application};
use crate::store::offices;
use crate::store::units::{self, Scope};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::PathId;
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/reviews", get(queue))
        .route("/console/reviews/{id}", get(show).post(decide))
        .route(
            "/console/reviews/{id}/paper",
            axum::routing::post(record_paper),
        )
}

#[derive(Serialize)]
struct QueueRow {
    application: Application,
    names: usize,
    overdue: bool,
}

async fn queue(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    let state = if registry {
        AppState::OfficeApproved
    } else {
        AppState::Submitted
    };
    let region = scope.region();
    let today = cst_date(web.now()).to_string();
    let mut rows = Vec::new();
    for a in applications::queue(&web.db, state, region).await? {
        let names = applications::names(&web.db, a.id).await?.len();
        let overdue = !registry && !a.office_due.is_empty() && a.office_due < today;
        rows.push(QueueRow {
            application: a,
            names,
            overdue,
        });
    }
    let overdue = rows.iter().filter(|r| r.overdue).count();
    web.page(
        &ctx,
        "console/reviews.html",
        context! {
            title => if registry { "域名注册申请复审" } else { "域名注册申请初审" },
            rows => rows,
            overdue => overdue,
            registry => registry,
        },
    )
}

/// The application, if it is in this reviewer's scope (404 otherwise).
async fn in_scope(
    web: &WebState,
    scope: Scope,
    id: DomainApplicationId,
) -> Result<Application, AppError> {
    let a = applications::find(&web.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Scope::Region(r) = scope
        && r != a.region_code
    {
        return Err(AppError::NotFound);
    }
    Ok(a)
}

async fn review_page(
    web: &WebState,
    ctx: &Ctx,
    a: &Application,
    registry: bool,
    errors: Option<&FieldErrors>,
    paper_saved: bool,
) -> Result<Html<String>, AppError> {
    let unit = units::find(&web.db, a.unit_id, Scope::All)
        .await?
        .ok_or(AppError::NotFound)?;
    let region_path = offices::region_path(&web.db, unit.region_code).await?;
    let expected = if registry {
        AppState::OfficeApproved
    } else {
        AppState::Submitted
    };
    let request = a
        .form
        .parse(registry_apps::suffix_of(a))
        .ok()
        .map(|r| r.plan);
    web.page(ctx, "console/review.html", context! {
        title => if errors.is_some() { format!("错误：审核 {}", a.reference.clone().unwrap_or_default()) } else { format!("审核 {}", a.reference.clone().unwrap_or_default()) },
        application => a,
        unit => unit,
        org_type_label => unit.org_type_label(),
        region_path => region_path,
        names => applications::names(&web.db, a.id).await?,
        events => applications::events(&web.db, a.id).await?,
        plan => request,
        actionable => a.app_state() == expected,
        registry => registry,
        reasons => REASON_CODES,
        errors => errors,
        // The paper goes to the unit's own 编办, which records it at any stage after submission.
        can_record_paper => !registry && a.app_state() != AppState::Draft,
        today => cst_date(web.now()).to_string(),
        paper_saved => paper_saved,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PaperForm {
    received_on: String,
    copies: String,
    certificates: String,
}

/// The office records the paper it received (申请表 一式三份, certificate copies).
async fn record_paper(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    if registry {
        return Err(AppError::Forbidden);
    }
    let a = in_scope(&web, scope, id).await?;
    let posted: PaperForm = crate::web::form::parse(&body)?;
    let today = cst_date(web.now());
    let receipt = match govsite_core::paper::receipt(&posted.received_on, &posted.copies, today) {
        Ok(r) => r,
        Err(errors) => {
            return Ok(review_page(&web, &ctx, &a, registry, Some(&errors), false)
                .await?
                .into_response());
        }
    };
    registry_apps::record_paper(
        &web.db,
        &actor(&ctx),
        &a,
        &receipt,
        posted.certificates == "1",
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/reviews/{}?paper=1", a.id)).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    paper: String,
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
    crate::web::form::Query(q): crate::web::form::Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    let a = in_scope(&web, scope, id).await?;
    review_page(&web, &ctx, &a, registry, None, q.paper == "1").await
}

async fn decide(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    let a = in_scope(&web, scope, id).await?;
    let pairs = crate::web::form::pairs(&body)?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut decisions = Vec::new();
    for n in applications::names(&web.db, a.id).await? {
        let verdict = match get(&format!("verdict{}", n.id)).as_str() {
            "approve" => Verdict::Approve,
            "reject" => Verdict::Reject,
            _ => continue,
        };
        let code = get(&format!("code{}", n.id));
        let code = if REASON_CODES.iter().any(|(c, _)| *c == code) {
            code
        } else {
            String::new()
        };
        let text: String = get(&format!("reason{}", n.id)).chars().take(300).collect();
        decisions.push(NameDecision {
            name_id: n.id,
            verdict,
            code,
            text,
        });
    }
    match registry_apps::review(&web.db, &actor(&ctx), &a, registry, &decisions, web.now()).await {
        Ok(_) => {
            web.outbox_wake.notify_one();
            Ok(Redirect::to("/console/reviews").into_response())
        }
        Err(RegistryError::Form(errors)) => {
            Ok(review_page(&web, &ctx, &a, registry, Some(&errors), false)
                .await?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
