//! The unit portal: 我的主页 and 单位信息 here; 网上名称管理 in [`domains`], 财务管理 in
//! [`finance`].

mod domains;
pub(crate) mod finance;
mod names;
mod questions;
pub(crate) mod red_page;
mod sites;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::role::Role;
use govsite_core::unit::UnitForm;
use minijinja::context;
use serde::Deserialize;

use super::WebState;
use super::auth::actor;
use super::error::AppError;
use super::form::{self, Query};
use super::register::check_unit;
use super::session::Ctx;
use crate::store::offices;
use crate::store::units::{self, Scope, UnitRecord};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/portal", get(home))
        .route("/portal/unit", get(show_unit))
        .route("/portal/unit/edit", get(edit_unit).post(save_unit))
        .merge(domains::routes())
        .merge(finance::routes())
        .merge(names::routes())
        .merge(questions::routes())
        .merge(red_page::routes())
        .merge(sites::routes())
}

/// The signed-in unit user's own unit; nobody else's is reachable from the portal.
pub(super) async fn own_unit(web: &WebState, ctx: &Ctx) -> Result<UnitRecord, AppError> {
    let user = ctx.require(|r| r == Role::Unit)?;
    let id = user.unit_id.ok_or(AppError::Forbidden)?;
    units::find(&web.db, id, Scope::All)
        .await?
        .ok_or(AppError::NotFound)
}

async fn home(State(web): State<WebState>, ctx: Ctx) -> Result<Response, AppError> {
    let user = ctx.user()?;
    if user.role != Role::Unit {
        return Ok(Redirect::to(super::auth::role_home(user.role)).into_response());
    }
    let unit = own_unit(&web, &ctx).await?;
    let region_path = offices::region_path(&web.db, unit.region_code).await?;
    let campaigns = campaign_tasks(&web, &unit).await?;
    Ok(web
        .page(
            &ctx,
            "portal/home.html",
            context! {
                title => "我的主页",
                campaigns => campaigns,
                unit => unit,
                suffix => unit.suffix_label(),
                org_type_label => unit.org_type_label(),
                region_path => region_path,
            },
        )?
        .into_response())
}

/// The published campaigns covering the unit, each milestone with the unit's own status,
/// whether it is met or late, and the next thing to do.
async fn campaign_tasks(
    web: &WebState,
    unit: &UnitRecord,
) -> Result<Vec<minijinja::Value>, AppError> {
    use govsite_core::campaign::MilestoneKind;
    let campaigns = crate::store::campaigns::for_unit(&web.db, unit.id).await?;
    if campaigns.is_empty() {
        return Ok(Vec::new());
    }
    let Some((domain, site)) = crate::store::campaigns::unit_progress(&web.db, unit.id).await?
    else {
        return Ok(Vec::new());
    };
    let today = govsite_core::deadline::cst_date(web.now()).to_string();
    Ok(campaigns
        .into_iter()
        .map(|c| {
            let milestones: Vec<_> = c
                .milestones
                .iter()
                .map(|m| {
                    let status = if m.kind == MilestoneKind::Domain {
                        domain
                    } else {
                        site
                    };
                    let met = m.kind.met_by(status);
                    let next = (!met).then(|| status.next_step()).flatten();
                    context! {
                        label => m.kind_label,
                        due_on => m.due_on,
                        status => status.label(),
                        met => met,
                        late => !met && m.due_on < today,
                        next_label => next.map(|n| n.0),
                        next_href => next.map(|n| n.1),
                    }
                })
                .collect();
            context! { title => c.title, doc_number => c.doc_number, milestones => milestones }
        })
        .collect())
}

#[derive(Deserialize)]
struct SavedQuery {
    #[serde(default)]
    saved: String,
}

async fn show_unit(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let region_path = offices::region_path(&web.db, unit.region_code).await?;
    web.page(
        &ctx,
        "portal/unit.html",
        context! {
            title => "单位信息",
            unit => unit,
            org_type_label => unit.org_type_label(),
            suffix => unit.suffix_label(),
            region_path => region_path,
            handler_mobile => unit.handler_mobile_masked(),
            saved => q.saved == "1",
        },
    )
}

async fn edit_page(
    web: &WebState,
    ctx: &Ctx,
    unit: &UnitRecord,
    form: &UnitForm,
    errors: Option<&govsite_core::FieldErrors>,
) -> Result<Html<String>, AppError> {
    let region_path = offices::region_path(&web.db, unit.region_code).await?;
    web.page(
        ctx,
        "portal/unit_edit.html",
        context! {
            title => if errors.is_some() { "错误：修改单位信息" } else { "修改单位信息" },
            unit => unit,
            form => form,
            errors => errors,
            org_type_label => unit.org_type_label(),
            region_path => region_path,
        },
    )
}

async fn edit_unit(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    edit_page(&web, &ctx, &unit, &unit.form, None).await
}

/// Saves the editable fields. Name, credit code, type and region decide jurisdiction and the
/// suffix, so they are kept as stored whatever the form says; the 编办 changes them.
async fn save_unit(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let mut form: UnitForm = form::parse(&body)?;
    form.name = unit.form.name.clone();
    form.credit_code = unit.form.credit_code.clone();
    form.org_type = unit.form.org_type.clone();
    form.region_code = unit.form.region_code.clone();
    let details = match check_unit(&web, &form, Some(unit.id)).await? {
        Ok(d) => d,
        Err(errors) => {
            return Ok(edit_page(&web, &ctx, &unit, &form, Some(&errors))
                .await?
                .into_response());
        }
    };
    crate::registry::accounts::update_unit(&web.db, &actor(&ctx), unit.id, &details, web.now())
        .await?;
    Ok(Redirect::to("/portal/unit?saved=1").into_response())
}
