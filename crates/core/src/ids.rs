//! Typed row identifiers, so a unit id can never be passed where an account id is expected.

use serde::{Deserialize, Serialize};

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

typed_id! {
    /// A registered unit (开办主体).
    UnitId;
    /// A sign-in account of any role.
    AccountId;
    /// An establishment office (编办).
    OfficeId;
    /// A notification waiting in, or delivered from, the outbox.
    NotificationId;
}
