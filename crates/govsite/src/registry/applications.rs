//! Submitting, reviewing and paying for domain applications.

use govsite_core::FieldErrors;
use govsite_core::deadline::{self, Deadline};
use govsite_core::domain_application::{AppEvent, AppState, Verdict, review_passes};
use govsite_core::domain_form::DomainForm;
use govsite_core::domain_lifecycle::add_years;
use govsite_core::ids::{DomainApplicationId, UnitId};
use govsite_core::money::{Money, fee};
use govsite_core::org_type::Suffix;

use super::names;
use super::notices::{self, Notice};
use crate::store::applications::{self, Application, NewName};
use crate::store::audit::{self, Actor, Event};
use crate::store::domains::{self, NewDomain};
use crate::store::{Db, StoreError, calendar, ledger, offices, policy};

pub use super::RegistryError;

pub fn suffix_of(app: &Application) -> Suffix {
    if app.suffix == "公益" {
        Suffix::Gongyi
    } else {
        Suffix::Zhengwu
    }
}

/// Checks the whole application, including availability, and submits it: reference number,
/// fee, the office's due date in working days, history, audit, all in one transaction.
pub async fn submit(
    db: &Db,
    actor: &Actor,
    app: &Application,
    now: i64,
) -> Result<String, RegistryError> {
    let state = app.app_state();
    let next = state
        .apply(AppEvent::Submit)
        .map_err(|e| RegistryError::Refused(e.to_string()))?;
    super::require_confirmed(db, app.unit_id).await?;
    let suffix = suffix_of(app);
    let request = app.form.parse(suffix).map_err(RegistryError::Form)?;
    let mut errors = FieldErrors::new();
    let parent_name = match govsite_core::region::RegionCode::from_i64(app.region_code)
        .and_then(|r| r.parent())
    {
        Some(p) => offices::region(db, p)
            .await?
            .map(|r| r.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let mut stored = Vec::new();
    for n in &request.names {
        let availability = names::availability(db, app.unit_id, &n.name).await?;
        if !availability.is_available() {
            errors.add(format!("name{}", n.slot), availability.message());
            continue;
        }
        let canonical = names::variants().canonical(n.name.label());
        let flag = names::place_flag(n.name.label(), &parent_name).unwrap_or_default();
        stored.push((
            n.slot,
            n.name.label().to_owned(),
            n.name.ace(),
            canonical,
            n.years.get(),
            flag,
        ));
    }
    if !errors.is_empty() {
        return Err(RegistryError::Form(errors));
    }
    let tier = policy::fee_tier(db, app.region_code).await?;
    let price = policy::price(db, tier, now)
        .await?
        .ok_or_else(|| RegistryError::Refused("价格表未设置，请联系注册管理中心".into()))?;
    let total = fee(price, request.names.iter().map(|n| n.years))
        .ok_or_else(|| RegistryError::Refused("费用计算溢出".into()))?;
    let days = policy::office_review_days(db, app.region_code).await?;
    let cal = calendar::load(db).await?;
    let due = deadline::due(Deadline::OfficeReview { days }, &cal, now).to_string();

    let mut tx = db.begin().await?;
    let new_names: Vec<NewName<'_>> = stored
        .iter()
        .map(|(slot, label, ace, canonical, years, flag)| NewName {
            slot: *slot,
            label,
            ace,
            canonical,
            years: *years,
            flag,
        })
        .collect();
    applications::set_names(&mut tx, app.id, &new_names).await?;
    if !applications::transition(&mut tx, app.id, state, next, &actor.label, "", now).await? {
        return Err(RegistryError::Refused("申请状态已变化，请刷新页面".into()));
    }
    let reference =
        applications::mark_submitted(&mut tx, app.id, price.fen(), total.fen(), &due, now).await?;
    let event = Event {
        action: "domain_application_submitted",
        subject_type: "domain_application",
        subject_id: app.id.to_string(),
        from_state: state.as_str(),
        to_state: next.as_str(),
        reason: &reference,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(reference)
}

/// One reviewer's decision on one name.
#[derive(Debug, Clone)]
pub struct NameDecision {
    pub name_id: i64,
    pub verdict: Verdict,
    pub code: String,
    pub text: String,
}

/// Review reason codes and their Chinese wording.
pub const REASON_CODES: [(&str, &str); 5] = [
    ("name_mismatch", "名称与单位经批准的名称不符"),
    ("place_prefix", "含多地共用地名，需加上级行政区划前缀"),
    ("materials", "材料不全或信息有误"),
    ("not_eligible", "单位类型与域名后缀不符"),
    ("other", "其他"),
];

/// Records a review stage's per-name verdicts and moves the application on. Rejections need
/// a reason; the application passes if at least one name is approved.
pub async fn review(
    db: &Db,
    actor: &Actor,
    app: &Application,
    registry_stage: bool,
    decisions: &[NameDecision],
    now: i64,
) -> Result<AppState, RegistryError> {
    let state = app.app_state();
    let expected = if registry_stage {
        AppState::OfficeApproved
    } else {
        AppState::Submitted
    };
    if state != expected {
        return Err(RegistryError::Refused(format!(
            "申请当前状态为“{}”，不在本级审核环节",
            state.label()
        )));
    }
    let names = applications::names(db, app.id).await?;
    let mut errors = FieldErrors::new();
    for n in &names {
        // Names the office rejected are not reviewed again by the registry.
        if registry_stage && n.office_verdict == "reject" {
            continue;
        }
        match decisions.iter().find(|d| d.name_id == n.id) {
            None => errors.add(
                format!("verdict{}", n.id),
                format!("请选择对“{}”的审核意见", n.label),
            ),
            Some(d)
                if d.verdict == Verdict::Reject
                    && (d.code.is_empty() || d.text.trim().is_empty()) =>
            {
                errors.add(
                    format!("reason{}", n.id),
                    format!("不通过“{}”时，请选择原因并填写说明", n.label),
                )
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(RegistryError::Form(errors));
    }
    let verdicts: Vec<Verdict> = decisions
        .iter()
        .filter(|d| {
            names
                .iter()
                .any(|n| n.id == d.name_id && !(registry_stage && n.office_verdict == "reject"))
        })
        .map(|d| d.verdict)
        .collect();
    let passes = review_passes(&verdicts);
    let event = match (registry_stage, passes) {
        (false, true) => AppEvent::OfficeApprove,
        (false, false) => AppEvent::OfficeReject,
        (true, true) => AppEvent::RegistryApprove,
        (true, false) => AppEvent::RegistryReject,
    };
    let next = state
        .apply(event)
        .map_err(|e| RegistryError::Refused(e.to_string()))?;
    let stage = if registry_stage { "registry" } else { "office" };
    let note: Vec<String> = decisions
        .iter()
        .filter(|d| d.verdict == Verdict::Reject)
        .filter_map(|d| {
            names
                .iter()
                .find(|n| n.id == d.name_id)
                .map(|n| format!("{}：{}", n.label, d.text.trim()))
        })
        .collect();

    let mut tx = db.begin().await?;
    for d in decisions {
        if names.iter().any(|n| n.id == d.name_id) {
            let verdict = if d.verdict == Verdict::Approve {
                "approve"
            } else {
                "reject"
            };
            let (code, text) = if d.verdict == Verdict::Reject {
                (d.code.as_str(), d.text.trim())
            } else {
                ("", "")
            };
            applications::set_verdict(&mut tx, d.name_id, stage, verdict, code, text).await?;
        }
    }
    if !applications::transition(
        &mut tx,
        app.id,
        state,
        next,
        &actor.label,
        &note.join("；"),
        now,
    )
    .await?
    {
        return Err(RegistryError::Refused(
            "申请已被其他审核人员处理，请刷新页面".into(),
        ));
    }
    let event = Event {
        action: if registry_stage {
            "domain_application_registry_review"
        } else {
            "domain_application_office_review"
        },
        subject_type: "domain_application",
        subject_id: app.id.to_string(),
        from_state: state.as_str(),
        to_state: next.as_str(),
        reason: &note.join("；"),
    };
    audit::record(&mut tx, actor, &event, now).await?;
    notify_unit(
        &mut tx,
        app.unit_id,
        "域名注册申请审核结果",
        &format!(
            "您单位的域名注册申请（{}）{}。",
            app.reference.as_deref().unwrap_or(""),
            match next {
                AppState::OfficeApproved => "已通过编办初审，等待注册管理中心复审",
                AppState::OfficeRejected => "未通过编办初审，请登录查看原因并修改后重新提交",
                AppState::RegistryApproved => "已通过注册管理中心复审，请缴费后启用",
                _ => "未通过注册管理中心复审，请登录查看原因并修改后重新提交",
            }
        ),
        "domain_review",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

async fn notify_unit(
    conn: &mut sqlx::AnyConnection,
    unit: UnitId,
    subject: &str,
    text: &str,
    template: &'static str,
    now: i64,
) -> Result<(), RegistryError> {
    let notice = Notice {
        subject,
        text,
        template,
    };
    notices::to_unit(conn, unit, notice, now).await?;
    Ok(())
}

/// The fee still to pay: the registry-approved names only, at the price fixed at submission.
pub async fn payable(db: &Db, app: &Application) -> Result<Money, RegistryError> {
    let names = applications::names(db, app.id).await?;
    let years = names
        .iter()
        .filter(|n| n.registry_verdict == "approve")
        .filter_map(|n| govsite_core::money::Years::new(n.years as u32).ok());
    fee(Money::from_fen(app.price_fen), years)
        .ok_or_else(|| RegistryError::Refused("费用计算溢出".into()))
}

/// What paying for an application needs, read before the paying transaction opens.
pub struct Payment {
    app: Application,
    names: Vec<applications::NameRow>,
    records: domains::Records,
    pub amount: Money,
}

/// Reads what [`pay_in`] needs for `app`.
pub async fn prepare_payment(db: &Db, app: &Application) -> Result<Payment, RegistryError> {
    let amount = payable(db, app).await?;
    let names = applications::names(db, app.id).await?;
    let request = app
        .form
        .parse(suffix_of(app))
        .map_err(RegistryError::Form)?;
    Ok(Payment {
        app: app.clone(),
        names,
        records: domains::Records::of(&request.plan),
        amount,
    })
}

/// Pays from the unit's balance and activates the approved names (and reserves their
/// traditional-form variants to the same unit), in one transaction.
pub async fn pay_and_activate(
    db: &Db,
    actor: &Actor,
    app: &Application,
    now: i64,
) -> Result<Vec<String>, RegistryError> {
    let state = app.app_state();
    if state != AppState::RegistryApproved {
        return Err(RegistryError::Refused(format!(
            "申请当前状态为“{}”，不能缴费",
            state.label()
        )));
    }
    let payment = prepare_payment(db, app).await?;
    let mut tx = db.begin().await?;
    let activated = pay_in(&mut tx, actor, &payment, "", now)
        .await?
        .ok_or_else(|| RegistryError::Refused("申请状态已变化，请刷新页面".into()))?;
    tx.commit().await?;
    Ok(activated)
}

/// Inside the caller's transaction: the application moves to paid (`None` when it is no
/// longer awaiting payment: someone paid first, nothing is done), the fee leaves the unit's
/// balance, the names are activated and the unit is told. `how` is added to the history
/// note (e.g. who paid for the unit).
pub async fn pay_in(
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    p: &Payment,
    how: &str,
    now: i64,
) -> Result<Option<Vec<String>>, RegistryError> {
    let app = &p.app;
    let amount = p.amount;
    if !applications::transition(
        tx,
        app.id,
        AppState::RegistryApproved,
        AppState::Paid,
        &actor.label,
        &format!("缴费 {amount} 元{how}"),
        now,
    )
    .await?
    {
        return Ok(None);
    }
    let txn = format!("pay-app-{}", app.id);
    if amount > Money::ZERO
        && !ledger::pay(
            tx,
            app.unit_id,
            amount,
            &txn,
            &format!("域名注册费 {}{how}", app.reference.as_deref().unwrap_or("")),
            now,
        )
        .await?
    {
        return Err(RegistryError::Refused(format!(
            "账户余额不足，本次应缴 {amount} 元，请先转账充值"
        )));
    }
    let records = &p.records;
    let mut activated = Vec::new();
    for n in p.names.iter().filter(|n| n.registry_verdict == "approve") {
        let expires = add_years(now, n.years);
        let new = NewDomain {
            unit: app.unit_id,
            application_id: Some(app.id),
            suffix: &app.suffix,
            label: &n.label,
            ace: &n.ace,
            canonical: &n.canonical,
            variant_of: None,
            plan: records.plan,
            ipv4: &records.ipv4,
            ipv6: &records.ipv6,
            nameservers: &records.nameservers,
            forward_url: &records.forward_url,
            expires_at: expires,
        };
        let id = match domains::insert(tx, &new, now).await {
            Ok(id) => id,
            Err(StoreError::Duplicate(_)) => {
                return Err(RegistryError::Refused(format!(
                    "“{}”已被注册，无法启用，请联系注册管理中心",
                    n.label
                )));
            }
            Err(e) => return Err(e.into()),
        };
        activated.push(format!("{}.{}", n.label, app.suffix));
        let traditional = names::variants().traditional(&n.label);
        if traditional != n.label
            && let Ok(variant) =
                govsite_core::domain_name::DomainName::parse(&traditional, suffix_of(app))
        {
            let v = NewDomain {
                label: variant.label(),
                ace: &variant.ace(),
                variant_of: Some(id),
                ..new
            };
            domains::insert(tx, &v, now).await?;
        }
    }
    applications::transition(
        tx,
        app.id,
        AppState::Paid,
        AppState::Active,
        "system",
        "域名已启用",
        now,
    )
    .await?;
    let event = Event {
        action: "domain_application_paid_and_activated",
        subject_type: "domain_application",
        subject_id: app.id.to_string(),
        from_state: AppState::RegistryApproved.as_str(),
        to_state: AppState::Active.as_str(),
        reason: &format!("{amount} 元{how}"),
    };
    audit::record(tx, actor, &event, now).await?;
    notify_unit(
        tx,
        app.unit_id,
        "中文域名已启用",
        &format!(
            "您单位的中文域名 {} 已缴费{how}并启用。",
            activated.join("、")
        ),
        "domain_activated",
        now,
    )
    .await?;
    Ok(Some(activated))
}

/// The unit's first save of a new application: a draft, kept whatever it holds so nothing
/// typed is lost; it is checked only when submitted.
/// The 编办 records the paper of a submitted application: 申请表 (一式三份) and, when
/// `certificates`, the 组织机构代码证 and 法人证 copies. Recorded again, the later record
/// stands; audited each time.
pub async fn record_paper(
    db: &Db,
    actor: &Actor,
    app: &Application,
    receipt: &govsite_core::paper::Receipt,
    certificates: bool,
    now: i64,
) -> Result<(), RegistryError> {
    if app.state == AppState::Draft {
        return Err(RegistryError::Refused(
            "申请尚未提交，不能登记纸质材料".to_owned(),
        ));
    }
    let date = receipt.received_on.to_string();
    let mut tx = db.begin().await?;
    applications::record_paper(
        &mut tx,
        app.id,
        &date,
        receipt.copies,
        certificates,
        &actor.label,
    )
    .await?;
    let note = format!(
        "{date} 收到申请表 {} 份{}",
        receipt.copies,
        if certificates {
            "，附组织机构代码证、法人证复印件"
        } else {
            "，未附证件复印件"
        }
    );
    let event = Event {
        action: "domain_paper_recorded",
        subject_type: "domain_application",
        subject_id: app.id.to_string(),
        reason: &note,
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn create_draft(
    db: &Db,
    unit: UnitId,
    suffix: Suffix,
    form: &DomainForm,
    now: i64,
) -> Result<DomainApplicationId, RegistryError> {
    let mut tx = db.begin().await?;
    let id = applications::create_draft(&mut tx, unit, &suffix.label()[1..], form, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Saves the form of a draft (or of a returned application); refused once it is under
/// review or done.
pub async fn save_draft(
    db: &Db,
    id: DomainApplicationId,
    suffix: Suffix,
    form: &DomainForm,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    if !applications::save_form(&mut tx, id, &suffix.label()[1..], form, now).await? {
        return Err(RegistryError::Invalid("该申请正在审核或已完成，不能修改。"));
    }
    tx.commit().await?;
    Ok(())
}
