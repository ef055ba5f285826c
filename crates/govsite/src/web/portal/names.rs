//! The unit's registered names under 网上名称管理: one name's page with its history and the
//! change of how it resolves, and the renewal of several names at once (pick names and
//! years, see the fee, pay from the balance).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::FieldErrors;
use govsite_core::domain_form::DomainForm;
use govsite_core::domain_lifecycle::DomainState;
use govsite_core::ids::DomainId;
use govsite_core::money::Years;
use minijinja::context;

use super::own_unit;
use crate::registry::applications::RegistryError;
use crate::registry::names_admin::{self, Quote};
use crate::store::audit;
use crate::store::domains::{self, Domain};
use crate::store::units::UnitRecord;
use crate::store::{ledger, policy};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/portal/domains/renew", post(renew))
        .route("/portal/domains/{id}", get(show))
        .route("/portal/domains/{id}/records", post(change_records))
}

/// A name of the signed-in unit (a primary name, not a variant); anything else is 404.
async fn own_name(web: &WebState, unit: &UnitRecord, id: DomainId) -> Result<Domain, AppError> {
    match domains::find(&web.db, id).await? {
        Some(d)
            if d.unit_id == unit.id
                && d.variant_of.is_none()
                && d.state != DomainState::Deleted =>
        {
            Ok(d)
        }
        _ => Err(AppError::NotFound),
    }
}

/// The form a name's current records fill in.
fn form_of(d: &Domain) -> DomainForm {
    let mut ns = d.nameservers.split_whitespace().map(|s| {
        let (host, ip) = s.split_once('=').unwrap_or((s, ""));
        (host.to_owned(), ip.to_owned())
    });
    let (ns1, ns1_ip) = ns.next().unwrap_or_default();
    let (ns2, ns2_ip) = ns.next().unwrap_or_default();
    DomainForm {
        plan: d.plan.clone(),
        ipv4: d.ipv4.clone(),
        ipv6: d.ipv6.clone(),
        ns1,
        ns1_ip,
        ns2,
        ns2_ip,
        forward_url: d.forward_url.clone(),
        ..DomainForm::default()
    }
}

async fn name_page(
    web: &WebState,
    ctx: &Ctx,
    d: &Domain,
    form: &DomainForm,
    errors: Option<&FieldErrors>,
    notice: &str,
) -> Result<Html<String>, AppError> {
    let history = audit::history(&web.db, "domain", d.id.get()).await?;
    web.page(
        ctx,
        "portal/domain.html",
        context! {
            title => if errors.is_some() { format!("错误：{}", d.unicode()) } else { d.unicode() },
            domain => d,
            form => form,
            errors => errors,
            history => history,
            notice => notice,
        },
    )
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainId>,
    form::Query(q): form::Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let d = own_name(&web, &unit, id).await?;
    let notice = if q.notice == "saved" {
        "已保存，新的解析设置立即生效。"
    } else {
        ""
    };
    name_page(&web, &ctx, &d, &form_of(&d), None, notice).await
}

async fn change_records(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let d = own_name(&web, &unit, id).await?;
    let posted: DomainForm = form::parse(&body)?;
    match names_admin::change_records(&web.db, &actor(&ctx), &d, &posted, web.now()).await {
        Ok(()) => Ok(Redirect::to(&format!("/portal/domains/{id}?notice=saved")).into_response()),
        Err(RegistryError::Form(errors)) => {
            Ok(name_page(&web, &ctx, &d, &posted, Some(&errors), "")
                .await?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `years_{id}` per name ("" = not renewed), `step` = `check` or `pay`, and on `pay` the
/// `seen_{id}` expiry the check page showed.
async fn renew(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let mut picks = Vec::new();
    let mut step = String::new();
    let mut seen = std::collections::HashMap::new();
    for (key, value) in form::pairs(&body)? {
        if key == "step" {
            step = value;
        } else if let Some(id) = key.strip_prefix("seen_") {
            seen.insert(id.to_owned(), value);
        } else if let Some(id) = key.strip_prefix("years_") {
            if value.trim().is_empty() {
                continue;
            }
            let id = id.parse().map_err(|_| AppError::NotFound)?;
            let d = own_name(&web, &unit, id).await?;
            let years =
                Years::parse(&value).map_err(|_| AppError::BadRequest("续费年限应为2至10年。"))?;
            picks.push((d, years));
        }
    }
    let quote = match names_admin::quote(&web.db, unit.region_code, picks, web.now()).await {
        Ok(q) => q,
        Err(RegistryError::Refused(m)) => return Ok(renew_error(&web, &ctx, &m)?.into_response()),
        Err(RegistryError::Form(_)) => return Err(AppError::BadRequest("续费内容有误。")),
        Err(e) => return Err(e.into()),
    };
    if step != "pay" {
        return Ok(renew_check(&web, &ctx, &unit, &quote)
            .await?
            .into_response());
    }
    // The confirmation carries the expiry each name had when the fee was shown: a second
    // click (or a renewal meanwhile) finds it moved and pays nothing.
    if let Some(moved) = quote
        .items
        .iter()
        .find(|i| seen.get(&i.domain.id.to_string()) != Some(&i.domain.expires_at.to_string()))
    {
        let m = format!(
            "{}的到期日已变更（可能已续费），请刷新后重试",
            moved.domain.unicode()
        );
        return Ok(renew_error(&web, &ctx, &m)?.into_response());
    }
    match names_admin::renew_names(&web.db, &actor(&ctx), unit.id, &quote, web.now()).await {
        Ok(()) => Ok(Redirect::to("/portal/domains?notice=renewed").into_response()),
        Err(RegistryError::Refused(m)) => Ok(renew_error(&web, &ctx, &m)?.into_response()),
        Err(RegistryError::Form(_)) => Err(AppError::BadRequest("续费内容有误。")),
        Err(e) => Err(e.into()),
    }
}

async fn renew_check(
    web: &WebState,
    ctx: &Ctx,
    unit: &UnitRecord,
    quote: &Quote,
) -> Result<Html<String>, AppError> {
    let balance = ledger::balance(&web.db, unit.id).await?;
    let tier = policy::fee_tier(&web.db, unit.region_code).await?;
    web.page(
        ctx,
        "portal/renew_check.html",
        context! {
            title => "请核对续费",
            quote => quote,
            price => quote.price.to_string(),
            total => quote.total.to_string(),
            balance => balance.to_string(),
            short => balance < quote.total,
            poverty => tier == govsite_core::region::FeeTier::Poverty,
        },
    )
}

fn renew_error(web: &WebState, ctx: &Ctx, message: &str) -> Result<Html<String>, AppError> {
    web.page(
        ctx,
        "message.html",
        context! {
            title => "无法续费",
            message => message,
            link => "/portal/domains",
            link_text => "返回网上名称管理",
        },
    )
}
