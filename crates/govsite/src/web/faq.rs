//! 常见问题 (`/faq`): answered questions that an office or the registry published, anonymised,
//! for everyone; searched by words and category. Read-only and anonymous: no session, no
//! row written.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Html;
use axum::routing::get;
use govsite_core::question::Category;
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::error::AppError;
use super::form::Query;
use super::session::Ctx;
use crate::registry::questions::categories;
use crate::store::questions;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/faq", get(search))
        .route("/faq/{id}", get(entry))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchQuery {
    q: String,
    category: String,
}

async fn search(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(s): Query<SearchQuery>,
) -> Result<Html<String>, AppError> {
    // At most five words of at most 20 characters each.
    let words: Vec<String> =
        s.q.split_whitespace()
            .take(5)
            .map(|w| w.chars().take(20).collect())
            .collect();
    let category = Category::parse(&s.category);
    let entries = questions::faq_search(&web.db, &words, category).await?;
    web.page(
        &ctx,
        "faq.html",
        context! {
            title => "常见问题",
            entries => entries,
            q => s.q.chars().take(100).collect::<String>(),
            category => category.map_or("", Category::as_str),
            categories => categories(),
            searched => !words.is_empty() || category.is_some(),
        },
    )
}

async fn entry(
    State(web): State<WebState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Html<String>, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let entry = questions::faq_find(&web.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    web.page(
        &ctx,
        "faq_entry.html",
        context! { title => entry.title.clone(), entry => entry },
    )
}
