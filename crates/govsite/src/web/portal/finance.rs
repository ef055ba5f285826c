//! 财务管理: the unit's balance and ledger, and 我要转账 (reporting a bank transfer).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use govsite_core::FieldErrors;
use govsite_core::ids::InvoiceId;
use govsite_core::money::Money;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::own_unit;
use crate::registry::finance;
use crate::store::{invoices, ledger, transfers};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId, Query};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/portal/finance", get(show).post(report_transfer))
        .route("/portal/finance/invoices/{id}", get(invoice))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct TransferForm {
    pub amount: String,
    pub payer: String,
    pub bank_ref: String,
    pub paid_on: String,
}

/// A reported transfer that passed the checks.
pub(crate) struct CheckedTransfer {
    pub amount: Money,
    pub payer: String,
    pub bank_ref: String,
    pub paid_on: String,
}

impl CheckedTransfer {
    pub fn reported(&self) -> transfers::Reported<'_> {
        transfers::Reported {
            amount: self.amount,
            payer: &self.payer,
            bank_ref: &self.bank_ref,
            paid_on: &self.paid_on,
        }
    }
}

/// The checks of 我要转账, shared with the office's 代缴 form.
pub(crate) fn check_transfer(
    form: &TransferForm,
    today: NaiveDate,
) -> Result<CheckedTransfer, FieldErrors> {
    let mut e = FieldErrors::new();
    let amount = Money::parse_yuan(&form.amount)
        .filter(|m| *m > Money::ZERO && *m <= Money::from_yuan(10_000_000));
    if amount.is_none() {
        e.add("amount", "请输入转账金额，单位为元，例如 400 或 400.00");
    }
    let payer = e.check(
        "payer",
        govsite_core::contact::required_text("付款单位名称", &form.payer, 60),
    );
    let bank_ref = e.check(
        "bank_ref",
        govsite_core::contact::required_text("银行交易流水号", &form.bank_ref, 40),
    );
    let paid_on = NaiveDate::parse_from_str(form.paid_on.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= today);
    if paid_on.is_none() {
        e.add(
            "paid_on",
            "请按 2026-11-20 的格式输入转账日期，且不能晚于今天",
        );
    }
    match (amount, payer, bank_ref, paid_on) {
        (Some(amount), Some(payer), Some(bank_ref), Some(paid_on)) if e.is_empty() => {
            Ok(CheckedTransfer {
                amount,
                payer,
                bank_ref,
                paid_on: paid_on.to_string(),
            })
        }
        _ => Err(e),
    }
}

#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    reference: String,
}

async fn page(
    web: &WebState,
    ctx: &Ctx,
    form: &TransferForm,
    errors: Option<&FieldErrors>,
    reference: &str,
) -> Result<Html<String>, AppError> {
    let unit = own_unit(web, ctx).await?;
    web.page(
        ctx,
        "portal/finance.html",
        context! {
            title => if errors.is_some() { "错误：财务管理" } else { "财务管理" },
            balance => ledger::balance(&web.db, unit.id).await?.to_string(),
            entries => ledger::entries(&web.db, unit.id).await?,
            transfers => transfers::of_unit(&web.db, unit.id).await?,
            invoices => invoices::of_unit(&web.db, unit.id).await?,
            form => form,
            errors => errors,
            reference => reference,
            platform => crate::store::policy::platform(&web.db).await?,
        },
    )
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, AppError> {
    let reference: String = q
        .reference
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    page(&web, &ctx, &TransferForm::default(), None, &reference).await
}

async fn report_transfer(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    let form: TransferForm = form::parse(&body)?;
    let today = govsite_core::deadline::cst_date(web.now());
    let checked = match check_transfer(&form, today) {
        Ok(c) => c,
        Err(e) => return Ok(page(&web, &ctx, &form, Some(&e), "").await?.into_response()),
    };
    let (_, reference) = finance::report_transfer(
        &web.db,
        &actor(&ctx),
        unit.id,
        &checked.reported(),
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/portal/finance?reference={reference}")).into_response())
}

/// Downloads one of the unit's own invoices.
async fn invoice(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<InvoiceId>,
) -> Result<Response, AppError> {
    let unit = own_unit(&web, &ctx).await?;
    crate::web::console::invoices::document(&web, id, Some(unit.id)).await
}
