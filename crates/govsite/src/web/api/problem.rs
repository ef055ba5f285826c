//! RFC 9457 problem details: every refusal of the API is `application/problem+json` with a
//! stable machine `code`, a Chinese `title` and `detail` for the person reading the log, and
//! for a refused form the fields with their messages.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::registry::RegistryError;
use crate::store::StoreError;

/// A refused request (RFC 9457). Small on purpose (it travels in every `Result`): the
/// type, title and status follow from the code when it is written out.
#[derive(Debug, Clone)]
pub struct Problem {
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    pub retry_after: Option<u64>,
}

/// What a problem looks like on the wire, as the OpenAPI document describes it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Problem, example = json!({
    "type": "/api/docs#problem-key_revoked",
    "title": "密钥已吊销",
    "status": 401,
    "detail": "该接口密钥已被吊销，请使用有效的密钥",
    "code": "key_revoked"
}))]
pub struct ProblemDetails {
    /// Where the code is explained: `/api/docs#problem-{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// The stable code; one of those listed at `/api/docs`.
    pub code: &'static str,
    /// For `invalid_request_body`: each field's message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For `rate_limited`: seconds to wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// One field's error of a refused request body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// Every code the API answers with, its status and title; `/api/docs` lists them.
pub const CODES: [(&str, u16, &str); 15] = [
    ("missing_key", 401, "缺少接口密钥"),
    ("invalid_key", 401, "接口密钥无效"),
    ("key_expired", 401, "密钥已过期"),
    ("key_revoked", 401, "密钥已吊销"),
    ("account_disabled", 401, "账号已停用"),
    ("forbidden", 403, "无权操作"),
    ("not_found", 404, "不存在"),
    ("unknown_parameter", 400, "不支持的查询参数"),
    ("invalid_parameter", 400, "查询参数有误"),
    ("invalid_cursor", 400, "翻页游标无效"),
    ("invalid_request_body", 422, "请求内容有误"),
    ("conflict", 409, "状态已变化"),
    ("rate_limited", 429, "请求过于频繁"),
    ("unavailable", 503, "服务繁忙"),
    ("internal", 500, "内部错误"),
];

impl Problem {
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// The HTTP status and the title of the code.
    pub fn status(&self) -> (u16, &'static str) {
        CODES
            .iter()
            .find(|(c, _, _)| *c == self.code)
            .map_or((500, "内部错误"), |(_, s, t)| (*s, *t))
    }

    fn details(self) -> ProblemDetails {
        let (status, title) = self.status();
        ProblemDetails {
            kind: format!("/api/docs#problem-{}", self.code),
            title,
            status,
            detail: self.detail,
            code: self.code,
            errors: self.errors,
            retry_after: self.retry_after,
        }
    }

    pub fn not_found() -> Self {
        Self::new("not_found", "没有该记录，或不在您的管辖范围内")
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new("forbidden", detail)
    }

    pub fn parameter(detail: impl Into<String>) -> Self {
        Self::new("invalid_parameter", detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status().0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry = self.retry_after;
        let mut resp = (status, Json(self.details())).into_response();
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(secs) = retry {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"govsite\""),
            );
        }
        resp
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match super::super::error::AppError::from(e) {
            super::super::error::AppError::Busy(_) => {
                Self::new("unavailable", "服务繁忙，请稍后重试")
            }
            other => {
                tracing::error!(error = %other, "api request failed");
                Self::new("internal", "服务内部错误，已记录，请稍后重试")
            }
        }
    }
}

impl From<RegistryError> for Problem {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Refused(m) => Self::new("conflict", m),
            RegistryError::Invalid(m) => Self::new("invalid_request_body", m),
            RegistryError::Form(errors) => {
                let mut p = Self::new("invalid_request_body", "请求内容有误，见 errors");
                p.errors = errors
                    .iter()
                    .map(|e| FieldProblem {
                        field: e.field.clone(),
                        message: e.message.clone(),
                    })
                    .collect();
                p
            }
            RegistryError::Store(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_with_a_client_or_server_status() {
        for (i, (code, status, _)) in CODES.iter().enumerate() {
            assert!((400..600).contains(status), "{code}");
            assert!(
                !CODES[i + 1..].iter().any(|(c, _, _)| c == code),
                "{code} twice"
            );
            assert_eq!(Problem::new(code, "x").status().0, *status);
        }
    }
}
