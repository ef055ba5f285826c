//! The domain application (域名注册申请) and its states (docs/RULES.md §3):
//! draft → submitted → office_approved | office_rejected → registry_approved |
//! registry_rejected → paid → active. A rejected application goes back to the unit, keeps
//! the reasons, and is resubmitted from the rejected state.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppState {
    Draft,
    Submitted,
    OfficeApproved,
    OfficeRejected,
    RegistryApproved,
    RegistryRejected,
    Paid,
    Active,
}

/// What can happen to an application, and who does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEvent {
    /// The unit submits (or resubmits after a rejection).
    Submit,
    OfficeApprove,
    OfficeReject,
    RegistryApprove,
    RegistryReject,
    /// The fee is settled from the unit's balance.
    Pay,
    /// The names are created in the registry and enter the zone.
    Activate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("申请当前状态为“{}”，不能进行此操作", .0.label())]
pub struct TransitionError(pub AppState);

impl AppState {
    pub const ALL: [AppState; 8] = [
        Self::Draft,
        Self::Submitted,
        Self::OfficeApproved,
        Self::OfficeRejected,
        Self::RegistryApproved,
        Self::RegistryRejected,
        Self::Paid,
        Self::Active,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::OfficeApproved => "office_approved",
            Self::OfficeRejected => "office_rejected",
            Self::RegistryApproved => "registry_approved",
            Self::RegistryRejected => "registry_rejected",
            Self::Paid => "paid",
            Self::Active => "active",
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
            Self::RegistryApproved => "待缴费",
            Self::RegistryRejected => "注册中心复审未通过",
            Self::Paid => "已缴费",
            Self::Active => "已启用",
        }
    }

    /// The unit may change the application only before review or after a rejection.
    pub fn editable_by_unit(self) -> bool {
        matches!(
            self,
            Self::Draft | Self::OfficeRejected | Self::RegistryRejected
        )
    }

    pub fn apply(self, event: AppEvent) -> Result<AppState, TransitionError> {
        use AppEvent as E;
        use AppState as S;
        let next = match (self, event) {
            (S::Draft | S::OfficeRejected | S::RegistryRejected, E::Submit) => S::Submitted,
            (S::Submitted, E::OfficeApprove) => S::OfficeApproved,
            (S::Submitted, E::OfficeReject) => S::OfficeRejected,
            (S::OfficeApproved, E::RegistryApprove) => S::RegistryApproved,
            (S::OfficeApproved, E::RegistryReject) => S::RegistryRejected,
            (S::RegistryApproved, E::Pay) => S::Paid,
            (S::Paid, E::Activate) => S::Active,
            _ => return Err(TransitionError(self)),
        };
        Ok(next)
    }
}

/// A reviewer's verdict on one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject,
}

/// The application passes a review when at least one name is approved; rejected names stay
/// recorded with their reasons and go no further.
pub fn review_passes(verdicts: &[Verdict]) -> bool {
    verdicts.contains(&Verdict::Approve)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn happy_path_and_resubmission() {
        let s = AppState::Draft.apply(AppEvent::Submit).unwrap();
        let s = s.apply(AppEvent::OfficeReject).unwrap();
        assert!(s.editable_by_unit());
        let s = s.apply(AppEvent::Submit).unwrap();
        let s = s.apply(AppEvent::OfficeApprove).unwrap();
        let s = s.apply(AppEvent::RegistryApprove).unwrap();
        let s = s.apply(AppEvent::Pay).unwrap();
        assert_eq!(s.apply(AppEvent::Activate), Ok(AppState::Active));
        assert_eq!(
            AppState::Submitted
                .apply(AppEvent::Pay)
                .unwrap_err()
                .to_string(),
            "申请当前状态为“待编办初审”，不能进行此操作"
        );
        assert!(review_passes(&[Verdict::Reject, Verdict::Approve]));
        assert!(!review_passes(&[Verdict::Reject]));
    }

    fn event() -> impl Strategy<Value = AppEvent> {
        prop_oneof![
            Just(AppEvent::Submit),
            Just(AppEvent::OfficeApprove),
            Just(AppEvent::OfficeReject),
            Just(AppEvent::RegistryApprove),
            Just(AppEvent::RegistryReject),
            Just(AppEvent::Pay),
            Just(AppEvent::Activate),
        ]
    }

    proptest! {
        /// Whatever happens, an application is never paid before the registry approved it,
        /// never active before it was paid, and nothing follows `active`.
        #[test]
        fn no_shortcuts(events in proptest::collection::vec(event(), 0..40)) {
            let mut s = AppState::Draft;
            let mut seen = vec![s];
            for e in events {
                if let Ok(next) = s.apply(e) {
                    s = next;
                    seen.push(s);
                }
            }
            for (i, st) in seen.iter().enumerate() {
                if *st == AppState::Paid {
                    prop_assert_eq!(seen[i - 1], AppState::RegistryApproved);
                }
                if *st == AppState::Active {
                    prop_assert_eq!(seen[i - 1], AppState::Paid);
                    prop_assert_eq!(i, seen.len() - 1);
                }
                if *st == AppState::RegistryApproved {
                    prop_assert_eq!(seen[i - 1], AppState::OfficeApproved);
                }
            }
        }
    }
}
