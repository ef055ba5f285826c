//! Money in fen (分) and the domain fee: per name, per year, by the region's fee tier.

use std::fmt;

use serde::Serialize;

/// An amount in fen. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_fen(fen: i64) -> Self {
        Self(fen)
    }

    pub fn from_yuan(yuan: i64) -> Self {
        Self(yuan * 100)
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    /// Parses an amount typed in yuan: "200", "200.5", "200.50", "¥1,200.00".
    pub fn parse_yuan(input: &str) -> Option<Money> {
        let s: String = input
            .trim()
            .trim_start_matches(['¥', '￥'])
            .trim_end_matches('元')
            .chars()
            .filter(|c| *c != ',' && *c != '，')
            .collect();
        let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
        if whole.is_empty() || whole.len() > 12 || frac.len() > 2 {
            return None;
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let frac: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().ok()?
        };
        Some(Money(whole * 100 + frac))
    }
}

impl fmt::Display for Money {
    /// 1234.50 元 is shown as "1,234.50".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let yuan = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in yuan.chars().enumerate() {
            if i > 0 && (yuan.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}{grouped}.{:02}", abs % 100)
    }
}

/// Registration terms the seed allows: at least 2 years, at most 10.
pub const MIN_YEARS: u32 = 2;
pub const MAX_YEARS: u32 = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("注册年限应为{MIN_YEARS}至{MAX_YEARS}年")]
pub struct TermError;

/// A registration or renewal term in whole years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Years(u32);

impl Years {
    pub fn new(n: u32) -> Result<Self, TermError> {
        if (MIN_YEARS..=MAX_YEARS).contains(&n) {
            Ok(Self(n))
        } else {
            Err(TermError)
        }
    }

    pub fn parse(s: &str) -> Result<Self, TermError> {
        s.trim()
            .parse::<u32>()
            .map_err(|_| TermError)
            .and_then(Self::new)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Σ names × years × price, or `None` on overflow (never reached with real prices).
pub fn fee(price_per_name_year: Money, terms: impl IntoIterator<Item = Years>) -> Option<Money> {
    terms.into_iter().try_fold(Money::ZERO, |sum, years| {
        sum.checked_add(price_per_name_year.checked_mul(i64::from(years.get()))?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seed_county_fee() {
        // Poverty tier, 100 yuan per name per year: two names for two years is 400 yuan.
        let terms = [Years::new(2).unwrap(), Years::new(2).unwrap()];
        assert_eq!(
            fee(Money::from_yuan(100), terms),
            Some(Money::from_yuan(400))
        );
        assert_eq!(
            fee(Money::from_yuan(200), [Years::new(10).unwrap()])
                .unwrap()
                .to_string(),
            "2,000.00"
        );
        assert!(Years::new(1).is_err());
        assert!(Years::new(11).is_err());
        assert!(Years::parse("abc").is_err());
    }

    #[test]
    fn amounts_typed_in_yuan() {
        assert_eq!(Money::parse_yuan("200"), Some(Money::from_fen(20_000)));
        assert_eq!(
            Money::parse_yuan("¥1,200.5"),
            Some(Money::from_fen(120_050))
        );
        assert_eq!(Money::parse_yuan("0.05元"), Some(Money::from_fen(5)));
        for bad in ["", "-1", "1.234", "abc", "1e9", "99999999999999"] {
            assert_eq!(Money::parse_yuan(bad), None, "{bad}");
        }
        assert_eq!(Money::from_fen(-150).to_string(), "-1.50");
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(fen in 0i64..10_000_000_000) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_yuan(&m.to_string()), Some(m));
        }
    }
}
