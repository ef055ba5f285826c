//! The JSON API (`/api/v1`) for offices' own tools and integrators, documented by the OpenAPI
//! document the code generates ([`doc`]).
//!
//! Every request carries `Authorization: Bearer gsk_…`, an API key of one account; it acts with
//! that account's role and jurisdiction (a unit its own records, an office its region, the
//! registry everything) and its key's scope, through the same store readers and registry
//! decisions as the web pages. Cookies mean nothing here, so there is no CSRF to forge.
//! Errors are RFC 9457 problem details with stable codes ([`problem`]).

mod caller;
mod campaigns;
mod cursor;
mod decisions;
pub mod doc;
mod problem;
mod rate;
mod resources;

use axum::Router;

pub use caller::Caller;
pub use problem::Problem;
pub use rate::RateLimiter;

use super::WebState;

/// Largest page a list returns, and the default.
pub const MAX_LIMIT: u32 = 100;
pub const DEFAULT_LIMIT: u32 = 20;

/// A list's `limit`: empty for the default, else 1 to [`MAX_LIMIT`].
fn page_size(raw: &str) -> Result<u32, Problem> {
    match raw.trim() {
        "" => Ok(DEFAULT_LIMIT),
        n => n
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| Problem::parameter(format!("limit 应为 1 至 {MAX_LIMIT} 的整数"))),
    }
}

/// `/api/v1` (each route with its OpenAPI entry) and `/api/openapi.json`; any other path
/// under `/api/v1` is a problem, not a page.
pub fn routes() -> Router<WebState> {
    let (v1, _) = doc::split();
    v1.merge(doc::routes())
        .route(
            "/api/v1/{*rest}",
            axum::routing::any(|| async { Problem::not_found() }),
        )
        .route(
            "/api/v1",
            axum::routing::any(|| async { Problem::not_found() }),
        )
}

/// The pages of the API behind the session: its docs.
pub fn page_routes() -> Router<WebState> {
    doc::page_routes()
}
