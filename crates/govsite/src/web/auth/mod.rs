//! Signing in and out, activation, password reset and change, and the TOTP second factor.

mod activation;
mod login;
mod password;
pub use password::send_reset_link;
mod totp;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use govsite_core::role::Role;

use super::WebState;
use super::error::AppError;
use super::session::{self, Ctx};
use crate::store::accounts::Account;
use crate::store::audit::Actor;
use crate::store::sessions;

pub fn routes() -> Router<WebState> {
    Router::new()
        .merge(login::routes())
        .merge(activation::routes())
        .merge(password::routes())
        .merge(totp::routes())
}

/// Where each role lands after signing in.
pub fn role_home(role: Role) -> &'static str {
    match role {
        Role::Unit => "/portal",
        Role::OfficeReviewer | Role::RegistryReviewer => "/console",
        Role::Finance => "/console/units",
        Role::Auditor => "/admin/audit",
        Role::Admin | Role::SecurityAdmin => "/admin/accounts",
    }
}

/// The audit actor of a request.
pub fn actor(ctx: &Ctx) -> Actor {
    Actor {
        id: ctx.user.as_ref().map(|u| u.id),
        label: ctx
            .user
            .as_ref()
            .map_or_else(|| "匿名".to_owned(), |u| u.username.clone()),
        ip: ctx.ip.clone(),
    }
}

/// Replaces the request's session by a new one for `account` (a new id at every sign-in, so a
/// session id planted before sign-in is worthless), then redirects to `to`.
pub async fn start_signed_in(
    web: &WebState,
    ctx: &Ctx,
    account: &Account,
    mfa_pending: bool,
    to: &str,
) -> Result<Response, AppError> {
    if let Some(old) = &ctx.session {
        sessions::delete(&web.db, old).await?;
    }
    let (id, _, _) = session::start(web, Some(account), mfa_pending).await?;
    let mut resp = Redirect::to(to).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session::session_cookie(web, Some(&id)));
    Ok(resp)
}
