//! Why a name's resolution is stopped by the staff: the reason category. Its code is stored
//! with the name; its text is shown to the public on the forwarding notice page (the staff's
//! own words go only to the unit and the staff).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldCategory {
    /// 网站开办审核 or 资格复核 not completed in time.
    Campaign,
    /// The website identifier badge not mounted in time.
    Badge,
    /// The site's content breaks the rules.
    Content,
    /// The unit was dissolved, merged or renamed.
    UnitChanged,
    Other,
}

impl HoldCategory {
    pub const ALL: [HoldCategory; 5] = [
        Self::Campaign,
        Self::Badge,
        Self::Content,
        Self::UnitChanged,
        Self::Other,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Campaign => "campaign",
            Self::Badge => "badge",
            Self::Content => "content",
            Self::UnitChanged => "unit_changed",
            Self::Other => "other",
        }
    }

    /// The public Chinese text of the category.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Campaign => "未按期完成网站开办审核或资格复核",
            Self::Badge => "未按期挂设网站标识",
            Self::Content => "网站内容违反规定",
            Self::UnitChanged => "单位撤销、合并或更名",
            Self::Other => "其他原因",
        }
    }
}

/// Who placed a hold, which decides who may lift it: the registry lifts any hold; an office
/// (编办) lifts the holds an office placed (for a badge, a campaign, content, a reorganisation
/// or another reason), never one the registry placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldLevel {
    Office,
    Registry,
}

impl HoldLevel {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Office => "office",
            Self::Registry => "registry",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Office, Self::Registry]
            .into_iter()
            .find(|l| l.as_str() == s)
    }

    /// Whether this level may lift a hold placed by `placed_by` (`None`: not recorded, as
    /// for holds older than the record; only the registry lifts those).
    pub fn may_lift(self, placed_by: Option<HoldLevel>) -> bool {
        match self {
            Self::Registry => true,
            Self::Office => placed_by == Some(Self::Office),
        }
    }
}

/// Every category as (code, text), in the order the staff's forms list them.
pub const HOLD_REASONS: [(&str, &str); 5] = {
    let all = HoldCategory::ALL;
    let mut out = [("", ""); 5];
    let mut i = 0;
    while i < all.len() {
        out[i] = (all[i].as_str(), all[i].label());
        i += 1;
    }
    out
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_lifts_any_hold_and_an_office_only_an_office_s() {
        use HoldLevel::*;
        assert!(Registry.may_lift(Some(Office)));
        assert!(Registry.may_lift(Some(Registry)));
        assert!(Registry.may_lift(None));
        assert!(Office.may_lift(Some(Office)));
        assert!(!Office.may_lift(Some(Registry)));
        assert!(!Office.may_lift(None));
        for l in [Office, Registry] {
            assert_eq!(HoldLevel::parse(l.as_str()), Some(l));
        }
        assert_eq!(HoldLevel::parse(""), None);
    }

    #[test]
    fn codes_round_trip_and_texts_are_the_published_ones() {
        for c in HoldCategory::ALL {
            assert_eq!(HoldCategory::parse(c.as_str()), Some(c));
        }
        assert_eq!(HoldCategory::parse(""), None);
        assert_eq!(HoldCategory::parse("Badge"), None);
        assert_eq!(
            HOLD_REASONS,
            [
                ("campaign", "未按期完成网站开办审核或资格复核"),
                ("badge", "未按期挂设网站标识"),
                ("content", "网站内容违反规定"),
                ("unit_changed", "单位撤销、合并或更名"),
                ("other", "其他原因"),
            ]
        );
    }
}
