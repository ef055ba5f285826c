//! Contact details as people type them on the seed's forms: names, phones, e-mail, postcodes.

use std::fmt;

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Errors carry the field's own words so the message can stand beside it ("请输入……").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("请输入{0}")]
    Missing(&'static str),
    #[error("{0}不能超过{1}个字")]
    TooLong(&'static str, usize),
    #[error("{0}不能包含控制字符")]
    Control(&'static str),
    #[error("{0}应为11位数字，以13至19开头")]
    Mobile(&'static str),
    #[error("{0}应包含区号，例如 0943-6123456")]
    FixedPhone(&'static str),
    #[error("{0}应为有效的电子邮箱地址，例如 name@example.cn")]
    Email(&'static str),
    #[error("{0}应为6位数字")]
    Postcode(&'static str),
}

/// Trims a required free-text value and checks its length in characters.
pub fn required_text(
    label: &'static str,
    input: &str,
    max_chars: usize,
) -> Result<String, ContactError> {
    let value = input.trim();
    if value.is_empty() {
        return Err(ContactError::Missing(label));
    }
    optional_text(label, value, max_chars)
}

/// Trims an optional free-text value; control characters other than line breaks are refused.
pub fn optional_text(
    label: &'static str,
    input: &str,
    max_chars: usize,
) -> Result<String, ContactError> {
    let value = input.trim();
    if value.chars().count() > max_chars {
        return Err(ContactError::TooLong(label, max_chars));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(ContactError::Control(label));
    }
    Ok(value.to_owned())
}

/// A mainland China mobile number: 11 digits, `1[3-9]…`. A `+86` prefix and spaces are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mobile(String);
string_newtype!(Mobile);

impl Mobile {
    pub fn parse(label: &'static str, input: &str) -> Result<Self, ContactError> {
        let digits = strip_separators(input);
        if digits.is_empty() {
            return Err(ContactError::Missing(label));
        }
        let digits = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("0086"))
            .unwrap_or(&digits);
        let b = digits.as_bytes();
        let ok = b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1]);
        if ok {
            Ok(Self(digits.to_owned()))
        } else {
            Err(ContactError::Mobile(label))
        }
    }

    /// `138****0303`: what screens show; the full number is for delivery only.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// A fixed-line number with its area code (`0943-6123456`, optional `-ext`), or a mobile.
/// The seed's forms ask for "电话/手机", so either form is accepted where that is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);
string_newtype!(Phone);

impl Phone {
    /// A fixed line with area code only.
    pub fn parse_fixed(label: &'static str, input: &str) -> Result<Self, ContactError> {
        let value = input.trim().replace([' ', '－', '—'], "-");
        if value.is_empty() {
            return Err(ContactError::Missing(label));
        }
        if is_fixed_line(&value) {
            Ok(Self(value))
        } else {
            Err(ContactError::FixedPhone(label))
        }
    }

    /// A fixed line with area code, or a mobile number.
    pub fn parse_any(label: &'static str, input: &str) -> Result<Self, ContactError> {
        if let Ok(mobile) = Mobile::parse(label, input) {
            return Ok(Self(mobile.0));
        }
        Self::parse_fixed(label, input)
    }
}

fn is_fixed_line(value: &str) -> bool {
    let mut parts = value.split('-');
    let (Some(area), Some(number)) = (parts.next(), parts.next()) else {
        // Without a separator: area code and number written together, e.g. 09436123456.
        return value.len() >= 10
            && value.len() <= 12
            && value.starts_with('0')
            && value.bytes().all(|b| b.is_ascii_digit());
    };
    let ext = parts.next();
    parts.next().is_none()
        && area.starts_with('0')
        && (3..=4).contains(&area.len())
        && area.bytes().all(|b| b.is_ascii_digit())
        && (7..=8).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
        && ext.is_none_or(|e| (1..=6).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_digit()))
}

fn strip_separators(input: &str) -> String {
    input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect()
}

/// An e-mail address with a plausible shape; delivery is what proves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    pub fn parse(label: &'static str, input: &str) -> Result<Self, ContactError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(ContactError::Missing(label));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(ContactError::Email(label));
        };
        let ok = value.len() <= 254
            && !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && value
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"\\".contains(c));
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(ContactError::Email(label))
        }
    }

    /// `x***@example.cn` for screens that must not show the whole address.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

/// A six-digit postal code (邮编).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postcode(String);
string_newtype!(Postcode);

impl Postcode {
    pub fn parse(label: &'static str, input: &str) -> Result<Self, ContactError> {
        let value = input.trim();
        if value.is_empty() {
            return Err(ContactError::Missing(label));
        }
        if value.len() == 6 && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(value.to_owned()))
        } else {
            Err(ContactError::Postcode(label))
        }
    }
}

/// Masks any recipient (mobile or e-mail) for logs and staff screens.
pub fn mask_recipient(recipient: &str) -> String {
    if let Ok(email) = Email::parse("", recipient) {
        return email.masked();
    }
    if let Ok(mobile) = Mobile::parse("", recipient) {
        return mobile.masked();
    }
    let n = recipient.chars().count();
    let head: String = recipient.chars().take(n.min(2)).collect();
    format!("{head}***")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mobiles() {
        assert_eq!(
            Mobile::parse("手机", "13830020303").unwrap().as_str(),
            "13830020303"
        );
        assert_eq!(
            Mobile::parse("手机", "+86 138 3002 0303").unwrap().as_str(),
            "13830020303"
        );
        assert_eq!(
            Mobile::parse("手机", "13830020303").unwrap().masked(),
            "138****0303"
        );
        for bad in [
            "1383002030",
            "12830020303",
            "23830020303",
            "1383002030x",
            "138300203031",
        ] {
            assert_eq!(
                Mobile::parse("手机号码", bad),
                Err(ContactError::Mobile("手机号码")),
                "{bad}"
            );
        }
        assert_eq!(
            Mobile::parse("手机号码", "  ").unwrap_err().to_string(),
            "请输入手机号码"
        );
    }

    #[test]
    fn fixed_phones() {
        for ok in [
            "0943-6123456",
            "010-52035000",
            "0943 6123456",
            "09436123456",
            "010-52035000-123",
        ] {
            assert!(Phone::parse_fixed("固定电话", ok).is_ok(), "{ok}");
        }
        for bad in [
            "6123456",
            "943-6123456",
            "0943-61234",
            "0943-6123456-1234567",
            "abc",
        ] {
            assert!(Phone::parse_fixed("固定电话", bad).is_err(), "{bad}");
        }
        assert!(Phone::parse_any("电话/手机", "13830020303").is_ok());
    }

    #[test]
    fn emails_and_postcodes() {
        assert!(Email::parse("电子邮箱", "xin@jingyuan.gov.cn").is_ok());
        assert_eq!(
            Email::parse("电子邮箱", "xin@jingyuan.gov.cn")
                .unwrap()
                .masked(),
            "x***@jingyuan.gov.cn"
        );
        for bad in [
            "xin", "xin@", "@a.cn", "a b@c.cn", "a@b", "a@.cn", "a@b..cn",
        ] {
            assert!(Email::parse("电子邮箱", bad).is_err(), "{bad}");
        }
        assert!(Postcode::parse("邮编", "730600").is_ok());
        assert_eq!(
            Postcode::parse("邮编", "73060").unwrap_err().to_string(),
            "邮编应为6位数字"
        );
    }

    #[test]
    fn text_rules() {
        assert_eq!(
            required_text("单位名称", "  县委办公室 ", 50).unwrap(),
            "县委办公室"
        );
        assert!(required_text("单位名称", "a\u{0}b", 50).is_err());
        assert!(required_text("单位名称", &"长".repeat(51), 50).is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,80}") {
            let _ = Mobile::parse("x", &s);
            let _ = Phone::parse_any("x", &s);
            let _ = Email::parse("x", &s);
            let _ = Postcode::parse("x", &s);
            let _ = mask_recipient(&s);
        }
    }
}
