//! 域名查询 (`/lookup`): anyone types a name under .政务 or .公益, in Chinese or in its
//! xn-- form, and sees whether it is registered, its state and dates, the unit holding it,
//! and the websites opened under it with their badges. The same public facts as RDAP.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use govsite_core::domain_name::DomainName;
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::error::AppError;
use super::form::Query;
use super::session::Ctx;
use crate::store::units::{self, Scope};
use crate::store::{domains, sites};

pub fn routes() -> Router<WebState> {
    Router::new().route("/lookup", get(lookup))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LookupQuery {
    name: String,
}

/// The name as typed, read in either form under one of our zones, or why not.
fn read(typed: &str) -> Result<DomainName, &'static str> {
    let lower = super::rdap::normalise(typed);
    let Some((suffix, _)) = super::rdap::zone_of(&lower) else {
        return Err("请输入以 .政务 或 .公益 结尾的完整域名，例如 靖远县人民政府.政务");
    };
    DomainName::parse(&lower, suffix)
        .map_err(|_| "该域名不符合 .政务 / .公益 的命名规则，请核对输入")
}

async fn lookup(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<LookupQuery>,
) -> Result<Response, AppError> {
    let typed: String = q.name.trim().chars().take(100).collect();
    let mut error = None;
    let mut found = None;
    let mut searched = None;
    if !typed.is_empty() {
        match read(&typed) {
            Err(e) => error = Some(e),
            Ok(name) => {
                searched = Some(context! { unicode => name.unicode(), ace => name.ace() });
                if let Some(d) = domains::by_ace(&web.db, &name.ace()).await? {
                    let unit = units::summary_of(&web.db, d.unit_id, Scope::All).await?;
                    let on_it: Vec<_> = sites::sites_of_unit(&web.db, d.unit_id)
                        .await?
                        .into_iter()
                        .filter(|s| s.domain_ace == d.ace && s.closed_at.is_none())
                        .collect();
                    found = Some(context! {
                        domain => d,
                        unicode => d.unicode(),
                        unit => unit,
                        sites => on_it,
                    });
                }
            }
        }
    }
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page: Html<String> = web.page(
        &ctx,
        "lookup.html",
        context! {
            title => if error.is_some() { "错误：域名查询" } else { "域名查询" },
            name => typed,
            error => error,
            searched => searched,
            found => found,
        },
    )?;
    Ok((status, page).into_response())
}
