//! The website opening / re-qualification application (网站开办审核 / 资格复核申请) and its
//! states (docs/RULES.md §3): draft → submitted → office_approved | office_rejected →
//! registry_approved | registry_rejected → (party and government organs) awaiting_paper →
//! filed → badge_issued; (public institutions) → badge_issued. A rejection goes back to the
//! unit with its reason; a paper filing returned by the 编办 closes the application and the
//! unit applies again from a copy.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteState {
    Draft,
    Submitted,
    OfficeApproved,
    OfficeRejected,
    RegistryApproved,
    RegistryRejected,
    AwaitingPaper,
    Filed,
    BadgeIssued,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteEvent {
    /// The unit submits, or resubmits after a rejection.
    Submit,
    OfficeApprove,
    OfficeReject,
    RegistryApprove,
    RegistryReject,
    /// A party or government unit must now file the stamped paper with its 编办.
    AwaitPaper,
    /// The 编办 received the paper and found it right.
    ConfirmPaper,
    /// The paper was wrong: the application closes and the unit applies again.
    ReturnPaper,
    /// The badge code is issued (or kept, for a site that already has one).
    Issue,
}

/// Whether the unit files stamped paper with its 编办 before the badge is issued: party and
/// government organs do, public institutions do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    Paper,
    NoPaper,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("申请当前状态为“{}”，不能进行此操作", .0.label())]
pub struct SiteTransitionError(pub SiteState);

impl SiteState {
    pub const ALL: [SiteState; 10] = [
        Self::Draft,
        Self::Submitted,
        Self::OfficeApproved,
        Self::OfficeRejected,
        Self::RegistryApproved,
        Self::RegistryRejected,
        Self::AwaitingPaper,
        Self::Filed,
        Self::BadgeIssued,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::OfficeApproved => "office_approved",
            Self::OfficeRejected => "office_rejected",
            Self::RegistryApproved => "registry_approved",
            Self::RegistryRejected => "registry_rejected",
            Self::AwaitingPaper => "awaiting_paper",
            Self::Filed => "filed",
            Self::BadgeIssued => "badge_issued",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Submitted => "待编办初审",
            Self::OfficeApproved => "待注册中心复审",
            Self::OfficeRejected => "编办初审未通过",
            Self::RegistryApproved => "复审通过",
            Self::RegistryRejected => "注册中心复审未通过",
            Self::AwaitingPaper => "待报送纸质材料",
            Self::Filed => "纸质材料已确认",
            Self::BadgeIssued => "已发放标识",
            Self::Closed => "已关闭",
        }
    }

    /// The unit may change the application only before review or after a rejection.
    pub fn editable_by_unit(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::OfficeRejected | Self::RegistryRejected
        )
    }

    /// Both reviews passed: the letter and the form can be printed.
    pub fn printable(self) -> bool {
        matches!(
            self,
            Self::RegistryApproved | Self::AwaitingPaper | Self::Filed | Self::BadgeIssued
        )
    }

    pub fn apply(self, event: SiteEvent, track: Track) -> Result<SiteState, SiteTransitionError> {
        use SiteEvent as E;
        use SiteState as S;
        let next = match (self, event) {
            (S::Draft | S::OfficeRejected | S::RegistryRejected, E::Submit) => S::Submitted,
            (S::Submitted, E::OfficeApprove) => S::OfficeApproved,
            (S::Submitted, E::OfficeReject) => S::OfficeRejected,
            (S::OfficeApproved, E::RegistryApprove) => S::RegistryApproved,
            (S::OfficeApproved, E::RegistryReject) => S::RegistryRejected,
            (S::RegistryApproved, E::AwaitPaper) if track == Track::Paper => S::AwaitingPaper,
            (S::AwaitingPaper, E::ConfirmPaper) => S::Filed,
            (S::AwaitingPaper, E::ReturnPaper) => S::Closed,
            (S::Filed, E::Issue) => S::BadgeIssued,
            (S::RegistryApproved, E::Issue) if track == Track::NoPaper => S::BadgeIssued,
            _ => return Err(SiteTransitionError(self)),
        };
        Ok(next)
    }
}

/// Reason codes a reviewer picks when rejecting an application or returning its paper.
pub const SITE_REASONS: [(&str, &str); 7] = [
    ("unit_info", "开办主体信息与单位登记信息不符"),
    ("site_name", "网站名称不规范或与开办主体不符"),
    ("domain", "域名不属于本单位、未解析或即将到期"),
    ("ip_mismatch", "IP地址与域名解析地址不一致"),
    ("contacts", "负责人或经办人信息有误"),
    ("paper", "纸质材料不全、未盖章或与网上填报不一致"),
    ("other", "其他"),
];

pub fn reason_label(code: &str) -> Option<&'static str> {
    SITE_REASONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paper_track_and_no_paper_track() {
        let s = SiteState::Draft
            .apply(SiteEvent::Submit, Track::Paper)
            .unwrap();
        let s = s.apply(SiteEvent::OfficeApprove, Track::Paper).unwrap();
        let s = s.apply(SiteEvent::RegistryApprove, Track::Paper).unwrap();
        assert!(s.printable());
        // A party unit cannot skip the paper.
        assert!(s.apply(SiteEvent::Issue, Track::Paper).is_err());
        let s = s.apply(SiteEvent::AwaitPaper, Track::Paper).unwrap();
        let s = s.apply(SiteEvent::ConfirmPaper, Track::Paper).unwrap();
        assert_eq!(
            s.apply(SiteEvent::Issue, Track::Paper),
            Ok(SiteState::BadgeIssued)
        );
        // A public institution goes straight from the registry's approval to the badge.
        assert_eq!(
            SiteState::RegistryApproved.apply(SiteEvent::Issue, Track::NoPaper),
            Ok(SiteState::BadgeIssued)
        );
        assert!(
            SiteState::RegistryApproved
                .apply(SiteEvent::AwaitPaper, Track::NoPaper)
                .is_err()
        );
        assert_eq!(
            SiteState::AwaitingPaper.apply(SiteEvent::ReturnPaper, Track::Paper),
            Ok(SiteState::Closed)
        );
        assert_eq!(
            SiteState::BadgeIssued
                .apply(SiteEvent::Submit, Track::Paper)
                .unwrap_err()
                .to_string(),
            "申请当前状态为“已发放标识”，不能进行此操作"
        );
        assert_eq!(reason_label("paper"), Some(SITE_REASONS[5].1));
    }

    fn event() -> impl Strategy<Value = SiteEvent> {
        prop_oneof![
            Just(SiteEvent::Submit),
            Just(SiteEvent::OfficeApprove),
            Just(SiteEvent::OfficeReject),
            Just(SiteEvent::RegistryApprove),
            Just(SiteEvent::RegistryReject),
            Just(SiteEvent::AwaitPaper),
            Just(SiteEvent::ConfirmPaper),
            Just(SiteEvent::ReturnPaper),
            Just(SiteEvent::Issue),
        ]
    }

    proptest! {
        /// Whatever happens, a badge is issued only after both reviews, on the paper track
        /// only after the 编办 confirmed the paper, and nothing follows issuance or closure.
        #[test]
        fn no_badge_without_both_reviews(
            events in proptest::collection::vec(event(), 0..40),
            paper in any::<bool>(),
        ) {
            let track = if paper { Track::Paper } else { Track::NoPaper };
            let mut s = SiteState::Draft;
            let mut seen = vec![s];
            for e in events {
                if let Ok(next) = s.apply(e, track) {
                    s = next;
                    seen.push(s);
                }
            }
            for (i, st) in seen.iter().enumerate() {
                if *st == SiteState::BadgeIssued {
                    prop_assert!(seen[..i].contains(&SiteState::OfficeApproved));
                    prop_assert!(seen[..i].contains(&SiteState::RegistryApproved));
                    prop_assert_eq!(seen[..i].contains(&SiteState::Filed), paper);
                }
                if matches!(st, SiteState::BadgeIssued | SiteState::Closed) {
                    prop_assert_eq!(i, seen.len() - 1);
                }
            }
        }
    }
}
