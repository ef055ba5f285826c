//! `/password/forgot` (a reset link by e-mail) and `/account/password` (修改密码).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::activation::NewPasswordForm;
use super::actor;
use crate::auth::password;
use crate::registry::accounts as registry_accounts;
use crate::store::accounts::{self, Account, AccountStatus};
use crate::store::throttle;
use crate::web::WebState;
use crate::web::error::AppError;
use crate::web::form::{self, Query};
use crate::web::session::Ctx;

const RESET_REQUESTS_PER_HOUR: i64 = 10;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/password/forgot", get(show_forgot).post(submit_forgot))
        .route("/account/password", get(show_change).post(submit_change))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct ForgotForm {
    username: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SentQuery {
    sent: String,
}

async fn show_forgot(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<SentQuery>,
) -> Result<Html<String>, AppError> {
    // After a request (post/redirect/get): the same answer whether or not the account exists.
    if q.sent == "1" {
        return web.page(&ctx, "message.html", context! {
            title => "请查收邮件",
            message => "如果该账号存在且已激活，重设密码的链接已发送至账号登记的电子邮箱，1小时内有效。没有收到？请检查垃圾邮件，或联系所属编办。",
            link => "/login",
            link_text => "返回登录",
        });
    }
    web.page(
        &ctx,
        "auth/forgot.html",
        context! { title => "忘记密码", form => ForgotForm::default() },
    )
}

/// Issues a reset link and queues the e-mail in one transaction. Used by the forgot-password
/// page and by administrators, who send links but never see or set passwords.
pub async fn send_reset_link(web: &WebState, ctx: &Ctx, account: &Account) -> Result<(), AppError> {
    registry_accounts::send_reset_link(&web.db, &actor(ctx), account, web.now()).await?;
    web.outbox_wake.notify_one();
    Ok(())
}

async fn submit_forgot(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let form: ForgotForm = form::parse(&body)?;
    let username = form.username.trim();
    if username.is_empty() {
        return Ok(web
            .page(
                &ctx,
                "auth/forgot.html",
                context! {
                    title => "错误：忘记密码",
                    form => form,
                    errors => [context! { field => "username", message => "请输入用户账号" }],
                },
            )?
            .into_response());
    }
    // Requests are counted per address, so the page cannot be used to flood a mailbox.
    let now = web.now();
    let recent = throttle::failures_since(
        &web.db,
        throttle::Scope::ResetRequest,
        &ctx.limit_key,
        now - 3600,
    )
    .await?;
    if recent < RESET_REQUESTS_PER_HOUR {
        throttle::record_failure(&web.db, throttle::Scope::ResetRequest, &ctx.limit_key, now)
            .await?;
        if let Some(account) = accounts::find_by_username(&web.db, username).await?
            && account.status == AccountStatus::Active
        {
            send_reset_link(&web, &ctx, &account).await?;
        }
    }
    Ok(Redirect::to("/password/forgot?sent=1").into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChangeForm {
    current: String,
    password: String,
    confirm: String,
}

#[derive(Deserialize)]
struct ChangeQuery {
    #[serde(default)]
    done: String,
}

async fn show_change(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ChangeQuery>,
) -> Result<Html<String>, AppError> {
    let user = ctx.user()?;
    web.page(
        &ctx,
        "auth/password.html",
        context! {
            title => "修改密码",
            forced => user.must_change_password,
            done => q.done == "1",
        },
    )
}

async fn submit_change(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = ctx.user()?.clone();
    let form: ChangeForm = form::parse(&body)?;
    // Guesses at the current password are counted like sign-in failures.
    let now = web.now();
    let key = user.id.to_string();
    let attempt =
        throttle::record_failure(&web.db, throttle::Scope::PasswordChange, &key, now).await?;
    if throttle::failures_since(&web.db, throttle::Scope::PasswordChange, &key, now - 900).await?
        > 5
    {
        return Err(AppError::BadRequest(
            "当前密码输入错误次数过多，请15分钟后再试。",
        ));
    }
    let current_ok =
        password::verify_async(form.current.clone(), user.password_hash.clone()).await?;
    if current_ok {
        throttle::forget(&web.db, attempt).await?;
    }
    let mut errors = if current_ok {
        govsite_core::FieldErrors::new()
    } else {
        let mut e = govsite_core::FieldErrors::new();
        e.add("current", "当前密码不正确");
        e
    };
    let new = NewPasswordForm {
        password: form.password.clone(),
        confirm: form.confirm.clone(),
    };
    for e in new.check(&user.username).iter() {
        errors.add(e.field.clone(), e.message.clone());
    }
    if current_ok && form.password == form.current && errors.is_empty() {
        errors.add("password", "新密码不能与当前密码相同");
    }
    if !errors.is_empty() {
        return Ok(web
            .page(
                &ctx,
                "auth/password.html",
                context! {
                    title => "错误：修改密码",
                    forced => user.must_change_password,
                    errors => errors,
                },
            )?
            .into_response());
    }
    let hash = password::hash_async(form.password.clone()).await?;
    let keep = ctx.session.as_deref();
    registry_accounts::change_password(&web.db, &actor(&ctx), &user, &hash, keep, now).await?;
    web.outbox_wake.notify_one();
    Ok(Redirect::to("/account/password?done=1").into_response())
}
