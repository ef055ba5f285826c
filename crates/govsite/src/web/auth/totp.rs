//! `/account/totp`: enrolling in, or leaving, the TOTP second factor.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::totp;
use minijinja::context;
use serde::Deserialize;

use super::actor;
use crate::auth::token::random_bytes;
use crate::registry::accounts as registry_accounts;
use crate::store::accounts::Account;
use crate::web::WebState;
use crate::web::error::AppError;
use crate::web::form;
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new().route("/account/totp", get(show).post(submit))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TotpForm {
    action: String,
    secret: String,
    code: String,
}

fn enrolment_page(
    web: &WebState,
    ctx: &Ctx,
    user: &Account,
    secret: &[u8],
    error: Option<&str>,
) -> Result<Html<String>, AppError> {
    let required = user.totp_required || (user.role.is_staff() && web.config.staff_totp);
    web.page(
        ctx,
        "auth/totp.html",
        context! {
            title => if error.is_some() { "错误：两步验证" } else { "两步验证" },
            enabled => false,
            required => required,
            secret => totp::encode_secret(secret),
            uri => totp::provisioning_uri("govsite", &user.username, secret),
            error => error,
        },
    )
}

async fn show(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let user = ctx.user()?;
    if user.totp_enabled() {
        let required = user.totp_required || (user.role.is_staff() && web.config.staff_totp);
        return web.page(
            &ctx,
            "auth/totp.html",
            context! { title => "两步验证", enabled => true, required => required },
        );
    }
    let secret = random_bytes::<20>().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    enrolment_page(&web, &ctx, user, &secret, None)
}

async fn submit(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let user = ctx.user()?.clone();
    let form: TotpForm = form::parse(&body)?;
    let now = web.now();
    let required = user.totp_required || (user.role.is_staff() && web.config.staff_totp);
    let (secret, step, action) = match form.action.as_str() {
        "disable" if user.totp_enabled() && !required => {
            // Turning the factor off needs the factor: a stolen session alone cannot do it.
            let stored = user.totp_secret.as_deref().unwrap_or_default();
            let secret = crate::store::secrets::open_totp(&web.db, user.id, stored)?;
            let secret = totp::decode_secret(&secret)
                .filter(|s| !s.is_empty())
                .ok_or(AppError::BadRequest(
                    "两步验证密钥无效，请重新开启两步验证。",
                ))?;
            let Some(step) = totp::verify(&secret, &form.code, now, user.totp_last_step) else {
                return Err(AppError::BadRequest(
                    "验证码不正确，未关闭两步验证。请输入验证器中当前显示的6位数字。",
                ));
            };
            (None, Some(step), "totp_disabled")
        }
        "enable" if !user.totp_enabled() => {
            let Some(secret) = totp::decode_secret(&form.secret).filter(|s| s.len() >= 16) else {
                return Err(AppError::BadRequest(
                    "两步验证密钥无效，请刷新页面重新开始。",
                ));
            };
            let Some(step) = totp::verify(&secret, &form.code, now, None) else {
                return Ok(enrolment_page(
                    &web,
                    &ctx,
                    &user,
                    &secret,
                    Some("验证码不正确，请输入验证器中当前显示的6位数字"),
                )?
                .into_response());
            };
            (
                Some(totp::encode_secret(&secret)),
                Some(step),
                "totp_enabled",
            )
        }
        _ => return Err(AppError::BadRequest("无法完成该操作，请刷新页面后重试。")),
    };
    registry_accounts::set_totp(
        &web.db,
        &actor(&ctx),
        user.id,
        secret.as_deref(),
        step,
        action,
        now,
    )
    .await?;
    Ok(Redirect::to("/account/totp").into_response())
}
