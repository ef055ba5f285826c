//! 新用户注册: a unit registers itself, checks its answers, and gets an activation link by e-mail.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::FieldErrors;
use govsite_core::org_type::OrgType;
use govsite_core::region::RegionCode;
use govsite_core::unit::{UnitDetails, UnitForm};
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::auth::actor;
use super::error::AppError;
use super::form;
use super::region_choice::{self, Cascade, RegionChoice};
use super::session::Ctx;
use crate::auth::token;
use crate::registry::RegistryError;
use crate::store::accounts;
use crate::store::offices::Region;
use crate::store::{offices, throttle, units};

/// Registrations accepted from one address per hour.
const REGISTRATIONS_PER_HOUR: i64 = 10;
/// Registrations whose activation mail and SMS go to one e-mail address or mobile number, per
/// day: a stranger cannot make the platform flood someone's mailbox or phone (SMS pumping).
pub const REGISTRATIONS_PER_DESTINATION_PER_DAY: i64 = 3;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/register", get(show).post(submit))
        .route("/register/done", get(done))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RegisterForm {
    step: String,
    /// 「选择下一级」 was pressed: the form comes back with the next level's choices.
    region_next: String,
    region_province: String,
    region_city: String,
    region_county: String,
    #[serde(flatten)]
    unit: UnitForm,
}

impl RegisterForm {
    /// The region as chosen level by level; a form posted with `region_code` alone (the
    /// check page going back, a program) is shown at that code.
    fn region_choice(&self, regions: &[Region]) -> RegionChoice {
        let choice = RegionChoice {
            region_province: self.region_province.clone(),
            region_city: self.region_city.clone(),
            region_county: self.region_county.clone(),
        };
        if [
            &choice.region_province,
            &choice.region_city,
            &choice.region_county,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
        {
            RegionChoice::from_code(regions, &self.unit.region_code)
        } else {
            choice
        }
    }
}

pub fn org_types() -> Vec<(&'static str, &'static str)> {
    OrgType::ALL
        .iter()
        .map(|t| (t.as_str(), t.label()))
        .collect()
}

async fn form_page(
    web: &WebState,
    ctx: &Ctx,
    unit: &UnitForm,
    cascade: &Cascade,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>, AppError> {
    web.page(
        ctx,
        "register/form.html",
        context! {
            title => if errors.is_some() { "错误：新用户注册" } else { "新用户注册" },
            form => unit,
            errors => errors,
            cascade => cascade,
            org_types => org_types(),
        },
    )
}

async fn show(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let regions = region_choice::regions(&web).await?;
    let cascade = RegionChoice::default().cascade(&regions);
    form_page(&web, &ctx, &UnitForm::default(), &cascade, None).await
}

/// Checks the form, including what only the database knows: the region exists and the credit
/// code is not registered yet.
pub async fn check_unit(
    web: &WebState,
    unit: &UnitForm,
    own: Option<govsite_core::ids::UnitId>,
) -> Result<Result<UnitDetails, FieldErrors>, AppError> {
    let mut errors = match unit.parse() {
        Ok(details) => {
            let mut e = FieldErrors::new();
            if offices::region(&web.db, details.region).await?.is_none() {
                e.add("region_code", "请选择所在地区");
            }
            let taken = units::id_by_credit_code(&web.db, details.credit_code.as_str()).await?;
            if taken.is_some() && taken != own {
                e.add(
                    "credit_code",
                    "该统一社会信用代码已登记，请直接登录，或联系所属编办找回账号",
                );
            }
            if e.is_empty() {
                return Ok(Ok(details));
            }
            e
        }
        Err(e) => e,
    };
    // The region is checked even when other fields failed, so every error shows at once.
    if errors.get("region_code").is_none() && !unit.region_code.trim().is_empty() {
        let known = match RegionCode::parse(&unit.region_code) {
            Ok(code) => offices::region(&web.db, code).await?.is_some(),
            Err(_) => false,
        };
        if !known {
            errors.add("region_code", "请选择所在地区");
        }
    }
    Ok(Err(errors))
}

async fn submit(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let form: RegisterForm = form::parse(&body)?;
    let regions = region_choice::regions(&web).await?;
    let choice = form.region_choice(&regions);
    let cascade = choice.cascade(&regions);
    let mut unit = form.unit;
    if form.step == "edit" || !form.region_next.is_empty() {
        return Ok(form_page(&web, &ctx, &unit, &cascade, None)
            .await?
            .into_response());
    }
    // A county left over from another province: chosen again, never guessed.
    unit.region_code = choice.region(&regions).ok().flatten().unwrap_or_default();
    let details = match check_unit(&web, &unit, None).await? {
        Ok(details) => details,
        Err(errors) => {
            return Ok(form_page(&web, &ctx, &unit, &cascade, Some(&errors))
                .await?
                .into_response());
        }
    };
    if form.step != "confirm" {
        let region_path = offices::region_path(&web.db, i64::from(details.region.value())).await?;
        return Ok(web
            .page(
                &ctx,
                "register/check.html",
                context! {
                    title => "请核对注册信息",
                    form => unit,
                    org_type_label => details.org_type.label(),
                    suffix => details.org_type.suffix().label(),
                    region_path => region_path,
                },
            )?
            .into_response());
    }

    let now = web.now();
    if throttle::failures_since(
        &web.db,
        throttle::Scope::Registration,
        &ctx.limit_key,
        now - 3600,
    )
    .await?
        >= REGISTRATIONS_PER_HOUR
    {
        return Err(AppError::BadRequest(
            "该网络地址注册过于频繁，请1小时后再试。",
        ));
    }
    let destinations = [
        details.handler.email.as_str().to_lowercase(),
        details.handler.mobile.as_str().to_owned(),
    ];
    for d in &destinations {
        if throttle::failures_since(&web.db, throttle::Scope::Destination, d, now - 86_400).await?
            >= REGISTRATIONS_PER_DESTINATION_PER_DAY
        {
            return Err(AppError::TooMany(
                "该电子邮箱或手机号今天已多次用于注册，请明天再试，或联系所属编办。",
            ));
        }
    }
    let username = new_account_number(&web).await?;
    let registered = crate::registry::accounts::register_unit(
        &web.db,
        &actor(&ctx),
        &details,
        &username,
        &web.config.public_url,
        now,
    )
    .await;
    match registered {
        Ok(_) => {}
        Err(RegistryError::Form(errors)) => {
            return Ok(form_page(&web, &ctx, &unit, &cascade, Some(&errors))
                .await?
                .into_response());
        }
        Err(e) => return Err(e.into()),
    }
    throttle::record_failure(&web.db, throttle::Scope::Registration, &ctx.limit_key, now).await?;
    for d in &destinations {
        throttle::record_failure(&web.db, throttle::Scope::Destination, d, now).await?;
    }
    web.outbox_wake.notify_one();
    Ok(Redirect::to(&format!("/register/done?account={username}")).into_response())
}

/// An unused 8-digit account number in the style of the seed's accounts (4xxxxxxx).
async fn new_account_number(web: &WebState) -> Result<String, AppError> {
    for _ in 0..20 {
        let bytes =
            token::random_bytes::<4>().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let n = 40_000_000 + u32::from_le_bytes(bytes) % 10_000_000;
        let candidate = n.to_string();
        if accounts::find_by_username(&web.db, &candidate)
            .await?
            .is_none()
        {
            return Ok(candidate);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free account number after 20 tries"
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    account: String,
}

/// After a registration (post/redirect/get): the new account number. Nothing else about the
/// unit or its handler is shown, since anyone can open this address with any number.
async fn done(
    State(web): State<WebState>,
    ctx: Ctx,
    form::Query(q): form::Query<DoneQuery>,
) -> Result<Html<String>, AppError> {
    let username: String = q
        .account
        .chars()
        .filter(char::is_ascii_digit)
        .take(8)
        .collect();
    if username.len() != 8 {
        return Err(AppError::NotFound);
    }
    web.page(
        &ctx,
        "register/done.html",
        context! { title => "注册申请已提交", username => username },
    )
}
