//! The web role: unit portal, 编办 and registry consoles, administration, public pages.
//!
//! Every request passes [`session::layer`], which loads the session, checks the CSRF token of
//! every state-changing request and keeps half-signed-in accounts on the pages they must finish.
//! Handlers then ask for [`session::Ctx`] and check role and jurisdiction themselves.

mod admin;
pub mod api;
mod api_keys;
mod auth;
mod captcha;
mod captcha_image;
mod chart;
mod client;
pub use captcha::MAX_WRONG_PER_HOUR as CAPTCHA_MAX_WRONG_PER_HOUR;
pub(crate) mod console;
pub mod error;
mod faq;
mod form;
mod inbox;
mod lookup;
mod policy;
pub(crate) mod portal;
mod public;
mod rdap;
mod region_choice;
mod register;
pub mod session;
mod settings;
mod signed;
mod templates;
pub mod verify;
mod xlsx;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware;
use tokio::sync::Notify;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::clock::SharedClock;
use crate::store::Db;

/// Settings of the web role.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where people reach the service, without a trailing slash.
    pub public_url: String,
    /// Whether every staff account must use a TOTP second factor.
    pub staff_totp: bool,
    /// Where the website application pre-checks resolve and fetch.
    pub site_checks: crate::registry::site_checks::SiteCheckConfig,
    /// Linked pages the badge mount checker visits besides a site's home page.
    pub badge_check_pages: usize,
    /// Time between two rounds of the badge mount checker.
    pub badge_check_every: std::time::Duration,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` name the client (see `web::client`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The hash that links new audit rows into the chain.
    pub audit_hash: crate::registry::audit_chain::Algorithm,
    /// Whether this process runs the lifecycle job and the badge checker (`--jobs`).
    pub jobs: bool,
    /// Who may read /metrics.
    pub metrics_allow: Vec<ipnet::IpNet>,
    /// The DNS role's counters and zones for /metrics, when this process serves DNS.
    pub metrics_dns: Option<crate::metrics::DnsSource>,
    /// Requests each API key may make per minute in this process.
    pub api_per_minute: u32,
}

impl WebConfig {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct WebState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub db: Db,
    pub config: WebConfig,
    pub clock: SharedClock,
    /// Wakes the notification worker after a commit that queued messages.
    pub outbox_wake: Arc<Notify>,
    /// The badge facts' signing key with when it was read: read again after a minute, so a
    /// rotation reaches every node without a restart.
    badge_key: std::sync::RwLock<Option<(i64, crate::store::secrets::BadgeKey)>>,
    /// The anonymous forms' key, read once per process.
    form_key: tokio::sync::OnceCell<[u8; 32]>,
    /// Requests per API key per minute.
    pub api_rate: api::RateLimiter,
}

impl std::ops::Deref for WebState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl WebState {
    pub fn new(db: Db, config: WebConfig, clock: SharedClock, outbox_wake: Arc<Notify>) -> Self {
        let api_rate = api::RateLimiter::new(config.api_per_minute);
        Self(Arc::new(Inner {
            db,
            config,
            clock,
            outbox_wake,
            badge_key: std::sync::RwLock::new(None),
            form_key: tokio::sync::OnceCell::new(),
            api_rate,
        }))
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The badge facts' signing key in use (its id and Ed25519 seed), read from the database
    /// at most once a minute.
    pub async fn badge_key(
        &self,
    ) -> Result<crate::store::secrets::BadgeKey, crate::store::StoreError> {
        const REREAD_AFTER: i64 = 60;
        let now = self.now();
        // Readers share the lock; no lock is held across the database read (two requests at
        // the minute's turn may both read, which is harmless).
        if let Some((read_at, key)) = self
            .badge_key
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && (*read_at..*read_at + REREAD_AFTER).contains(&now)
        {
            return Ok(key.clone());
        }
        let key = crate::store::secrets::current_badge_key(&self.db, now).await?;
        *self.badge_key.write().unwrap_or_else(|e| e.into_inner()) = Some((now, key.clone()));
        Ok(key)
    }

    /// The key of anonymous CSRF cookies and captcha challenges, from the database once.
    pub async fn form_key(&self) -> Result<[u8; 32], crate::store::StoreError> {
        self.form_key
            .get_or_try_init(|| crate::store::policy::form_key(&self.db, self.now()))
            .await
            .copied()
    }
}

/// A PDF to show in the browser (`inline`) or to save, never cached (letters and forms
/// carry personal data).
pub(crate) fn pdf_response(
    file_name: &str,
    inline: bool,
    pdf: Vec<u8>,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let how = if inline { "inline" } else { "attachment" };
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("{how}; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        pdf,
    )
        .into_response()
}

/// Largest request body accepted anywhere (forms are small; uploads get their own limit).
pub const BODY_LIMIT: usize = 256 * 1024;
/// The only paths that take a multipart upload, each with its limit: a 2 MB image or a 5 MB
/// roster and their form, with room for the encoding (the file's own check gives the
/// plain-Chinese error below the limit).
pub const UPLOADS: [(&str, usize); 2] = [
    ("/portal/red-page/logo", 3 * 1024 * 1024),
    ("/console/units/import", 6 * 1024 * 1024),
];
/// A question with its attachment (5 MB), asked or added to.
const QUESTION_UPLOAD: usize = 6 * 1024 * 1024;

/// The upload limit of `path`, when it takes one.
pub fn upload_limit(path: &str) -> Option<usize> {
    if let Some((_, limit)) = UPLOADS.iter().find(|(p, _)| *p == path) {
        return Some(*limit);
    }
    let question = path.strip_prefix("/portal/questions/").is_some_and(|rest| {
        rest == "new"
            || rest
                .strip_suffix("/reply")
                .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
    });
    question.then_some(QUESTION_UPLOAD)
}
/// The largest of them.
pub const UPLOAD_LIMIT: usize = 6 * 1024 * 1024;

pub fn router(state: WebState) -> Router {
    let pages = Router::new()
        .merge(public::routes())
        .merge(verify::routes())
        .merge(auth::routes())
        .merge(register::routes())
        .merge(inbox::routes())
        .merge(faq::routes())
        .merge(lookup::routes())
        .merge(settings::routes())
        .merge(portal::routes())
        .merge(console::routes())
        .merge(admin::routes())
        .merge(policy::routes())
        .merge(api_keys::routes())
        .merge(api::page_routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::layer,
        ));
    Router::new()
        .merge(public::health_routes())
        .merge(rdap::routes())
        .merge(api::routes())
        .merge(pages)
        .fallback(|| async { error::AppError::NotFound })
        .method_not_allowed_fallback(|| async { error::AppError::MethodNotAllowed })
        .layer(middleware::from_fn(error::json_errors))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::WebConfig;

    #[test]
    fn cookies_are_secure_behind_https() {
        let config = |url: &str| WebConfig {
            public_url: url.to_owned(),
            staff_totp: false,
            site_checks: Default::default(),
            badge_check_pages: 4,
            badge_check_every: std::time::Duration::from_secs(6 * 3600),
            trusted_proxies: Vec::new(),
            audit_hash: Default::default(),
            jobs: true,
            metrics_allow: Vec::new(),
            metrics_dns: None,
            api_per_minute: 600,
        };
        assert!(config("https://xn--55qw42g.example").secure_cookies());
        assert!(!config("http://127.0.0.1:8080").secure_cookies());
    }
}
