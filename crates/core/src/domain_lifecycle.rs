//! The life of a registered name (docs/RULES.md §3): active → (reminders at T-90/60/30/7 days) →
//! expired, still resolving for a protection period → suspended, out of the zone → deleted.
//! A suspension for non-compliance is a separate flag a 编办 or the registry sets and lifts.

use serde::Serialize;

pub const DAY: i64 = 86_400;
/// Days before expiry at which the unit is reminded.
pub const REMINDER_DAYS: [i64; 4] = [90, 60, 30, 7];
/// At most this far ahead may a name be paid for.
pub const MAX_AHEAD_YEARS: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainState {
    Active,
    Expired,
    Suspended,
    Deleted,
}

impl DomainState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Suspended => "suspended",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Expired, Self::Suspended, Self::Deleted]
            .into_iter()
            .find(|d| d.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "正常",
            Self::Expired => "已到期（保护期内）",
            Self::Suspended => "已停止解析",
            Self::Deleted => "已删除",
        }
    }

    /// Whether the name is in the zone (answers in DNS).
    pub fn resolves(self) -> bool {
        matches!(self, Self::Active | Self::Expired)
    }
}

/// The configurable periods after expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// Days an expired name keeps resolving (default 30).
    pub protection_days: i64,
    /// Further days a suspended name is kept before deletion (default 30).
    pub deletion_days: i64,
}

impl Default for Periods {
    fn default() -> Self {
        Self {
            protection_days: 30,
            deletion_days: 30,
        }
    }
}

/// The state a name is in at `now`, from its expiry date alone; `held` is a suspension for
/// non-compliance, which keeps a live name out of the zone until lifted.
pub fn state_at(expires_at: i64, now: i64, periods: Periods, held: bool) -> DomainState {
    let suspended_from = expires_at + periods.protection_days * DAY;
    let deleted_from = suspended_from + periods.deletion_days * DAY;
    if now >= deleted_from {
        DomainState::Deleted
    } else if now >= suspended_from || held {
        DomainState::Suspended
    } else if now >= expires_at {
        DomainState::Expired
    } else {
        DomainState::Active
    }
}

/// The reminders (days before expiry) due at `now` that were not sent yet, largest first.
/// A reminder whose moment passed long ago is skipped in favour of the latest one due.
pub fn due_reminder(expires_at: i64, now: i64, sent: &[i64]) -> Option<i64> {
    if now >= expires_at {
        return None;
    }
    REMINDER_DAYS
        .iter()
        .copied()
        .filter(|d| now >= expires_at - d * DAY)
        .filter(|d| !sent.contains(d))
        .min()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenewError {
    #[error("域名已删除，不能续费，请重新申请注册")]
    Deleted,
    #[error("续费后到期日不能超过今天起{MAX_AHEAD_YEARS}年，最多还可续{0}年")]
    TooFarAhead(i64),
}

/// The new expiry after renewing for `years`: counted from the current expiry (or from now,
/// for a name already past it), never more than ten years ahead of today.
pub fn renew(expires_at: i64, now: i64, years: u32, periods: Periods) -> Result<i64, RenewError> {
    if state_at(expires_at, now, periods, false) == DomainState::Deleted {
        return Err(RenewError::Deleted);
    }
    let base = expires_at.max(now);
    let new = add_years(base, i64::from(years));
    let limit = add_years(now, MAX_AHEAD_YEARS);
    if new > limit {
        let room = (0..=MAX_AHEAD_YEARS)
            .rev()
            .find(|y| add_years(base, *y) <= limit)
            .unwrap_or(0);
        return Err(RenewError::TooFarAhead(room));
    }
    Ok(new)
}

/// Adds calendar years (365 days each would drift; use the date).
pub fn add_years(ts: i64, years: i64) -> i64 {
    use chrono::{DateTime, Datelike};
    let Some(t) = DateTime::from_timestamp(ts, 0) else {
        return ts + years * 365 * DAY;
    };
    let target = t.year() + years as i32;
    t.with_year(target)
        .or_else(|| t.with_day(28).and_then(|d| d.with_year(target)))
        .map_or(ts + years * 365 * DAY, |d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_767_225_600; // 2026-01-01 00:00 UTC

    #[test]
    fn a_whole_life() {
        let p = Periods::default();
        let exp = add_years(T0, 2);
        assert_eq!(state_at(exp, T0, p, false), DomainState::Active);
        assert_eq!(state_at(exp, T0, p, true), DomainState::Suspended);
        assert_eq!(state_at(exp, exp, p, false), DomainState::Expired);
        assert!(state_at(exp, exp + 29 * DAY, p, false).resolves());
        assert_eq!(
            state_at(exp, exp + 30 * DAY, p, false),
            DomainState::Suspended
        );
        assert_eq!(
            state_at(exp, exp + 60 * DAY, p, false),
            DomainState::Deleted
        );
    }

    #[test]
    fn reminders() {
        let exp = T0 + 365 * DAY;
        assert_eq!(due_reminder(exp, T0, &[]), None);
        assert_eq!(due_reminder(exp, exp - 90 * DAY, &[]), Some(90));
        assert_eq!(due_reminder(exp, exp - 89 * DAY, &[90]), None);
        assert_eq!(
            due_reminder(exp, exp - 30 * DAY, &[90]),
            Some(30),
            "the 60-day one passed unsent"
        );
        assert_eq!(due_reminder(exp, exp - 6 * DAY, &[90, 60, 30]), Some(7));
        assert_eq!(due_reminder(exp, exp + 1, &[]), None);
    }

    #[test]
    fn renewals() {
        let p = Periods::default();
        let exp = add_years(T0, 2);
        assert_eq!(renew(exp, T0, 3, p), Ok(add_years(T0, 5)));
        assert_eq!(renew(exp, T0, 9, p), Err(RenewError::TooFarAhead(8)));
        // Past expiry (in protection), counted from today.
        assert_eq!(
            renew(exp, exp + 10 * DAY, 2, p),
            Ok(add_years(exp + 10 * DAY, 2))
        );
        assert_eq!(renew(exp, exp + 61 * DAY, 2, p), Err(RenewError::Deleted));
        // 29 February moves to 28 February.
        let leap = 1_709_164_800; // 2024-02-29
        assert_eq!(add_years(leap, 1), 1_740_700_800); // 2025-02-28
    }
}
