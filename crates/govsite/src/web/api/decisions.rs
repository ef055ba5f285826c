//! Review decisions through the API: the same registry decisions as the consoles' review
//! pages (state checks, reasons, notices, audit), taken by a key of `review` scope at its
//! account's stage — a 编办 reviewer's the first review, the registry's the second.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use govsite_core::domain_application::Verdict;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Problem;
use super::caller::Caller;
use super::problem::ProblemDetails;
use super::resources::{self, DomainApplication, SiteApplication};
use crate::registry::applications::{self as registry_apps, NameDecision, REASON_CODES};
use crate::registry::sites::{self as registry_sites, Decision};
use crate::store::applications;
use crate::web::WebState;

pub fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(decide_domain_application))
        .routes(routes!(decide_site_application))
}

/// A reviewer's decision.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "reject", "reason_code": "materials", "reason": "申请表未加盖公章"}))]
pub struct ReviewDecision {
    /// `approve` or `reject`.
    pub decision: String,
    /// With `reject`: a reason code (domain applications: `name_mismatch`, `place_prefix`,
    /// `materials`, `not_eligible`, `other`; website applications: the codes of the review
    /// page).
    #[serde(default)]
    pub reason_code: String,
    /// With `reject`: what the unit must change, in words (up to 300 characters).
    #[serde(default)]
    pub reason: String,
    /// Domain applications only: a verdict per name, overriding `decision` for that name.
    #[serde(default)]
    pub names: Vec<NameVerdict>,
}

/// One name's verdict.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NameVerdict {
    pub name_id: i64,
    pub decision: String,
    #[serde(default)]
    pub reason_code: String,
    #[serde(default)]
    pub reason: String,
}

fn parse(body: &Bytes) -> Result<ReviewDecision, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        Problem::new(
            "invalid_request_body",
            format!("请求体应为 JSON 对象，如 {{\"decision\": \"approve\"}}：{e}"),
        )
    })
}

fn verdict(word: &str) -> Result<Verdict, Problem> {
    match word {
        "approve" => Ok(Verdict::Approve),
        "reject" => Ok(Verdict::Reject),
        _ => Err(Problem::new(
            "invalid_request_body",
            "decision 应为 approve（通过）或 reject（不通过）",
        )),
    }
}

fn reason(text: &str) -> String {
    text.chars().take(300).collect()
}

/// Decide a domain application at the key's stage. Every name under review takes `decision`
/// unless `names` gives it its own; a rejection needs a reason code and words.
#[utoipa::path(post, path = "/api/v1/domain-applications/{id}/decision", tag = "reviews",
    params(("id" = i64, Path, description = "The application's id")), request_body = ReviewDecision,
    security(("bearer" = [])),
    responses((status = 200, body = DomainApplication), (status = 401, body = ProblemDetails),
              (status = 403, body = ProblemDetails), (status = 404, body = ProblemDetails),
              (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn decide_domain_application(
    State(web): State<WebState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<DomainApplication>, Problem> {
    let registry = caller.review_stage()?;
    let a = resources::domain_application_in_reach(&web, &caller, &id).await?;
    let posted = parse(&body)?;
    let all = verdict(&posted.decision)?;
    let names = applications::names(&web.db, a.id).await?;
    for n in &posted.names {
        if !names.iter().any(|x| x.id == n.name_id) {
            return Err(Problem::new(
                "invalid_request_body",
                format!("name_id {} 不是该申请的域名", n.name_id),
            ));
        }
    }
    let known = |code: &str| {
        if REASON_CODES.iter().any(|(c, _)| *c == code) {
            code.to_owned()
        } else {
            String::new()
        }
    };
    let mut decisions = Vec::new();
    for n in &names {
        let own = posted.names.iter().find(|x| x.name_id == n.id);
        let (v, code, text) = match own {
            Some(x) => (verdict(&x.decision)?, &x.reason_code, &x.reason),
            None => (all, &posted.reason_code, &posted.reason),
        };
        decisions.push(NameDecision {
            name_id: n.id,
            verdict: v,
            code: known(code),
            text: reason(text),
        });
    }
    registry_apps::review(
        &web.db,
        &caller.actor(),
        &a,
        registry,
        &decisions,
        web.now(),
    )
    .await?;
    web.outbox_wake.notify_one();
    let fresh = resources::domain_application_in_reach(&web, &caller, &id).await?;
    Ok(Json(resources::with_names(&web, fresh).await?))
}

/// Decide a website application at the key's stage. On the registry's approval a public
/// institution's badge is issued at once, and a party or government unit is asked for paper.
#[utoipa::path(post, path = "/api/v1/site-applications/{id}/decision", tag = "reviews",
    params(("id" = i64, Path, description = "The application's id")), request_body = ReviewDecision,
    security(("bearer" = [])),
    responses((status = 200, body = SiteApplication), (status = 401, body = ProblemDetails),
              (status = 403, body = ProblemDetails), (status = 404, body = ProblemDetails),
              (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
async fn decide_site_application(
    State(web): State<WebState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<SiteApplication>, Problem> {
    let registry = caller.review_stage()?;
    let a = resources::site_application_in_reach(&web, &caller, &id).await?;
    let posted = parse(&body)?;
    if !posted.names.is_empty() {
        return Err(Problem::new(
            "invalid_request_body",
            "names 只适用于域名注册申请",
        ));
    }
    let decision = match verdict(&posted.decision)? {
        Verdict::Approve => Decision::Approve,
        Verdict::Reject => Decision::Reject {
            code: posted.reason_code.clone(),
            text: reason(&posted.reason),
        },
    };
    registry_sites::review(
        &web.db,
        &caller.actor(),
        &a,
        registry,
        &decision,
        &web.config.public_url,
        web.now(),
    )
    .await?;
    web.outbox_wake.notify_one();
    Ok(Json(
        resources::site_application_in_reach(&web, &caller, &id)
            .await?
            .into(),
    ))
}
