//! Serving published red pages: `/r/{slug}/…` on the web role, and `/…` on a unit's own name
//! through the forwarding role. Pages come from memory with an ETag (304) and compression;
//! a strict policy allows nothing but the page's own stylesheet and images (and, on the
//! unit's own name, the badge image from the platform).

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::book::{Place, RedPages, Shelf};
use super::render::{self, PagePath};
use crate::static_body::{self, Encoded};
use crate::store::{Db, red_pages};

/// What the red page routes need: the book, and the database for logos.
#[derive(Clone)]
pub struct Served {
    pub book: Arc<RedPages>,
    pub db: Db,
}

pub fn routes() -> Router<Served> {
    Router::new()
        .route("/r/{slug}", get(bare))
        .route("/r/{slug}/", get(home))
        .route("/r/{slug}/{*rest}", get(below))
}

static CSS: LazyLock<Encoded> = LazyLock::new(|| Encoded::new(render::CSS.as_bytes().to_vec()));

/// A plain page (no stylesheet, no link) for a slug or path that finds nothing.
pub fn not_found(text: &'static str) -> Response {
    let html = crate::pages::render(
        "forward_notice.html",
        minijinja::context! { title => text, text => "请检查网址是否正确。" },
    )
    .unwrap_or_else(|_| text.to_owned());
    (
        StatusCode::NOT_FOUND,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'"),
            ),
        ],
        html,
    )
        .into_response()
}

async fn bare(Path(slug): Path<String>, State(s): State<Served>) -> Response {
    match s.book.by_slug(&slug) {
        Some(shelf) => Redirect::permanent(&super::book::web_base(&shelf.slug)).into_response(),
        None => not_found("没有这个网络红页"),
    }
}

async fn home(Path(slug): Path<String>, State(s): State<Served>, headers: HeaderMap) -> Response {
    match s.book.by_slug(&slug) {
        Some(shelf) => respond(&s.book, &s.db, &shelf, Place::Web, "", &headers).await,
        None => not_found("没有这个网络红页"),
    }
}

async fn below(
    Path((slug, rest)): Path<(String, String)>,
    State(s): State<Served>,
    headers: HeaderMap,
) -> Response {
    match s.book.by_slug(&slug) {
        Some(shelf) => respond(&s.book, &s.db, &shelf, Place::Web, &rest, &headers).await,
        None => not_found("没有这个网络红页"),
    }
}

/// One page (`rest`: its path below the page's base) of a published red page.
pub async fn respond(
    book: &RedPages,
    db: &Db,
    shelf: &Shelf,
    place: Place,
    rest: &str,
    headers: &HeaderMap,
) -> Response {
    let Some(path) = PagePath::parse(rest) else {
        return not_found("没有这个页面");
    };
    match path {
        PagePath::Css => with(
            static_body::respond(&CSS, headers, true),
            "text/css; charset=utf-8",
            "public, max-age=3600",
        ),
        PagePath::Logo(id) => logo(db, shelf, id, headers).await,
        _ => match book.page(shelf, place, &path) {
            Some(body) => {
                let mut r = with(
                    static_body::respond(&body, headers, true),
                    "text/html; charset=utf-8",
                    "public, max-age=60",
                );
                let policy = policy(place, book.public_url());
                if let Ok(v) = HeaderValue::from_str(&policy) {
                    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
                }
                r
            }
            None => not_found("没有这个页面"),
        },
    }
}

/// Only the page's own stylesheet and images; on the unit's own name also the badge image
/// from the platform. No script, no frame, no form.
fn policy(place: Place, public_url: &str) -> String {
    let badge = match place {
        Place::Web => String::new(),
        Place::OwnName => format!(" {}", origin(public_url)),
    };
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self'{badge}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url[after..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after + i);
    &url[..end]
}

fn with(mut r: Response, content_type: &'static str, cache: &'static str) -> Response {
    let h = r.headers_mut();
    if !h.contains_key(header::CONTENT_TYPE) {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        header::HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    r
}

/// The logo of the published version (never another stored image), immutable by its id.
async fn logo(db: &Db, shelf: &Shelf, id: i64, headers: &HeaderMap) -> Response {
    if shelf.published.content.logo != Some(id) {
        return not_found("没有这个图片");
    }
    match red_pages::image(db, id).await {
        Ok(Some(img)) if img.unit_id == shelf.published.unit_id => image_response(&img, headers),
        Ok(_) => not_found("没有这个图片"),
        Err(e) => {
            tracing::error!(error = %e, "red page logo not read");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// A stored image with its type, its hash as ETag, cached for a year (its URL never changes
/// content).
pub fn image_response(img: &red_pages::Image, headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", &img.sha256[..img.sha256.len().min(20)]);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let content_type = if img.content_type == "image/png" {
        "image/png"
    } else {
        "image/jpeg"
    };
    let common = [
        (
            header::ETAG,
            HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (common, img.bytes.clone()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        assert_eq!(
            origin("https://reg.example:8443/x"),
            "https://reg.example:8443"
        );
        assert_eq!(origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        let own = policy(Place::OwnName, "https://reg.example");
        assert!(own.contains("img-src 'self' https://reg.example;"));
        assert!(!policy(Place::Web, "https://reg.example").contains("reg.example"));
        assert!(own.contains("default-src 'none'") && !own.contains("script-src"));
    }
}
