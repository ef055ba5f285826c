//! 编办代缴: an office pays for several of its units with one bank transfer. It picks its
//! units' applications awaiting payment and names due for renewal (their fees are computed
//! here) and may add amounts for units' balances, finding any unit of its region by name or
//! credit code; the page shows the total. When finance confirms the transfer, each unit's
//! balance is credited its share, the picked applications are paid from it and their names
//! activated, and the picked names renewed, with no unit signing in; each unit sees the
//! payment in its application's history, its names and its account statement.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::FieldErrors;
use govsite_core::ids::UnitId;
use govsite_core::money::{MIN_YEARS, Money, Years, fee};
use govsite_core::role::Role;
use minijinja::context;
use serde::Serialize;

use crate::registry::finance;
use crate::store::transfers::RenewalItem;
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

/// How far ahead a name counts as due for renewal, and how many the page lists (soonest
/// first; a province office finds the rest as they come due).
const RENEWAL_WINDOW: i64 = 90 * 86_400;
const RENEWALS_LISTED: i64 = 200;
/// How many units the balance list shows at once (found by name or credit code).
const UNITS_LISTED: u32 = 50;

#[derive(Serialize)]
struct RenewalLine {
    id: i64,
    name: String,
    unit_name: String,
    expires_at: i64,
    state_label: &'static str,
    amount: String,
    picked: bool,
}

/// The office's units' names due for renewal, each with the fee of the shortest term
/// (`MIN_YEARS`, as a unit's own renewal).
async fn due_renewals(
    web: &WebState,
    region: i64,
) -> Result<Vec<(crate::store::domains::Domain, Money)>, AppError> {
    let now = web.now();
    let names =
        crate::store::domains::renewals_due(&web.db, region, now + RENEWAL_WINDOW, RENEWALS_LISTED)
            .await?;
    let tier = crate::store::policy::fee_tier(&web.db, region).await?;
    let Some(price) = crate::store::policy::price(&web.db, tier, now).await? else {
        return Ok(Vec::new());
    };
    let term = Years::new(MIN_YEARS).map_err(anyhow::Error::from)?;
    let fee = fee(price, [term]).ok_or_else(|| anyhow::anyhow!("fee overflow"))?;
    Ok(names.into_iter().map(|d| (d, fee)).collect())
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

/// What the office has ticked and typed, kept across the page's steps and errors.
#[derive(Default)]
struct Picks {
    shares: Vec<(String, String)>,
    applications: Vec<String>,
    renewals: Vec<String>,
    unit_q: String,
}

async fn page(
    web: &WebState,
    ctx: &Ctx,
    form: &TransferForm,
    picks: &Picks,
    errors: Option<&FieldErrors>,
    notice: &str,
) -> Result<Html<String>, AppError> {
    let (office, region, name) = office_of(web, ctx).await?;
    let (shares, picked) = (&picks.shares, &picks.applications);
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
    let renewal_lines: Vec<RenewalLine> = due_renewals(web, region)
        .await?
        .into_iter()
        .map(|(d, fee)| RenewalLine {
            id: d.id.get(),
            picked: picks.renewals.contains(&d.id.get().to_string()),
            name: d.unicode(),
            unit_name: d.unit_name,
            expires_at: d.expires_at,
            state_label: d.state_label,
            amount: fee.to_string(),
        })
        .collect();
    // The units found by the search, then any unit given a share that the search left out.
    let (mut units, total_units) = units::list(
        &web.db,
        Scope::Region(region),
        &picks.unit_q,
        1,
        UNITS_LISTED,
    )
    .await?;
    for (id, _) in shares {
        if let Ok(n) = id.parse::<i64>()
            && !units.iter().any(|u| u.id.get() == n)
            && let Some(u) =
                units::summary_of(&web.db, UnitId::new(n), Scope::Region(region)).await?
        {
            units.push(u);
        }
    }
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
            total_units => total_units,
            units_listed => UNITS_LISTED,
            unit_q => &picks.unit_q,
            due => due_lines,
            renewals => renewal_lines,
            renewal_years => MIN_YEARS,
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
        &Picks::default(),
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
    let ticked = |prefix: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, v)| k.starts_with(prefix) && v == "1")
            .map(|(k, _)| k.trim_start_matches(prefix).to_owned())
            .collect()
    };
    let picks = Picks {
        shares: shares.clone(),
        applications: ticked("pay_"),
        renewals: ticked("renew_"),
        unit_q: get("unit_q").trim().chars().take(50).collect(),
    };
    let picked = &picks.applications;
    // The picked applications: each must be one of this office's awaiting payment.
    let awaiting = due(&web, region).await?;
    let mut items = Vec::new();
    for id in picked {
        let (a, fee) = awaiting
            .iter()
            .find(|(a, _)| a.id.get().to_string() == *id)
            .ok_or_else(|| AppError::Conflict("所选申请已缴费或不属于本辖区，请刷新页面".into()))?;
        items.push((a.id, a.unit_id, *fee));
    }
    // The picked renewals: each one of this office's names due, the shortest term at today's
    // price.
    let due_names = due_renewals(&web, region).await?;
    let mut renewals = Vec::new();
    for id in &picks.renewals {
        let (d, fee) = due_names
            .iter()
            .find(|(d, _)| d.id.get().to_string() == *id)
            .ok_or_else(|| AppError::Conflict("所选域名已续费或不属于本辖区，请刷新页面".into()))?;
        renewals.push(RenewalItem {
            domain: d.id,
            unit: d.unit_id,
            years: MIN_YEARS,
            amount: *fee,
            expires_at: d.expires_at,
        });
    }
    let picked_total = items
        .iter()
        .map(|(_, _, m)| *m)
        .chain(renewals.iter().map(|r| r.amount))
        .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
        .unwrap_or(Money::ZERO);
    if get("step") == "find" {
        return Ok(page(&web, &ctx, &transfer, &picks, None, "")
            .await?
            .into_response());
    }
    if get("step") == "total" {
        let mut transfer = transfer;
        if transfer.amount.trim().is_empty() {
            transfer.amount = picked_total.to_string();
        }
        let notice = format!(
            "已选 {} 项待缴费申请、{} 个待续费域名，合计 {picked_total} 元（另加各单位预存金额）。请核对后填写转账信息并登记。",
            items.len(),
            renewals.len()
        );
        return Ok(page(&web, &ctx, &transfer, &picks, None, &notice)
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
    let fees = items
        .iter()
        .map(|(_, unit, fee)| (unit, fee))
        .chain(renewals.iter().map(|r| (&r.unit, &r.amount)));
    for (unit, fee) in fees {
        match allocations.iter_mut().find(|(u, _)| u == unit) {
            Some((_, m)) => *m = m.checked_add(*fee).unwrap_or(*m),
            None => allocations.push((*unit, *fee)),
        }
    }
    allocations.retain(|(_, m)| *m > Money::ZERO);
    if allocations.is_empty() && errors.is_empty() {
        errors.add(
            "shares",
            "请选择要代缴的申请或续费的域名，或为至少一个单位填写预存金额",
        );
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
        return Ok(page(&web, &ctx, &transfer, &picks, Some(&errors), "")
            .await?
            .into_response());
    };
    let (_, reference) = finance::report_office_transfer(
        &web.db,
        &actor(&ctx),
        office,
        &checked.reported(),
        &transfers::OfficeSplit {
            allocations: &allocations,
            items: &items,
            renewals: &renewals,
        },
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/office-payments?reference={reference}")).into_response())
}
