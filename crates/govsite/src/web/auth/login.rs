//! `/login`, `/login/totp`, `/logout`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{actor, role_home, start_signed_in};
use crate::auth::password;
use crate::store::accounts::{self, AccountStatus};
use crate::store::audit::{self, Event};
use crate::store::{sessions, throttle};
use crate::web::WebState;
use crate::web::captcha;
use crate::web::error::AppError;
use crate::web::form::{self, Query, safe_next};
use crate::web::session::{self, Ctx};

/// Failed sign-ins for one account, from anyone, after which the captcha is required. The
/// account is never locked: its owner signs in with the captcha (GB/T 22239's 「限制非法登录
/// 次数」 without handing strangers a lock).
pub const CAPTCHA_AFTER: i64 = 3;
/// Failed sign-ins for one account from one client before that client waits out the window.
pub const CLIENT_LIMIT: i64 = 5;
/// At this many failures within the window the account's holder is told, once.
pub const NOTIFY_AT: i64 = 5;
/// Second-factor codes tried for one account (after its password) within the window.
pub const TOTP_LIMIT: i64 = 5;
/// Failed sign-ins from one client address, over all accounts.
pub const IP_LIMIT: i64 = 30;
pub const WINDOW_SECONDS: i64 = 15 * 60;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/login", get(show).post(submit))
        .route("/login/totp", get(show_totp).post(submit_totp))
        .route("/logout", post(logout))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: String,
    /// The image challenge and its answer, when the captcha is required.
    captcha_token: String,
    captcha: String,
    /// The text challenge (for screen readers) and its answer: either one may be answered.
    captcha_text_token: String,
    captcha_text: String,
}

#[derive(Deserialize)]
struct LoginQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    notice: String,
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    if let Some(user) = ctx.user.as_ref().filter(|_| !ctx.mfa_pending) {
        return Ok(Redirect::to(role_home(user.role)).into_response());
    }
    let notice = match q.notice.as_str() {
        "reset" => "密码已重设，请使用新密码登录。",
        "signed_out" => "您已安全退出。",
        _ => "",
    };
    Ok(web
        .page(
            &ctx,
            "auth/login.html",
            context! {
                title => "登录",
                form => LoginForm { next: q.next, ..LoginForm::default() },
                notice => notice,
            },
        )?
        .into_response())
}

/// The sign-in page again with `message`: the user name and where to go next kept, never the
/// password; with fresh challenges (an image and its text alternative) when the account needs
/// the captcha.
async fn login_error(
    web: &WebState,
    ctx: &Ctx,
    form: &LoginForm,
    message: &str,
    captcha: bool,
) -> Result<Response, AppError> {
    let challenges = if captcha {
        Some(context! {
            image => captcha::issue(web, false).await?,
            text => captcha::issue(web, true).await?,
        })
    } else {
        None
    };
    Ok(web
        .page(
            ctx,
            "auth/login.html",
            context! {
                title => "错误：登录",
                form => context! { username => form.username, next => form.next },
                error => message,
                captcha => challenges,
            },
        )?
        .into_response())
}

async fn submit(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let form: LoginForm = form::parse(&body)?;
    let username = form.username.trim().to_owned();
    if username.is_empty() || form.password.is_empty() {
        return login_error(&web, &ctx, &form, "请输入用户账号和密码", false).await;
    }
    let now = web.now();
    let since = now - WINDOW_SECONDS;
    let account_key = username.to_lowercase();
    let client_key = throttle::account_client_key(&account_key, &ctx.limit_key);
    // Earlier failures decide whether this attempt needs the captcha.
    let earlier =
        throttle::failures_since(&web.db, throttle::Scope::Account, &account_key, since).await?;
    let needs_captcha = earlier >= CAPTCHA_AFTER;
    // Count this attempt first: parallel guesses then see each other and stop at the limit.
    let ip_attempt =
        throttle::record_failure(&web.db, throttle::Scope::Ip, &ctx.limit_key, now).await?;
    if throttle::failures_since(&web.db, throttle::Scope::Ip, &ctx.limit_key, since).await?
        > IP_LIMIT
    {
        return login_error(
            &web,
            &ctx,
            &form,
            "该网络地址登录失败次数过多，请15分钟后再试。",
            needs_captcha,
        )
        .await;
    }
    let client_attempt =
        throttle::record_failure(&web.db, throttle::Scope::AccountClient, &client_key, now).await?;
    if throttle::failures_since(&web.db, throttle::Scope::AccountClient, &client_key, since).await?
        > CLIENT_LIMIT
    {
        return login_error(
            &web,
            &ctx,
            &form,
            "本设备登录该账号失败次数过多，请15分钟后再试，或通过“忘记密码”重设密码。",
            needs_captcha,
        )
        .await;
    }
    if needs_captcha {
        let (token, answer) = if form.captcha_text.trim().is_empty() {
            (&form.captcha_token, &form.captcha)
        } else {
            (&form.captcha_text_token, &form.captcha_text)
        };
        if !captcha::verify(&web, &ctx, token, answer).await? {
            // No password was tried: the account and this client are not charged for it.
            throttle::forget(&web.db, client_attempt).await?;
            let message = if answer.trim().is_empty() {
                "该账号近期多次登录失败，请填写验证码后再登录"
            } else {
                "验证码不正确，请重新计算"
            };
            return login_error(&web, &ctx, &form, message, true).await;
        }
    }
    let account_attempt =
        throttle::record_failure(&web.db, throttle::Scope::Account, &account_key, now).await?;

    let account = accounts::find_by_username(&web.db, &username).await?;
    let hash = account
        .as_ref()
        .filter(|a| a.status != AccountStatus::Pending)
        .and_then(|a| a.password_hash.clone());
    let verified = password::verify_async(form.password.clone(), hash).await?;

    let account = match account {
        Some(account) if verified => account,
        holder => {
            let event = Event {
                action: "sign_in_failed",
                subject_type: "account",
                subject_id: username.chars().take(64).collect(),
                ..Event::default()
            };
            audit::record_alone(&web.db, &actor(&ctx), &event, now).await?;
            let failures = earlier + 1;
            if failures == NOTIFY_AT
                && let Some(holder) = &holder
            {
                crate::registry::accounts::warn_of_failed_sign_ins(
                    &web.db,
                    &actor(&ctx),
                    holder,
                    failures,
                    now,
                )
                .await?;
                web.outbox_wake.notify_one();
            }
            return login_error(
                &web,
                &ctx,
                &form,
                "用户账号或密码不正确",
                failures >= CAPTCHA_AFTER,
            )
            .await;
        }
    };
    // A right password is not a failure: neither for the address nor the account.
    throttle::forget(&web.db, ip_attempt).await?;
    throttle::forget(&web.db, account_attempt).await?;
    throttle::forget(&web.db, client_attempt).await?;
    if account.status == AccountStatus::Disabled {
        return login_error(
            &web,
            &ctx,
            &form,
            "该账号已停用，请联系所属编办或注册管理中心。",
            false,
        )
        .await;
    }
    throttle::clear_account(&web.db, &account_key).await?;
    let mut who = actor(&ctx);
    who.id = Some(account.id);
    who.label = account.username.clone();
    let event = Event {
        action: if account.totp_enabled() {
            "sign_in_password_ok"
        } else {
            "sign_in"
        },
        subject_type: "account",
        subject_id: account.id.to_string(),
        ..Event::default()
    };
    audit::record_alone(&web.db, &who, &event, now).await?;
    let to = if account.totp_enabled() {
        "/login/totp".to_owned()
    } else if form.next.is_empty() {
        role_home(account.role).to_owned()
    } else {
        safe_next(&form.next).to_owned()
    };
    start_signed_in(&web, &ctx, &account, account.totp_enabled(), &to).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TotpForm {
    code: String,
}

async fn show_totp(State(web): State<WebState>, ctx: Ctx) -> Result<Response, AppError> {
    if ctx.user.is_none() || !ctx.mfa_pending {
        return Ok(Redirect::to("/login").into_response());
    }
    Ok(web
        .page(
            &ctx,
            "auth/login_totp.html",
            context! { title => "两步验证" },
        )?
        .into_response())
}

async fn submit_totp(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let (Some(account), Some(session_hash)) = (
        ctx.user.clone().filter(|_| ctx.mfa_pending),
        ctx.session.clone(),
    ) else {
        return Ok(Redirect::to("/login").into_response());
    };
    let form: TotpForm = form::parse(&body)?;
    let now = web.now();
    // Codes are counted apart from passwords, first, and a right password never resets them.
    let key = account.username.to_lowercase();
    let attempt = throttle::record_failure(&web.db, throttle::Scope::Totp, &key, now).await?;
    let locked =
        throttle::failures_since(&web.db, throttle::Scope::Totp, &key, now - WINDOW_SECONDS)
            .await?
            > TOTP_LIMIT;
    let secret = match account.totp_secret.as_deref() {
        Some(stored) => Some(crate::store::secrets::open_totp(
            &web.db, account.id, stored,
        )?),
        None => None,
    };
    let secret = secret
        .as_deref()
        .and_then(govsite_core::totp::decode_secret);
    let step = secret
        .and_then(|s| govsite_core::totp::verify(&s, &form.code, now, account.totp_last_step));
    let accepted = match step {
        Some(step) if !locked => accounts::consume_totp_step(&web.db, account.id, step).await?,
        _ => false,
    };
    if !accepted {
        let message = if locked {
            "验证失败次数过多，请15分钟后再试。"
        } else {
            "验证码不正确或已使用，请输入验证器中当前显示的6位数字"
        };
        return Ok(web
            .page(
                &ctx,
                "auth/login_totp.html",
                context! { title => "错误：两步验证", error => message },
            )?
            .into_response());
    }
    throttle::forget(&web.db, attempt).await?;
    throttle::clear(&web.db, throttle::Scope::Totp, &key).await?;
    sessions::clear_mfa(&web.db, &session_hash).await?;
    let mut who = actor(&ctx);
    who.id = Some(account.id);
    let event = Event {
        action: "sign_in",
        subject_type: "account",
        subject_id: account.id.to_string(),
        reason: "totp",
        ..Event::default()
    };
    audit::record_alone(&web.db, &who, &event, now).await?;
    // A new session id for the fully signed-in state, as at the password step.
    start_signed_in(&web, &ctx, &account, false, role_home(account.role)).await
}

async fn logout(State(web): State<WebState>, ctx: Ctx) -> Result<Response, AppError> {
    if let Some(hash) = &ctx.session {
        sessions::delete(&web.db, hash).await?;
    }
    if let Some(user) = &ctx.user {
        let event = Event {
            action: "sign_out",
            subject_type: "account",
            subject_id: user.id.to_string(),
            ..Event::default()
        };
        audit::record_alone(&web.db, &actor(&ctx), &event, web.now()).await?;
    }
    let mut resp = Redirect::to("/login?notice=signed_out").into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session::session_cookie(&web, None));
    Ok(resp)
}
