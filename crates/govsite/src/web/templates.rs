//! The layout around every page of the web role: the signed-in user, the menu of their role,
//! the CSRF token, the current path and the large-text switch, merged into each page's own
//! context and rendered by [`crate::pages`]. Also the stylesheet and the copy script.

use axum::response::Html;
use govsite_core::role::Role;
use minijinja::{Value, context};
use serde::Serialize;

use super::WebState;
use super::error::AppError;
use super::session::Ctx;

pub const STYLESHEET: &str = include_str!("../../templates/site.css");
pub const COPY_SCRIPT: &str = include_str!("../../templates/copy.js");

#[derive(Serialize)]
struct NavItem {
    href: &'static str,
    label: &'static str,
    /// The one item the current page belongs to (`aria-current`).
    current: bool,
    /// The pages under this address belong to the item (usually `href` itself; the console
    /// home `/console` owns only itself; 监管名单 owns every list under `/console/lists`).
    #[serde(skip)]
    section: &'static str,
}

/// Marks the item whose section is the longest prefix of `path` (`/portal/red-page/edit`
/// belongs to 红页管理, not to 我的主页 at `/portal`): exactly one item, or none.
fn mark_current(items: &mut [NavItem], path: &str) {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let best = items
        .iter()
        .enumerate()
        .filter(|(_, i)| {
            path == i.href
                || (!i.section.is_empty() && path == i.section)
                || (!i.section.is_empty() && path.starts_with(&format!("{}/", i.section)))
        })
        .max_by_key(|(_, i)| i.section.len().max(i.href.len()))
        .map(|(n, _)| n);
    if let Some(n) = best {
        items[n].current = true;
    }
}

/// The menu of the seed's portal (图4) for units, and the console menus for staff. An entry
/// appears only once its pages exist.
fn nav(role: Role) -> Vec<NavItem> {
    let item = |href, label| NavItem {
        href,
        label,
        current: false,
        section: href,
    };
    // The console home: itself only, not everything under /console.
    let home = NavItem {
        section: "",
        ..item("/console", "工作台")
    };
    let lists = || NavItem {
        section: "/console/lists",
        ..item("/console/lists/lapsed", "监管名单")
    };
    let mut items = match role {
        Role::Unit => vec![
            item("/portal", "我的主页"),
            item("/portal/unit", "单位信息"),
            item("/portal/domains", "网上名称管理"),
            item("/portal/sites", "网站开办审核"),
            item("/portal/red-page", "红页管理"),
            item("/portal/finance", "财务管理"),
            item("/portal/questions", "用户问答"),
        ],
        Role::OfficeReviewer => vec![
            home,
            item("/console/units", "工作管理"),
            item("/console/reviews", "域名审核"),
            item("/console/sites", "网站审核"),
            item("/console/badges", "网站标识"),
            item("/console/red-pages", "网络红页"),
            item("/console/domains", "域名管理"),
            lists(),
            item("/console/campaigns", "专项工作"),
            item("/console/office-payments", "编办代缴"),
            item("/console/questions", "用户问答"),
            item("/console/office", "本办信息"),
        ],
        Role::RegistryReviewer => vec![
            home,
            item("/console/units", "单位管理"),
            item("/console/reviews", "域名审核"),
            item("/console/sites", "网站审核"),
            item("/console/badges", "网站标识"),
            item("/console/red-pages", "网络红页"),
            item("/console/domains", "域名管理"),
            lists(),
            item("/console/campaigns", "专项工作"),
            item("/console/questions", "用户问答"),
        ],
        Role::Finance => vec![
            item("/console/units", "单位管理"),
            item("/console/transfers", "转账确认"),
            item("/console/invoices", "发票管理"),
        ],
        Role::Auditor => vec![item("/admin/audit", "审计日志")],
        Role::SecurityAdmin => vec![item("/admin/accounts", "账号管理")],
        Role::Admin => vec![
            item("/admin/accounts", "账号管理"),
            item("/console/units", "单位管理"),
            item("/admin/calendar", "工作日历"),
            item("/admin/policy", "收费与名称政策"),
            item("/admin/settings", "平台设置"),
        ],
    };
    if role.reads_outbox() {
        items.push(item("/admin/outbox", "通知记录"));
    }
    if role.is_staff() {
        items.push(item("/account/totp", "两步验证"));
    }
    if !govsite_core::api_key::scopes_for(role).is_empty() {
        items.push(item("/account/api-keys", "接口密钥"));
    }
    items.push(item("/messages", "消息中心"));
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
        let menu = ctx.user.as_ref().filter(|_| !ctx.mfa_pending).map(|u| {
            let mut items = nav(u.role);
            mark_current(&mut items, &ctx.path);
            items
        });
        let base = context! {
            csrf_token => ctx.csrf,
            user => user,
            unread => ctx.header.unread,
            balance => ctx.header.balance,
            nav => menu,
            current_path => ctx.path,
            large_text => ctx.large_text,
        };
        let html = crate::pages::render(name, context! { ..page, ..base })?;
        Ok(Html(html))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_console_item_is_current_on_the_home_a_list_and_a_deep_page() {
        for (path, label) in [
            ("/console", "工作台"),
            ("/console/lists/unregistered", "监管名单"),
            ("/console/lists/lapsed?q=x", "监管名单"),
            ("/console/campaigns/3/progress", "专项工作"),
            ("/console/units/5", "工作管理"),
        ] {
            let mut items = nav(Role::OfficeReviewer);
            mark_current(&mut items, path);
            let current: Vec<&str> = items
                .iter()
                .filter(|i| i.current)
                .map(|i| i.label)
                .collect();
            assert_eq!(current, [label], "{path}");
        }
    }
}
