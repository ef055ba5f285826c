//! Server-rendered pages: minijinja templates compiled into the binary, auto-escaped.

use axum::response::Html;
use chrono::{FixedOffset, TimeZone};
use govsite_core::contact::{Email, Mobile};
use govsite_core::role::Role;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::WebState;
use super::error::AppError;
use super::session::Ctx;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "layout.html",
    "macros.html",
    "home.html",
    "help.html",
    "verify.html",
    "verify_search.html",
    "message.html",
    "auth/login.html",
    "auth/login_totp.html",
    "auth/activate.html",
    "auth/forgot.html",
    "auth/reset.html",
    "auth/password.html",
    "auth/totp.html",
    "unit_fields.html",
    "register/form.html",
    "register/check.html",
    "register/done.html",
    "unit_summary.html",
    "portal/home.html",
    "portal/unit.html",
    "portal/unit_edit.html",
    "portal/domains.html",
    "portal/domain_form.html",
    "portal/domain_check.html",
    "portal/domain_submitted.html",
    "portal/domain_application.html",
    "portal/domain.html",
    "portal/renew_check.html",
    "plan_fields.html",
    "domain_history.html",
    "console/domains.html",
    "console/domain.html",
    "console/list_units.html",
    "console/invoices.html",
    "console/office_payments.html",
    "invoice.html",
    "console/list_tabs.html",
    "console/list_contacts.html",
    "portal/finance.html",
    "console/reviews.html",
    "console/sites.html",
    "console/badges.html",
    "console/badge_report.html",
    "console/site.html",
    "site_summary.html",
    "portal/sites.html",
    "portal/site_form.html",
    "portal/site_check.html",
    "portal/site_submitted.html",
    "portal/site_application.html",
    "portal/badges.html",
    "portal/site_close.html",
    "console/review.html",
    "console/transfers.html",
    "console/units.html",
    "console/unit.html",
    "admin/accounts.html",
    "admin/account_new.html",
    "admin/account.html",
    "admin/audit.html",
    "admin/outbox.html",
    "admin/calendar.html",
    "admin/policy.html",
];

pub const STYLESHEET: &str = include_str!("../../templates/site.css");
pub const COPY_SCRIPT: &str = include_str!("../../templates/copy.js");

#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
        }
        env.add_filter("datetime", datetime);
        env.add_filter("date", date);
        env.add_filter("mask", mask);
        Self { env }
    }

    pub fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

/// Personal contact data as screens show it: mobiles and e-mail addresses masked; office
/// numbers (fixed lines) are not personal and stay whole.
fn mask(value: String) -> String {
    if let Ok(m) = Mobile::parse("", &value) {
        return m.masked();
    }
    if let Ok(e) = Email::parse("", &value) {
        return e.masked();
    }
    value
}

/// Unix seconds shown in China Standard Time.
fn datetime(ts: i64) -> String {
    format_ts(ts, "%Y-%m-%d %H:%M")
}

fn date(ts: i64) -> String {
    format_ts(ts, "%Y-%m-%d")
}

fn format_ts(ts: i64, fmt: &str) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    cst.timestamp_opt(ts, 0)
        .single()
        .map(|t| t.format(fmt).to_string())
        .unwrap_or_default()
}

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    label: &'static str,
}

/// The menu of the seed's portal (图4) for units, and the console menus for staff. An entry
/// appears only once its pages exist.
fn nav(role: Role) -> Vec<NavItem> {
    let item = |href, label| NavItem { href, label };
    let mut items = match role {
        Role::Unit => vec![
            item("/portal", "我的主页"),
            item("/portal/unit", "单位信息"),
            item("/portal/domains", "网上名称管理"),
            item("/portal/sites", "网站开办审核"),
            item("/portal/finance", "财务管理"),
        ],
        Role::OfficeReviewer => vec![
            item("/console/units", "工作管理"),
            item("/console/reviews", "域名审核"),
            item("/console/sites", "网站审核"),
            item("/console/badges", "网站标识"),
            item("/console/domains", "域名管理"),
            item("/console/lists/lapsed", "监管名单"),
            item("/console/office-payments", "编办代缴"),
        ],
        Role::RegistryReviewer => vec![
            item("/console/units", "单位管理"),
            item("/console/reviews", "域名审核"),
            item("/console/sites", "网站审核"),
            item("/console/badges", "网站标识"),
            item("/console/domains", "域名管理"),
            item("/console/lists/lapsed", "监管名单"),
        ],
        Role::Finance => vec![
            item("/console/units", "单位管理"),
            item("/console/transfers", "转账确认"),
            item("/console/invoices", "发票管理"),
        ],
        Role::Auditor => vec![item("/admin/audit", "审计日志")],
        Role::Admin => vec![
            item("/admin/accounts", "账号管理"),
            item("/console/units", "单位管理"),
            item("/admin/audit", "审计日志"),
            item("/admin/calendar", "工作日历"),
            item("/admin/policy", "收费与名称政策"),
        ],
    };
    if role.reads_outbox() {
        items.push(item("/admin/outbox", "通知记录"));
    }
    if role.is_staff() {
        items.push(item("/account/totp", "两步验证"));
    }
    items.push(item("/account/password", "修改密码"));
    items.push(item("/help", "帮助"));
    items
}

impl WebState {
    /// Renders `name` with the layout's context (user, menu, CSRF token) merged with `page`.
    pub fn page(&self, ctx: &Ctx, name: &str, page: Value) -> Result<Html<String>, AppError> {
        let user = ctx.user.as_ref().filter(|_| !ctx.mfa_pending).map(|u| {
            context! {
                name => u.display_name,
                username => u.username,
                role => u.role.as_str(),
                role_label => u.role.label(),
            }
        });
        let menu = ctx
            .user
            .as_ref()
            .filter(|_| !ctx.mfa_pending)
            .map(|u| nav(u.role));
        let base = context! {
            csrf_token => ctx.csrf,
            user => user,
            nav => menu,
            current_path => ctx.path,
            large_text => ctx.large_text,
        };
        let html = self.templates.render(name, context! { ..page, ..base })?;
        Ok(Html(html))
    }
}
