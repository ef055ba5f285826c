//! Working days on an editable calendar: weekends are rest days unless the official
//! schedule makes them 调休 working days, and official holidays are rest days.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

/// An entry that overrides the plain weekday/weekend rule for one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A rest day (法定节假日 or its bridging days).
    Holiday,
    /// A weekend day worked in exchange (调休上班).
    Workday,
}

impl DayKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "holiday" => Some(Self::Holiday),
            "workday" => Some(Self::Workday),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holiday => "holiday",
            Self::Workday => "workday",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Holiday => "放假",
            Self::Workday => "调休上班",
        }
    }
}

/// One line of the shipped seed file: `2026-02-14<TAB>workday<TAB>春节`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// Parses the seed file; blank lines and `#` comments are skipped.
pub fn parse_entries(text: &str) -> Result<Vec<CalendarEntry>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, line)| {
            let mut parts = line.split('\t');
            let (Some(date), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(format!("line {}: expected date, kind, name", i + 1));
            };
            Ok(CalendarEntry {
                date: NaiveDate::parse_from_str(date, "%Y-%m-%d")
                    .map_err(|e| format!("line {}: {e}", i + 1))?,
                kind: DayKind::parse(kind).ok_or(format!("line {}: bad kind", i + 1))?,
                name: name.to_owned(),
            })
        })
        .collect()
}

/// A calendar of overrides on top of Monday-to-Friday.
#[derive(Debug, Clone, Default)]
pub struct WorkingCalendar {
    overrides: BTreeMap<NaiveDate, DayKind>,
}

impl WorkingCalendar {
    pub fn new(entries: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Self {
        Self {
            overrides: entries.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.overrides.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The last day of a time limit of `n` working days that starts the day after `start`:
    /// an application received on Friday with 2 working days is due the next Tuesday.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut date = start;
        let mut left = n;
        while left > 0 {
            date = date + Days::new(1);
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        date
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not later).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn seeded() -> WorkingCalendar {
        let entries = parse_entries(include_str!("../../../reference/calendar.tsv")).unwrap();
        WorkingCalendar::new(entries.into_iter().map(|e| (e.date, e.kind)))
    }

    #[test]
    fn plain_weeks() {
        let cal = WorkingCalendar::default();
        // Friday 2026-11-20 + 2 working days = Tuesday 2026-11-24.
        assert_eq!(cal.add_working_days(d("2026-11-20"), 2), d("2026-11-24"));
        assert_eq!(cal.add_working_days(d("2026-11-23"), 5), d("2026-11-30"));
        assert_eq!(
            cal.working_days_between(d("2026-11-20"), d("2026-11-24")),
            2
        );
        assert_eq!(
            cal.working_days_between(d("2026-11-24"), d("2026-11-20")),
            0
        );
    }

    #[test]
    fn official_holidays_and_makeup_days() {
        let cal = seeded();
        // 2026 National Day: 1–7 October off, Saturday 10 October worked.
        assert!(!cal.is_working_day(d("2026-10-05")));
        assert!(cal.is_working_day(d("2026-10-10")));
        // Submitted Wednesday 30 September with 2 working days: Thursday 8 and Friday 9.
        assert_eq!(cal.add_working_days(d("2026-09-30"), 2), d("2026-10-09"));
        // With 3, the make-up Saturday counts.
        assert_eq!(cal.add_working_days(d("2026-09-30"), 3), d("2026-10-10"));
        // Spring Festival 2026: Saturday 14 February worked, 15–23 off.
        assert!(cal.is_working_day(d("2026-02-14")));
        assert!(!cal.is_working_day(d("2026-02-23")));
        assert_eq!(cal.add_working_days(d("2026-02-13"), 2), d("2026-02-24"));
        // 2024 and 2025 are there too.
        assert!(!cal.is_working_day(d("2024-02-15")));
        assert!(cal.is_working_day(d("2025-01-26")));
    }

    #[test]
    fn bad_seed_lines_are_reported() {
        assert!(parse_entries("2026-13-01\tholiday\tx").is_err());
        assert!(parse_entries("2026-01-01\tnap\tx").is_err());
        assert!(parse_entries("2026-01-01").is_err());
    }
}
