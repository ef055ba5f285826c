//! Finance issues invoices (title, tax number, amount, items) for the payments units made;
//! the unit downloads them from 财务管理. An invoice is a printable document served as a
//! download; each payment is invoiced once.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use govsite_core::credit_code::CreditCode;
use govsite_core::ids::{InvoiceId, UnitId};
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use crate::registry::finance;
use crate::store::invoices;
use crate::store::units::{self, Scope};
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::{self, PathId};
use crate::web::session::Ctx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/invoices", get(list).post(issue))
        .route("/console/invoices/{id}", get(show))
}

/// The issued list's search and page, as the query string carries them.
#[derive(Deserialize, Default, serde::Serialize)]
#[serde(default)]
struct ListQuery {
    q: String,
    format: String,
    after: String,
    before: String,
    page: String,
    last: String,
    at: String,
}

fn filter(q: &ListQuery) -> crate::store::queues::QueueFilter {
    crate::store::queues::QueueFilter {
        region: None,
        states: vec!["issued"],
        q: q.q.chars().take(60).collect(),
        from: None,
        to: None,
        extra: "",
        area: None,
        unit: None,
    }
}

/// The list; after a refused issue, `error` says why and `typed` keeps what finance typed
/// for that unit.
async fn list_page(
    web: &WebState,
    ctx: &Ctx,
    error: &str,
    q: &ListQuery,
    typed: &IssueForm,
) -> Result<Html<String>, AppError> {
    let filter = filter(q);
    let (request, at) =
        crate::web::form::page_request(&q.after, &q.before, &q.page, &q.last, &q.at);
    let (issued, info) =
        crate::store::queues::page(&web.db, &invoices::QUEUE, &filter, request, 20, at).await?;
    let query = serde_urlencoded::to_string([("q", q.q.as_str())]).unwrap_or_default();
    let waiting: Vec<_> = invoices::waiting(&web.db)
        .await?
        .into_iter()
        .map(|(id, name, code, n, total)| {
            context! { unit_id => id, name => name, credit_code => code, payments => n,
            total => govsite_core::money::Money::from_fen(total).to_string() }
        })
        .collect();
    web.page(
        ctx,
        "console/invoices.html",
        context! {
            title => "发票管理",
            waiting => waiting,
            issued => issued,
            info => info,
            q => q,
            query => query,
            error => error,
            typed => typed,
        },
    )
}

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    crate::web::form::Query(q): crate::web::form::Query<ListQuery>,
) -> Result<Response, AppError> {
    ctx.require(|r| r == Role::Finance)?;
    if q.format == "xlsx" {
        let rows: Vec<Vec<String>> =
            crate::store::queues::all(&web.db, &invoices::QUEUE, &filter(&q), 1_000_000)
                .await?
                .into_iter()
                .map(|i| {
                    vec![
                        i.number,
                        i.unit_name,
                        i.title,
                        i.tax_number,
                        i.amount,
                        crate::pages::format_ts(i.issued_at, "%Y-%m-%d %H:%M"),
                        i.issued_by,
                    ]
                })
                .collect();
        return crate::web::xlsx::download(
            "发票",
            "已开发票",
            &[
                "发票号",
                "单位",
                "抬头",
                "纳税人识别号",
                "金额（元）",
                "开具时间",
                "开具人",
            ],
            &rows,
        );
    }
    Ok(list_page(&web, &ctx, "", &q, &IssueForm::default())
        .await?
        .into_response())
}

#[derive(Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct IssueForm {
    unit_id: String,
    title: String,
    tax_number: String,
}

/// A taxpayer number: the 18-character unified social credit code (check digit verified),
/// or an older 15- or 20-character number.
fn valid_tax_number(s: &str) -> bool {
    match s.len() {
        18 => CreditCode::parse(s).is_ok(),
        15 | 20 => s
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
        _ => false,
    }
}

async fn issue(State(web): State<WebState>, ctx: Ctx, body: Bytes) -> Result<Response, AppError> {
    ctx.require(|r| r == Role::Finance)?;
    let f: IssueForm = form::parse(&body)?;
    let unit_id: i64 = f.unit_id.parse().map_err(|_| AppError::NotFound)?;
    let unit = units::find(&web.db, UnitId::new(unit_id), Scope::All)
        .await?
        .ok_or(AppError::NotFound)?;
    let title: String = f.title.trim().chars().take(100).collect();
    let tax_number = f.tax_number.trim().to_ascii_uppercase();
    if title.is_empty() {
        return Ok(
            list_page(&web, &ctx, "请填写发票抬头。", &ListQuery::default(), &f)
                .await?
                .into_response(),
        );
    }
    if !valid_tax_number(&tax_number) {
        return Ok(list_page(
            &web,
            &ctx,
            "纳税人识别号应为18位统一社会信用代码（或15位、20位税号），请核对。",
            &ListQuery::default(),
            &f,
        )
        .await?
        .into_response());
    }
    let items = invoices::uninvoiced(&web.db, unit.id).await?;
    let (id, _) = finance::issue_invoice(
        &web.db,
        &actor(&ctx),
        &unit,
        &title,
        &tax_number,
        &items,
        web.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/invoices/{id}")).into_response())
}

async fn show(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<InvoiceId>,
) -> Result<Response, AppError> {
    ctx.require(|r| r == Role::Finance)?;
    document(&web, id, None).await
}

/// The invoice as a PDF (typst, like the application documents), downloaded; `unit` limits
/// it to that unit's own invoices (404 otherwise).
pub async fn document(
    web: &WebState,
    id: InvoiceId,
    unit: Option<UnitId>,
) -> Result<Response, AppError> {
    let (invoice, items) = invoices::find(&web.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if unit.is_some_and(|u| u != invoice.unit_id) {
        return Err(AppError::NotFound);
    }
    let markup = crate::documents::invoice::invoice_markup(&invoice, &items);
    let pdf = crate::documents::render(markup)
        .await
        .map_err(AppError::Internal)?;
    Ok(crate::web::pdf_response(
        &format!("invoice-{}.pdf", invoice.number),
        false,
        pdf,
    ))
}
