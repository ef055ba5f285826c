//! The supervision lists of a 编办 (annexes 5, 6 and 7): on screen, filtered, and as .xlsx.
//! An office sees its own region; the registry filters by any region code. Downloads are
//! audited, since the contacts list carries personal data.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use govsite_core::contact::{Email, Mobile};
use govsite_core::role::Role;
use minijinja::context;
use serde::Deserialize;

use super::unit_scope;
use crate::store::audit::{self, Event};
use crate::store::supervision::{self, ListFilter, UnitRow};
use crate::store::units::Scope;
use crate::web::WebState;
use crate::web::auth::actor;
use crate::web::error::AppError;
use crate::web::form::Query;
use crate::web::session::Ctx;
use crate::web::xlsx;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/console/lists/lapsed", get(lapsed))
        .route("/console/lists/unregistered", get(unregistered))
        .route("/console/lists/contacts", get(contacts))
}

fn supervises(r: Role) -> bool {
    matches!(
        r,
        Role::OfficeReviewer | Role::RegistryReviewer | Role::Admin
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    q: String,
    region: String,
    format: String,
}

/// What a list covers for the signed-in person.
struct Coverage {
    filter: ListFilter,
    /// The office's name, or 注册管理中心.
    office_name: String,
    /// Not held to one region: may narrow by region code.
    everywhere: bool,
}

/// The filter for the signed-in person: an office is held to its region whatever the query
/// says; the registry may narrow to a region code.
async fn filter(web: &WebState, ctx: &Ctx, q: &ListQuery) -> Result<Coverage, AppError> {
    let user = ctx.require(supervises)?;
    let (scope, office_name) = unit_scope(web, user).await?;
    let name: String = q.q.chars().take(60).collect();
    let everywhere = scope == Scope::All;
    let f = match scope {
        Scope::Region(r) => ListFilter::region(r, &name),
        Scope::All => match q.region.trim() {
            "" => ListFilter::everywhere(&name),
            code => match code.parse::<i64>() {
                Ok(c) if code.len() == 6 => ListFilter::under(c, &name),
                _ => return Err(AppError::BadRequest("地区代码应为6位数字，例如 620421。")),
            },
        },
    };
    Ok(Coverage {
        filter: f,
        office_name,
        everywhere,
    })
}

async fn audited_download(
    web: &WebState,
    ctx: &Ctx,
    list: &str,
    count: usize,
) -> Result<(), AppError> {
    let event = Event {
        action: "list_exported",
        subject_type: "list",
        subject_id: list.to_owned(),
        from_state: "",
        to_state: "",
        reason: &format!("{count}行"),
    };
    audit::record_alone(&web.db, &actor(ctx), &event, web.now()).await?;
    Ok(())
}

fn unit_rows(rows: &[UnitRow]) -> Vec<Vec<String>> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                (i + 1).to_string(),
                r.name.clone(),
                r.region_name.clone(),
                r.domains.to_string(),
                r.accounts.clone(),
                r.note.clone(),
            ]
        })
        .collect()
}

const UNIT_HEADERS: [&str; 6] = ["序号", "单位名称", "地区", "域名个数", "用户帐号", "备注"];

async fn unit_list(
    web: WebState,
    ctx: Ctx,
    q: ListQuery,
    kind: &'static str,
    title: &'static str,
) -> Result<Response, AppError> {
    let Coverage {
        filter: f,
        office_name,
        everywhere,
    } = filter(&web, &ctx, &q).await?;
    let rows = if kind == "lapsed" {
        supervision::lapsed(&web.db, &f).await?
    } else {
        supervision::unregistered(&web.db, &f).await?
    };
    let full_title = format!("{office_name}{title}");
    if q.format == "xlsx" {
        audited_download(&web, &ctx, kind, rows.len()).await?;
        return xlsx::download(&full_title, &full_title, &UNIT_HEADERS, &unit_rows(&rows));
    }
    Ok(web
        .page(
            &ctx,
            "console/list_units.html",
            context! {
                title => title,
                office_name => office_name,
                kind => kind,
                rows => rows,
                q => q.q,
                region => q.region,
                registry => everywhere,
            },
        )?
        .into_response())
}

async fn lapsed(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    unit_list(web, ctx, q, "lapsed", "已到期需重新注册单位名单").await
}

async fn unregistered(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    unit_list(web, ctx, q, "unregistered", "未注册中文域名单位名单").await
}

async fn contacts(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let Coverage {
        filter: f,
        office_name,
        everywhere,
    } = filter(&web, &ctx, &q).await?;
    let rows = supervision::contacts(&web.db, &f).await?;
    let title = format!("{office_name}注册单位联系人信息登记表");
    if q.format == "xlsx" {
        audited_download(&web, &ctx, "contacts", rows.len()).await?;
        let headers = [
            "序号",
            "单位名称",
            "地区",
            "分管领导",
            "电话/手机",
            "通讯地址",
            "电子信箱",
            "邮编",
            "网站负责人",
            "电话/手机",
            "通讯地址",
            "电子信箱",
            "邮编",
        ];
        let cells: Vec<Vec<String>> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut row = vec![(i + 1).to_string(), r.name.clone(), r.region_name.clone()];
                for p in [&r.leader, &r.webmaster] {
                    row.extend([
                        p.name.clone(),
                        p.phone.clone(),
                        p.address.clone(),
                        p.email.clone(),
                        p.postcode.clone(),
                    ]);
                }
                row
            })
            .collect();
        return xlsx::download(&title, &title, &headers, &cells);
    }
    // On screen, mobile numbers and e-mail addresses are masked; the audited download has them in full.
    let masked: Vec<_> = rows
        .into_iter()
        .map(|mut r| {
            for p in [&mut r.leader, &mut r.webmaster] {
                p.phone = Mobile::parse("", &p.phone).map_or(p.phone.clone(), |m| m.masked());
                p.email = Email::parse("", &p.email).map_or(p.email.clone(), |e| e.masked());
            }
            r
        })
        .collect();
    Ok(web
        .page(
            &ctx,
            "console/list_contacts.html",
            context! {
                title => "注册单位联系人信息登记表",
                office_name => office_name,
                rows => masked,
                q => q.q,
                region => q.region,
                registry => everywhere,
            },
        )?
        .into_response())
}
