//! One unit in the console: its details with contacts masked (「显示完整」 reveals one for
//! the person who asks, audited), its accounts, names, applications, sites and badges, red
//! page, balance, and the timeline of its audited events.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use govsite_core::ids::UnitId;
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use super::unit_scope;
use crate::store::{
    accounts, applications, audit, contact_reveals, domains, ledger, offices, red_pages, sites,
    units,
};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId};
use crate::web::session::Ctx;

/// A unit in the console: its details with contacts masked (「显示完整」 reveals one, audited),
/// accounts, names, applications, sites and badges, red page, balance, and the timeline of
/// its audited events.
pub(super) async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
) -> Result<Html<String>, AppError> {
    let user = ctx.require(Role::sees_units)?;
    let (scope, _) = unit_scope(&web, user).await?;
    let unit = units::find(&web.db, id, scope)
        .await?
        .ok_or(AppError::NotFound)?;
    let region_path = offices::region_path(&web.db, unit.region_code).await?;
    let unit_accounts = accounts::of_unit(&web.db, unit.id).await?;
    let since = web.now() - crate::registry::contacts::REVEAL_SECONDS;
    let revealed = contact_reveals::since(&web.db, user.id, unit.id, since).await?;
    web.page(
        &ctx,
        "console/unit.html",
        context! {
            title => unit.form.name.clone(),
            org_type_label => unit.org_type_label(),
            suffix => unit.suffix_label(),
            region_path => region_path,
            accounts => unit_accounts,
            revealed => revealed,
            can_reveal => true,
            reviewer => matches!(user.role, Role::OfficeReviewer | Role::RegistryReviewer),
            names => domains::of_unit(&web.db, unit.id).await?,
            applications => applications::of_unit(&web.db, unit.id).await?,
            sites => sites::sites_of_unit(&web.db, unit.id).await?,
            red_page => red_pages::find(&web.db, unit.id).await?,
            balance => ledger::balance(&web.db, unit.id).await?.to_string(),
            timeline => audit::unit_timeline(&web.db, unit.id, 50).await?,
            unit => unit,
        },
    )
}

#[derive(Deserialize)]
struct RevealForm {
    #[serde(default)]
    field: String,
}

/// 「显示完整」: one contact of one unit, for this person, audited; then back to the unit.
pub(super) async fn reveal(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = ctx.require(Role::sees_units)?;
    let (scope, _) = unit_scope(&web, user).await?;
    let unit = units::find(&web.db, id, scope)
        .await?
        .ok_or(AppError::NotFound)?;
    let posted: RevealForm = form::parse(&body)?;
    crate::registry::contacts::reveal(
        &web.db,
        &actor(&ctx),
        user.id,
        unit.id,
        &posted.field,
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/units/{}#contacts", unit.id)).into_response())
}
