//! The password rules: long enough, not a known common password, not the user name.
//! There are no composition rules (NIST SP 800-63B §5.1.1.2); length and the blocklist do the work.

/// Common passwords refused outright, one per line, lower-case.
const COMMON: &str = include_str!("../../../reference/common-passwords.txt");

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("请输入密码")]
    Empty,
    #[error("密码至少需要{MIN_CHARS}个字符")]
    TooShort,
    #[error("密码不能超过{MAX_CHARS}个字符")]
    TooLong,
    #[error("这个密码太常见，容易被猜到，请换一个")]
    Common,
    #[error("密码不能包含用户名")]
    ContainsUsername,
    #[error("密码不能全是数字或同一个字符，请加入字母或其他字符")]
    Monotonous,
}

/// Checks a new password chosen by `username`.
pub fn check_new_password(password: &str, username: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n == 0 {
        return Err(PasswordError::Empty);
    }
    if n < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if n > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    if is_common(&lower) {
        return Err(PasswordError::Common);
    }
    let user = username.trim().to_lowercase();
    if user.chars().count() >= 3 && lower.contains(&user) {
        return Err(PasswordError::ContainsUsername);
    }
    let first = lower.chars().next();
    if lower.chars().all(|c| c.is_ascii_digit()) || lower.chars().all(|c| Some(c) == first) {
        return Err(PasswordError::Monotonous);
    }
    Ok(())
}

fn is_common(lower: &str) -> bool {
    COMMON.lines().any(|line| line.trim() == lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(check_new_password("", "u"), Err(PasswordError::Empty));
        assert_eq!(
            check_new_password("short", "u"),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_new_password("1234567890", "u"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_new_password("Password123", "u"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_new_password("13830020303", "u"),
            Err(PasswordError::Monotonous)
        );
        assert_eq!(
            check_new_password("aaaaaaaaaaaa", "u"),
            Err(PasswordError::Monotonous)
        );
        assert_eq!(
            check_new_password("x40765728-yes", "40765728"),
            Err(PasswordError::ContainsUsername)
        );
        assert_eq!(check_new_password("黄河石林 远山 2026", "40765728"), Ok(()));
        assert_eq!(
            check_new_password(&"长".repeat(129), "u"),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn blocklist_is_loaded() {
        assert!(COMMON.lines().count() > 1000);
    }
}
