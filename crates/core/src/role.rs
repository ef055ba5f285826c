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
    /// Reads the audit trail; changes nothing.
    Auditor,
    /// Manages accounts, roles and reference data.
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Self::Unit,
        Self::OfficeReviewer,
        Self::RegistryReviewer,
        Self::Finance,
        Self::Auditor,
        Self::Admin,
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

    pub fn reads_audit(self) -> bool {
        matches!(self, Self::Auditor | Self::Admin)
    }

    pub fn manages_accounts(self) -> bool {
        self == Self::Admin
    }

    /// Staff who may read the notification outbox and its delivery status.
    pub fn reads_outbox(self) -> bool {
        matches!(self, Self::Admin | Self::RegistryReviewer | Self::Auditor)
    }
}
