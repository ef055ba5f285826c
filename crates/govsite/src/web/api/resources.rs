//! The lists and records the API reads: units, domains, sites, badges, domain and website
//! applications, campaigns and their progress — each within the caller's reach, newest first,
//! paged by cursor. No personal contact is ever part of an answer.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use govsite_core::badge_state::BadgeState;
use govsite_core::domain_application::AppState;
use govsite_core::ids::{DomainApplicationId, SiteApplicationId, UnitId};
use govsite_core::region::RegionCode;
use govsite_core::site_application::SiteState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::caller::{Caller, Reach};
use super::problem::ProblemDetails;
use super::{Problem, cursor};
use crate::store::queues::{self, QueueFilter, Table};
use crate::store::{applications, domains, sites, units};
use crate::web::WebState;

pub fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_units))
        .routes(routes!(get_unit))
        .routes(routes!(list_domains))
        .routes(routes!(list_sites))
        .routes(routes!(list_badges))
        .routes(routes!(list_domain_applications))
        .routes(routes!(get_domain_application))
        .routes(routes!(list_site_applications))
        .routes(routes!(get_site_application))
}

/// A time as the API writes it: RFC 3339 in China Standard Time.
pub fn time(ts: i64) -> String {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("a valid offset");
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.with_timezone(&cst).to_rfc3339())
        .unwrap_or_default()
}

/// The query of every list. Anything else in the query string is refused.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Words in the name, credit code, reference or domain (up to 60 characters).
    pub q: String,
    /// One state code (each list names its own); empty for all.
    pub state: String,
    /// A region code (six digits: a province, a city or a county), for the registry's keys.
    pub region: String,
    /// Rows per page, 1 to 100 (default 20).
    pub limit: String,
    /// The `next_cursor` of the previous page of the same query.
    pub cursor: String,
}

/// A list's query made safe: the filter within the caller's reach, the page size and the id
/// to continue below.
pub struct Listing {
    pub filter: QueueFilter,
    pub limit: u32,
    pub below: Option<i64>,
    digest: String,
}

impl Listing {
    /// Reads `raw` for a list at `path` whose states are `states` (all of them when none is
    /// asked for).
    pub async fn read(
        web: &WebState,
        caller: &Caller,
        path: &str,
        raw: Option<&str>,
        states: &[&'static str],
    ) -> Result<Self, Problem> {
        let p: ListParams = serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
            let text = e.to_string();
            if text.contains("unknown field") {
                Problem::new(
                    "unknown_parameter",
                    format!("不支持的查询参数（可用：q、state、region、limit、cursor）：{text}"),
                )
            } else {
                Problem::parameter(format!("查询字符串无法解析：{text}"))
            }
        })?;
        let limit = super::page_size(&p.limit)?;
        let chosen: Vec<&'static str> = match p.state.trim() {
            "" => states.to_vec(),
            s => vec![states.iter().copied().find(|x| *x == s).ok_or_else(|| {
                Problem::parameter(format!("state 应为以下之一：{}", states.join("、")))
            })?],
        };
        let mut filter = caller.filter();
        filter.states = chosen;
        filter.q = p.q.chars().take(60).collect();
        if !p.region.trim().is_empty() {
            if caller.reach != Reach::All {
                return Err(Problem::parameter(
                    "region 筛选只适用于注册管理中心的密钥；您的密钥已限于本辖区",
                ));
            }
            let code = RegionCode::parse(p.region.trim())
                .map_err(|_| Problem::parameter("region 应为六位行政区划代码"))?;
            filter.area = Some(code.area());
        }
        let digest = cursor::query_digest(&[
            path,
            &caller.key.id.to_string(),
            &filter.q,
            p.state.trim(),
            p.region.trim(),
        ]);
        let key = web.form_key().await?;
        let below = match p.cursor.trim() {
            "" => None,
            c => Some(cursor::decode(&key, c, &digest)?),
        };
        Ok(Self {
            filter,
            limit,
            below,
            digest,
        })
    }

    /// One page of `table`, each row turned into the API's item by `item`.
    pub async fn page<T, I>(
        self,
        web: &WebState,
        table: &Table<T>,
        item: impl Fn(T) -> I,
    ) -> Result<(Vec<I>, Option<String>), Problem> {
        let (rows, next) =
            queues::slice(&web.db, table, &self.filter, self.below, self.limit).await?;
        self.finish(web, rows.into_iter().map(item).collect(), next)
            .await
    }

    /// The items with the next page's cursor, when there is one.
    pub async fn finish<I>(
        &self,
        web: &WebState,
        items: Vec<I>,
        next: Option<i64>,
    ) -> Result<(Vec<I>, Option<String>), Problem> {
        let key = web.form_key().await?;
        Ok((items, next.map(|id| cursor::encode(&key, id, &self.digest))))
    }
}

macro_rules! page_of {
    ($page:ident, $item:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, ", newest first.")]
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $page {
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; absent on the last page.
            #[serde(skip_serializing_if = "Option::is_none")]
            pub next_cursor: Option<String>,
        }

        impl From<(Vec<$item>, Option<String>)> for $page {
            fn from((items, next_cursor): (Vec<$item>, Option<String>)) -> Self {
                Self { items, next_cursor }
            }
        }
    };
}

page_of!(UnitPage, Unit, "units");
page_of!(DomainPage, Domain, "registered names");
page_of!(SitePage, Site, "websites");
page_of!(BadgePage, Badge, "badges");
page_of!(
    DomainApplicationPage,
    DomainApplication,
    "domain applications"
);
page_of!(SiteApplicationPage, SiteApplication, "website applications");

/// A unit (开办主体). Its contacts are not part of the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct Unit {
    pub id: i64,
    pub name: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    pub org_type: String,
    pub region_code: i64,
    pub region_name: String,
    /// False while a self-registered unit waits for its 编办's confirmation.
    pub confirmed: bool,
    pub registered_at: String,
}

impl From<units::UnitSummary> for Unit {
    fn from(u: units::UnitSummary) -> Self {
        Self {
            id: u.id.get(),
            name: u.name,
            credit_code: u.credit_code,
            org_type: u.org_type_label.to_owned(),
            region_code: u.region_code,
            region_name: u.region_name,
            confirmed: u.confirmed,
            registered_at: time(u.created_at),
        }
    }
}

/// A registered name.
#[derive(Debug, Serialize, ToSchema)]
pub struct Domain {
    pub id: i64,
    /// The name in Chinese, e.g. 靖远县人民政府.政务.
    pub name: String,
    /// The same name in ASCII (xn--…).
    pub ace: String,
    /// `active`, `expired` (still resolving, in protection) or `suspended`.
    pub state: String,
    pub state_label: String,
    /// Resolution stopped by a 编办 or the registry.
    pub held: bool,
    pub unit_id: i64,
    pub unit_name: String,
    pub registered_at: String,
    pub expires_at: String,
}

impl From<domains::Domain> for Domain {
    fn from(d: domains::Domain) -> Self {
        Self {
            id: d.id.get(),
            name: d.unicode(),
            ace: d.ace,
            state: d.state.as_str().to_owned(),
            state_label: d.state.label().to_owned(),
            held: d.held,
            unit_id: d.unit_id.get(),
            unit_name: d.unit_name,
            registered_at: time(d.registered_at),
            expires_at: time(d.expires_at),
        }
    }
}

/// A website's badge (网站标识).
#[derive(Debug, Serialize, ToSchema)]
pub struct Badge {
    /// The badge code (CA + region + unit + site digits).
    pub code: String,
    /// `issued`, `mounted`, `overdue`, `suspended` or `revoked`.
    pub state: String,
    pub state_label: String,
    pub site_id: i64,
    pub site_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// The last day to mount it on the site.
    pub mount_due: String,
    /// The public verification card.
    pub verify_url: String,
    /// What the mount checker last found, in words (empty before its first visit).
    pub last_check: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_check_at: Option<String>,
}

/// A website with its badge and its public filings.
#[derive(Debug, Serialize, ToSchema)]
pub struct Site {
    pub id: i64,
    pub name: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// The Chinese domain the site is opened under (empty for a 网络红页).
    pub domain: String,
    pub english_domain: String,
    /// A 网络红页 hosted by the platform.
    pub red_page: bool,
    /// ICP备案号 (or ICP证), empty when not recorded.
    pub icp_record: String,
    /// 公安机关互联网站安全管理服务平台备案号, empty when not recorded.
    pub psb_record: String,
    pub badge: Badge,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
}

fn badge_of(s: &sites::Site, public_url: &str) -> Badge {
    Badge {
        code: s.badge_code.clone(),
        state: s.badge_state.as_str().to_owned(),
        state_label: s.badge_state_label.to_owned(),
        site_id: s.id.get(),
        site_name: s.name.clone(),
        unit_id: s.unit_id.get(),
        unit_name: s.unit_name.clone(),
        mount_due: s.mount_due.clone(),
        verify_url: format!("{public_url}/v/{}", s.badge_code),
        last_check: s.last_check_label.to_owned(),
        last_check_at: s.last_check_at.map(time),
    }
}

fn site_of(s: sites::Site, public_url: &str) -> Site {
    let badge = badge_of(&s, public_url);
    // The Chinese form of the site's domain (empty for a 网络红页).
    let domain = idna::domain_to_unicode(&s.domain_ace).0;
    Site {
        id: s.id.get(),
        name: s.name,
        unit_id: s.unit_id.get(),
        unit_name: s.unit_name,
        domain,
        english_domain: s.english_domain,
        red_page: s.red_page,
        icp_record: s.icp_record,
        psb_record: s.psb_record,
        badge,
        closed_at: s.closed_at.map(time),
    }
}

/// A domain registration application.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainApplication {
    pub id: i64,
    pub reference: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// `.政务` or `.公益`.
    pub suffix: String,
    pub state: String,
    pub state_label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// The 编办's review deadline (a date), empty once reviewed.
    pub office_due: String,
    /// The names applied for, with each stage's verdict (in a single application's answer).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<AppliedName>,
}

/// One name of a domain application and the verdicts on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppliedName {
    /// Pass as `name_id` to decide on this name alone.
    pub name_id: i64,
    pub name: String,
    pub ace: String,
    pub years: i64,
    /// `approve`, `reject`, or empty before the 编办's review.
    pub office_verdict: String,
    pub registry_verdict: String,
}

impl From<applications::Application> for DomainApplication {
    fn from(a: applications::Application) -> Self {
        Self {
            id: a.id.get(),
            reference: a.reference.unwrap_or_default(),
            unit_id: a.unit_id.get(),
            unit_name: a.unit_name,
            suffix: format!(".{}", a.suffix),
            state: a.state.as_str().to_owned(),
            state_label: a.state_label.to_owned(),
            submitted_at: a.submitted_at.map(time),
            office_due: a.office_due,
            names: Vec::new(),
        }
    }
}

/// A website opening review or re-qualification application. The 经办人's details are not
/// part of the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteApplication {
    pub id: i64,
    pub reference: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// `opening` (网站开办审核) or `requalification` (资格复核).
    pub kind: String,
    pub kind_label: String,
    pub state: String,
    pub state_label: String,
    pub site_name: String,
    pub domain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    pub office_due: String,
    /// The last day for the paper filing, when one is asked for.
    pub paper_due: String,
    /// A rejection's reason code and explanation.
    pub reason_code: String,
    pub reason_text: String,
}

impl From<sites::SiteApplication> for SiteApplication {
    fn from(a: sites::SiteApplication) -> Self {
        Self {
            id: a.id.get(),
            reference: a.reference.unwrap_or_default(),
            unit_id: a.unit_id.get(),
            unit_name: a.unit_name,
            kind: a.kind.as_str().to_owned(),
            kind_label: a.kind_label.to_owned(),
            state: a.state.as_str().to_owned(),
            state_label: a.state_label.to_owned(),
            site_name: a.form.site_name,
            domain: a.form.domain,
            submitted_at: a.submitted_at.map(time),
            office_due: a.office_due,
            paper_due: a.paper_due,
            reason_code: a.reason_code,
            reason_text: a.reason_text,
        }
    }
}

const UNIT_STATES: [&str; 2] = ["pending", "confirmed"];
const DOMAIN_STATES: [&str; 3] = ["active", "expired", "suspended"];

fn badge_states() -> Vec<&'static str> {
    BadgeState::ALL.iter().map(|s| s.as_str()).collect()
}

/// Applications the unit has not yet submitted are its own business.
fn domain_app_states() -> Vec<&'static str> {
    AppState::ALL
        .iter()
        .filter(|s| **s != AppState::Draft)
        .map(|s| s.as_str())
        .collect()
}

fn site_app_states() -> Vec<&'static str> {
    SiteState::ALL
        .iter()
        .filter(|s| **s != SiteState::Draft)
        .map(|s| s.as_str())
        .collect()
}

/// Units (`state`: `pending` awaiting the 编办's confirmation, `confirmed`).
#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(ListParams),
    security(("bearer" = [])),
    responses((status = 200, body = UnitPage), (status = 400, body = ProblemDetails),
               (status = 401, body = ProblemDetails), (status = 403, body = ProblemDetails), (status = 429, body = ProblemDetails)))]
async fn list_units(
    State(web): State<WebState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<UnitPage>, Problem> {
    let l = Listing::read(&web, &caller, "/api/v1/units", raw.as_deref(), &UNIT_STATES).await?;
    Ok(Json(l.page(&web, &units::QUEUE, Unit::from).await?.into()))
}

/// One unit.
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units",
    params(("id" = i64, Path, description = "The unit's id")), security(("bearer" = [])),
    responses((status = 200, body = Unit), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
async fn get_unit(
    State(web): State<WebState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Unit>, Problem> {
    let id: UnitId = id.parse().map_err(|_| Problem::not_found())?;
    let scope = match caller.reach {
        Reach::All => units::Scope::All,
        Reach::Region(r) => units::Scope::Region(r),
        Reach::Unit(own) if own == id => units::Scope::All,
        Reach::Unit(_) => return Err(Problem::not_found()),
    };
    let u = units::summary_of(&web.db, id, scope)
        .await?
        .ok_or_else(Problem::not_found)?;
    Ok(Json(u.into()))
}

/// Registered names (`state`: `active`, `expired`, `suspended`).
#[utoipa::path(get, path = "/api/v1/domains", tag = "domains", params(ListParams),
    security(("bearer" = [])),
    responses((status = 200, body = DomainPage), (status = 400, body = ProblemDetails),
               (status = 401, body = ProblemDetails), (status = 429, body = ProblemDetails)))]
async fn list_domains(
    State(web): State<WebState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<DomainPage>, Problem> {
    let l = Listing::read(
        &web,
        &caller,
        "/api/v1/domains",
        raw.as_deref(),
        &DOMAIN_STATES,
    )
    .await?;
    Ok(Json(
        l.page(&web, &domains::QUEUE, Domain::from).await?.into(),
    ))
}

/// Websites with their badges and filings (`state`: the badge's state).
#[utoipa::path(get, path = "/api/v1/sites", tag = "sites", params(ListParams),
    security(("bearer" = [])),
    responses((status = 200, body = SitePage), (status = 400, body = ProblemDetails),
               (status = 401, body = ProblemDetails), (status = 429, body = ProblemDetails)))]
async fn list_sites(
    State(web): State<WebState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<SitePage>, Problem> {
    let l = Listing::read(
        &web,
        &caller,
        "/api/v1/sites",
        raw.as_deref(),
        &badge_states(),
    )
    .await?;
    let base = web.config.public_url.clone();
    Ok(Json(
        l.page(&web, &sites::SITES, |s| site_of(s, &base))
            .await?
            .into(),
    ))
}

/// Badges (`state`: `issued`, `mounted`, `overdue`, `suspended`, `revoked`).
#[utoipa::path(get, path = "/api/v1/badges", tag = "sites", params(ListParams),
    security(("bearer" = [])),
    responses((status = 200, body = BadgePage), (status = 400, body = ProblemDetails),
               (status = 401, body = ProblemDetails), (status = 429, body = ProblemDetails)))]
async fn list_badges(
    State(web): State<WebState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<BadgePage>, Problem> {
    let l = Listing::read(
        &web,
        &caller,
        "/api/v1/badges",
        raw.as_deref(),
        &badge_states(),
    )
    .await?;
    let base = web.config.public_url.clone();
    Ok(Json(
        l.page(&web, &sites::SITES, |s| badge_of(&s, &base))
            .await?
            .into(),
    ))
}

/// Domain registration applications (drafts are not listed).
#[utoipa::path(get, path = "/api/v1/domain-applications", tag = "reviews", params(ListParams),
    security(("bearer" = [])),
    responses((status = 200, body = DomainApplicationPage), (status = 400, body = ProblemDetails),
               (status = 401, body = ProblemDetails), (status = 429, body = ProblemDetails)))]
async fn list_domain_applications(
    State(web): State<WebState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<DomainApplicationPage>, Problem> {
    let l = Listing::read(
        &web,
        &caller,
        "/api/v1/domain-applications",
        raw.as_deref(),
        &domain_app_states(),
    )
    .await?;
    Ok(Json(
        l.page(&web, &applications::QUEUE, DomainApplication::from)
            .await?
            .into(),
    ))
}

/// One domain application within reach (not a draft), as the store holds it.
pub async fn domain_application_in_reach(
    web: &WebState,
    caller: &Caller,
    id: &str,
) -> Result<applications::Application, Problem> {
    let id: DomainApplicationId = id.parse().map_err(|_| Problem::not_found())?;
    applications::find(&web.db, id)
        .await?
        .filter(|a| a.state != AppState::Draft && caller.reaches(a.unit_id, a.region_code))
        .ok_or_else(Problem::not_found)
}

/// One domain application with its names and their verdicts.
#[utoipa::path(get, path = "/api/v1/domain-applications/{id}", tag = "reviews",
    params(("id" = i64, Path, description = "The application's id")), security(("bearer" = [])),
    responses((status = 200, body = DomainApplication), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
async fn get_domain_application(
    State(web): State<WebState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DomainApplication>, Problem> {
    let a = domain_application_in_reach(&web, &caller, &id).await?;
    Ok(Json(with_names(&web, a).await?))
}

/// The API's view of an application, with its names.
pub async fn with_names(
    web: &WebState,
    a: applications::Application,
) -> Result<DomainApplication, Problem> {
    let names = applications::names(&web.db, a.id).await?;
    let suffix = a.suffix.clone();
    let mut out = DomainApplication::from(a);
    out.names = names
        .into_iter()
        .map(|n| AppliedName {
            name_id: n.id,
            name: format!("{}.{suffix}", n.label),
            ace: n.ace,
            years: n.years,
            office_verdict: n.office_verdict,
            registry_verdict: n.registry_verdict,
        })
        .collect();
    Ok(out)
}

/// Website opening and re-qualification applications (drafts are not listed).
#[utoipa::path(get, path = "/api/v1/site-applications", tag = "reviews", params(ListParams),
    security(("bearer" = [])),
    responses((status = 200, body = SiteApplicationPage), (status = 400, body = ProblemDetails),
               (status = 401, body = ProblemDetails), (status = 429, body = ProblemDetails)))]
async fn list_site_applications(
    State(web): State<WebState>,
    caller: Caller,
    RawQuery(raw): RawQuery,
) -> Result<Json<SiteApplicationPage>, Problem> {
    let l = Listing::read(
        &web,
        &caller,
        "/api/v1/site-applications",
        raw.as_deref(),
        &site_app_states(),
    )
    .await?;
    Ok(Json(
        l.page(&web, &sites::QUEUE, SiteApplication::from)
            .await?
            .into(),
    ))
}

/// One website application within reach (not a draft).
pub async fn site_application_in_reach(
    web: &WebState,
    caller: &Caller,
    id: &str,
) -> Result<sites::SiteApplication, Problem> {
    let id: SiteApplicationId = id.parse().map_err(|_| Problem::not_found())?;
    sites::find(&web.db, id)
        .await?
        .filter(|a| a.state != SiteState::Draft && caller.reaches(a.unit_id, a.region_code))
        .ok_or_else(Problem::not_found)
}

/// One website application.
#[utoipa::path(get, path = "/api/v1/site-applications/{id}", tag = "reviews",
    params(("id" = i64, Path, description = "The application's id")), security(("bearer" = [])),
    responses((status = 200, body = SiteApplication), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
async fn get_site_application(
    State(web): State<WebState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SiteApplication>, Problem> {
    Ok(Json(
        site_application_in_reach(&web, &caller, &id).await?.into(),
    ))
}
