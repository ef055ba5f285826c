//! Paper a 编办 receives (the website application's letter and form, the domain application's
//! 申请表 with certificate copies): the date it came and how many copies, as a clerk types
//! them.

use chrono::NaiveDate;

use crate::FieldErrors;

/// What the clerk recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub received_on: NaiveDate,
    pub copies: u32,
}

/// The date and the number of copies, checked together: a date in `YYYY-MM-DD` no later
/// than `today`, and 1–99 copies. Errors go to the fields `received_on` and `copies`.
pub fn receipt(received_on: &str, copies: &str, today: NaiveDate) -> Result<Receipt, FieldErrors> {
    let mut e = FieldErrors::new();
    let date = match NaiveDate::parse_from_str(received_on.trim(), "%Y-%m-%d") {
        Ok(d) if d > today => {
            e.add("received_on", "收到日期不能晚于今天");
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            e.add("received_on", "请填写收到纸质材料的日期，例如 2026-11-23");
            None
        }
    };
    let copies = match copies.trim().parse::<u32>() {
        Ok(n) if (1..=99).contains(&n) => Some(n),
        _ => {
            e.add("copies", "请填写收到的份数（1至99）");
            None
        }
    };
    match (date, copies) {
        (Some(received_on), Some(copies)) if e.is_empty() => Ok(Receipt {
            received_on,
            copies,
        }),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_and_its_errors() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(receipt("2026-11-30", "3", today).unwrap().copies, 3);
        let e = receipt("2026-12-02", "0", today).unwrap_err();
        assert!(e.get("received_on").unwrap().contains("不能晚于今天"));
        assert!(e.get("copies").is_some());
        assert!(receipt("昨天", "3", today).is_err());
    }
}
