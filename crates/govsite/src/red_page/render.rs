//! A red page's HTML: one function for the public pages, the unit's preview and the
//! reviewers' preview, so a preview is exactly what will be public (only a banner differs).

use govsite_core::red_page::{NOTICES_PER_PAGE, RedPageContent, SECTIONS};
use govsite_core::rich_text;
use minijinja::context;
use serde::Serialize;

/// The stylesheet every red page links to (`{base}red.css`).
pub const CSS: &str = include_str!("../../templates/red/red.css");

/// One page of a red page, by its path below the page's base.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PagePath {
    Home,
    Section(&'static str),
    /// The notice list, page n (from 1).
    Notices(usize),
    Notice(u32),
    Css,
    /// The logo, by its stored image id.
    Logo(i64),
}

impl PagePath {
    /// The path below the base (`""`, `s/gaikuang`, `notices`, `notices/p2`, `notices/7`,
    /// `red.css`, `logo-3`); anything else is `None`.
    pub fn parse(rest: &str) -> Option<Self> {
        match rest {
            "" => return Some(Self::Home),
            "notices" => return Some(Self::Notices(1)),
            "red.css" => return Some(Self::Css),
            _ => {}
        }
        if let Some(key) = rest.strip_prefix("s/") {
            return SECTIONS
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(k, _)| Self::Section(k));
        }
        if let Some(n) = rest.strip_prefix("notices/p") {
            return plain_number(n)
                .filter(|n| *n >= 2)
                .and_then(|n| usize::try_from(n).ok())
                .map(Self::Notices);
        }
        if let Some(id) = rest.strip_prefix("notices/") {
            return plain_number(id)
                .and_then(|n| u32::try_from(n).ok())
                .map(Self::Notice);
        }
        if let Some(id) = rest.strip_prefix("logo-") {
            return plain_number(id)
                .and_then(|n| i64::try_from(n).ok())
                .map(Self::Logo);
        }
        None
    }
}

fn plain_number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

/// The badge a page carries: its code and colour.
#[derive(Debug, Clone)]
pub struct BadgeMark {
    pub code: String,
    pub blue: bool,
}

/// Where a page is shown and what surrounds it.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// The prefix of the page's own links, ending in `/` (`/r/县政协.政务/`, or `/`).
    pub base: String,
    /// The prefix of the platform's badge and verification links (empty: the same host).
    pub web: String,
    pub canonical: Option<String>,
    /// A banner naming what is previewed (`None` on the public page).
    pub preview: Option<&'static str>,
    pub badge: Option<BadgeMark>,
}

#[derive(Serialize)]
struct SectionLink {
    key: &'static str,
    title: &'static str,
    summary: String,
}

#[derive(Serialize)]
struct NoticeLink<'a> {
    id: u32,
    title: &'a str,
    date: &'a str,
}

fn notice_links<'a>(list: &[&'a govsite_core::red_page::Notice]) -> Vec<NoticeLink<'a>> {
    list.iter()
        .map(|n| NoticeLink {
            id: n.id,
            title: &n.title,
            date: &n.date,
        })
        .collect()
}

/// The HTML of `path`, or `None` when the page does not exist (a notice page past the end,
/// an unknown notice). The stylesheet and the logo are not HTML: see [`CSS`] and the logo's
/// stored image.
pub fn page(content: &RedPageContent, frame: &Frame, path: &PagePath) -> Option<String> {
    let p = &content.profile;
    let mut contacts: Vec<(&str, &str)> = Vec::new();
    if !p.address.is_empty() {
        contacts.push(("地址", &p.address));
    }
    if !p.postcode.is_empty() {
        contacts.push(("邮编", &p.postcode));
    }
    if p.show_phone && !p.phone.is_empty() {
        contacts.push(("联系电话", &p.phone));
    }
    if p.show_email && !p.email.is_empty() {
        contacts.push(("电子邮箱", &p.email));
    }
    let sections: Vec<SectionLink> = SECTIONS
        .iter()
        .map(|(key, title)| SectionLink {
            key,
            title,
            summary: rich_text::plain(content.section(key), 60),
        })
        .collect();
    let site = context! {
        name => p.name,
        functions_html => rich_text::to_html(&p.functions),
        contacts => contacts,
        sections => sections,
        footer => content.footer,
        logo_href => content.logo.map(|id| format!("{}logo-{id}", frame.base)),
    };
    let badge = frame.badge.as_ref().map(|b| {
        let kind = if b.blue {
            "事业单位"
        } else {
            "党政机关"
        };
        context! {
            verify => format!("{}/v/{}", frame.web, b.code),
            image => format!("{}/b/{}.svg", frame.web, b.code),
            alt => format!("{kind}网站标识（{}），点击核验", b.code),
        }
    });
    let description = rich_text::plain(
        if p.functions.is_empty() {
            content.section("gaikuang")
        } else {
            &p.functions
        },
        120,
    );
    let base = context! {
        site => site,
        base => frame.base,
        canonical => frame.canonical,
        preview => frame.preview,
        badge => badge,
        description => if description.is_empty() { p.name.clone() } else { description },
    };
    let newest = content.notices_newest_first();
    let (template, page) = match path {
        PagePath::Home => (
            "red/home.html",
            context! {
                current => "home",
                notices => notice_links(&newest[..newest.len().min(5)]),
            },
        ),
        PagePath::Section(key) => {
            let title = SECTIONS.iter().find(|(k, _)| k == key)?.1;
            (
                "red/section.html",
                context! {
                    current => key,
                    page_title => title,
                    html => rich_text::to_html(content.section(key)),
                },
            )
        }
        PagePath::Notices(n) => {
            if *n > content.notice_pages() {
                return None;
            }
            let start = (n - 1) * NOTICES_PER_PAGE;
            let end = (start + NOTICES_PER_PAGE).min(newest.len());
            (
                "red/notices.html",
                context! {
                    current => "notices",
                    page_title => "公告",
                    notices => notice_links(&newest[start.min(end)..end]),
                    page => n,
                    pages => content.notice_pages(),
                },
            )
        }
        PagePath::Notice(id) => {
            let notice = content.notice(*id)?;
            (
                "red/notice.html",
                context! {
                    current => "notices",
                    page_title => notice.title,
                    notice => notice,
                    html => rich_text::to_html(&notice.body),
                },
            )
        }
        PagePath::Css | PagePath::Logo(_) => return None,
    };
    crate::pages::render(template, context! { ..page, ..base })
        .inspect_err(|e| tracing::error!(error = %e, "red page not rendered"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use govsite_core::red_page::{Notice, RedPageForm};

    fn content() -> RedPageContent {
        let form = RedPageForm {
            name: "靖远县政协".into(),
            functions: "协商**议政**".into(),
            gaikuang: "# 简介\n县政协……".into(),
            sponsor: "靖远县政协".into(),
            phone: "0943-6123456".into(),
            email: "zx@example.cn".into(),
            show_phone: "1".into(),
            ..RedPageForm::default()
        };
        let mut c = form.apply(&RedPageContent::default()).unwrap();
        for i in 1..=12 {
            c.put_notice(
                Notice {
                    id: 0,
                    title: format!("通知{i}"),
                    date: format!("2026-11-{i:02}"),
                    body: "正文".into(),
                },
                None,
            )
            .unwrap();
        }
        c
    }

    #[test]
    fn paths() {
        assert_eq!(PagePath::parse(""), Some(PagePath::Home));
        assert_eq!(
            PagePath::parse("s/banshi"),
            Some(PagePath::Section("banshi"))
        );
        assert_eq!(PagePath::parse("s/other"), None);
        assert_eq!(PagePath::parse("notices/p2"), Some(PagePath::Notices(2)));
        assert_eq!(PagePath::parse("notices/p1"), None, "page 1 is /notices");
        assert_eq!(PagePath::parse("notices/7"), Some(PagePath::Notice(7)));
        assert_eq!(PagePath::parse("notices/07"), None);
        assert_eq!(PagePath::parse("logo-3"), Some(PagePath::Logo(3)));
        assert_eq!(PagePath::parse("../etc"), None);
    }

    #[test]
    fn pages_carry_the_badge_and_the_choices_of_the_unit() {
        crate::pages::compile().unwrap();
        let frame = Frame {
            base: "/r/x/".into(),
            web: "https://reg.example".into(),
            badge: Some(BadgeMark {
                code: "CA620421000000180001".into(),
                blue: false,
            }),
            ..Frame::default()
        };
        let c = content();
        // minijinja writes `/` in attributes as `&#x2f;`.
        let home = page(&c, &frame, &PagePath::Home)
            .unwrap()
            .replace("&#x2f;", "/");
        assert!(home.contains("lang=\"zh-CN\""));
        assert!(home.contains("<strong>议政</strong>"));
        assert!(home.contains("0943-6123456"), "phone chosen public");
        assert!(!home.contains("zx@example.cn"), "e-mail not chosen");
        assert!(home.contains("href=\"https://reg.example/v/CA620421000000180001\""));
        assert!(!home.contains("<script"));
        // The badge is the last thing of the page, after the footer's text.
        let badge = home.find("class=\"badge\"").unwrap();
        assert!(badge > home.find("主办单位").unwrap());
        assert!(
            page(&c, &frame, &PagePath::Notices(2))
                .unwrap()
                .contains("通知1<")
        );
        assert!(page(&c, &frame, &PagePath::Notices(3)).is_none());
        assert!(page(&c, &frame, &PagePath::Notice(99)).is_none());
        let no_badge = Frame {
            badge: None,
            ..frame
        };
        assert!(
            !page(&c, &no_badge, &PagePath::Home)
                .unwrap()
                .contains("class=\"badge\"")
        );
    }
}
