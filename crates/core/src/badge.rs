//! The website identifier code (网站标识代码): `CA` followed by 21 digits, as observed on the
//! seed's screens (`CA100000000603796070001`):
//!
//! | digits | meaning | from |
//! | --- | --- | --- |
//! | 2 | province | the first two digits of the unit's GB/T 2260 region code |
//! | 3 | city | the next two, left-padded with a zero (`04` → `004`) |
//! | 4 | county | the last two, left-padded with zeros (`21` → `0021`) |
//! | 8 | unit | the unit's registry number, zero-padded |
//! | 4 | site | the site's number within the unit, from 1 |
//!
//! The unit number is unique across the platform, so the code is unique; it is fixed when
//! first issued and kept through re-qualifications and changes of the site.

use crate::region::RegionCode;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct BadgeCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadgeCodeError {
    #[error("标识代码应为“CA”加21位数字")]
    Format,
    #[error("单位编号或网站序号超出标识代码的位数")]
    Range,
}

impl BadgeCode {
    /// The code of site number `site` (1–9999) of unit `unit` (1–99,999,999) in `region`.
    pub fn new(region: RegionCode, unit: i64, site: i64) -> Result<Self, BadgeCodeError> {
        if !(1..=99_999_999).contains(&unit) || !(1..=9_999).contains(&site) {
            return Err(BadgeCodeError::Range);
        }
        let r = region.value();
        Ok(Self(format!(
            "CA{:02}{:03}{:04}{:08}{:04}",
            r / 10_000,
            r / 100 % 100,
            r % 100,
            unit,
            site
        )))
    }

    /// Checks the shape only (`CA` + 21 ASCII digits): cheap enough to refuse a malformed
    /// code before any lookup. Lower-case `ca` is accepted and normalised.
    pub fn parse(input: &str) -> Result<Self, BadgeCodeError> {
        let b = input.trim().as_bytes();
        if b.len() != 23
            || !b[..2].eq_ignore_ascii_case(b"CA")
            || !b[2..].iter().all(u8::is_ascii_digit)
        {
            return Err(BadgeCodeError::Format);
        }
        Ok(Self(input.trim().to_ascii_uppercase()))
    }

    /// Whether `s` is a code exactly as we issue it (`CA` upper case, 21 digits), without
    /// allocating: the check the badge's hot path makes before any lookup.
    pub fn is_canonical(s: &str) -> bool {
        let b = s.as_bytes();
        b.len() == 23 && b.starts_with(b"CA") && b[2..].iter().all(u8::is_ascii_digit)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit region code the code was issued under.
    pub fn region(&self) -> Option<RegionCode> {
        let d = &self.0[2..];
        let code = format!("{}{}{}", &d[..2], &d[3..5], &d[7..9]);
        (&d[2..3] == "0" && &d[5..7] == "00")
            .then(|| RegionCode::parse(&code).ok())
            .flatten()
    }
}

impl std::fmt::Display for BadgeCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn layout() {
        let county = RegionCode::parse("620421").unwrap();
        let code = BadgeCode::new(county, 37, 1).unwrap();
        assert_eq!(code.as_str(), "CA620040021000000370001");
        assert_eq!(code.as_str().len(), 23);
        assert_eq!(code.region(), Some(county));
        let city = BadgeCode::new(RegionCode::parse("620400").unwrap(), 5, 12).unwrap();
        assert_eq!(city.as_str(), "CA620040000000000050012");
        assert_eq!(BadgeCode::new(county, 0, 1), Err(BadgeCodeError::Range));
        assert_eq!(
            BadgeCode::new(county, 1, 10_000),
            Err(BadgeCodeError::Range)
        );
        // The seed's own example parses.
        assert!(BadgeCode::parse("CA100000000603796070001").is_ok());
        assert!(BadgeCode::is_canonical("CA100000000603796070001"));
        assert!(!BadgeCode::is_canonical("ca100000000603796070001"));
        assert!(!BadgeCode::is_canonical("CA10000000060379607000"));
        assert_eq!(
            BadgeCode::parse("ca620040021000000370001")
                .unwrap()
                .as_str(),
            "CA620040021000000370001"
        );
        for bad in [
            "",
            "CA12",
            "CB620040021000000370001",
            "CA62004002100000037000１",
            "CA6200400210000003700012",
        ] {
            assert_eq!(BadgeCode::parse(bad), Err(BadgeCodeError::Format), "{bad}");
        }
    }

    proptest! {
        /// Different (unit, site) pairs never share a code, and every code parses back.
        #[test]
        fn unique_and_parseable(u1 in 1i64..99_999_999, s1 in 1i64..9_999, u2 in 1i64..99_999_999, s2 in 1i64..9_999) {
            let r = RegionCode::parse("620421").unwrap();
            let a = BadgeCode::new(r, u1, s1).unwrap();
            let b = BadgeCode::new(r, u2, s2).unwrap();
            prop_assert_eq!(a == b, (u1, s1) == (u2, s2));
            prop_assert_eq!(BadgeCode::parse(a.as_str()).unwrap(), a);
        }
    }
}
