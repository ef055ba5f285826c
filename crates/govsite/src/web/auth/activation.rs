//! One-time links: `/activate/{token}` sets the first password, `/password/reset/{token}` a new
//! one. Both pages work the same way; only the purpose and what follows differ.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::FieldErrors;
use govsite_core::password::check_new_password;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{actor, role_home, start_signed_in};
use crate::auth::{password, token};
use crate::registry::accounts as registry_accounts;
use crate::store::accounts::{self, Account};
use crate::store::tokens::{self, Purpose};
use crate::web::WebState;
use crate::web::error::AppError;
use crate::web::form::{self, PathText};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route(
            "/activate/{token}",
            get(show_activation).post(submit_activation),
        )
        .route(
            "/password/reset/{token}",
            get(show_reset).post(submit_reset),
        )
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct NewPasswordForm {
    pub password: String,
    pub confirm: String,
}

impl NewPasswordForm {
    /// Checks the rules and that both entries match.
    pub fn check(&self, username: &str) -> FieldErrors {
        let mut e = FieldErrors::new();
        if let Err(err) = check_new_password(&self.password, username) {
            e.add("password", err.to_string());
        } else if self.confirm != self.password {
            e.add("confirm", "两次输入的密码不一致，请重新输入确认密码");
        }
        e
    }
}

fn template(purpose: Purpose) -> (&'static str, &'static str) {
    match purpose {
        Purpose::Activation => ("auth/activate.html", "激活账号并设置密码"),
        Purpose::Reset => ("auth/reset.html", "设置新密码"),
    }
}

async fn live_account(
    web: &WebState,
    purpose: Purpose,
    raw: &str,
) -> Result<Option<Account>, AppError> {
    if !token::well_formed(raw) {
        return Ok(None);
    }
    match tokens::peek(&web.db, purpose, &token::hash_token(raw), web.now()).await? {
        Some(id) => Ok(accounts::find(&web.db, id).await?),
        None => Ok(None),
    }
}

fn expired(web: &WebState, ctx: &Ctx) -> Result<Html<String>, AppError> {
    web.page(ctx, "message.html", context! {
        title => "链接已失效",
        message => "此链接已使用、已过期或不完整。激活链接72小时内有效，重设密码链接1小时内有效，且都只能使用一次。请通过“忘记密码”重新获取，或联系所属编办重新发送。",
        link => "/password/forgot",
        link_text => "忘记密码",
    })
}

async fn show(
    web: WebState,
    ctx: Ctx,
    purpose: Purpose,
    raw: String,
) -> Result<Response, AppError> {
    let Some(account) = live_account(&web, purpose, &raw).await? else {
        return Ok(expired(&web, &ctx)?.into_response());
    };
    let (name, title) = template(purpose);
    Ok(web
        .page(
            &ctx,
            name,
            context! {
                title => title,
                account => account,
                token => raw,
                form => NewPasswordForm::default(),
            },
        )?
        .into_response())
}

async fn submit(
    web: WebState,
    ctx: Ctx,
    purpose: Purpose,
    raw: String,
    body: Bytes,
) -> Result<Response, AppError> {
    let form: NewPasswordForm = form::parse(&body)?;
    let Some(account) = live_account(&web, purpose, &raw).await? else {
        return Ok(expired(&web, &ctx)?.into_response());
    };
    let errors = form.check(&account.username);
    if !errors.is_empty() {
        let (name, title) = template(purpose);
        return Ok(web
            .page(
                &ctx,
                name,
                context! {
                    title => format!("错误：{title}"),
                    account => account,
                    token => raw,
                    form => NewPasswordForm::default(),
                    errors => errors,
                },
            )?
            .into_response());
    }
    let hash = password::hash_async(form.password.clone()).await?;
    let now = web.now();
    // Consuming the link is the guard: of two racing submissions only one finds it unused.
    let mut who = actor(&ctx);
    who.id = Some(account.id);
    who.label = account.username.clone();
    let hash_of_link = token::hash_token(&raw);
    if !registry_accounts::set_password_by_link(
        &web.db,
        &who,
        &account,
        purpose,
        &hash_of_link,
        &hash,
        now,
    )
    .await?
    {
        return Ok(expired(&web, &ctx)?.into_response());
    }

    match purpose {
        Purpose::Activation => {
            let account = accounts::find(&web.db, account.id)
                .await?
                .ok_or(AppError::NotFound)?;
            let mfa = account.totp_enabled();
            let to = if mfa {
                "/login/totp"
            } else {
                role_home(account.role)
            };
            start_signed_in(&web, &ctx, &account, mfa, to).await
        }
        Purpose::Reset => {
            // A reset ends the failed sign-ins counted against the account.
            crate::store::throttle::clear_account(&web.db, &account.username.to_lowercase())
                .await?;
            // Whoever held the old password was signed out everywhere by the decision.
            Ok(Redirect::to("/login?notice=reset").into_response())
        }
    }
}

async fn show_activation(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
) -> Result<Response, AppError> {
    show(web, ctx, Purpose::Activation, raw).await
}

async fn submit_activation(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
    body: Bytes,
) -> Result<Response, AppError> {
    submit(web, ctx, Purpose::Activation, raw, body).await
}

async fn show_reset(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
) -> Result<Response, AppError> {
    show(web, ctx, Purpose::Reset, raw).await
}

async fn submit_reset(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
    body: Bytes,
) -> Result<Response, AppError> {
    submit(web, ctx, Purpose::Reset, raw, body).await
}
