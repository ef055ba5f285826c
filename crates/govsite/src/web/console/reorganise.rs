//! 机构改革 in the console: a 编办 (for its region) or the registry merges a unit into its
//! successor, named by credit code, or abolishes it, with the reform's document as reason.
//! The page says what will happen before the clerk confirms; what was typed stays on error.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use govsite_core::FieldErrors;
use govsite_core::ids::UnitId;
use govsite_core::reorganisation::UnitStatus;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::unit::correctable;
use crate::registry::RegistryError;
use crate::registry::reorganisation;
use crate::store::units::{self, Scope, UnitRecord};
use crate::store::{domains, ledger, sites};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId};
use crate::web::session::Ctx;

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ReformForm {
    kind: String,
    successor_code: String,
    reason: String,
    confirm: String,
}

async fn page(
    web: &WebState,
    ctx: &Ctx,
    unit: &UnitRecord,
    form: &ReformForm,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>, AppError> {
    let names = domains::of_unit(&web.db, unit.id).await?;
    let open_sites = sites::sites_of_unit(&web.db, unit.id)
        .await?
        .into_iter()
        .filter(|s| s.closed_at.is_none())
        .count();
    web.page(
        ctx,
        "console/unit_reorganise.html",
        context! {
            title => if errors.is_some() { "错误：机构改革" } else { "机构改革" },
            unit => unit,
            form => form,
            errors => errors,
            names => names.iter().filter(|d| d.variant_of.is_none()).count(),
            open_sites => open_sites,
            balance => ledger::balance(&web.db, unit.id).await?.to_string(),
        },
    )
}

pub(super) async fn form_page(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
) -> Result<Response, AppError> {
    let (unit, _) = correctable(&web, &ctx, id).await?;
    if unit.status != UnitStatus::Active {
        return Ok(Redirect::to(&format!("/console/units/{}", unit.id)).into_response());
    }
    let form = ReformForm::default();
    Ok(page(&web, &ctx, &unit, &form, None).await?.into_response())
}

pub(super) async fn reform(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<UnitId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (unit, scope) = correctable(&web, &ctx, id).await?;
    let posted: ReformForm = form::parse(&body)?;
    let mut errors = FieldErrors::new();
    let code = posted.successor_code.trim().to_uppercase();
    // The successor must be one the clerk may see: an office merges within its region.
    let successor = match posted.kind.as_str() {
        "merge" if code.is_empty() => {
            errors.add("successor_code", "请填写并入单位的统一社会信用代码");
            None
        }
        "merge" => match units::id_by_credit_code(&web.db, &code).await? {
            Some(s) => match units::find(&web.db, s, scope).await? {
                Some(found) => Some(found),
                None => {
                    errors.add(
                        "successor_code",
                        "并入单位不在本编办辖区；跨地区合并请联系注册管理中心",
                    );
                    None
                }
            },
            None => {
                errors.add(
                    "successor_code",
                    "未找到该统一社会信用代码的单位；请先导入名册或由其注册",
                );
                None
            }
        },
        "abolish" => None,
        _ => {
            errors.add("kind", "请选择合并或撤销");
            None
        }
    };
    if posted.reason.trim().is_empty() {
        errors.add("reason", "请填写机构改革的依据（例如批准文件的文号）");
    }
    if posted.confirm != "1" {
        errors.add("confirm", "请勾选确认：办理后不能撤回");
    }
    if !errors.is_empty() {
        return Ok(page(&web, &ctx, &unit, &posted, Some(&errors))
            .await?
            .into_response());
    }
    let who = actor(&ctx);
    let done = match &successor {
        Some(s) => reorganisation::merge(&web.db, &who, unit.id, s.id, &posted.reason, web.now())
            .await
            .map(|_| "merged"),
        None => reorganisation::abolish(&web.db, &who, unit.id, &posted.reason, web.now())
            .await
            .map(|_| "abolished"),
    };
    match done {
        Ok(what) => {
            web.outbox_wake.notify_one();
            Ok(Redirect::to(&format!("/console/units/{}?done={what}", unit.id)).into_response())
        }
        Err(RegistryError::Refused(m)) => {
            errors.add("kind", m);
            Ok(page(&web, &ctx, &unit, &posted, Some(&errors))
                .await?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// The unit a closed unit was merged into, for its page.
pub(super) async fn successor_of(
    web: &WebState,
    unit: &UnitRecord,
) -> Result<Option<UnitRecord>, AppError> {
    Ok(match unit.successor {
        Some(s) => units::find(&web.db, s, Scope::All).await?,
        None => None,
    })
}
