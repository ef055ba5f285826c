//! 统一社会信用代码 (GB 32100-2015) and the older 组织机构代码 (GB 11714-1997).

use std::fmt;

/// The 31 characters GB 32100 allows; I, O, S, V and Z are left out to avoid misreading.
const GB32100_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const GB32100_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const GB11714_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("请输入统一社会信用代码")]
    Empty,
    #[error("统一社会信用代码应为18位")]
    Length,
    #[error("统一社会信用代码只能包含数字和大写英文字母（不含I、O、S、V、Z）")]
    Charset,
    #[error("统一社会信用代码第3至8位应为行政区划代码（6位数字）")]
    Region,
    #[error("统一社会信用代码校验位不正确，请核对后重新输入")]
    CheckDigit,
}

/// A verified 18-character unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses a code typed by a person: surrounding spaces are ignored and letters upper-cased.
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let code: String = input.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        if code.chars().count() != 18 {
            return Err(CreditCodeError::Length);
        }
        let values: Vec<u32> = code
            .bytes()
            .map(gb32100_value)
            .collect::<Option<_>>()
            .ok_or(CreditCodeError::Charset)?;
        if !code[2..8].bytes().all(|b| b.is_ascii_digit()) {
            return Err(CreditCodeError::Region);
        }
        if gb32100_check(&values[..17]) != values[17] {
            return Err(CreditCodeError::CheckDigit);
        }
        Ok(Self(code))
    }

    /// Builds a valid code from its first 17 characters by appending the check character.
    /// Used to make synthetic codes for demo and load-test data.
    pub fn with_check_digit(first17: &str) -> Result<Self, CreditCodeError> {
        let values: Vec<u32> = first17
            .bytes()
            .map(gb32100_value)
            .collect::<Option<_>>()
            .ok_or(CreditCodeError::Charset)?;
        if values.len() != 17 {
            return Err(CreditCodeError::Length);
        }
        let check = GB32100_CHARSET[gb32100_check(&values) as usize] as char;
        Self::parse(&format!("{first17}{check}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit administrative division code embedded at positions 3–8.
    pub fn region_digits(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn gb32100_value(b: u8) -> Option<u32> {
    GB32100_CHARSET
        .iter()
        .position(|&c| c == b)
        .map(|p| p as u32)
}

fn gb32100_check(values: &[u32]) -> u32 {
    let sum: u32 = values.iter().zip(GB32100_WEIGHTS).map(|(v, w)| v * w).sum();
    (31 - sum % 31) % 31
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgCodeError {
    #[error("组织机构代码应为9位（可含一个连字符）")]
    Length,
    #[error("组织机构代码只能包含数字和大写英文字母")]
    Charset,
    #[error("组织机构代码校验位不正确，请核对后重新输入")]
    CheckDigit,
}

/// A verified 9-character organization code (GB 11714), as older certificates carry it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgCode(String);

impl OrgCode {
    pub fn parse(input: &str) -> Result<Self, OrgCodeError> {
        let code: String = input.trim().replace('-', "").to_ascii_uppercase();
        if code.len() != 9 || !code.is_ascii() {
            return Err(OrgCodeError::Length);
        }
        let body = &code.as_bytes()[..8];
        if !body
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        {
            return Err(OrgCodeError::Charset);
        }
        if gb11714_check(body) != Some(code.as_bytes()[8]) {
            return Err(OrgCodeError::CheckDigit);
        }
        Ok(Self(code))
    }

    /// Appends the check character to an 8-character body.
    pub fn with_check_digit(body: &str) -> Result<Self, OrgCodeError> {
        let check = gb11714_check(body.as_bytes()).ok_or(OrgCodeError::Charset)?;
        Self::parse(&format!("{body}{}", check as char))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn gb11714_check(body: &[u8]) -> Option<u8> {
    if body.len() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (b, w) in body.iter().zip(GB11714_WEIGHTS) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        c => b'0' + c as u8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in ["91350100M000100Y43", "91110000100006485K"] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
        assert_eq!(
            CreditCode::parse(" 91350100m000100y43 ").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn rejects_wrong_check_digit_length_and_charset() {
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::CheckDigit)
        );
        assert_eq!(CreditCode::parse("9135010"), Err(CreditCodeError::Length));
        assert_eq!(
            CreditCode::parse("91350100M000100YI3"),
            Err(CreditCodeError::Charset)
        );
        assert_eq!(CreditCode::parse(""), Err(CreditCodeError::Empty));
        assert_eq!(
            CreditCode::parse("统一社会信用代码统一社会信用代码统一"),
            Err(CreditCodeError::Charset)
        );
    }

    #[test]
    fn org_code_check_digit() {
        // GB 11714 worked example.
        assert!(OrgCode::parse("D2143569-X").is_ok());
        assert!(OrgCode::parse("D21435691").is_err());
    }

    proptest! {
        #[test]
        fn built_codes_parse_and_one_changed_char_fails(
            digits in proptest::collection::vec(0usize..31, 17),
            region in 100000u32..999999,
            pos in 0usize..17,
            delta in 1usize..31,
        ) {
            let mut chars: Vec<u8> = digits.iter().map(|&d| GB32100_CHARSET[d]).collect();
            chars[2..8].copy_from_slice(region.to_string().as_bytes());
            let first17 = String::from_utf8(chars.clone()).unwrap();
            let code = CreditCode::with_check_digit(&first17).unwrap();
            prop_assert_eq!(&code.as_str()[..17], first17.as_str());
            // A single substituted character is always caught by the mod-31 check.
            let old = gb32100_value(chars[pos]).unwrap() as usize;
            chars[pos] = GB32100_CHARSET[(old + delta) % 31];
            let mut changed = String::from_utf8(chars).unwrap();
            changed.push_str(&code.as_str()[17..]);
            prop_assert!(CreditCode::parse(&changed).is_err());
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = CreditCode::parse(&s);
            let _ = OrgCode::parse(&s);
        }
    }
}
