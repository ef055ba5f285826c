//! 专项工作 through the API: the campaigns a reviewer sees and each one's progress over the
//! units of the caller's part of it (an office looking at a campaign from above sees its own
//! units only, as on the console).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use govsite_core::campaign::{MilestoneKind, UnitProgress};
use govsite_core::paging::PageRequest;
use govsite_core::role::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::caller::{Caller, Reach};
use super::problem::ProblemDetails;
use super::{Problem, cursor};
use crate::store::campaigns::{self, CampaignRow, ProgressFilter};
use crate::web::WebState;
use crate::web::console::campaigns::Viewer;

pub fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns))
        .routes(routes!(campaign_progress))
}

/// A campaign (专项工作) and its milestones.
#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub title: String,
    /// 文号 of the notice that launched it.
    pub doc_number: String,
    pub region_code: i64,
    pub region_name: String,
    /// `draft` or `published`.
    pub state: String,
    pub starts_on: String,
    pub milestones: Vec<Milestone>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Milestone {
    /// `domain`, `application` or `badge`.
    pub kind: String,
    pub label: String,
    pub due_on: String,
    /// How many of the caller's units stand at each status of this milestone.
    pub counts: Vec<StatusCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub label: String,
    pub units: i64,
}

/// The campaigns within reach.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    pub items: Vec<Campaign>,
}

/// One unit's progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitProgressItem {
    pub unit_id: i64,
    pub name: String,
    pub credit_code: String,
    pub region_name: String,
    /// The domain milestone's status code and words.
    pub domain: String,
    pub domain_label: String,
    /// The website milestone's status code and words.
    pub site: String,
    pub site_label: String,
}

/// A campaign with a page of its units' progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignProgress {
    pub campaign: Campaign,
    pub items: Vec<UnitProgressItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The progress list's query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgressParams {
    /// A milestone kind (`domain`, `application`, `badge`) to filter by.
    pub milestone: String,
    /// With `milestone`: one status code of it.
    pub status: String,
    /// With `milestone`: `1` for the units that have not met it.
    pub missing: String,
    /// Words in the unit's name or credit code.
    pub q: String,
    pub limit: String,
    pub cursor: String,
}

fn viewer(caller: &Caller) -> Result<Viewer, Problem> {
    match (caller.account.role, caller.reach) {
        (Role::RegistryReviewer, _) => Ok(Viewer { office: None }),
        (Role::OfficeReviewer, Reach::Region(r)) => Ok(Viewer {
            office: caller.account.office_id.map(|o| (o, r)),
        }),
        _ => Err(Problem::forbidden(
            "专项工作只对编办和注册管理中心的审核员开放",
        )),
    }
}

async fn campaign(web: &WebState, c: CampaignRow) -> Result<Campaign, Problem> {
    let mut milestones = Vec::new();
    for m in &c.milestones {
        let counts = campaigns::counts(&web.db, &c, m.kind)
            .await?
            .into_iter()
            .map(|(p, n)| StatusCount {
                status: p.as_str().to_owned(),
                label: p.label().to_owned(),
                units: n,
            })
            .collect();
        milestones.push(Milestone {
            kind: m.kind.as_str().to_owned(),
            label: m.kind_label.to_owned(),
            due_on: m.due_on.clone(),
            counts,
        });
    }
    Ok(Campaign {
        id: c.id,
        title: c.title,
        doc_number: c.doc_number,
        region_code: c.region_code,
        region_name: c.region_name,
        state: c.state,
        starts_on: c.starts_on,
        milestones,
    })
}

/// The campaigns the caller sees: an office its own and the published ones covering its
/// region, the registry all.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campaigns", security(("bearer" = [])),
    responses((status = 200, body = CampaignList), (status = 401, body = ProblemDetails), (status = 403, body = ProblemDetails)))]
async fn list_campaigns(
    State(web): State<WebState>,
    caller: Caller,
) -> Result<Json<CampaignList>, Problem> {
    let v = viewer(&caller)?;
    let mut items = Vec::new();
    for mut c in campaigns::visible(&web.db, v.office).await? {
        v.narrow(&mut c);
        items.push(campaign(&web, c).await?);
    }
    Ok(Json(CampaignList { items }))
}

/// One campaign's counts and a page of its units' progress, newest unit first.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/progress", tag = "campaigns",
    params(("id" = i64, Path, description = "The campaign's id"), ProgressParams),
    security(("bearer" = [])),
    responses((status = 200, body = CampaignProgress), (status = 400, body = ProblemDetails),
               (status = 401, body = ProblemDetails), (status = 403, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
async fn campaign_progress(
    State(web): State<WebState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<CampaignProgress>, Problem> {
    let v = viewer(&caller)?;
    let id: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(Problem::not_found)?;
    let mut c = campaigns::find(&web.db, id)
        .await?
        .filter(|c| v.sees(c))
        .ok_or_else(Problem::not_found)?;
    v.narrow(&mut c);
    let p: ProgressParams =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).map_err(|e| {
            Problem::new(
                "unknown_parameter",
                format!("查询参数有误（可用：milestone、status、missing、q、limit、cursor）：{e}"),
            )
        })?;
    let kind = match p.milestone.trim() {
        "" => None,
        k => Some(
            MilestoneKind::parse(k)
                .filter(|k| c.milestones.iter().any(|m| m.kind == *k))
                .ok_or_else(|| Problem::parameter("milestone 不是该专项工作的节点"))?,
        ),
    };
    let status = match (kind, p.status.trim()) {
        (_, "") => None,
        (Some(k), s) => Some(
            UnitProgress::parse(s)
                .filter(|st| UnitProgress::of(k).contains(st))
                .ok_or_else(|| Problem::parameter("status 不是该节点的状态"))?,
        ),
        (None, _) => return Err(Problem::parameter("status 需与 milestone 一起使用")),
    };
    let limit = super::page_size(&p.limit)?;
    let filter = ProgressFilter {
        kind,
        status,
        missing: p.missing == "1" && kind.is_some(),
        q: p.q.chars().take(60).collect(),
    };
    let digest = cursor::query_digest(&[
        "/api/v1/campaigns/progress",
        &id.to_string(),
        &caller.key.id.to_string(),
        p.milestone.trim(),
        p.status.trim(),
        p.missing.trim(),
        &filter.q,
    ]);
    let key = web.form_key().await?;
    let request = match p.cursor.trim() {
        "" => PageRequest::First,
        c => PageRequest::After(cursor::decode(&key, c, &digest)?),
    };
    let (rows, info) = campaigns::progress_page(&web.db, &c, &filter, request, limit, 1).await?;
    let next = info
        .has_next
        .then_some(info.last_id)
        .flatten()
        .map(|id| cursor::encode(&key, id, &digest));
    let items = rows
        .into_iter()
        .map(|r| UnitProgressItem {
            unit_id: r.unit_id.get(),
            name: r.name,
            credit_code: r.credit_code,
            region_name: r.region_name,
            domain: r.domain.as_str().to_owned(),
            domain_label: r.domain_label.to_owned(),
            site: r.site.as_str().to_owned(),
            site_label: r.site_label.to_owned(),
        })
        .collect();
    Ok(Json(CampaignProgress {
        campaign: campaign(&web, c).await?,
        items,
        next_cursor: next,
    }))
}
