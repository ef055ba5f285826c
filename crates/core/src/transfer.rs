//! A bank transfer reported by a unit (我要转账) or by an office for several units (编办代缴):
//! pending until finance confirms it arrived (the balances are credited) or returns it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    Pending,
    Confirmed,
    Rejected,
}

impl TransferStatus {
    pub const ALL: [TransferStatus; 3] = [Self::Pending, Self::Confirmed, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The status as the unit and the office read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "待财务确认",
            Self::Confirmed => "已到账",
            Self::Rejected => "未到账（已退回）",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TransferStatus;

    #[test]
    fn names_round_trip() {
        for t in TransferStatus::ALL {
            assert_eq!(TransferStatus::parse(t.as_str()), Some(t));
        }
        assert_eq!(TransferStatus::parse("lost"), None);
    }
}
