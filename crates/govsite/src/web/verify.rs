//! The public verification of a badge: `/v/{code}` (the page a badge links to), `/v?q=` (by
//! badge code, domain in Unicode or ACE, or unit name), `/v/{code}.json` (the same facts,
//! signed with Ed25519 over canonical JSON so anyone can check them offline) and
//! `/v/key.pem` (the public key). Public facts only: never a person's name, phone or ID.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use ed25519_dalek::{Signer, SigningKey};
use govsite_core::badge::BadgeCode;
use govsite_core::org_type::OrgType;
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::error::AppError;
use super::form::{PathText, Query};
use super::session::Ctx;
use crate::store::sites::{self, Site};
use crate::store::{offices, units};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/v", get(search))
        .route("/v/{file}", get(verify))
        .route("/v/keys/{file}", get(published_key))
        .route("/v/{code}/report", axum::routing::post(report))
}

/// The facts a badge vouches for, as the page shows them and the signature covers them.
/// Keys are the JSON names; a `BTreeMap` keeps them sorted (the canonical form).
async fn facts(web: &WebState, site: &Site) -> Result<BTreeMap<&'static str, String>, AppError> {
    let unit = units::find(&web.db, site.unit_id, units::Scope::All)
        .await?
        .ok_or(AppError::NotFound)?;
    let issuer = match govsite_core::region::RegionCode::from_i64(site.region_code) {
        Some(r) => match offices::find_by_region(&web.db, r).await? {
            Some(id) => offices::find(&web.db, id).await?.map(|o| o.name),
            None => None,
        },
        None => None,
    }
    .unwrap_or_else(|| "政务和公益机构域名注册管理中心".to_owned());
    let issued = govsite_core::deadline::cst_date(site.badge_issued_at).to_string();
    // The 职能 the reviewers approved with the badge, not whatever 单位信息 says today.
    let functions = sites::latest_form_of_site(&web.db, site.id)
        .await?
        .map(|f| f.functions.trim().to_owned())
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| unit.form.functions.clone());
    let status = match site.badge_state.as_str() {
        "suspended" => "suspended",
        "revoked" => "revoked",
        _ => "valid",
    };
    Ok(BTreeMap::from([
        ("badge_code", site.badge_code.clone()),
        ("organization_name", unit.form.name.clone()),
        (
            "organization_type",
            OrgType::parse(&unit.org_type)
                .map_or("", OrgType::label)
                .to_owned(),
        ),
        ("organization_address", unit.form.address.clone()),
        ("organization_functions", functions),
        ("site_name", site.name.clone()),
        (
            "chinese_domain",
            if site.red_page {
                "网络红页".to_owned()
            } else {
                site.domain_label.clone()
            },
        ),
        ("english_domain", site.english_domain.clone()),
        ("icp_record", site.icp_record.clone()),
        ("psb_record", site.psb_record.clone()),
        ("issuer", issuer),
        ("issued_on", issued),
        ("status", status.to_owned()),
    ]))
}

fn status_label(status: &str) -> &'static str {
    match status {
        "valid" => "有效",
        "suspended" => "已暂停",
        _ => "已注销",
    }
}

/// The key in use and its id.
async fn key(web: &WebState) -> Result<(String, SigningKey), AppError> {
    let key = web.badge_key().await?;
    Ok((key.kid, SigningKey::from_bytes(&key.seed)))
}

/// `/v/keys/{kid}.pem`: any key ever used, retired ones included, so that a statement signed
/// before a rotation still verifies.
async fn published_key(
    State(web): State<WebState>,
    PathText(file): PathText,
) -> Result<Response, AppError> {
    let kid = file.strip_suffix(".pem").ok_or(AppError::NotFound)?;
    let keys = crate::store::secrets::published_badge_keys(&web.db).await?;
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or(AppError::NotFound)?;
    let public = data_encoding::BASE64
        .decode(key.public_key.as_bytes())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("signing key {kid} malformed")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-pem-file"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        pem(&public),
    )
        .into_response())
}

/// `/v/keys.json`: every badge key, the one in use first, with when it was made and retired.
async fn published_keys(web: &WebState) -> Result<Response, AppError> {
    let keys = crate::store::secrets::published_badge_keys(&web.db).await?;
    let keys: Vec<_> = keys
        .iter()
        .map(|k| {
            serde_json::json!({
                "key_id": k.kid,
                "algorithm": "Ed25519",
                "public_key": k.public_key,
                "pem_url": format!("{}/v/keys/{}.pem", web.config.public_url, k.kid),
                "created_at": stamp(k.created_at),
                "retired_at": k.retired_at.map(stamp),
            })
        })
        .collect();
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(serde_json::json!({ "keys": keys })),
    )
        .into_response())
}

/// A time in UTC as the signed JSON writes it (RFC 3339, seconds).
fn stamp(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map_or_else(String::new, |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The canonical bytes: sorted keys, no whitespace, UTF-8 (serde_json over a BTreeMap).
pub fn canonical(facts: &BTreeMap<&str, String>) -> String {
    serde_json::to_string(facts).unwrap_or_default()
}

/// The public key as PEM (SubjectPublicKeyInfo), for `openssl pkeyutl -verify`.
fn pem(public: &[u8; 32]) -> String {
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(public);
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        data_encoding::BASE64.encode(&der)
    )
}

fn qr_data_uri(url: &str) -> String {
    qrcode::QrCode::new(url.as_bytes())
        .map(|code| {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(160, 160)
                .build();
            format!(
                "data:image/svg+xml;base64,{}",
                data_encoding::BASE64.encode(svg.as_bytes())
            )
        })
        .unwrap_or_default()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    captcha: String,
    notice: String,
}

async fn verify(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(file): PathText,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    if file == "keys.json" {
        return published_keys(&web).await;
    }
    if file == "key.pem" {
        let (_, k) = key(&web).await?;
        return Ok((
            [(header::CONTENT_TYPE, "application/x-pem-file")],
            pem(&k.verifying_key().to_bytes()),
        )
            .into_response());
    }
    let (code, json) = match file.strip_suffix(".json") {
        Some(c) => (c, true),
        None => (file.as_str(), false),
    };
    // The shape is checked before any lookup: a malformed code costs no query.
    let code = BadgeCode::parse(code).map_err(|_| AppError::NotFound)?;
    let site = sites::by_code(&web.db, code.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let facts = facts(&web, &site).await?;
    if json {
        // A statement of state at a time: it says when it was signed and how long to trust
        // it, so an old "valid" cannot stand in for a later revocation.
        let mut facts = facts;
        let now = web.now();
        facts.insert("signed_at", stamp(now));
        facts.insert("valid_until", stamp(now + 86_400));
        let (kid, k) = key(&web).await?;
        facts.insert("key_id", kid.clone());
        let signature = k.sign(canonical(&facts).as_bytes());
        let body = serde_json::json!({
            "facts": facts,
            "algorithm": "Ed25519",
            "canonical": "facts as JSON: keys sorted, no whitespace, UTF-8",
            "signature": data_encoding::BASE64.encode(&signature.to_bytes()),
            "public_key": data_encoding::BASE64.encode(&k.verifying_key().to_bytes()),
            "key_id": kid,
            "public_key_url": format!("{}/v/keys/{kid}.pem", web.config.public_url),
            "keys_url": format!("{}/v/keys.json", web.config.public_url),
        });
        return Ok((
            [(header::CACHE_CONTROL, "public, max-age=300")],
            axum::Json(body),
        )
            .into_response());
    }
    page(
        &web,
        &ctx,
        &site,
        facts,
        q.captcha == "text",
        None,
        &ReportForm::default(),
        q.notice == "reported",
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn page(
    web: &WebState,
    ctx: &Ctx,
    site: &Site,
    facts: BTreeMap<&'static str, String>,
    text_captcha: bool,
    errors: Option<&govsite_core::FieldErrors>,
    form: &ReportForm,
    reported: bool,
) -> Result<Response, AppError> {
    let url = format!("{}/v/{}", web.config.public_url, site.badge_code);
    let status = facts.get("status").cloned().unwrap_or_default();
    // A red-page site: the red page itself, when it is public.
    let red_page_url =
        if site.red_page && crate::store::red_pages::is_published(&web.db, site.unit_id).await? {
            crate::store::red_pages::slug(&web.db, site.unit_id)
                .await?
                .map(|s| crate::red_page::book::web_base(&s))
        } else {
            None
        };
    Ok(web
        .page(ctx, "verify.html", context! {
            challenge => super::captcha::issue(web, text_captcha).await?,
            kinds => crate::store::badges::REPORT_KINDS,
            form => form,
            errors => errors,
            reported => reported,
            title => format!("网站标识核验：{}", site.name),
            facts => facts,
            status => status,
            status_label => status_label(&status),
            alt => if facts.get("organization_type").is_some_and(|t| t == "事业单位") { "事业单位网站标识" } else { "党政机关网站标识" },
            qr => qr_data_uri(&url),
            url => url,
            red_page_url => red_page_url,
        })?
        .into_response())
}

#[derive(Deserialize, Default, serde::Serialize)]
#[serde(default)]
struct ReportForm {
    kind: String,
    url: String,
    description: String,
    contact: String,
    captcha_token: String,
    captcha: String,
    captcha_mode: String,
    /// `text` or `image`: the visitor asked for the other captcha; nothing is filed and
    /// everything typed comes back.
    captcha_switch: String,
}

/// Most reports one address may file in an hour.
const REPORTS_PER_HOUR: i64 = 5;

/// A report from the public about a badge: a counterfeit site or an error. Captcha, at most
/// five per address an hour; it lands in the queue of the badge's 编办.
async fn report(
    State(web): State<WebState>,
    ctx: Ctx,
    PathText(raw): PathText,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let code = BadgeCode::parse(&raw).map_err(|_| AppError::NotFound)?;
    let site = sites::by_code(&web.db, code.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    let form: ReportForm = super::form::parse(&body)?;
    if !form.captcha_switch.is_empty() {
        let facts = facts(&web, &site).await?;
        let text = form.captcha_switch == "text";
        return page(&web, &ctx, &site, facts, text, None, &form, false).await;
    }
    let now = web.now();
    let throttle = crate::store::throttle::Scope::BadgeReport;
    if crate::store::throttle::failures_since(&web.db, throttle, &ctx.limit_key, now - 3600).await?
        >= REPORTS_PER_HOUR
    {
        return Err(AppError::TooMany("提交过于频繁，请一小时后再试。"));
    }
    let mut e = govsite_core::FieldErrors::new();
    if crate::store::badges::kind_label(&form.kind).is_empty() {
        e.add("kind", "请选择反映的问题类型");
    }
    let description = e.check(
        "description",
        govsite_core::contact::required_text("问题描述", &form.description, 500),
    );
    let url = form.url.trim();
    if !url.is_empty() && govsite_core::domain_form::parse_url(url).is_none() {
        e.add("url", "网址应以 http:// 或 https:// 开头");
    }
    let contact = e.check(
        "contact",
        govsite_core::contact::optional_text("联系方式", &form.contact, 60),
    );
    if e.is_empty()
        && !super::captcha::verify(&web, &ctx, &form.captcha_token, &form.captcha).await?
    {
        e.add("captcha", "验证码不正确，请重新输入");
    }
    let (Some(description), Some(contact), true) = (description, contact, e.is_empty()) else {
        let facts = facts(&web, &site).await?;
        let text = form.captcha_mode == "text";
        return page(&web, &ctx, &site, facts, text, Some(&e), &form, false).await;
    };
    crate::store::throttle::record_failure(&web.db, throttle, &ctx.limit_key, now).await?;
    let report = crate::store::badges::NewReport {
        site_id: site.id,
        kind: &form.kind,
        url,
        description: &description,
        contact: &contact,
    };
    crate::registry::badges::file_report(&web.db, &report, now).await?;
    Ok(
        axum::response::Redirect::to(&format!("/v/{}?notice=reported", site.badge_code))
            .into_response(),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchQuery {
    q: String,
}

async fn search(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(query): Query<SearchQuery>,
) -> Result<Html<String>, AppError> {
    let q: String = query.q.trim().chars().take(100).collect();
    let results = if q.is_empty() {
        Vec::new()
    } else {
        let code = BadgeCode::parse(&q)
            .map(|c| c.to_string())
            .unwrap_or_default();
        let host = q
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .split('/')
            .next()
            .unwrap_or("")
            .trim_end_matches('.')
            .to_lowercase();
        // A Unicode domain is looked up as typed (Unicode) and in ACE.
        let ace = idna::domain_to_ascii(&host).unwrap_or_default();
        let mut found = sites::search(&web.db, &code, &host, &q).await?;
        if ace != host {
            for s in sites::search(&web.db, "", &ace, "").await? {
                if !found.iter().any(|f| f.id == s.id) {
                    found.push(s);
                }
            }
        }
        found
    };
    web.page(
        &ctx,
        "verify_search.html",
        context! {
            title => "网站标识核验查询",
            q => q,
            results => results,
            searched => !query.q.trim().is_empty(),
        },
    )
}
