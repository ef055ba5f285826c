//! Administrative divisions (GB/T 2260): six-digit codes and the level they name.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("请选择所在地区")]
    Empty,
    #[error("行政区划代码应为6位数字")]
    Format,
}

/// A six-digit GB/T 2260 code. Its level follows from its trailing zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RegionCode(u32);

/// Province, prefecture-level city, or county-level division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Province => "省级",
            Self::City => "市级",
            Self::County => "县级",
        }
    }
}

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, RegionCodeError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(RegionCodeError::Empty);
        }
        if value.len() != 6 || !value.bytes().all(|b| b.is_ascii_digit()) || value.starts_with('0')
        {
            return Err(RegionCodeError::Format);
        }
        value.parse().map(Self).map_err(|_| RegionCodeError::Format)
    }

    pub fn from_i64(value: i64) -> Option<Self> {
        Self::parse(&value.to_string()).ok()
    }

    pub fn value(self) -> u32 {
        self.0
    }

    pub fn level(self) -> RegionLevel {
        if self.0.is_multiple_of(10_000) {
            RegionLevel::Province
        } else if self.0.is_multiple_of(100) {
            RegionLevel::City
        } else {
            RegionLevel::County
        }
    }

    /// The codes the division covers, itself included: a province its cities and counties,
    /// a city its counties, a county itself (for the registry's region filter).
    pub fn area(self) -> (i64, i64) {
        let lo = i64::from(self.0);
        match self.level() {
            RegionLevel::Province => (lo, lo + 9_999),
            RegionLevel::City => (lo, lo + 99),
            RegionLevel::County => (lo, lo),
        }
    }

    /// The division one level up, if any.
    pub fn parent(self) -> Option<Self> {
        match self.level() {
            RegionLevel::Province => None,
            RegionLevel::City => Some(Self(self.0 / 10_000 * 10_000)),
            RegionLevel::County => Some(Self(self.0 / 100 * 100)),
        }
    }
}

impl std::fmt::Display for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// Which price list a region's units pay: the seed's national poverty counties pay less.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeTier {
    Standard,
    Poverty,
}

impl FeeTier {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "standard" => Some(Self::Standard),
            "poverty" => Some(Self::Poverty),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Poverty => "poverty",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_parents() {
        let jingyuan = RegionCode::parse("620421").unwrap();
        assert_eq!(jingyuan.level(), RegionLevel::County);
        let baiyin = jingyuan.parent().unwrap();
        assert_eq!(baiyin.to_string(), "620400");
        assert_eq!(baiyin.level(), RegionLevel::City);
        assert_eq!(baiyin.parent().unwrap().to_string(), "620000");
        assert_eq!(baiyin.parent().unwrap().parent(), None);
        assert!(RegionCode::parse("62042").is_err());
        assert!(RegionCode::parse("６２０４２１").is_err());
        assert!(RegionCode::parse("062042").is_err());
    }
}

#[cfg(test)]
mod area_tests {
    use super::RegionCode;

    #[test]
    fn an_area_covers_the_divisions_below() {
        let code = |s| RegionCode::parse(s).unwrap();
        assert_eq!(code("620000").area(), (620_000, 629_999));
        assert_eq!(code("620400").area(), (620_400, 620_499));
        assert_eq!(code("620421").area(), (620_421, 620_421));
    }
}
