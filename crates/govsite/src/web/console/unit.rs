//! One unit in the console: its details with contacts masked (「显示完整」 reveals one for
//! the person who asks, audited), its accounts, names, applications, sites and badges, red
//! page, balance, and the timeline of its audited events.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use govsite_core::ids::UnitId;
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use super::unit_scope;
use crate::store::{
    accounts, applications, audit, contact_reveals, domains, ledger, offices, red_pages, sites,
    units,
};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId};
use crate::web::session::Ctx;

/// A unit in the console: its details with contacts masked (「显示完整」 reveals one, audited),
/// accounts, names, applications, sites and badges, red page, balance, and the timeline of
/// its audited events.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ShowQuery {
    done: String,
}

const DONE: [(&str, &str); 8] = [
    (
        "merged",
        "已办理合并：该单位的域名、申请、网站和余额已转入并入单位，账号已停用，并入单位已收到通知。",
    ),
    (
        "abolished",
        "已办理撤销：该单位的域名已停止解析，网站标识已注销，账号已停用；余额待财务退款。",
    ),
    ("corrected", "单位信息已更正，更正原因已记入操作记录。"),
    ("confirmed", "已确认该单位，并以短信和邮件通知其经办人。"),
    (
        "invited",
        "已重新发送激活邀请（一次性链接），此前的链接失效。",
    ),
    ("reset", "已发送重设密码链接到账号登记的电子邮箱。"),
    ("disabled", "账号已停用，其登录会话已结束。"),
    ("enabled", "账号已启用。"),
];

pub(super) async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
    crate::web::form::Query(q): crate::web::form::Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let user = ctx.require(Role::sees_units)?;
    let (scope, _) = unit_scope(&web, user).await?;
    let unit = units::find(&web.db, id, scope)
        .await?
        .ok_or(AppError::NotFound)?;
    let region_path = offices::region_path(&web.db, unit.region_code).await?;
    let unit_accounts = accounts::of_unit(&web.db, unit.id).await?;
    let since = web.now() - crate::registry::contacts::REVEAL_SECONDS;
    let revealed = contact_reveals::since(&web.db, user.id, unit.id, since).await?;
    web.page(
        &ctx,
        "console/unit.html",
        context! {
            title => unit.form.name.clone(),
            org_type_label => unit.org_type_label(),
            suffix => unit.suffix_label(),
            region_path => region_path,
            accounts => unit_accounts,
            revealed => revealed,
            can_reveal => true,
            done => DONE.iter().find(|(k, _)| *k == q.done).map(|(_, t)| *t),
            // A merged or abolished unit is history: nothing is done to it any more.
            manages_accounts => matches!(user.role, Role::OfficeReviewer | Role::RegistryReviewer | Role::Admin)
                && unit.status == govsite_core::reorganisation::UnitStatus::Active,
            reviewer => matches!(user.role, Role::OfficeReviewer | Role::RegistryReviewer),
            names => domains::of_unit(&web.db, unit.id).await?,
            applications => applications::of_unit(&web.db, unit.id).await?,
            sites => sites::sites_of_unit(&web.db, unit.id).await?,
            red_page => red_pages::find(&web.db, unit.id).await?,
            balance => ledger::balance(&web.db, unit.id).await?.to_string(),
            timeline => audit::unit_timeline(&web.db, unit.id, 50).await?,
            successor => super::reorganise::successor_of(&web, &unit).await?,
            active => unit.status == govsite_core::reorganisation::UnitStatus::Active,
            unit => unit,
        },
    )
}

#[derive(Deserialize)]
struct RevealForm {
    #[serde(default)]
    field: String,
}

/// 「显示完整」: one contact of one unit, for this person, audited; then back to the unit.
pub(super) async fn reveal(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = ctx.require(Role::sees_units)?;
    let (scope, _) = unit_scope(&web, user).await?;
    let unit = units::find(&web.db, id, scope)
        .await?
        .ok_or(AppError::NotFound)?;
    let posted: RevealForm = form::parse(&body)?;
    crate::registry::contacts::reveal(
        &web.db,
        &actor(&ctx),
        user.id,
        unit.id,
        &posted.field,
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/units/{}#contacts", unit.id)).into_response())
}

#[derive(Deserialize)]
struct AccountAction {
    #[serde(default)]
    action: String,
}

/// What the office does for one of its units' accounts: resend the invitation (a pending
/// account), send a reset link, disable or enable. Staff never see or set a password.
pub(super) async fn account_action(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path((unit_id, account_id)): axum::extract::Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = ctx.require(|r| {
        matches!(
            r,
            Role::OfficeReviewer | Role::RegistryReviewer | Role::Admin
        )
    })?;
    let (scope, _) = unit_scope(&web, user).await?;
    let unit_id: UnitId = unit_id.parse().map_err(|_| AppError::NotFound)?;
    let account_id: govsite_core::ids::AccountId =
        account_id.parse().map_err(|_| AppError::NotFound)?;
    let unit = units::find(&web.db, unit_id, scope)
        .await?
        .ok_or(AppError::NotFound)?;
    let account = accounts::find(&web.db, account_id)
        .await?
        .filter(|a| a.unit_id == Some(unit.id) && a.role == Role::Unit)
        .ok_or(AppError::NotFound)?;
    let posted: AccountAction = form::parse(&body)?;
    let who = actor(&ctx);
    use crate::registry::accounts::{self as decide, AccountChange};
    let done = match posted.action.as_str() {
        "invite" => {
            decide::resend_invitation(&web.db, &who, &account, web.now()).await?;
            "invited"
        }
        "reset" => {
            decide::send_reset_link(&web.db, &who, &account, web.now()).await?;
            "reset"
        }
        "disable" => {
            let reason = "编办停用单位账号";
            decide::change_account(
                &web.db,
                &who,
                &account,
                AccountChange::Disable,
                reason,
                web.now(),
            )
            .await?;
            "disabled"
        }
        "enable" => {
            let reason = "编办启用单位账号";
            decide::change_account(
                &web.db,
                &who,
                &account,
                AccountChange::Enable,
                reason,
                web.now(),
            )
            .await?;
            "enabled"
        }
        _ => return Err(AppError::BadRequest("请选择要进行的操作。")),
    };
    web.outbox_wake.notify_one();
    Ok(Redirect::to(&format!("/console/units/{}?done={done}#accounts", unit.id)).into_response())
}

/// The office (or the registry) confirms a self-registered unit.
pub(super) async fn confirm(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
) -> Result<Response, AppError> {
    let user = ctx.require(|r| {
        matches!(
            r,
            Role::OfficeReviewer | Role::RegistryReviewer | Role::Admin
        )
    })?;
    let (scope, _) = unit_scope(&web, user).await?;
    let unit = units::find(&web.db, id, scope)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::registry::accounts::confirm_unit(&web.db, &actor(&ctx), unit.id, web.now()).await?;
    web.outbox_wake.notify_one();
    Ok(Redirect::to(&format!("/console/units/{}?done=confirmed", unit.id)).into_response())
}

#[derive(Deserialize, Default, serde::Serialize)]
#[serde(default)]
struct CorrectForm {
    name: String,
    credit_code: String,
    org_type: String,
    region_code: String,
    reason: String,
}

async fn correct_page(
    web: &WebState,
    ctx: &Ctx,
    unit: &crate::store::units::UnitRecord,
    form: &CorrectForm,
    errors: Option<&govsite_core::FieldErrors>,
) -> Result<Html<String>, AppError> {
    web.page(
        ctx,
        "console/unit_correct.html",
        context! {
            title => if errors.is_some() { "错误：更正单位信息" } else { "更正单位信息" },
            unit => unit,
            form => form,
            errors => errors,
            org_types => crate::web::register::org_types(),
        },
    )
}

/// The unit `id` for someone who may correct it: an office for its own region, the registry
/// or an administrator for any.
pub(super) async fn correctable(
    web: &WebState,
    ctx: &Ctx,
    id: UnitId,
) -> Result<(crate::store::units::UnitRecord, units::Scope), AppError> {
    let user = ctx.require(|r| {
        matches!(
            r,
            Role::OfficeReviewer | Role::RegistryReviewer | Role::Admin
        )
    })?;
    let (scope, _) = unit_scope(web, user).await?;
    let unit = units::find(&web.db, id, scope)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((unit, scope))
}

pub(super) async fn correct_form(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
) -> Result<Html<String>, AppError> {
    let (unit, _) = correctable(&web, &ctx, id).await?;
    let form = CorrectForm {
        name: unit.form.name.clone(),
        credit_code: unit.form.credit_code.clone(),
        org_type: unit.form.org_type.clone(),
        region_code: unit.form.region_code.clone(),
        reason: String::new(),
    };
    correct_page(&web, &ctx, &unit, &form, None).await
}

pub(super) async fn correct(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (unit, scope) = correctable(&web, &ctx, id).await?;
    let posted: CorrectForm = form::parse(&body)?;
    let mut merged = unit.form.clone();
    merged.name = posted.name.clone();
    merged.credit_code = posted.credit_code.clone();
    merged.org_type = posted.org_type.clone();
    merged.region_code = posted.region_code.clone();
    let details = match crate::web::register::check_unit(&web, &merged, Some(unit.id)).await? {
        Ok(d) => d,
        Err(errors) => {
            return Ok(correct_page(&web, &ctx, &unit, &posted, Some(&errors))
                .await?
                .into_response());
        }
    };
    // An office keeps its units in its own region; moving a unit elsewhere is the registry's.
    if let units::Scope::Region(r) = scope
        && i64::from(details.region.value()) != r
    {
        let mut e = govsite_core::FieldErrors::new();
        e.add(
            "region_code",
            "只能更正为本编办所辖地区；迁往其他地区请联系注册管理中心",
        );
        return Ok(correct_page(&web, &ctx, &unit, &posted, Some(&e))
            .await?
            .into_response());
    }
    match crate::registry::accounts::correct_unit(
        &web.db,
        &actor(&ctx),
        unit.id,
        &unit.form,
        &details,
        &posted.reason,
        web.now(),
    )
    .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/console/units/{}?done=corrected", unit.id)).into_response())
        }
        Err(crate::registry::RegistryError::Form(errors)) => {
            Ok(correct_page(&web, &ctx, &unit, &posted, Some(&errors))
                .await?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
