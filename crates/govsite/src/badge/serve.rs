//! `/b/{code}.js`, `/b/{code}.svg`, `/b/{code}.png` and `/b/static/{colour}-{variant}.svg|png`:
//! the hottest path of the system. Everything comes from memory; a malformed code is refused
//! before any lookup and an unknown one is a 404 from memory, never a database query.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use govsite_core::badge::BadgeCode;

use super::art::{Colour, Variant};
use super::book::{Book, host_of, images};
use crate::static_body::{self, Encoded};

/// Short enough for a revocation to show within five minutes, long enough for a CDN.
const CACHE: HeaderValue =
    HeaderValue::from_static("public, max-age=300, stale-while-revalidate=60");
/// The static images never change for a given name.
const CACHE_STATIC: HeaderValue = HeaderValue::from_static("public, max-age=86400, immutable");

pub fn routes() -> Router<Arc<Book>> {
    Router::new()
        .route("/b/{file}", get(badge))
        .route("/b/static/{file}", get(static_image))
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            ),
        ],
        "没有这个网站标识",
    )
        .into_response()
}

/// One encoded body with the badge's headers: 304 on a matching `If-None-Match`, else the
/// best encoding offered.
fn send(
    body: &Encoded,
    content_type: &'static str,
    cache: HeaderValue,
    headers: &HeaderMap,
    compress: bool,
    vary_referer: bool,
) -> Response {
    let vary = HeaderValue::from_static(if vary_referer {
        "Accept-Encoding, Origin, Referer"
    } else {
        "Accept-Encoding"
    });
    let mut response = static_body::respond(body, headers, compress);
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, cache);
    h.insert(header::VARY, vary);
    h.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
    if response.status() != StatusCode::NOT_MODIFIED {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// The host of the page that asked, from `Origin` or `Referer`.
fn page_host(headers: &HeaderMap) -> Option<String> {
    [header::ORIGIN, header::REFERER]
        .iter()
        .find_map(|h| headers.get(h).and_then(|v| v.to_str().ok()))
        .filter(|v| !v.is_empty() && *v != "null")
        .and_then(host_of)
}

async fn badge(
    State(book): State<Arc<Book>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((code, ext)) = file.rsplit_once('.') else {
        return not_found();
    };
    if !BadgeCode::is_canonical(code) {
        return not_found();
    }
    let Some(entry) = book.get(code) else {
        return not_found();
    };
    entry.hits.fetch_add(1, Ordering::Relaxed);
    // A page on a host the site did not register: record it for the 编办 (a spoofed header
    // only adds an observation; it never changes the badge).
    let host = page_host(&headers);
    let foreign = host.as_deref().is_some_and(|h| !entry.allows(h));
    if let (true, Some(h)) = (foreign, host.as_deref()) {
        book.hotlink(entry.site_id, h);
    }
    match ext {
        "js" => send(
            &entry.script,
            "text/javascript; charset=utf-8",
            CACHE,
            &headers,
            true,
            false,
        ),
        "svg" | "png" => {
            // No script: the image itself shows the state, judged by the Referer.
            let variant = if entry.state == Variant::Valid && foreign {
                Variant::Mismatch
            } else {
                entry.state
            };
            image(entry.colour, variant, ext, CACHE, &headers, true)
        }
        _ => not_found(),
    }
}

fn image(
    colour: Colour,
    variant: Variant,
    ext: &str,
    cache: HeaderValue,
    headers: &HeaderMap,
    vary_referer: bool,
) -> Response {
    let images = images();
    let found = match ext {
        "svg" => images
            .svg
            .get(&(colour, variant))
            .map(|b| (b, "image/svg+xml", true)),
        "png" => images
            .png
            .get(&(colour, variant))
            .map(|b| (b, "image/png", false)),
        _ => None,
    };
    match found {
        Some((body, kind, compress)) => send(body, kind, cache, headers, compress, vary_referer),
        None => not_found(),
    }
}

async fn static_image(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some((name, ext)) = file.rsplit_once('.') else {
        return not_found();
    };
    let Some((colour, variant)) = name.split_once('-') else {
        return not_found();
    };
    let colour = match colour {
        "red" => Colour::Red,
        "blue" => Colour::Blue,
        _ => return not_found(),
    };
    match Variant::parse(variant) {
        Some(v) => image(colour, v, ext, CACHE_STATIC, &headers, false),
        None => not_found(),
    }
}
