//! The administrator's policy decisions: price versions from a date, reserved names,
//! per-region working-day limits, and the working-day calendar. Each is one transaction with
//! its audit row.

use chrono::NaiveDate;
use govsite_core::calendar::DayKind;
use govsite_core::money::Money;
use govsite_core::region::FeeTier;

use super::RegistryError;
use crate::store::audit::{self, Actor, Event};
use crate::store::policy::{self, RegionLimit};
use crate::store::{Db, StoreError, calendar};

/// A price per name per year for `tier`, in force from midnight (China Standard Time) of
/// `from`; earlier versions stay for the fees already quoted.
pub async fn add_price(
    db: &Db,
    actor: &Actor,
    tier: FeeTier,
    price: Money,
    from: NaiveDate,
    now: i64,
) -> Result<(), RegistryError> {
    let at = from
        .and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp())
        - 8 * 3600;
    let mut tx = db.begin().await?;
    policy::add_price(&mut tx, tier, price, at, &actor.label, now).await?;
    let event = Event {
        action: "price_set",
        subject_type: "price",
        subject_id: tier.as_str().to_owned(),
        to_state: &price.to_string(),
        reason: &format!("{from} 起生效"),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Reserves a name (by its canonical form, so its simplified and traditional variants too).
/// Refused with a field error when it is reserved already.
pub async fn add_reserved(
    db: &Db,
    actor: &Actor,
    canonical: &str,
    label: &str,
    reason: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    match policy::add_reserved(&mut tx, canonical, label, reason, &actor.label, now).await {
        Ok(()) => {}
        Err(StoreError::Duplicate(_)) => {
            let mut e = govsite_core::FieldErrors::new();
            e.add("label", "该名称（或其繁简体形式）已在保留名称中");
            return Err(RegistryError::Form(e));
        }
        Err(err) => return Err(err.into()),
    }
    let event = Event {
        action: "reserved_added",
        subject_type: "reserved_name",
        subject_id: label.to_owned(),
        reason,
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Releases a reserved name; false when there was none.
pub async fn remove_reserved(
    db: &Db,
    actor: &Actor,
    canonical: &str,
    now: i64,
) -> Result<bool, RegistryError> {
    let mut tx = db.begin().await?;
    if !policy::remove_reserved(&mut tx, canonical).await? {
        return Ok(false);
    }
    let event = Event {
        action: "reserved_removed",
        subject_type: "reserved_name",
        subject_id: canonical.to_owned(),
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Sets (or, with `None`, clears) a region's own working-day limit; false when there is no
/// such region.
pub async fn set_region_days(
    db: &Db,
    actor: &Actor,
    limit: RegionLimit,
    region: i64,
    days: Option<i64>,
    now: i64,
) -> Result<bool, RegistryError> {
    let mut tx = db.begin().await?;
    let Some(previous) = policy::set_region_days(&mut tx, limit, region, days).await? else {
        return Ok(false);
    };
    let from = previous.map_or_else(|| "默认".to_owned(), |d| d.to_string());
    let to = days.map_or_else(|| "默认".to_owned(), |d| d.to_string());
    let event = Event {
        action: limit.audit_action(),
        subject_type: "region",
        subject_id: region.to_string(),
        from_state: &from,
        to_state: &to,
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Marks a day of the working-day calendar as a holiday or a 调休 working day (with its
/// name), or clears it back to the default of its weekday.
pub async fn set_calendar_day(
    db: &Db,
    actor: &Actor,
    day: NaiveDate,
    kind: Option<DayKind>,
    name: &str,
    now: i64,
) -> Result<(), RegistryError> {
    let mut tx = db.begin().await?;
    let previous =
        calendar::set_day(&mut tx, day, kind.map(|k| (k, name)), &actor.label, now).await?;
    let event = Event {
        action: "calendar_day_set",
        subject_type: "calendar_day",
        subject_id: day.to_string(),
        from_state: previous.as_deref().unwrap_or("default"),
        to_state: kind.map_or("default", DayKind::as_str),
        reason: name,
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Stores the platform settings; one audit row names the settings that changed.
pub async fn set_platform(
    db: &Db,
    actor: &Actor,
    settings: &govsite_core::platform::PlatformSettings,
    now: i64,
) -> Result<(), RegistryError> {
    let before = policy::platform(db).await?.entries();
    let after = settings.entries();
    let changed: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b.1 != a.1)
        .map(|(_, a)| a.0)
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    for (key, value) in &after {
        policy::set_setting(&mut tx, key, value, &actor.label, now).await?;
    }
    let reason = changed.join(",");
    let event = Event {
        action: "setting_changed",
        subject_type: "settings",
        subject_id: "platform".to_owned(),
        reason: &reason,
        ..Event::default()
    };
    audit::record(&mut tx, actor, &event, now).await?;
    tx.commit().await?;
    Ok(())
}
