//! 网络红页 as stored: each unit's draft and state, its published versions, its images, the
//! change log the page book follows, and what the book, the checker and the console read.

use govsite_core::badge_state::BadgeState;
use govsite_core::ids::{SiteId, UnitId};
use govsite_core::red_page::{RedPageContent, RedPageState};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::changes::ChangeLog;
use super::{Db, StoreResult, stored, stored_json};

/// A unit's red page as its editor needs it.
#[derive(Debug, Clone, Serialize)]
pub struct RedPage {
    pub unit_id: UnitId,
    pub draft: RedPageContent,
    pub state: RedPageState,
    pub state_label: &'static str,
    /// The version that is (or was last) public.
    pub version_id: Option<i64>,
    pub version_number: Option<i64>,
    /// Why its 编办 took it down.
    pub reason: String,
    pub draft_saved_at: i64,
    pub updated_at: i64,
    /// Whether the draft differs from the version that is (or was last) public.
    pub changed_since_publication: bool,
}

const PAGE_COLUMNS: &str = "r.unit_id, r.draft, r.state, r.version_id, r.reason,
    r.draft_saved_at, r.updated_at, v.number AS version_number, v.content AS version_content";

fn page_row(r: &AnyRow) -> StoreResult<RedPage> {
    let unit: i64 = r.try_get("unit_id")?;
    let state: String = r.try_get("state")?;
    let state = stored("red_pages", unit, "state", &state, RedPageState::parse)?;
    let draft: String = r.try_get("draft")?;
    let draft: RedPageContent = stored_json("red_pages", unit, "draft", &draft)?;
    let published: Option<String> = r.try_get("version_content")?;
    let changed = match &published {
        Some(json) => serde_json::from_str::<RedPageContent>(json).ok().as_ref() != Some(&draft),
        None => true,
    };
    Ok(RedPage {
        unit_id: UnitId::new(unit),
        draft,
        state,
        state_label: state.label(),
        version_id: r.try_get("version_id")?,
        version_number: r.try_get("version_number")?,
        reason: r.try_get("reason")?,
        draft_saved_at: r.try_get("draft_saved_at")?,
        updated_at: r.try_get("updated_at")?,
        changed_since_publication: changed,
    })
}

pub async fn find(db: &Db, unit: UnitId) -> StoreResult<Option<RedPage>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAGE_COLUMNS} FROM red_pages r
         LEFT JOIN red_page_versions v ON v.id = r.version_id WHERE r.unit_id = $1"
    )))
    .bind(unit.get())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(page_row).transpose()
}

/// The same inside a transaction (the decision reads what it changes under its lock).
pub async fn find_in(conn: &mut AnyConnection, unit: UnitId) -> StoreResult<Option<RedPage>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {PAGE_COLUMNS} FROM red_pages r
         LEFT JOIN red_page_versions v ON v.id = r.version_id WHERE r.unit_id = $1"
    )))
    .bind(unit.get())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(page_row).transpose()
}

fn json(content: &RedPageContent) -> String {
    serde_json::to_string(content).unwrap_or_default()
}

pub async fn create(
    conn: &mut AnyConnection,
    unit: UnitId,
    draft: &RedPageContent,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO red_pages (unit_id, draft, state, draft_saved_at, updated_at)
         VALUES ($1, $2, 'draft', $3, $3)",
    )
    .bind(unit.get())
    .bind(json(draft))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn save_draft(
    conn: &mut AnyConnection,
    unit: UnitId,
    draft: &RedPageContent,
    now: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE red_pages SET draft = $1, draft_saved_at = $2 WHERE unit_id = $3")
        .bind(json(draft))
        .bind(now)
        .bind(unit.get())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Stores `content` as the unit's next version; returns its id and number.
pub async fn insert_version(
    conn: &mut AnyConnection,
    unit: UnitId,
    content: &RedPageContent,
    note: &str,
    by: &str,
    now: i64,
) -> StoreResult<(i64, i64)> {
    let number: i64 = sqlx::query(
        "SELECT CAST(COALESCE(MAX(number), 0) + 1 AS BIGINT) AS n FROM red_page_versions
         WHERE unit_id = $1",
    )
    .bind(unit.get())
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    let id: i64 = sqlx::query(
        "INSERT INTO red_page_versions (unit_id, number, content, note, published_by, published_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(unit.get())
    .bind(number)
    .bind(json(content))
    .bind(note)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    Ok((id, number))
}

/// Moves the page from `from` to `to` (and to `version` when given); false when it was no
/// longer in `from` (someone else acted first).
#[allow(clippy::too_many_arguments)]
pub async fn set_state(
    conn: &mut AnyConnection,
    unit: UnitId,
    from: RedPageState,
    to: RedPageState,
    version: Option<i64>,
    reason: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE red_pages SET state = $1, version_id = COALESCE($2, version_id), reason = $3,
                updated_at = $4
         WHERE unit_id = $5 AND state = $6",
    )
    .bind(to.as_str())
    .bind(version)
    .bind(reason)
    .bind(now)
    .bind(unit.get())
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One publication as the version list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub id: i64,
    pub number: i64,
    pub note: String,
    pub published_by: String,
    pub published_at: i64,
}

pub async fn versions(db: &Db, unit: UnitId) -> StoreResult<Vec<Version>> {
    let rows = sqlx::query(
        "SELECT id, number, note, published_by, published_at FROM red_page_versions
         WHERE unit_id = $1 ORDER BY number DESC",
    )
    .bind(unit.get())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Version {
                id: r.try_get("id")?,
                number: r.try_get("number")?,
                note: r.try_get("note")?,
                published_by: r.try_get("published_by")?,
                published_at: r.try_get("published_at")?,
            })
        })
        .collect()
}

/// Version `id` of `unit` (another unit's version is `None`, like one that does not exist).
pub async fn version_in(
    conn: &mut AnyConnection,
    unit: UnitId,
    id: i64,
) -> StoreResult<Option<(i64, RedPageContent)>> {
    let row =
        sqlx::query("SELECT number, content FROM red_page_versions WHERE id = $1 AND unit_id = $2")
            .bind(id)
            .bind(unit.get())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(r) = row else { return Ok(None) };
    let content: String = r.try_get("content")?;
    Ok(Some((
        r.try_get("number")?,
        stored_json("red_page_versions", id, "content", &content)?,
    )))
}

/// A checked image, ready to store.
pub struct NewImage<'a> {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub bytes: &'a [u8],
    pub sha256: &'a str,
}

pub async fn insert_image(
    conn: &mut AnyConnection,
    unit: UnitId,
    image: &NewImage<'_>,
    now: i64,
) -> StoreResult<i64> {
    Ok(sqlx::query(
        "INSERT INTO red_page_images (unit_id, content_type, width, height, bytes, sha256, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(unit.get())
    .bind(image.content_type)
    .bind(i64::from(image.width))
    .bind(i64::from(image.height))
    .bind(image.bytes.to_vec())
    .bind(image.sha256)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?)
}

/// A stored image.
#[derive(Debug, Clone)]
pub struct Image {
    pub unit_id: UnitId,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

pub async fn image(db: &Db, id: i64) -> StoreResult<Option<Image>> {
    let row = sqlx::query(
        "SELECT unit_id, content_type, bytes, sha256 FROM red_page_images WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| {
        Ok(Image {
            unit_id: UnitId::new(r.try_get("unit_id")?),
            content_type: r.try_get("content_type")?,
            bytes: r.try_get("bytes")?,
            sha256: r.try_get("sha256")?,
        })
    })
    .transpose()
}

/// Whether image `id` is one of `unit`'s.
pub async fn image_of_unit(conn: &mut AnyConnection, unit: UnitId, id: i64) -> StoreResult<bool> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM red_page_images WHERE id = $1 AND unit_id = $2")
            .bind(id)
            .bind(unit.get())
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

/// The unit's open red-page site and its badge, if it has one.
#[derive(Debug, Clone)]
pub struct RedPageSite {
    pub site_id: SiteId,
    pub name: String,
    pub badge_code: String,
    pub badge_state: BadgeState,
    pub mount_due: String,
}

fn site_row(r: &AnyRow) -> StoreResult<RedPageSite> {
    let id: i64 = r.try_get("id")?;
    Ok(RedPageSite {
        site_id: SiteId::new(id),
        name: r.try_get("name")?,
        badge_code: r.try_get("badge_code")?,
        badge_state: super::stored_badge_state(id, &r.try_get::<String, _>("badge_state")?)?,
        mount_due: r.try_get("mount_due")?,
    })
}

const SITE_QUERY: &str = "SELECT id, name, badge_code, badge_state, mount_due FROM sites
     WHERE unit_id = $1 AND red_page = 1 AND closed_at IS NULL ORDER BY id";

pub async fn site_in(conn: &mut AnyConnection, unit: UnitId) -> StoreResult<Option<RedPageSite>> {
    let row = sqlx::query(SITE_QUERY)
        .bind(unit.get())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(site_row).transpose()
}

pub async fn site(db: &Db, unit: UnitId) -> StoreResult<Option<RedPageSite>> {
    let row = sqlx::query(SITE_QUERY)
        .bind(unit.get())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(site_row).transpose()
}

/// Moves a red-page site's badge from `from` to `to` with its mount deadline (empty: none
/// while the page carries the badge). False when the badge is no longer in `from` or the
/// site closed meanwhile (a suspension or a revocation committed first always stands).
pub async fn set_badge(
    conn: &mut AnyConnection,
    site: SiteId,
    from: BadgeState,
    to: BadgeState,
    mount_due: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE sites SET badge_state = $1, mount_due = $2, updated_at = $3
         WHERE id = $4 AND badge_state = $5 AND closed_at IS NULL",
    )
    .bind(to.as_str())
    .bind(mount_due)
    .bind(now)
    .bind(site.get())
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `unit`'s red page is public now, read inside a transaction.
pub async fn is_published_in(conn: &mut AnyConnection, unit: UnitId) -> StoreResult<bool> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM red_pages WHERE unit_id = $1 AND state = 'published'")
            .bind(unit.get())
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

/// Takes the unit's red page row for this transaction (creating it from `initial` when it
/// does not exist yet), so that concurrent edits, publications and version numbers of one
/// unit happen one after the other on PostgreSQL too (SQLite writers already take turns).
pub async fn lock(
    conn: &mut AnyConnection,
    unit: UnitId,
    initial: &RedPageContent,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO red_pages (unit_id, draft, state, draft_saved_at, updated_at)
         VALUES ($1, $2, 'draft', $3, $3) ON CONFLICT (unit_id) DO NOTHING",
    )
    .bind(unit.get())
    .bind(json(initial))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    lock_existing(conn, unit).await?;
    Ok(())
}

/// Takes an existing red page row for this transaction; false when the unit has none.
pub async fn lock_existing(conn: &mut AnyConnection, unit: UnitId) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE red_pages SET unit_id = unit_id WHERE unit_id = $1")
        .bind(unit.get())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `unit`'s red page is public now.
pub async fn is_published(db: &Db, unit: UnitId) -> StoreResult<bool> {
    Ok(
        sqlx::query("SELECT 1 AS one FROM red_pages WHERE unit_id = $1 AND state = 'published'")
            .bind(unit.get())
            .fetch_optional(db.pool())
            .await?
            .is_some(),
    )
}

/// A published red page with what the public pages need: where it is found and its badge.
#[derive(Debug, Clone)]
pub struct Published {
    pub unit_id: UnitId,
    pub version_id: i64,
    pub content: RedPageContent,
    pub public_institution: bool,
    /// The unit's 用户账号.
    pub login: String,
    /// The unit's live Chinese names (ACE), oldest first.
    pub names: Vec<String>,
    /// The open red-page site's badge code and state, if one is issued.
    pub badge: Option<(String, BadgeState)>,
}

/// Every published red page (`unit`: just that unit's), with names, login and badge.
pub async fn published(db: &Db, unit: Option<UnitId>) -> StoreResult<Vec<Published>> {
    let unit = unit.map(UnitId::get);
    let rows = sqlx::query(
        "SELECT r.unit_id, r.version_id, v.content, u.org_type FROM red_pages r
         JOIN red_page_versions v ON v.id = r.version_id JOIN units u ON u.id = r.unit_id
         WHERE r.state = 'published' AND ($1 IS NULL OR r.unit_id = $1) ORDER BY r.unit_id",
    )
    .bind(unit)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut index = std::collections::HashMap::new();
    for r in &rows {
        let version_id: i64 = r.try_get("version_id")?;
        let content: String = r.try_get("content")?;
        let content = match stored_json("red_page_versions", version_id, "content", &content) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "red page left out");
                continue;
            }
        };
        let unit_id = UnitId::new(r.try_get("unit_id")?);
        index.insert(unit_id.get(), out.len());
        out.push(Published {
            unit_id,
            version_id,
            content,
            public_institution: r.try_get::<String, _>("org_type")? == "public_institution",
            login: String::new(),
            names: Vec::new(),
            badge: None,
        });
    }
    let names = sqlx::query(
        "SELECT d.unit_id, d.ace FROM domains d JOIN red_pages r ON r.unit_id = d.unit_id
         WHERE r.state = 'published' AND ($1 IS NULL OR d.unit_id = $1)
           AND d.state IN ('active', 'expired') AND d.variant_of IS NULL ORDER BY d.id",
    )
    .bind(unit)
    .fetch_all(db.pool())
    .await?;
    for r in &names {
        if let Some(i) = index.get(&r.try_get::<i64, _>("unit_id")?) {
            out[*i].names.push(r.try_get("ace")?);
        }
    }
    let logins = sqlx::query(
        "SELECT a.unit_id, a.username FROM accounts a JOIN red_pages r ON r.unit_id = a.unit_id
         WHERE r.state = 'published' AND ($1 IS NULL OR a.unit_id = $1) ORDER BY a.id",
    )
    .bind(unit)
    .fetch_all(db.pool())
    .await?;
    for r in &logins {
        if let Some(i) = index.get(&r.try_get::<i64, _>("unit_id")?)
            && out[*i].login.is_empty()
        {
            out[*i].login = r.try_get("username")?;
        }
    }
    let sites = sqlx::query(
        "SELECT s.id, s.unit_id, s.badge_code, s.badge_state FROM sites s
         JOIN red_pages r ON r.unit_id = s.unit_id
         WHERE r.state = 'published' AND ($1 IS NULL OR s.unit_id = $1)
           AND s.red_page = 1 AND s.closed_at IS NULL ORDER BY s.id",
    )
    .bind(unit)
    .fetch_all(db.pool())
    .await?;
    for r in &sites {
        let id: i64 = r.try_get("id")?;
        if let Some(i) = index.get(&r.try_get::<i64, _>("unit_id")?)
            && out[*i].badge.is_none()
        {
            let state = super::stored_badge_state(id, &r.try_get::<String, _>("badge_state")?)?;
            out[*i].badge = Some((r.try_get("badge_code")?, state));
        }
    }
    Ok(out)
}

/// The slug of `unit`'s red page: its first live Chinese name (Unicode), else its 用户账号.
/// The page book chooses the same way.
pub async fn slug(db: &Db, unit: UnitId) -> StoreResult<Option<String>> {
    let name = sqlx::query(
        "SELECT ace FROM domains WHERE unit_id = $1 AND state IN ('active', 'expired')
           AND variant_of IS NULL ORDER BY id LIMIT 1",
    )
    .bind(unit.get())
    .fetch_optional(db.pool())
    .await?;
    if let Some(r) = name {
        let ace: String = r.try_get("ace")?;
        return Ok(Some(idna::domain_to_unicode(&ace).0));
    }
    let login = sqlx::query("SELECT username FROM accounts WHERE unit_id = $1 ORDER BY id LIMIT 1")
        .bind(unit.get())
        .fetch_optional(db.pool())
        .await?;
    login
        .map(|r| r.try_get("username"))
        .transpose()
        .map_err(Into::into)
}

/// `red_page_changes`: one row per change of what a unit's red page shows or where.
#[derive(Debug)]
pub struct RedPageChanges;

impl ChangeLog for RedPageChanges {
    const TABLE: &'static str = "red_page_changes";
    const COLUMNS: &'static str = "unit_id";
    const BATCH: i64 = 5_000;
    type Change = UnitId;

    fn parse(_id: i64, r: &AnyRow) -> Result<Option<UnitId>, sqlx::Error> {
        Ok(Some(UnitId::new(r.try_get("unit_id")?)))
    }
}

pub async fn prune_changes(db: &Db, before: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM red_page_changes WHERE at < $1")
        .bind(before)
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// One red page in the 编办's list.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleRow {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub state: RedPageState,
    pub state_label: &'static str,
    pub version_number: Option<i64>,
    pub published_at: Option<i64>,
    pub reason: String,
    pub badge_code: String,
}

/// The red pages of one region (or all) that were ever published or are being written.
pub async fn list(db: &Db, region: Option<i64>) -> StoreResult<Vec<ConsoleRow>> {
    let rows = sqlx::query(
        "SELECT r.unit_id, u.name, r.state, r.reason, v.number, v.published_at,
                COALESCE((SELECT s.badge_code FROM sites s WHERE s.unit_id = r.unit_id
                          AND s.red_page = 1 AND s.closed_at IS NULL ORDER BY s.id LIMIT 1), '') AS badge_code
         FROM red_pages r JOIN units u ON u.id = r.unit_id
         LEFT JOIN red_page_versions v ON v.id = r.version_id
         WHERE ($1 IS NULL OR u.region_code = $1) ORDER BY r.updated_at DESC, r.unit_id
         LIMIT 1000",
    )
    .bind(region)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let unit: i64 = r.try_get("unit_id")?;
            let state: String = r.try_get("state")?;
            let state = stored("red_pages", unit, "state", &state, RedPageState::parse)?;
            Ok(ConsoleRow {
                unit_id: UnitId::new(unit),
                unit_name: r.try_get("name")?,
                state,
                state_label: state.label(),
                version_number: r.try_get("number")?,
                published_at: r.try_get("published_at")?,
                reason: r.try_get("reason")?,
                badge_code: r.try_get("badge_code")?,
            })
        })
        .collect()
}
