//! The audit trail: append-only (the schema refuses updates and deletes), written in the same
//! transaction as the change it records.

use govsite_core::ids::{AccountId, UnitId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult};

/// Who did it: a signed-in account, or the system itself (worker, demo loader, CLI).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<AccountId>,
    pub label: String,
    pub ip: String,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Self {
            id: None,
            label: label.to_owned(),
            ip: String::new(),
        }
    }
}

/// One recorded event.
#[derive(Debug, Clone, Default)]
pub struct Event<'a> {
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: String,
    pub from_state: &'a str,
    pub to_state: &'a str,
    pub reason: &'a str,
}

pub async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    event: &Event<'_>,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (at, actor_id, actor, action, subject_type, subject_id,
                                   from_state, to_state, reason, ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(now)
    .bind(actor.id.map(|a| a.get()))
    .bind(&actor.label)
    .bind(event.action)
    .bind(event.subject_type)
    .bind(&event.subject_id)
    .bind(event.from_state)
    .bind(event.to_state)
    .bind(event.reason)
    .bind(&actor.ip)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records outside any other transaction (sign-in failures, for instance).
pub async fn record_alone(db: &Db, actor: &Actor, event: &Event<'_>, now: i64) -> StoreResult<()> {
    let mut conn = db.writer().await?;
    record(&mut conn, actor, event, now).await
}

/// Every action the application records, with the words auditors read.
pub const ACTIONS: [(&str, &str); 82] = [
    ("sign_in", "登录"),
    ("sign_in_password_ok", "密码验证通过（待两步验证）"),
    ("sign_in_failed", "登录失败"),
    ("sign_out", "退出"),
    ("account_created", "创建账号"),
    ("account_activated", "激活账号"),
    ("account_disabled", "停用账号"),
    ("account_enabled", "启用账号"),
    ("role_changed", "变更角色"),
    ("password_changed", "修改密码"),
    ("sign_in_failures_notified", "提醒账号多次登录失败"),
    ("password_reset", "重设密码"),
    ("password_reset_link_sent", "发送重设密码链接"),
    ("badge_key_rotated", "更换网站标识签名密钥"),
    ("password_change_required", "要求修改密码"),
    ("totp_enabled", "开启两步验证"),
    ("totp_disabled", "关闭两步验证"),
    ("totp_required", "强制两步验证"),
    ("totp_waived", "取消强制两步验证"),
    ("office_created", "新增编办"),
    ("unit_registered", "单位注册"),
    ("unit_updated", "修改单位信息"),
    ("calendar_day_set", "设置工作日历"),
    ("domain_application_submitted", "提交域名注册申请"),
    ("domain_application_office_review", "编办初审"),
    ("domain_application_registry_review", "注册中心复审"),
    ("domain_application_paid_and_activated", "缴费并启用域名"),
    ("domain_state_changed", "域名状态变化"),
    ("transfer_reported", "登记转账"),
    ("transfer_confirmed", "确认转账到账"),
    ("transfer_rejected", "退回转账"),
    ("domain_renewed", "续费域名"),
    ("domain_records_changed", "修改域名解析"),
    ("domain_held", "停止域名解析"),
    ("domain_released", "恢复域名解析"),
    ("list_exported", "导出监管名单"),
    ("review_escalated", "超期提醒上级编办"),
    ("invoice_issued", "开具发票"),
    ("price_set", "调整价格"),
    ("reserved_added", "新增保留名称"),
    ("reserved_removed", "删除保留名称"),
    ("review_days_set", "设置初审时限"),
    ("mount_days_set", "设置挂标期限"),
    ("site_application_submitted", "提交网站开办审核申请"),
    ("site_application_office_review", "网站开办审核编办初审"),
    (
        "site_application_registry_review",
        "网站开办审核注册中心复审",
    ),
    ("site_paper_requested", "通知报送网站开办纸质材料"),
    ("site_paper_confirmed", "确认网站开办纸质材料"),
    ("site_paper_returned", "退回网站开办纸质材料"),
    ("site_badge_issued", "发放网站标识"),
    ("site_badge_kept", "沿用网站标识"),
    ("site_closed", "关闭网站并注销标识"),
    ("badge_report_filed", "公众反映网站标识问题"),
    ("badge_report_closed", "处理公众反映"),
    ("badge_state_changed", "网站标识状态变化"),
    ("badge_enforcement_proposed", "建议停止逾期未挂标网站的解析"),
    ("badge_enforcement_decided", "处理停止解析建议"),
    ("badge_reinstated", "恢复被暂停的网站标识"),
    ("red_page_logo_set", "上传红页图片"),
    ("red_page_published", "发布网络红页"),
    ("red_page_rolled_back", "回滚网络红页"),
    ("red_page_unpublished", "撤下网络红页"),
    ("red_page_taken_down", "编办下线网络红页"),
    ("office_details_updated", "修改编办联系信息"),
    ("contact_revealed", "查看完整联系方式"),
    ("domain_paper_recorded", "登记域名注册纸质材料"),
    ("invitation_resent", "重发激活邀请"),
    ("unit_confirmed", "编办确认单位"),
    ("unit_corrected", "更正单位信息"),
    ("unit_imported", "名册导入单位"),
    ("roster_imported", "导入单位名册"),
    ("question_asked", "用户提问"),
    ("question_answered", "答复用户问题"),
    ("question_asked_back", "请用户补充说明"),
    ("question_replied", "用户补充问题"),
    ("question_closed", "关闭用户问题"),
    ("faq_published", "发布常见问题"),
    ("faq_withdrawn", "撤下常见问题"),
    ("setting_changed", "修改平台设置"),
    ("site_filings_changed", "修改网站备案号"),
    ("api_key_created", "创建接口密钥"),
    ("api_key_revoked", "吊销接口密钥"),
];

pub fn action_label(action: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map_or("其他操作", |(_, l)| l)
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub action_label: &'static str,
    pub subject_type: String,
    pub subject_label: &'static str,
    pub from_label: String,
    pub to_label: String,
    pub subject_id: String,
    pub from_state: String,
    pub to_state: String,
    pub reason: String,
    pub ip: String,
}

/// Filters an auditor can set; empty strings mean "any".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: String,
    pub actor: String,
    pub subject_type: String,
    pub subject_id: String,
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// The latest events about one subject (a domain, an application …), newest first.
pub async fn history(db: &Db, subject_type: &str, subject_id: i64) -> StoreResult<Vec<AuditRow>> {
    let filter = Filter {
        subject_type: subject_type.to_owned(),
        subject_id: subject_id.to_string(),
        ..Filter::default()
    };
    Ok(search(db, &filter, 1, 50).await?.0)
}

/// The subjects of audited events and what staff screens call them.
pub const SUBJECTS: [(&str, &str); 14] = [
    ("unit", "单位"),
    ("account", "账号"),
    ("office", "编办"),
    ("domain", "域名"),
    ("domain_application", "域名注册申请"),
    ("site_application", "网站开办审核申请"),
    ("site", "网站标识"),
    ("red_page", "网络红页"),
    ("transfer", "转账"),
    ("invoice", "发票"),
    ("badge_report", "公众反映"),
    ("badge_enforcement", "停止解析建议"),
    ("calendar_day", "工作日历"),
    ("region", "地区"),
];

/// What a subject type is called on staff screens.
pub fn subject_label(subject_type: &str) -> &'static str {
    SUBJECTS
        .iter()
        .find(|(s, _)| *s == subject_type)
        .map_or("其他", |(_, l)| l)
}

/// A stored state code of `subject_type` in Chinese (the code itself when none of ours).
pub fn state_label(subject_type: &str, state: &str) -> String {
    use govsite_core::{
        badge_state::BadgeState, domain_application::AppState, domain_lifecycle::DomainState,
        red_page::RedPageState, site_application::SiteState, transfer::TransferStatus,
    };
    let label = match subject_type {
        "domain_application" => AppState::parse(state).map(AppState::label),
        "site_application" => SiteState::parse(state).map(SiteState::label),
        "domain" => DomainState::parse(state).map(DomainState::label),
        "site" => BadgeState::parse(state).ok().map(BadgeState::label),
        "red_page" => RedPageState::parse(state).map(RedPageState::label),
        "transfer" => TransferStatus::parse(state).map(TransferStatus::label),
        "calendar_day" if state == "default" => Some("按周末休息"),
        "calendar_day" => govsite_core::calendar::DayKind::parse(state)
            .map(govsite_core::calendar::DayKind::label),
        _ => None,
    };
    let common = match state {
        "registered" => Some("已注册"),
        "confirmed" if subject_type == "unit" => Some("编办已确认"),
        "pending" => Some("待处理"),
        "proposed" => Some("已提出"),
        "confirmed" => Some("已确认"),
        "dismissed" => Some("已驳回"),
        "open" => Some("待处理"),
        "closed" => Some("已处理"),
        "active" => Some("正常"),
        "disabled" => Some("已停用"),
        _ => None,
    };
    label.or(common).unwrap_or(state).to_owned()
}

/// One event of a unit's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineRow {
    pub at: i64,
    pub actor: String,
    pub action_label: &'static str,
    pub subject_label: &'static str,
    pub subject_id: String,
    pub reason: String,
}

/// The latest `limit` audited events about a unit and everything it holds (its names,
/// applications, sites and red page), newest first.
pub async fn unit_timeline(db: &Db, unit: UnitId, limit: i64) -> StoreResult<Vec<TimelineRow>> {
    let rows = sqlx::query(
        "SELECT at, actor, action, subject_type, subject_id, reason FROM audit_events
         WHERE (subject_type IN ('unit', 'red_page') AND subject_id = $1)
            OR (subject_type = 'domain' AND subject_id IN
                (SELECT CAST(id AS TEXT) FROM domains WHERE unit_id = $2))
            OR (subject_type = 'domain_application' AND subject_id IN
                (SELECT CAST(id AS TEXT) FROM domain_applications WHERE unit_id = $2))
            OR (subject_type = 'site_application' AND subject_id IN
                (SELECT CAST(id AS TEXT) FROM site_applications WHERE unit_id = $2))
            OR (subject_type = 'site' AND subject_id IN
                (SELECT CAST(id AS TEXT) FROM sites WHERE unit_id = $2))
         ORDER BY id DESC LIMIT $3",
    )
    .bind(unit.to_string())
    .bind(unit.get())
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TimelineRow {
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action_label: action_label(&r.try_get::<String, _>("action")?),
                subject_label: subject_label(&r.try_get::<String, _>("subject_type")?),
                subject_id: r.try_get("subject_id")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

pub async fn search(
    db: &Db,
    f: &Filter,
    page: u32,
    per_page: u32,
) -> StoreResult<(Vec<AuditRow>, i64)> {
    let filter = "($1 = '' OR action = $1) AND ($2 = '' OR actor LIKE $3)
        AND ($4 = '' OR subject_type = $4) AND ($5 = '' OR subject_id = $5)
        AND at >= $6 AND at <= $7";
    let actor_like = format!("%{}%", f.actor.replace(['%', '_', '\\'], ""));
    let since = f.since.unwrap_or(0);
    let until = f.until.unwrap_or(i64::MAX / 2);
    let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM audit_events WHERE {filter}"
    )))
    .bind(&f.action)
    .bind(&f.actor)
    .bind(&actor_like)
    .bind(&f.subject_type)
    .bind(&f.subject_id)
    .bind(since)
    .bind(until)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT id, at, actor, action, subject_type, subject_id, from_state, to_state, reason, ip
         FROM audit_events WHERE {filter} ORDER BY id DESC LIMIT $8 OFFSET $9"
    )))
    .bind(&f.action)
    .bind(&f.actor)
    .bind(&actor_like)
    .bind(&f.subject_type)
    .bind(&f.subject_id)
    .bind(since)
    .bind(until)
    .bind(i64::from(per_page))
    .bind(i64::from(page.saturating_sub(1)) * i64::from(per_page))
    .fetch_all(db.pool())
    .await?;
    let rows = rows
        .iter()
        .map(|r| {
            let subject_type: String = r.try_get("subject_type")?;
            let from_state: String = r.try_get("from_state")?;
            let to_state: String = r.try_get("to_state")?;
            Ok(AuditRow {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                actor: r.try_get("actor")?,
                action_label: action_label(&r.try_get::<String, _>("action")?),
                action: r.try_get("action")?,
                subject_label: subject_label(&subject_type),
                from_label: state_label(&subject_type, &from_state),
                to_label: state_label(&subject_type, &to_state),
                subject_type,
                subject_id: r.try_get("subject_id")?,
                from_state,
                to_state,
                reason: r.try_get("reason")?,
                ip: r.try_get("ip")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((rows, total))
}
