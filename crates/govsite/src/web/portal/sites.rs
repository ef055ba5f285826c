//! 网站开办审核/资格复核申请: the unit's applications (我的申请表) from the form through the
//! answers check with its captcha, submission, review results, the printed letter and form,
//! and a fresh copy after the paper was returned; and 标识管理: the badges of its sites with
//! the code to paste, re-qualification, change and closure.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::FieldErrors;
use govsite_core::domain_lifecycle::DomainState;
use govsite_core::ids::{DomainId, SiteApplicationId, SiteId};
use govsite_core::org_type::OrgType;
use govsite_core::site_application::SiteState;
use govsite_core::site_form::{RED_PAGE, SiteForm, SiteKind};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::own_unit;
use crate::documents::{self, Letterhead};
use crate::registry::RegistryError;
use crate::registry::{site_checks, sites as registry_sites};
use crate::store::sites::{self, Site, SiteApplication};
use crate::store::units::UnitRecord;
use crate::store::{StoreError, domains, offices, policy};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::captcha;
use crate::web::error::AppError;
use crate::web::form::{self, PathId, Query, page_number};
use crate::web::session::Ctx;
use govsite_core::deadline::cst_date;

const PER_PAGE: u32 = 10;
/// A domain expiring within this many days gets the seed's warning on the form.
const EXPIRY_WARNING_DAYS: i64 = 60;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/portal/sites", get(list))
        .route("/portal/sites/new", get(new_form).post(create))
        .route("/portal/sites/applications/{id}", get(show))
        .route(
            "/portal/sites/applications/{id}/edit",
            get(edit_form).post(save),
        )
        .route("/portal/sites/applications/{id}/check", get(check))
        .route("/portal/sites/applications/{id}/submit", post(submit))
        .route("/portal/sites/applications/{id}/letter", get(letter))
        .route("/portal/sites/applications/{id}/form", get(form_pdf))
        .route("/portal/sites/applications/{id}/copy", post(copy))
        .route("/portal/sites/badges", get(badges))
        // 网上名称管理—标识管理 (the seed's menu) is the same page, under names.
        .route("/portal/domains/badges", get(badges))
        .route("/portal/sites/badges/{id}/apply", post(apply_for_site))
        .route("/portal/sites/badges/{id}/filings", post(set_filings))
        .route(
            "/portal/sites/badges/{id}/close",
            get(close_confirm).post(close),
        )
        .route("/captcha/{token}", get(captcha::image))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    page: Option<String>,
    notice: String,
    kind: String,
    captcha: String,
}

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let page = page_number(q.page.as_deref());
    let (rows, total) = sites::of_unit(&web.db, unit.id, page, PER_PAGE).await?;
    let pages = (total.max(1) + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE);
    web.page(
        &ctx,
        "portal/sites.html",
        context! {
            title => "网站开办审核/资格复核申请",
            rows => rows,
            page => page,
            pages => pages,
            total => total,
            notice => if q.notice == "copied" { "已从原申请复制一份新申请，请修改后提交。" } else { "" },
        },
    )
}

/// One of the unit's domains as the form offers it.
#[derive(Serialize)]
struct DomainChoice {
    ace: String,
    name: String,
    /// The address the name resolves to in our own zone, if any.
    ipv4: String,
    id: DomainId,
    expiring: bool,
    expires_on: String,
}

async fn choices(web: &WebState, unit: &UnitRecord) -> Result<Vec<DomainChoice>, AppError> {
    let now = web.now();
    Ok(domains::of_unit(&web.db, unit.id)
        .await?
        .into_iter()
        .filter(|d| d.variant_of.is_none() && d.domain_state() == DomainState::Active)
        .map(|d| DomainChoice {
            expiring: d.expires_at - now < EXPIRY_WARNING_DAYS * 86_400,
            expires_on: cst_date(d.expires_at).to_string(),
            name: d.unicode(),
            ipv4: d.ipv4,
            ace: d.ace,
            id: d.id,
        })
        .collect())
}

/// The unit block is copied from 单位信息 on every save: the stored form is what was sent.
fn fill_unit_block(form: &mut SiteForm, unit: &UnitRecord) {
    form.unit_name = unit.form.name.clone();
    form.parent_org = unit.form.parent_org.clone();
    form.org_type = unit.form.org_type.clone();
    form.address = unit.form.address.clone();
    form.postcode = unit.form.postcode.clone();
    if form.functions.trim().is_empty() {
        form.functions = unit.form.functions.clone();
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    web: &WebState,
    ctx: &Ctx,
    unit: &UnitRecord,
    application: Option<&SiteApplication>,
    form: &SiteForm,
    errors: Option<&FieldErrors>,
    saved: bool,
) -> Result<Html<String>, AppError> {
    let action = application.map_or_else(
        || "/portal/sites/new".to_owned(),
        |a| format!("/portal/sites/applications/{}/edit", a.id),
    );
    // The kind is asked once: chosen on the list page for a new application (or fixed by the
    // site a re-qualification or change belongs to); only a draft shows the choice again.
    let fixed_kind = match application {
        Some(a) => a.site_id.map(|_| a.site_kind()),
        None => SiteKind::parse(&form.kind).filter(|k| *k != SiteKind::Change),
    };
    // The full ID number is never put back on screen; posting the masked form keeps it.
    let mut form = form.clone();
    form.handler_id_card = form.handler_id_masked();
    let domains = choices(web, unit).await?;
    // Nothing chosen yet: we are the registry, so the address is proposed from the first
    // name's record in our own zone, that name chosen with it.
    if form.domain.is_empty()
        && form.ipv4.is_empty()
        && let Some(d) = domains.iter().find(|d| !d.ipv4.is_empty())
    {
        form.domain = d.ace.clone();
        form.ipv4 = d.ipv4.clone();
    }
    let title = match fixed_kind {
        Some(k) => k.label().to_owned(),
        None => "网站开办审核/资格复核申请".to_owned(),
    };
    web.page(
        ctx,
        "portal/site_form.html",
        context! {
            title => if errors.is_some() { format!("错误：{title}") } else { title },
            form => form,
            errors => errors,
            action => action,
            saved => saved,
            fixed_kind => fixed_kind.map(SiteKind::label),
            domains => domains,
            red_page => RED_PAGE,
            org_type_label => unit.org_type_label(),
            application => application,
        },
    )
}

async fn new_form(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let f = &unit.form;
    let mut form = SiteForm {
        kind: if q.kind == "requal" { "requal" } else { "new" }.into(),
        handler_name: f.handler_name.clone(),
        handler_phone: f.handler_phone.clone(),
        handler_mobile: f.handler_mobile.clone(),
        handler_email: f.handler_email.clone(),
        head_name: f.webmaster_name.clone(),
        head_email: f.webmaster_email.clone(),
        ..SiteForm::default()
    };
    // 单位信息 keeps one telephone for the webmaster: a mobile goes to 负责人手机, a fixed
    // line to 负责人固定电话, where each is checked as what it is.
    if govsite_core::contact::Mobile::parse("", &f.webmaster_phone).is_ok() {
        form.head_mobile = f.webmaster_phone.clone();
    } else {
        form.head_phone = f.webmaster_phone.clone();
    }
    fill_unit_block(&mut form, &unit);
    form_page(&web, &ctx, &unit, None, &form, None, false).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Posted {
    step: String,
    #[serde(flatten)]
    form: SiteForm,
}

async fn create(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let mut posted: Posted = form::parse(&body)?;
    fill_unit_block(&mut posted.form, &unit);
    let kind = SiteKind::parse(&posted.form.kind)
        .filter(|k| *k != SiteKind::Change)
        .unwrap_or(SiteKind::New);
    let id =
        registry_sites::create_draft(&web.db, unit.id, kind, None, &posted.form, None, web.now())
            .await?;
    after_save(&web, &ctx, &unit, id, &posted).await
}

async fn owned(
    web: &WebState,
    unit: &UnitRecord,
    id: SiteApplicationId,
) -> Result<SiteApplication, AppError> {
    let a = sites::find(&web.db, id).await?.ok_or(AppError::NotFound)?;
    if a.unit_id != unit.id {
        return Err(AppError::NotFound);
    }
    Ok(a)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeQuery {
    notice: String,
    captcha: String,
}

async fn edit_form(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    if !a.site_state().editable_by_unit() {
        return Ok(Redirect::to(&format!("/portal/sites/applications/{}", a.id)).into_response());
    }
    Ok(form_page(
        &web,
        &ctx,
        &unit,
        Some(&a),
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
    PathId(id): PathId<SiteApplicationId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    let mut posted: Posted = form::parse(&body)?;
    fill_unit_block(&mut posted.form, &unit);
    if posted.form.handler_id_card.trim() == a.form.handler_id_masked() {
        posted.form.handler_id_card = a.form.handler_id_card.clone();
    }
    // An application for a site that holds a badge keeps its kind whatever the form says.
    let kind = if a.site_id.is_some() {
        a.site_kind()
    } else {
        SiteKind::parse(&posted.form.kind)
            .filter(|k| *k != SiteKind::Change)
            .unwrap_or(SiteKind::New)
    };
    if a.site_id.is_some() {
        posted.form.kind = kind.as_str().to_owned();
    }
    registry_sites::save_draft(&web.db, a.id, kind, &posted.form, web.now()).await?;
    after_save(&web, &ctx, &unit, a.id, &posted).await
}

/// After saving: back to the form ("保存草稿"), or on to the answers check ("下一步").
async fn after_save(
    web: &WebState,
    ctx: &Ctx,
    unit: &UnitRecord,
    id: SiteApplicationId,
    posted: &Posted,
) -> Result<Response, AppError> {
    if posted.step != "check" {
        return Ok(Redirect::to(&format!(
            "/portal/sites/applications/{id}/edit?notice=saved"
        ))
        .into_response());
    }
    let a = sites::find(&web.db, id).await?.ok_or(AppError::NotFound)?;
    match registry_sites::check(&web.db, &a).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/portal/sites/applications/{id}/check")).into_response())
        }
        Err(RegistryError::Form(errors)) => {
            Ok(
                form_page(web, ctx, unit, Some(&a), &a.form, Some(&errors), false)
                    .await?
                    .into_response(),
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn check(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    check_page(&web, &ctx, &unit, &a, q.captcha == "text", None).await
}

async fn check_page(
    web: &WebState,
    ctx: &Ctx,
    unit: &UnitRecord,
    a: &SiteApplication,
    text_captcha: bool,
    captcha_error: Option<&str>,
) -> Result<Response, AppError> {
    if !a.site_state().editable_by_unit() {
        return Ok(Redirect::to(&format!("/portal/sites/applications/{}", a.id)).into_response());
    }
    if let Err(RegistryError::Form(errors)) = registry_sites::check(&web.db, a).await {
        return Ok(
            form_page(web, ctx, unit, Some(a), &a.form, Some(&errors), false)
                .await?
                .into_response(),
        );
    }
    let challenge = captcha::issue(web, text_captcha).await?;
    let mut errors = FieldErrors::new();
    if let Some(m) = captcha_error {
        errors.add("captcha", m);
    }
    Ok(web
        .page(ctx, "portal/site_check.html", context! {
            title => if captcha_error.is_some() { "错误：请核对网站开办审核申请" } else { "请核对网站开办审核申请" },
            application => a,
            domain => domain_name(web, &a.form).await?,
            org_type_label => unit.org_type_label(),
            challenge => challenge,
            errors => (!errors.is_empty()).then_some(errors),
        })?
        .into_response())
}

/// The chosen Chinese domain as people read it, or the 网络红页.
async fn domain_name(web: &WebState, form: &SiteForm) -> Result<String, AppError> {
    if form.domain == RED_PAGE {
        return Ok("网络红页（免费微网站）".to_owned());
    }
    Ok(domains::by_ace(&web.db, form.domain.trim())
        .await?
        .map_or_else(String::new, |d| d.unicode()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SubmitForm {
    captcha_token: String,
    captcha: String,
    /// `text` when the accessible variant was in use: a wrong answer keeps it.
    captcha_mode: String,
    /// `text` or `image`: the other captcha was asked for; nothing is submitted.
    captcha_switch: String,
}

async fn submit(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    let posted: SubmitForm = form::parse(&body)?;
    if !a.site_state().editable_by_unit() {
        return Err(AppError::Conflict(format!(
            "申请当前状态为“{}”，不能再次提交。",
            a.state_label
        )));
    }
    if !posted.captcha_switch.is_empty() {
        let text = posted.captcha_switch == "text";
        return check_page(&web, &ctx, &unit, &a, text, None).await;
    }
    if !captcha::verify(&web, &ctx, &posted.captcha_token, &posted.captcha).await? {
        return check_page(
            &web,
            &ctx,
            &unit,
            &a,
            posted.captcha_mode == "text",
            Some("验证码不正确，请重新输入"),
        )
        .await;
    }
    match registry_sites::submit(&web.db, &actor(&ctx), &a, web.now()).await {
        Ok(_) => {
            spawn_prechecks(&web, a.id);
            Ok(Redirect::to(&format!(
                "/portal/sites/applications/{}?notice=submitted",
                a.id
            ))
            .into_response())
        }
        Err(RegistryError::Form(errors)) => {
            Ok(
                form_page(&web, &ctx, &unit, Some(&a), &a.form, Some(&errors), false)
                    .await?
                    .into_response(),
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs the pre-checks in the background: they wait on DNS and HTTP, the unit does not.
pub fn spawn_prechecks(web: &WebState, id: SiteApplicationId) {
    let web = web.clone();
    tokio::spawn(async move {
        let result = async {
            if let Some(a) = sites::find(&web.db, id).await? {
                site_checks::run_and_store(&web.db, &web.config.site_checks, &a, web.now()).await?;
            }
            Ok::<_, StoreError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(application = id.get(), error = %e, "pre-checks failed");
        }
    });
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    // Just submitted (post/redirect/get): the reference to note, as a confirmation panel.
    if q.notice == "submitted" && a.reference.is_some() {
        return web.page(
            &ctx,
            "portal/site_submitted.html",
            context! {
                title => "申请已提交",
                reference => a.reference.clone(),
                application => a,
            },
        );
    }
    let state = a.site_state();
    web.page(&ctx, "portal/site_application.html", context! {
        title => format!("审核结果 {}", a.reference.clone().unwrap_or_else(|| "（草稿）".into())),
        domain => domain_name(&web, &a.form).await?,
        org_type_label => unit.org_type_label(),
        editable => state.editable_by_unit(),
        printable => state.printable(),
        paper => registry_sites::track_of(&a) == govsite_core::site_application::Track::Paper,
        closed => state == SiteState::Closed,
        reason_label => govsite_core::site_application::reason_label(&a.reason_code),
        events => sites::events(&web.db, a.id).await?,
        office => crate::store::offices::of_region(&web.db, a.region_code).await?,
        application => a,
    })
}

/// The printed letter or form: both reviews must have passed.
async fn printed(
    web: &WebState,
    ctx: &Ctx,
    id: SiteApplicationId,
    letter: bool,
) -> Result<Response, AppError> {
    let unit = own_unit(web, ctx).await?;
    let a = owned(web, &unit, id).await?;
    if !a.site_state().printable() {
        return Err(AppError::Conflict(
            "申请通过编办初审和注册中心复审后才能打印申请函和申请表。".into(),
        ));
    }
    let office = match govsite_core::region::RegionCode::from_i64(unit.region_code) {
        Some(r) => match offices::find_by_region(&web.db, r).await? {
            Some(id) => offices::find(&web.db, id).await?.map(|o| o.name),
            None => None,
        },
        None => None,
    }
    .unwrap_or_else(|| "机构编制委员会办公室".to_owned());
    let domain = domain_name(web, &a.form).await?;
    let date = cst_date(web.now()).format("%Y年%-m月%-d日").to_string();
    let head = Letterhead {
        office: &office,
        domain: &domain,
        date: &date,
    };
    let markup = if letter {
        documents::letter_markup(&a, &head)
    } else {
        documents::form_markup(&a, &head)
    };
    let pdf = documents::render(markup).await?;
    let name = format!(
        "{}-{}.pdf",
        if letter { "letter" } else { "form" },
        a.reference.as_deref().unwrap_or("draft")
    );
    // The form carries the handler's full ID number: never cached.
    Ok(crate::web::pdf_response(&name, true, pdf))
}

async fn letter(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
) -> Result<Response, AppError> {
    printed(&web, &ctx, id, true).await
}

async fn form_pdf(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
) -> Result<Response, AppError> {
    printed(&web, &ctx, id, false).await
}

/// A closed application (its paper was returned) is copied into a new draft.
async fn copy(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteApplicationId>,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let a = owned(&web, &unit, id).await?;
    if a.site_state() != SiteState::Closed {
        return Err(AppError::Conflict(
            "只有已关闭的申请可以复制后重新申请。".into(),
        ));
    }
    let mut form = a.form.clone();
    fill_unit_block(&mut form, &unit);
    let id = registry_sites::create_draft(
        &web.db,
        unit.id,
        a.site_kind(),
        a.site_id,
        &form,
        Some(a.id),
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/portal/sites/applications/{id}/edit")).into_response())
}

/// A site with what its 标识管理 card shows.
#[derive(Serialize)]
struct BadgeView {
    site: Site,
    snippet: String,
    mount_days: u32,
    blue: bool,
}

async fn badges(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let notice = match q.notice.as_str() {
        "closed" => "网站已关闭，其标识已注销。",
        "filings" => "备案号已保存，核验页面即时显示。",
        _ => "",
    };
    badges_page(&web, &ctx, notice, None).await
}

/// What was typed in a site's filing form that came back with errors.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct FilingForm {
    icp_record: String,
    psb_record: String,
}

async fn badges_page(
    web: &WebState,
    ctx: &Ctx,
    notice: &str,
    failed: Option<(SiteId, &FilingForm, &FieldErrors)>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(web, ctx).await?;
    let blue = OrgType::parse(&unit.org_type) == Ok(OrgType::PublicInstitution);
    let mount_days = policy::mount_days(&web.db, unit.region_code).await?;
    let views: Vec<BadgeView> = sites::sites_of_unit(&web.db, unit.id)
        .await?
        .into_iter()
        .map(|site| BadgeView {
            snippet: registry_sites::snippet(&web.config.public_url, &site.badge_code, blue),
            site,
            mount_days,
            blue,
        })
        .collect();
    web.page(
        ctx,
        "portal/badges.html",
        context! {
            title => if failed.is_some() { "错误：标识管理" } else { "标识管理" },
            badges => views,
            notice => notice,
            failed_site => failed.map(|(id, _, _)| id),
            typed => failed.map(|(_, f, _)| f),
            errors => failed.map(|(_, _, e)| e),
        },
    )
}

/// 备案号: the unit records its site's ICP and public security filing numbers.
async fn set_filings(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let site = own_site(&web, &unit, id).await?;
    let f: FilingForm = form::parse(&body)?;
    let typed = (f.icp_record.as_str(), f.psb_record.as_str());
    match registry_sites::set_filings(&web.db, &actor(&ctx), &site, typed, web.now()).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/portal/sites/badges?notice=filings#site-{id}")).into_response(),
        ),
        Err(RegistryError::Form(errors)) => Ok((
            axum::http::StatusCode::BAD_REQUEST,
            badges_page(&web, &ctx, "", Some((id, &f, &errors))).await?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

async fn own_site(web: &WebState, unit: &UnitRecord, id: SiteId) -> Result<Site, AppError> {
    sites::find_site(&web.db, id)
        .await?
        .filter(|s| s.unit_id == unit.id)
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApplyForm {
    kind: String,
}

/// Starts a re-qualification or a change of a site that holds a badge, prefilled from what
/// was approved last; the code stays.
async fn apply_for_site(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let site = own_site(&web, &unit, id).await?;
    if site.closed_at.is_some() {
        return Err(AppError::Conflict(
            "该网站已关闭，不能再申请复核或变更。".into(),
        ));
    }
    let posted: ApplyForm = form::parse(&body)?;
    let kind = match posted.kind.as_str() {
        "requal" => SiteKind::Requalify,
        "change" => SiteKind::Change,
        _ => return Err(AppError::BadRequest("请选择申请复核或申请变更。")),
    };
    if let Some(r) = sites::open_for_site(&web.db, site.id, None).await? {
        return Err(AppError::Conflict(format!(
            "该网站已有正在办理的申请（{r}），请等待办结后再申请。"
        )));
    }
    let mut form = sites::latest_form_of_site(&web.db, site.id)
        .await?
        .unwrap_or_default();
    form.kind = kind.as_str().to_owned();
    form.site_name = site.name.clone();
    form.domain = if site.red_page {
        RED_PAGE.to_owned()
    } else {
        site.domain_ace.clone()
    };
    form.english_domain = site.english_domain.clone();
    form.ipv4 = site.ipv4.clone();
    form.ipv6 = site.ipv6.clone();
    form.intro = site.intro.clone();
    fill_unit_block(&mut form, &unit);
    let id = registry_sites::create_draft(
        &web.db,
        unit.id,
        kind,
        Some(site.id),
        &form,
        None,
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/portal/sites/applications/{id}/edit")).into_response())
}

async fn close_confirm(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteId>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let site = own_site(&web, &unit, id).await?;
    web.page(
        &ctx,
        "portal/site_close.html",
        context! {
            title => format!("关闭网站“{}”", site.name),
            site => site,
        },
    )
}

async fn close(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<SiteId>,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let site = own_site(&web, &unit, id).await?;
    registry_sites::close(&web.db, &actor(&ctx), &site, web.now()).await?;
    Ok(Redirect::to("/portal/sites/badges?notice=closed").into_response())
}
