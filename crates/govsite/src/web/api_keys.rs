//! 接口密钥 (`/account/api-keys`): a signed-in account makes keys for the JSON API, sees each
//! one's scope, expiry and last use, and revokes them. A new key is shown once, on the page the
//! form redirects to, to the session that made it; afterwards only its first characters.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::FieldErrors;
use govsite_core::api_key::{self, KeyForm};
use govsite_core::ids::ApiKeyId;
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::auth::actor;
use super::error::AppError;
use super::form::{self, PathId, Query};
use super::session::Ctx;
use crate::registry::{RegistryError, api_keys as decide};
use crate::store::api_keys;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/account/api-keys", get(show).post(create))
        .route("/account/api-keys/{id}/revoke", post(revoke))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ShowQuery {
    created: String,
    done: String,
}

async fn view(
    web: &WebState,
    ctx: &Ctx,
    form: &KeyForm,
    errors: Option<&FieldErrors>,
    fresh: Option<(ApiKeyId, String)>,
    done: &str,
) -> Result<Html<String>, AppError> {
    let user = ctx.require(|r| !api_key::scopes_for(r).is_empty())?;
    let now = web.now();
    let keys: Vec<_> = api_keys::of_account(&web.db, user.id)
        .await?
        .into_iter()
        .map(|k| {
            let live = k.live(now);
            context! { key => k, live => live }
        })
        .collect();
    let scopes: Vec<(&str, &str)> = api_key::scopes_for(user.role)
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect();
    web.page(
        ctx,
        "account/api_keys.html",
        context! {
            title => if errors.is_some() { "错误：接口密钥" } else { "接口密钥" },
            form => form,
            errors => errors,
            keys => keys,
            scopes => scopes,
            fresh => fresh.map(|(id, key)| context! { id => id, key => key }),
            done => done,
            max_days => api_key::MAX_DAYS,
            default_days => api_key::DEFAULT_DAYS,
            public_url => web.config.public_url.clone(),
        },
    )
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    ctx.require(|r| !api_key::scopes_for(r).is_empty())?;
    // The new key, once: the row's sealed copy is cleared as it is read.
    let fresh = match (q.created.parse::<ApiKeyId>(), ctx.session.as_deref()) {
        (Ok(id), Some(session)) => decide::reveal(&web.db, id, session)
            .await?
            .map(|key| (id, key)),
        _ => None,
    };
    let done = if q.done == "revoked" {
        "revoked"
    } else if !q.created.is_empty() && fresh.is_none() {
        "gone"
    } else {
        ""
    };
    view(&web, &ctx, &KeyForm::default(), None, fresh, done).await
}

async fn create(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let user = ctx.require(|r| !api_key::scopes_for(r).is_empty())?;
    let typed: KeyForm = form::parse(&body)?;
    let errors = match typed.check(user.role) {
        Ok(new) => {
            let session = ctx.session.as_deref();
            match decide::create(&web.db, &actor(&ctx), user, &new, session, web.now()).await {
                Ok(made) => {
                    let to = format!("/account/api-keys?created={}", made.id);
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(RegistryError::Refused(m)) => {
                    let mut errors = FieldErrors::new();
                    errors.add("label", m);
                    errors
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    let page = view(&web, &ctx, &typed, Some(&errors), None, "").await?;
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

async fn revoke(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<ApiKeyId>,
) -> Result<Response, AppError> {
    let user = ctx.require(|r| !api_key::scopes_for(r).is_empty())?;
    match decide::revoke(&web.db, &actor(&ctx), user, id, web.now()).await {
        Ok(()) => Ok(Redirect::to("/account/api-keys?done=revoked").into_response()),
        Err(RegistryError::Refused(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}
