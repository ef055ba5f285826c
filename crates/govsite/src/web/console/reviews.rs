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
use serde::{Deserialize, Serialize};

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

/// The queue's filters as the query string carries them.
#[derive(Deserialize, Default, Serialize)]
#[serde(default)]
struct QueueQuery {
    q: String,
    /// The registry's region filter (a province, city or county code).
    region: String,
    /// `pending` (the default), `decided`, `all`, or one state.
    state: String,
    from: String,
    to: String,
    after: String,
    before: String,
    page: String,
    last: String,
    /// The page the keyset links were followed from.
    at: String,
    format: String,
}

const PER_PAGE: u32 = 20;

/// The states a reviewer's queue shows for `state`, and the filter's label.
fn states(registry: bool, state: &str) -> Vec<AppState> {
    use AppState as S;
    let pending = if registry {
        S::OfficeApproved
    } else {
        S::Submitted
    };
    let decided: Vec<AppState> = if registry {
        vec![S::RegistryApproved, S::RegistryRejected, S::Paid, S::Active]
    } else {
        vec![
            S::OfficeApproved,
            S::OfficeRejected,
            S::RegistryApproved,
            S::RegistryRejected,
            S::Paid,
            S::Active,
        ]
    };
    match state {
        "decided" => decided,
        "all" => AppState::ALL
            .into_iter()
            .filter(|s| *s != S::Draft)
            .collect(),
        other => match AppState::parse(other) {
            Some(s) if s != S::Draft => vec![s],
            _ => vec![pending],
        },
    }
}

async fn queue(
    State(web): State<WebState>,
    ctx: Ctx,
    crate::web::form::Query(q): crate::web::form::Query<QueueQuery>,
) -> Result<Response, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    let filter = crate::store::queues::QueueFilter {
        region: scope.region(),
        states: states(registry, &q.state)
            .into_iter()
            .map(AppState::as_str)
            .collect(),
        q: q.q.chars().take(60).collect(),
        from: crate::web::form::day_start(&q.from),
        to: crate::web::form::day_start(&q.to).map(|t| t + 86_400),
        extra: "",
        area: crate::web::form::area(scope, &q.region),
        unit: None,
    };
    if q.format == "xlsx" {
        let rows: Vec<Vec<String>> =
            crate::store::queues::all(&web.db, &applications::QUEUE, &filter, 100_000)
                .await?
                .into_iter()
                .map(|a| {
                    vec![
                        a.reference.clone().unwrap_or_default(),
                        a.unit_name.clone(),
                        a.state_label.to_owned(),
                        a.submitted_at
                            .map(|t| crate::pages::format_ts(t, "%Y-%m-%d %H:%M"))
                            .unwrap_or_default(),
                        a.office_due.clone(),
                        govsite_core::money::Money::from_fen(a.fee_fen).to_string(),
                    ]
                })
                .collect();
        return crate::web::xlsx::download(
            "域名注册申请",
            "域名注册申请",
            &[
                "申请序号",
                "单位",
                "状态",
                "提交时间",
                "初审时限",
                "费用（元）",
            ],
            &rows,
        );
    }
    let (request, at) =
        crate::web::form::page_request(&q.after, &q.before, &q.page, &q.last, &q.at);
    let (apps, info) = crate::store::queues::page(
        &web.db,
        &applications::QUEUE,
        &filter,
        request,
        PER_PAGE,
        at,
    )
    .await?;
    let today = cst_date(web.now()).to_string();
    let pending_state = if registry {
        AppState::OfficeApproved
    } else {
        AppState::Submitted
    };
    let mut rows = Vec::new();
    for a in apps {
        let names = applications::names(&web.db, a.id).await?.len();
        let overdue = !registry
            && a.state == pending_state
            && !a.office_due.is_empty()
            && a.office_due < today;
        rows.push(QueueRow {
            application: a,
            names,
            overdue,
        });
    }
    let overdue = rows.iter().filter(|r| r.overdue).count();
    let filters = [
        ("pending", "待审核"),
        ("decided", "已审核"),
        ("all", "全部"),
    ];
    let query = serde_urlencoded::to_string([
        ("q", q.q.as_str()),
        ("region", q.region.as_str()),
        ("state", q.state.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
    ])
    .unwrap_or_default();
    Ok(web
        .page(
            &ctx,
            "console/reviews.html",
            context! {
                title => if registry { "域名注册申请复审" } else { "域名注册申请初审" },
                rows => rows,
                overdue => overdue,
                registry => registry,
                national => scope == crate::store::units::Scope::All,
                filters => filters,
                q => q,
                info => info,
                query => query,
            },
        )?
        .into_response())
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

/// What the page says just happened (after a redirect).
#[derive(Debug, Clone, Copy, Default)]
struct Notice {
    paper_saved: bool,
    decided: bool,
}

/// The review page; `typed` is what a refused form held (verdicts, reasons, paper), shown
/// again so nothing typed is lost.
async fn review_page(
    web: &WebState,
    ctx: &Ctx,
    a: &Application,
    registry: bool,
    errors: Option<&FieldErrors>,
    notice: Notice,
    typed: &[(String, String)],
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
        typed => typed.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
        // The paper goes to the unit's own 编办, which records it at any stage after submission.
        can_record_paper => !registry && a.app_state() != AppState::Draft,
        today => cst_date(web.now()).to_string(),
        paper_saved => notice.paper_saved,
        decided => notice.decided,
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
            let typed = crate::web::form::pairs(&body)?;
            return Ok(review_page(
                &web,
                &ctx,
                &a,
                registry,
                Some(&errors),
                Notice::default(),
                &typed,
            )
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
    done: String,
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
    crate::web::form::Query(q): crate::web::form::Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    let a = in_scope(&web, scope, id).await?;
    let notice = Notice {
        paper_saved: q.paper == "1",
        decided: q.done == "decided",
    };
    review_page(&web, &ctx, &a, registry, None, notice, &[]).await
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
            Ok(Redirect::to(&format!("/console/reviews/{}?done=decided", a.id)).into_response())
        }
        Err(RegistryError::Form(errors)) => Ok(review_page(
            &web,
            &ctx,
            &a,
            registry,
            Some(&errors),
            Notice::default(),
            &pairs,
        )
        .await?
        .into_response()),
        Err(e) => Err(e.into()),
    }
}
