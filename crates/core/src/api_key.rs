//! API keys of the JSON API (`/api/v1`): what a key may do (its scope), who may hold one,
//! the creation form's checks, and how a presented key must look.
//!
//! A key acts with its account's role and jurisdiction, never more: the scope only narrows
//! (a `read` key of a reviewer cannot decide), it never widens.

use crate::FieldErrors;
use crate::role::Role;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiScope {
    /// Read the lists and records of the account's jurisdiction.
    Read,
    /// Read, and decide reviews at the account's review stage.
    Review,
}

impl ApiScope {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "read" => Some(Self::Read),
            "review" => Some(Self::Review),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Review => "review",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Read => "只读",
            Self::Review => "读取和审核",
        }
    }

    /// Whether a key of this scope may make review decisions.
    pub fn decides(self) -> bool {
        self == Self::Review
    }
}

/// The scopes `role` may hold a key with: readers of a jurisdiction (a unit its own records,
/// an office its region, the registry roles all) may read; only reviewers may decide. The
/// auditor and the security administrator have nothing the API serves, so no key.
pub fn scopes_for(role: Role) -> &'static [ApiScope] {
    match role {
        Role::OfficeReviewer | Role::RegistryReviewer => &[ApiScope::Read, ApiScope::Review],
        Role::Unit | Role::Finance | Role::Admin => &[ApiScope::Read],
        Role::Auditor | Role::SecurityAdmin => &[],
    }
}

/// Longest and default lifetime of a key, in days.
pub const MAX_DAYS: u32 = 365;
pub const DEFAULT_DAYS: u32 = 90;
/// Keys an account may hold at once (live, not revoked, not expired).
pub const MAX_LIVE_KEYS: i64 = 10;

/// The prefix every key starts with, so a leaked key is recognisable (and scannable).
pub const PREFIX: &str = "gsk_";

/// A checked key-creation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub label: String,
    pub scope: ApiScope,
    pub days: u32,
}

/// The form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct KeyForm {
    pub label: String,
    pub scope: String,
    pub days: String,
}

impl KeyForm {
    /// Every error at once, for an account of `role`.
    pub fn check(&self, role: Role) -> Result<NewKey, FieldErrors> {
        let mut e = FieldErrors::new();
        let label = self.label.trim();
        if label.is_empty() {
            e.add("label", "请填写密钥用途，例如“省政务服务平台统计”");
        } else if label.chars().count() > 40 || label.chars().any(char::is_control) {
            e.add("label", "密钥用途不超过 40 个字，且不含控制字符");
        }
        let allowed = scopes_for(role);
        let scope = ApiScope::parse(&self.scope);
        match scope {
            None => e.add("scope", "请选择权限：只读或读取和审核"),
            Some(s) if !allowed.contains(&s) => e.add(
                "scope",
                "您的角色不能持有该权限的密钥（只有审核员可以通过接口审核）",
            ),
            Some(_) => {}
        }
        let days = if self.days.trim().is_empty() {
            Some(DEFAULT_DAYS)
        } else {
            self.days.trim().parse::<u32>().ok()
        };
        match days {
            Some(d) if (1..=MAX_DAYS).contains(&d) => {}
            _ => e.add("days", format!("有效期应为 1 至 {MAX_DAYS} 天")),
        }
        if allowed.is_empty() {
            e.add("scope", "您的角色没有可通过接口读取的数据，不能创建密钥");
        }
        match (scope, days) {
            (Some(scope), Some(days)) if e.is_empty() => Ok(NewKey {
                label: label.to_owned(),
                scope,
                days,
            }),
            _ => Err(e),
        }
    }
}

/// A key as presented in `Authorization: Bearer …`: the prefix and 43 URL-safe characters
/// (256 random bits). Anything else is not worth a database read.
pub fn well_formed(key: &str) -> bool {
    key.strip_prefix(PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// What lists show of a key: its prefix and first characters, never the secret part.
pub fn hint(key: &str) -> String {
    key.chars().take(PREFIX.len() + 6).collect::<String>() + "…"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(label: &str, scope: &str, days: &str) -> KeyForm {
        KeyForm {
            label: label.into(),
            scope: scope.into(),
            days: days.into(),
        }
    }

    #[test]
    fn a_reviewer_may_hold_a_review_key_and_a_unit_may_not() {
        let ok = form("统计", "review", "30")
            .check(Role::OfficeReviewer)
            .unwrap();
        assert_eq!((ok.scope, ok.days), (ApiScope::Review, 30));
        let e = form("统计", "review", "30").check(Role::Unit).unwrap_err();
        assert!(e.get("scope").is_some());
        assert!(form("统计", "read", "").check(Role::Unit).is_ok());
    }

    #[test]
    fn the_auditor_holds_no_key_and_every_error_comes_at_once() {
        assert!(form("审计", "read", "").check(Role::Auditor).is_err());
        let e = form("", "write", "400").check(Role::Admin).unwrap_err();
        for field in ["label", "scope", "days"] {
            assert!(e.get(field).is_some(), "{field}");
        }
        assert!(form("x", "read", "0").check(Role::Admin).is_err());
        assert!(
            form(&"长".repeat(41), "read", "1")
                .check(Role::Admin)
                .is_err()
        );
        assert_eq!(
            form("x", "read", "").check(Role::Admin).unwrap().days,
            DEFAULT_DAYS
        );
    }

    #[test]
    fn only_keys_of_our_shape_are_looked_up() {
        let key = format!("{PREFIX}{}", "a".repeat(43));
        assert!(well_formed(&key));
        assert!(!well_formed(&key[..key.len() - 1]));
        assert!(!well_formed(&format!("{PREFIX}{}", "é".repeat(43))));
        assert!(!well_formed("Bearer"));
        assert_eq!(hint(&key), "gsk_aaaaaa…");
    }
}
