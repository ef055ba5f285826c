//! Website opening review and re-qualification: submission, the 编办's and the registry's
//! reviews, the paper filing of party and government organs, and the badge issued at the end
//! (or kept, for a site that already holds one). Each decision is one transaction with its
//! history row, its audit record and the notices it causes.

use govsite_core::FieldErrors;
use govsite_core::badge::BadgeCode;
use govsite_core::badge_state::BadgeState;
use govsite_core::domain_lifecycle::DomainState;
use govsite_core::ids::{SiteApplicationId, SiteId, UnitId};
use govsite_core::org_type::OrgType;
use govsite_core::region::RegionCode;
use govsite_core::site_application::{SiteEvent, SiteState, Track, reason_label};
use govsite_core::site_form::{SiteForm, SiteKind, SiteRequest, Target};
use sqlx::AnyConnection;

use govsite_core::deadline::{self, Deadline, cst_date};

use super::RegistryError;
use super::notices::{self, Notice};
use crate::store::audit::{self, Actor, Event};
use crate::store::sites::{self, SiteApplication, SiteFacts};
use crate::store::{Db, calendar, domains, policy};

/// How automatic steps appear in an application's history, which units read.
const SYSTEM: &str = "系统";

/// The track follows the organization type submitted on the form (the unit block is copied
/// from 单位信息 at each save), falling back to the unit's current type.
pub fn track_of(app: &SiteApplication) -> Track {
    let org_type = if app.form.org_type.is_empty() {
        &app.org_type
    } else {
        &app.form.org_type
    };
    match OrgType::parse(org_type) {
        Ok(t) if !t.is_party_or_government() => Track::NoPaper,
        _ => Track::Paper,
    }
}

fn refused(e: impl std::fmt::Display) -> RegistryError {
    RegistryError::Refused(e.to_string())
}

/// Checks the form against the unit's own data: the chosen domain is one of its active
/// names, and a re-qualification or change names one of its open sites. All errors at once.
pub async fn check(db: &Db, app: &SiteApplication) -> Result<SiteRequest, RegistryError> {
    let mut errors = match app.form.parse() {
        Ok(request) => {
            let mut e = FieldErrors::new();
            if let Target::Domain { ace, .. } = &request.target {
                let owned = domains::by_ace(db, ace).await?.filter(|d| {
                    d.unit_id == app.unit_id
                        && d.variant_of.is_none()
                        && d.domain_state() == DomainState::Active
                });
                if owned.is_none() {
                    e.add("domain", "请从本单位已启用的中文域名中选择");
                }
            }
            if let Some(site) = app.site_id {
                let open = sites::find_site(db, site)
                    .await?
                    .filter(|s| s.unit_id == app.unit_id && s.closed_at.is_none());
                if open.is_none() {
                    e.add("kind", "要复核或变更的网站不存在或已关闭");
                }
                if let Some(r) = sites::open_for_site(db, site, Some(app.id)).await? {
                    e.add(
                        "kind",
                        format!("该网站已有正在办理的申请（{r}），请等待办结"),
                    );
                }
            } else if request.kind == SiteKind::Change {
                e.add("kind", "变更申请须从标识管理页面对已发放标识的网站发起");
            } else if let Target::Domain { ace, .. } = &request.target
                && let Some(name) = sites::other_site_on_domain(db, app.unit_id, ace, None).await?
            {
                // One badge per site: a site that holds one is re-qualified from 标识管理.
                e.add(
                    "domain",
                    format!("该域名已由本单位网站“{name}”使用并已发放标识，如需复核或变更，请在“标识管理”中办理"),
                );
            }
            if e.is_empty() {
                return Ok(request);
            }
            e
        }
        Err(e) => e,
    };
    if errors.is_empty() {
        errors.add("kind", "申请表有误");
    }
    Err(RegistryError::Form(errors))
}

/// Submits (or resubmits) an application: 申请序号, the office's due date in working days,
/// history and audit in one transaction.
pub async fn submit(
    db: &Db,
    actor: &Actor,
    app: &SiteApplication,
    now: i64,
) -> Result<String, RegistryError> {
    let state = app.site_state();
    let next = state
        .apply(SiteEvent::Submit, track_of(app))
        .map_err(refused)?;
    super::require_confirmed(db, app.unit_id).await?;
    check(db, app).await?;
    let days = policy::office_review_days(db, app.region_code).await?;
    let cal = calendar::load(db).await?;
    let due = deadline::due(Deadline::OfficeReview { days }, &cal, now).to_string();
    let mut tx = db.begin().await?;
    if !sites::transition(&mut tx, app.id, state, next, &actor.label, "", now).await? {
        return Err(refused("申请状态已变化，请刷新页面"));
    }
    let reference = sites::mark_submitted(&mut tx, app.id, &due, now).await?;
    let event = Event {
        action: "site_application_submitted",
        subject_type: "site_application",
        subject_id: app.id.to_string(),
        from_state: state.as_str(),
        to_state: next.as_str(),
        reason: &reference,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(reference)
}

/// A reviewer's decision: approve, or reject with a reason code and an explanation.
#[derive(Debug, Clone)]
pub enum Decision {
    Approve,
    Reject { code: String, text: String },
}

fn reason_errors(code: &str, text: &str) -> Option<FieldErrors> {
    let mut e = FieldErrors::new();
    if reason_label(code).is_none() {
        e.add("code", "请选择不通过的原因");
    }
    if text.trim().is_empty() {
        e.add("reason", "请填写具体说明，单位将据此修改");
    }
    (!e.is_empty()).then_some(e)
}

/// One review stage: the 编办 (`registry_stage = false`) or the registry. On the registry's
/// approval a party or government unit is asked for its paper; a public institution gets its
/// badge at once.
pub async fn review(
    db: &Db,
    actor: &Actor,
    app: &SiteApplication,
    registry_stage: bool,
    decision: &Decision,
    public_url: &str,
    now: i64,
) -> Result<SiteState, RegistryError> {
    let state = app.site_state();
    let expected = if registry_stage {
        SiteState::OfficeApproved
    } else {
        SiteState::Submitted
    };
    if state != expected {
        return Err(refused(format!(
            "申请当前状态为“{}”，不在本级审核环节",
            state.label()
        )));
    }
    let track = track_of(app);
    let event = match (registry_stage, decision) {
        (false, Decision::Approve) => SiteEvent::OfficeApprove,
        (false, Decision::Reject { .. }) => SiteEvent::OfficeReject,
        (true, Decision::Approve) => SiteEvent::RegistryApprove,
        (true, Decision::Reject { .. }) => SiteEvent::RegistryReject,
    };
    let next = state.apply(event, track).map_err(refused)?;
    let note = match decision {
        Decision::Approve => String::new(),
        Decision::Reject { code, text } => {
            if let Some(e) = reason_errors(code, text) {
                return Err(RegistryError::Form(e));
            }
            format!("{}：{}", reason_label(code).unwrap_or(""), text.trim())
        }
    };
    let request = if registry_stage && matches!(decision, Decision::Approve) {
        let request = check(db, app).await?;
        let prepared = prepare_issue(db, app, &request).await?;
        Some((request, prepared))
    } else {
        None
    };
    let cal = calendar::load(db).await?;
    let mut tx = db.begin().await?;
    if !sites::transition(&mut tx, app.id, state, next, &actor.label, &note, now).await? {
        return Err(refused("申请已被其他审核人员处理，请刷新页面"));
    }
    if let Decision::Reject { code, text } = decision {
        sites::set_reason(&mut tx, app.id, code, text.trim()).await?;
    }
    let event = Event {
        action: if registry_stage {
            "site_application_registry_review"
        } else {
            "site_application_office_review"
        },
        subject_type: "site_application",
        subject_id: app.id.to_string(),
        from_state: state.as_str(),
        to_state: next.as_str(),
        reason: &note,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    let reference = app.reference.as_deref().unwrap_or("");
    let mut end = next;
    match (next, request) {
        (SiteState::RegistryApproved, Some(_)) if track == Track::Paper => {
            let paper = next.apply(SiteEvent::AwaitPaper, track).map_err(refused)?;
            let due = deadline::due(Deadline::Paper, &cal, now).to_string();
            sites::transition(
                &mut tx,
                app.id,
                next,
                paper,
                "system",
                &format!("请于 {due} 前报送纸质材料"),
                now,
            )
            .await?;
            sites::set_paper_due(&mut tx, app.id, &due).await?;
            notify_handler(
                &mut tx,
                app,
                "网站开办审核通过，请报送纸质材料",
                &format!(
                    "您单位的网站开办审核/资格复核申请（{reference}，{}）已通过编办初审和注册管理中心复审。请登录平台打印申请函和申请表，加盖单位公章，连同经办人身份证复印件（一式三份），于 {due} 前报送同级编办备案。",
                    app.form.site_name
                ),
                "site_paper_requested",
                now,
            )
            .await?;
            end = paper;
        }
        (SiteState::RegistryApproved, Some((request, prepared))) => {
            end = issue(
                &mut tx, &cal, app, next, &request, &prepared, public_url, now,
            )
            .await?;
        }
        _ => {
            let text = match next {
                SiteState::OfficeApproved => "已通过编办初审，等待注册管理中心复审".to_owned(),
                _ => format!(
                    "未通过{}，原因：{note}。请登录查看审核结果，修改后重新提交",
                    if registry_stage {
                        "注册管理中心复审"
                    } else {
                        "编办初审"
                    }
                ),
            };
            notify_handler(
                &mut tx,
                app,
                "网站开办审核结果",
                &format!(
                    "您单位的网站开办审核/资格复核申请（{reference}，{}）{text}。",
                    app.form.site_name
                ),
                "site_review",
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(end)
}

/// What the 编办 received on paper.
#[derive(Debug, Clone)]
pub struct PaperReceipt {
    pub received_on: chrono::NaiveDate,
    pub copies: i64,
    pub id_copy: bool,
}

/// The 编办 confirms the paper filing: the badge is issued (or kept) in the same transaction.
/// Three stamped copies and the handler's ID copy are required, as the seed says.
pub async fn confirm_paper(
    db: &Db,
    actor: &Actor,
    app: &SiteApplication,
    receipt: &PaperReceipt,
    public_url: &str,
    now: i64,
) -> Result<SiteState, RegistryError> {
    let state = app.site_state();
    let track = track_of(app);
    let filed = state
        .apply(SiteEvent::ConfirmPaper, track)
        .map_err(refused)?;
    let mut e = FieldErrors::new();
    if receipt.copies < 3 {
        e.add("copies", "申请函和申请表应各一式三份；份数不足的请退回");
    }
    if !receipt.id_copy {
        e.add("id_copy", "须附经办人身份证复印件；未附的请退回");
    }
    if receipt.received_on > cst_date(now) {
        e.add("received_on", "收到日期不能晚于今天");
    }
    // The application entered awaiting_paper at its last update: paper cannot come earlier.
    if receipt.received_on < cst_date(app.updated_at) {
        e.add(
            "received_on",
            format!(
                "收到日期不能早于注册中心复审通过的日期（{}）",
                cst_date(app.updated_at)
            ),
        );
    }
    if !e.is_empty() {
        return Err(RegistryError::Form(e));
    }
    let request = check(db, app).await?;
    let prepared = prepare_issue(db, app, &request).await?;
    let cal = calendar::load(db).await?;
    let mut tx = db.begin().await?;
    let note = format!(
        "{} 收到纸质材料 {} 份，{}附经办人身份证复印件",
        receipt.received_on,
        receipt.copies,
        if receipt.id_copy { "" } else { "未" }
    );
    if !sites::transition(&mut tx, app.id, state, filed, &actor.label, &note, now).await? {
        return Err(refused("申请已被处理，请刷新页面"));
    }
    sites::record_paper(
        &mut tx,
        app.id,
        &receipt.received_on.to_string(),
        receipt.copies,
        receipt.id_copy,
    )
    .await?;
    let event = Event {
        action: "site_paper_confirmed",
        subject_type: "site_application",
        subject_id: app.id.to_string(),
        from_state: state.as_str(),
        to_state: filed.as_str(),
        reason: &note,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    let end = issue(
        &mut tx, &cal, app, filed, &request, &prepared, public_url, now,
    )
    .await?;
    tx.commit().await?;
    Ok(end)
}

/// The paper is wrong: the application closes with the reason, and the unit applies again
/// from a copy.
pub async fn return_paper(
    db: &Db,
    actor: &Actor,
    app: &SiteApplication,
    code: &str,
    text: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let state = app.site_state();
    let closed = state
        .apply(SiteEvent::ReturnPaper, track_of(app))
        .map_err(refused)?;
    if let Some(e) = reason_errors(code, text) {
        return Err(RegistryError::Form(e));
    }
    let note = format!("{}：{}", reason_label(code).unwrap_or(""), text.trim());
    let mut tx = db.begin().await?;
    if !sites::transition(&mut tx, app.id, state, closed, &actor.label, &note, now).await? {
        return Err(refused("申请已被处理，请刷新页面"));
    }
    sites::set_reason(&mut tx, app.id, code, text.trim()).await?;
    let event = Event {
        action: "site_paper_returned",
        subject_type: "site_application",
        subject_id: app.id.to_string(),
        from_state: state.as_str(),
        to_state: closed.as_str(),
        reason: &note,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    notify_handler(
        &mut tx,
        app,
        "网站开办审核纸质材料被退回",
        &format!(
            "您单位报送的网站开办审核纸质材料（{}，{}）被编办退回，原因：{note}。本申请已关闭，请登录平台从原申请复制一份，修改后重新提交。",
            app.reference.as_deref().unwrap_or(""),
            app.form.site_name
        ),
        "site_paper_returned",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What issuing needs from the database, read before its transaction opens (a read through
/// the pool while holding a transaction could starve the pool under load).
struct Issuing {
    domain_label: String,
    mount_days: u32,
}

async fn prepare_issue(
    db: &Db,
    app: &SiteApplication,
    request: &SiteRequest,
) -> Result<Issuing, RegistryError> {
    let domain_label = match &request.target {
        Target::Domain { ace, .. } => domains::by_ace(db, ace)
            .await?
            .map_or_else(String::new, |d| d.unicode()),
        Target::RedPage => String::new(),
    };
    Ok(Issuing {
        domain_label,
        mount_days: policy::mount_days(db, app.region_code).await?,
    })
}

/// Issues the badge for a new site, or keeps the code of the site being re-qualified or
/// changed and takes its new facts; tells the handler by SMS and e-mail.
#[allow(clippy::too_many_arguments)]
async fn issue(
    tx: &mut AnyConnection,
    cal: &govsite_core::calendar::WorkingCalendar,
    app: &SiteApplication,
    from: SiteState,
    request: &SiteRequest,
    prepared: &Issuing,
    public_url: &str,
    now: i64,
) -> Result<SiteState, RegistryError> {
    let issued = from
        .apply(SiteEvent::Issue, track_of(app))
        .map_err(refused)?;
    let (domain_ace, domain_label, ipv4, ipv6, red_page) = match &request.target {
        Target::Domain { ace, ipv4, ipv6 } => (
            ace.clone(),
            prepared.domain_label.clone(),
            ipv4.to_string(),
            ipv6.map(|a| a.to_string()).unwrap_or_default(),
            false,
        ),
        Target::RedPage => (
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            true,
        ),
    };
    let english = request.english_domain.clone().unwrap_or_default();
    let facts = SiteFacts {
        name: &request.site_name,
        domain_ace: &domain_ace,
        domain_label: &domain_label,
        english_domain: &english,
        ipv4: &ipv4,
        ipv6: &ipv6,
        red_page,
        intro: &request.intro,
    };
    let days = prepared.mount_days;
    let mount_due = deadline::due(Deadline::Mount { days }, cal, now).to_string();
    let mut red_page_public = false;
    let (code, kept) = match app.site_id {
        Some(site_id) => {
            sites::update_site(tx, site_id, &facts, now).await?;
            let site = sites::find_site_in(tx, site_id).await?;
            (site, true)
        }
        None => {
            let seq = sites::next_seq(tx, app.unit_id).await?;
            let region = RegionCode::from_i64(app.region_code)
                .ok_or_else(|| refused("单位所在地区代码有误，请联系编办"))?;
            let code = BadgeCode::new(region, app.unit_id.get(), seq).map_err(refused)?;
            let id =
                sites::insert_site(tx, app.unit_id, seq, &facts, code.as_str(), &mount_due, now)
                    .await?;
            sites::set_site(tx, app.id, id).await?;
            // A published red page carries the badge from this moment (read under this
            // transaction, so a withdrawal cannot slip in between).
            if red_page && crate::store::red_pages::is_published_in(tx, app.unit_id).await? {
                crate::store::red_pages::set_badge(
                    tx,
                    id,
                    BadgeState::Issued,
                    BadgeState::Mounted,
                    "",
                    now,
                )
                .await?;
                red_page_public = true;
            }
            (code.to_string(), false)
        }
    };
    let note = if kept {
        format!("沿用标识代码 {code}")
    } else {
        format!("发放标识代码 {code}，挂标期限 {mount_due}")
    };
    sites::transition(tx, app.id, from, issued, SYSTEM, &note, now).await?;
    let event = Event {
        action: if kept {
            "site_badge_kept"
        } else {
            "site_badge_issued"
        },
        subject_type: "site_application",
        subject_id: app.id.to_string(),
        from_state: from.as_str(),
        to_state: issued.as_str(),
        reason: &code,
    };
    audit::record(tx, &Actor::system("registry"), &event, now).await?;
    let link = format!("{public_url}/portal/sites/badges");
    let text = if red_page && !kept {
        if red_page_public {
            format!(
                "您单位网络红页“{}”的网站标识代码为 {code}，已自动显示在已发布的网络红页底部中间，无需其他操作。标识管理：{link}",
                request.site_name
            )
        } else {
            format!(
                "您单位网络红页“{}”的网站标识代码为 {code}。请于 {mount_due} 前（{days}个工作日内）登录平台在“红页管理”中完善并发布网络红页，标识将自动显示在红页底部中间，无需粘贴代码。红页管理：{public_url}/portal/red-page",
                request.site_name
            )
        }
    } else if kept {
        format!(
            "您单位网站“{}”的{}已办结，网站标识代码 {code} 保持不变。如网站页面中的标识代码无需更改，请继续保持挂标。标识管理：{link}",
            request.site_name,
            request.kind.label()
        )
    } else {
        format!(
            "您单位网站“{}”的网站标识代码为 {code}。请于 {mount_due} 前（{days}个工作日内）将标识代码粘贴到网站所有页面的</body>前，标识显示在页面底部中间。获取代码：{link}",
            request.site_name
        )
    };
    notify_handler(tx, app, "网站标识已发放", &text, "site_badge_issued", now).await?;
    Ok(issued)
}

/// The code a unit pastes before `</body>`: one asynchronous script, and a link with the
/// image for browsers without JavaScript.
pub fn snippet(public_url: &str, code: &str, blue: bool) -> String {
    let alt = if blue {
        "事业单位网站标识"
    } else {
        "党政机关网站标识"
    };
    format!(
        "<script src=\"{public_url}/b/{code}.js\" async></script>\n<noscript><a href=\"{public_url}/v/{code}\"><img src=\"{public_url}/b/{code}.png\" alt=\"{alt}\" width=\"110\" height=\"55\"></a></noscript>"
    )
}

/// Notices about an application go to the handler named on it (经办人), by SMS and e-mail.
async fn notify_handler(
    conn: &mut AnyConnection,
    app: &SiteApplication,
    subject: &str,
    text: &str,
    template: &'static str,
    now: i64,
) -> Result<(), RegistryError> {
    let contact = (
        app.form.handler_email.as_str(),
        app.form.handler_mobile.as_str(),
    );
    let notice = Notice {
        subject,
        text,
        template,
    };
    notices::to_unit_via(conn, app.unit_id, contact, notice, now).await?;
    Ok(())
}

/// The unit closes a site: its badge is revoked.
pub async fn close(
    db: &Db,
    actor: &Actor,
    site: &sites::Site,
    now: i64,
) -> Result<(), RegistryError> {
    if let Some(r) = sites::open_for_site(db, site.id, None).await? {
        return Err(refused(format!(
            "该网站有正在办理的申请（{r}），办结后才能关闭"
        )));
    }
    let mut tx = db.begin().await?;
    if !sites::close_site(&mut tx, site.id, now).await? {
        return Err(refused("该网站已关闭"));
    }
    let event = Event {
        action: "site_closed",
        subject_type: "site",
        subject_id: site.id.to_string(),
        from_state: site.badge_state.as_str(),
        to_state: "revoked",
        reason: &site.badge_code,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A new draft application: a first save (`site` and `copied_from` empty), a re-qualification
/// or change of a site that holds a badge (`site`), or a copy of an application whose paper
/// was returned (`copied_from`). Kept whatever it holds; checked only when submitted.
pub async fn create_draft(
    db: &Db,
    unit: UnitId,
    kind: SiteKind,
    site: Option<SiteId>,
    form: &SiteForm,
    copied_from: Option<SiteApplicationId>,
    now: i64,
) -> Result<SiteApplicationId, RegistryError> {
    let mut tx = db.begin().await?;
    let id = sites::create_draft(&mut tx, unit, kind, site, form, copied_from, now).await?;
    seal_id(db, &mut tx, id).await?;
    tx.commit().await?;
    Ok(id)
}

/// Saves the form of a draft (or of a returned application); refused once it is under
/// review or done.
pub async fn save_draft(
    db: &Db,
    id: SiteApplicationId,
    kind: SiteKind,
    form: &SiteForm,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    if !sites::save_form(&mut tx, id, kind, form, now).await? {
        return Err(refused("该申请正在审核或已办结，不能修改。"));
    }
    seal_id(db, &mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// The 经办人's ID number never stays in the form: it is sealed into its own column when
/// this process holds the key (a command without it leaves it for the next start to seal).
async fn seal_id(
    db: &Db,
    tx: &mut AnyConnection,
    id: SiteApplicationId,
) -> Result<(), RegistryError> {
    if let Ok(sealer) = db.sealer() {
        sites::seal_handler_id(tx, sealer, id).await?;
    }
    Ok(())
}

/// The unit records its site's ICP and public security filing numbers (each optional, checked
/// as the filing systems print them); audited with both values.
pub async fn set_filings(
    db: &Db,
    actor: &Actor,
    site: &sites::Site,
    (icp, psb): (&str, &str),
    now: i64,
) -> Result<(), RegistryError> {
    let mut errors = FieldErrors::new();
    let icp = match icp.trim() {
        "" => Some(String::new()),
        v => errors.check("icp_record", govsite_core::filing::parse_icp(v)),
    };
    let psb = match psb.trim() {
        "" => Some(String::new()),
        v => errors.check("psb_record", govsite_core::filing::parse_psb(v)),
    };
    let (Some(icp), Some(psb)) = (icp, psb) else {
        return Err(RegistryError::Form(errors));
    };
    let mut tx = db.begin().await?;
    sites::set_filings(&mut tx, site.id, &icp, &psb).await?;
    let reason = format!("ICP：{}；公安：{}", or_none(&icp), or_none(&psb));
    let event = Event {
        action: "site_filings_changed",
        subject_type: "site",
        subject_id: site.id.to_string(),
        reason: &reason,
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "无" } else { s }
}
