//! 专项工作 (campaigns): an office's dated milestones for the units of its area — Chinese name
//! registered and valid by, 开办审核/资格复核 application submitted by, badge mounted (or red
//! page published) by — each with what follows a miss (reminders only, or a proposal to stop
//! resolution). The form's checks, each unit's status per milestone, and when reminders fall.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::WorkingCalendar;
use crate::field_errors::FieldErrors;
use crate::region::RegionCode;

/// What a milestone asks of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneKind {
    /// A Chinese name registered and valid (active, resolving).
    Domain,
    /// A 开办审核 / 资格复核 application submitted (under review or further).
    Application,
    /// The badge mounted (a red page published counts: its badge is mounted while public).
    Badge,
}

impl MilestoneKind {
    pub const ALL: [MilestoneKind; 3] = [Self::Domain, Self::Application, Self::Badge];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Domain => "domain",
            Self::Application => "application",
            Self::Badge => "badge",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Domain => "完成中文域名注册",
            Self::Application => "提交网站开办审核或资格复核申请",
            Self::Badge => "完成网站标识挂载（或发布网络红页）",
        }
    }

    /// (met, total) of per-status counts: how many units met this milestone, of how many.
    pub fn tally(self, counts: &[(UnitProgress, i64)]) -> (i64, i64) {
        let total = counts.iter().map(|(_, n)| n).sum();
        let met = counts
            .iter()
            .filter(|(p, _)| self.met_by(*p))
            .map(|(_, n)| n)
            .sum();
        (met, total)
    }

    /// Whether a unit in `status` has met this milestone.
    pub fn met_by(self, status: UnitProgress) -> bool {
        use UnitProgress::*;
        match self {
            Self::Domain => status == Registered,
            Self::Application => matches!(
                status,
                InReview | AwaitingPaper | Issued | Overdue | Mounted
            ),
            Self::Badge => status == Mounted,
        }
    }
}

/// What follows a missed milestone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Consequence {
    RemindOnly,
    /// Proposals to stop resolution of the unit's names, for the office to confirm.
    StopResolution,
}

impl Consequence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RemindOnly => "remind",
            Self::StopResolution => "stop",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::RemindOnly, Self::StopResolution]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::RemindOnly => "仅提醒",
            Self::StopResolution => "逾期提请停止域名解析",
        }
    }
}

/// Which units a campaign covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgScope {
    All,
    /// 党政机关 (organisation types that register .政务).
    Government,
    /// 事业单位.
    PublicInstitution,
}

impl OrgScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Government => "government",
            Self::PublicInstitution => "public_institution",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::All, Self::Government, Self::PublicInstitution]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "党政机关和事业单位",
            Self::Government => "党政机关",
            Self::PublicInstitution => "事业单位",
        }
    }
}

/// Where a unit stands, as the progress list shows it. Names and sites are two ladders: a
/// Domain milestone reads the first three, the others the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitProgress {
    Unregistered,
    Expired,
    Registered,
    NotApplied,
    Returned,
    InReview,
    AwaitingPaper,
    Issued,
    Overdue,
    Mounted,
}

impl UnitProgress {
    pub const ALL: [UnitProgress; 10] = [
        Self::Unregistered,
        Self::Expired,
        Self::Registered,
        Self::NotApplied,
        Self::Returned,
        Self::InReview,
        Self::AwaitingPaper,
        Self::Issued,
        Self::Overdue,
        Self::Mounted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unregistered => "unregistered",
            Self::Expired => "expired",
            Self::Registered => "registered",
            Self::NotApplied => "not_applied",
            Self::Returned => "returned",
            Self::InReview => "in_review",
            Self::AwaitingPaper => "awaiting_paper",
            Self::Issued => "issued",
            Self::Overdue => "overdue",
            Self::Mounted => "mounted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Unregistered => "未注册域名",
            Self::Expired => "域名已过期或停止解析",
            Self::Registered => "域名正常",
            Self::NotApplied => "未申请",
            Self::Returned => "已退回",
            Self::InReview => "审核中",
            Self::AwaitingPaper => "待报送纸质材料",
            Self::Issued => "已发放标识",
            Self::Overdue => "逾期未挂标",
            Self::Mounted => "已挂标",
        }
    }

    /// The statuses a milestone of `kind` can show.
    pub fn of(kind: MilestoneKind) -> &'static [UnitProgress] {
        match kind {
            MilestoneKind::Domain => &[Self::Unregistered, Self::Expired, Self::Registered],
            _ => &[
                Self::NotApplied,
                Self::Returned,
                Self::InReview,
                Self::AwaitingPaper,
                Self::Issued,
                Self::Overdue,
                Self::Mounted,
            ],
        }
    }

    /// What the unit should do next, and where.
    pub fn next_step(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Unregistered => Some(("申请中文域名", "/portal/domains/new")),
            Self::Expired => Some(("续费或恢复域名", "/portal/domains")),
            Self::NotApplied => Some(("填写网站开办审核申请", "/portal/sites/new")),
            Self::Returned => Some(("修改后重新提交申请", "/portal/sites")),
            Self::AwaitingPaper => Some(("报送纸质材料", "/portal/sites")),
            Self::Issued | Self::Overdue => Some(("在网站挂载标识", "/portal/sites/badges")),
            Self::Registered | Self::InReview | Self::Mounted => None,
        }
    }
}

/// Working days before a milestone when reminders go: the default.
pub const DEFAULT_REMIND_DAYS: [u32; 2] = [7, 1];

/// The campaign form: every field a string, so nothing typed is lost on error.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    pub title: String,
    pub doc_number: String,
    pub region_code: String,
    pub org_scope: String,
    pub starts_on: String,
    pub remind_days: String,
    pub domain_due: String,
    pub domain_consequence: String,
    pub application_due: String,
    pub application_consequence: String,
    pub badge_due: String,
    pub badge_consequence: String,
}

/// One milestone, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Milestone {
    pub kind: MilestoneKind,
    pub due_on: NaiveDate,
    pub consequence: Consequence,
}

/// A checked campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub title: String,
    pub doc_number: String,
    pub region: RegionCode,
    pub org_scope: OrgScope,
    pub starts_on: NaiveDate,
    pub remind_days: Vec<u32>,
    pub milestones: Vec<Milestone>,
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

impl CampaignForm {
    /// The fields of a milestone kind: its date and its consequence.
    fn milestone(&self, kind: MilestoneKind) -> (&str, &str) {
        match kind {
            MilestoneKind::Domain => (&self.domain_due, &self.domain_consequence),
            MilestoneKind::Application => (&self.application_due, &self.application_consequence),
            MilestoneKind::Badge => (&self.badge_due, &self.badge_consequence),
        }
    }

    /// Checks the form; `within` says whether a region lies in the office's jurisdiction.
    pub fn parse(&self, within: impl Fn(RegionCode) -> bool) -> Result<Campaign, FieldErrors> {
        let mut e = FieldErrors::new();
        let title: String = self.title.trim().chars().take(100).collect();
        if title.is_empty() {
            e.add("title", "请填写专项工作名称");
        }
        let doc_number: String = self.doc_number.trim().chars().take(60).collect();
        if doc_number.is_empty() {
            e.add("doc_number", "请填写文号，例如 靖机编办发〔2015〕10号");
        }
        let region = match RegionCode::parse(&self.region_code) {
            Ok(r) if within(r) => Some(r),
            Ok(_) => {
                e.add("region_code", "范围超出本编办的辖区");
                None
            }
            Err(err) => {
                e.add("region_code", err.to_string());
                None
            }
        };
        let org_scope = OrgScope::parse(&self.org_scope).unwrap_or_else(|| {
            e.add("org_scope", "请选择适用的单位类型");
            OrgScope::All
        });
        let starts_on = date(&self.starts_on);
        if starts_on.is_none() {
            e.add("starts_on", "请填写开始日期，例如 2026-12-01");
        }
        let remind_days = if self.remind_days.trim().is_empty() {
            DEFAULT_REMIND_DAYS.to_vec()
        } else {
            let parsed: Option<Vec<u32>> = self
                .remind_days
                .split(['，', ',', ' ', '、'])
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    s.trim()
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=60).contains(n))
                })
                .collect();
            match parsed {
                Some(mut v) if !v.is_empty() && v.len() <= 5 => {
                    v.sort_unstable_by(|a, b| b.cmp(a));
                    v.dedup();
                    v
                }
                _ => {
                    e.add(
                        "remind_days",
                        "提醒时间应为1至60之间的工作日数，最多5个，用逗号分隔，例如 7,1",
                    );
                    Vec::new()
                }
            }
        };
        let mut milestones = Vec::new();
        for kind in MilestoneKind::ALL {
            let (due, consequence) = self.milestone(kind);
            if due.trim().is_empty() {
                continue;
            }
            let field = format!("{}_due", kind.as_str());
            let Some(due_on) = date(due) else {
                e.add(
                    field,
                    format!("“{}”的日期应为 年-月-日，例如 2026-12-31", kind.label()),
                );
                continue;
            };
            if starts_on.is_some_and(|s| due_on < s) {
                e.add(field, format!("“{}”的日期不能早于开始日期", kind.label()));
                continue;
            }
            let consequence = Consequence::parse(consequence).unwrap_or(Consequence::RemindOnly);
            milestones.push(Milestone {
                kind,
                due_on,
                consequence,
            });
        }
        if milestones.is_empty() && e.get("domain_due").is_none() {
            e.add("domain_due", "请至少设置一个节点日期");
        }
        match (region, starts_on, e.is_empty()) {
            (Some(region), Some(starts_on), true) => Ok(Campaign {
                title,
                doc_number,
                region,
                org_scope,
                starts_on,
                remind_days,
                milestones,
            }),
            _ => Err(e),
        }
    }
}

/// After publication a milestone may only move later (units planned on its date) and keep
/// its consequence or soften it; none may be added or removed. The refusal, if any.
pub fn change_after_publication(before: &[Milestone], after: &[Milestone]) -> Option<String> {
    if before.len() != after.len()
        || before
            .iter()
            .any(|b| !after.iter().any(|a| a.kind == b.kind))
    {
        return Some("专项工作发布后不能增加或删除节点".to_owned());
    }
    for b in before {
        let Some(a) = after.iter().find(|a| a.kind == b.kind) else {
            continue;
        };
        if a.due_on < b.due_on {
            return Some(format!(
                "“{}”的日期发布后只能推迟，不能提前（原为 {}）",
                b.kind.label(),
                b.due_on
            ));
        }
        if b.consequence == Consequence::RemindOnly && a.consequence == Consequence::StopResolution
        {
            return Some(format!("“{}”发布后不能改为停止解析", b.kind.label()));
        }
    }
    None
}

/// The reminder due on `today` for a milestone due on `due`: the largest of `days` (working
/// days before) whose day has come, if the milestone has not passed. Reminders missed (the
/// service was down) are sent late rather than never; each is sent once, by its `days`.
pub fn reminder_due(
    calendar: &WorkingCalendar,
    due: NaiveDate,
    days: &[u32],
    today: NaiveDate,
) -> Option<u32> {
    if today > due {
        return None;
    }
    let left = calendar.working_days_between(today, due);
    days.iter().copied().filter(|d| left <= *d).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        date(s).unwrap()
    }

    fn form() -> CampaignForm {
        CampaignForm {
            title: "党政机关网站开办资格复核和网站标识挂载".into(),
            doc_number: "靖机编办发〔2015〕10号".into(),
            region_code: "620421".into(),
            org_scope: "all".into(),
            starts_on: "2026-11-01".into(),
            remind_days: String::new(),
            domain_due: "2026-11-20".into(),
            domain_consequence: "remind".into(),
            application_due: "2026-12-15".into(),
            application_consequence: "stop".into(),
            badge_due: "2026-12-31".into(),
            badge_consequence: "stop".into(),
        }
    }

    #[test]
    fn a_campaign_is_checked_field_by_field() {
        let c = form().parse(|_| true).unwrap();
        assert_eq!(c.milestones.len(), 3);
        assert_eq!(c.remind_days, vec![7, 1]);
        assert_eq!(c.milestones[1].consequence, Consequence::StopResolution);

        let mut bad = form();
        bad.title.clear();
        bad.badge_due = "2026-10-01".into();
        bad.region_code = "620422".into();
        bad.remind_days = "7,0".into();
        let e = bad.parse(|r| r.value() == 620_421).unwrap_err();
        for field in ["title", "badge_due", "region_code", "remind_days"] {
            assert!(e.get(field).is_some(), "{field}");
        }
        let mut none = form();
        none.domain_due.clear();
        none.application_due.clear();
        none.badge_due.clear();
        assert!(
            none.parse(|_| true)
                .unwrap_err()
                .get("domain_due")
                .is_some()
        );
    }

    #[test]
    fn after_publication_milestones_only_move_later() {
        let before = form().parse(|_| true).unwrap().milestones;
        let mut later = form();
        later.badge_due = "2027-01-15".into();
        assert_eq!(
            change_after_publication(&before, &later.parse(|_| true).unwrap().milestones),
            None
        );
        let mut earlier = form();
        earlier.badge_due = "2026-12-30".into();
        let why = change_after_publication(&before, &earlier.parse(|_| true).unwrap().milestones);
        assert!(why.unwrap().contains("只能推迟"));
        let mut harder = form();
        harder.domain_consequence = "stop".into();
        assert!(
            change_after_publication(&before, &harder.parse(|_| true).unwrap().milestones)
                .unwrap()
                .contains("不能改为停止解析")
        );
        let mut fewer = form();
        fewer.domain_due.clear();
        assert!(
            change_after_publication(&before, &fewer.parse(|_| true).unwrap().milestones).is_some()
        );
    }

    #[test]
    fn met_follows_the_milestone() {
        use UnitProgress::*;
        assert!(MilestoneKind::Domain.met_by(Registered));
        assert!(!MilestoneKind::Domain.met_by(Expired));
        assert!(MilestoneKind::Application.met_by(InReview));
        assert!(!MilestoneKind::Application.met_by(Returned));
        assert!(!MilestoneKind::Badge.met_by(Issued));
        assert!(MilestoneKind::Badge.met_by(Mounted));
        for p in UnitProgress::ALL {
            assert_eq!(UnitProgress::parse(p.as_str()), Some(p));
            assert_eq!(
                p.next_step().is_none(),
                matches!(p, Registered | InReview | Mounted)
            );
        }
    }

    #[test]
    fn reminders_fall_on_working_days_before_and_late_ones_still_go() {
        let cal = WorkingCalendar::default();
        // Friday 2026-12-18: seven working days before is Wednesday 2026-12-09.
        let due = d("2026-12-18");
        assert_eq!(reminder_due(&cal, due, &[7, 1], d("2026-12-08")), None);
        assert_eq!(reminder_due(&cal, due, &[7, 1], d("2026-12-09")), Some(7));
        assert_eq!(reminder_due(&cal, due, &[7, 1], d("2026-12-14")), Some(7));
        assert_eq!(reminder_due(&cal, due, &[7, 1], d("2026-12-17")), Some(1));
        assert_eq!(reminder_due(&cal, due, &[7, 1], d("2026-12-18")), Some(1));
        assert_eq!(reminder_due(&cal, due, &[7, 1], d("2026-12-19")), None);
    }
}
