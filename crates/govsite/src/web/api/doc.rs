//! The API's OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes
//! as they are routed (a route cannot exist without its entry), served at
//! `/api/openapi.json`, and `/api/docs`, the same document as a page people read.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use minijinja::context;
use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use super::problem::{CODES, FieldProblem, ProblemDetails};
use crate::web::WebState;
use crate::web::error::AppError;
use crate::web::session::Ctx;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "govsite 数据接口",
        version = "1",
        description = "党政机关和事业单位中文域名、网站开办审核与网站标识平台的数据接口。每个请求在请求头 `Authorization: Bearer <密钥>` 中携带接口密钥；密钥在平台“接口密钥”页面创建，以其账号的角色和管辖范围读取数据。错误以 RFC 9457 problem details 返回。"
    ),
    modifiers(&Bearer),
    components(schemas(ProblemDetails, FieldProblem)),
    tags(
        (name = "units", description = "单位"),
        (name = "domains", description = "中文域名"),
        (name = "sites", description = "网站与网站标识"),
        (name = "reviews", description = "域名注册申请与网站开办审核"),
        (name = "campaigns", description = "专项工作")
    )
)]
struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gsk_…")
                    .description(Some("接口密钥（以 gsk_ 开头）"))
                    .build(),
            ),
        );
    }
}

/// The `/api/v1` routes with the document that describes exactly them.
pub fn split() -> (Router<WebState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(super::resources::routes())
        .merge(super::campaigns::routes())
        .merge(super::decisions::routes())
        .split_for_parts()
}

/// The document as JSON, made once per process.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        split()
            .1
            .to_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
}

pub fn routes() -> Router<WebState> {
    Router::new().route("/api/openapi.json", get(openapi_json))
}

/// The docs page is one of the site's pages (header, menu), so it sits behind the session.
pub fn page_routes() -> Router<WebState> {
    Router::new().route("/api/docs", get(docs_page))
}

async fn openapi_json() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        document(),
    )
        .into_response()
}

/// One operation as the page lists it.
#[derive(Debug, serde::Serialize)]
struct Operation {
    method: String,
    path: String,
    summary: String,
    params: Vec<(String, String)>,
    responses: Vec<String>,
    body: bool,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let text = |k: &str| op.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
                            (s("name").to_owned(), s("description").to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .map(|r| r.keys().cloned().collect())
                .unwrap_or_default();
            let summary = [text("summary"), text("description")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                summary,
                params,
                responses,
                body: op.get("requestBody").is_some(),
            });
        }
    }
    out
}

async fn docs_page(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let doc: Value = serde_json::from_str(document()).map_err(anyhow::Error::from)?;
    let codes: Vec<(&str, u16, &str)> = CODES.to_vec();
    web.page(
        &ctx,
        "api_docs.html",
        context! {
            title => "数据接口说明",
            operations => operations(&doc),
            codes => codes,
            public_url => web.config.public_url.clone(),
        },
    )
}
