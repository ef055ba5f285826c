//! What the mount checker finds on a page of a site that should show its badge, from best
//! to worst; a site's result is its worst page.

use serde::{Deserialize, Serialize};

/// What one page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    Live,
    NotBottom,
    Missing,
    StaticCopy,
    HttpOnHttps,
    WrongCode,
    Unreachable,
}

impl Finding {
    pub const ALL: [Finding; 7] = [
        Self::Live,
        Self::NotBottom,
        Self::Missing,
        Self::StaticCopy,
        Self::HttpOnHttps,
        Self::WrongCode,
        Self::Unreachable,
    ];

    /// The finding in words, as the unit's 标识管理 and the notices say it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Live => "已正确挂标",
            Self::NotBottom => "标识不在页面底部",
            Self::Missing => "未挂标",
            Self::StaticCopy => "复制了标识图片，未使用标识代码",
            Self::HttpOnHttps => "HTTPS页面以HTTP加载标识代码",
            Self::WrongCode => "挂的是其他网站的标识代码",
            Self::Unreachable => "网站无法访问",
        }
    }

    /// How bad it is, for the site's overall result (the worst page counts).
    pub fn rank(self) -> u8 {
        match self {
            Self::Live => 0,
            Self::NotBottom => 1,
            Self::Unreachable => 2,
            Self::Missing => 3,
            Self::StaticCopy => 4,
            Self::HttpOnHttps => 5,
            Self::WrongCode => 6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::NotBottom => "not_bottom",
            Self::Missing => "missing",
            Self::StaticCopy => "static_copy",
            Self::HttpOnHttps => "http_on_https",
            Self::WrongCode => "wrong_code",
            Self::Unreachable => "unreachable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::Finding;

    #[test]
    fn names_round_trip_and_live_is_best() {
        for f in Finding::ALL {
            assert_eq!(Finding::parse(f.as_str()), Some(f));
            assert!(!f.label().is_empty());
            assert!(f == Finding::Live || f.rank() > Finding::Live.rank());
        }
        assert_eq!(Finding::parse("gone"), None);
    }
}
