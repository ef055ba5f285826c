//! Administration: staff accounts and offices, the audit trail, the outbox, the calendar.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, NaiveDate};
use govsite_core::FieldErrors;
use govsite_core::calendar::DayKind;
use govsite_core::contact::{Email, Mobile};
use govsite_core::ids::{AccountId, OfficeId};
use govsite_core::region::RegionCode;
use govsite_core::role::Role;
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::WebState;
use super::auth::{actor, send_reset_link};
use super::error::AppError;
use super::form::{self, PathId, Query, page_number};
use super::session::Ctx;
use crate::registry::RegistryError;
use crate::registry::accounts::{self as registry_accounts, AccountChange};
use crate::registry::audit_chain::{self, Break};
use crate::store::accounts::{self, AccountStatus, NewAccount};
use crate::store::audit::{self, Filter};
use crate::store::{calendar, offices, outbox};

const PER_PAGE: u32 = 50;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/admin/accounts", get(list_accounts))
        .route("/admin/accounts/new", get(new_account).post(create_account))
        .route(
            "/admin/accounts/{id}",
            get(show_account).post(change_account),
        )
        .route("/admin/offices", post(create_office))
        .route("/admin/audit", get(audit_log))
        .route("/admin/audit/verify", post(verify_audit))
        .route("/admin/outbox", get(outbox_page))
        .route("/admin/calendar", get(calendar_page).post(set_calendar_day))
}

async fn list_accounts(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    let viewer = ctx.require(Role::sees_accounts)?.role;
    let all = accounts::list(&web.db).await?;
    let staff: Vec<_> = all
        .iter()
        .filter(|a| a.role.is_staff())
        .map(|a| {
            context! {
                id => a.id,
                username => a.username,
                display_name => a.display_name,
                role_label => a.role.label(),
                status_label => a.status.label(),
                totp_required => a.totp_required,
            }
        })
        .collect();
    let units = all.len() - staff.len();
    web.page(
        &ctx,
        "admin/accounts.html",
        context! {
            title => "账号管理",
            accounts => staff,
            unit_accounts => units,
            offices => offices::list(&web.db).await?,
            manages => viewer.manages_accounts(),
        },
    )
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct AccountForm {
    username: String,
    display_name: String,
    role: String,
    office_id: String,
    email: String,
    mobile: String,
    totp_required: String,
}

fn staff_roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .iter()
        .filter(|r| r.is_staff())
        .map(|r| (r.as_str(), r.label()))
        .collect()
}

async fn account_form_page(
    web: &WebState,
    ctx: &Ctx,
    form: &AccountForm,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>, AppError> {
    web.page(
        ctx,
        "admin/account_new.html",
        context! {
            title => if errors.is_some() { "错误：新建工作人员账号" } else { "新建工作人员账号" },
            form => form,
            errors => errors,
            roles => staff_roles(),
            offices => offices::list(&web.db).await?,
        },
    )
}

async fn new_account(State(web): State<WebState>, ctx: Ctx) -> Result<Html<String>, AppError> {
    ctx.require(Role::manages_accounts)?;
    account_form_page(
        &web,
        &ctx,
        &AccountForm {
            totp_required: "1".into(),
            ..AccountForm::default()
        },
        None,
    )
    .await
}

/// Creates a staff account. It starts without a password: the person sets one from the
/// activation link sent to their own e-mail. The administrator never sees the link.
async fn create_account(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(Role::manages_accounts)?;
    let form: AccountForm = form::parse(&body)?;
    let mut e = FieldErrors::new();
    let username = form.username.trim();
    if username.is_empty() {
        e.add("username", "请输入用户账号");
    } else if username.len() > 32
        || !username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        e.add(
            "username",
            "用户账号只能包含英文字母、数字和 - _ .，不超过32个字符",
        );
    }
    let display_name = e.check(
        "display_name",
        govsite_core::contact::required_text("姓名", &form.display_name, 30),
    );
    let role = Role::parse(&form.role).filter(|r| r.is_staff());
    if role.is_none() {
        e.add("role", "请选择角色");
    }
    let office_id = form.office_id.parse::<OfficeId>().ok();
    if role == Some(Role::OfficeReviewer) {
        let exists = match office_id {
            Some(id) => offices::find(&web.db, id).await?.is_some(),
            None => false,
        };
        if !exists {
            e.add("office_id", "编办审核员必须选择所属编办");
        }
    }
    let email = e.check("email", Email::parse("电子邮箱", &form.email));
    let mobile = if form.mobile.trim().is_empty() {
        Some(String::new())
    } else {
        e.check("mobile", Mobile::parse("手机号码", &form.mobile))
            .map(|m| m.to_string())
    };
    let (Some(display_name), Some(role), Some(email), Some(mobile)) =
        (display_name, role, email, mobile)
    else {
        return Ok(account_form_page(&web, &ctx, &form, Some(&e))
            .await?
            .into_response());
    };
    if !e.is_empty() {
        return Ok(account_form_page(&web, &ctx, &form, Some(&e))
            .await?
            .into_response());
    }
    let new = NewAccount {
        username,
        display_name: &display_name,
        role,
        unit_id: None,
        office_id: if role == Role::OfficeReviewer {
            office_id
        } else {
            None
        },
        email: email.as_str(),
        mobile: &mobile,
        totp_required: form.totp_required == "1",
    };
    let id = match registry_accounts::create_staff_account(&web.db, &actor(&ctx), &new, web.now())
        .await
    {
        Ok(id) => id,
        Err(RegistryError::Form(e)) => {
            return Ok(account_form_page(&web, &ctx, &form, Some(&e))
                .await?
                .into_response());
        }
        Err(err) => return Err(err.into()),
    };
    web.outbox_wake.notify_one();
    Ok(Redirect::to(&format!("/admin/accounts/{id}?done=created")).into_response())
}

#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn show_account(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<AccountId>,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, AppError> {
    let viewer = ctx.require(Role::sees_accounts)?.role;
    let account = accounts::find(&web.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let office = match account.office_id {
        Some(o) => offices::find(&web.db, o).await?,
        None => None,
    };
    let notice = match q.done.as_str() {
        "created" => "账号已创建，激活链接已发送至该工作人员的电子邮箱。",
        "reset" => "重设密码链接已发送至该账号登记的电子邮箱。",
        "saved" => "已保存。",
        _ => "",
    };
    web.page(
        &ctx,
        "admin/account.html",
        context! {
            title => format!("账号 {}", account.username),
            account => account,
            role_label => account.role.label(),
            status_label => account.status.label(),
            office => office,
            notice => notice,
            security => viewer.manages_security(),
            roles => staff_roles(),
            offices => if viewer.manages_security() { offices::list(&web.db).await? } else { Vec::new() },
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AccountAction {
    action: String,
    reason: String,
    role: String,
    office_id: String,
}

async fn change_account(
    State(web): State<WebState>,
    ctx: Ctx,
    PathId(id): PathId<AccountId>,
    body: Bytes,
) -> Result<Response, AppError> {
    let viewer = ctx.require(Role::sees_accounts)?.role;
    let account = accounts::find(&web.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form: AccountAction = form::parse(&body)?;
    let reason: String = form.reason.trim().chars().take(200).collect();
    let now = web.now();
    let who = actor(&ctx);
    // 三员分立: roles and second factors are the security administrator's, everything else
    // about an account the system administrator's.
    let security = matches!(
        form.action.as_str(),
        "change_role" | "require_totp" | "waive_totp"
    );
    if security != viewer.manages_security() {
        return Err(AppError::Forbidden);
    }
    if form.action == "change_role" {
        let role = Role::parse(&form.role).filter(|r| r.is_staff());
        let Some(role) = role else {
            return Err(AppError::BadRequest(
                "请选择工作人员角色；单位账号不能改为工作人员账号。",
            ));
        };
        let office = match form.office_id.parse::<OfficeId>() {
            Ok(o) if role == Role::OfficeReviewer => offices::find(&web.db, o).await?.map(|_| o),
            _ => None,
        };
        registry_accounts::change_role(&web.db, &who, &account, role, office, &reason, now).await?;
        return Ok(Redirect::to(&format!("/admin/accounts/{id}?done=saved")).into_response());
    }
    if form.action == "send_reset" {
        if account.status != AccountStatus::Active {
            return Err(AppError::BadRequest(
                "该账号尚未激活或已停用，无法发送重设链接。",
            ));
        }
        send_reset_link(&web, &ctx, &account).await?;
        return Ok(Redirect::to(&format!("/admin/accounts/{id}?done=reset")).into_response());
    }
    let change = AccountChange::parse(&form.action)
        .ok_or(AppError::BadRequest("无法完成该操作，请刷新页面后重试。"))?;
    registry_accounts::change_account(&web.db, &who, &account, change, &reason, now).await?;
    Ok(Redirect::to(&format!("/admin/accounts/{id}?done=saved")).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OfficeForm {
    region_code: String,
    name: String,
}

async fn create_office(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(Role::manages_accounts)?;
    let form: OfficeForm = form::parse(&body)?;
    let region = RegionCode::parse(&form.region_code)
        .map_err(|_| AppError::BadRequest("行政区划代码应为6位数字。"))?;
    if offices::region(&web.db, region).await?.is_none() {
        return Err(AppError::BadRequest("没有这个行政区划代码。"));
    }
    let name = govsite_core::contact::required_text("编办名称", &form.name, 60)
        .map_err(|_| AppError::BadRequest("请输入编办名称（不超过60个字）。"))?;
    registry_accounts::create_office(&web.db, &actor(&ctx), region, &name, web.now()).await?;
    Ok(Redirect::to("/admin/accounts").into_response())
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct AuditQuery {
    action: String,
    actor: String,
    subject_type: String,
    subject_id: String,
    since: String,
    until: String,
    page: String,
    /// After 「校验审计链」: `ok` or the code of the break, the row and the count checked.
    verified: String,
    row: String,
    checked: String,
}

async fn audit_log(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> Result<Html<String>, AppError> {
    ctx.require(Role::reads_audit)?;
    let clip = |s: &str| s.trim().chars().take(64).collect::<String>();
    let filter = Filter {
        action: clip(&q.action),
        actor: clip(&q.actor),
        subject_type: clip(&q.subject_type),
        subject_id: clip(&q.subject_id),
        since: crate::web::form::day_start(&q.since),
        until: crate::web::form::day_start(&q.until).map(|t| t + 86_399),
    };
    let page = page_number(Some(&q.page));
    let (events, total) = audit::search(&web.db, &filter, page, PER_PAGE).await?;
    let pages = (total.max(1) + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE);
    let head = audit_chain::head(&web.db).await?;
    web.page(
        &ctx,
        "admin/audit.html",
        context! {
            title => "审计日志",
            subjects => audit::SUBJECTS,
            actions => audit::ACTIONS.as_slice(),
            events => events,
            q => q,
            page => page,
            pages => pages,
            total => total,
            chain_head => head.as_ref().map(|(e, _)| e),
            // Within the sealer's look-back (an index range), not the whole table.
            unsealed => crate::store::audit_chain::unsealed_count(
                &web.db,
                head.as_ref().map_or(i64::MIN, |(_, at)| at - audit_chain::LOOK_BACK),
            )
            .await?,
            verified_label => match q.verified.as_str() {
                "relinked" => Break::Relinked.label(),
                "deleted" => Break::Deleted.label(),
                "changed" => Break::Changed.label(),
                "algorithm" => Break::UnknownAlgorithm.label(),
                _ => "",
            },
        },
    )
}

/// 校验审计链: walks the whole chain now and shows what it found (post/redirect/get).
async fn verify_audit(State(web): State<WebState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.require(Role::reads_audit)?;
    let v = audit_chain::verify(&web.db).await?;
    let to = match v.broken {
        Some((entry, why)) => format!(
            "/admin/audit?verified={}&row={}&checked={}",
            why.code(),
            entry.audit_id,
            v.checked
        ),
        None => format!("/admin/audit?verified=ok&checked={}", v.checked),
    };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OutboxQuery {
    status: String,
    page: String,
}

async fn outbox_page(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<OutboxQuery>,
) -> Result<Html<String>, AppError> {
    ctx.require(Role::reads_outbox)?;
    let status = match q.status.as_str() {
        s @ ("pending" | "sending" | "sent" | "held" | "failed") => s,
        _ => "",
    };
    let page = page_number(Some(&q.page));
    let (messages, total) = outbox::list(&web.db, status, page, PER_PAGE).await?;
    let pages = (total.max(1) + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE);
    web.page(
        &ctx,
        "admin/outbox.html",
        context! {
            title => "通知记录",
            messages => messages,
            status => status,
            page => page,
            pages => pages,
            total => total,
        },
    )
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct CalendarQuery {
    year: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct CalendarForm {
    day: String,
    kind: String,
    name: String,
}

async fn calendar_view(
    web: &WebState,
    ctx: &Ctx,
    year: i32,
    form: &CalendarForm,
    errors: Option<&FieldErrors>,
) -> Result<Html<String>, AppError> {
    web.page(ctx, "admin/calendar.html", context! {
        title => if errors.is_some() { format!("错误：{year}年工作日历") } else { format!("{year}年工作日历") },
        year => year,
        days => calendar::list_year(&web.db, year).await?,
        form => form,
        errors => errors,
    })
}

fn current_year(web: &WebState) -> i32 {
    chrono::DateTime::from_timestamp(web.now() + 8 * 3600, 0).map_or(2026, |t| t.year())
}

async fn calendar_page(
    State(web): State<WebState>,
    ctx: Ctx,
    Query(q): Query<CalendarQuery>,
) -> Result<Html<String>, AppError> {
    ctx.require(Role::manages_accounts)?;
    let year = q
        .year
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(|| current_year(&web));
    calendar_view(&web, &ctx, year, &CalendarForm::default(), None).await
}

async fn set_calendar_day(
    State(web): State<WebState>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    ctx.require(Role::manages_accounts)?;
    let form: CalendarForm = form::parse(&body)?;
    let mut e = FieldErrors::new();
    let day = NaiveDate::parse_from_str(form.day.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()));
    if day.is_none() {
        e.add("day", "请按 2027-01-01 的格式输入日期");
    }
    let kind = match form.kind.as_str() {
        "holiday" => Some(Some(DayKind::Holiday)),
        "workday" => Some(Some(DayKind::Workday)),
        "clear" => Some(None),
        _ => {
            e.add("kind", "请选择这一天的安排");
            None
        }
    };
    let name = form.name.trim();
    if matches!(kind, Some(Some(_))) && (name.is_empty() || name.chars().count() > 20) {
        e.add("name", "请输入节日名称（不超过20个字）");
    }
    let (Some(day), Some(kind), true) = (day, kind, e.is_empty()) else {
        let year = day.map_or_else(|| current_year(&web), |d| d.year());
        return Ok(calendar_view(&web, &ctx, year, &form, Some(&e))
            .await?
            .into_response());
    };
    crate::registry::policy::set_calendar_day(&web.db, &actor(&ctx), day, kind, name, web.now())
        .await?;
    Ok(Redirect::to(&format!("/admin/calendar?year={}", day.year())).into_response())
}
