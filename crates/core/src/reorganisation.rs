//! 机构改革: what becomes of a unit that a reform merges into another (合并) or abolishes
//! (撤销). The rules, so the registry, the console and the roster import agree:
//! - only an active unit can be merged or abolished, and only into an active, different unit;
//! - a merge moves everything the unit holds to its successor: names, applications, sites
//!   (badge codes unchanged), balance; its red page is withdrawn (the successor publishes its
//!   own) and its accounts are disabled;
//! - an abolition stops its names resolving (they expire and are deleted as any name), closes
//!   its sites (badges revoked), withdraws its red page and disables its accounts; its balance
//!   stays for finance to refund; applications under review must be decided first.

use serde::Serialize;

/// Where a unit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnitStatus {
    Active,
    Merged,
    Abolished,
}

impl UnitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Merged => "merged",
            Self::Abolished => "abolished",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Merged, Self::Abolished]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "正常",
            Self::Merged => "已合并",
            Self::Abolished => "已撤销",
        }
    }
}

/// A reform of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reform {
    /// Merged into the unit with this id.
    MergeInto(i64),
    Abolish,
}

/// Why a reform cannot be done, in words for the clerk.
pub fn refusal(
    unit: (i64, UnitStatus),
    successor: Option<(i64, UnitStatus)>,
    reform: Reform,
    in_review: usize,
) -> Option<String> {
    let (id, status) = unit;
    if status != UnitStatus::Active {
        return Some(format!("该单位{}，不能再办理机构改革", status.label()));
    }
    match reform {
        Reform::MergeInto(into) => match successor {
            None => Some("未找到并入单位，请核对统一社会信用代码".to_owned()),
            Some((s, _)) if s == id || into == id => Some("不能并入单位自身".to_owned()),
            Some((_, st)) if st != UnitStatus::Active => {
                Some(format!("并入单位{}，请选择现存单位", st.label()))
            }
            Some(_) => None,
        },
        Reform::Abolish if in_review > 0 => Some(format!(
            "该单位有 {in_review} 项正在审核的申请，请先办结（审核通过或退回）后再撤销"
        )),
        Reform::Abolish => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use UnitStatus::*;

    #[test]
    fn a_merge_needs_an_active_other_unit() {
        assert_eq!(
            refusal((1, Active), Some((2, Active)), Reform::MergeInto(2), 3),
            None
        );
        assert!(refusal((1, Active), None, Reform::MergeInto(2), 0).is_some());
        assert!(
            refusal((1, Active), Some((1, Active)), Reform::MergeInto(1), 0)
                .unwrap()
                .contains("自身")
        );
        assert!(
            refusal((1, Active), Some((2, Merged)), Reform::MergeInto(2), 0)
                .unwrap()
                .contains("已合并")
        );
    }

    #[test]
    fn a_closed_unit_cannot_be_reformed_again() {
        for s in [Merged, Abolished] {
            assert!(refusal((1, s), Some((2, Active)), Reform::MergeInto(2), 0).is_some());
            assert!(refusal((1, s), None, Reform::Abolish, 0).is_some());
        }
    }

    #[test]
    fn abolition_waits_for_reviews_to_finish() {
        assert!(
            refusal((1, Active), None, Reform::Abolish, 2)
                .unwrap()
                .contains("2 项")
        );
        assert_eq!(refusal((1, Active), None, Reform::Abolish, 0), None);
    }

    #[test]
    fn statuses_round_trip() {
        for s in [Active, Merged, Abolished] {
            assert_eq!(UnitStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(UnitStatus::parse("closed"), None);
    }
}
