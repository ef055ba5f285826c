//! 域名注册申请表 (annexes 3 and 4): the form as posted, and its checked content.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::contact::{Email, Mobile, Phone, Postcode, required_text};
use crate::domain_name::DomainName;
use crate::field_errors::FieldErrors;
use crate::money::Years;
use crate::org_type::Suffix;

/// The seven name slots of the seed's form: (slot, label, required).
pub const SLOTS: [(u8, &str, bool); 7] = [
    (1, "单位全称", true),
    (2, "规范简称", true),
    (3, "常用简称", false),
    (4, "常用简称", false),
    (5, "网站全称", false),
    (6, "网站简称", false),
    (7, "网站简称", false),
];

/// Every field as typed. Names and terms are `name1..name7`, `years1..years7`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DomainForm {
    pub contact_name: String,
    pub phone: String,
    pub email: String,
    pub mobile: String,
    pub address: String,
    pub postcode: String,
    pub website_url: String,
    pub admin_same: String,
    pub admin_name: String,
    pub admin_phone: String,
    pub admin_email: String,
    pub tech_same: String,
    pub tech_name: String,
    pub tech_phone: String,
    pub tech_email: String,
    pub name1: String,
    pub years1: String,
    pub name2: String,
    pub years2: String,
    pub name3: String,
    pub years3: String,
    pub name4: String,
    pub years4: String,
    pub name5: String,
    pub years5: String,
    pub name6: String,
    pub years6: String,
    pub name7: String,
    pub years7: String,
    /// `resolve` (方案一, addresses served by the registry's DNS), `delegate` (方案一, the
    /// unit's own name servers) or `forward` (方案二).
    pub plan: String,
    pub ipv4: String,
    pub ipv6: String,
    pub ns1: String,
    pub ns1_ip: String,
    pub ns2: String,
    pub ns2_ip: String,
    pub forward_url: String,
    /// `政务` when a public institution with administrative functions asks for .政务 instead
    /// of its .公益; empty otherwise.
    pub suffix_choice: String,
    /// The basis of those administrative functions (document title and number), for the
    /// reviewers to verify against the paper proof.
    pub admin_proof: String,
}

/// How the names are enabled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "plan", rename_all = "snake_case")]
pub enum Plan {
    Resolve {
        ipv4: Option<Ipv4Addr>,
        ipv6: Option<Ipv6Addr>,
    },
    /// Name servers of the unit's own, with glue addresses when they sit inside our zones.
    Delegate {
        nameservers: Vec<(String, Option<std::net::IpAddr>)>,
    },
    Forward {
        url: String,
    },
    /// The unit's 网络红页, served for the name by the forwarding role.
    RedPage,
}

impl Plan {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Resolve { .. } => "resolve",
            Self::Delegate { .. } => "delegate",
            Self::Forward { .. } => "forward",
            Self::RedPage => "red_page",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedName {
    pub slot: u8,
    pub name: DomainName,
    pub years: Years,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRequest {
    pub names: Vec<RequestedName>,
    pub plan: Plan,
}

impl DomainForm {
    pub fn name(&self, slot: u8) -> (&str, &str) {
        match slot {
            1 => (&self.name1, &self.years1),
            2 => (&self.name2, &self.years2),
            3 => (&self.name3, &self.years3),
            4 => (&self.name4, &self.years4),
            5 => (&self.name5, &self.years5),
            6 => (&self.name6, &self.years6),
            _ => (&self.name7, &self.years7),
        }
    }

    /// The names filled in, parsed one by one (for availability display on any form).
    pub fn names(&self, suffix: Suffix) -> Vec<(u8, Result<DomainName, String>)> {
        SLOTS
            .iter()
            .filter(|(slot, _, _)| !self.name(*slot).0.trim().is_empty())
            .map(|(slot, _, _)| {
                (
                    *slot,
                    DomainName::parse(self.name(*slot).0, suffix).map_err(|e| e.to_string()),
                )
            })
            .collect()
    }

    /// Checks every field; all errors at once.
    pub fn parse(&self, suffix: Suffix) -> Result<DomainRequest, FieldErrors> {
        let mut e = FieldErrors::new();
        e.check(
            "contact_name",
            required_text("联系人", &self.contact_name, 30),
        );
        e.check("phone", Phone::parse_any("电话", &self.phone));
        e.check("email", Email::parse("电子邮箱", &self.email));
        e.check("mobile", Mobile::parse("手机号码", &self.mobile));
        e.check("address", required_text("通讯地址", &self.address, 100));
        e.check("postcode", Postcode::parse("邮编", &self.postcode));
        if self.suffix_choice == "政务" && suffix == Suffix::Zhengwu {
            e.check(
                "admin_proof",
                required_text("承担行政职能的依据", &self.admin_proof, 200),
            );
        }
        if !self.website_url.trim().is_empty() && parse_url(&self.website_url).is_none() {
            e.add(
                "website_url",
                "现有网站网址应以 http:// 或 https:// 开头，例如 http://www.jingyuan.gov.cn",
            );
        }
        for (prefix, who, same) in [
            ("admin", "管理联系人", &self.admin_same),
            ("tech", "技术联系人", &self.tech_same),
        ] {
            if same == "1" {
                continue;
            }
            let (name, phone, email) = if prefix == "admin" {
                (&self.admin_name, &self.admin_phone, &self.admin_email)
            } else {
                (&self.tech_name, &self.tech_phone, &self.tech_email)
            };
            if let Err(err) = required_text(who, name, 30) {
                e.add(format!("{prefix}_name"), format!("{err}姓名，或勾选“同上”"));
            }
            if Phone::parse_any("", phone).is_err() {
                e.add(
                    format!("{prefix}_phone"),
                    format!("请输入{who}的电话或手机，固定电话请带区号"),
                );
            }
            if Email::parse("", email).is_err() {
                e.add(
                    format!("{prefix}_email"),
                    format!("请输入{who}的有效电子邮箱"),
                );
            }
        }
        let mut names = Vec::new();
        let mut seen = Vec::new();
        for (slot, what, required) in SLOTS {
            let (raw, years) = self.name(slot);
            let field = format!("name{slot}");
            if raw.trim().is_empty() {
                if required {
                    e.add(&field, format!("请填写{what}（域名{slot}）"));
                }
                continue;
            }
            let name = e.check(&field, DomainName::parse(raw, suffix));
            let years = match Years::parse(years) {
                Ok(y) => Some(y),
                Err(err) => {
                    e.add(
                        format!("years{slot}"),
                        format!("{what}（域名{slot}）的{err}"),
                    );
                    None
                }
            };
            if let Some(n) = &name {
                if seen.contains(n) {
                    e.add(&field, format!("域名{slot}与前面填写的名称重复"));
                    continue;
                }
                seen.push(n.clone());
            }
            if let (Some(name), Some(years)) = (name, years) {
                names.push(RequestedName { slot, name, years });
            }
        }
        let plan = self.plan(&mut e);
        match (plan, e.is_empty()) {
            (Some(plan), true) => Ok(DomainRequest { names, plan }),
            _ => Err(e),
        }
    }

    /// Only the enablement plan, for a change of records on an active name.
    pub fn parse_plan(&self) -> Result<Plan, FieldErrors> {
        let mut e = FieldErrors::default();
        match self.plan(&mut e) {
            Some(plan) if e.is_empty() => Ok(plan),
            _ => Err(e),
        }
    }

    fn plan(&self, e: &mut FieldErrors) -> Option<Plan> {
        match self.plan.as_str() {
            "resolve" => {
                let ipv4 = parse_opt::<Ipv4Addr>(
                    &self.ipv4,
                    "ipv4",
                    "IPv4地址格式不正确，例如 192.0.2.1",
                    e,
                );
                let ipv6 = parse_opt::<Ipv6Addr>(
                    &self.ipv6,
                    "ipv6",
                    "IPv6地址格式不正确，例如 2001:db8::1",
                    e,
                );
                let (Some(ipv4), Some(ipv6)) = (ipv4, ipv6) else {
                    return None;
                };
                if ipv4.is_none() && ipv6.is_none() {
                    e.add("ipv4", "请填写您主机的IP地址（IPv4或IPv6至少一个）");
                    return None;
                }
                if ipv4.is_some_and(|a| a.is_private() || a.is_loopback() || a.is_unspecified()) {
                    e.add("ipv4", "主机IP地址应为公网地址，不能是内网或本机地址");
                    return None;
                }
                Some(Plan::Resolve { ipv4, ipv6 })
            }
            "delegate" => {
                let mut servers = Vec::new();
                for (i, host, ip) in [(1, &self.ns1, &self.ns1_ip), (2, &self.ns2, &self.ns2_ip)] {
                    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
                    if !is_hostname(&host) {
                        e.add(
                            format!("ns{i}"),
                            format!("请填写第{i}个DNS服务器的域名，例如 ns{i}.jingyuan.gov.cn"),
                        );
                        continue;
                    }
                    let in_zone = host.ends_with(".xn--zfr164b")
                        || host.ends_with(".xn--55qw42g")
                        || host.ends_with(".政务")
                        || host.ends_with(".公益");
                    let glue = parse_opt::<std::net::IpAddr>(
                        ip,
                        &format!("ns{i}_ip"),
                        "DNS服务器IP地址格式不正确",
                        e,
                    );
                    match glue {
                        Some(None) if in_zone => e.add(
                            format!("ns{i}_ip"),
                            "DNS服务器位于.政务或.公益下，请填写它的IP地址（胶水记录）",
                        ),
                        Some(g) => servers.push((host, g)),
                        None => {}
                    }
                }
                (servers.len() == 2).then_some(Plan::Delegate {
                    nameservers: servers,
                })
            }
            "forward" => match parse_url(&self.forward_url) {
                Some(url) => Some(Plan::Forward { url }),
                None => {
                    e.add(
                        "forward_url",
                        "请填写要转发到的现有网站网址，以 http:// 或 https:// 开头",
                    );
                    None
                }
            },
            "red_page" => Some(Plan::RedPage),
            _ => {
                e.add("plan", "请选择域名启用方案");
                None
            }
        }
    }
}

/// `Some(None)` when empty, `Some(Some(v))` when valid, `None` (error recorded) otherwise.
fn parse_opt<T: std::str::FromStr>(
    raw: &str,
    field: &str,
    message: &str,
    e: &mut FieldErrors,
) -> Option<Option<T>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(None);
    }
    match raw.parse() {
        Ok(v) => Some(Some(v)),
        Err(_) => {
            e.add(field, message);
            None
        }
    }
}

pub fn is_hostname(host: &str) -> bool {
    let ascii = idna::domain_to_ascii(host).unwrap_or_default();
    ascii.contains('.')
        && ascii.len() <= 253
        && ascii.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// An http(s) URL with a plausible host, normalised; `None` otherwise.
pub fn parse_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let rest = raw
        .strip_prefix("http://")
        .or_else(|| raw.strip_prefix("https://"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    (raw.len() <= 500
        && is_hostname(host)
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control()))
    .then(|| raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn valid() -> DomainForm {
        DomainForm {
            contact_name: "王五".into(),
            phone: "0943-6123456".into(),
            email: "wang@test.example".into(),
            mobile: "13900000002".into(),
            address: "甘肃省白银市靖远县乌兰镇".into(),
            postcode: "730600".into(),
            admin_same: "1".into(),
            tech_same: "1".into(),
            name1: "靖远县人民政府".into(),
            years1: "2".into(),
            name2: "靖远县政府".into(),
            years2: "3".into(),
            plan: "resolve".into(),
            ipv4: "192.0.2.1".into(),
            ..DomainForm::default()
        }
    }

    #[test]
    fn a_complete_form() {
        let r = valid().parse(Suffix::Zhengwu).unwrap();
        assert_eq!(r.names.len(), 2);
        assert_eq!(r.names[1].years.get(), 3);
        assert_eq!(
            r.plan,
            Plan::Resolve {
                ipv4: Some("192.0.2.1".parse().unwrap()),
                ipv6: None
            }
        );
    }

    #[test]
    fn errors_name_the_slot_and_the_rule() {
        let mut f = valid();
        f.name2 = String::new();
        f.name3 = "靖远县人民政府".into();
        f.years3 = "2".into();
        f.name4 = "bad_name".into();
        f.years4 = "1".into();
        f.admin_same = String::new();
        f.ipv4 = "10.0.0.1".into();
        let e = f.parse(Suffix::Zhengwu).unwrap_err();
        assert_eq!(e.get("name2"), Some("请填写规范简称（域名2）"));
        assert_eq!(e.get("name3"), Some("域名3与前面填写的名称重复"));
        assert!(e.get("name4").unwrap().contains("_"));
        assert_eq!(
            e.get("years4"),
            Some("常用简称（域名4）的注册年限应为2至10年")
        );
        assert!(e.get("admin_name").is_some());
        assert!(e.get("ipv4").unwrap().contains("公网"));
    }

    #[test]
    fn plans() {
        let mut f = valid();
        f.plan = "delegate".into();
        f.ns1 = "ns1.jingyuan.gov.cn".into();
        f.ns2 = "ns2.靖远县人民政府.政务".into();
        let e = f.parse(Suffix::Zhengwu).unwrap_err();
        assert!(e.get("ns2_ip").unwrap().contains("胶水"));
        f.ns2_ip = "192.0.2.53".into();
        assert!(matches!(
            f.parse(Suffix::Zhengwu).unwrap().plan,
            Plan::Delegate { .. }
        ));
        f.plan = "forward".into();
        f.forward_url = "www.jingyuan.gov.cn".into();
        assert!(
            f.parse(Suffix::Zhengwu)
                .unwrap_err()
                .get("forward_url")
                .is_some()
        );
        f.forward_url = "http://www.jingyuan.gov.cn/".into();
        assert_eq!(
            f.parse(Suffix::Zhengwu).unwrap().plan,
            Plan::Forward {
                url: "http://www.jingyuan.gov.cn/".into()
            }
        );
        f.plan = String::new();
        assert!(f.parse(Suffix::Zhengwu).unwrap_err().get("plan").is_some());
    }
}
