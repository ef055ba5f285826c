//! Finance issues invoices (title, tax number, amount, items) for the payments units made;
//! the unit downloads them from 财务管理. An invoice is a printable document served as a
//! download; each payment is invoiced once.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
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
    after: String,
    before: String,
    page: String,
    last: String,
    at: String,
}

async fn list_page(
    web: &WebState,
    ctx: &Ctx,
    error: &str,
    q: &ListQuery,
) -> Result<Html<String>, AppError> {
    let filter = crate::store::queues::QueueFilter {
        region: None,
        states: vec!["issued"],
        q: q.q.chars().take(60).collect(),
        from: None,
        to: None,
        extra: "",
    };
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
        },
    )
}

async fn list(
    State(web): State<WebState>,
    ctx: Ctx,
    crate::web::form::Query(q): crate::web::form::Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    ctx.require(|r| r == Role::Finance)?;
    list_page(&web, &ctx, "", &q).await
}

#[derive(Deserialize, Default)]
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
            list_page(&web, &ctx, "请填写发票抬头。", &ListQuery::default())
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

/// The invoice as a standalone printable HTML document, downloaded; `unit` limits it to
/// that unit's own invoices (404 otherwise).
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
    let html = crate::pages::render(
        "invoice.html",
        context! { invoice => invoice, items => items },
    )?;
    let name = crate::web::xlsx::rfc5987(&format!("发票-{}.html", invoice.number));
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"invoice-{}.html\"; filename*=UTF-8''{name}",
                    invoice.number
                ),
            ),
        ],
        html,
    )
        .into_response())
}
