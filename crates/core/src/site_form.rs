//! 网站开办审核/资格复核申请表 (figures 6–8, annex 2): the form as posted, and its checked
//! content. The unit block (开办主体名称, 上级主管单位, 组织机构类型, 通讯地址, 邮编) is copied
//! from 单位信息 by the service on every save, so the stored form is what was submitted; the
//! 网站开办主体职能 is prefilled from it and may be worded for the site.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::contact::{Email, Mobile, Phone, required_text};
use crate::domain_form::is_hostname;
use crate::field_errors::FieldErrors;
use crate::id_card::IdCardNumber;

/// The value of `domain` that asks for the free 网络红页 instead of a self-built site.
pub const RED_PAGE: &str = "red_page";

/// Every field as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteForm {
    /// `new` (新开办网站申请) or `requal` (已开办网站复核).
    pub kind: String,
    pub unit_name: String,
    pub parent_org: String,
    pub org_type: String,
    pub address: String,
    pub postcode: String,
    pub functions: String,
    pub handler_name: String,
    pub handler_phone: String,
    pub handler_mobile: String,
    pub handler_email: String,
    pub handler_id_card: String,
    pub head_name: String,
    pub head_phone: String,
    pub head_mobile: String,
    pub head_email: String,
    pub site_name: String,
    /// The ACE form of one of the unit's active names, or [`RED_PAGE`].
    pub domain: String,
    pub english_domain: String,
    pub ipv4: String,
    pub ipv6: String,
    pub intro: String,
}

impl std::fmt::Debug for SiteRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteRequest")
            .field("site_name", &self.site_name)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    New,
    /// Stored and serialised as `requal`, as since the first migration.
    #[serde(rename = "requal")]
    Requalify,
    /// 变更: a change of name, domain or address of a site that holds a badge.
    Change,
}

impl SiteKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "new" => Some(Self::New),
            "requal" => Some(Self::Requalify),
            "change" => Some(Self::Change),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Requalify => "requal",
            Self::Change => "change",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::New => "新开办网站申请",
            Self::Requalify => "已开办网站复核",
            Self::Change => "网站信息变更",
        }
    }
}

/// Where the site lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A self-built site on one of the unit's Chinese domains (ACE form).
    Domain {
        ace: String,
        ipv4: Ipv4Addr,
        ipv6: Option<Ipv6Addr>,
    },
    /// The free 网络红页.
    RedPage,
}

pub struct Person {
    pub name: String,
    pub phone: Phone,
    pub mobile: Mobile,
    pub email: Email,
}

/// A checked application. It holds an ID-card number: its `Debug` shows neither person.
pub struct SiteRequest {
    pub kind: SiteKind,
    pub functions: String,
    pub handler: Person,
    pub handler_id_card: IdCardNumber,
    pub head: Person,
    pub site_name: String,
    pub target: Target,
    pub english_domain: Option<String>,
    pub intro: String,
}

const SITE_NAME_MAX: usize = 50;
const INTRO_MAX: usize = 500;

impl SiteForm {
    /// The ID number as people may see it on screen: masked, or as typed when it does not
    /// parse (so the unit can correct it).
    pub fn handler_id_masked(&self) -> String {
        IdCardNumber::parse(&self.handler_id_card)
            .map_or_else(|_| self.handler_id_card.clone(), |id| id.masked())
    }

    /// Checks every field; all errors at once. `kind` may be `change` only when the service
    /// set it for a site that already holds a badge.
    pub fn parse(&self) -> Result<SiteRequest, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = SiteKind::parse(&self.kind);
        if kind.is_none() {
            e.add("kind", "请选择申请类型：新开办网站申请或已开办网站复核");
        }
        let functions = e.check(
            "functions",
            required_text("网站开办主体职能", &self.functions, 1000),
        );
        let handler = person(
            &mut e,
            "handler",
            [
                &self.handler_name,
                &self.handler_phone,
                &self.handler_mobile,
                &self.handler_email,
            ],
        );
        let id_card = e.check(
            "handler_id_card",
            IdCardNumber::parse(&self.handler_id_card),
        );
        let head = person(
            &mut e,
            "head",
            [
                &self.head_name,
                &self.head_phone,
                &self.head_mobile,
                &self.head_email,
            ],
        );
        let site_name = e.check(
            "site_name",
            required_text("网站名称", &self.site_name, SITE_NAME_MAX),
        );
        let english_domain = match self.english_domain.trim() {
            "" => Some(None),
            raw => {
                let host = raw
                    .trim_start_matches("http://")
                    .trim_start_matches("https://")
                    .trim_end_matches('/')
                    .trim_end_matches('.')
                    .to_ascii_lowercase();
                if is_hostname(&host) && host.is_ascii() {
                    if crate::public_suffix::is_registrable(&host) {
                        Some(Some(host))
                    } else {
                        e.add(
                            "english_domain",
                            "英文域名不能只是公共后缀（如 gov.cn），请填写本单位网站的完整域名，例如 www.jingyuan.gov.cn",
                        );
                        None
                    }
                } else {
                    e.add(
                        "english_domain",
                        "英文域名格式不正确，例如 www.jingyuan.gov.cn（不含 http://）",
                    );
                    None
                }
            }
        };
        let ipv6 = match self.ipv6.trim() {
            "" => Some(None),
            raw => match raw.parse::<Ipv6Addr>() {
                Ok(a) => Some(Some(a)),
                Err(_) => {
                    e.add("ipv6", "IPv6地址格式不正确，例如 2001:db8::1");
                    None
                }
            },
        };
        let target = match self.domain.trim() {
            "" => {
                e.add(
                    "domain",
                    "请选择网站所绑定的中文域名，或选择免费开通网络红页",
                );
                None
            }
            RED_PAGE => Some(Target::RedPage),
            ace => match ipv4(&self.ipv4) {
                Ok(v4) => ipv6.map(|v6| Target::Domain {
                    ace: ace.to_owned(),
                    ipv4: v4,
                    ipv6: v6,
                }),
                Err(m) => {
                    e.add("ipv4", m);
                    None
                }
            },
        };
        let intro = e.check("intro", required_text("网站简介", &self.intro, INTRO_MAX));
        match (
            kind,
            functions,
            handler,
            id_card,
            head,
            site_name,
            target,
            english_domain,
            intro,
        ) {
            (
                Some(kind),
                Some(functions),
                Some(handler),
                Some(handler_id_card),
                Some(head),
                Some(site_name),
                Some(target),
                Some(english_domain),
                Some(intro),
            ) if e.is_empty() => Ok(SiteRequest {
                kind,
                functions,
                handler,
                handler_id_card,
                head,
                site_name,
                target,
                english_domain,
                intro,
            }),
            _ => Err(e),
        }
    }
}

/// The IPv4 address a self-built site must declare: the one its domain resolves to.
fn ipv4(raw: &str) -> Result<Ipv4Addr, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("自建网站请填写IPv4地址，即域名解析时设置的IP地址");
    }
    let a: Ipv4Addr = raw
        .parse()
        .map_err(|_| "IPv4地址格式不正确，应为四组0至255的数字，例如 192.0.2.1")?;
    if !is_public_ipv4(a) {
        return Err("IPv4地址应为公网地址，不能是内网、本机或组播地址");
    }
    Ok(a)
}

/// A public unicast IPv4 address: not private (RFC 1918), loopback, link-local, shared
/// (100.64/10), benchmarking (198.18/15), "this network" (0/8), reserved (240/4),
/// broadcast or multicast. Documentation ranges (192.0.2/24 …) are allowed: the seed and the
/// demo use them.
pub fn is_public_ipv4(a: Ipv4Addr) -> bool {
    let [o1, o2, ..] = a.octets();
    !(a.is_private()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_broadcast()
        || a.is_multicast()
        || o1 == 0
        || o1 >= 240
        || (o1 == 100 && (64..128).contains(&o2))
        || (o1 == 198 && (18..20).contains(&o2)))
}

/// A public unicast IPv6 address (global unicast 2000::/3, not documentation 2001:db8::/32).
pub fn is_public_ipv6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    (s[0] & 0xe000) == 0x2000 && !(s[0] == 0x2001 && s[1] == 0x0db8)
}

fn person(e: &mut FieldErrors, prefix: &str, raw: [&String; 4]) -> Option<Person> {
    let [name, phone, mobile, email] = raw;
    let (name_label, phone_label, mobile_label, email_label) = if prefix == "handler" {
        (
            "经办人姓名",
            "经办人固定电话",
            "经办人手机",
            "经办人电子邮箱",
        )
    } else {
        (
            "网站主要负责人姓名",
            "负责人固定电话",
            "负责人手机",
            "负责人电子邮箱",
        )
    };
    let name = e.check(
        &format!("{prefix}_name"),
        required_text(name_label, name, 30),
    );
    let phone = e.check(
        &format!("{prefix}_phone"),
        Phone::parse_fixed(phone_label, phone),
    );
    let mobile = e.check(
        &format!("{prefix}_mobile"),
        Mobile::parse(mobile_label, mobile),
    );
    let email = e.check(&format!("{prefix}_email"), Email::parse(email_label, email));
    Some(Person {
        name: name?,
        phone: phone?,
        mobile: mobile?,
        email: email?,
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn valid() -> SiteForm {
        SiteForm {
            kind: "new".into(),
            functions: "负责全县行政管理".into(),
            handler_name: "王五".into(),
            handler_phone: "0943-6123456".into(),
            handler_mobile: "13900000002".into(),
            handler_email: "wang@test.example".into(),
            handler_id_card: "11010519491231002X".into(),
            head_name: "赵六".into(),
            head_phone: "0943-6123457".into(),
            head_mobile: "13900000003".into(),
            head_email: "zhao@test.example".into(),
            site_name: "靖远县人民政府网".into(),
            domain: "xn--fhqz97ewwbt9ibm5a.xn--zfr164b".into(),
            english_domain: "http://www.jingyuan.gov.cn/".into(),
            ipv4: "192.0.2.1".into(),
            intro: "发布政务信息".into(),
            ..SiteForm::default()
        }
    }

    #[test]
    fn a_complete_form() {
        let r = valid().parse().unwrap();
        assert_eq!(r.kind, SiteKind::New);
        assert_eq!(r.english_domain.as_deref(), Some("www.jingyuan.gov.cn"));
        assert!(matches!(r.target, Target::Domain { ipv6: None, .. }));
        assert!(!format!("{r:?}").contains("1949"));
        let mut red = valid();
        red.domain = RED_PAGE.into();
        red.ipv4 = String::new();
        assert_eq!(red.parse().unwrap().target, Target::RedPage);
    }

    #[test]
    fn every_error_at_once() {
        let mut f = valid();
        f.kind = "other".into();
        f.handler_id_card = "110105194912310021".into();
        f.handler_phone = "13900000002".into();
        f.head_email = "nobody".into();
        f.ipv4 = "2001:db8::1".into();
        f.english_domain = "www jingyuan".into();
        f.site_name = String::new();
        let e = f.parse().unwrap_err();
        assert_eq!(
            e.get("handler_id_card"),
            Some("身份证号校验位不正确，请核对后重新输入")
        );
        assert!(e.get("kind").is_some());
        assert!(e.get("handler_phone").unwrap().contains("区号"));
        assert!(e.get("head_email").is_some());
        assert!(e.get("ipv4").unwrap().contains("IPv4地址格式不正确"));
        assert!(e.get("english_domain").is_some());
        assert_eq!(e.get("site_name"), Some("请输入网站名称"));
        // A bare public suffix is not a site's domain (the badge would cover all below it).
        for suffix in ["gov.cn", "http://com.cn/"] {
            f = valid();
            f.english_domain = suffix.into();
            let e = f.parse().unwrap_err();
            assert!(
                e.get("english_domain").unwrap().contains("公共后缀"),
                "{suffix}"
            );
        }
        f = valid();
        for private in [
            "10.1.2.3",
            "100.64.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "0.1.2.3",
            "127.0.0.1",
        ] {
            f.ipv4 = private.into();
            assert!(
                f.parse().unwrap_err().get("ipv4").unwrap().contains("公网"),
                "{private}"
            );
        }
        assert!(is_public_ipv4("192.0.2.1".parse().unwrap()));
        assert!(is_public_ipv6("2400:3200::1".parse().unwrap()));
        assert!(!is_public_ipv6("fe80::1".parse().unwrap()));
        f.ipv4 = String::new();
        assert!(
            f.parse()
                .unwrap_err()
                .get("ipv4")
                .unwrap()
                .contains("自建网站")
        );
        f.domain = String::new();
        assert!(f.parse().unwrap_err().get("domain").is_some());
    }
}
