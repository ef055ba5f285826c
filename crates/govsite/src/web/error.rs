//! The one error type of the web layer. It renders a Chinese HTML page for people, or, for
//! requests that asked for JSON, the envelope `{"error": {"code", "message"}}`. Internal details
//! go to the log, never to the client.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

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
    #[error("internal: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.into())
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
            _ => "系统错误",
        };
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} - 政务和公益机构域名注册管理平台</title>\
             <link rel=\"stylesheet\" href=\"/static/site.css\"></head><body>\
             <header class=\"masthead\"><div class=\"wrap\"><a class=\"brand\" href=\"/\">政务和公益机构域名注册管理平台</a></div></header>\
             <main class=\"wrap\" id=\"main\"><h1>{title}</h1><p>{}</p>\
             <p><a href=\"/\">返回首页</a></p></main></body></html>",
            escape_html(&detail)
        );
        let mut resp = (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response();
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

pub(crate) fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
