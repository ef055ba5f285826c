//! An office's roster of its units (单位名册), as a spreadsheet gives it: one row per unit with
//! its name, 统一社会信用代码, 组织机构类型, region, 上级主管单位 and a contact. Rows are read by
//! their header's words (the column order is free), every row's errors are collected, and a
//! credit code that appears twice is an error on both rows.

use std::collections::HashMap;

use serde::Serialize;

use crate::contact::{Email, Mobile};
use crate::credit_code::CreditCode;
use crate::org_type::OrgType;
use crate::region::RegionCode;

/// The columns, by the words a header may use for them.
const COLUMNS: [(&str, &[&str]); 8] = [
    ("name", &["单位名称", "单位全称", "机构名称", "名称"]),
    (
        "credit_code",
        &["统一社会信用代码", "信用代码", "社会信用代码"],
    ),
    ("org_type", &["组织机构类型", "机构类型", "单位类型"]),
    (
        "region",
        &["所在地区代码", "地区代码", "行政区划代码", "所在地区"],
    ),
    ("parent_org", &["上级主管单位", "主管单位", "上级单位"]),
    ("contact_name", &["联系人", "经办人", "联系人姓名"]),
    ("mobile", &["手机", "手机号码", "联系人手机", "联系电话"]),
    ("email", &["电子邮箱", "邮箱", "联系人邮箱"]),
];

/// The most rows one import takes.
pub const MAX_ROWS: usize = 20_000;

/// One unit of the roster, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterUnit {
    /// The row in the file (the header is row 1).
    pub row: usize,
    pub name: String,
    pub credit_code: String,
    pub org_type: String,
    pub org_type_label: &'static str,
    pub region_code: i64,
    pub parent_org: String,
    pub contact_name: String,
    pub mobile: String,
    pub email: String,
}

/// Everything wrong with one row, in plain Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub messages: Vec<String>,
}

/// A roster read: the good rows and the rows with errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Roster {
    pub units: Vec<RosterUnit>,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    #[error(
        "表格是空的，第一行应为表头（单位名称、统一社会信用代码、组织机构类型、所在地区代码……）"
    )]
    Empty,
    #[error("表头缺少“{0}”列")]
    MissingColumn(&'static str),
    #[error("一次最多导入{max}行，请分批导入", max = MAX_ROWS)]
    TooManyRows,
}

fn org_type(raw: &str) -> Option<OrgType> {
    let raw = raw.trim();
    OrgType::ALL
        .into_iter()
        .find(|t| t.label() == raw || t.as_str() == raw)
        .or(match raw {
            "党的机关" | "党委机关" => Some(OrgType::Party),
            "政府机关" | "行政机关" => Some(OrgType::Government),
            "人大机关" => Some(OrgType::Congress),
            "政协机关" => Some(OrgType::Cppcc),
            "群团组织" | "群众团体" => Some(OrgType::MassOrganization),
            _ => None,
        })
}

/// Reads `rows` (the first is the header). `region_ok` says whether a region code is one the
/// importer may use (known, and within its jurisdiction).
pub fn read(
    rows: &[Vec<String>],
    region_ok: impl Fn(RegionCode) -> bool,
) -> Result<Roster, RosterError> {
    let (header, body) = rows.split_first().ok_or(RosterError::Empty)?;
    if body.len() > MAX_ROWS {
        return Err(RosterError::TooManyRows);
    }
    let mut index = HashMap::new();
    for (key, words) in COLUMNS {
        if let Some(i) = header
            .iter()
            .position(|h| words.contains(&h.trim().trim_start_matches('\u{feff}')))
        {
            index.insert(key, i);
        }
    }
    for (key, label) in [
        ("name", "单位名称"),
        ("credit_code", "统一社会信用代码"),
        ("org_type", "组织机构类型"),
        ("region", "所在地区代码"),
    ] {
        if !index.contains_key(key) {
            return Err(RosterError::MissingColumn(label));
        }
    }
    let cell = |r: &Vec<String>, key: &str| -> String {
        index
            .get(key)
            .and_then(|i| r.get(*i))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };
    let mut out = Roster::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, r) in body.iter().enumerate() {
        let row = i + 2;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut messages = Vec::new();
        let name = cell(r, "name");
        if name.is_empty() {
            messages.push("缺少单位名称".to_owned());
        } else if name.chars().count() > 100 {
            messages.push("单位名称不能超过100个字".to_owned());
        }
        let raw_code = cell(r, "credit_code").to_ascii_uppercase();
        let credit_code = match CreditCode::parse(&raw_code) {
            Ok(c) => c.to_string(),
            Err(e) => {
                messages.push(format!("统一社会信用代码：{e}"));
                raw_code.clone()
            }
        };
        let org = org_type(&cell(r, "org_type"));
        if org.is_none() {
            messages.push(format!(
                "组织机构类型“{}”无法识别，应为：党委、人大、政府、政协、法院、检察院、民主党派、群团、事业单位、其他",
                cell(r, "org_type")
            ));
        }
        let region = cell(r, "region");
        let region_code = match region.parse::<i64>().ok().and_then(RegionCode::from_i64) {
            Some(code) if region_ok(code) => i64::from(code.value()),
            Some(_) => {
                messages.push(format!("地区代码 {region} 不在本编办辖区"));
                0
            }
            None => {
                messages.push(format!("地区代码“{region}”不是有效的6位行政区划代码"));
                0
            }
        };
        let mobile = cell(r, "mobile");
        if !mobile.is_empty() && Mobile::parse("手机", &mobile).is_err() {
            messages.push(format!("手机号码“{mobile}”格式不正确"));
        }
        let email = cell(r, "email");
        if !email.is_empty() && Email::parse("电子邮箱", &email).is_err() {
            messages.push(format!("电子邮箱“{email}”格式不正确"));
        }
        if let Some(first) = seen.get(&credit_code) {
            messages.push(format!("统一社会信用代码与第{first}行重复"));
            if let Some(e) = out.errors.iter_mut().find(|e| e.row == *first) {
                e.messages.push(format!("统一社会信用代码与第{row}行重复"));
            } else {
                out.units.retain(|u| u.row != *first);
                out.errors.push(RowError {
                    row: *first,
                    messages: vec![format!("统一社会信用代码与第{row}行重复")],
                });
            }
        } else if !raw_code.is_empty() {
            seen.insert(credit_code.clone(), row);
        }
        match (messages.is_empty(), org) {
            (true, Some(org)) => out.units.push(RosterUnit {
                row,
                name,
                credit_code,
                org_type: org.as_str().to_owned(),
                org_type_label: org.label(),
                region_code,
                parent_org: cell(r, "parent_org"),
                contact_name: cell(r, "contact_name"),
                mobile: Mobile::parse("", &mobile)
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                email,
            }),
            _ => out.errors.push(RowError { row, messages }),
        }
    }
    out.errors.sort_by_key(|e| e.row);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(seq: u32) -> String {
        let org = crate::credit_code::OrgCode::with_check_digit(&format!("R{seq:07}")).unwrap();
        CreditCode::with_check_digit(&format!("11620421{}", org.as_str()))
            .unwrap()
            .to_string()
    }

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn a_roster_with_every_kind_of_mistake() {
        let (a, b) = (code(1), code(2));
        let rows = vec![
            row(&[
                "\u{feff}统一社会信用代码",
                "单位名称",
                "组织机构类型",
                "所在地区代码",
                "联系人",
                "手机",
                "电子邮箱",
            ]),
            row(&[
                &a,
                "靖远县档案馆",
                "事业单位",
                "620421",
                "王五",
                "13900000001",
                "da@test.example",
            ]),
            row(&[&b, "靖远县供销社", "群团组织", "620421", "", "", ""]),
            row(&["91620421MA00000000", "坏代码", "政府", "620421", "", "", ""]),
            row(&[&a, "重复的单位", "政府", "620421", "", "", ""]),
            row(&[&code(3), "外县单位", "政府", "620422", "", "123", "x"]),
            row(&["", "", "", "", "", "", ""]),
        ];
        let r = read(&rows, |c| c.value() == 620421).unwrap();
        assert_eq!(r.units.len(), 1, "{r:?}");
        assert_eq!(r.units[0].name, "靖远县供销社");
        assert_eq!(r.units[0].org_type, "mass_organization");
        let rows_with_errors: Vec<usize> = r.errors.iter().map(|e| e.row).collect();
        assert_eq!(rows_with_errors, [2, 4, 5, 6]);
        let six = &r.errors.iter().find(|e| e.row == 6).unwrap().messages;
        assert_eq!(six.len(), 3, "region, mobile and e-mail at once: {six:?}");
        assert!(r.errors[0].messages[0].contains("与第5行重复"));
    }

    #[test]
    fn headers_are_required() {
        assert_eq!(read(&[], |_| true), Err(RosterError::Empty));
        let rows = vec![row(&["单位名称", "组织机构类型", "所在地区代码"])];
        assert_eq!(
            read(&rows, |_| true),
            Err(RosterError::MissingColumn("统一社会信用代码"))
        );
    }
}
