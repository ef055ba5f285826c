//! Sessions, CSRF and the gate that keeps half-signed-in accounts on the pages they must finish.

use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use govsite_core::role::Role;
use http_body_util::BodyExt;
use subtle::ConstantTimeEq;

use super::error::AppError;
use super::{BODY_LIMIT, WebState};
use crate::auth::token::{hash_token, random_token, well_formed};
use crate::store::accounts::{self, Account, AccountStatus};
use crate::store::sessions;

pub const COOKIE: &str = "gs_session";
/// An anonymous visitor's CSRF token: a random value signed with the form key, sent back in
/// each form (double submit); no row in the database.
pub const CSRF_COOKIE: &str = "gs_csrf";
const LARGE_TEXT_COOKIE: &str = "gs_large";
/// Anonymous sessions (only a CSRF token) and idle signed-in sessions end after this long.
pub const IDLE_SECONDS: i64 = 2 * 3600;
/// A signed-in session never lasts longer than this.
pub const MAX_SECONDS: i64 = 12 * 3600;

/// What every page handler knows about the request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Hash of the session id, when there is a session.
    pub session: Option<String>,
    pub csrf: String,
    pub user: Option<Account>,
    pub mfa_pending: bool,
    pub large_text: bool,
    /// The client's address (through trusted proxies), as the audit log records it.
    pub ip: String,
    /// The key per-client limits count under (an IPv6 client's /64).
    pub limit_key: String,
    pub path: String,
    /// What the header shows a signed-in person on every page.
    pub header: Header,
}

/// The header's facts of the signed-in person (figure 9): unread notices in 消息中心, and a
/// unit's 账户余额. Read for pages only (GET), not for form posts.
#[derive(Debug, Clone, Default)]
pub struct Header {
    pub unread: i64,
    pub balance: Option<String>,
}

impl Header {
    async fn of(web: &WebState, account: &Account) -> Result<Self, AppError> {
        let unread = crate::store::inbox::unread_count(&web.db, account.id).await?;
        let balance = match (account.role, account.unit_id) {
            (Role::Unit, Some(unit)) => Some(
                crate::store::ledger::balance(&web.db, unit)
                    .await?
                    .to_string(),
            ),
            _ => None,
        };
        Ok(Self { unread, balance })
    }
}

impl Ctx {
    /// The signed-in account, or a redirect to the sign-in page.
    pub fn user(&self) -> Result<&Account, AppError> {
        match &self.user {
            Some(u) if !self.mfa_pending => Ok(u),
            _ => Err(AppError::SignInRequired {
                next: self.path.clone(),
            }),
        }
    }

    /// The signed-in account if its role passes `allowed`; otherwise 403.
    pub fn require(&self, allowed: impl Fn(Role) -> bool) -> Result<&Account, AppError> {
        let user = self.user()?;
        if allowed(user.role) {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("session layer missing")))
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for a session id (or its removal with `None`).
pub fn session_cookie(web: &WebState, id: Option<&str>) -> HeaderValue {
    let secure = if web.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let value = match id {
        Some(id) => format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}"),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie` for an anonymous visitor's signed CSRF token.
fn csrf_cookie(web: &WebState, token: &str) -> HeaderValue {
    let secure = if web.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Creates a session and returns (cookie value, its hash, csrf token).
pub async fn start(
    web: &WebState,
    account: Option<&Account>,
    mfa_pending: bool,
) -> Result<(String, String, String), AppError> {
    let id = random_token();
    let hash = hash_token(&id);
    let csrf = random_token();
    sessions::create(
        &web.db,
        &hash,
        account.map(|a| a.id),
        &csrf,
        mfa_pending,
        web.now(),
        IDLE_SECONDS,
    )
    .await?;
    Ok((id, hash, csrf))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Paths a half-signed-in account may still reach.
fn allowed_while(gate: Gate, path: &str) -> bool {
    let common = path == "/logout" || path.starts_with("/static/") || path == "/display";
    common
        || match gate {
            Gate::Mfa => path == "/login/totp",
            Gate::PasswordChange => path == "/account/password",
            Gate::TotpEnrolment => path == "/account/totp",
        }
}

#[derive(Debug, Clone, Copy)]
enum Gate {
    Mfa,
    PasswordChange,
    TotpEnrolment,
}

pub async fn layer(State(web): State<WebState>, req: Request, next: Next) -> Response {
    match run(web, req, next).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

/// Machine-readable public documents that need no session: the signed badge facts and the
/// public key. They get an anonymous context without touching the database, and keep their
/// own cache headers.
fn sessionless(method: &Method, path: &str) -> bool {
    *method == Method::GET
        && path.starts_with("/v/")
        && (path.ends_with(".json") || path.ends_with(".pem"))
}

async fn run(web: WebState, req: Request, next: Next) -> Result<Response, AppError> {
    let now = web.now();
    let (mut parts, body) = req.into_parts();
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| super::client::address(c.0.ip(), &parts.headers, &web.config.trusted_proxies));
    let ip = client.map(|c| c.to_string()).unwrap_or_default();
    let limit_key = client.map(super::client::limit_key).unwrap_or_default();
    if sessionless(&parts.method, parts.uri.path()) {
        parts.extensions.insert(Ctx {
            session: None,
            csrf: String::new(),
            user: None,
            mfa_pending: false,
            large_text: false,
            ip,
            limit_key,
            path: parts.uri.path().to_owned(),
            header: Header::default(),
        });
        return Ok(next.run(Request::from_parts(parts, body)).await);
    }
    let large_text = cookie(&parts.headers, LARGE_TEXT_COOKIE) == Some("1");

    let mut session = None;
    if let Some(id) = cookie(&parts.headers, COOKIE).filter(|id| well_formed(id)) {
        let hash = hash_token(id);
        if let Some(row) = sessions::find(&web.db, &hash, now, MAX_SECONDS).await? {
            session = Some((hash, row));
        }
    }
    // An anonymous visitor has no session row: its CSRF token is a signed cookie, made on
    // its first page view (sessions start at sign-in).
    let mut anonymous_csrf = None;
    let mut new_csrf_cookie = None;
    if session.is_none() {
        let key = web.form_key().await?;
        match cookie(&parts.headers, CSRF_COOKIE)
            .filter(|v| super::signed::verify(&key, v).is_some())
        {
            Some(v) => anonymous_csrf = Some(v.to_owned()),
            None if parts.method == Method::GET => {
                let token = super::signed::sign(&key, &random_token());
                new_csrf_cookie = Some(token.clone());
                anonymous_csrf = Some(token);
            }
            None => {}
        }
    }

    let mut user = None;
    let mut mfa_pending = false;
    if let Some((hash, row)) = &session {
        if let Some(account_id) = row.account_id {
            match accounts::find(&web.db, account_id).await? {
                Some(a) if a.status == AccountStatus::Active => {
                    user = Some(a);
                    mfa_pending = row.mfa_pending;
                }
                // A disabled or vanished account loses its session at once.
                _ => sessions::delete(&web.db, hash).await?,
            }
        }
        if now - row.last_seen_at > 60 {
            sessions::touch(&web.db, hash, now, IDLE_SECONDS).await?;
        }
    }

    let body = if is_safe(&parts.method) {
        body
    } else {
        // No session and no signed CSRF cookie: refused before a byte of the body is read.
        let expected = match (&session, &anonymous_csrf) {
            (Some((_, row)), _) => row.csrf_token.clone(),
            (None, Some(token)) => token.clone(),
            (None, None) => return Err(AppError::Csrf),
        };
        let upload = super::upload_limit(parts.uri.path());
        let bytes = read_limited(body, &parts.headers, upload).await?;
        let sent = match parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
        {
            Some(t) => Some(t.to_owned()),
            None => csrf_field(&parts.headers, &bytes).await,
        };
        let ok = sent.is_some_and(|t| bool::from(t.as_bytes().ct_eq(expected.as_bytes())));
        if !ok {
            return Err(AppError::Csrf);
        }
        Body::from(bytes)
    };

    let path = parts.uri.path().to_owned();
    if let Some(account) = &user {
        let gate = if mfa_pending {
            Some(Gate::Mfa)
        } else if account.must_change_password {
            Some(Gate::PasswordChange)
        } else if account.role.is_staff()
            && (account.totp_required || web.config.staff_totp)
            && !account.totp_enabled()
        {
            Some(Gate::TotpEnrolment)
        } else {
            None
        };
        if let Some(gate) = gate
            && !allowed_while(gate, &path)
        {
            let to = match gate {
                Gate::Mfa => "/login/totp",
                Gate::PasswordChange => "/account/password",
                Gate::TotpEnrolment => "/account/totp",
            };
            return Ok(Redirect::to(to).into_response());
        }
    }

    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or(path.clone(), |p| p.as_str().to_owned());
    let (session_hash, csrf) = match session {
        Some((hash, row)) => (Some(hash), row.csrf_token),
        None => (None, anonymous_csrf.unwrap_or_default()),
    };
    let header = match &user {
        Some(account) if !mfa_pending && parts.method == Method::GET => {
            Header::of(&web, account).await?
        }
        _ => Header::default(),
    };
    parts.extensions.insert(Ctx {
        session: session_hash,
        csrf,
        user,
        mfa_pending,
        large_text,
        ip,
        limit_key,
        path: path_and_query,
        header,
    });
    let mut resp = next.run(Request::from_parts(parts, body)).await;
    if let Some(token) = new_csrf_cookie
        && !resp.headers().contains_key(header::SET_COOKIE)
    {
        resp.headers_mut()
            .append(header::SET_COOKIE, csrf_cookie(&web, &token));
    }
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

async fn read_limited(
    body: Body,
    headers: &HeaderMap,
    upload: Option<usize>,
) -> Result<Bytes, AppError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // An upload (a red page's logo) may be larger than a form; nothing else may.
    let limit = match upload {
        Some(limit) if super::form::multipart_boundary(headers).is_some() => limit,
        _ => BODY_LIMIT,
    };
    if declared.is_some_and(|n| n > limit) {
        return Err(AppError::TooLarge);
    }
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(AppError::TooLarge),
        Err(_) => Err(AppError::BadRequest("请求内容不完整，请重新提交。")),
    }
}

/// The `csrf_token` field of a URL-encoded or multipart form body.
async fn csrf_field(headers: &HeaderMap, body: &Bytes) -> Option<String> {
    if super::form::multipart_boundary(headers).is_some() {
        return super::form::multipart(headers, body.clone())
            .await
            .ok()?
            .into_iter()
            .find(|p| p.name == "csrf_token" && p.file_name.is_none())
            .map(|p| String::from_utf8_lossy(&p.bytes).into_owned());
    }
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.into_owned())
}
