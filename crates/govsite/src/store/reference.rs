//! Reference data shipped in the repository: GB/T 2260 regions and the official holiday
//! calendar. Loaded once into an empty database; staff edit the stored copies afterwards.

use govsite_core::calendar::parse_entries;
use sqlx::Row;

use super::{Db, StoreError, StoreResult};

const REGIONS: &str = include_str!("../../../../reference/regions.tsv");
const CALENDAR: &str = include_str!("../../../../reference/calendar.tsv");
const BATCH: usize = 400;

/// One region line: code, name, level, parent code (empty for provinces), fee tier.
struct RegionLine<'a> {
    code: i64,
    name: &'a str,
    level: &'a str,
    parent: Option<i64>,
    tier: &'a str,
}

fn parse_regions() -> StoreResult<Vec<RegionLine<'static>>> {
    REGIONS
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let bad = || StoreError::Reference(format!("regions.tsv: {line}"));
            if f.len() != 5 {
                return Err(bad());
            }
            Ok(RegionLine {
                code: f[0].parse().map_err(|_| bad())?,
                name: f[1],
                level: f[2],
                parent: if f[3].is_empty() {
                    None
                } else {
                    Some(f[3].parse().map_err(|_| bad())?)
                },
                tier: f[4],
            })
        })
        .collect()
}

pub(super) async fn load(db: &Db) -> StoreResult<()> {
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM regions")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    if count == 0 {
        load_regions(db).await?;
    }
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM calendar_days")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    if count == 0 {
        load_calendar(db).await?;
    }
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM prices")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    if count == 0 {
        load_policy(db).await?;
    }
    Ok(())
}

/// The seed's prices (200 yuan per name per year; 100 in the poverty tier) and a starting
/// reserved list; staff change both afterwards.
async fn load_policy(db: &Db) -> StoreResult<()> {
    let now = chrono::Utc::now().timestamp();
    let mut tx = db.begin().await?;
    for (tier, fen) in [("standard", 20_000i64), ("poverty", 10_000)] {
        sqlx::query(
            "INSERT INTO prices (fee_tier, price_fen, effective_from, created_by, created_at)
             VALUES ($1, $2, 0, 'reference', $3)",
        )
        .bind(tier)
        .bind(fen)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for (label, reason) in RESERVED {
        sqlx::query(
            "INSERT INTO reserved_names (canonical, label, reason, created_by, created_at)
             VALUES ($1, $1, $2, 'reference', $3)",
        )
        .bind(label)
        .bind(reason)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Names no unit may hold: national institutions' and the registry's own.
const RESERVED: [(&str, &str); 8] = [
    ("中国", "国家名称"),
    ("中华人民共和国", "国家名称"),
    ("中央", "中央机构专用"),
    ("国务院", "中央机构专用"),
    ("全国人大", "中央机构专用"),
    ("中央编办", "中央机构专用"),
    ("注册中心", "注册管理机构保留"),
    ("政务", "后缀名称"),
];

async fn load_regions(db: &Db) -> StoreResult<()> {
    let regions = parse_regions()?;
    let mut tx = db.begin().await?;
    for chunk in regions.chunks(BATCH) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 5;
                format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO regions (code, name, level, parent_code, fee_tier) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(r.code)
                .bind(r.name)
                .bind(r.level)
                .bind(r.parent)
                .bind(r.tier);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    tracing::info!(count = regions.len(), "regions loaded");
    Ok(())
}

async fn load_calendar(db: &Db) -> StoreResult<()> {
    let entries = parse_entries(CALENDAR).map_err(StoreError::Reference)?;
    let now = chrono::Utc::now().timestamp();
    let mut tx = db.begin().await?;
    for e in &entries {
        sqlx::query(
            "INSERT INTO calendar_days (day, kind, name, updated_by, updated_at)
             VALUES ($1, $2, $3, 'reference', $4)",
        )
        .bind(e.date.to_string())
        .bind(e.kind.as_str())
        .bind(&e.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
