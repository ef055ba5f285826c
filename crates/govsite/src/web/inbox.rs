//! 消息中心 (`/messages`): every notice the signed-in person was sent, newest first, read or
//! unread; opening one marks it read. Any role; each person sees only their own.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::error::AppError;
use super::form::Query;
use super::session::Ctx;
use crate::store::inbox;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/messages", get(list))
        .route("/messages/read-all", post(read_all))
        .route("/messages/{id}", get(show))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    unread: String,
    before: String,
    done: String,
}

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let user = ctx.user()?;
    let unread_only = q.unread == "1";
    let before = q.before.parse::<i64>().ok().filter(|b| *b > 0);
    let mut items = inbox::list(&web.db, user.id, before, unread_only).await?;
    let older = (items.len() as i64 > inbox::PER_PAGE).then(|| {
        items.truncate(inbox::PER_PAGE as usize);
        items.last().map_or(0, |i| i.id)
    });
    web.page(
        &ctx,
        "inbox.html",
        context! {
            title => "消息中心",
            items => items,
            unread_only => unread_only,
            older => older,
            first_page => before.is_none(),
            done => q.done == "all_read",
        },
    )
}

async fn show(
    State(web): State<WebState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let item = inbox::find(&web.db, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !item.read {
        inbox::mark_read(&web.db, user.id, Some(id), web.now()).await?;
        // The header was read before the notice was opened.
        ctx.header.unread = (ctx.header.unread - 1).max(0);
    }
    Ok(web
        .page(
            &ctx,
            "inbox_item.html",
            context! { title => item.subject.clone(), item => item },
        )?
        .into_response())
}

async fn read_all(State(web): State<WebState>, ctx: Ctx) -> Result<Response, AppError> {
    let user = ctx.user()?;
    inbox::mark_read(&web.db, user.id, None, web.now()).await?;
    Ok(Redirect::to("/messages?done=all_read").into_response())
}
