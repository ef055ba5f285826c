//! Who can do what: the roles of docs/RULES.md §1.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Staff of a registered unit.
    Unit,
    /// A reviewer bound to one establishment office (编办).
    OfficeReviewer,
    /// Second-level reviewer at the registry centre.
    RegistryReviewer,
    /// Registry staff with money rights.
    Finance,
    /// 审计员: reads and verifies the audit trail; changes nothing.
    Auditor,
    /// 系统管理员: accounts (creation, disabling, password resets), offices, the calendar,
    /// prices, reserved names and platform settings. Does not read the audit trail and does
    /// not decide roles or second factors (三员分立, GB/T 22239 level 3).
    Admin,
    /// 安全管理员: decides each staff account's role and whether it must use a second factor;
    /// neither creates accounts nor reads the audit trail.
    SecurityAdmin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Self::Unit,
        Self::OfficeReviewer,
        Self::RegistryReviewer,
        Self::Finance,
        Self::Auditor,
        Self::Admin,
        Self::SecurityAdmin,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unit => "unit",
            Self::OfficeReviewer => "office_reviewer",
            Self::RegistryReviewer => "registry_reviewer",
            Self::Finance => "finance",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
            Self::SecurityAdmin => "security_admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Unit => "单位用户",
            Self::OfficeReviewer => "编办审核员",
            Self::RegistryReviewer => "注册中心审核员",
            Self::Finance => "财务人员",
            Self::Auditor => "审计员",
            Self::Admin => "系统管理员",
            Self::SecurityAdmin => "安全管理员",
        }
    }

    pub fn is_staff(self) -> bool {
        self != Self::Unit
    }

    /// Roles that see units: an office reviewer its own region only, registry roles all.
    pub fn sees_units(self) -> bool {
        matches!(
            self,
            Self::OfficeReviewer | Self::RegistryReviewer | Self::Finance | Self::Admin
        )
    }

    /// Only the auditor: the administrators' own actions are what the trail holds.
    pub fn reads_audit(self) -> bool {
        self == Self::Auditor
    }

    /// Creates and disables accounts, sends reset links, keeps offices and reference data.
    pub fn manages_accounts(self) -> bool {
        self == Self::Admin
    }

    /// Decides roles and second factors.
    pub fn manages_security(self) -> bool {
        self == Self::SecurityAdmin
    }

    /// Sees the staff accounts (either administrator).
    pub fn sees_accounts(self) -> bool {
        self.manages_accounts() || self.manages_security()
    }

    /// Staff who may read the notification outbox and its delivery status.
    pub fn reads_outbox(self) -> bool {
        matches!(self, Self::Admin | Self::RegistryReviewer | Self::Auditor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_role_holds_two_of_the_three_administrative_powers() {
        for r in Role::ALL {
            let powers = [r.manages_accounts(), r.manages_security(), r.reads_audit()];
            assert!(powers.iter().filter(|p| **p).count() <= 1, "{r:?}");
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(Role::Admin.manages_accounts());
        assert!(Role::SecurityAdmin.manages_security());
        assert!(Role::Auditor.reads_audit());
    }
}
