//! The stored working-day calendar that staff edit.

use chrono::NaiveDate;
use govsite_core::calendar::{DayKind, WorkingCalendar};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult};

#[derive(Debug, Clone, Serialize)]
pub struct DayRow {
    pub day: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub name: String,
    pub updated_by: String,
}

pub async fn load(db: &Db) -> StoreResult<WorkingCalendar> {
    let rows = sqlx::query("SELECT day, kind FROM calendar_days")
        .fetch_all(db.pool())
        .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for r in rows {
        let day: String = r.try_get("day")?;
        let kind: String = r.try_get("kind")?;
        if let (Ok(d), Some(k)) = (
            NaiveDate::parse_from_str(&day, "%Y-%m-%d"),
            DayKind::parse(&kind),
        ) {
            entries.push((d, k));
        }
    }
    Ok(WorkingCalendar::new(entries))
}

pub async fn list_year(db: &Db, year: i32) -> StoreResult<Vec<DayRow>> {
    let rows = sqlx::query(
        "SELECT day, kind, name, updated_by FROM calendar_days WHERE day LIKE $1 ORDER BY day",
    )
    .bind(format!("{year}-%"))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(DayRow {
                day: r.try_get("day")?,
                kind_label: DayKind::parse(&kind).map_or("", DayKind::label),
                kind,
                name: r.try_get("name")?,
                updated_by: r.try_get("updated_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?)
}

/// Sets one day's override (or removes it with `None`), returning the previous kind.
pub async fn set_day(
    conn: &mut AnyConnection,
    day: NaiveDate,
    entry: Option<(DayKind, &str)>,
    by: &str,
    now: i64,
) -> StoreResult<Option<String>> {
    let day = day.to_string();
    let previous: Option<String> = sqlx::query("SELECT kind FROM calendar_days WHERE day = $1")
        .bind(&day)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("kind"))
        .transpose()?;
    sqlx::query("DELETE FROM calendar_days WHERE day = $1")
        .bind(&day)
        .execute(&mut *conn)
        .await?;
    if let Some((kind, name)) = entry {
        sqlx::query(
            "INSERT INTO calendar_days (day, kind, name, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&day)
        .bind(kind.as_str())
        .bind(name)
        .bind(by)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(previous)
}
