//! SQL of 专项工作: campaigns and their milestones, each unit's progress (computed in SQL so
//! lists filter and page at scale), the reminders sent, the proposals to stop resolution and
//! their decisions, the English-domain requests, and the daily counts.

use govsite_core::campaign::{
    Campaign, Consequence, Milestone, MilestoneKind, OrgScope, UnitProgress,
};
use govsite_core::ids::{OfficeId, UnitId};
use govsite_core::paging::{PageInfo, PageRequest};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Db, StoreResult};

/// A unit's name ladder: 未注册域名, 域名已过期 (or held), 域名正常.
const DOMAIN_STATUS: &str = "CASE
    WHEN EXISTS (SELECT 1 FROM domains d WHERE d.unit_id = u.id AND d.variant_of IS NULL
                 AND d.state = 'active' AND d.held = 0) THEN 'registered'
    WHEN EXISTS (SELECT 1 FROM domains d WHERE d.unit_id = u.id AND d.variant_of IS NULL
                 AND d.state <> 'deleted') THEN 'expired'
    ELSE 'unregistered' END";

/// A unit's site ladder, the furthest of its open sites and applications.
const SITE_STATUS: &str = "CASE
    WHEN EXISTS (SELECT 1 FROM sites s WHERE s.unit_id = u.id AND s.closed_at IS NULL
                 AND s.badge_state = 'mounted') THEN 'mounted'
    WHEN EXISTS (SELECT 1 FROM sites s WHERE s.unit_id = u.id AND s.closed_at IS NULL
                 AND s.badge_state IN ('overdue', 'suspended')) THEN 'overdue'
    WHEN EXISTS (SELECT 1 FROM sites s WHERE s.unit_id = u.id AND s.closed_at IS NULL
                 AND s.badge_state = 'issued') THEN 'issued'
    WHEN EXISTS (SELECT 1 FROM site_applications a WHERE a.unit_id = u.id
                 AND a.state = 'awaiting_paper') THEN 'awaiting_paper'
    WHEN EXISTS (SELECT 1 FROM site_applications a WHERE a.unit_id = u.id
                 AND a.state IN ('submitted', 'office_approved', 'registry_approved')) THEN 'in_review'
    WHEN EXISTS (SELECT 1 FROM site_applications a WHERE a.unit_id = u.id
                 AND a.state IN ('office_rejected', 'registry_rejected')) THEN 'returned'
    ELSE 'not_applied' END";

fn status_sql(kind: MilestoneKind) -> &'static str {
    match kind {
        MilestoneKind::Domain => DOMAIN_STATUS,
        _ => SITE_STATUS,
    }
}

/// The statuses meeting `kind`, as an SQL list of constants.
fn met_list(kind: MilestoneKind) -> String {
    UnitProgress::of(kind)
        .iter()
        .filter(|p| kind.met_by(**p))
        .map(|p| format!("'{}'", p.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The units a campaign covers (`u`): active, in its area, of its organisation types.
fn scope_sql(c: &CampaignRow) -> String {
    let (lo, hi) = c.area();
    let types = match OrgScope::parse(&c.org_scope) {
        Some(OrgScope::Government) => {
            " AND u.org_type IN ('party', 'congress', 'government', 'cppcc', 'court', \
             'procuratorate', 'democratic_party', 'mass_organization')"
        }
        Some(OrgScope::PublicInstitution) => " AND u.org_type = 'public_institution'",
        _ => "",
    };
    // Integers and constants of ours only.
    format!("u.status = 'active' AND u.region_code BETWEEN {lo} AND {hi}{types}")
}

#[derive(Debug, Clone, Serialize)]
pub struct MilestoneRow {
    pub id: i64,
    pub kind: MilestoneKind,
    pub kind_label: &'static str,
    pub due_on: String,
    pub consequence: Consequence,
    pub consequence_label: &'static str,
    /// When the proposals for a missed milestone were made (once).
    pub proposed_at: Option<i64>,
}

impl MilestoneRow {
    pub fn milestone(&self) -> Option<Milestone> {
        Some(Milestone {
            kind: self.kind,
            due_on: chrono::NaiveDate::parse_from_str(&self.due_on, "%Y-%m-%d").ok()?,
            consequence: self.consequence,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignRow {
    pub id: i64,
    pub office_id: Option<OfficeId>,
    pub region_code: i64,
    pub region_name: String,
    pub org_scope: String,
    pub org_scope_label: &'static str,
    pub title: String,
    pub doc_number: String,
    pub starts_on: String,
    pub remind_days: String,
    pub state: String,
    pub created_by: String,
    pub published_at: Option<i64>,
    pub milestones: Vec<MilestoneRow>,
}

impl CampaignRow {
    pub fn area(&self) -> (i64, i64) {
        govsite_core::region::RegionCode::from_i64(self.region_code)
            .map_or((self.region_code, self.region_code), |r| r.area())
    }

    pub fn remind_days(&self) -> Vec<u32> {
        self.remind_days
            .split(',')
            .filter_map(|d| d.trim().parse().ok())
            .collect()
    }

    pub fn published(&self) -> bool {
        self.state == "published"
    }
}

const CAMPAIGN_COLUMNS: &str = "c.id, c.office_id, c.region_code, r.name AS region_name,
    c.org_scope, c.title, c.doc_number, c.starts_on, c.remind_days, c.state, c.created_by,
    c.published_at";

fn campaign_row(r: &AnyRow) -> StoreResult<CampaignRow> {
    let org_scope: String = r.try_get("org_scope")?;
    Ok(CampaignRow {
        id: r.try_get("id")?,
        office_id: r.try_get::<Option<i64>, _>("office_id")?.map(OfficeId::new),
        region_code: r.try_get("region_code")?,
        region_name: r.try_get("region_name")?,
        org_scope_label: OrgScope::parse(&org_scope).map_or("", OrgScope::label),
        org_scope,
        title: r.try_get("title")?,
        doc_number: r.try_get("doc_number")?,
        starts_on: r.try_get("starts_on")?,
        remind_days: r.try_get("remind_days")?,
        state: r.try_get("state")?,
        created_by: r.try_get("created_by")?,
        published_at: r.try_get("published_at")?,
        milestones: Vec::new(),
    })
}

async fn milestones_of(db: &Db, campaign: i64) -> StoreResult<Vec<MilestoneRow>> {
    let rows = sqlx::query(
        "SELECT id, kind, due_on, consequence, proposed_at FROM campaign_milestones
         WHERE campaign_id = $1 ORDER BY due_on, id",
    )
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let kind = super::stored(
            "campaign_milestones",
            id,
            "kind",
            &r.try_get::<String, _>("kind")?,
            MilestoneKind::parse,
        )?;
        let consequence = super::stored(
            "campaign_milestones",
            id,
            "consequence",
            &r.try_get::<String, _>("consequence")?,
            Consequence::parse,
        )?;
        out.push(MilestoneRow {
            id,
            kind,
            kind_label: kind.label(),
            due_on: r.try_get("due_on")?,
            consequence,
            consequence_label: consequence.label(),
            proposed_at: r.try_get("proposed_at")?,
        });
    }
    Ok(out)
}

pub async fn find(db: &Db, id: i64) -> StoreResult<Option<CampaignRow>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c JOIN regions r ON r.code = c.region_code
         WHERE c.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut c = campaign_row(&row)?;
    c.milestones = milestones_of(db, c.id).await?;
    Ok(Some(c))
}

/// The campaigns a viewer sees: for an office (`region` its code), its own and the published
/// ones covering its region; for the registry (`None`), all.
pub async fn visible(db: &Db, office: Option<(OfficeId, i64)>) -> StoreResult<Vec<CampaignRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {CAMPAIGN_COLUMNS} FROM campaigns c JOIN regions r ON r.code = c.region_code
         WHERE $1 IS NULL OR c.office_id = $1
            OR (c.state = 'published' AND $2 BETWEEN c.region_code AND c.region_code +
                CASE WHEN c.region_code % 10000 = 0 THEN 9999
                     WHEN c.region_code % 100 = 0 THEN 99 ELSE 0 END)
         ORDER BY c.id DESC"
    )))
    .bind(office.map(|(o, _)| o.get()))
    .bind(office.map(|(_, r)| r))
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let mut c = campaign_row(r)?;
        c.milestones = milestones_of(db, c.id).await?;
        out.push(c);
    }
    Ok(out)
}

/// The published campaigns covering a unit.
pub async fn for_unit(db: &Db, unit: UnitId) -> StoreResult<Vec<CampaignRow>> {
    let mut out = Vec::new();
    for c in visible(db, None).await? {
        if !c.published() {
            continue;
        }
        let sql = format!(
            "SELECT 1 AS one FROM units u WHERE u.id = $1 AND {}",
            scope_sql(&c)
        );
        if sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(unit.get())
            .fetch_optional(db.pool())
            .await?
            .is_some()
        {
            out.push(c);
        }
    }
    Ok(out)
}

/// A new draft campaign; returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    office: Option<OfficeId>,
    c: &Campaign,
    by: &str,
    now: i64,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query(
        "INSERT INTO campaigns (office_id, region_code, org_scope, title, doc_number, starts_on,
                                remind_days, state, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9, $9) RETURNING id",
    )
    .bind(office.map(|o| o.get()))
    .bind(i64::from(c.region.value()))
    .bind(c.org_scope.as_str())
    .bind(&c.title)
    .bind(&c.doc_number)
    .bind(c.starts_on.to_string())
    .bind(join_days(&c.remind_days))
    .bind(by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    for m in &c.milestones {
        insert_milestone(conn, id, m).await?;
    }
    Ok(id)
}

fn join_days(days: &[u32]) -> String {
    days.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

async fn insert_milestone(
    conn: &mut AnyConnection,
    campaign: i64,
    m: &Milestone,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO campaign_milestones (campaign_id, kind, due_on, consequence)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(campaign)
    .bind(m.kind.as_str())
    .bind(m.due_on.to_string())
    .bind(m.consequence.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Rewrites a campaign's fields and milestones. A draft's milestones are replaced; a
/// published one's are updated in place (the caller checked they only moved later).
pub async fn update(conn: &mut AnyConnection, id: i64, c: &Campaign, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE campaigns SET region_code = $1, org_scope = $2, title = $3, doc_number = $4,
                starts_on = $5, remind_days = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(i64::from(c.region.value()))
    .bind(c.org_scope.as_str())
    .bind(&c.title)
    .bind(&c.doc_number)
    .bind(c.starts_on.to_string())
    .bind(join_days(&c.remind_days))
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    for m in &c.milestones {
        let done = sqlx::query(
            "UPDATE campaign_milestones SET due_on = $1, consequence = $2
             WHERE campaign_id = $3 AND kind = $4",
        )
        .bind(m.due_on.to_string())
        .bind(m.consequence.as_str())
        .bind(id)
        .bind(m.kind.as_str())
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            insert_milestone(conn, id, m).await?;
        }
    }
    let kinds: Vec<String> = c
        .milestones
        .iter()
        .map(|m| format!("'{}'", m.kind.as_str()))
        .collect();
    // Constants of ours; only a draft can lose a milestone (the caller checks).
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM campaign_milestones WHERE campaign_id = $1 AND kind NOT IN ({})",
        if kinds.is_empty() {
            "''".to_owned()
        } else {
            kinds.join(", ")
        }
    )))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Publishes a draft; false when it was not a draft any more.
pub async fn publish(conn: &mut AnyConnection, id: i64, now: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE campaigns SET state = 'published', published_at = $1, updated_at = $1
         WHERE id = $2 AND state = 'draft'",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One unit's progress in a campaign.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressRow {
    pub unit_id: UnitId,
    pub name: String,
    pub credit_code: String,
    pub region_name: String,
    pub domain: UnitProgress,
    pub domain_label: &'static str,
    pub site: UnitProgress,
    pub site_label: &'static str,
}

fn progress_row(r: &AnyRow) -> StoreResult<ProgressRow> {
    let id: i64 = r.try_get("id")?;
    let domain = super::stored(
        "units",
        id,
        "domain progress",
        &r.try_get::<String, _>("domain_status")?,
        UnitProgress::parse,
    )?;
    let site = super::stored(
        "units",
        id,
        "site progress",
        &r.try_get::<String, _>("site_status")?,
        UnitProgress::parse,
    )?;
    Ok(ProgressRow {
        unit_id: UnitId::new(id),
        name: r.try_get("name")?,
        credit_code: r.try_get("credit_code")?,
        region_name: r.try_get("region_name")?,
        domain,
        domain_label: domain.label(),
        site,
        site_label: site.label(),
    })
}

/// What the progress list shows: one milestone's status (or none: everyone), met or not,
/// a search over the unit's name and credit code.
#[derive(Debug, Clone, Default)]
pub struct ProgressFilter {
    pub kind: Option<MilestoneKind>,
    pub status: Option<UnitProgress>,
    /// Only units that have not met `kind`.
    pub missing: bool,
    pub q: String,
}

impl ProgressFilter {
    fn clause(&self, c: &CampaignRow) -> String {
        let mut sql = scope_sql(c);
        if let Some(kind) = self.kind {
            let status = status_sql(kind);
            if let Some(s) = self.status {
                sql.push_str(&format!(" AND ({status}) = '{}'", s.as_str()));
            }
            if self.missing {
                sql.push_str(&format!(" AND ({status}) NOT IN ({})", met_list(kind)));
            }
        }
        sql.push_str(
            " AND ($1 = '' OR LOWER(u.name) LIKE LOWER($2) ESCAPE '\\' OR UPPER(u.credit_code) LIKE UPPER($2) ESCAPE '\\')",
        );
        sql
    }
}

/// One keyset page of a campaign's units with their progress, newest unit first.
pub async fn progress_page(
    db: &Db,
    c: &CampaignRow,
    f: &ProgressFilter,
    request: PageRequest,
    per_page: u32,
    from_page: u32,
) -> StoreResult<(Vec<ProgressRow>, PageInfo)> {
    let clause = f.clause(c);
    let pattern = format!("%{}%", super::units::escape_like(f.q.trim()));
    let total: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) AS n FROM units u WHERE {clause}"
    )))
    .bind(f.q.trim())
    .bind(&pattern)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    let plan = request.plan("u.id", per_page, total);
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT u.id, u.name, u.credit_code, r.name AS region_name,
                {DOMAIN_STATUS} AS domain_status, {SITE_STATUS} AS site_status
         FROM units u JOIN regions r ON r.code = u.region_code
         WHERE {clause} AND {} ORDER BY u.id {} LIMIT $3 OFFSET $4",
        plan.condition, plan.order
    )))
    .bind(f.q.trim())
    .bind(&pattern)
    .bind(plan.limit)
    .bind(plan.offset)
    .fetch_all(db.pool())
    .await?;
    let mut items = rows
        .iter()
        .map(progress_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let more = items.len() > per_page as usize;
    items.truncate(per_page as usize);
    if plan.reversed {
        items.reverse();
    }
    let ids: Vec<i64> = items.iter().map(|p| p.unit_id.get()).collect();
    let info = PageInfo::new(request, &ids, more, total, per_page, from_page);
    Ok((items, info))
}

/// Every unit of the filtered progress (at most `cap`), for an export.
pub async fn progress_all(
    db: &Db,
    c: &CampaignRow,
    f: &ProgressFilter,
    cap: i64,
) -> StoreResult<Vec<ProgressRow>> {
    let pattern = format!("%{}%", super::units::escape_like(f.q.trim()));
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT u.id, u.name, u.credit_code, r.name AS region_name,
                {DOMAIN_STATUS} AS domain_status, {SITE_STATUS} AS site_status
         FROM units u JOIN regions r ON r.code = u.region_code
         WHERE {} ORDER BY u.region_code, u.id LIMIT $3",
        f.clause(c)
    )))
    .bind(f.q.trim())
    .bind(&pattern)
    .bind(cap)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(progress_row).collect()
}

/// How many of the campaign's units stand at each status of `kind`.
pub async fn counts(
    db: &Db,
    c: &CampaignRow,
    kind: MilestoneKind,
) -> StoreResult<Vec<(UnitProgress, i64)>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT st, COUNT(*) AS n FROM (SELECT {} AS st FROM units u WHERE {}) x GROUP BY st",
        status_sql(kind),
        scope_sql(c)
    )))
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        if let Some(p) = UnitProgress::parse(&r.try_get::<String, _>("st")?) {
            out.push((p, r.try_get("n")?));
        }
    }
    out.sort_by_key(|(p, _)| UnitProgress::ALL.iter().position(|x| x == p));
    Ok(out)
}

/// The campaign's units that have not met `kind`, with their handler's contacts.
pub async fn missing(
    conn: &mut AnyConnection,
    c: &CampaignRow,
    kind: MilestoneKind,
) -> StoreResult<Vec<UnitId>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT u.id FROM units u WHERE {} AND ({}) NOT IN ({}) ORDER BY u.id",
        scope_sql(c),
        status_sql(kind),
        met_list(kind)
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok(UnitId::new(r.try_get("id")?)))
        .collect()
}

/// Whether `unit` now meets `kind` (a proposal is refused for a unit that caught up).
pub async fn meets(
    conn: &mut AnyConnection,
    unit: UnitId,
    kind: MilestoneKind,
) -> StoreResult<bool> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} AS st FROM units u WHERE u.id = $1",
        status_sql(kind)
    )))
    .bind(unit.get())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => {
            UnitProgress::parse(&r.try_get::<String, _>("st")?).is_some_and(|p| kind.met_by(p))
        }
        None => false,
    })
}

/// Records a reminder for (milestone, unit, days); false when it was sent already.
pub async fn record_reminder(
    conn: &mut AnyConnection,
    milestone: i64,
    unit: UnitId,
    days: u32,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO campaign_reminders (milestone_id, unit_id, days_before, sent_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(milestone)
    .bind(unit.get())
    .bind(i64::from(days))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a milestone's proposals made; false when they were made already.
pub async fn mark_proposed(
    conn: &mut AnyConnection,
    milestone: i64,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE campaign_milestones SET proposed_at = $1 WHERE id = $2 AND proposed_at IS NULL",
    )
    .bind(now)
    .bind(milestone)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A proposal to stop a unit's resolution for a missed milestone (once per pair).
pub async fn propose(
    conn: &mut AnyConnection,
    milestone: i64,
    unit: UnitId,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO campaign_enforcements (milestone_id, unit_id, state, created_at)
         VALUES ($1, $2, 'proposed', $3) ON CONFLICT DO NOTHING",
    )
    .bind(milestone)
    .bind(unit.get())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A proposal, confirmed stop, or restoration of one unit in a campaign.
#[derive(Debug, Clone, Serialize)]
pub struct Enforcement {
    pub id: i64,
    pub milestone_id: i64,
    pub kind: MilestoneKind,
    pub kind_label: &'static str,
    pub due_on: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub state: String,
    pub state_label: &'static str,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: Option<i64>,
}

/// Every state of an enforcement, in the order a report lists them.
pub const ENFORCEMENT_STATES: [&str; 6] = [
    "proposed",
    "confirmed",
    "dismissed",
    "restore_proposed",
    "restored",
    "withdrawn",
];

pub fn enforcement_label(state: &str) -> &'static str {
    match state {
        "proposed" => "待确认停止解析",
        "confirmed" => "已停止解析",
        "dismissed" => "已不予停止",
        "restore_proposed" => "已整改，待恢复解析",
        "restored" => "已恢复解析",
        "withdrawn" => "已达标，提请撤回",
        _ => "未知",
    }
}

fn enforcement_row(r: &AnyRow) -> StoreResult<Enforcement> {
    let id: i64 = r.try_get("id")?;
    let kind = super::stored(
        "campaign_milestones",
        id,
        "kind",
        &r.try_get::<String, _>("kind")?,
        MilestoneKind::parse,
    )?;
    let state: String = r.try_get("state")?;
    Ok(Enforcement {
        id,
        milestone_id: r.try_get("milestone_id")?,
        kind,
        kind_label: kind.label(),
        due_on: r.try_get("due_on")?,
        unit_id: UnitId::new(r.try_get("unit_id")?),
        unit_name: r.try_get("unit_name")?,
        state_label: enforcement_label(&state),
        state,
        reason: r.try_get("reason")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
    })
}

const ENFORCEMENT_SELECT: &str = "SELECT e.id, e.milestone_id, m.kind, m.due_on, e.unit_id,
        u.name AS unit_name, e.state, e.reason, e.decided_by, e.decided_at
    FROM campaign_enforcements e JOIN campaign_milestones m ON m.id = e.milestone_id
    JOIN units u ON u.id = e.unit_id";

/// A campaign's proposals and decisions, the open ones first.
pub async fn enforcements(db: &Db, campaign: i64) -> StoreResult<Vec<Enforcement>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{ENFORCEMENT_SELECT} WHERE m.campaign_id = $1
         ORDER BY CASE e.state WHEN 'proposed' THEN 0 WHEN 'restore_proposed' THEN 1 ELSE 2 END, e.id"
    )))
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(enforcement_row).collect()
}

pub async fn enforcement(db: &Db, id: i64) -> StoreResult<Option<(i64, Enforcement)>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{ENFORCEMENT_SELECT} WHERE e.id = $1"
    )))
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let e = enforcement_row(&r)?;
    let campaign: i64 = sqlx::query("SELECT campaign_id FROM campaign_milestones WHERE id = $1")
        .bind(e.milestone_id)
        .fetch_one(db.pool())
        .await?
        .try_get("campaign_id")?;
    Ok(Some((campaign, e)))
}

/// Moves a proposal from `from` to `to`; false when someone else moved it first.
pub async fn decide(
    conn: &mut AnyConnection,
    id: i64,
    from: &str,
    to: &str,
    by: &str,
    reason: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE campaign_enforcements SET state = $1, decided_by = $2, reason = $3, decided_at = $4
         WHERE id = $5 AND state = $6",
    )
    .bind(to)
    .bind(by)
    .bind(reason)
    .bind(now)
    .bind(id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Confirmed stops whose unit now meets its milestone: restoration is proposed.
pub async fn confirmed(conn: &mut AnyConnection) -> StoreResult<Vec<(i64, UnitId, MilestoneKind)>> {
    let rows = sqlx::query(
        "SELECT e.id, e.unit_id, m.kind FROM campaign_enforcements e
         JOIN campaign_milestones m ON m.id = e.milestone_id WHERE e.state = 'confirmed'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        if let Some(kind) = MilestoneKind::parse(&r.try_get::<String, _>("kind")?) {
            out.push((id, UnitId::new(r.try_get("unit_id")?), kind));
        }
    }
    Ok(out)
}

/// The published campaigns, for the worker's pass.
pub async fn published(db: &Db) -> StoreResult<Vec<CampaignRow>> {
    Ok(visible(db, None)
        .await?
        .into_iter()
        .filter(CampaignRow::published)
        .collect())
}

/// A unit's English domains with their site (for the English registry's requests).
/// Whether the unit has a confirmed stop (of any campaign) not yet restored.
pub async fn still_stopped(conn: &mut AnyConnection, unit: UnitId) -> StoreResult<bool> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) FROM campaign_enforcements WHERE unit_id = $1 AND state = 'confirmed'",
    )
    .bind(unit.get())
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(n > 0)
}

/// The unit's English domains with the site each names: those of its open sites, then those
/// declared in its submitted applications (a unit whose application was returned and never
/// corrected still runs the site it applied for). Each domain once.
pub async fn english_domains(
    conn: &mut AnyConnection,
    unit: UnitId,
) -> StoreResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT english_domain, name FROM sites
         WHERE unit_id = $1 AND closed_at IS NULL AND english_domain <> '' ORDER BY id",
    )
    .bind(unit.get())
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<(String, String)> = rows
        .iter()
        .map(|r| Ok((r.try_get("english_domain")?, r.try_get("name")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let applied = sqlx::query(
        "SELECT id, form_json FROM site_applications
         WHERE unit_id = $1 AND state NOT IN ('draft', 'closed') ORDER BY id",
    )
    .bind(unit.get())
    .fetch_all(&mut *conn)
    .await?;
    for r in &applied {
        let id: i64 = r.try_get("id")?;
        let form: govsite_core::site_form::SiteForm = super::stored_json(
            "site_applications",
            id,
            "form_json",
            &r.try_get::<String, _>("form_json")?,
        )?;
        let domain = form
            .english_domain
            .trim()
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_ascii_lowercase();
        if !domain.is_empty() && !out.iter().any(|(d, _)| *d == domain) {
            out.push((domain, form.site_name.trim().to_owned()));
        }
    }
    Ok(out)
}

/// One line of an English-domain request.
#[derive(Debug, Clone, Serialize)]
pub struct EnglishItem {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub english_domain: String,
    pub site_name: String,
    pub reason: String,
}

/// A stop or restore request for the English registry.
#[derive(Debug, Clone, Serialize)]
pub struct EnglishRequest {
    pub id: i64,
    pub campaign_id: i64,
    pub kind: String,
    pub kind_label: &'static str,
    pub state: String,
    pub state_label: &'static str,
    pub created_by: String,
    pub created_at: i64,
    pub items: Vec<EnglishItem>,
}

/// The states a request goes through (待发送 → 已发送 → 已停止 / 已恢复).
pub const ENGLISH_STATES: [(&str, &str); 4] = [
    ("pending", "待发送"),
    ("sent", "已发送"),
    ("stopped", "已停止"),
    ("restored", "已恢复"),
];

fn english_state_label(s: &str) -> &'static str {
    ENGLISH_STATES
        .iter()
        .find(|(k, _)| *k == s)
        .map_or("未知", |(_, l)| *l)
}

pub async fn insert_english(
    conn: &mut AnyConnection,
    campaign: i64,
    kind: &str,
    items: &[EnglishItem],
    by: &str,
    now: i64,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query(
        "INSERT INTO english_requests (campaign_id, kind, state, created_by, created_at, updated_at)
         VALUES ($1, $2, 'pending', $3, $4, $4) RETURNING id",
    )
    .bind(campaign)
    .bind(kind)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    for i in items {
        sqlx::query(
            "INSERT INTO english_request_items (request_id, unit_id, english_domain, site_name, reason)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(i.unit_id.get())
        .bind(&i.english_domain)
        .bind(&i.site_name)
        .bind(&i.reason)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

pub async fn english_requests(db: &Db, campaign: i64) -> StoreResult<Vec<EnglishRequest>> {
    let rows = sqlx::query(
        "SELECT id, campaign_id, kind, state, created_by, created_at FROM english_requests
         WHERE campaign_id = $1 ORDER BY id DESC",
    )
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let kind: String = r.try_get("kind")?;
        let state: String = r.try_get("state")?;
        let items = sqlx::query(
            "SELECT i.unit_id, u.name AS unit_name, i.english_domain, i.site_name, i.reason
             FROM english_request_items i JOIN units u ON u.id = i.unit_id
             WHERE i.request_id = $1 ORDER BY u.name, i.english_domain",
        )
        .bind(id)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|i| {
            Ok(EnglishItem {
                unit_id: UnitId::new(i.try_get("unit_id")?),
                unit_name: i.try_get("unit_name")?,
                english_domain: i.try_get("english_domain")?,
                site_name: i.try_get("site_name")?,
                reason: i.try_get("reason")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        out.push(EnglishRequest {
            id,
            campaign_id: r.try_get("campaign_id")?,
            kind_label: if kind == "stop" {
                "停止解析"
            } else {
                "恢复解析"
            },
            kind,
            state_label: english_state_label(&state),
            state,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            items,
        });
    }
    Ok(out)
}

/// Moves an English request to `to`; false when it was not in `from`.
pub async fn set_english_state(
    conn: &mut AnyConnection,
    id: i64,
    from: &str,
    to: &str,
    now: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE english_requests SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
    )
    .bind(to)
    .bind(now)
    .bind(id)
    .bind(from)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Today's count of units meeting each milestone (kept once a day, for the chart).
pub async fn record_counts(
    conn: &mut AnyConnection,
    campaign: i64,
    day: &str,
    kind: MilestoneKind,
    met: i64,
    total: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO campaign_counts (campaign_id, day, kind, met, total) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (campaign_id, day, kind) DO UPDATE SET met = excluded.met, total = excluded.total",
    )
    .bind(campaign)
    .bind(day)
    .bind(kind.as_str())
    .bind(met)
    .bind(total)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The daily counts of a campaign, oldest first: (day, kind, met, total).
pub async fn history(
    db: &Db,
    campaign: i64,
) -> StoreResult<Vec<(String, MilestoneKind, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT day, kind, met, total FROM campaign_counts WHERE campaign_id = $1 ORDER BY day, kind",
    )
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        if let Some(kind) = MilestoneKind::parse(&r.try_get::<String, _>("kind")?) {
            out.push((
                r.try_get("day")?,
                kind,
                r.try_get("met")?,
                r.try_get("total")?,
            ));
        }
    }
    Ok(out)
}

/// One unit's two ladders (its names, its site), as a campaign reads them.
pub async fn unit_progress(
    db: &Db,
    unit: UnitId,
) -> StoreResult<Option<(UnitProgress, UnitProgress)>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT u.id, {DOMAIN_STATUS} AS domain_status, {SITE_STATUS} AS site_status
         FROM units u WHERE u.id = $1"
    )))
    .bind(unit.get())
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let id = unit.get();
    Ok(Some((
        super::stored(
            "units",
            id,
            "domain progress",
            &r.try_get::<String, _>("domain_status")?,
            UnitProgress::parse,
        )?,
        super::stored(
            "units",
            id,
            "site progress",
            &r.try_get::<String, _>("site_status")?,
            UnitProgress::parse,
        )?,
    )))
}
