//! The one rule for time limits: a limit of N working days starts the day after the event,
//! in China Standard Time, and counts only working days of the editable calendar (holidays
//! and 调休 days included). Every deadline of the platform is computed here.

use chrono::NaiveDate;

use crate::calendar::WorkingCalendar;

/// The platform default for a 编办's first review, in working days (the seed county's 2; the
/// national rule says 5). Each region may set its own.
pub const DEFAULT_OFFICE_REVIEW_DAYS: u32 = 2;
/// The platform default for mounting a badge after issue, in working days (the national 5;
/// the seed county says 2). Each region may set its own.
pub const DEFAULT_MOUNT_DAYS: u32 = 5;
/// Working days a 编办 has to confirm a website application's paper filing (national rule).
pub const PAPER_DAYS: u32 = 10;

/// What a deadline is for, with the working days the region's policy gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// The 编办's first review of a domain or website application.
    OfficeReview { days: u32 },
    /// The 编办's confirmation of a website application's paper filing.
    Paper,
    /// The unit mounting its badge on every page of its site.
    Mount { days: u32 },
    /// Staff answering a unit's question in 用户问答.
    Reply { days: u32 },
}

impl Deadline {
    pub fn working_days(self) -> u32 {
        match self {
            Self::OfficeReview { days } | Self::Mount { days } | Self::Reply { days } => days,
            Self::Paper => PAPER_DAYS,
        }
    }
}

/// The last day of `kind`'s limit for something that happened at `now` (unix seconds).
pub fn due(kind: Deadline, calendar: &WorkingCalendar, now: i64) -> NaiveDate {
    calendar.add_working_days(cst_date(now), kind.working_days())
}

/// The date in China Standard Time (UTC+8) of unix time `ts`.
pub fn cst_date(ts: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(ts + 8 * 3600, 0).map_or(NaiveDate::MIN, |t| t.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_the_next_day_in_china_time() {
        let cal = WorkingCalendar::default();
        // 2026-01-02 20:00 UTC is Saturday 2026-01-03 04:00 in Beijing.
        let saturday_morning_cst = 1_767_384_000;
        assert_eq!(cst_date(saturday_morning_cst).to_string(), "2026-01-03");
        // Two working days from a Saturday: Monday and Tuesday.
        assert_eq!(
            due(
                Deadline::OfficeReview { days: 2 },
                &cal,
                saturday_morning_cst
            )
            .to_string(),
            "2026-01-06"
        );
        assert_eq!(
            due(Deadline::Paper, &cal, saturday_morning_cst).to_string(),
            "2026-01-16"
        );
        assert_eq!(Deadline::Mount { days: 5 }.working_days(), 5);
    }
}
