//! Website applications in the consoles: the 编办's first review and its paper filings (its
//! own region only), the registry's second review. The automatic pre-checks are shown as
//! advice beside each application.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use govsite_core::FieldErrors;
use govsite_core::ids::SiteApplicationId;
use govsite_core::site_application::{SITE_REASONS, SiteState};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::review_stage;
use crate::registry::RegistryError;
use crate::registry::site_checks;
use crate::registry::sites::{self as registry_sites, Decision, PaperReceipt};
use crate::store::domains;
use crate::store::sites::{self, SiteApplication};
use crate::store::units::Scope;
use crate::web::WebState as App;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId};
use crate::web::session::Ctx;
use govsite_core::deadline::cst_date;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/console/sites", get(queue))
        .route("/console/sites/history", get(history))
        .route("/console/sites/{id}", get(show))
        .route("/console/sites/{id}/review", post(review))
        .route("/console/sites/{id}/paper", post(paper))
        .route("/console/sites/{id}/prechecks", post(prechecks))
}

#[derive(Serialize)]
struct Row {
    application: SiteApplication,
    overdue: bool,
}

async fn rows(
    web: &App,
    state: SiteState,
    scope: Scope,
    due: fn(&SiteApplication) -> &str,
) -> Result<Vec<Row>, AppError> {
    let region = scope.region();
    let today = cst_date(web.now()).to_string();
    Ok(sites::queue(&web.db, state, region)
        .await?
        .into_iter()
        .map(|a| Row {
            overdue: !due(&a).is_empty() && due(&a) < today.as_str(),
            application: a,
        })
        .collect())
}

async fn queue(State(web): State<App>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    let (review, paper) = if registry {
        (
            rows(&web, SiteState::OfficeApproved, scope, |_| "").await?,
            Vec::new(),
        )
    } else {
        (
            rows(&web, SiteState::Submitted, scope, |a| &a.office_due).await?,
            rows(&web, SiteState::AwaitingPaper, scope, |a| &a.paper_due).await?,
        )
    };
    let overdue = review.iter().chain(&paper).filter(|r| r.overdue).count();
    web.page(
        &ctx,
        "console/sites.html",
        context! {
            title => if registry { "网站开办审核复审" } else { "网站开办审核" },
            review => review,
            paper => paper,
            registry => registry,
            overdue => overdue,
        },
    )
}

/// The filters of 查找与历史 as the query string carries them.
#[derive(Deserialize, Default, Serialize)]
#[serde(default)]
struct HistoryQuery {
    q: String,
    /// The registry's region filter (a province, city or county code).
    region: String,
    state: String,
    from: String,
    to: String,
    after: String,
    before: String,
    page: String,
    last: String,
    at: String,
    format: String,
}

/// The scopes of 查找与历史: (key, label, states).
const SCOPES: [(&str, &str, &[SiteState]); 7] = [
    (
        "",
        "全部",
        &[
            SiteState::Submitted,
            SiteState::OfficeApproved,
            SiteState::OfficeRejected,
            SiteState::RegistryApproved,
            SiteState::RegistryRejected,
            SiteState::AwaitingPaper,
            SiteState::Filed,
            SiteState::BadgeIssued,
            SiteState::Closed,
        ],
    ),
    ("submitted", "待编办初审", &[SiteState::Submitted]),
    (
        "office_approved",
        "待注册中心复审",
        &[SiteState::OfficeApproved],
    ),
    (
        "awaiting_paper",
        "待报送纸质材料",
        &[SiteState::AwaitingPaper],
    ),
    (
        "badge_issued",
        "已发放标识",
        &[SiteState::BadgeIssued, SiteState::Filed],
    ),
    (
        "rejected",
        "未通过",
        &[SiteState::OfficeRejected, SiteState::RegistryRejected],
    ),
    ("closed", "已关闭", &[SiteState::Closed]),
];

/// 查找与历史: every website application in scope, searched, filtered, paged, exported.
async fn history(
    State(web): State<App>,
    ctx: Ctx,
    crate::web::form::Query(q): crate::web::form::Query<HistoryQuery>,
) -> Result<Response, AppError> {
    let (_, scope) = review_stage(&web, &ctx).await?;
    let states = SCOPES
        .iter()
        .find(|(k, _, _)| *k == q.state)
        .map_or(SCOPES[0].2, |(_, _, s)| *s);
    let filter = crate::store::queues::QueueFilter {
        region: scope.region(),
        states: states.iter().map(|s| s.as_str()).collect(),
        q: q.q.chars().take(60).collect(),
        from: crate::web::form::day_start(&q.from),
        to: crate::web::form::day_start(&q.to).map(|t| t + 86_400),
        extra: "",
        area: crate::web::form::area(scope, &q.region),
        unit: None,
    };
    if q.format == "xlsx" {
        let rows: Vec<Vec<String>> =
            crate::store::queues::all(&web.db, &sites::QUEUE, &filter, 100_000)
                .await?
                .into_iter()
                .map(|a| {
                    vec![
                        a.reference.clone().unwrap_or_default(),
                        a.unit_name.clone(),
                        a.form.site_name.clone(),
                        a.kind_label.to_owned(),
                        a.state_label.to_owned(),
                        a.submitted_at
                            .map(|t| crate::pages::format_ts(t, "%Y-%m-%d %H:%M"))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
        return crate::web::xlsx::download(
            "网站开办审核申请",
            "网站开办审核申请",
            &[
                "申请序号",
                "单位",
                "网站名称",
                "申请类型",
                "状态",
                "提交时间",
            ],
            &rows,
        );
    }
    let (request, at) =
        crate::web::form::page_request(&q.after, &q.before, &q.page, &q.last, &q.at);
    let (apps, info) =
        crate::store::queues::page(&web.db, &sites::QUEUE, &filter, request, 20, at).await?;
    let query = serde_urlencoded::to_string([
        ("q", q.q.as_str()),
        ("region", q.region.as_str()),
        ("state", q.state.as_str()),
        ("from", q.from.as_str()),
        ("to", q.to.as_str()),
    ])
    .unwrap_or_default();
    let scopes: Vec<(&str, &str)> = SCOPES.iter().map(|(k, l, _)| (*k, *l)).collect();
    Ok(web
        .page(
            &ctx,
            "console/site_history.html",
            context! {
                title => "网站开办审核：查找与历史",
                apps => apps,
                info => info,
                q => q,
                query => query,
                scopes => scopes,
                national => scope == crate::store::units::Scope::All,
            },
        )?
        .into_response())
}

async fn in_scope(
    web: &App,
    scope: Scope,
    id: SiteApplicationId,
) -> Result<SiteApplication, AppError> {
    let a = sites::find(&web.db, id).await?.ok_or(AppError::NotFound)?;
    if let Scope::Region(r) = scope
        && r != a.region_code
    {
        return Err(AppError::NotFound);
    }
    // Drafts are the unit's own business.
    if a.site_state() == SiteState::Draft {
        return Err(AppError::NotFound);
    }
    Ok(a)
}

/// The page again after a refused form, with what was `typed` in it.
async fn page(
    web: &App,
    ctx: &Ctx,
    a: &SiteApplication,
    registry: bool,
    errors: Option<&FieldErrors>,
    typed: &[(String, String)],
) -> Result<Html<String>, AppError> {
    page_with(web, ctx, a, registry, errors, false, typed).await
}

/// The application's page; `decided`: just after a decision, saying what happened (the
/// state now, and the badge code when one was issued); `typed`: a refused form's values.
async fn page_with(
    web: &App,
    ctx: &Ctx,
    a: &SiteApplication,
    registry: bool,
    errors: Option<&FieldErrors>,
    decided: bool,
    typed: &[(String, String)],
) -> Result<Html<String>, AppError> {
    let state = a.site_state();
    let issued_code = match (decided, a.site_id) {
        (true, Some(site)) => sites::find_site(&web.db, site).await?.map(|s| s.badge_code),
        _ => None,
    };
    let domain = if a.form.domain == govsite_core::site_form::RED_PAGE {
        "网络红页".to_owned()
    } else {
        domains::by_ace(&web.db, a.form.domain.trim())
            .await?
            .map_or_else(|| a.form.domain.clone(), |d| d.unicode())
    };
    let org_type_label = govsite_core::org_type::OrgType::parse(&a.form.org_type)
        .map_or("", govsite_core::org_type::OrgType::label);
    web.page(ctx, "console/site.html", context! {
        title => format!("{}网站开办审核 {}", if errors.is_some() { "错误：" } else { "" }, a.reference.clone().unwrap_or_default()),
        application => a,
        typed => typed.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
        domain => domain,
        org_type_label => org_type_label,
        checks => site_checks::parse_stored(&a.prechecks_json),
        events => sites::events(&web.db, a.id).await?,
        can_review => (registry && state == SiteState::OfficeApproved) || (!registry && state == SiteState::Submitted),
        can_file => !registry && state == SiteState::AwaitingPaper,
        reasons => SITE_REASONS,
        today => cst_date(web.now()).to_string(),
        errors => errors,
        decided => decided,
        issued_code => issued_code,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    done: String,
}

async fn show(
    State(web): State<App>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
    crate::web::form::Query(q): crate::web::form::Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    let a = in_scope(&web, scope, id).await?;
    page_with(&web, &ctx, &a, registry, None, q.done == "decided", &[]).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReviewForm {
    decision: String,
    code: String,
    reason: String,
}

fn reject_fields(code: String, reason: &str) -> Decision {
    Decision::Reject {
        code,
        text: reason.chars().take(300).collect(),
    }
}

async fn review(
    State(web): State<App>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    let a = in_scope(&web, scope, id).await?;
    let posted: ReviewForm = form::parse(&body)?;
    let typed = form::pairs(&body)?;
    let decision = match posted.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => reject_fields(posted.code, &posted.reason),
        _ => {
            let mut e = FieldErrors::new();
            e.add("decision", "请选择审核意见：通过或不通过");
            return Ok(page(&web, &ctx, &a, registry, Some(&e), &typed)
                .await?
                .into_response());
        }
    };
    let result = registry_sites::review(
        &web.db,
        &actor(&ctx),
        &a,
        registry,
        &decision,
        &web.config.public_url,
        web.now(),
    )
    .await;
    finish(&web, &ctx, &a, registry, result.map(|_| ()), &typed).await
}

async fn finish(
    web: &App,
    ctx: &Ctx,
    a: &SiteApplication,
    registry: bool,
    result: Result<(), RegistryError>,
    typed: &[(String, String)],
) -> Result<Response, AppError> {
    match result {
        Ok(()) => {
            web.outbox_wake.notify_one();
            Ok(Redirect::to(&format!("/console/sites/{}?done=decided", a.id)).into_response())
        }
        Err(RegistryError::Form(errors)) => Ok(page(web, ctx, a, registry, Some(&errors), typed)
            .await?
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PaperForm {
    action: String,
    received_on: String,
    copies: String,
    id_copy: String,
    code: String,
    reason: String,
}

async fn paper(
    State(web): State<App>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (registry, scope) = review_stage(&web, &ctx).await?;
    // Paper is filed with the unit's own 编办, not with the registry.
    if registry {
        return Err(AppError::Forbidden);
    }
    let a = in_scope(&web, scope, id).await?;
    let posted: PaperForm = form::parse(&body)?;
    let typed = form::pairs(&body)?;
    let result = match posted.action.as_str() {
        "confirm" => {
            let mut e = FieldErrors::new();
            let received_on = e.check(
                "received_on",
                NaiveDate::parse_from_str(posted.received_on.trim(), "%Y-%m-%d")
                    .map_err(|_| "请填写收到纸质材料的日期，例如 2026-11-23"),
            );
            let copies = e.check(
                "copies",
                posted
                    .copies
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|c| (0..=99).contains(c))
                    .ok_or("请填写收到的份数（数字）"),
            );
            match (received_on, copies) {
                (Some(received_on), Some(copies)) if e.is_empty() => {
                    let receipt = PaperReceipt {
                        received_on,
                        copies,
                        id_copy: posted.id_copy == "1",
                    };
                    registry_sites::confirm_paper(
                        &web.db,
                        &actor(&ctx),
                        &a,
                        &receipt,
                        &web.config.public_url,
                        web.now(),
                    )
                    .await
                    .map(|_| ())
                }
                _ => Err(RegistryError::Form(e)),
            }
        }
        "return" => {
            let text: String = posted.reason.chars().take(300).collect();
            registry_sites::return_paper(&web.db, &actor(&ctx), &a, &posted.code, &text, web.now())
                .await
        }
        _ => return Err(AppError::BadRequest("请选择确认备案或退回。")),
    };
    finish(&web, &ctx, &a, registry, result, &typed).await
}

async fn prechecks(
    State(web): State<App>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
) -> Result<Response, AppError> {
    let (_, scope) = review_stage(&web, &ctx).await?;
    let a = in_scope(&web, scope, id).await?;
    site_checks::run_and_store(&web.db, &web.config.site_checks, &a, web.now()).await?;
    Ok(Redirect::to(&format!("/console/sites/{}", a.id)).into_response())
}
