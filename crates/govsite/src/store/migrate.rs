//! A small migration runner: numbered SQL files per engine, applied once each, in order,
//! each in its own transaction, recorded in `schema_migrations`.

use sqlx::Row;

use super::{Backend, Db, StoreResult};

/// (version, name, SQLite text, PostgreSQL text).
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../../migrations/sqlite/0001_foundation.sql"),
        include_str!("../../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "domains",
        include_str!("../../migrations/sqlite/0002_domains.sql"),
        include_str!("../../migrations/postgres/0002_domains.sql"),
    ),
    (
        3,
        "invoice_items",
        include_str!("../../migrations/sqlite/0003_invoice_items.sql"),
        include_str!("../../migrations/postgres/0003_invoice_items.sql"),
    ),
    (
        4,
        "zone_changes",
        include_str!("../../migrations/sqlite/0004_zone_changes.sql"),
        include_str!("../../migrations/postgres/0004_zone_changes.sql"),
    ),
    (
        5,
        "sites",
        include_str!("../../migrations/sqlite/0005_sites.sql"),
        include_str!("../../migrations/postgres/0005_sites.sql"),
    ),
    (
        6,
        "badges",
        include_str!("../../migrations/sqlite/0006_badges.sql"),
        include_str!("../../migrations/postgres/0006_badges.sql"),
    ),
    (
        7,
        "red_pages",
        include_str!("../../migrations/sqlite/0007_red_pages.sql"),
        include_str!("../../migrations/postgres/0007_red_pages.sql"),
    ),
    (
        8,
        "office_details",
        include_str!("../../migrations/sqlite/0008_office_details.sql"),
        include_str!("../../migrations/postgres/0008_office_details.sql"),
    ),
    (
        9,
        "review_stages",
        include_str!("../../migrations/sqlite/0009_review_stages.sql"),
        include_str!("../../migrations/postgres/0009_review_stages.sql"),
    ),
    (
        10,
        "unit_confirmation",
        include_str!("../../migrations/sqlite/0010_unit_confirmation.sql"),
        include_str!("../../migrations/postgres/0010_unit_confirmation.sql"),
    ),
    (
        11,
        "reorganisation",
        include_str!("../../migrations/sqlite/0011_reorganisation.sql"),
        include_str!("../../migrations/postgres/0011_reorganisation.sql"),
    ),
    (
        12,
        "campaigns",
        include_str!("../../migrations/sqlite/0012_campaigns.sql"),
        include_str!("../../migrations/postgres/0012_campaigns.sql"),
    ),
    (
        13,
        "hold_level",
        include_str!("../../migrations/sqlite/0013_hold_level.sql"),
        include_str!("../../migrations/postgres/0013_hold_level.sql"),
    ),
    (
        14,
        "outbox_links",
        include_str!("../../migrations/sqlite/0014_outbox_links.sql"),
        include_str!("../../migrations/postgres/0014_outbox_links.sql"),
    ),
    (
        15,
        "signing_keys",
        include_str!("../../migrations/sqlite/0015_signing_keys.sql"),
        include_str!("../../migrations/postgres/0015_signing_keys.sql"),
    ),
    (
        16,
        "inbox_questions",
        include_str!("../../migrations/sqlite/0016_inbox_questions.sql"),
        include_str!("../../migrations/postgres/0016_inbox_questions.sql"),
    ),
    (
        17,
        "audit_chain",
        include_str!("../../migrations/sqlite/0017_audit_chain.sql"),
        include_str!("../../migrations/postgres/0017_audit_chain.sql"),
    ),
    (
        18,
        "handler_id_sealed",
        include_str!("../../migrations/sqlite/0018_handler_id_sealed.sql"),
        include_str!("../../migrations/postgres/0018_handler_id_sealed.sql"),
    ),
    (
        19,
        "site_filings",
        include_str!("../../migrations/sqlite/0019_site_filings.sql"),
        include_str!("../../migrations/postgres/0019_site_filings.sql"),
    ),
    (
        20,
        "api_keys",
        include_str!("../../migrations/sqlite/0020_api_keys.sql"),
        include_str!("../../migrations/postgres/0020_api_keys.sql"),
    ),
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

pub(super) async fn run(db: &Db) -> StoreResult<()> {
    sqlx::query(CREATE_TABLE).execute(db.pool()).await?;
    for &(version, name, sqlite, postgres) in MIGRATIONS {
        let mut tx = db.begin().await?;
        if db.backend() == Backend::Postgres {
            // Two processes starting together on one database apply each migration once.
            sqlx::query("SELECT pg_advisory_xact_lock(7465346)")
                .execute(&mut *tx)
                .await?;
        }
        let applied = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if applied {
            tx.rollback().await?;
            continue;
        }
        let text = match db.backend() {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        sqlx::raw_sql(text).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(version)
        .bind(name)
        .bind(chrono::Utc::now().timestamp())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version, name, "migration applied");
    }
    Ok(())
}

pub(super) async fn is_current(db: &Db) -> StoreResult<bool> {
    let latest = MIGRATIONS.iter().map(|m| m.0).max().unwrap_or(0);
    let row = sqlx::query("SELECT COUNT(*) AS n FROM schema_migrations WHERE version <= $1")
        .bind(latest)
        .fetch_one(db.pool())
        .await?;
    let applied: i64 = row.try_get("n")?;
    Ok(applied == MIGRATIONS.len() as i64)
}
