//! The zones in memory: each registered name (one label under the apex) with its records,
//! changed one name at a time as the database changes, and a journal of the changes for IXFR.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use govsite_core::org_type::Suffix;
use govsite_core::zone::{self, Apex, Data, Entry, Problem, Rr};

use crate::wire::{self, NameBuf, Soa};

/// How many changes the journal keeps for IXFR; an older serial gets the whole zone.
pub const JOURNAL_LEN: usize = 4096;

/// What one registered name answers. Compact: most names have one IPv4 address and cost no
/// allocation beyond their key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    V4(Ipv4Addr),
    Addresses(Box<Addresses>),
    Delegation(Box<Delegation>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addresses {
    pub v4: Box<[Ipv4Addr]>,
    pub v6: Box<[Ipv6Addr]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    /// The name servers (wire form).
    pub ns: Box<[Box<[u8]>]>,
    /// Glue: addresses of name servers below the delegated name.
    pub glue: Box<[(Box<[u8]>, IpAddr)]>,
}

impl Node {
    fn from_rrs(owner: &str, rrs: &[Rr]) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        let mut ns = Vec::new();
        let mut glue = Vec::new();
        // In a delegation every address is glue, even one owned by the delegated name itself
        // (a name server named like the zone it serves).
        let delegated = rrs.iter().any(|r| matches!(r.data, Data::Ns(_)));
        for rr in rrs {
            let at_owner = rr.owner == owner && !delegated;
            match &rr.data {
                Data::A(a) if at_owner => v4.push(*a),
                Data::Aaaa(a) if at_owner => v6.push(*a),
                Data::Ns(h) => ns.extend(wire::from_text(h).map(Vec::into_boxed_slice)),
                Data::A(a) => {
                    glue.extend(wire::from_text(&rr.owner).map(|n| (n.into(), (*a).into())))
                }
                Data::Aaaa(a) => {
                    glue.extend(wire::from_text(&rr.owner).map(|n| (n.into(), (*a).into())))
                }
            }
        }
        if !ns.is_empty() {
            Node::Delegation(Box::new(Delegation {
                ns: ns.into(),
                glue: glue.into(),
            }))
        } else if let ([a], []) = (v4.as_slice(), v6.as_slice()) {
            Node::V4(*a)
        } else {
            Node::Addresses(Box::new(Addresses {
                v4: v4.into(),
                v6: v6.into(),
            }))
        }
    }

    pub fn v4(&self) -> &[Ipv4Addr] {
        match self {
            Node::V4(a) => std::slice::from_ref(a),
            Node::Addresses(a) => &a.v4,
            Node::Delegation(_) => &[],
        }
    }

    pub fn v6(&self) -> &[Ipv6Addr] {
        match self {
            Node::Addresses(a) => &a.v6,
            _ => &[],
        }
    }

    pub fn ns(&self) -> &[Box<[u8]>] {
        match self {
            Node::Delegation(d) => &d.ns,
            _ => &[],
        }
    }

    pub fn glue(&self) -> &[(Box<[u8]>, IpAddr)] {
        match self {
            Node::Delegation(d) => &d.glue,
            _ => &[],
        }
    }

    /// The node's records again, for transfers and the journal.
    pub fn rrs(&self, owner: &str) -> Vec<Rr> {
        let rr = |owner: &str, data| Rr {
            owner: owner.to_owned(),
            data,
        };
        let mut out = Vec::new();
        out.extend(self.v4().iter().map(|a| rr(owner, Data::A(*a))));
        out.extend(self.v6().iter().map(|a| rr(owner, Data::Aaaa(*a))));
        out.extend(
            self.ns()
                .iter()
                .map(|h| rr(owner, Data::Ns(wire::to_text(h)))),
        );
        for (host, address) in self.glue() {
            let host = wire::to_text(host);
            out.push(rr(
                &host,
                match address {
                    IpAddr::V4(a) => Data::A(*a),
                    IpAddr::V6(a) => Data::Aaaa(*a),
                },
            ));
        }
        out
    }

    pub fn is_delegation(&self) -> bool {
        matches!(self, Node::Delegation(_))
    }
}

/// One step of the zone's history: what serial `from` → `to` removed and added.
#[derive(Debug, Clone)]
pub struct Diff {
    pub from: u32,
    pub to: u32,
    pub removed: Vec<Rr>,
    pub added: Vec<Rr>,
}

/// One zone: apex, names, journal.
#[derive(Debug)]
pub struct Zone {
    pub suffix: Suffix,
    /// The origin in wire form (`\x0bxn--zfr164b\x00`).
    pub origin: Vec<u8>,
    pub origin_text: String,
    pub soa: Soa,
    pub ttl: u32,
    pub apex_ns: Vec<Vec<u8>>,
    apex: Apex,
    nodes: HashMap<Box<[u8]>, Node>,
    journal: VecDeque<Diff>,
    pending: (Vec<Rr>, Vec<Rr>),
}

impl Zone {
    /// An empty zone with `apex`'s values (its serial included).
    pub fn new(suffix: Suffix, apex: &Apex) -> Self {
        let origin_text = zone::origin(suffix);
        let name = |s: &str| wire::from_text(s).unwrap_or_else(|| vec![0]);
        Zone {
            suffix,
            origin: name(&origin_text),
            soa: Soa {
                mname: name(
                    apex.nameservers
                        .first()
                        .map_or("localhost.", String::as_str),
                ),
                rname: name(&apex.rname),
                serial: apex.serial,
                refresh: apex.refresh,
                retry: apex.retry,
                expire: apex.expire,
                minimum: apex.minimum,
            },
            origin_text,
            ttl: apex.ttl,
            apex_ns: apex
                .nameservers
                .iter()
                .filter_map(|n| wire::from_text(n))
                .collect(),
            apex: apex.clone(),
            nodes: HashMap::new(),
            journal: VecDeque::new(),
            pending: (Vec::new(), Vec::new()),
        }
    }

    /// A zone holding `entries`; the names that cannot be served are left out and returned.
    pub fn load(suffix: Suffix, apex: &Apex, entries: &[Entry]) -> (Self, Vec<Problem>) {
        let mut zone = Zone::new(suffix, apex);
        zone.nodes.reserve(entries.len());
        let problems = entries
            .iter()
            .filter_map(|e| zone.insert(e).err())
            .collect();
        (zone, problems)
    }

    /// Adds a name while loading: no journal, nothing kept but the node.
    pub fn insert(&mut self, entry: &Entry) -> Result<(), Problem> {
        let label = entry.label.to_ascii_lowercase();
        let owner = format!("{label}.{}", self.origin_text);
        let rrs = zone::rrs(entry, &self.apex, &self.origin_text).map_err(|reason| Problem {
            label: label.clone(),
            reason,
        })?;
        self.nodes
            .insert(label.into_bytes().into(), Node::from_rrs(&owner, &rrs));
        Ok(())
    }

    /// Frees what loading reserved beyond need.
    pub fn shrink(&mut self) {
        self.nodes.shrink_to_fit();
    }

    pub fn serial(&self) -> u32 {
        self.soa.serial
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The name's records, looked up by its label (lower-case ACE, without the suffix).
    pub fn node(&self, label: &[u8]) -> Option<&Node> {
        self.nodes.get(label)
    }

    /// Sets what `label` answers (`None`: it leaves the zone). A name whose data cannot be
    /// served leaves the zone and is reported; the others are untouched. The change is part of
    /// the next [`Zone::commit`].
    pub fn put(&mut self, label: &str, entry: Option<&Entry>) -> Result<(), Problem> {
        let label = label.to_ascii_lowercase();
        let owner = format!("{label}.{}", self.origin_text);
        let (new, problem) = match entry {
            Some(e) => match zone::rrs(e, &self.apex, &self.origin_text) {
                Ok(rrs) => (Some(rrs), None),
                Err(reason) => (
                    None,
                    Some(Problem {
                        label: label.clone(),
                        reason,
                    }),
                ),
            },
            None => (None, None),
        };
        let old = match &new {
            Some(rrs) => self.nodes.insert(
                label.clone().into_bytes().into(),
                Node::from_rrs(&owner, rrs),
            ),
            None => self.nodes.remove(label.as_bytes()),
        };
        let old = old.map(|n| n.rrs(&owner)).unwrap_or_default();
        let new = new.unwrap_or_default();
        self.pending
            .0
            .extend(old.iter().filter(|r| !new.contains(r)).cloned());
        self.pending
            .1
            .extend(new.iter().filter(|r| !old.contains(r)).cloned());
        problem.map_or(Ok(()), Err)
    }

    /// Ends a batch of changes at `serial`, keeping what it changed in the journal.
    pub fn commit(&mut self, serial: u32) {
        let (removed, added) = std::mem::take(&mut self.pending);
        if serial == self.soa.serial {
            return;
        }
        self.journal.push_back(Diff {
            from: self.soa.serial,
            to: serial,
            removed,
            added,
        });
        while self.journal.len() > JOURNAL_LEN {
            self.journal.pop_front();
        }
        self.soa.serial = serial;
    }

    /// Moves a freshly loaded zone to `serial` without history (IXFR falls back to AXFR).
    pub fn restart_at(&mut self, serial: u32) {
        self.journal.clear();
        self.soa.serial = serial;
    }

    /// The changes from `serial` to now, if the journal reaches back that far.
    pub fn changes_since(&self, serial: u32) -> Option<Vec<&Diff>> {
        let start = self.journal.iter().position(|d| d.from == serial)?;
        let steps: Vec<&Diff> = self.journal.range(start..).collect();
        let chained = steps.windows(2).all(|w| w[0].to == w[1].from);
        (chained && steps.last().is_some_and(|d| d.to == self.soa.serial)).then_some(steps)
    }

    /// Every record below the apex, for AXFR.
    pub fn records(&self) -> impl Iterator<Item = Rr> + '_ {
        self.nodes.iter().flat_map(|(label, node)| {
            let owner = format!("{}.{}", String::from_utf8_lossy(label), self.origin_text);
            node.rrs(&owner)
        })
    }
}

/// Both zones. The DNS threads read them; the feed changes them.
#[derive(Debug)]
pub struct Zones {
    pub zones: Vec<Zone>,
}

/// Where a query name falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// Index into [`Zones::zones`].
    pub zone: usize,
    /// How many labels the name has below the apex (0: the apex itself).
    pub depth: usize,
}

impl Zones {
    pub fn new(zones: Vec<Zone>) -> Self {
        Zones { zones }
    }

    /// The zone `name` belongs to, if it is ours.
    pub fn place(&self, name: &NameBuf) -> Option<Place> {
        let bytes = name.as_bytes();
        self.zones.iter().enumerate().find_map(|(i, z)| {
            if !bytes.ends_with(&z.origin) {
                return None;
            }
            let start = bytes.len() - z.origin.len();
            // The match must begin at a label boundary.
            let depth = (0..name.label_count()).position(|l| name.label_start(l) == start)?;
            Some(Place { zone: i, depth })
        })
    }

    pub fn by_suffix(&self, suffix: Suffix) -> Option<&Zone> {
        self.zones.iter().find(|z| z.suffix == suffix)
    }

    pub fn by_suffix_mut(&mut self, suffix: Suffix) -> Option<&mut Zone> {
        self.zones.iter_mut().find(|z| z.suffix == suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use govsite_core::zone::Records;

    pub(crate) fn apex() -> Apex {
        let mut a = Apex::new(
            vec!["a.dns.example.cn.".into(), "b.dns.example.cn.".into()],
            "hostmaster.example.cn.".into(),
            10,
        );
        a.forward_v4 = vec![Ipv4Addr::new(192, 0, 2, 80)];
        a
    }

    fn address(label: &str, last: u8) -> Entry {
        Entry {
            label: label.into(),
            records: Records::Address {
                v4: Some(Ipv4Addr::new(192, 0, 2, last)),
                v6: None,
            },
        }
    }

    #[test]
    fn changes_are_journaled_for_ixfr() {
        let (mut z, problems) = Zone::load(Suffix::Zhengwu, &apex(), &[address("xn--a", 1)]);
        assert!(problems.is_empty());
        z.put("xn--a", Some(&address("xn--a", 2))).unwrap();
        z.commit(11);
        z.put("xn--b", Some(&address("xn--b", 3))).unwrap();
        z.commit(12);
        let steps = z.changes_since(10).unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].removed.len(), 1);
        assert_eq!(steps[0].added.len(), 1);
        assert_eq!(steps[1].removed.len(), 0);
        assert_eq!(z.changes_since(11).unwrap().len(), 1);
        assert!(z.changes_since(9).is_none());
        assert_eq!(z.serial(), 12);
    }

    #[test]
    fn a_name_server_named_like_its_zone_keeps_its_glue() {
        let entry = Entry {
            label: "xn--fiqs8s".into(),
            records: Records::Delegation(vec![
                (
                    "xn--fiqs8s.xn--zfr164b".into(),
                    Some("198.19.5.5".parse().unwrap()),
                ),
                ("ns.example.net".into(), None),
            ]),
        };
        let (z, problems) = Zone::load(Suffix::Zhengwu, &apex(), &[entry]);
        assert!(problems.is_empty());
        let node = z.node(b"xn--fiqs8s").unwrap();
        assert!(node.is_delegation());
        assert_eq!(node.glue().len(), 1);
        assert!(node.v4().is_empty());
        // What transfers and the journal see is what core renders.
        let rrs = node.rrs("xn--fiqs8s.xn--zfr164b.");
        assert_eq!(rrs.len(), 3);
        assert!(
            rrs.iter()
                .any(|r| r.data == Data::A(Ipv4Addr::new(198, 19, 5, 5)))
        );
    }

    #[test]
    fn a_bad_name_leaves_and_is_reported() {
        let (mut z, _) = Zone::load(Suffix::Zhengwu, &apex(), &[address("xn--a", 1)]);
        let bad = Entry {
            label: "xn--a".into(),
            records: Records::Address { v4: None, v6: None },
        };
        assert!(z.put("xn--a", Some(&bad)).is_err());
        assert!(z.node(b"xn--a").is_none());
        z.commit(11);
        assert_eq!(z.changes_since(10).unwrap()[0].removed.len(), 1);
    }
}
