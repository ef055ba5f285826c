//! 编办代缴: an office pays for several of its units with one bank transfer. It picks its
//! units' applications awaiting payment (their fees are computed here) and may add amounts
//! for units' balances; the page shows the total. When finance confirms the transfer, each
//! unit's balance is credited its share and the picked applications are paid from it and
//! their names activated, with no unit signing in; each unit sees the payment in its
//! application's history and its account statement.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::FieldErrors;
use govsite_core::ids::UnitId;
use govsite_core::money::Money;
use govsite_core::role::Role;
use minijinja::context;
use serde::Serialize;

use crate::registry::finance;
use crate::store::units::{self, Scope};
use crate::store::{ledger, transfers};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form;
use crate::web::portal::finance::{TransferForm, check_transfer};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new().route("/console/office-payments", get(show).post(report))
}

#[derive(Serialize)]
struct DueLine {
    id: i64,
    reference: String,
    unit_name: String,
    amount: String,
    picked: bool,
}

/// The office's units' applications awaiting payment, with their fees.
async fn due(
    web: &WebState,
    region: i64,
) -> Result<Vec<(crate::store::applications::Application, Money)>, AppError> {
    let mut out = Vec::new();
    for a in crate::store::applications::queue(
        &web.db,
        govsite_core::domain_application::AppState::RegistryApproved,
        Some(region),
    )
    .await?
    {
        let fee = crate::registry::applications::payable(&web.db, &a).await?;
        out.push((a, fee));
    }
    Ok(out)
}

#[derive(Serialize)]
struct UnitLine {
    id: i64,
    name: String,
    balance: String,
    share: String,
}

/// The signed-in office reviewer's office and region.
async fn office_of(
    web: &WebState,
    ctx: &Ctx,
) -> Result<(govsite_core::ids::OfficeId, i64, String), AppError> {
    let user = ctx.require(|r| r == Role::OfficeReviewer)?;
    let id = user.office_id.ok_or(AppError::Forbidden)?;
    let office = crate::store::offices::find(&web.db, id)
        .await?
        .ok_or(AppError::Forbidden)?;
    Ok((id, office.region_code, office.name))
}

async fn page(
    web: &WebState,
    ctx: &Ctx,
    form: &TransferForm,
    shares: &[(String, String)],
    picked: &[String],
    errors: Option<&FieldErrors>,
    notice: &str,
) -> Result<Html<String>, AppError> {
    let (office, region, name) = office_of(web, ctx).await?;
    let due_lines: Vec<DueLine> = due(web, region)
        .await?
        .into_iter()
        .map(|(a, fee)| DueLine {
            id: a.id.get(),
            picked: picked.contains(&a.id.get().to_string()),
            reference: a.reference.unwrap_or_default(),
            unit_name: a.unit_name,
            amount: fee.to_string(),
        })
        .collect();
    let (units, _) = units::list(&web.db, Scope::Region(region), "", 1, 500).await?;
    let mut lines = Vec::with_capacity(units.len());
    for u in units {
        let share = shares
            .iter()
            .find(|(id, _)| *id == u.id.get().to_string())
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        lines.push(UnitLine {
            id: u.id.get(),
            name: u.name,
            balance: ledger::balance(&web.db, u.id).await?.to_string(),
            share,
        });
    }
    web.page(
        ctx,
        "console/office_payments.html",
        context! {
            title => if errors.is_some() { "错误：编办代缴" } else { "编办代缴" },
            office_name => name,
            units => lines,
            due => due_lines,
            form => form,
            errors => errors,
            notice => notice,
            history => transfers::of_office(&web.db, office).await?,
        },
    )
}

#[derive(serde::Deserialize)]
struct Done {
    #[serde(default)]
    reference: String,
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    crate::web::form::Query(q): crate::web::form::Query<Done>,
) -> Result<Html<String>, AppError> {
    let reference: String = q
        .reference
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    let notice = if reference.is_empty() {
        String::new()
    } else {
        format!(
            "已登记代缴转账，参考编号 {reference}。财务确认到账后，各单位账户余额即增加相应金额。"
        )
    };
    page(
        &web,
        &ctx,
        &TransferForm::default(),
        &[],
        &[],
        None,
        &notice,
    )
    .await
}

async fn report(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    let (office, region, _) = office_of(&web, &ctx).await?;
    let pairs = form::pairs(&body)?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let transfer = TransferForm {
        amount: get("amount"),
        payer: get("payer"),
        bank_ref: get("bank_ref"),
        paid_on: get("paid_on"),
    };
    let shares: Vec<(String, String)> = pairs
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("share_")
                .map(|id| (id.to_owned(), v.trim().to_owned()))
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let picked: Vec<String> = pairs
        .iter()
        .filter(|(k, v)| k.starts_with("pay_") && v == "1")
        .map(|(k, _)| k.trim_start_matches("pay_").to_owned())
        .collect();
    // The picked applications: each must be one of this office's awaiting payment.
    let awaiting = due(&web, region).await?;
    let mut items = Vec::new();
    for id in &picked {
        let (a, fee) = awaiting
            .iter()
            .find(|(a, _)| a.id.get().to_string() == *id)
            .ok_or_else(|| AppError::Conflict("所选申请已缴费或不属于本辖区，请刷新页面".into()))?;
        items.push((a.id, a.unit_id, *fee));
    }
    let picked_total = items
        .iter()
        .try_fold(Money::ZERO, |acc, (_, _, m)| acc.checked_add(*m))
        .unwrap_or(Money::ZERO);
    if get("step") == "total" {
        let mut transfer = transfer;
        if transfer.amount.trim().is_empty() {
            transfer.amount = picked_total.to_string();
        }
        let notice = format!(
            "已选 {} 项待缴费申请，合计 {picked_total} 元（另加各单位代缴金额）。请核对后填写转账信息并登记。",
            items.len()
        );
        return Ok(page(&web, &ctx, &transfer, &shares, &picked, None, &notice)
            .await?
            .into_response());
    }
    let today = govsite_core::deadline::cst_date(web.now());
    let mut errors = FieldErrors::new();
    let checked = check_transfer(&transfer, today)
        .map_err(|e| errors = e)
        .ok();
    let mut allocations = Vec::new();
    for (id, value) in &shares {
        // A unit outside the office's region is refused as if it did not exist.
        let unit = match id.parse::<i64>() {
            Ok(n) => units::find(&web.db, UnitId::new(n), Scope::Region(region)).await?,
            Err(_) => None,
        }
        .ok_or(AppError::NotFound)?;
        match Money::parse_yuan(value).filter(|m| *m > Money::ZERO) {
            Some(m) => allocations.push((unit.id, m)),
            None => errors.add(
                format!("share_{id}"),
                format!("{}的代缴金额应为大于0的数字，单位为元", unit.form.name),
            ),
        }
    }
    // Each picked fee is part of its unit's share.
    for (_, unit, fee) in &items {
        match allocations.iter_mut().find(|(u, _)| u == unit) {
            Some((_, m)) => *m = m.checked_add(*fee).unwrap_or(*m),
            None => allocations.push((*unit, *fee)),
        }
    }
    allocations.retain(|(_, m)| *m > Money::ZERO);
    if allocations.is_empty() && errors.is_empty() {
        errors.add("shares", "请选择要代缴的申请，或为至少一个单位填写代缴金额");
    }
    let sum = allocations
        .iter()
        .try_fold(Money::ZERO, |acc, (_, m)| acc.checked_add(*m));
    if let (Some(c), Some(sum)) = (&checked, sum)
        && errors.is_empty()
        && sum != c.amount
    {
        errors.add(
            "amount",
            format!(
                "各单位代缴金额合计 {sum} 元，与转账金额 {} 元不一致",
                c.amount
            ),
        );
    }
    let (Some(checked), true) = (checked, errors.is_empty()) else {
        return Ok(
            page(&web, &ctx, &transfer, &shares, &picked, Some(&errors), "")
                .await?
                .into_response(),
        );
    };
    let (_, reference) = finance::report_office_transfer(
        &web.db,
        &actor(&ctx),
        office,
        &checked.reported(),
        &allocations,
        &items,
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/office-payments?reference={reference}")).into_response())
}
