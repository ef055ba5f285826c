//! 网络红页: the free micro-site of a unit without a website of its own. What the unit edits
//! (a profile, five fixed sections, notices, a footer, a logo), checked into
//! [`RedPageContent`]; the public pages are made from it by the service.
//!
//! Edits are a draft until published; each publication is a version the unit can return to.
//! A red page is one of draft (never published), published, unpublished by the unit, or taken
//! down by its 编办 for its content.

use serde::{Deserialize, Serialize};

use crate::FieldErrors;
use crate::contact::{self, Email, Phone, Postcode};
use crate::rich_text;

/// The fixed sections of a government micro-site: (path key, title).
pub const SECTIONS: [(&str, &str); 5] = [
    ("gaikuang", "机构概况"),
    ("lingdao", "领导信息"),
    ("jigou", "内设机构"),
    ("banshi", "办事指南"),
    ("lianxi", "联系我们"),
];

/// Notices per page of the public list and of the editor.
pub const NOTICES_PER_PAGE: usize = 10;
/// At most this many notices are kept on one red page.
pub const MAX_NOTICES: usize = 500;

/// The unit's profile (from 单位信息, editable here); which contacts are public is its choice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    /// 机构职能, formatted text.
    pub functions: String,
    pub address: String,
    pub postcode: String,
    pub phone: String,
    pub email: String,
    pub show_phone: bool,
    pub show_email: bool,
}

/// The 页脚 the seed names: 主办单位, address, phone, ICP备案号 and 公安备案号 when it has them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footer {
    pub sponsor: String,
    pub address: String,
    pub phone: String,
    pub icp: String,
    pub psb: String,
}

/// One 公告.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: u32,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Formatted text.
    pub body: String,
}

/// Everything a red page shows. Stored as JSON, for the draft and for each version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedPageContent {
    pub profile: Profile,
    /// Formatted text by section key (see [`SECTIONS`]); a missing key is an empty section.
    #[serde(default)]
    pub sections: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub notices: Vec<Notice>,
    pub footer: Footer,
    /// The stored logo or photo, if any.
    #[serde(default)]
    pub logo: Option<i64>,
    /// The id the next notice gets.
    #[serde(default)]
    pub next_notice: u32,
}

impl RedPageContent {
    /// A first draft from the unit's own details (单位信息): name, functions, address,
    /// postcode, and the footer's 主办单位 and address. No contact is public until the unit
    /// chooses one.
    pub fn from_unit(name: &str, functions: &str, address: &str, postcode: &str) -> Self {
        Self {
            profile: Profile {
                name: name.to_owned(),
                functions: functions.to_owned(),
                address: address.to_owned(),
                postcode: postcode.to_owned(),
                ..Profile::default()
            },
            footer: Footer {
                sponsor: name.to_owned(),
                address: address.to_owned(),
                ..Footer::default()
            },
            next_notice: 1,
            ..Self::default()
        }
    }

    pub fn section(&self, key: &str) -> &str {
        self.sections.get(key).map_or("", String::as_str)
    }

    /// Notices newest first (by date, then by the order they were added).
    pub fn notices_newest_first(&self) -> Vec<&Notice> {
        let mut list: Vec<&Notice> = self.notices.iter().collect();
        list.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
        list
    }

    /// How many pages the notice list has (at least one).
    pub fn notice_pages(&self) -> usize {
        self.notices.len().div_ceil(NOTICES_PER_PAGE).max(1)
    }

    pub fn notice(&self, id: u32) -> Option<&Notice> {
        self.notices.iter().find(|n| n.id == id)
    }

    /// Adds `notice` (its id is assigned here) or replaces the one with its id.
    pub fn put_notice(&mut self, mut notice: Notice, id: Option<u32>) -> Result<u32, NoticeGone> {
        match id {
            Some(id) => {
                let slot = self
                    .notices
                    .iter_mut()
                    .find(|n| n.id == id)
                    .ok_or(NoticeGone)?;
                notice.id = id;
                *slot = notice;
                Ok(id)
            }
            None => {
                let id = self.next_notice.max(1);
                self.next_notice = id + 1;
                notice.id = id;
                self.notices.push(notice);
                Ok(id)
            }
        }
    }

    pub fn remove_notice(&mut self, id: u32) -> Result<(), NoticeGone> {
        let before = self.notices.len();
        self.notices.retain(|n| n.id != id);
        if self.notices.len() == before {
            Err(NoticeGone)
        } else {
            Ok(())
        }
    }

    /// Whether the page has anything to publish: a name and at least one section or notice.
    pub fn publishable(&self) -> Result<(), &'static str> {
        if self.profile.name.trim().is_empty() || self.footer.sponsor.trim().is_empty() {
            return Err("请先填写机构名称和页脚的主办单位");
        }
        if self.sections.values().all(|s| s.trim().is_empty()) && self.notices.is_empty() {
            return Err("红页还没有内容：请至少填写一个栏目或发布一条公告");
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("这条公告已不存在，请刷新页面")]
pub struct NoticeGone;

/// The profile, sections and footer as typed on the editing page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedPageForm {
    pub name: String,
    pub functions: String,
    pub address: String,
    pub postcode: String,
    pub phone: String,
    pub email: String,
    pub show_phone: String,
    pub show_email: String,
    pub gaikuang: String,
    pub lingdao: String,
    pub jigou: String,
    pub banshi: String,
    pub lianxi: String,
    pub sponsor: String,
    pub footer_address: String,
    pub footer_phone: String,
    pub icp: String,
    pub psb: String,
}

impl RedPageForm {
    pub fn of(c: &RedPageContent) -> Self {
        let on = |b: bool| if b { "1" } else { "" }.to_owned();
        Self {
            name: c.profile.name.clone(),
            functions: c.profile.functions.clone(),
            address: c.profile.address.clone(),
            postcode: c.profile.postcode.clone(),
            phone: c.profile.phone.clone(),
            email: c.profile.email.clone(),
            show_phone: on(c.profile.show_phone),
            show_email: on(c.profile.show_email),
            gaikuang: c.section("gaikuang").to_owned(),
            lingdao: c.section("lingdao").to_owned(),
            jigou: c.section("jigou").to_owned(),
            banshi: c.section("banshi").to_owned(),
            lianxi: c.section("lianxi").to_owned(),
            sponsor: c.footer.sponsor.clone(),
            footer_address: c.footer.address.clone(),
            footer_phone: c.footer.phone.clone(),
            icp: c.footer.icp.clone(),
            psb: c.footer.psb.clone(),
        }
    }

    fn section_text(&self, key: &str) -> &str {
        match key {
            "gaikuang" => &self.gaikuang,
            "lingdao" => &self.lingdao,
            "jigou" => &self.jigou,
            "banshi" => &self.banshi,
            _ => &self.lianxi,
        }
    }

    /// `base` with this form's profile, sections and footer, every error at once; notices and
    /// logo are kept from `base`.
    pub fn apply(&self, base: &RedPageContent) -> Result<RedPageContent, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut out = base.clone();
        let text = |e: &mut FieldErrors, field: &str, r: Result<String, contact::ContactError>| {
            e.check(field, r).unwrap_or_default()
        };
        out.profile.name = text(
            &mut e,
            "name",
            contact::required_text("机构名称", &self.name, 100),
        );
        out.profile.functions = e
            .check("functions", rich_text::check("机构职能", &self.functions))
            .unwrap_or_default();
        out.profile.address = text(
            &mut e,
            "address",
            contact::optional_text("地址", &self.address, 200),
        );
        out.profile.postcode = optional(&mut e, "postcode", &self.postcode, |v| {
            Postcode::parse("邮编", v).map(|p| p.to_string())
        });
        out.profile.show_phone = self.show_phone == "1";
        out.profile.show_email = self.show_email == "1";
        out.profile.phone = optional(&mut e, "phone", &self.phone, |v| {
            Phone::parse_any("联系电话", v).map(|p| p.to_string())
        });
        out.profile.email = optional(&mut e, "email", &self.email, |v| {
            Email::parse("电子邮箱", v).map(|p| p.to_string())
        });
        if out.profile.show_phone && self.phone.trim().is_empty() {
            e.add("phone", "选择公开联系电话时，请填写联系电话");
        }
        if out.profile.show_email && self.email.trim().is_empty() {
            e.add("email", "选择公开电子邮箱时，请填写电子邮箱");
        }
        for (key, title) in SECTIONS {
            match rich_text::check(title, self.section_text(key)) {
                Ok(t) => {
                    out.sections.insert(key.to_owned(), t);
                }
                Err(err) => e.add(key, err.to_string()),
            }
        }
        out.footer.sponsor = text(
            &mut e,
            "sponsor",
            contact::required_text("主办单位", &self.sponsor, 100),
        );
        out.footer.address = text(
            &mut e,
            "footer_address",
            contact::optional_text("页脚地址", &self.footer_address, 200),
        );
        out.footer.phone = optional(&mut e, "footer_phone", &self.footer_phone, |v| {
            Phone::parse_any("页脚电话", v).map(|p| p.to_string())
        });
        out.footer.icp = optional(&mut e, "icp", &self.icp, icp);
        out.footer.psb = optional(&mut e, "psb", &self.psb, psb);
        if e.is_empty() { Ok(out) } else { Err(e) }
    }
}

fn optional<E: std::fmt::Display>(
    e: &mut FieldErrors,
    field: &str,
    raw: &str,
    parse: impl Fn(&str) -> Result<String, E>,
) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        return String::new();
    }
    e.check(field, parse(raw)).unwrap_or_default()
}

/// An ICP备案号 as the MIIT prints it: `陇ICP备12345678号`, optionally `-1`.
fn icp(raw: &str) -> Result<String, &'static str> {
    let ok = raw.chars().count() <= 40
        && raw.contains("ICP备")
        && raw.chars().any(|c| c.is_ascii_digit())
        && raw.ends_with(|c: char| c == '号' || c.is_ascii_digit());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err("ICP备案号格式不正确，例如 陇ICP备12345678号")
    }
}

/// A 公安备案号: `甘公网安备 62040302000123号`.
fn psb(raw: &str) -> Result<String, &'static str> {
    let digits = raw.chars().filter(char::is_ascii_digit).count();
    if raw.chars().count() <= 40 && raw.contains("公网安备") && digits >= 10 {
        Ok(raw.to_owned())
    } else {
        Err("公安备案号格式不正确，例如 甘公网安备 62040302000123号")
    }
}

/// One notice as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoticeForm {
    pub title: String,
    pub date: String,
    pub body: String,
}

impl NoticeForm {
    pub fn of(n: &Notice) -> Self {
        Self {
            title: n.title.clone(),
            date: n.date.clone(),
            body: n.body.clone(),
        }
    }

    pub fn check(&self) -> Result<Notice, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = e
            .check(
                "title",
                contact::required_text("公告标题", &self.title, 100),
            )
            .unwrap_or_default();
        let date = match chrono::NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d") {
            Ok(d) => d.to_string(),
            Err(_) => {
                e.add("date", "请填写公告日期，例如 2026-12-01");
                String::new()
            }
        };
        let body = match rich_text::check("公告正文", &self.body) {
            Ok(b) if b.is_empty() => {
                e.add("body", "请输入公告正文");
                b
            }
            Ok(b) => b,
            Err(err) => {
                e.add("body", err.to_string());
                String::new()
            }
        };
        if e.is_empty() {
            Ok(Notice {
                id: 0,
                title,
                date,
                body,
            })
        } else {
            Err(e)
        }
    }
}

/// Where a red page stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RedPageState {
    /// Being written; never published.
    Draft,
    /// Public.
    Published,
    /// Withdrawn by the unit.
    Unpublished,
    /// Withdrawn by its 编办 for its content; the unit fixes it and publishes again.
    TakenDown,
}

impl RedPageState {
    pub const ALL: [RedPageState; 4] = [
        Self::Draft,
        Self::Published,
        Self::Unpublished,
        Self::TakenDown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Unpublished => "unpublished",
            Self::TakenDown => "taken_down",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "未发布",
            Self::Published => "已发布",
            Self::Unpublished => "已撤下",
            Self::TakenDown => "已被编办下线",
        }
    }

    pub fn is_public(self) -> bool {
        self == Self::Published
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RedPageForm {
        RedPageForm {
            name: "靖远县政协".into(),
            gaikuang: "# 简介\n县政协是……".into(),
            sponsor: "靖远县政协".into(),
            phone: "0943-6123456".into(),
            show_phone: "1".into(),
            icp: "陇ICP备12345678号".into(),
            psb: "甘公网安备 62040302000123号".into(),
            ..RedPageForm::default()
        }
    }

    #[test]
    fn a_form_becomes_content_and_back() {
        let base = RedPageContent::from_unit("靖远县政协", "", "乌兰镇", "730600");
        let c = form().apply(&base).unwrap();
        assert_eq!(c.section("gaikuang"), "# 简介\n县政协是……");
        assert!(c.profile.show_phone);
        assert_eq!(RedPageForm::of(&c).gaikuang, form().gaikuang);
        assert!(c.publishable().is_ok());
        assert!(base.publishable().is_err(), "nothing to show yet");
    }

    #[test]
    fn every_error_at_once() {
        let mut f = form();
        f.name.clear();
        f.lingdao = "<script>alert(1)</script>".into();
        f.banshi = "[办理](javascript:alert(1))".into();
        f.icp = "12345".into();
        f.phone.clear();
        f.email = "not-an-address".into();
        let e = f.apply(&RedPageContent::default()).unwrap_err();
        for field in ["name", "lingdao", "banshi", "icp", "phone", "email"] {
            assert!(e.get(field).is_some(), "{field}: {e:?}");
        }
    }

    #[test]
    fn notices_newest_first_and_by_id() {
        let mut c = RedPageContent::default();
        let n = |t: &str, d: &str| Notice {
            id: 0,
            title: t.into(),
            date: d.into(),
            body: "x".into(),
        };
        let a = c.put_notice(n("旧", "2026-01-01"), None).unwrap();
        let b = c.put_notice(n("新", "2026-11-01"), None).unwrap();
        c.put_notice(n("同日", "2026-11-01"), None).unwrap();
        let titles: Vec<_> = c
            .notices_newest_first()
            .iter()
            .map(|n| n.title.as_str())
            .collect();
        assert_eq!(titles, ["同日", "新", "旧"]);
        c.put_notice(n("改", "2026-01-02"), Some(a)).unwrap();
        assert_eq!(c.notice(a).unwrap().title, "改");
        assert_eq!(
            c.put_notice(n("x", "2026-01-01"), Some(99)),
            Err(NoticeGone)
        );
        c.remove_notice(b).unwrap();
        assert_eq!(c.remove_notice(b), Err(NoticeGone));
        assert_eq!(c.notice_pages(), 1);
    }

    #[test]
    fn a_notice_form() {
        let ok = NoticeForm {
            title: "通知".into(),
            date: "2026-12-01".into(),
            body: "正文".into(),
        };
        assert_eq!(ok.check().unwrap().date, "2026-12-01");
        let bad = NoticeForm {
            title: String::new(),
            date: "2026-13-01".into(),
            body: "<iframe src=x>".into(),
        };
        let e = bad.check().unwrap_err();
        assert_eq!(e.len(), 3);
    }

    #[test]
    fn states_round_trip() {
        for s in RedPageState::ALL {
            assert_eq!(RedPageState::parse(s.as_str()), Some(s));
        }
        assert_eq!(RedPageState::parse("live"), None);
    }
}
