//! 居民身份证号码 (GB 11643-1999): 18 characters, ISO 7064 MOD 11-2 check character.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdCardError {
    #[error("请输入身份证号")]
    Empty,
    #[error("身份证号应为18位，最后一位可以是数字或X")]
    Format,
    #[error("身份证号中的出生日期不正确")]
    BirthDate,
    #[error("身份证号校验位不正确，请核对后重新输入")]
    CheckDigit,
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECKS: &[u8; 11] = b"10X98765432";

/// A verified resident identity card number. It is personal data: show [`IdCardNumber::masked`].
#[derive(Clone, PartialEq, Eq)]
pub struct IdCardNumber(String);

impl std::fmt::Debug for IdCardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdCardNumber({})", self.masked())
    }
}

impl IdCardNumber {
    pub fn parse(input: &str) -> Result<Self, IdCardError> {
        let value = input.trim().to_ascii_uppercase();
        if value.is_empty() {
            return Err(IdCardError::Empty);
        }
        let b = value.as_bytes();
        if b.len() != 18
            || !b[..17].iter().all(u8::is_ascii_digit)
            || !(b[17].is_ascii_digit() || b[17] == b'X')
        {
            return Err(IdCardError::Format);
        }
        let birth = &value[6..14];
        if chrono::NaiveDate::parse_from_str(birth, "%Y%m%d").is_err() || &birth[..2] < "18" {
            return Err(IdCardError::BirthDate);
        }
        let sum: u32 = b[..17]
            .iter()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        if CHECKS[(sum % 11) as usize] != b[17] {
            return Err(IdCardError::CheckDigit);
        }
        Ok(Self(value))
    }

    /// The full number, for the printed application form only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `620421********1234`: region kept, birth date hidden.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_character() {
        // The GB 11643 worked example.
        assert!(IdCardNumber::parse("11010519491231002X").is_ok());
        assert_eq!(
            IdCardNumber::parse("110105194912310021"),
            Err(IdCardError::CheckDigit)
        );
        assert_eq!(
            IdCardNumber::parse("110105194913310021"),
            Err(IdCardError::BirthDate)
        );
        assert_eq!(IdCardNumber::parse("1101051949"), Err(IdCardError::Format));
        let id = IdCardNumber::parse("11010519491231002x").unwrap();
        assert_eq!(id.masked(), "110105********002X");
        assert!(!format!("{id:?}").contains("19491231"));
    }
}
