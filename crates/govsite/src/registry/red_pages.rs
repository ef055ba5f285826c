//! The decisions about a unit's 网络红页: its draft saved, a logo stored, a publication (a new
//! version), a rollback to an earlier version, the unit withdrawing it, and its 编办 taking
//! it down. A red page carries the badge of the unit's red-page site by itself: publishing
//! mounts the badge, withdrawing returns it to issued with a fresh mount deadline. Each is one
//! transaction with its audit rows and notices.

use govsite_core::badge_state::{BadgeEvent, BadgeState};
use govsite_core::deadline::{self, Deadline};
use govsite_core::ids::UnitId;
use govsite_core::red_page::{MAX_NOTICES, NoticeForm, RedPageContent, RedPageForm, RedPageState};
use sqlx::AnyConnection;

use super::RegistryError;
use super::notices::{self, Notice};
use crate::red_page::image::CheckedImage;
use crate::store::audit::{self, Actor, Event};
use crate::store::red_pages::{self, NewImage, RedPage};
use crate::store::{Db, calendar, policy, units};

const SUBJECT: &str = "red_page";
const TAKEN_DOWN_UNCHANGED: &str = "红页已被编办下线：请先按下线原因修改内容，再重新发布";

fn refused(msg: &str) -> RegistryError {
    RegistryError::Refused(msg.to_owned())
}

/// Reads the draft under the transaction's lock, lets `edit` change it, and saves it
/// (creating the red page from `initial` at its first save). The public page is unchanged.
async fn edit_draft<T>(
    db: &Db,
    unit: UnitId,
    initial: &RedPageContent,
    now: i64,
    edit: impl FnOnce(&mut RedPageContent) -> Result<T, RegistryError>,
) -> Result<T, RegistryError> {
    let mut tx = db.begin().await?;
    // Created from `initial` if need be (undone with the transaction when `edit` refuses).
    red_pages::lock(&mut tx, unit, initial, now).await?;
    let mut draft = red_pages::find_in(&mut tx, unit)
        .await?
        .map_or_else(|| initial.clone(), |p| p.draft);
    let out = edit(&mut draft)?;
    red_pages::save_draft(&mut tx, unit, &draft, now).await?;
    tx.commit().await?;
    Ok(out)
}

/// Saves the profile, sections and footer of the editing page into the draft.
pub async fn save_profile(
    db: &Db,
    unit: UnitId,
    initial: &RedPageContent,
    form: &RedPageForm,
    now: i64,
) -> Result<(), RegistryError> {
    edit_draft(db, unit, initial, now, |draft| {
        *draft = form.apply(draft).map_err(RegistryError::Form)?;
        Ok(())
    })
    .await
}

/// Adds a notice to the draft (`id`: replaces that one); returns its id.
pub async fn put_notice(
    db: &Db,
    unit: UnitId,
    initial: &RedPageContent,
    id: Option<u32>,
    form: &NoticeForm,
    now: i64,
) -> Result<u32, RegistryError> {
    let notice = form.check().map_err(RegistryError::Form)?;
    edit_draft(db, unit, initial, now, |draft| {
        if id.is_none() && draft.notices.len() >= MAX_NOTICES {
            return Err(RegistryError::Invalid(
                "公告已达500条上限，请先删除较早的公告",
            ));
        }
        draft
            .put_notice(notice, id)
            .map_err(|e| RegistryError::Refused(e.to_string()))
    })
    .await
}

/// Deletes a notice from the draft.
pub async fn remove_notice(
    db: &Db,
    unit: UnitId,
    initial: &RedPageContent,
    id: u32,
    now: i64,
) -> Result<(), RegistryError> {
    edit_draft(db, unit, initial, now, |draft| {
        draft
            .remove_notice(id)
            .map_err(|e| RegistryError::Refused(e.to_string()))
    })
    .await
}

/// Stores a checked logo and puts it in the draft (`initial`: the draft of a first save).
pub async fn set_logo(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    initial: &RedPageContent,
    image: &CheckedImage,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    let new = NewImage {
        content_type: image.content_type,
        width: image.width,
        height: image.height,
        bytes: &image.bytes,
        sha256: &image.sha256,
    };
    red_pages::lock(&mut tx, unit, initial, now).await?;
    let id = red_pages::insert_image(&mut tx, unit, &new, now).await?;
    let mut draft = red_pages::find_in(&mut tx, unit)
        .await?
        .map_or_else(|| initial.clone(), |p| p.draft);
    draft.logo = Some(id);
    red_pages::save_draft(&mut tx, unit, &draft, now).await?;
    let event = Event {
        action: "red_page_logo_set",
        subject_type: SUBJECT,
        subject_id: unit.to_string(),
        reason: &format!("{}×{} {}", image.width, image.height, image.content_type),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Takes the logo out of the draft (the stored image stays for the versions that show it).
pub async fn remove_logo(db: &Db, unit: UnitId, now: i64) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    if !red_pages::lock_existing(&mut tx, unit).await? {
        return Ok(());
    }
    let Some(page) = red_pages::find_in(&mut tx, unit).await? else {
        return Ok(());
    };
    let mut draft = page.draft;
    draft.logo = None;
    red_pages::save_draft(&mut tx, unit, &draft, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes the draft as the next version.
pub async fn publish(db: &Db, actor: &Actor, unit: UnitId, now: i64) -> Result<i64, RegistryError> {
    let mut tx = db.begin().await?;
    if !red_pages::lock_existing(&mut tx, unit).await? {
        return Err(refused("请先填写并保存红页内容"));
    }
    let page = red_pages::find_in(&mut tx, unit)
        .await?
        .ok_or_else(|| refused("请先填写并保存红页内容"))?;
    page.draft.publishable().map_err(refused)?;
    if page.state == RedPageState::Published && !page.changed_since_publication {
        return Err(refused("红页内容与已发布的版本相同，无需重新发布"));
    }
    if page.state == RedPageState::TakenDown && !page.changed_since_publication {
        return Err(refused(TAKEN_DOWN_UNCHANGED));
    }
    check_logo(&mut tx, unit, &page.draft).await?;
    let (version, number) =
        red_pages::insert_version(&mut tx, unit, &page.draft, "发布", &actor.label, now).await?;
    go_public(&mut tx, actor, &page, version, now).await?;
    let event = Event {
        action: "red_page_published",
        subject_type: SUBJECT,
        subject_id: unit.to_string(),
        from_state: page.state.as_str(),
        to_state: RedPageState::Published.as_str(),
        reason: &format!("第{number}版"),
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(number)
}

/// Publishes an earlier version again (as a new version) and makes it the draft. A version
/// id of another unit is refused like one that does not exist.
pub async fn rollback(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    version: i64,
    now: i64,
) -> Result<i64, RegistryError> {
    let mut tx = db.begin().await?;
    let (old, content) = red_pages::version_in(&mut tx, unit, version)
        .await?
        .ok_or(RegistryError::Invalid("没有这个红页版本"))?;
    red_pages::lock_existing(&mut tx, unit).await?;
    let page = red_pages::find_in(&mut tx, unit)
        .await?
        .ok_or_else(|| refused("红页还没有发布过"))?;
    // The version its 编办 took down cannot come back unchanged.
    if page.state == RedPageState::TakenDown
        && let Some(current) = page.version_id
        && let Some((_, taken_down)) = red_pages::version_in(&mut tx, unit, current).await?
        && taken_down == content
    {
        return Err(refused(TAKEN_DOWN_UNCHANGED));
    }
    let note = format!("回滚到第{old}版");
    let (new_id, number) =
        red_pages::insert_version(&mut tx, unit, &content, &note, &actor.label, now).await?;
    red_pages::save_draft(&mut tx, unit, &content, now).await?;
    go_public(&mut tx, actor, &page, new_id, now).await?;
    let event = Event {
        action: "red_page_rolled_back",
        subject_type: SUBJECT,
        subject_id: unit.to_string(),
        from_state: page.state.as_str(),
        to_state: RedPageState::Published.as_str(),
        reason: &format!("{note}，成为第{number}版"),
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(number)
}

/// The logo a draft names must be one of the unit's own images.
async fn check_logo(
    tx: &mut AnyConnection,
    unit: UnitId,
    draft: &RedPageContent,
) -> Result<(), RegistryError> {
    if let Some(id) = draft.logo
        && !red_pages::image_of_unit(tx, unit, id).await?
    {
        return Err(RegistryError::Invalid("红页图片无效，请重新上传"));
    }
    Ok(())
}

/// The page becomes public at `version`; the red-page site's badge counts as mounted.
async fn go_public(
    tx: &mut AnyConnection,
    actor: &Actor,
    page: &RedPage,
    version: i64,
    now: i64,
) -> Result<(), RegistryError> {
    if !red_pages::set_state(
        tx,
        page.unit_id,
        page.state,
        RedPageState::Published,
        Some(version),
        "",
        now,
    )
    .await?
    {
        return Err(refused("红页状态已变化，请刷新页面后重试"));
    }
    move_badge(
        tx,
        actor,
        page.unit_id,
        BadgeEvent::RedPagePublished,
        "",
        now,
    )
    .await
}

/// The unit withdraws its public page.
pub async fn unpublish(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    now: i64,
) -> Result<(), RegistryError> {
    let due = fresh_mount_due(db, unit, now).await?;
    let mut tx = db.begin().await?;
    withdraw(
        &mut tx,
        actor,
        unit,
        RedPageState::Unpublished,
        "",
        &due,
        now,
    )
    .await?;
    let event = Event {
        action: "red_page_unpublished",
        subject_type: SUBJECT,
        subject_id: unit.to_string(),
        from_state: RedPageState::Published.as_str(),
        to_state: RedPageState::Unpublished.as_str(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A 编办 takes a red page of its region down for its content; the unit is told why by SMS
/// and e-mail, fixes it and publishes again.
pub async fn take_down(
    db: &Db,
    actor: &Actor,
    unit: UnitId,
    reason: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let reason: String = reason.trim().chars().take(500).collect();
    if reason.is_empty() {
        return Err(RegistryError::Invalid(
            "请填写下线的原因（内容存在的问题）。",
        ));
    }
    let due = fresh_mount_due(db, unit, now).await?;
    let mut tx = db.begin().await?;
    withdraw(
        &mut tx,
        actor,
        unit,
        RedPageState::TakenDown,
        &reason,
        &due,
        now,
    )
    .await?;
    let event = Event {
        action: "red_page_taken_down",
        subject_type: SUBJECT,
        subject_id: unit.to_string(),
        from_state: RedPageState::Published.as_str(),
        to_state: RedPageState::TakenDown.as_str(),
        reason: &reason,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    let text = format!(
        "您单位的网络红页已被编办下线，原因：{reason}。请登录平台在“红页管理”中修改内容后重新发布；网站标识在红页重新发布前为待挂标状态，挂标期限 {due}。"
    );
    let notice = Notice {
        subject: "网络红页已被下线",
        text: &text,
        template: "red_page_taken_down",
    };
    notices::to_unit(&mut tx, unit, notice, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn fresh_mount_due(db: &Db, unit: UnitId, now: i64) -> Result<String, RegistryError> {
    let region = units::find(db, unit, units::Scope::All)
        .await?
        .map_or(0, |u| u.region_code);
    let days = policy::mount_days(db, region).await?;
    let cal = calendar::load(db).await?;
    Ok(deadline::due(Deadline::Mount { days }, &cal, now).to_string())
}

async fn withdraw(
    tx: &mut AnyConnection,
    actor: &Actor,
    unit: UnitId,
    to: RedPageState,
    reason: &str,
    mount_due: &str,
    now: i64,
) -> Result<(), RegistryError> {
    if !red_pages::set_state(tx, unit, RedPageState::Published, to, None, reason, now).await? {
        return Err(refused("红页当前未发布"));
    }
    move_badge(
        tx,
        actor,
        unit,
        BadgeEvent::RedPageWithdrawn,
        mount_due,
        now,
    )
    .await
}

/// Moves the red-page site's badge (if one is issued and still valid) for `event`.
async fn move_badge(
    tx: &mut AnyConnection,
    actor: &Actor,
    unit: UnitId,
    event: BadgeEvent,
    mount_due: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let Some(site) = red_pages::site_in(tx, unit).await? else {
        return Ok(());
    };
    // A suspended or revoked badge is the 编办's or the site's matter, not the page's.
    let Ok(next) = site.badge_state.apply(event) else {
        return Ok(());
    };
    let due = if next == BadgeState::Mounted {
        ""
    } else {
        mount_due
    };
    if next == site.badge_state && due == site.mount_due {
        return Ok(());
    }
    if !red_pages::set_badge(tx, site.site_id, site.badge_state, next, due, now).await? {
        // Suspended, revoked or moved by someone else meanwhile: that decision stands.
        return Ok(());
    }
    let reason = if next == BadgeState::Mounted {
        "网络红页已发布，标识自动显示".to_owned()
    } else {
        format!("网络红页已撤下，挂标期限 {due}")
    };
    let e = Event {
        action: "badge_state_changed",
        subject_type: "site",
        subject_id: site.site_id.to_string(),
        from_state: site.badge_state.as_str(),
        to_state: next.as_str(),
        reason: &reason,
    };
    audit::record(tx, actor, &e, now).await?;
    Ok(())
}
