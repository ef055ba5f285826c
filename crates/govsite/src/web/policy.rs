//! Registry policy kept by the administrators: the versioned price list (a new price takes
//! effect from a date, never rewriting the past), the reserved names, and each region's time
//! limit for the first review. Every change is audited.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use govsite_core::FieldErrors;
use govsite_core::deadline::cst_date;
use govsite_core::domain_name::DomainName;
use govsite_core::money::Money;
use govsite_core::org_type::Suffix;
use govsite_core::region::FeeTier;
use govsite_core::role::Role;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::WebState;
use super::auth::actor;
use super::error::AppError;
use super::form;
use super::session::Ctx;
use crate::registry::RegistryError;
use crate::registry::policy as policy_decisions;
use crate::store::policy;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/admin/policy", get(show))
        .route("/admin/policy/prices", post(add_price))
        .route("/admin/policy/reserved", post(add_reserved))
        .route("/admin/policy/reserved/remove", post(remove_reserved))
        .route("/admin/policy/review-days", post(set_review_days))
}

/// Everything typed on the page, kept when a form comes back with errors.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct PolicyForm {
    tier: String,
    price: String,
    effective_from: String,
    label: String,
    reason: String,
    region: String,
    days: String,
    /// `review` (编办初审时限) or `mount` (挂标期限).
    limit: String,
}

async fn view(
    web: &WebState,
    ctx: &Ctx,
    form: &PolicyForm,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>, AppError> {
    ctx.require(Role::manages_accounts)?;
    web.page(
        ctx,
        "admin/policy.html",
        context! {
            title => if errors.is_some() { "错误：收费与名称政策" } else { "收费与名称政策" },
            prices => policy::prices(&web.db).await?,
            reserved => policy::reserved_list(&web.db).await?,
            overrides => policy::region_days_overrides(&web.db).await?,
            default_days => policy::DEFAULT_OFFICE_REVIEW_DAYS,
            default_mount_days => policy::DEFAULT_MOUNT_DAYS,
            form => form,
            errors => errors,
        },
    )
}

async fn show(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    view(&web, &ctx, &PolicyForm::default(), None).await
}

/// Audits the change in its own transaction, commits, and goes back to the page.
async fn add_price(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(Role::manages_accounts)?;
    let f: PolicyForm = form::parse(&body)?;
    let mut e = FieldErrors::new();
    let tier = FeeTier::parse(&f.tier);
    if tier.is_none() {
        e.add("tier", "请选择收费档次");
    }
    let price = Money::parse_yuan(&f.price)
        .filter(|m| *m >= Money::ZERO && *m <= Money::from_yuan(100_000));
    if price.is_none() {
        e.add("price", "请输入每个域名每年的价格，单位为元，例如 200");
    }
    let today = cst_date(web.now());
    let from = NaiveDate::parse_from_str(f.effective_from.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d >= today);
    if from.is_none() {
        e.add(
            "effective_from",
            "请按 2027-01-01 的格式输入生效日期，且不能早于今天（已生效的价格不能改写）",
        );
    }
    let (Some(tier), Some(price), Some(from), true) = (tier, price, from, e.is_empty()) else {
        return Ok(view(&web, &ctx, &f, Some(&e)).await?.into_response());
    };
    policy_decisions::add_price(&web.db, &actor(&ctx), tier, price, from, web.now()).await?;
    Ok(Redirect::to("/admin/policy").into_response())
}

async fn add_reserved(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(Role::manages_accounts)?;
    let f: PolicyForm = form::parse(&body)?;
    let mut e = FieldErrors::new();
    let name = DomainName::parse(&f.label, Suffix::Zhengwu)
        .map_err(|err| e.add("label", err.to_string()))
        .ok();
    let reason: String = f.reason.trim().chars().take(60).collect();
    if reason.is_empty() {
        e.add("reason", "请填写保留原因，例如 中央机构专用");
    }
    let (Some(name), true) = (name, e.is_empty()) else {
        return Ok(view(&web, &ctx, &f, Some(&e)).await?.into_response());
    };
    let canonical = crate::registry::names::variants().canonical(name.label());
    match policy_decisions::add_reserved(
        &web.db,
        &actor(&ctx),
        &canonical,
        name.label(),
        &reason,
        web.now(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/admin/policy").into_response()),
        Err(RegistryError::Form(e)) => Ok(view(&web, &ctx, &f, Some(&e)).await?.into_response()),
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Removal {
    canonical: String,
}

async fn remove_reserved(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(Role::manages_accounts)?;
    let r: Removal = form::parse(&body)?;
    if !policy_decisions::remove_reserved(&web.db, &actor(&ctx), &r.canonical, web.now()).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/admin/policy").into_response())
}

async fn set_review_days(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(Role::manages_accounts)?;
    let f: PolicyForm = form::parse(&body)?;
    let mut e = FieldErrors::new();
    let region = f
        .region
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|_| f.region.trim().len() == 6);
    if region.is_none() {
        e.add("region", "请输入6位行政区划代码，例如 620421");
    }
    let days = match f.days.trim() {
        "" => Some(None),
        d => d
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=30).contains(n))
            .map(Some),
    };
    if days.is_none() {
        e.add("days", "时限应为1至30个工作日；留空则恢复平台默认");
    }
    let limit = policy::RegionLimit::parse(&f.limit);
    if limit.is_none() {
        e.add("limit", "请选择要设置的时限");
    }
    let (Some(region), Some(days), Some(limit), true) = (region, days, limit, e.is_empty()) else {
        return Ok(view(&web, &ctx, &f, Some(&e)).await?.into_response());
    };
    if !policy_decisions::set_region_days(&web.db, &actor(&ctx), limit, region, days, web.now())
        .await?
    {
        e.add("region", "没有这个行政区划代码");
        return Ok(view(&web, &ctx, &f, Some(&e)).await?.into_response());
    }
    Ok(Redirect::to("/admin/policy").into_response())
}
