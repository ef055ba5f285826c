//! 专项工作 in the console: an office's (or the registry's) campaigns, created as drafts,
//! published to the units in scope, their progress per milestone (counts, a chart over time,
//! every unit with search, filters, keyset paging and export), the proposals to stop
//! resolution confirmed or dismissed in bulk, restorations, and the English registry's stop
//! and restore requests (letter as PDF, list as .xlsx, tracked).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use govsite_core::FieldErrors;
use govsite_core::campaign::{CampaignForm, Consequence, MilestoneKind, OrgScope, UnitProgress};
use govsite_core::deadline::cst_date;
use govsite_core::ids::OfficeId;
use govsite_core::region::RegionCode;
use govsite_core::role::Role;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::registry::campaigns as decide;
use crate::store::campaigns::{self, CampaignRow, ProgressFilter};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::chart::{Series, percent_lines};
use crate::web::error::AppError;
use crate::web::form::{self, Query};
use crate::web::session::Ctx;

const PER_PAGE: u32 = 50;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/campaigns", get(list))
        .route("/console/campaigns/new", get(new_form).post(create))
        .route("/console/campaigns/{id}", get(show))
        .route("/console/campaigns/{id}/edit", get(edit_form).post(edit))
        .route("/console/campaigns/{id}/publish", post(publish))
        .route("/console/campaigns/{id}/progress", get(progress))
        .route("/console/campaigns/{id}/report.pdf", get(report))
        .route("/console/campaigns/{id}/enforcements", post(enforce))
        .route(
            "/console/campaigns/{id}/english/{request}",
            post(advance_english),
        )
        .route(
            "/console/campaigns/{id}/english/{request}/letter.pdf",
            get(english_letter),
        )
        .route(
            "/console/campaigns/{id}/english/{request}/list.xlsx",
            get(english_list),
        )
}

/// Who is looking: an office reviewer (its office and region) or the registry.
#[derive(Clone, Copy)]
pub(crate) struct Viewer {
    pub(crate) office: Option<(OfficeId, i64)>,
}

impl Viewer {
    /// Whether a region lies in the viewer's jurisdiction (the office's area; the registry
    /// everywhere).
    fn covers(self, r: RegionCode) -> bool {
        match self.office {
            None => true,
            Some((_, own)) => RegionCode::from_i64(own).is_some_and(|o| {
                let (lo, hi) = o.area();
                (lo..=hi).contains(&i64::from(r.value()))
            }),
        }
    }

    fn owns(self, c: &CampaignRow) -> bool {
        c.office_id == self.office.map(|(o, _)| o)
    }

    /// A campaign of an office above, seen by this office: its own units' part only.
    pub(crate) fn narrow(self, c: &mut CampaignRow) {
        if let Some((_, own)) = self.office
            && !self.owns(c)
        {
            c.region_code = own;
        }
    }

    pub(crate) fn sees(self, c: &CampaignRow) -> bool {
        match self.office {
            None => true,
            Some((_, region)) => {
                let (lo, hi) = c.area();
                self.owns(c) || (c.published() && (lo..=hi).contains(&region))
            }
        }
    }
}

async fn viewer(web: &WebState, ctx: &Ctx) -> Result<Viewer, AppError> {
    let user = ctx.require(|r| matches!(r, Role::OfficeReviewer | Role::RegistryReviewer))?;
    if user.role == Role::RegistryReviewer {
        return Ok(Viewer { office: None });
    }
    let id = user.office_id.ok_or(AppError::Forbidden)?;
    let office = crate::store::offices::find(&web.db, id)
        .await?
        .ok_or(AppError::Forbidden)?;
    Ok(Viewer {
        office: Some((id, office.region_code)),
    })
}

/// The campaign `id` if the viewer may see it (else it does not exist). An office looking
/// at a campaign of an office above it sees its own units' part only (supervision goes down
/// the hierarchy, not sideways).
async fn visible(web: &WebState, v: Viewer, id: &str) -> Result<CampaignRow, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let mut c = campaigns::find(&web.db, id)
        .await?
        .filter(|c| v.sees(c))
        .ok_or(AppError::NotFound)?;
    v.narrow(&mut c);
    Ok(c)
}

/// The campaign `id` if the viewer owns it (may edit, publish and enforce).
async fn owned(web: &WebState, v: Viewer, id: &str) -> Result<CampaignRow, AppError> {
    let c = visible(web, v, id).await?;
    if !v.owns(&c) {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

/// The published campaigns the viewer sees, each narrowed to the viewer's part, with how
/// many units met each milestone: the 工作台's campaign section.
pub(super) async fn summaries(
    web: &WebState,
    ctx: &Ctx,
) -> Result<Vec<minijinja::Value>, AppError> {
    let v = viewer(web, ctx).await?;
    let mut out = Vec::new();
    for mut c in campaigns::visible(&web.db, v.office).await? {
        if !c.published() {
            continue;
        }
        v.narrow(&mut c);
        let mut milestones = Vec::new();
        for m in &c.milestones {
            let counts = campaigns::counts(&web.db, &c, m.kind).await?;
            let (met, total) = m.kind.tally(&counts);
            milestones.push(context! {
                kind => m.kind,
                label => m.kind_label,
                due_on => m.due_on,
                met => met,
                behind => total - met,
                total => total,
            });
        }
        let open = campaigns::enforcements(&web.db, c.id)
            .await?
            .iter()
            .filter(|e| e.state == "proposed" || e.state == "restore_proposed")
            .count();
        out.push(context! {
            id => c.id,
            title => c.title,
            doc_number => c.doc_number,
            milestones => milestones,
            open => if v.owns(&c) { open } else { 0 },
        });
    }
    Ok(out)
}

async fn list(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let v = viewer(&web, &ctx).await?;
    let rows = campaigns::visible(&web.db, v.office).await?;
    web.page(
        &ctx,
        "console/campaigns.html",
        context! { title => "专项工作", campaigns => rows },
    )
}

fn options() -> minijinja::Value {
    let kinds: Vec<_> = MilestoneKind::ALL
        .iter()
        .map(|k| context! { key => k.as_str(), label => k.label() })
        .collect();
    let scopes: Vec<(&str, &str)> = [
        OrgScope::All,
        OrgScope::Government,
        OrgScope::PublicInstitution,
    ]
    .iter()
    .map(|s| (s.as_str(), s.label()))
    .collect();
    let consequences: Vec<(&str, &str)> = [Consequence::RemindOnly, Consequence::StopResolution]
        .iter()
        .map(|c| (c.as_str(), c.label()))
        .collect();
    context! { kinds => kinds, scopes => scopes, consequences => consequences }
}

async fn form_page(
    web: &WebState,
    ctx: &Ctx,
    campaign: Option<&CampaignRow>,
    f: &CampaignForm,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>, AppError> {
    let title = if campaign.is_some() {
        "修改专项工作"
    } else {
        "新建专项工作"
    };
    web.page(
        ctx,
        "console/campaign_form.html",
        context! {
            title => if errors.is_some() { format!("错误：{title}") } else { title.to_owned() },
            heading => title,
            campaign => campaign,
            form => f,
            errors => errors,
            options => options(),
        },
    )
}

async fn new_form(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let v = viewer(&web, &ctx).await?;
    let today = cst_date(web.now()).to_string();
    let f = CampaignForm {
        region_code: v.office.map_or(String::new(), |(_, r)| format!("{r:06}")),
        org_scope: "all".into(),
        starts_on: today,
        remind_days: "7,1".into(),
        domain_consequence: "remind".into(),
        application_consequence: "stop".into(),
        badge_consequence: "stop".into(),
        ..CampaignForm::default()
    };
    form_page(&web, &ctx, None, &f, None).await
}

async fn create(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let v = viewer(&web, &ctx).await?;
    let f: CampaignForm = form::parse(&body)?;
    let checked = match f.parse(|r| v.covers(r)) {
        Ok(c) => c,
        Err(e) => {
            return Ok(form_page(&web, &ctx, None, &f, Some(&e))
                .await?
                .into_response());
        }
    };
    let id = decide::create(
        &web.db,
        &actor(&ctx),
        v.office.map(|(o, _)| o),
        &checked,
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/campaigns/{id}?done=created")).into_response())
}

fn form_of(c: &CampaignRow) -> CampaignForm {
    let mut f = CampaignForm {
        title: c.title.clone(),
        doc_number: c.doc_number.clone(),
        region_code: format!("{:06}", c.region_code),
        org_scope: c.org_scope.clone(),
        starts_on: c.starts_on.clone(),
        remind_days: c.remind_days.clone(),
        ..CampaignForm::default()
    };
    for m in &c.milestones {
        let (due, consequence) = (m.due_on.clone(), m.consequence.as_str().to_owned());
        match m.kind {
            MilestoneKind::Domain => (f.domain_due, f.domain_consequence) = (due, consequence),
            MilestoneKind::Application => {
                (f.application_due, f.application_consequence) = (due, consequence);
            }
            MilestoneKind::Badge => (f.badge_due, f.badge_consequence) = (due, consequence),
        }
    }
    f
}

async fn edit_form(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Html<String>, AppError> {
    let v = viewer(&web, &ctx).await?;
    let c = owned(&web, v, &id).await?;
    form_page(&web, &ctx, Some(&c), &form_of(&c), None).await
}

async fn edit(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let v = viewer(&web, &ctx).await?;
    let c = owned(&web, v, &id).await?;
    let f: CampaignForm = form::parse(&body)?;
    let checked = match f.parse(|r| v.covers(r)) {
        Ok(checked) => checked,
        Err(e) => {
            return Ok(form_page(&web, &ctx, Some(&c), &f, Some(&e))
                .await?
                .into_response());
        }
    };
    match decide::edit(&web.db, &actor(&ctx), &c, &checked, web.now()).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/console/campaigns/{}?done=edited", c.id)).into_response())
        }
        Err(crate::registry::RegistryError::Refused(m)) => {
            let mut e = FieldErrors::new();
            e.add("domain_due", m);
            Ok(form_page(&web, &ctx, Some(&c), &f, Some(&e))
                .await?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn publish(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, AppError> {
    let v = viewer(&web, &ctx).await?;
    let c = owned(&web, v, &id).await?;
    decide::publish(&web.db, &actor(&ctx), &c, web.now()).await?;
    Ok(Redirect::to(&format!("/console/campaigns/{}?done=published", c.id)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    done: String,
    n: String,
    skipped: String,
}

#[derive(Serialize)]
struct CountRow {
    status: &'static str,
    label: &'static str,
    n: i64,
    met: bool,
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let v = viewer(&web, &ctx).await?;
    let c = visible(&web, v, &id).await?;
    let mut summaries = Vec::new();
    for m in &c.milestones {
        let counts = campaigns::counts(&web.db, &c, m.kind).await?;
        let (met, total) = m.kind.tally(&counts);
        let rows: Vec<CountRow> = UnitProgress::of(m.kind)
            .iter()
            .map(|p| CountRow {
                status: p.as_str(),
                label: p.label(),
                n: counts.iter().find(|(x, _)| x == p).map_or(0, |(_, n)| *n),
                met: m.kind.met_by(*p),
            })
            .collect();
        summaries.push(context! { milestone => m, rows => rows, total => total, met => met });
    }
    let history = campaigns::history(&web.db, c.id).await?;
    let series: Vec<Series<'_>> = c
        .milestones
        .iter()
        .map(|m| Series {
            label: m.kind_label,
            points: history
                .iter()
                .filter(|(_, k, _, _)| *k == m.kind)
                .map(|(day, _, met, total)| {
                    (
                        day.clone(),
                        if *total == 0 {
                            0.0
                        } else {
                            *met as f64 * 100.0 / *total as f64
                        },
                    )
                })
                .collect(),
        })
        .collect();
    let chart = if history.is_empty() {
        String::new()
    } else {
        percent_lines(&format!("{}：各节点完成比例", c.title), &series)
    };
    let history_rows: Vec<_> = history
        .iter()
        .map(|(day, kind, met, total)| context! { day => day, kind => kind.label(), met => met, total => total })
        .collect();
    let done = match q.done.as_str() {
        "created" => "已保存为草稿。核对后请发布，发布后范围内的单位即可在首页看到。".to_owned(),
        "edited" => "已保存修改，修改内容已记入操作记录。".to_owned(),
        "published" => "已发布。范围内的单位将在首页看到本专项工作，并按设置收到提醒。".to_owned(),
        "confirmed" | "dismissed" | "restored" => {
            let what = match q.done.as_str() {
                "confirmed" => "已确认停止解析",
                "dismissed" => "已不予停止",
                _ => "已恢复解析",
            };
            let n: u32 = q.n.parse().unwrap_or(0);
            let skipped: u32 = q.skipped.parse().unwrap_or(0);
            let mut s = format!("{what}：{n} 个单位。");
            if skipped > 0 {
                s.push_str(&format!(
                    "另有 {skipped} 个单位未处理（已达标或已被他人处理），见下表状态。"
                ));
            }
            s
        }
        _ => String::new(),
    };
    web.page(
        &ctx,
        "console/campaign.html",
        context! {
            title => c.title.clone(),
            campaign => &c,
            owner => v.owns(&c),
            summaries => summaries,
            chart => chart,
            history => history_rows,
            enforcements => campaigns::enforcements(&web.db, c.id).await?,
            english => if v.owns(&c) { campaigns::english_requests(&web.db, c.id).await? } else { Vec::new() },
            done => done,
        },
    )
}

#[derive(Deserialize, Default, Serialize)]
#[serde(default)]
struct ProgressQuery {
    kind: String,
    status: String,
    missing: String,
    q: String,
    after: String,
    before: String,
    page: String,
    last: String,
    at: String,
    format: String,
}

async fn progress(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(q): Query<ProgressQuery>,
) -> Result<Response, AppError> {
    let v = viewer(&web, &ctx).await?;
    let c = visible(&web, v, &id).await?;
    let kind = MilestoneKind::parse(&q.kind).filter(|k| c.milestones.iter().any(|m| m.kind == *k));
    let filter = ProgressFilter {
        kind,
        status: kind.and(UnitProgress::parse(&q.status)),
        missing: q.missing == "1" && kind.is_some(),
        q: q.q.chars().take(60).collect(),
    };
    if q.format == "xlsx" {
        let rows: Vec<Vec<String>> = campaigns::progress_all(&web.db, &c, &filter, 1_000_000)
            .await?
            .into_iter()
            .map(|p| {
                vec![
                    p.name,
                    p.credit_code,
                    p.region_name,
                    p.domain_label.to_owned(),
                    p.site_label.to_owned(),
                ]
            })
            .collect();
        return crate::web::xlsx::download(
            &format!("专项工作进度-{}", c.id),
            "进度",
            &[
                "单位",
                "统一社会信用代码",
                "地区",
                "中文域名",
                "网站开办审核与标识",
            ],
            &rows,
        );
    }
    let (request, at) = form::page_request(&q.after, &q.before, &q.page, &q.last, &q.at);
    let (rows, info) =
        campaigns::progress_page(&web.db, &c, &filter, request, PER_PAGE, at).await?;
    let query = serde_urlencoded::to_string([
        ("kind", q.kind.as_str()),
        ("status", q.status.as_str()),
        ("missing", q.missing.as_str()),
        ("q", q.q.as_str()),
    ])
    .unwrap_or_default();
    let statuses: Vec<(&str, &str)> = kind
        .map(UnitProgress::of)
        .unwrap_or(&[])
        .iter()
        .map(|p| (p.as_str(), p.label()))
        .collect();
    Ok(web
        .page(
            &ctx,
            "console/campaign_progress.html",
            context! {
                title => format!("{}：进度", c.title),
                campaign => &c,
                rows => rows,
                info => info,
                q => q,
                query => query,
                statuses => statuses,
            },
        )?
        .into_response())
}

/// Bulk decisions: `action` confirm / dismiss / restore over the ticked `e_{id}`, with a
/// reason; post/redirect/get with how many were done and how many were not.
async fn enforce(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let v = viewer(&web, &ctx).await?;
    let c = owned(&web, v, &id).await?;
    let pairs = form::pairs(&body)?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, v)| k.starts_with("e_") && v == "1")
        .filter_map(|(k, _)| k.trim_start_matches("e_").parse().ok())
        .collect();
    if ids.is_empty() {
        return Err(AppError::BadRequest("请勾选要处理的单位。"));
    }
    let who = actor(&ctx);
    let (action, result) = match get("action").as_str() {
        "confirm" => (
            "confirmed",
            decide::confirm(&web.db, &who, &c, &ids, &get("reason"), web.now()).await?,
        ),
        "dismiss" => (
            "dismissed",
            decide::dismiss(&web.db, &who, &c, &ids, &get("reason"), web.now()).await?,
        ),
        "restore" => (
            "restored",
            decide::restore(&web.db, &who, &c, &ids, web.now()).await?,
        ),
        _ => return Err(AppError::BadRequest("请选择处理方式。")),
    };
    web.outbox_wake.notify_one();
    let skipped = ids.len() - result.done.len();
    Ok(Redirect::to(&format!(
        "/console/campaigns/{}?done={action}&n={}&skipped={skipped}#enforcement",
        c.id,
        result.done.len()
    ))
    .into_response())
}

async fn english_request(
    web: &WebState,
    c: &CampaignRow,
    request: &str,
) -> Result<campaigns::EnglishRequest, AppError> {
    let request: i64 = request.parse().map_err(|_| AppError::NotFound)?;
    campaigns::english_requests(&web.db, c.id)
        .await?
        .into_iter()
        .find(|r| r.id == request)
        .ok_or(AppError::NotFound)
}

async fn advance_english(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path((id, request)): axum::extract::Path<(String, String)>,
) -> Result<Response, AppError> {
    let v = viewer(&web, &ctx).await?;
    let c = owned(&web, v, &id).await?;
    let r = english_request(&web, &c, &request).await?;
    decide::advance_english(&web.db, &actor(&ctx), c.id, &r, web.now()).await?;
    Ok(Redirect::to(&format!("/console/campaigns/{}#english", c.id)).into_response())
}

async fn office_name(web: &WebState, c: &CampaignRow) -> Result<String, AppError> {
    Ok(match c.office_id {
        Some(o) => crate::store::offices::find(&web.db, o)
            .await?
            .map_or_else(String::new, |o| o.name),
        None => "政务和公益机构域名注册管理中心".to_owned(),
    })
}

/// The 通报: the campaign's state today as a PDF, for whoever may see the campaign.
async fn report(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, AppError> {
    use crate::documents::campaign_report::{self as doc, CampaignReport, MilestoneFigures};
    let v = viewer(&web, &ctx).await?;
    let c = visible(&web, v, &id).await?;
    let today = cst_date(web.now());
    let mut milestones = Vec::new();
    for m in &c.milestones {
        let counts = campaigns::counts(&web.db, &c, m.kind).await?;
        let passed = m.milestone().is_some_and(|x| today > x.due_on);
        let behind = if passed {
            let filter = ProgressFilter {
                kind: Some(m.kind),
                missing: true,
                ..ProgressFilter::default()
            };
            campaigns::progress_all(&web.db, &c, &filter, doc::NAMED as i64).await?
        } else {
            Vec::new()
        };
        let (met, total) = m.kind.tally(&counts);
        milestones.push(MilestoneFigures {
            kind: m.kind,
            due_on: m.due_on.clone(),
            consequence: m.consequence_label,
            passed,
            total,
            met,
            by_status: UnitProgress::of(m.kind)
                .iter()
                .map(|p| {
                    let n = counts.iter().find(|(x, _)| x == p).map_or(0, |(_, n)| *n);
                    (p.label(), n)
                })
                .collect(),
            behind,
        });
    }
    let decided = campaigns::enforcements(&web.db, c.id).await?;
    let enforcements = campaigns::ENFORCEMENT_STATES
        .iter()
        .map(|state| {
            (
                campaigns::enforcement_label(state),
                decided.iter().filter(|e| e.state == *state).count(),
            )
        })
        .collect();
    let english = campaigns::english_requests(&web.db, c.id)
        .await?
        .iter()
        .map(|r| (r.kind_label, r.state_label, r.items.len()))
        .collect();
    let date = today.format("%Y年%-m月%-d日").to_string();
    let office = office_name(&web, &c).await?;
    let markup = doc::markup(&CampaignReport {
        office: &office,
        campaign: &c,
        milestones,
        enforcements,
        english,
        date: &date,
    });
    let pdf = crate::documents::render(markup).await?;
    let name = format!("campaign-report-{}-{today}.pdf", c.id);
    Ok(crate::web::pdf_response(&name, false, pdf))
}

async fn english_letter(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path((id, request)): axum::extract::Path<(String, String)>,
) -> Result<Response, AppError> {
    let v = viewer(&web, &ctx).await?;
    let c = owned(&web, v, &id).await?;
    let r = english_request(&web, &c, &request).await?;
    let date = cst_date(web.now()).format("%Y年%-m月%-d日").to_string();
    let markup =
        crate::documents::english_request_markup(&office_name(&web, &c).await?, &c, &r, &date);
    let pdf = crate::documents::render(markup).await?;
    let name = format!("english-request-{}.pdf", r.id);
    Ok(crate::web::pdf_response(&name, false, pdf))
}

async fn english_list(
    State(web): State<WebState>,
    ctx: Ctx,
    axum::extract::Path((id, request)): axum::extract::Path<(String, String)>,
) -> Result<Response, AppError> {
    let v = viewer(&web, &ctx).await?;
    let c = owned(&web, v, &id).await?;
    let r = english_request(&web, &c, &request).await?;
    let rows: Vec<Vec<String>> = r
        .items
        .iter()
        .map(|i| {
            vec![
                i.unit_name.clone(),
                i.english_domain.clone(),
                i.site_name.clone(),
                i.reason.clone(),
                c.doc_number.clone(),
            ]
        })
        .collect();
    crate::web::xlsx::download(
        &format!("英文域名{}申请-{}", r.kind_label, r.id),
        "英文域名",
        &["单位", "英文域名", "网站", "原因", "文号"],
        &rows,
    )
}
