//! The 编办 console (工作管理) and the registry's unit list: the same pages, scoped by role.
//! An office reviewer sees only the units of its office's region; asking for another unit by
//! URL answers 404, as if it did not exist. Domain application reviews are in [`reviews`],
//! finance's confirmation of transfers in [`transfers`].

mod badges;
mod domains;
pub(crate) mod invoices;
mod office;
mod office_payments;
mod red_pages;
mod reviews;
mod roster;
mod sites;
mod supervision;
mod transfers;
mod unit;

use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::error::AppError;
use super::form::{Query, page_number};
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
            "/console/units/{id}/confirm",
            axum::routing::post(unit::confirm),
        )
        .route(
            "/console/units/{id}/accounts/{account}",
            axum::routing::post(unit::account_action),
        )
        .merge(badges::routes())
        .merge(domains::routes())
        .merge(invoices::routes())
        .merge(office::routes())
        .merge(office_payments::routes())
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
        Role::Unit | Role::Auditor => Err(AppError::Forbidden),
    }
}

/// A reviewer's stage and scope: whether the signed-in account is the registry (second
/// review) rather than a 编办 (first review), and the units it sees. Anyone else: 403.
pub(super) async fn review_stage(web: &WebState, user: &Ctx) -> Result<(bool, Scope), AppError> {
    let user = user.require(|r| matches!(r, Role::OfficeReviewer | Role::RegistryReviewer))?;
    let (scope, _) = unit_scope(web, user).await?;
    Ok((user.role == Role::RegistryReviewer, scope))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    page: Option<String>,
}

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    let user = ctx.require(Role::sees_units)?;
    let (scope, office_name) = unit_scope(&web, user).await?;
    let search: String = query.q.chars().take(60).collect();
    let page = page_number(query.page.as_deref());
    let (rows, total) = units::list(&web.db, scope, &search, page, PER_PAGE).await?;
    let pages = (total.max(1) + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE);
    web.page(
        &ctx,
        "console/units.html",
        context! {
            title => if user.role == Role::OfficeReviewer { "工作管理" } else { "单位管理" },
            office_name => office_name,
            units => rows,
            q => search,
            page => page,
            pages => pages,
            total => total,
        },
    )
}
