//! The life of a website identifier badge once its code is issued:
//!
//! ```text
//! issued ──seen live──▶ mounted ◀─┐
//!   │  ╲                  │       │ seen live
//!   │   ╲ deadline passed │ not seen after the deadline
//!   │    ▼                ▼       │
//!   │   overdue ──────────────────┘
//!   │    │ a 编办 confirms a stop of resolution (from issued, mounted or overdue)
//!   ▼    ▼
//! suspended ──reinstated by the 编办──▶ issued (with a fresh mount deadline)
//!
//! any state but revoked ──site closed──▶ revoked (final)
//! ```
//!
//! A 网络红页 carries its badge by itself: publishing it mounts the badge, withdrawing it
//! (by the unit or its 编办) returns the badge to issued with a fresh mount deadline.
//!
//! The mount checker moves a badge between issued, mounted and overdue; people decide
//! suspension, reinstatement and revocation. A suspended badge is never revived by the
//! checker, and nothing leaves revoked.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BadgeState {
    /// Issued; not yet seen on the site by the checker (待挂标).
    Issued,
    /// Seen on the site at the checker's last visit (已挂标).
    Mounted,
    /// Not seen after its mount deadline (逾期未挂标).
    Overdue,
    /// Suspended by the unit's 编办 with its domain's resolution (已暂停).
    Suspended,
    /// The site was closed (已注销).
    Revoked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeEvent {
    /// The checker found the badge live on the site.
    SeenLive,
    /// The checker did not find it; `past_due` when the mount deadline has passed.
    NotSeen { past_due: bool },
    /// The 编办 confirmed a proposal to stop resolution.
    Suspend,
    /// The 编办 lifted the suspension.
    Reinstate,
    /// The unit closed the site.
    Revoke,
    /// The unit published its 网络红页, which carries the badge by itself.
    RedPagePublished,
    /// The red page left the public (unpublished by the unit or taken down by its 编办).
    RedPageWithdrawn,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("标识当前状态为“{}”，不能进行此操作", .0.label())]
pub struct BadgeTransitionError(pub BadgeState);

/// A stored badge state that is none of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown badge state {0:?}")]
pub struct UnknownBadgeState(pub String);

impl BadgeState {
    pub const ALL: [BadgeState; 5] = [
        Self::Issued,
        Self::Mounted,
        Self::Overdue,
        Self::Suspended,
        Self::Revoked,
    ];

    /// The states the mount checker visits.
    pub const CHECKED: [BadgeState; 3] = [Self::Issued, Self::Mounted, Self::Overdue];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Mounted => "mounted",
            Self::Overdue => "overdue",
            Self::Suspended => "suspended",
            Self::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Result<Self, UnknownBadgeState> {
        Self::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| UnknownBadgeState(s.to_owned()))
    }

    /// The state as the unit's 标识管理 and the verification page say it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Issued => "已发放，待挂标",
            Self::Mounted => "已挂标",
            Self::Overdue => "逾期未挂标",
            Self::Suspended => "已暂停",
            Self::Revoked => "已注销",
        }
    }

    /// The short name of the 编办's 网站标识 tabs.
    pub fn tab_label(self) -> &'static str {
        match self {
            Self::Issued => "待挂标",
            Self::Overdue => "逾期未挂标",
            other => other.label(),
        }
    }

    /// Whether the checker still visits the site for this badge.
    pub fn is_checked(self) -> bool {
        Self::CHECKED.contains(&self)
    }

    /// Whether the badge shows as valid (red or blue) on the unit's pages.
    pub fn is_valid(self) -> bool {
        self.is_checked()
    }

    pub fn apply(self, event: BadgeEvent) -> Result<BadgeState, BadgeTransitionError> {
        use BadgeEvent as E;
        use BadgeState as S;
        match (self, event) {
            (S::Issued | S::Mounted | S::Overdue, E::SeenLive) => Ok(S::Mounted),
            (S::Issued | S::Mounted | S::Overdue, E::NotSeen { past_due: true }) => Ok(S::Overdue),
            (S::Issued | S::Mounted | S::Overdue, E::NotSeen { past_due: false }) => Ok(self),
            (S::Issued | S::Mounted | S::Overdue, E::Suspend) => Ok(S::Suspended),
            (S::Suspended, E::Reinstate) => Ok(S::Issued),
            (S::Issued | S::Mounted | S::Overdue | S::Suspended, E::Revoke) => Ok(S::Revoked),
            (S::Issued | S::Mounted | S::Overdue, E::RedPagePublished) => Ok(S::Mounted),
            (S::Issued | S::Mounted | S::Overdue, E::RedPageWithdrawn) => Ok(S::Issued),
            (state, _) => Err(BadgeTransitionError(state)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_round_trip_and_unknown_is_an_error() {
        for s in BadgeState::ALL {
            assert_eq!(BadgeState::parse(s.as_str()), Ok(s));
        }
        assert_eq!(
            BadgeState::parse("mountd"),
            Err(UnknownBadgeState("mountd".into()))
        );
        assert!(BadgeState::parse("").is_err());
    }

    #[test]
    fn the_checker_and_the_office() {
        use BadgeEvent as E;
        use BadgeState as S;
        assert_eq!(S::Issued.apply(E::SeenLive), Ok(S::Mounted));
        assert_eq!(
            S::Issued.apply(E::NotSeen { past_due: false }),
            Ok(S::Issued)
        );
        assert_eq!(
            S::Mounted.apply(E::NotSeen { past_due: true }),
            Ok(S::Overdue)
        );
        assert_eq!(S::Overdue.apply(E::SeenLive), Ok(S::Mounted));
        assert_eq!(S::Overdue.apply(E::Suspend), Ok(S::Suspended));
        assert_eq!(S::Suspended.apply(E::Reinstate), Ok(S::Issued));
        assert!(
            S::Suspended.apply(E::SeenLive).is_err(),
            "the checker never revives"
        );
        assert!(S::Issued.apply(E::Reinstate).is_err());
        assert_eq!(S::Suspended.apply(E::Revoke), Ok(S::Revoked));
        assert!(S::Revoked.apply(E::Revoke).is_err());
        assert_eq!(S::Overdue.apply(E::RedPagePublished), Ok(S::Mounted));
        assert_eq!(S::Mounted.apply(E::RedPageWithdrawn), Ok(S::Issued));
        assert!(
            S::Suspended.apply(E::RedPagePublished).is_err(),
            "publishing never lifts a suspension"
        );
    }

    fn event() -> impl Strategy<Value = BadgeEvent> {
        prop_oneof![
            Just(BadgeEvent::SeenLive),
            any::<bool>().prop_map(|past_due| BadgeEvent::NotSeen { past_due }),
            Just(BadgeEvent::Suspend),
            Just(BadgeEvent::Reinstate),
            Just(BadgeEvent::Revoke),
            Just(BadgeEvent::RedPagePublished),
            Just(BadgeEvent::RedPageWithdrawn),
        ]
    }

    proptest! {
        /// Whatever happens: revoked is final; only a reinstatement leaves suspended (and
        /// only to issued); mounted is reached only by being seen live or by a published red
        /// page; a badge becomes
        /// overdue only when not seen past its deadline.
        #[test]
        fn lifecycle_invariants(events in proptest::collection::vec(event(), 0..60)) {
            let mut s = BadgeState::Issued;
            for e in events {
                let refused = s == BadgeState::Revoked
                    || (s == BadgeState::Suspended
                        && !matches!(e, BadgeEvent::Reinstate | BadgeEvent::Revoke))
                    || (s != BadgeState::Suspended && e == BadgeEvent::Reinstate);
                let Ok(next) = s.apply(e) else {
                    prop_assert!(refused, "{:?} refused {:?}", s, e);
                    continue;
                };
                prop_assert!(!refused, "{:?} accepted {:?}", s, e);
                prop_assert_ne!(s, BadgeState::Revoked, "nothing leaves revoked");
                if s == BadgeState::Suspended {
                    prop_assert!(matches!(
                        (e, next),
                        (BadgeEvent::Reinstate, BadgeState::Issued)
                            | (BadgeEvent::Revoke, BadgeState::Revoked)
                    ));
                }
                if next == BadgeState::Mounted && s != BadgeState::Mounted {
                    prop_assert!(matches!(e, BadgeEvent::SeenLive | BadgeEvent::RedPagePublished));
                }
                if next == BadgeState::Overdue && s != BadgeState::Overdue {
                    prop_assert_eq!(e, BadgeEvent::NotSeen { past_due: true });
                }
                prop_assert_eq!(next.is_checked(), !matches!(next, BadgeState::Suspended | BadgeState::Revoked));
                s = next;
            }
        }
    }
}
