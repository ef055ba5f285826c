//! The one error type of the web layer. It renders a Chinese HTML page for people
//! (`templates/error.html`, through [`crate::pages`], so the message is escaped), or, for
//! requests that asked for JSON, the envelope `{"error": {"code", "message"}}`. Internal details
//! go to the log, never to the client.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;

use crate::registry::RegistryError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("csrf")]
    Csrf,
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("payload too large")]
    TooLarge,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Too many attempts of something rate limited: a plain sentence saying when to retry.
    #[error("too many requests: {0}")]
    TooMany(&'static str),
    /// The thing changed under the user (already decided, wrong state): a plain sentence.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not take the request in time (every connection busy, or SQLite's
    /// write lock held past its timeout): overload, not a fault; nothing was written.
    #[error("busy: {0}")]
    Busy(String),
    #[error("internal: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if is_busy(&e) {
            return Self::Busy(e.to_string());
        }
        Self::Internal(e.into())
    }
}

/// A pool that gave no connection in time, or SQLite's SQLITE_BUSY past the busy timeout
/// (code 5, or its extended codes BUSY_RECOVERY 261 and BUSY_SNAPSHOT 517). PostgreSQL's
/// codes are five-character SQLSTATEs and never match.
fn is_busy(e: &StoreError) -> bool {
    match e {
        StoreError::Sql(sqlx::Error::PoolTimedOut) => true,
        StoreError::Sql(sqlx::Error::Database(db)) => {
            matches!(db.code().as_deref(), Some("5" | "261" | "517"))
        }
        _ => false,
    }
}

/// A decision refused shows its sentence: a state that changed is a conflict, wrong input a
/// bad request. Form errors are shown beside their fields by the handlers that expect them;
/// one that reaches here is a bad request.
impl From<RegistryError> for AppError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Refused(m) => Self::Conflict(m),
            RegistryError::Invalid(m) => Self::BadRequest(m),
            RegistryError::Form(_) => Self::BadRequest("提交的内容有误，请返回修改后重新提交。"),
            RegistryError::Store(e) => e.into(),
        }
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        Self::Internal(e.into())
    }
}

/// Carried on error responses so that [`json_errors`] can re-render them for machines.
#[derive(Debug, Clone)]
struct ErrorInfo {
    code: &'static str,
    message: &'static str,
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "您访问的页面不存在，或您无权查看。",
            ),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden", "您没有权限进行此操作。"),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "csrf",
                "页面已过期或请求来源无法确认，请返回上一页刷新后重新提交。",
            ),
            Self::SignInRequired { .. } => {
                (StatusCode::UNAUTHORIZED, "sign_in_required", "请先登录。")
            }
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, "bad_request", message),
            Self::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "提交的内容过大，请精简后重新提交。",
            ),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "此页面不能直接打开，请使用页面上的按钮操作。",
            ),
            Self::TooMany(message) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message),
            Self::Conflict(_) => (
                StatusCode::CONFLICT,
                "conflict",
                "该事项已被处理或状态已变化，请刷新页面查看最新情况。",
            ),
            Self::Busy(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "系统繁忙，本次操作没有完成，也没有保存。请稍等几秒后再试。",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "系统暂时无法处理您的请求，请稍后再试。如果问题持续，请联系注册管理中心。",
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::SignInRequired { next } = &self {
            let mut resp =
                Redirect::to(&format!("/login?next={}", urlencode(next))).into_response();
            resp.extensions_mut().insert(ErrorInfo {
                code: "sign_in_required",
                message: "请先登录。",
            });
            return resp;
        }
        if let Self::Internal(e) = &self {
            tracing::error!(error = %format!("{e:#}"), "request failed");
        }
        if let Self::Busy(e) = &self {
            tracing::warn!(error = %e, "request refused: database busy");
        }
        let (status, code, message) = self.parts();
        let detail = match &self {
            Self::Conflict(m) => m.clone(),
            _ => message.to_owned(),
        };
        let title = match status {
            StatusCode::NOT_FOUND => "页面不存在",
            StatusCode::FORBIDDEN => "无法完成操作",
            StatusCode::BAD_REQUEST => "请求有误",
            StatusCode::PAYLOAD_TOO_LARGE => "内容过大",
            StatusCode::CONFLICT | StatusCode::METHOD_NOT_ALLOWED => "无法完成操作",
            StatusCode::TOO_MANY_REQUESTS => "操作过于频繁",
            StatusCode::SERVICE_UNAVAILABLE => "系统繁忙",
            _ => "系统错误",
        };
        let html =
            crate::pages::render("error.html", context! { title => title, message => detail });
        let mut resp = match html {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                // Only if the template set did not compile (start-up refuses that): the
                // message as plain text rather than no answer.
                tracing::error!(error = %e, "error page not rendered");
                (status, detail).into_response()
            }
        };
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        resp.extensions_mut().insert(ErrorInfo { code, message });
        resp
    }
}

/// Re-renders error responses as JSON for clients that ask for it (`Accept: application/json`).
pub async fn json_errors(req: Request, next: Next) -> Response {
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let resp = next.run(req).await;
    if !wants_json {
        return resp;
    }
    let Some(info) = resp.extensions().get::<ErrorInfo>().cloned() else {
        return resp;
    };
    let status = if info.code == "sign_in_required" {
        StatusCode::UNAUTHORIZED
    } else {
        resp.status()
    };
    let body = serde_json::json!({"error": {"code": info.code, "message": info.message}});
    let mut out = (status, axum::Json(body)).into_response();
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(resp: Response) -> String {
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_error_page_is_a_chinese_html_page() {
        let resp = AppError::NotFound.into_response();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            resp.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert!(resp.extensions().get::<ErrorInfo>().is_some());
        let html = body(resp).await;
        assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
        assert!(
            html.contains("<title>页面不存在 - 政务和公益机构域名注册管理平台</title>"),
            "{html}"
        );
        assert!(
            html.contains("您访问的页面不存在，或您无权查看。"),
            "{html}"
        );
    }

    #[tokio::test]
    async fn a_message_is_escaped_quotes_and_tags_alike() {
        let resp = AppError::Conflict("O'Brien <script>alert(1)</script>".into()).into_response();
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        let html = body(resp).await;
        assert!(
            html.contains("O&#x27;Brien &lt;script&gt;alert(1)"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("O'Brien"), "{html}");
    }
}
