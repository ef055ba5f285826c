//! The 编办 console (工作管理) and the registry's unit list: the same pages, scoped by role.
//! An office reviewer sees only the units of its office's region; asking for another unit by
//! URL answers 404, as if it did not exist. Domain application reviews are in [`reviews`],
//! finance's confirmation of transfers in [`transfers`].

mod badges;
pub(crate) mod campaigns;
mod dashboard;
mod domains;
pub(crate) mod invoices;
mod office;
mod office_payments;
mod questions;
mod red_pages;
mod reorganise;
mod reviews;
mod roster;
mod sites;
mod supervision;
mod transfers;
mod unit;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::error::AppError;
use super::form::Query;
use super::session::Ctx;
use crate::store::accounts::Account;
use crate::store::offices;
use crate::store::units::{self, Scope};

const PER_PAGE: u32 = 20;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/units", get(list))
        .route("/console/units/{id}", get(unit::show))
        .route(
            "/console/units/{id}/reveal",
            axum::routing::post(unit::reveal),
        )
        .route(
            "/console/units/{id}/correct",
            get(unit::correct_form).post(unit::correct),
        )
        .route(
            "/console/units/{id}/reorganise",
            get(reorganise::form_page).post(reorganise::reform),
        )
        .route(
            "/console/units/{id}/confirm",
            axum::routing::post(unit::confirm),
        )
        .route(
            "/console/units/{id}/accounts/{account}",
            axum::routing::post(unit::account_action),
        )
        .merge(badges::routes())
        .merge(campaigns::routes())
        .merge(dashboard::routes())
        .merge(domains::routes())
        .merge(invoices::routes())
        .merge(office::routes())
        .merge(office_payments::routes())
        .merge(questions::routes())
        .merge(red_pages::routes())
        .merge(reviews::routes())
        .merge(roster::routes())
        .merge(sites::routes())
        .merge(supervision::routes())
        .merge(transfers::routes())
}

/// The units `user` may see, and the title of its console.
pub async fn unit_scope(web: &WebState, user: &Account) -> Result<(Scope, String), AppError> {
    match user.role {
        Role::OfficeReviewer => {
            let office_id = user.office_id.ok_or(AppError::Forbidden)?;
            let office = offices::find(&web.db, office_id)
                .await?
                .ok_or(AppError::Forbidden)?;
            Ok((Scope::Region(office.region_code), office.name))
        }
        Role::RegistryReviewer | Role::Finance | Role::Admin => {
            Ok((Scope::All, "注册管理中心".to_owned()))
        }
        Role::Unit | Role::Auditor | Role::SecurityAdmin => Err(AppError::Forbidden),
    }
}

/// The level a staff member's holds are placed at (and so who may lift them): the registry's
/// reviewers hold as the registry, everyone else as an office.
pub(super) fn hold_level(ctx: &Ctx) -> govsite_core::hold::HoldLevel {
    use govsite_core::hold::HoldLevel;
    if ctx
        .user
        .as_ref()
        .is_some_and(|u| u.role == Role::RegistryReviewer)
    {
        HoldLevel::Registry
    } else {
        HoldLevel::Office
    }
}

/// A reviewer's stage and scope: whether the signed-in account is the registry (second
/// review) rather than a 编办 (first review), and the units it sees. Anyone else: 403.
pub(super) async fn review_stage(web: &WebState, user: &Ctx) -> Result<(bool, Scope), AppError> {
    let user = user.require(|r| matches!(r, Role::OfficeReviewer | Role::RegistryReviewer))?;
    let (scope, _) = unit_scope(web, user).await?;
    Ok((user.role == Role::RegistryReviewer, scope))
}

#[derive(Deserialize, Default, serde::Serialize)]
#[serde(default)]
struct ListQuery {
    q: String,
    /// The registry's region filter (a province, city or county code).
    region: String,
    /// "" (all) or `pending` (待编办确认).
    state: String,
    after: String,
    before: String,
    page: String,
    last: String,
    at: String,
    format: String,
}

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(query): Query<ListQuery>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let user = ctx.require(Role::sees_units)?;
    let (scope, office_name) = unit_scope(&web, user).await?;
    let search: String = query.q.chars().take(60).collect();
    let state = if query.state == "pending" {
        "pending"
    } else {
        ""
    };
    let filter = crate::store::queues::QueueFilter {
        region: scope.region(),
        states: if state == "pending" {
            vec!["pending"]
        } else {
            vec!["pending", "confirmed"]
        },
        q: search.clone(),
        from: None,
        to: None,
        extra: "",
        area: crate::web::form::area(scope, &query.region),
        unit: None,
    };
    if query.format == "xlsx" {
        let rows: Vec<Vec<String>> =
            crate::store::queues::all(&web.db, &units::QUEUE, &filter, 1_000_000)
                .await?
                .into_iter()
                .map(|u| {
                    vec![
                        u.name,
                        u.credit_code,
                        u.org_type_label.to_owned(),
                        u.region_name,
                        crate::pages::format_ts(u.created_at, "%Y-%m-%d"),
                        if u.confirmed {
                            "已确认"
                        } else {
                            "待编办确认"
                        }
                        .to_owned(),
                    ]
                })
                .collect();
        return super::xlsx::download(
            &office_name,
            &format!("{office_name}单位名单"),
            &[
                "单位名称",
                "统一社会信用代码",
                "组织机构类型",
                "地区",
                "登记日期",
                "状态",
            ],
            &rows,
        );
    }
    let (request, at) = crate::web::form::page_request(
        &query.after,
        &query.before,
        &query.page,
        &query.last,
        &query.at,
    );
    let (rows, info) =
        crate::store::queues::page(&web.db, &units::QUEUE, &filter, request, PER_PAGE, at).await?;
    let link = serde_urlencoded::to_string([
        ("q", search.as_str()),
        ("state", state),
        ("region", query.region.as_str()),
    ])
    .unwrap_or_default();
    Ok(web
        .page(
            &ctx,
            "console/units.html",
            context! {
                title => if user.role == Role::OfficeReviewer { "工作管理" } else { "单位管理" },
                office_name => office_name,
                national => scope == Scope::All,
                region => &query.region,
                units => rows,
                q => search,
                state => state,
                info => info,
                total => info.total,
                query => link,
            },
        )?
        .into_response())
}
