//! The content of a zone (政务 `xn--zfr164b.` or 公益 `xn--55qw42g.`) and its RFC 1035 master
//! file. Pure: the service turns stored names into [`Entry`]s, this module checks each one and
//! renders the file; a name whose data is inconsistent is left out and reported, never allowed
//! to break the zone for the others.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::org_type::Suffix;

/// Apex values, configurable by the operator.
#[derive(Debug, Clone)]
pub struct Apex {
    /// Authoritative name servers, absolute (`a.dns.example.cn.`).
    pub nameservers: Vec<String>,
    /// SOA RNAME, absolute (`hostmaster.example.cn.`).
    pub rname: String,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    /// Negative-caching TTL (RFC 2308).
    pub minimum: u32,
    pub ttl: u32,
    /// Addresses of the forwarding service, given to plan-2 names.
    pub forward_v4: Vec<Ipv4Addr>,
    pub forward_v6: Vec<Ipv6Addr>,
}

impl Apex {
    pub fn new(nameservers: Vec<String>, rname: String, serial: u32) -> Self {
        Self {
            nameservers,
            rname,
            serial,
            refresh: 3600,
            retry: 600,
            expire: 1_209_600,
            minimum: 300,
            ttl: 3600,
            forward_v4: Vec::new(),
            forward_v6: Vec::new(),
        }
    }
}

/// How one name resolves, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Records {
    Address {
        v4: Option<Ipv4Addr>,
        v6: Option<Ipv6Addr>,
    },
    /// The unit's own name servers (host ACE form), with glue where given.
    Delegation(Vec<(String, Option<IpAddr>)>),
    Forward,
}

/// One live name of the zone: its ACE label (`xn--…`, without the suffix) and records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub label: String,
    pub records: Records,
}

/// A name left out of the zone, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub label: String,
    pub reason: String,
}

/// `政务`, `公益`, or their ACE forms, with or without the dots.
pub fn parse_zone(s: &str) -> Option<Suffix> {
    match s.trim().trim_matches('.') {
        "政务" | "xn--zfr164b" => Some(Suffix::Zhengwu),
        "公益" | "xn--55qw42g" => Some(Suffix::Gongyi),
        _ => None,
    }
}

/// The origin of a zone: `xn--zfr164b.`.
pub fn origin(suffix: Suffix) -> String {
    match suffix {
        Suffix::Zhengwu => "xn--zfr164b.".to_owned(),
        Suffix::Gongyi => "xn--55qw42g.".to_owned(),
    }
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A host name as it goes on the wire: lower-case ACE labels, absolute.
fn absolute_host(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.');
    let ace = idna::domain_to_ascii(host).ok()?;
    (ace.len() <= 253 && ace.split('.').count() >= 2 && ace.split('.').all(is_label))
        .then(|| format!("{ace}."))
}

/// The data of one resource record this module produces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Data {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// An absolute host name in lower-case ACE form (`ns1.example.cn.`).
    Ns(String),
}

/// One resource record of a name: its absolute owner (lower-case ACE) and data; class IN and
/// the zone's TTL are implied.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rr {
    pub owner: String,
    pub data: Data,
}

impl Rr {
    /// The record as a master-file line.
    pub fn line(&self, ttl: u32) -> String {
        let owner = &self.owner;
        match &self.data {
            Data::A(a) => format!("{owner}\t{ttl}\tIN\tA\t{a}"),
            Data::Aaaa(a) => format!("{owner}\t{ttl}\tIN\tAAAA\t{a}"),
            Data::Ns(h) => format!("{owner}\t{ttl}\tIN\tNS\t{h}"),
        }
    }
}

/// Checks an entry and gives its records (the delegation's glue included), or why it cannot
/// go into the zone whose origin is `origin`.
pub fn rrs(entry: &Entry, apex: &Apex, origin: &str) -> Result<Vec<Rr>, String> {
    if !is_label(&entry.label) {
        return Err("标签不是合法的ASCII兼容形式".into());
    }
    let owner = format!("{}.{origin}", entry.label);
    let rr = |owner: &str, data| Rr {
        owner: owner.to_owned(),
        data,
    };
    let mut out = Vec::new();
    match &entry.records {
        Records::Address { v4, v6 } => {
            if v4.is_none() && v6.is_none() {
                return Err("解析方式为域名解析，但没有IP地址".into());
            }
            out.extend(v4.map(|a| rr(&owner, Data::A(a))));
            out.extend(v6.map(|a| rr(&owner, Data::Aaaa(a))));
        }
        Records::Delegation(servers) => {
            if servers.len() < 2 {
                return Err("使用自有DNS服务器，但少于两个".into());
            }
            let mut glue = Vec::new();
            for (host, address) in servers {
                let host =
                    absolute_host(host).ok_or_else(|| format!("DNS服务器名称无效：{host}"))?;
                // Glue only below the delegated name (RFC 1034 §4.2.1): a server elsewhere in
                // our zone is answered from its own name's records.
                if host.ends_with(&format!(".{owner}")) || host == owner {
                    match address {
                        Some(IpAddr::V4(a)) => glue.push(rr(&host, Data::A(*a))),
                        Some(IpAddr::V6(a)) => glue.push(rr(&host, Data::Aaaa(*a))),
                        None => {
                            return Err(format!(
                                "DNS服务器 {host} 位于被授权域名下，但没有胶水地址"
                            ));
                        }
                    }
                }
                out.push(rr(&owner, Data::Ns(host)));
            }
            out.extend(glue);
        }
        Records::Forward => {
            if apex.forward_v4.is_empty() && apex.forward_v6.is_empty() {
                return Err("转发服务没有配置地址".into());
            }
            out.extend(apex.forward_v4.iter().map(|a| rr(&owner, Data::A(*a))));
            out.extend(apex.forward_v6.iter().map(|a| rr(&owner, Data::Aaaa(*a))));
        }
    }
    Ok(out)
}

/// The master file of `suffix`'s zone and the names left out of it.
pub fn master_file(suffix: Suffix, apex: &Apex, entries: &[Entry]) -> (String, Vec<Problem>) {
    let origin = origin(suffix);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "; zone {origin} ({}), generated by govsite",
        suffix.label()
    );
    let _ = writeln!(out, "$ORIGIN {origin}");
    let _ = writeln!(out, "$TTL {}", apex.ttl);
    let mname = apex
        .nameservers
        .first()
        .map_or("localhost.", String::as_str);
    let _ = writeln!(
        out,
        "{origin}\t{}\tIN\tSOA\t{mname} {} {} {} {} {} {}",
        apex.ttl, apex.rname, apex.serial, apex.refresh, apex.retry, apex.expire, apex.minimum
    );
    for ns in &apex.nameservers {
        let _ = writeln!(out, "{origin}\t{}\tIN\tNS\t{ns}", apex.ttl);
    }
    let mut problems = Vec::new();
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.label.cmp(&b.label));
    sorted.dedup_by(|a, b| a.label == b.label);
    for entry in sorted {
        match rrs(entry, apex, &origin) {
            Ok(rrs) => {
                for rr in rrs {
                    let _ = writeln!(out, "{}", rr.line(apex.ttl));
                }
            }
            Err(reason) => problems.push(Problem {
                label: entry.label.clone(),
                reason,
            }),
        }
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apex() -> Apex {
        let mut a = Apex::new(
            vec!["a.dns.example.cn.".into(), "b.dns.example.cn.".into()],
            "hostmaster.example.cn.".into(),
            7,
        );
        a.forward_v4 = vec![Ipv4Addr::new(192, 0, 2, 80)];
        a
    }

    #[test]
    fn apex_names_and_each_plan() {
        let entries = vec![
            Entry {
                label: "xn--fiqs8s".into(),
                records: Records::Address {
                    v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
                    v6: Some("2001:db8::1".parse().unwrap()),
                },
            },
            Entry {
                label: "xn--fiq228c".into(),
                records: Records::Delegation(vec![
                    (
                        "ns1.xn--fiq228c.xn--zfr164b".into(),
                        Some("192.0.2.53".parse().unwrap()),
                    ),
                    ("ns.example.net".into(), None),
                ]),
            },
            Entry {
                label: "xn--55qx5d".into(),
                records: Records::Forward,
            },
        ];
        let (text, problems) = master_file(Suffix::Zhengwu, &apex(), &entries);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(text.contains("$ORIGIN xn--zfr164b.\n"));
        assert!(
            text.contains(
                "xn--zfr164b.\t3600\tIN\tSOA\ta.dns.example.cn. hostmaster.example.cn. 7 "
            )
        );
        assert!(text.contains("xn--fiqs8s.xn--zfr164b.\t3600\tIN\tA\t192.0.2.1\n"));
        assert!(text.contains("xn--fiqs8s.xn--zfr164b.\t3600\tIN\tAAAA\t2001:db8::1\n"));
        assert!(
            text.contains("xn--fiq228c.xn--zfr164b.\t3600\tIN\tNS\tns1.xn--fiq228c.xn--zfr164b.\n")
        );
        assert!(
            text.contains("ns1.xn--fiq228c.xn--zfr164b.\t3600\tIN\tA\t192.0.2.53\n"),
            "glue below the cut"
        );
        assert!(text.contains("xn--fiq228c.xn--zfr164b.\t3600\tIN\tNS\tns.example.net.\n"));
        assert!(text.contains("xn--55qx5d.xn--zfr164b.\t3600\tIN\tA\t192.0.2.80\n"));
    }

    #[test]
    fn inconsistent_names_are_left_out_and_reported() {
        let entries = vec![
            Entry {
                label: "xn--bad".into(),
                records: Records::Address { v4: None, v6: None },
            },
            Entry {
                label: "xn--one".into(),
                records: Records::Delegation(vec![("ns.example.net".into(), None)]),
            },
            Entry {
                label: "xn--fiq228c".into(),
                records: Records::Delegation(vec![
                    ("ns1.xn--fiq228c.xn--55qw42g".into(), None),
                    ("ns.example.net".into(), None),
                ]),
            },
            Entry {
                label: "Bad Label".into(),
                records: Records::Forward,
            },
            Entry {
                label: "xn--ok".into(),
                records: Records::Address {
                    v4: Some(Ipv4Addr::new(192, 0, 2, 9)),
                    v6: None,
                },
            },
        ];
        let mut no_forward = apex();
        no_forward.forward_v4.clear();
        let (text, problems) = master_file(Suffix::Gongyi, &no_forward, &entries);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(text.contains("xn--ok.xn--55qw42g.\t3600\tIN\tA\t192.0.2.9"));
        assert!(
            !text.contains("xn--bad") && !text.contains("xn--one") && !text.contains("fiq228c")
        );
    }
}
