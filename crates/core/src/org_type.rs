//! 组织机构类型 and the Chinese top-level suffix each type may hold.

use serde::Serialize;

/// The organization types of the seed's forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgType {
    Party,
    Congress,
    Government,
    Cppcc,
    Court,
    Procuratorate,
    DemocraticParty,
    MassOrganization,
    PublicInstitution,
    Other,
}

/// The two zones govsite runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Suffix {
    /// .政务, for party and government organs.
    Zhengwu,
    /// .公益, for public institutions.
    Gongyi,
}

impl Suffix {
    pub fn label(self) -> &'static str {
        match self {
            Self::Zhengwu => ".政务",
            Self::Gongyi => ".公益",
        }
    }

    pub fn ace(self) -> &'static str {
        match self {
            Self::Zhengwu => "xn--zfr164b",
            Self::Gongyi => "xn--55qw42g",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("请选择组织机构类型")]
pub struct OrgTypeError;

impl OrgType {
    pub const ALL: [OrgType; 10] = [
        Self::Party,
        Self::Congress,
        Self::Government,
        Self::Cppcc,
        Self::Court,
        Self::Procuratorate,
        Self::DemocraticParty,
        Self::MassOrganization,
        Self::PublicInstitution,
        Self::Other,
    ];

    pub fn parse(s: &str) -> Result<Self, OrgTypeError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or(OrgTypeError)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Party => "party",
            Self::Congress => "congress",
            Self::Government => "government",
            Self::Cppcc => "cppcc",
            Self::Court => "court",
            Self::Procuratorate => "procuratorate",
            Self::DemocraticParty => "democratic_party",
            Self::MassOrganization => "mass_organization",
            Self::PublicInstitution => "public_institution",
            Self::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Party => "党委",
            Self::Congress => "人大",
            Self::Government => "政府",
            Self::Cppcc => "政协",
            Self::Court => "法院",
            Self::Procuratorate => "检察院",
            Self::DemocraticParty => "民主党派",
            Self::MassOrganization => "群团",
            Self::PublicInstitution => "事业单位",
            Self::Other => "其他",
        }
    }

    /// The suffix a unit of this type holds. A public institution with administrative
    /// functions may also hold .政务, but only with proof a reviewer accepts, so that is an
    /// exception granted per unit, not a rule of the type.
    pub fn suffix(self) -> Suffix {
        match self {
            Self::PublicInstitution => Suffix::Gongyi,
            _ => Suffix::Zhengwu,
        }
    }

    /// Party and government organs file paper and carry the red badge; public institutions
    /// skip the paper step and carry the blue one.
    pub fn is_party_or_government(self) -> bool {
        self.suffix() == Suffix::Zhengwu
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_follows_type() {
        assert_eq!(OrgType::Government.suffix().label(), ".政务");
        assert_eq!(OrgType::PublicInstitution.suffix().label(), ".公益");
        for t in OrgType::ALL {
            assert_eq!(OrgType::parse(t.as_str()), Ok(t));
        }
        assert!(OrgType::parse("bank").is_err());
    }
}
