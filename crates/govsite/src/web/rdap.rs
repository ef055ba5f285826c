//! RDAP (RFC 9082 queries, RFC 9083 responses) for our domains: public facts only — the
//! holder's unit name, never personal contacts.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use govsite_core::domain_lifecycle::DomainState;
use govsite_core::domain_name::DomainName;
use govsite_core::org_type::Suffix;
use serde_json::{Value, json};

use super::WebState;
use super::form::PathText;
use crate::store::domains::{self, Domain};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/rdap/domain/{name}", get(domain))
        .route("/rdap/help", get(help))
}

fn rdap(status: StatusCode, body: Value) -> Response {
    let mut resp = (status, Json(body)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/rdap+json"),
    );
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

/// RFC 9083 §6: an error response.
fn error(status: StatusCode, title: &str, description: &str) -> Response {
    rdap(
        status,
        json!({
            "rdapConformance": ["rdap_level_0"],
            "errorCode": status.as_u16(),
            "title": title,
            "description": [description],
        }),
    )
}

/// Parses a query name in either form, under one of our two zones.
fn parse(name: &str) -> Option<DomainName> {
    let lower = name.trim().trim_end_matches('.').to_lowercase();
    let suffix = if lower.ends_with(".xn--55qw42g") || lower.ends_with(".公益") {
        Suffix::Gongyi
    } else if lower.ends_with(".xn--zfr164b") || lower.ends_with(".政务") {
        Suffix::Zhengwu
    } else {
        return None;
    };
    DomainName::parse(&lower, suffix).ok()
}

fn status(d: &Domain) -> Vec<&'static str> {
    match d.state.as_str() {
        "active" if !d.held => vec!["active"],
        "expired" => vec!["active", "pending delete"],
        _ => vec!["inactive", "client hold"],
    }
}

fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map_or_else(String::new, |t| t.to_rfc3339())
}

async fn domain(State(web): State<WebState>, PathText(name): PathText) -> Response {
    let Some(parsed) = parse(&name) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "不是 .政务 或 .公益 下的有效域名",
        );
    };
    let found = match domains::by_ace(&web.db, &parsed.ace()).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "rdap lookup failed");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Error",
                "查询暂时不可用",
            );
        }
    };
    let Some(d) = found.filter(|d| d.state != DomainState::Deleted) else {
        return error(StatusCode::NOT_FOUND, "Not Found", "该域名未注册");
    };
    let base = &web.config.public_url;
    let nameservers: Vec<Value> = d
        .nameservers
        .split_whitespace()
        .map(|ns| {
            let host = ns.split('=').next().unwrap_or(ns);
            json!({"objectClassName": "nameserver", "ldhName": host})
        })
        .collect();
    rdap(
        StatusCode::OK,
        json!({
            "rdapConformance": ["rdap_level_0"],
            "objectClassName": "domain",
            "handle": format!("D{}-GOVSITE", d.id),
            "ldhName": d.ace,
            "unicodeName": d.unicode(),
            "status": status(&d),
            "events": [
                {"eventAction": "registration", "eventDate": rfc3339(d.registered_at)},
                {"eventAction": "expiration", "eventDate": rfc3339(d.expires_at)},
            ],
            "entities": [{
                "objectClassName": "entity",
                "roles": ["registrant"],
                "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", d.unit_name]]],
            }],
            "nameservers": nameservers,
            "links": [{"rel": "self", "href": format!("{base}/rdap/domain/{}", d.ace), "type": "application/rdap+json"}],
            "notices": [{"title": "使用说明", "description": ["本查询仅提供可公开的注册信息，不含个人联系方式。"]}],
        }),
    )
}

async fn help() -> Response {
    rdap(
        StatusCode::OK,
        json!({
            "rdapConformance": ["rdap_level_0"],
            "notices": [{"title": "RDAP", "description": ["查询 .政务 和 .公益 域名：/rdap/domain/{域名}，中文或 xn-- 形式均可。"]}],
        }),
    )
}
