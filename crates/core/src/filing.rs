//! A site's two public filings: the ICP filing (ICP备案号, or an ICP licence, ICP证) with the
//! telecom administration and the public security filing (公安机关互联网站安全管理服务平台备案号).
//! Both optional; when given, in the form the filing systems print.

/// The provinces' one-character abbreviations, as filing numbers begin.
const PROVINCES: &str =
    "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵黔云滇藏陕秦甘陇青宁新港澳台";

/// `甘ICP备05000339号`, `京ICP备12345678号-1`, `京ICP证030173号`: a province, ICP备 or ICP证,
/// 6 to 10 digits, 号, and an optional `-n` site number. Spaces are dropped, and the ASCII
/// letters are taken in any case. Returns the number as printed.
pub fn parse_icp(input: &str) -> Result<String, &'static str> {
    let s: String = input.split_whitespace().collect();
    let s = s.replace("icp", "ICP").replace("Icp", "ICP");
    let bad =
        "ICP备案号格式应为“省份简称+ICP备+数字+号”，例如 甘ICP备05000339号 或 甘ICP备05000339号-1";
    let mut chars = s.chars();
    let province = chars.next().ok_or(bad)?;
    if !PROVINCES.contains(province) {
        return Err(bad);
    }
    let rest: &str = chars.as_str();
    let rest = rest
        .strip_prefix("ICP备")
        .or_else(|| rest.strip_prefix("ICP证"))
        .ok_or(bad)?;
    let (digits, tail) = rest.split_once('号').ok_or(bad)?;
    if !(6..=10).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad);
    }
    let tail_ok = tail.is_empty()
        || tail
            .strip_prefix('-')
            .is_some_and(|n| (1..=3).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()));
    if !tail_ok {
        return Err(bad);
    }
    Ok(s)
}

/// `京公网安备 11010802020088号`: a province, 公网安备, 14 digits, 号. Printed with one space
/// before the digits, as the filing platform does.
pub fn parse_psb(input: &str) -> Result<String, &'static str> {
    let s: String = input.split_whitespace().collect();
    let bad = "公安备案号格式应为“省份简称+公网安备+14位数字+号”，例如 甘公网安备 62042102000001号";
    let mut chars = s.chars();
    let province = chars.next().ok_or(bad)?;
    if !PROVINCES.contains(province) {
        return Err(bad);
    }
    let digits = chars
        .as_str()
        .strip_prefix("公网安备")
        .and_then(|r| r.strip_suffix('号'))
        .ok_or(bad)?;
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad);
    }
    Ok(format!("{province}公网安备 {digits}号"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filing_numbers_as_printed_are_taken_and_others_refused() {
        assert_eq!(parse_icp("甘ICP备05000339号").unwrap(), "甘ICP备05000339号");
        assert_eq!(
            parse_icp(" 京icp备 12345678号-1 ").unwrap(),
            "京ICP备12345678号-1"
        );
        assert_eq!(parse_icp("京ICP证030173号").unwrap(), "京ICP证030173号");
        for bad in [
            "ICP备05000339号",
            "甘ICP备0500号",
            "甘ICP备05000339",
            "甘ICP备05000339号-x",
            "X",
        ] {
            assert!(parse_icp(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_psb("甘公网安备62042102000001号").unwrap(),
            "甘公网安备 62042102000001号"
        );
        for bad in [
            "甘公网安备 6204210200000号",
            "公网安备 62042102000001号",
            "甘公网安备 62042102000001",
        ] {
            assert!(parse_psb(bad).is_err(), "{bad}");
        }
    }
}
