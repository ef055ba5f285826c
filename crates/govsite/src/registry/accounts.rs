//! Decisions about people and their accounts: a unit registers itself (the unit and its
//! first account, pending until activated), the administrator creates staff accounts and
//! offices, disables, enables and re-roles accounts, people set passwords through one-time
//! links and enrol a second factor, and a unit updates its details. Each is one transaction
//! with its audit rows and notices. Passwords are hashed before they reach here; nothing here
//! ever sees or stores one in clear.

use govsite_core::FieldErrors;
use govsite_core::ids::{AccountId, OfficeId, UnitId};
use govsite_core::region::RegionCode;
use govsite_core::role::Role;
use govsite_core::unit::UnitDetails;

use super::RegistryError;
use super::notices::{self, Notice};
use crate::auth::token;
use crate::notify::messages;
use crate::store::accounts::{self, Account, AccountStatus, NewAccount};
use crate::store::audit::{self, Actor, Event};
use crate::store::outbox::LinkIntent;
use crate::store::tokens::{self, Purpose};
use crate::store::{Db, StoreError, offices, outbox, sessions, units};

/// How long a reset link stays valid.
pub const RESET_TTL: i64 = 3600;
/// How long an activation link stays valid.
pub const ACTIVATION_TTL: i64 = 72 * 3600;

/// A new unit and its first account, with the activation link sent to the handler by e-mail
/// (and the account number by SMS). A credit code registered already is a field error.
pub async fn register_unit(
    db: &Db,
    actor: &Actor,
    details: &UnitDetails,
    username: &str,
    public_url: &str,
    now: i64,
) -> Result<(UnitId, AccountId), RegistryError> {
    // Its 编办 is told of each registration; read before the transaction opens.
    let reviewers =
        accounts::reviewers(db, offices::find_by_region(db, details.region).await?).await?;
    let mut tx = db.begin().await?;
    let unit_id = match units::insert(&mut tx, details, now).await {
        Ok(id) => id,
        Err(StoreError::Duplicate(_)) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "credit_code",
                "该统一社会信用代码已登记，请直接登录，或联系所属编办找回账号",
            );
            return Err(RegistryError::Form(errors));
        }
        Err(e) => return Err(e.into()),
    };
    let account = NewAccount {
        username,
        display_name: &details.name,
        role: Role::Unit,
        unit_id: Some(unit_id),
        office_id: None,
        email: details.handler.email.as_str(),
        mobile: details.handler.mobile.as_str(),
        totp_required: false,
    };
    let account_id = accounts::insert(&mut tx, &account, now).await?;
    units::mark_unconfirmed(&mut tx, unit_id).await?;
    for r in &reviewers {
        let m = outbox::NewMessage {
            channel: outbox::Channel::Email,
            recipient: r.email.clone(),
            subject: "新单位注册待确认".to_owned(),
            body: format!(
                "{}：\n\n{}（统一社会信用代码 {}）已在平台注册，待您确认。确认前，该单位可以填写但不能提交申请。请登录平台在“工作管理”中核对并确认：{public_url}/console/units/{unit_id}\n\n{}\n",
                r.display_name,
                details.name,
                details.credit_code.as_str(),
                messages::SIGNATURE
            ),
            template: "unit_registered_office",
        };
        notices::to_account(&mut tx, r.id, &m, now).await?;
    }
    let to = Invitee {
        email: details.handler.email.as_str(),
        mobile: details.handler.mobile.as_str(),
        display_name: &details.name,
        username,
    };
    send_activation(&mut tx, account_id, &to, ACTIVATION_TTL, now).await?;
    let unit_event = Event {
        action: "unit_registered",
        subject_type: "unit",
        subject_id: unit_id.to_string(),
        to_state: "registered",
        ..Event::default()
    };
    audit::record(&mut tx, actor, &unit_event, now).await?;
    let account_event = Event {
        action: "account_created",
        subject_type: "account",
        subject_id: account_id.to_string(),
        to_state: "pending",
        reason: "self-registration",
        ..Event::default()
    };
    audit::record(&mut tx, actor, &account_event, now).await?;
    tx.commit().await?;
    Ok((unit_id, account_id))
}

/// The 编办 confirms a self-registered unit of its region: from now on the unit may submit
/// applications. The unit's handler is told by e-mail and SMS.
pub async fn confirm_unit(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    if !units::confirm(&mut tx, unit, &actor.label, now).await? {
        return Err(RegistryError::Refused(
            "该单位已确认，无需再次确认".to_owned(),
        ));
    }
    let event = Event {
        action: "unit_confirmed",
        subject_type: "unit",
        subject_id: unit.to_string(),
        from_state: "pending",
        to_state: "confirmed",
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    let notice = Notice {
        subject: "单位注册已确认",
        text: "您单位在政务和公益机构域名注册管理平台的注册信息已由所属编办确认，现在可以提交域名注册和网站开办审核申请。",
        template: "unit_confirmed",
    };
    notices::to_unit(&mut tx, unit, notice, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The 编办 (or the registry) corrects what a unit cannot edit itself: its name, credit code,
/// organisation type and region, with a reason; audited with what changed.
pub async fn correct_unit(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    before: &govsite_core::unit::UnitForm,
    details: &UnitDetails,
    reason: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let reason: String = reason.trim().chars().take(300).collect();
    if reason.is_empty() {
        let mut e = FieldErrors::new();
        e.add("reason", "请填写更正的原因（例如依据的文件）");
        return Err(RegistryError::Form(e));
    }
    let after = [
        ("名称", before.name.as_str(), details.name.as_str()),
        (
            "统一社会信用代码",
            &before.credit_code,
            details.credit_code.as_str(),
        ),
        ("组织机构类型", &before.org_type, details.org_type.as_str()),
        (
            "所在地区",
            &before.region_code,
            &format!("{:06}", details.region.value()),
        ),
    ];
    let changes: Vec<String> = after
        .iter()
        .filter(|(_, a, b)| a.trim() != b.trim())
        .map(|(what, a, b)| format!("{what}：{a} → {b}"))
        .collect();
    if changes.is_empty() {
        return Err(RegistryError::Refused("没有需要更正的内容".to_owned()));
    }
    let mut tx = db.begin().await?;
    match units::update(&mut tx, unit, details, now).await {
        Ok(()) => {}
        Err(StoreError::Duplicate(_)) => {
            let mut e = FieldErrors::new();
            e.add("credit_code", "该统一社会信用代码已被其他单位登记");
            return Err(RegistryError::Form(e));
        }
        Err(e) => return Err(e.into()),
    }
    let event = Event {
        action: "unit_corrected",
        subject_type: "unit",
        subject_id: unit.to_string(),
        reason: &format!("{reason}（{}）", changes.join("；")),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A unit saves its details; notices and reset links follow the handler, so the unit's
/// accounts take the handler's contacts.
pub async fn update_unit(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    details: &UnitDetails,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    units::update(&mut tx, unit, details, now).await?;
    accounts::set_unit_contacts(
        &mut tx,
        unit,
        details.handler.email.as_str(),
        details.handler.mobile.as_str(),
    )
    .await?;
    let event = Event {
        action: "unit_updated",
        subject_type: "unit",
        subject_id: unit.to_string(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The administrator creates a staff account; it starts pending and its activation link goes
/// to its e-mail. A user name in use is a field error.
pub async fn create_staff_account(
    db: &Db,
    actor: &Actor,
    new: &NewAccount<'_>,
    now: i64,
) -> Result<AccountId, RegistryError> {
    let mut tx = db.begin().await?;
    let id = match accounts::insert(&mut tx, new, now).await {
        Ok(id) => id,
        Err(StoreError::Duplicate(_)) => {
            let mut e = FieldErrors::new();
            e.add("username", "该用户账号已被使用，请换一个");
            return Err(RegistryError::Form(e));
        }
        Err(err) => return Err(err.into()),
    };
    // Staff are invited by e-mail only.
    let to = Invitee {
        email: new.email,
        mobile: "",
        display_name: new.display_name,
        username: new.username,
    };
    send_activation(&mut tx, id, &to, ACTIVATION_TTL, now).await?;
    let event = Event {
        action: "account_created",
        subject_type: "account",
        subject_id: id.to_string(),
        to_state: "pending",
        reason: new.role.as_str(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Who an activation link goes to.
pub(super) struct Invitee<'a> {
    pub email: &'a str,
    /// Empty: no SMS.
    pub mobile: &'a str,
    pub display_name: &'a str,
    pub username: &'a str,
}

/// Inside the caller's transaction: an activation e-mail whose one-time link the worker makes
/// at delivery (earlier links then stop working), and an SMS saying one was sent when there is
/// a mobile.
pub(super) async fn send_activation(
    tx: &mut sqlx::AnyConnection,
    account: AccountId,
    to: &Invitee<'_>,
    ttl: i64,
    now: i64,
) -> Result<(), RegistryError> {
    let email = messages::activation_email(to.email, to.display_name, to.username, ttl);
    let link = LinkIntent {
        account,
        purpose: Purpose::Activation,
        ttl,
    };
    outbox::enqueue_with_link(tx, &email, link, now).await?;
    if !to.mobile.is_empty() {
        let sms = messages::activation_sms(to.mobile, to.username, ttl);
        outbox::enqueue(tx, &sms, now).await?;
    }
    Ok(())
}

/// The one-time link a message asked for, made as it is delivered: a fresh token (earlier
/// unused ones of the account and purpose stop working) whose hash alone is stored.
pub async fn mint_link(
    db: &Db,
    intent: LinkIntent,
    public_url: &str,
    now: i64,
) -> Result<String, RegistryError> {
    let raw = token::random_token();
    let mut tx = db.begin().await?;
    tokens::issue(
        &mut tx,
        intent.account,
        intent.purpose,
        &token::hash_token(&raw),
        now,
        intent.ttl,
    )
    .await?;
    tx.commit().await?;
    Ok(format!("{public_url}{}{raw}", intent.purpose.path()))
}

/// Queues the reset e-mail, whose link the worker makes at delivery. Used by the
/// forgot-password page and by administrators, who send links but never see or set passwords.
pub async fn send_reset_link(
    db: &Db,
    actor: &Actor,
    account: &Account,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    let message = messages::reset_email(
        &account.email,
        &account.display_name,
        &account.username,
        RESET_TTL,
    );
    let link = LinkIntent {
        account: account.id,
        purpose: Purpose::Reset,
        ttl: RESET_TTL,
    };
    outbox::enqueue_with_link(&mut tx, &message, link, now).await?;
    let event = Event {
        action: "password_reset_link_sent",
        subject_type: "account",
        subject_id: account.id.to_string(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a pending account a fresh one-time activation link (e-mail, and an SMS saying one
/// was sent); earlier links stop working. Never a password.
pub async fn resend_invitation(
    db: &Db,
    actor: &Actor,
    account: &Account,
    now: i64,
) -> Result<(), RegistryError> {
    if account.status != AccountStatus::Pending {
        return Err(RegistryError::Refused(
            "该账号已激活，无需重发激活邀请；如忘记密码，请发送重设密码链接".to_owned(),
        ));
    }
    let mut tx = db.begin().await?;
    let to = Invitee {
        email: &account.email,
        mobile: &account.mobile,
        display_name: &account.display_name,
        username: &account.username,
    };
    send_activation(&mut tx, account.id, &to, ACTIVATION_TTL, now).await?;
    let event = Event {
        action: "invitation_resent",
        subject_type: "account",
        subject_id: account.id.to_string(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a password through a one-time link (activation or reset): consuming the link is the
/// guard, so of two racing submissions only one succeeds. False when the link was used or
/// expired meanwhile. After a reset whoever held the old password is signed out everywhere.
pub async fn set_password_by_link(
    db: &Db,
    actor: &Actor,
    account: &Account,
    purpose: Purpose,
    token_hash: &str,
    password_hash: &str,
    now: i64,
) -> Result<bool, RegistryError> {
    let mut tx = db.begin().await?;
    if tokens::consume(&mut tx, purpose, token_hash, now).await? != Some(account.id) {
        return Ok(false);
    }
    accounts::set_password(&mut tx, account.id, password_hash, now).await?;
    if purpose == Purpose::Reset {
        sessions::delete_for_account_in(&mut tx, account.id, None).await?;
    }
    let (action, from, to) = match purpose {
        Purpose::Activation => ("account_activated", account.status.as_str(), "active"),
        Purpose::Reset => ("password_reset", "", ""),
    };
    let event = Event {
        action,
        subject_type: "account",
        subject_id: account.id.to_string(),
        from_state: from,
        to_state: to,
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Tells the account's holder by e-mail that its sign-ins keep failing (once per window, the
/// caller decides when); audited.
pub async fn warn_of_failed_sign_ins(
    db: &Db,
    actor: &Actor,
    account: &Account,
    failures: i64,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    let event = Event {
        action: "sign_in_failures_notified",
        subject_type: "account",
        subject_id: account.id.to_string(),
        reason: &format!("15分钟内登录失败 {failures} 次"),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    let notice = messages::sign_in_failures_email(
        &account.email,
        &account.display_name,
        &account.username,
        failures,
    );
    notices::to_account(&mut tx, account.id, &notice, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A signed-in person changes their own password; every other session of theirs ends (`keep`:
/// the hash of the session they act from) and they are told by e-mail.
pub async fn change_password(
    db: &Db,
    actor: &Actor,
    account: &Account,
    password_hash: &str,
    keep: Option<&str>,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    accounts::set_password(&mut tx, account.id, password_hash, now).await?;
    sessions::delete_for_account_in(&mut tx, account.id, keep).await?;
    let event = Event {
        action: "password_changed",
        subject_type: "account",
        subject_id: account.id.to_string(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    let notice =
        messages::password_changed_email(&account.email, &account.display_name, &account.username);
    notices::to_account(&mut tx, account.id, &notice, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Enrols (`secret` and the step first used) or removes the TOTP second factor; `action`
/// names it in the audit log.
pub async fn set_totp(
    db: &Db,
    actor: &Actor,
    account: AccountId,
    secret: Option<&str>,
    step: Option<i64>,
    action: &'static str,
    now: i64,
) -> Result<(), RegistryError> {
    let sealed = secret
        .map(|s| crate::store::secrets::seal_totp(db, account, s))
        .transpose()?;
    let mut tx = db.begin().await?;
    accounts::set_totp(&mut tx, account, sealed.as_deref(), step).await?;
    let event = Event {
        action,
        subject_type: "account",
        subject_id: account.to_string(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// What an administrator does to an account besides moving its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Disable,
    Enable,
    RequirePasswordChange,
    RequireTotp,
    WaiveTotp,
}

impl AccountChange {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "disable" => Self::Disable,
            "enable" => Self::Enable,
            "require_password_change" => Self::RequirePasswordChange,
            "require_totp" => Self::RequireTotp,
            "waive_totp" => Self::WaiveTotp,
            _ => return None,
        })
    }
}

/// Applies `change` to `account` (an administrator may not disable their own account; only a
/// disabled account is enabled). A disabled account's sessions end at once.
pub async fn change_account(
    db: &Db,
    actor: &Actor,
    account: &Account,
    change: AccountChange,
    reason: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let (action, from, to): (&str, String, String) = match change {
        AccountChange::Disable if Some(account.id) != actor.id => (
            "account_disabled",
            account.status.as_str().into(),
            "disabled".into(),
        ),
        AccountChange::Enable if account.status == AccountStatus::Disabled => {
            ("account_enabled", "disabled".into(), "active".into())
        }
        AccountChange::RequirePasswordChange => ("password_change_required", "".into(), "".into()),
        AccountChange::RequireTotp => ("totp_required", "".into(), "".into()),
        AccountChange::WaiveTotp => ("totp_waived", "".into(), "".into()),
        _ => return Err(RegistryError::Invalid("无法完成该操作，请刷新页面后重试。")),
    };
    let mut tx = db.begin().await?;
    match change {
        AccountChange::Disable => {
            accounts::set_status(&mut tx, account.id, AccountStatus::Disabled).await?;
            sessions::delete_for_account_in(&mut tx, account.id, None).await?;
        }
        AccountChange::Enable => {
            let status = if account.password_hash.is_some() {
                AccountStatus::Active
            } else {
                AccountStatus::Pending
            };
            accounts::set_status(&mut tx, account.id, status).await?;
        }
        AccountChange::RequirePasswordChange => {
            accounts::set_flags(&mut tx, account.id, true, account.totp_required).await?
        }
        AccountChange::RequireTotp => {
            accounts::set_flags(&mut tx, account.id, account.must_change_password, true).await?
        }
        AccountChange::WaiveTotp => {
            accounts::set_flags(&mut tx, account.id, account.must_change_password, false).await?
        }
    }
    let event = Event {
        action,
        subject_type: "account",
        subject_id: account.id.to_string(),
        from_state: &from,
        to_state: &to,
        reason,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a staff account to another role (and office). Its sessions end, so the new rights
/// apply from the next sign-in. Unit accounts belong to their unit and are not moved.
pub async fn change_role(
    db: &Db,
    actor: &Actor,
    account: &Account,
    role: Role,
    office: Option<OfficeId>,
    reason: &str,
    now: i64,
) -> Result<(), RegistryError> {
    if Some(account.id) == actor.id {
        return Err(RegistryError::Invalid(
            "不能变更自己的角色，请由另一位系统管理员操作。",
        ));
    }
    if !role.is_staff() || !account.role.is_staff() {
        return Err(RegistryError::Invalid(
            "请选择工作人员角色；单位账号不能改为工作人员账号。",
        ));
    }
    if (role == Role::OfficeReviewer) != office.is_some() {
        return Err(RegistryError::Invalid("编办审核员必须选择所属编办。"));
    }
    let describe = |r: Role, o: Option<OfficeId>| match o {
        Some(o) => format!("{}@office{}", r.as_str(), o),
        None => r.as_str().to_owned(),
    };
    let from = describe(account.role, account.office_id);
    let to = describe(role, office);
    let mut tx = db.begin().await?;
    accounts::set_role(&mut tx, account.id, role, office).await?;
    sessions::delete_for_account_in(&mut tx, account.id, None).await?;
    let event = Event {
        action: "role_changed",
        subject_type: "account",
        subject_id: account.id.to_string(),
        from_state: &from,
        to_state: &to,
        reason,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A new establishment office (编办) for a region that has none.
pub async fn create_office(
    db: &Db,
    actor: &Actor,
    region: RegionCode,
    name: &str,
    now: i64,
) -> Result<OfficeId, RegistryError> {
    let mut tx = db.begin().await?;
    let id = match offices::insert(&mut tx, region, name, now).await {
        Ok(id) => id,
        Err(StoreError::Duplicate(_)) => {
            return Err(RegistryError::Invalid("该地区已有编办。"));
        }
        Err(e) => return Err(e.into()),
    };
    let event = Event {
        action: "office_created",
        subject_type: "office",
        subject_id: id.to_string(),
        reason: name,
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(id)
}
