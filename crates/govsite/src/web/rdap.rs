//! RDAP (RFC 9082 queries, RFC 9083 responses) for our two zones: domains, the units that
//! hold them (entities), the name servers they are delegated to, searches by name pattern and
//! by name server, and help. Public facts only: the holder's unit name and region; personal
//! contacts are never answered and are declared redacted (RFC 9537). Queries for anything
//! outside .政务 and .公益 get a 404 with a notice, never a redirect elsewhere.

use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use govsite_core::domain_name::DomainName;
use govsite_core::ids::UnitId;
use govsite_core::org_type::Suffix;
use serde_json::{Value, json};

use super::WebState;
use super::form::PathText;
use crate::store::StoreError;
use crate::store::domains::{self, Domain};
use crate::store::units::{self, Scope};

/// Most results a search answers (the rest are reported truncated).
const SEARCH_LIMIT: i64 = 50;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/rdap/domain/{name}", get(domain))
        .route("/rdap/domains", get(domain_search))
        .route("/rdap/entity/{handle}", get(entity))
        .route("/rdap/nameserver/{name}", get(nameserver))
        .route("/rdap/help", get(help))
}

const CONFORMANCE: [&str; 2] = ["rdap_level_0", "redacted"];

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
            "rdapConformance": CONFORMANCE,
            "errorCode": status.as_u16(),
            "title": title,
            "description": [description],
        }),
    )
}

fn outside() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Not Found",
        "本服务只提供 .政务 和 .公益 的注册数据",
    )
}

fn failed(e: &StoreError) -> Response {
    tracing::error!(error = %e, "rdap lookup failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal Error",
        "查询暂时不可用",
    )
}

/// Which of our zones a name (either form, lower case, no trailing dot) ends in, with the
/// part before it; `None` outside them. The 域名查询 page reads names the same way.
pub(super) fn zone_of(lower: &str) -> Option<(Suffix, &str)> {
    for suffix in [Suffix::Zhengwu, Suffix::Gongyi] {
        for tail in [suffix.label(), &format!(".{}", suffix.ace())] {
            if let Some(head) = lower.strip_suffix(tail) {
                return Some((suffix, head));
            }
        }
    }
    None
}

pub(super) fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_lowercase()
}

/// Parses a query name in either form, under one of our two zones.
fn parse(name: &str) -> Option<DomainName> {
    let lower = normalise(name);
    let (suffix, _) = zone_of(&lower)?;
    DomainName::parse(&lower, suffix).ok()
}

fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map_or_else(String::new, |t| t.to_rfc3339())
}

fn status(d: &Domain) -> Vec<&'static str> {
    match d.state.as_str() {
        "active" if !d.held => vec!["active"],
        "expired" => vec!["active", "pending delete"],
        _ => vec!["inactive", "client hold"],
    }
}

fn link(base: &str, path: &str) -> Value {
    let href = format!("{base}{path}");
    json!({"value": href, "rel": "self", "href": href, "type": "application/rdap+json"})
}

fn notices() -> Value {
    json!([
        {"title": "使用说明", "description": ["本查询仅提供可公开的注册信息（域名、状态、日期、注册单位名称及所在地区），不含个人联系方式。"]},
        {"title": "个人信息", "description": ["经办人、联系人的姓名、电话和电子邮箱依法不予公开（RFC 9537 redaction）。"]}
    ])
}

fn updated(now: i64) -> Value {
    json!({"eventAction": "last update of RDAP database", "eventDate": rfc3339(now)})
}

/// RFC 9537: what the registrant's object leaves out, and why.
fn redactions() -> Value {
    let one = |name: &str, path: &str| {
        json!({
            "name": {"type": name},
            "prePath": path,
            "pathLang": "jsonpath",
            "method": "removal",
            "reason": {"description": "个人信息，依法不予公开"}
        })
    };
    json!([
        one(
            "Registrant Email",
            "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='email')]"
        ),
        one(
            "Registrant Phone",
            "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='tel')]"
        ),
        one(
            "Registrant Contact Name",
            "$.entities[?(@.roles[0]=='registrant')].vcardArray[1][?(@[0]=='n')]"
        ),
    ])
}

fn unit_handle(unit: UnitId) -> String {
    format!("U{unit}-GOVSITE")
}

/// The unit as an RDAP entity: its name, region and registration, no person.
fn entity_object(base: &str, unit: UnitId, name: &str, region: &str, since: Option<i64>) -> Value {
    let handle = unit_handle(unit);
    let mut e = json!({
        "objectClassName": "entity",
        "handle": handle,
        "roles": ["registrant"],
        "vcardArray": ["vcard", [
            ["version", {}, "text", "4.0"],
            ["fn", {}, "text", name],
            ["kind", {}, "text", "org"],
            ["adr", {"cc": "CN"}, "text", ["", "", "", "", region, "", ""]]
        ]],
        "links": [link(base, &format!("/rdap/entity/{handle}"))],
    });
    if let Some(at) = since {
        e["events"] = json!([{"eventAction": "registration", "eventDate": rfc3339(at)}]);
    }
    e
}

/// A name server object: its host and the glue addresses our zones hold for it.
fn nameserver_object(base: &str, host: &str, addresses: &[&str]) -> Value {
    let (v4, v6): (Vec<&str>, Vec<&str>) = addresses.iter().partition(|a| !a.contains(':'));
    let mut ns = json!({
        "objectClassName": "nameserver",
        "ldhName": host,
        "unicodeName": idna::domain_to_unicode(host).0,
        "links": [link(base, &format!("/rdap/nameserver/{host}"))],
    });
    if !v4.is_empty() || !v6.is_empty() {
        ns["ipAddresses"] = json!({"v4": v4, "v6": v6});
    }
    ns
}

/// The delegation entries of a name: `host` or `host=address`.
fn delegation(d: &Domain) -> impl Iterator<Item = (&str, Option<&str>)> {
    d.nameservers
        .split_whitespace()
        .map(|entry| match entry.split_once('=') {
            Some((host, ip)) => (host, Some(ip)),
            None => (entry, None),
        })
}

fn domain_object(base: &str, d: &Domain, region: &str) -> Value {
    let nameservers: Vec<Value> = delegation(d)
        .map(|(host, ip)| nameserver_object(base, host, &ip.into_iter().collect::<Vec<_>>()))
        .collect();
    json!({
        "objectClassName": "domain",
        "handle": format!("D{}-GOVSITE", d.id),
        "ldhName": d.ace,
        "unicodeName": d.unicode(),
        "status": status(d),
        "events": [
            {"eventAction": "registration", "eventDate": rfc3339(d.registered_at)},
            {"eventAction": "expiration", "eventDate": rfc3339(d.expires_at)},
        ],
        "entities": [entity_object(base, d.unit_id, &d.unit_name, region, None)],
        "nameservers": nameservers,
        "links": [link(base, &format!("/rdap/domain/{}", d.ace))],
    })
}

async fn region_of(web: &WebState, unit: UnitId) -> Result<String, StoreError> {
    Ok(units::summary_of(&web.db, unit, Scope::All)
        .await?
        .map(|u| u.region_name)
        .unwrap_or_default())
}

async fn domain(State(web): State<WebState>, PathText(name): PathText) -> Response {
    let lower = normalise(&name);
    if zone_of(&lower).is_none() {
        return outside();
    }
    let Some(parsed) = parse(&name) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "不是 .政务 或 .公益 下的有效域名",
        );
    };
    let d = match domains::by_ace(&web.db, &parsed.ace()).await {
        Ok(Some(d)) => d,
        Ok(None) => return error(StatusCode::NOT_FOUND, "Not Found", "该域名未注册"),
        Err(e) => return failed(&e),
    };
    let region = match region_of(&web, d.unit_id).await {
        Ok(r) => r,
        Err(e) => return failed(&e),
    };
    let base = &web.config.public_url;
    let mut body = domain_object(base, &d, &region);
    body["rdapConformance"] = json!(CONFORMANCE);
    body["notices"] = notices();
    body["redacted"] = redactions();
    if let Some(events) = body["events"].as_array_mut() {
        events.push(updated(web.now()));
    }
    rdap(StatusCode::OK, body)
}

/// `?name=` a pattern (RFC 9082 §4.1: `*` at the end of the label, e.g. `靖远*.政务` or
/// `xn--*`), or `?nsLdhName=` a name server host.
async fn domain_search(State(web): State<WebState>, RawQuery(raw): RawQuery) -> Response {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let found = match (get("name"), get("nsLdhName")) {
        (Some(pattern), None) => search_by_name(&web, &pattern).await,
        (None, Some(host)) => search_by_nameserver(&web, &host).await,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "请给出 name（域名，可在末尾用 * 表示任意后续字符）或 nsLdhName（域名服务器）之一",
            );
        }
    };
    let found = match found {
        Ok(found) => found,
        Err(resp) => return resp,
    };
    let base = &web.config.public_url;
    let truncated = found.len() as i64 > SEARCH_LIMIT;
    let mut results = Vec::new();
    for d in found.iter().take(SEARCH_LIMIT as usize) {
        match region_of(&web, d.unit_id).await {
            Ok(region) => results.push(domain_object(base, d, &region)),
            Err(e) => return failed(&e),
        }
    }
    let mut body = json!({
        "rdapConformance": CONFORMANCE,
        "domainSearchResults": results,
        "notices": notices(),
    });
    if truncated && let Some(n) = body["notices"].as_array_mut() {
        n.push(json!({
            "title": "Search Policy",
            "type": "result set truncated due to excessive load",
            "description": [format!("结果较多，只列出前 {SEARCH_LIMIT} 个，请缩小查询范围")]
        }));
    }
    rdap(StatusCode::OK, body)
}

async fn search_by_name(web: &WebState, pattern: &str) -> Result<Vec<Domain>, Response> {
    let lower = normalise(pattern);
    let bad = || {
        error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "name 应为 .政务 或 .公益 下的域名，可在标签末尾用 * 表示任意后续字符，如 靖远*.政务",
        )
    };
    let (suffix, label) = match zone_of(&lower) {
        Some((suffix, label)) => (Some(suffix), label),
        None if lower.contains('.') => return Err(outside()),
        None => (None, lower.as_str()),
    };
    let prefix = label.strip_suffix('*').unwrap_or(label);
    if prefix.is_empty()
        || prefix.contains('*')
        || prefix.contains('.')
        || prefix.chars().count() > 63
        || prefix.chars().any(char::is_control)
    {
        return Err(bad());
    }
    let exact = !label.ends_with('*');
    let ace = prefix.is_ascii();
    let zone = suffix.map(|s| &s.label()[1..]);
    let mut found = domains::starting_with(&web.db, prefix, ace, zone, SEARCH_LIMIT + 1)
        .await
        .map_err(|e| failed(&e))?;
    if exact {
        // No wildcard: the name itself only.
        found.retain(|d| {
            if ace {
                d.ace.split('.').next() == Some(prefix)
            } else {
                d.label == prefix
            }
        });
    }
    Ok(found)
}

async fn search_by_nameserver(web: &WebState, host: &str) -> Result<Vec<Domain>, Response> {
    let host = normalise(host);
    let ascii = idna::domain_to_ascii(&host).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "nsLdhName 不是有效的主机名",
        )
    })?;
    if ascii.is_empty() || ascii.contains('*') {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            "nsLdhName 应为完整的主机名",
        ));
    }
    domains::delegated_to(&web.db, &ascii, SEARCH_LIMIT + 1)
        .await
        .map_err(|e| failed(&e))
}

/// `U{id}-GOVSITE`: a unit that holds at least one live name (a unit without one has no
/// registration data to show).
async fn entity(State(web): State<WebState>, PathText(handle): PathText) -> Response {
    let id = handle
        .trim()
        .to_uppercase()
        .strip_prefix('U')
        .and_then(|rest| rest.strip_suffix("-GOVSITE").map(str::to_owned))
        .and_then(|n| n.parse::<UnitId>().ok());
    let Some(id) = id else {
        return error(StatusCode::NOT_FOUND, "Not Found", "没有该实体");
    };
    let held = match domains::of_unit(&web.db, id).await {
        Ok(held) => held,
        Err(e) => return failed(&e),
    };
    let summary = match units::summary_of(&web.db, id, Scope::All).await {
        Ok(s) => s,
        Err(e) => return failed(&e),
    };
    let Some(unit) = summary.filter(|_| !held.is_empty()) else {
        return error(StatusCode::NOT_FOUND, "Not Found", "没有该实体");
    };
    let base = &web.config.public_url;
    let mut body = entity_object(
        base,
        id,
        &unit.name,
        &unit.region_name,
        Some(unit.created_at),
    );
    body["rdapConformance"] = json!(CONFORMANCE);
    body["notices"] = notices();
    body["redacted"] = json!([
        {"name": {"type": "Registrant Email"}, "method": "removal", "reason": {"description": "个人信息，依法不予公开"}},
        {"name": {"type": "Registrant Phone"}, "method": "removal", "reason": {"description": "个人信息，依法不予公开"}},
    ]);
    if let Some(events) = body["events"].as_array_mut() {
        events.push(updated(web.now()));
    }
    let names: Vec<String> = held
        .iter()
        .filter(|d| d.variant_of.is_none())
        .map(Domain::unicode)
        .collect();
    body["remarks"] = json!([{"title": "持有的域名", "description": names}]);
    rdap(StatusCode::OK, body)
}

/// A name server under our zones that some live name is delegated to, with its glue.
async fn nameserver(State(web): State<WebState>, PathText(name): PathText) -> Response {
    let lower = normalise(&name);
    if zone_of(&lower).is_none() {
        return outside();
    }
    let Ok(host) = idna::domain_to_ascii(&lower) else {
        return error(StatusCode::BAD_REQUEST, "Bad Request", "不是有效的主机名");
    };
    let delegated = match domains::delegated_to(&web.db, &host, SEARCH_LIMIT).await {
        Ok(d) => d,
        Err(e) => return failed(&e),
    };
    if delegated.is_empty() {
        return error(StatusCode::NOT_FOUND, "Not Found", "没有该域名服务器");
    }
    let mut addresses: Vec<&str> = delegated
        .iter()
        .flat_map(delegation)
        .filter(|(h, _)| *h == host)
        .filter_map(|(_, ip)| ip)
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    let base = &web.config.public_url;
    let mut body = nameserver_object(base, &host, &addresses);
    body["rdapConformance"] = json!(CONFORMANCE);
    body["status"] = json!(["active"]);
    body["events"] = json!([updated(web.now())]);
    body["notices"] = notices();
    rdap(StatusCode::OK, body)
}

async fn help(State(web): State<WebState>) -> Response {
    rdap(
        StatusCode::OK,
        json!({
            "rdapConformance": CONFORMANCE,
            "notices": [
                {"title": "RDAP 查询说明", "description": [
                    "/rdap/domain/{域名}：查询 .政务 或 .公益 域名，中文或 xn-- 形式均可。",
                    "/rdap/domains?name={模式}：按名称查询，可在标签末尾用 * 表示任意后续字符，例如 靖远*.政务；最多返回 50 个。",
                    "/rdap/domains?nsLdhName={主机名}：查询委派给某域名服务器的域名。",
                    "/rdap/entity/U{编号}-GOVSITE：查询持有域名的单位（仅单位名称和所在地区）。",
                    "/rdap/nameserver/{主机名}：查询 .政务、.公益 下的域名服务器及其胶水地址。",
                    "本服务只提供 .政务 和 .公益 的注册数据，不转向其他注册数据服务。"
                ], "links": [link(&web.config.public_url, "/rdap/help")]},
                {"title": "个人信息", "description": ["经办人、联系人的姓名、电话和电子邮箱依法不予公开。"]}
            ],
        }),
    )
}
