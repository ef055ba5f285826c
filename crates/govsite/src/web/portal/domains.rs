//! 网上名称管理: the unit's names and its domain applications (域名注册申请), from the form
//! through the answers check, submission, review results and payment.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::FieldErrors;
use govsite_core::domain_application::AppState;
use govsite_core::domain_form::{DomainForm, SLOTS};
use govsite_core::domain_name::DomainName;
use govsite_core::ids::DomainApplicationId;
use govsite_core::org_type::{OrgType, Suffix};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::own_unit;
use crate::registry::applications::{self as registry_apps, RegistryError};
use crate::registry::names;
use crate::store::applications::{self, Application};
use crate::store::units::UnitRecord;
use crate::store::{domains, ledger};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId, Query};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/portal/domains", get(overview))
        .route("/portal/domains/new", get(new_form).post(create))
        .route("/portal/domains/applications/{id}", get(show))
        .route(
            "/portal/domains/applications/{id}/edit",
            get(edit_form).post(save),
        )
        .route("/portal/domains/applications/{id}/check", get(check))
        .route("/portal/domains/applications/{id}/submit", post(submit))
        .route("/portal/domains/applications/{id}/form", get(form_pdf))
        .route("/portal/domains/applications/{id}/pay", post(pay))
}

fn suffix_for(unit: &UnitRecord) -> Suffix {
    OrgType::parse(&unit.org_type).map_or(Suffix::Zhengwu, |t| t.suffix())
}

/// The suffix an application asks for: the unit's own, or .政务 for a public institution
/// with administrative functions that chose it (its proof is then required and reviewed).
fn application_suffix(unit: &UnitRecord, form: &DomainForm) -> Suffix {
    let may_choose = OrgType::parse(&unit.org_type) == Ok(OrgType::PublicInstitution);
    if may_choose && form.suffix_choice == "政务" {
        Suffix::Zhengwu
    } else {
        suffix_for(unit)
    }
}

#[derive(Deserialize)]
struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

async fn overview(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let names = domains::of_unit(&web.db, unit.id).await?;
    let apps = applications::of_unit(&web.db, unit.id).await?;
    let notice = match q.notice.as_str() {
        "activated" => "缴费成功，域名已启用。",
        "renewed" => "续费成功，新的到期日已生效。",
        _ => "",
    };
    web.page(
        &ctx,
        "portal/domains.html",
        context! {
            title => "网上名称管理",
            renewable => names.iter().filter(|d| d.variant_of.is_none()).collect::<Vec<_>>(),
            due => names.iter().filter(|d| d.variant_of.is_none() && d.expires_at - web.now() < 90 * 86_400).collect::<Vec<_>>(),
            domains => names,
            applications => apps,
            suffix => suffix_for(&unit).label(),
            notice => notice,
        },
    )
}

/// One row of the names table on the form: what was typed, and whether it is available.
#[derive(Serialize)]
struct SlotView {
    slot: u8,
    what: &'static str,
    required: bool,
    name: String,
    years: String,
    status: String,
    available: bool,
}

async fn slots(
    web: &WebState,
    unit: &UnitRecord,
    form: &DomainForm,
    with_status: bool,
) -> Result<Vec<SlotView>, AppError> {
    let suffix = application_suffix(unit, form);
    let mut out = Vec::new();
    for (slot, what, required) in SLOTS {
        let (name, years) = form.name(slot);
        let (status, available) = if with_status && !name.trim().is_empty() {
            match DomainName::parse(name, suffix) {
                Ok(n) => {
                    let a = names::availability(&web.db, unit.id, &n).await?;
                    (
                        format!("{}：{}", n.unicode(), a.message()),
                        a.is_available(),
                    )
                }
                Err(e) => (e.to_string(), false),
            }
        } else {
            (String::new(), false)
        };
        out.push(SlotView {
            slot,
            what,
            required,
            name: name.to_owned(),
            years: years.to_owned(),
            status,
            available,
        });
    }
    Ok(out)
}

async fn form_page(
    web: &WebState,
    ctx: &Ctx,
    unit: &UnitRecord,
    id: Option<DomainApplicationId>,
    form: &DomainForm,
    errors: Option<&FieldErrors>,
    saved: bool,
) -> Result<Html<String>, AppError> {
    let suffix = application_suffix(unit, form);
    let action = id.map_or_else(
        || "/portal/domains/new".to_owned(),
        |id| format!("/portal/domains/applications/{id}/edit"),
    );
    web.page(ctx, "portal/domain_form.html", context! {
        title => if errors.is_some() { format!("错误：{}域名注册申请表", suffix.label()) } else { format!("{}域名注册申请表", suffix.label()) },
        form => form,
        errors => errors,
        slots => slots(web, unit, form, errors.is_some() || saved).await?,
        suffix => suffix.label(),
        action => action,
        saved => saved,
        years => (2..=10).map(|y| (y.to_string(), format!("{y}年"))).collect::<Vec<_>>(),
        may_choose_suffix => OrgType::parse(&unit.org_type) == Ok(OrgType::PublicInstitution),
    })
}

/// A new form, with the unit's handler and address filled in.
async fn new_form(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let form = DomainForm {
        contact_name: unit.form.handler_name.clone(),
        phone: if unit.form.handler_phone.is_empty() {
            unit.form.handler_mobile.clone()
        } else {
            unit.form.handler_phone.clone()
        },
        email: unit.form.handler_email.clone(),
        mobile: unit.form.handler_mobile.clone(),
        address: unit.form.address.clone(),
        postcode: unit.form.postcode.clone(),
        admin_same: "1".into(),
        tech_same: "1".into(),
        name1: unit.form.name.clone(),
        years1: "2".into(),
        years2: "2".into(),
        plan: "resolve".into(),
        ..DomainForm::default()
    };
    form_page(&web, &ctx, &unit, None, &form, None, false).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Posted {
    step: String,
    #[serde(flatten)]
    form: DomainForm,
}

/// The first save creates the draft; nothing typed is ever lost after that.
async fn create(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let posted: Posted = form::parse(&body)?;
    let suffix = application_suffix(&unit, &posted.form);
    let id = registry_apps::create_draft(&web.db, unit.id, suffix, &posted.form, web.now()).await?;
    Ok(after_save(id, &posted))
}

async fn owned(
    web: &WebState,
    unit: &UnitRecord,
    id: DomainApplicationId,
) -> Result<Application, AppError> {
    let a = applications::find(&web.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if a.unit_id != unit.id {
        return Err(AppError::NotFound);
    }
    Ok(a)
}

async fn edit_form(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    if !a.app_state().editable_by_unit() {
        return Ok(Redirect::to(&format!("/portal/domains/applications/{}", a.id)).into_response());
    }
    Ok(form_page(
        &web,
        &ctx,
        &unit,
        Some(a.id),
        &a.form,
        None,
        q.notice == "saved",
    )
    .await?
    .into_response())
}

async fn save(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    let posted: Posted = form::parse(&body)?;
    let suffix = application_suffix(&unit, &posted.form);
    registry_apps::save_draft(&web.db, a.id, suffix, &posted.form, web.now()).await?;
    Ok(after_save(a.id, &posted))
}

/// After saving: back to the form ("保存草稿"), or on to the answers check ("下一步").
fn after_save(id: DomainApplicationId, posted: &Posted) -> Response {
    let next = if posted.step == "check" {
        format!("/portal/domains/applications/{id}/check")
    } else {
        format!("/portal/domains/applications/{id}/edit?notice=saved")
    };
    Redirect::to(&next).into_response()
}

/// "下一步" after a save (post/redirect/get): the stored draft checked; its errors on the
/// form, or the answers to confirm before submitting.
async fn check(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    if !a.app_state().editable_by_unit() {
        return Ok(Redirect::to(&format!("/portal/domains/applications/{}", a.id)).into_response());
    }
    let suffix = application_suffix(&unit, &a.form);
    let mut errors = match a.form.parse(suffix) {
        Ok(_) => FieldErrors::new(),
        Err(e) => e,
    };
    let views = slots(&web, &unit, &a.form, true).await?;
    for v in views
        .iter()
        .filter(|v| !v.name.trim().is_empty() && !v.available)
    {
        let field = format!("name{}", v.slot);
        if errors.get(&field).is_none() {
            errors.add(field, v.status.clone());
        }
    }
    if !errors.is_empty() {
        return Ok(
            form_page(&web, &ctx, &unit, Some(a.id), &a.form, Some(&errors), false)
                .await?
                .into_response(),
        );
    }
    Ok(check_page(&web, &ctx, &unit, &a, views)
        .await?
        .into_response())
}

async fn check_page(
    web: &WebState,
    ctx: &Ctx,
    unit: &UnitRecord,
    a: &Application,
    views: Vec<SlotView>,
) -> Result<Html<String>, AppError> {
    let tier = crate::store::policy::fee_tier(&web.db, unit.region_code).await?;
    let price = crate::store::policy::price(&web.db, tier, web.now())
        .await?
        .unwrap_or_default();
    let request = a
        .form
        .parse(application_suffix(unit, &a.form))
        .map_err(|_| AppError::BadRequest("申请表有误，请返回修改。"))?;
    let total =
        govsite_core::money::fee(price, request.names.iter().map(|n| n.years)).unwrap_or_default();
    web.page(
        ctx,
        "portal/domain_check.html",
        context! {
            title => "请核对域名注册申请",
            application => a,
            slots => views.into_iter().filter(|v| !v.name.trim().is_empty()).collect::<Vec<_>>(),
            plan => request.plan,
            price => price.to_string(),
            total => total.to_string(),
            poverty => tier == govsite_core::region::FeeTier::Poverty,
        },
    )
}

async fn submit(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    match registry_apps::submit(&web.db, &actor(&ctx), &a, web.now()).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/portal/domains/applications/{}?notice=submitted",
            a.id
        ))
        .into_response()),
        Err(RegistryError::Form(errors)) => {
            Ok(
                form_page(&web, &ctx, &unit, Some(a.id), &a.form, Some(&errors), false)
                    .await?
                    .into_response(),
            )
        }
        Err(RegistryError::Refused(message)) => {
            Ok(message_page(&web, &ctx, &message, a.id)?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn message_page(
    web: &WebState,
    ctx: &Ctx,
    message: &str,
    id: DomainApplicationId,
) -> Result<Html<String>, AppError> {
    web.page(
        ctx,
        "message.html",
        context! {
            title => "无法完成操作",
            message => message,
            link => format!("/portal/domains/applications/{id}"),
            link_text => "返回申请",
        },
    )
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    // Just submitted (post/redirect/get): the reference to note, as a confirmation panel.
    if q.notice == "submitted" && a.reference.is_some() {
        return web.page(
            &ctx,
            "portal/domain_submitted.html",
            context! {
                title => "申请已提交",
                reference => a.reference.clone(),
                application => a,
            },
        );
    }
    application_page(&web, &ctx, &a, Value::from(())).await
}

/// The application as its unit sees it: names with each review's verdict and reasons, the
/// history, the fee and the balance.
async fn application_page(
    web: &WebState,
    ctx: &Ctx,
    a: &Application,
    error: Value,
) -> Result<Html<String>, AppError> {
    let payable = registry_apps::payable(&web.db, a)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let balance = ledger::balance(&web.db, a.unit_id).await?;
    web.page(ctx, "portal/domain_application.html", context! {
        title => format!("域名注册申请 {}", a.reference.clone().unwrap_or_else(|| "（草稿）".into())),
        application => a,
        names => applications::names(&web.db, a.id).await?,
        events => applications::events(&web.db, a.id).await?,
        editable => a.app_state().editable_by_unit(),
        payable => payable.to_string(),
        can_pay => a.state == AppState::RegistryApproved,
        balance => balance.to_string(),
        short => balance < payable,
        error => error,
        printable => a.state != AppState::Draft,
        office => crate::store::offices::of_region(&web.db, a.region_code).await?,
    })
}

/// The 域名注册申请表 (annex 3 for .政务, annex 4 for .公益) filled in from the submitted
/// application, to print 一式三份 and bring to the 编办.
async fn form_pdf(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    if a.state == AppState::Draft {
        return Err(AppError::Conflict(
            "申请提交后才能打印域名注册申请表。".into(),
        ));
    }
    let names: Vec<(i64, String, i64)> = applications::names(&web.db, a.id)
        .await?
        .into_iter()
        .map(|n| (n.slot, format!("{}.{}", n.label, a.suffix), n.years))
        .collect();
    let pdf = crate::documents::render(crate::documents::domain_form_markup(&a, &names)).await?;
    let name = format!(
        "domain-form-{}.pdf",
        a.reference.as_deref().unwrap_or("draft")
    );
    Ok(crate::web::pdf_response(&name, true, pdf))
}

async fn pay(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<DomainApplicationId>,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    match registry_apps::pay_and_activate(&web.db, &actor(&ctx), &a, web.now()).await {
        Ok(_) => {
            web.outbox_wake.notify_one();
            Ok(Redirect::to("/portal/domains?notice=activated").into_response())
        }
        Err(RegistryError::Refused(message)) => {
            Ok(application_page(&web, &ctx, &a, Value::from(message))
                .await?
                .into_response())
        }
        Err(RegistryError::Form(_)) => {
            Err(AppError::BadRequest("申请表有误，请联系注册管理中心。"))
        }
        Err(e) => Err(e.into()),
    }
}
