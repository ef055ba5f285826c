//! Typed row identifiers, so a unit id can never be passed where an account id is expected.
//! The field is private: an id is made from a stored row (`new`) or parsed from a URL
//! (`FromStr`, positive decimal only), and read back with `get` for binding.

use serde::{Deserialize, Serialize};

/// A path segment that is not a valid id: the page does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an id")]
pub struct BadId;

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The id of a stored row.
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            /// The stored value, for binding into a query.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = BadId;
            fn from_str(s: &str) -> Result<Self, BadId> {
                parse_positive(s).map(Self)
            }
        }
    )*};
}

/// Ids in URLs are plain positive decimals: no sign, no leading zero, no spaces.
fn parse_positive(s: &str) -> Result<i64, BadId> {
    if s.is_empty() || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadId);
    }
    s.parse().map_err(|_| BadId)
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
    /// A registered Chinese domain name.
    DomainId;
    /// A domain registration application (域名注册申请).
    DomainApplicationId;
    /// A website with its badge.
    SiteId;
    /// A website opening or re-qualification application (网站开办审核 / 资格复核).
    SiteApplicationId;
    /// A bank transfer reported by a unit or an office (我要转账, 编办代缴).
    TransferId;
    /// An invoice issued by finance.
    InvoiceId;
    /// A public report about a badge (公众反映).
    BadgeReportId;
    /// The checker's proposal to stop a site's resolution.
    EnforcementId;
    /// A key of the JSON API.
    ApiKeyId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_positive_decimals_parse() {
        assert_eq!("42".parse::<SiteId>(), Ok(SiteId::new(42)));
        for bad in [
            "",
            "0",
            "042",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1e3",
            "９",
            "99999999999999999999",
        ] {
            assert_eq!(bad.parse::<UnitId>(), Err(BadId), "{bad:?}");
        }
        assert_eq!(UnitId::new(7).get(), 7);
        assert_eq!(InvoiceId::new(3).to_string(), "3");
    }
}
