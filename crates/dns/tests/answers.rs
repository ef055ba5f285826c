//! Answers to requests, read back by hickory-proto (an independent decoder).

use std::net::Ipv4Addr;

use govsite_core::org_type::Suffix;
use govsite_core::zone::{Apex, Entry, Records};
use govsite_dns::answer::{Action, Transport, answer};
use govsite_dns::zone::{Zone, Zones};
use govsite_dns::{wire, xfr};
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};

fn apex(serial: u32) -> Apex {
    let mut a = Apex::new(
        vec!["a.dns.example.cn.".into(), "b.dns.example.cn.".into()],
        "hostmaster.example.cn.".into(),
        serial,
    );
    a.forward_v4 = vec![Ipv4Addr::new(192, 0, 2, 80)];
    a
}

fn entry(label: &str, records: Records) -> Entry {
    Entry {
        label: label.into(),
        records,
    }
}

/// 政务 with an address name, a delegated name (glue inside, a server outside) and a forwarded
/// name; 公益 empty.
fn zones() -> Zones {
    let entries = vec![
        entry(
            "xn--fiqs8s",
            Records::Address {
                v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
                v6: Some("2001:db8::1".parse().unwrap()),
            },
        ),
        entry(
            "xn--v6-addr",
            Records::Address {
                v4: None,
                v6: Some("2001:db8::2".parse().unwrap()),
            },
        ),
        entry(
            "xn--deleg",
            Records::Delegation(vec![
                (
                    "ns1.xn--deleg.xn--zfr164b".into(),
                    Some("192.0.2.53".parse().unwrap()),
                ),
                ("ns.example.net".into(), None),
            ]),
        ),
        entry("xn--fwd", Records::Forward),
    ];
    let (zw, problems) = Zone::load(Suffix::Zhengwu, &apex(7), &entries);
    assert!(problems.is_empty(), "{problems:?}");
    let (gy, _) = Zone::load(Suffix::Gongyi, &apex(3), &[]);
    Zones::new(vec![zw, gy])
}

fn query(name: &str, rtype: RecordType, edns: Option<u16>) -> Vec<u8> {
    let mut m = Message::new();
    m.set_id(4242)
        .set_recursion_desired(true)
        .add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
    if let Some(size) = edns {
        let mut e = Edns::new();
        e.set_max_payload(size);
        e.set_dnssec_ok(true);
        m.set_edns(e);
    }
    m.to_vec().unwrap()
}

fn ask(zones: &Zones, bytes: &[u8], transport: Transport) -> Message {
    let mut out = Vec::new();
    match answer(zones, bytes, transport, &mut out) {
        Action::Reply => Message::from_vec(&out).expect("hickory reads our answer"),
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn udp(zones: &Zones, name: &str, rtype: RecordType) -> Message {
    ask(zones, &query(name, rtype, Some(1232)), Transport::Udp)
}

#[test]
fn the_apex_has_soa_and_ns() {
    let z = zones();
    let r = udp(&z, "XN--ZFR164B.", RecordType::SOA);
    assert_eq!(r.message_type(), MessageType::Response);
    assert_eq!(r.id(), 4242);
    assert!(r.authoritative() && r.recursion_desired());
    assert_eq!(r.response_code(), ResponseCode::NoError);
    // The question comes back as asked, case included.
    assert_eq!(r.queries()[0].name().to_ascii(), "XN--ZFR164B.");
    let RData::SOA(soa) = r.answers()[0].data() else {
        panic!("not a SOA")
    };
    assert_eq!(soa.serial(), 7);
    assert_eq!(soa.mname().to_ascii(), "a.dns.example.cn.");
    assert_eq!(soa.rname().to_ascii(), "hostmaster.example.cn.");
    let ns = udp(&z, "xn--zfr164b.", RecordType::NS);
    let hosts: Vec<String> = ns.answers().iter().map(|r| r.data().to_string()).collect();
    assert_eq!(hosts, ["a.dns.example.cn.", "b.dns.example.cn."]);
    // EDNS is answered, the DO bit copied (RFC 3225 §3).
    let edns = ns.extensions().as_ref().expect("OPT in the answer");
    assert!(edns.flags().dnssec_ok);
    assert_eq!(edns.max_payload(), 1232);
}

#[test]
fn address_names_answer_a_and_aaaa() {
    let z = zones();
    let a = udp(&z, "xn--fiqs8s.xn--zfr164b.", RecordType::A);
    assert!(a.authoritative());
    assert_eq!(a.answers().len(), 1);
    assert_eq!(a.answers()[0].data().to_string(), "192.0.2.1");
    assert_eq!(a.answers()[0].name().to_ascii(), "xn--fiqs8s.xn--zfr164b.");
    let aaaa = udp(&z, "xn--fiqs8s.xn--zfr164b.", RecordType::AAAA);
    assert_eq!(aaaa.answers()[0].data().to_string(), "2001:db8::1");
    // A type the name has no data for: NODATA with the SOA (RFC 2308 §2.2).
    let mx = udp(&z, "xn--fiqs8s.xn--zfr164b.", RecordType::MX);
    assert_eq!(mx.response_code(), ResponseCode::NoError);
    assert!(mx.answers().is_empty());
    assert_eq!(mx.name_servers()[0].record_type(), RecordType::SOA);
    let none = udp(&z, "xn--v6-addr.xn--zfr164b.", RecordType::A);
    assert!(none.answers().is_empty() && none.authoritative());
}

#[test]
fn forwarded_names_answer_the_forwarding_service() {
    let z = zones();
    let a = udp(&z, "xn--fwd.xn--zfr164b.", RecordType::A);
    assert_eq!(a.answers()[0].data().to_string(), "192.0.2.80");
}

#[test]
fn any_gets_one_rrset() {
    let z = zones();
    let any = udp(&z, "xn--fiqs8s.xn--zfr164b.", RecordType::ANY);
    assert_eq!(any.answers().len(), 1);
    assert_eq!(any.answers()[0].record_type(), RecordType::A);
    let apex_any = udp(&z, "xn--zfr164b.", RecordType::ANY);
    assert_eq!(apex_any.answers().len(), 1);
    assert_eq!(apex_any.answers()[0].record_type(), RecordType::SOA);
}

#[test]
fn delegated_names_get_a_referral_without_aa_and_with_glue() {
    let z = zones();
    for name in [
        "xn--deleg.xn--zfr164b.",
        "www.xn--deleg.xn--zfr164b.",
        "ns1.xn--deleg.xn--zfr164b.",
    ] {
        let r = udp(&z, name, RecordType::A);
        assert!(
            !r.authoritative(),
            "{name}: a referral is not authoritative"
        );
        assert_eq!(r.response_code(), ResponseCode::NoError);
        assert!(r.answers().is_empty());
        let ns: Vec<String> = r
            .name_servers()
            .iter()
            .map(|r| match r.data() {
                RData::NS(ns) => ns.0.to_ascii(),
                other => panic!("not NS: {other:?}"),
            })
            .collect();
        assert_eq!(ns, ["ns1.xn--deleg.xn--zfr164b.", "ns.example.net."]);
        assert_eq!(
            r.name_servers()[0].name().to_ascii(),
            "xn--deleg.xn--zfr164b."
        );
        let glue: Vec<String> = r
            .additionals()
            .iter()
            .map(|r| format!("{} {}", r.name().to_ascii(), r.data()))
            .collect();
        assert_eq!(glue, ["ns1.xn--deleg.xn--zfr164b. 192.0.2.53"]);
    }
    // DS at the cut belongs to the parent: authoritative no data.
    let ds = udp(&z, "xn--deleg.xn--zfr164b.", RecordType::DS);
    assert!(ds.authoritative() && ds.answers().is_empty());
}

#[test]
fn unknown_and_deeper_names_are_nxdomain_with_the_soa() {
    let z = zones();
    for name in [
        "xn--nobody.xn--zfr164b.",
        "www.xn--fiqs8s.xn--zfr164b.",
        "xn--fiqs8s.xn--55qw42g.",
    ] {
        let r = udp(&z, name, RecordType::A);
        assert_eq!(r.response_code(), ResponseCode::NXDomain, "{name}");
        assert!(r.authoritative());
        let soa = &r.name_servers()[0];
        assert_eq!(soa.record_type(), RecordType::SOA);
        // Negative TTL: min(SOA TTL, MINIMUM) (RFC 2308 §3).
        assert_eq!(soa.ttl(), 300);
    }
}

#[test]
fn outside_our_zones_is_refused() {
    let z = zones();
    for name in ["example.com.", ".", "zfr164b.", "axn--zfr164b."] {
        let r = udp(&z, name, RecordType::A);
        assert_eq!(r.response_code(), ResponseCode::Refused, "{name}");
        assert!(!r.authoritative());
    }
    let mut chaos = Message::new();
    chaos.add_query({
        let mut q = Query::query(Name::from_ascii("version.bind.").unwrap(), RecordType::TXT);
        q.set_query_class(DNSClass::CH);
        q
    });
    let r = ask(&z, &chaos.to_vec().unwrap(), Transport::Udp);
    assert_eq!(r.response_code(), ResponseCode::Refused);
}

#[test]
fn edns_versions_opcodes_and_meta_types() {
    let z = zones();
    let mut m = Message::from_vec(&query("xn--zfr164b.", RecordType::SOA, Some(1232))).unwrap();
    m.extensions_mut().as_mut().unwrap().set_version(1);
    let r = ask(&z, &m.to_vec().unwrap(), Transport::Udp);
    // BADVERS is 16, split between the header and the OPT record (hickory names 16 BADSIG).
    assert_eq!(u16::from(r.response_code()), 16);
    let mut status = Message::from_vec(&query("xn--zfr164b.", RecordType::SOA, None)).unwrap();
    status.set_op_code(OpCode::Status);
    let r = ask(&z, &status.to_vec().unwrap(), Transport::Udp);
    assert_eq!(r.response_code(), ResponseCode::NotImp);
    let r = ask(
        &z,
        &query("xn--zfr164b.", RecordType::AXFR, None),
        Transport::Udp,
    );
    assert_eq!(r.response_code(), ResponseCode::NotImp);
    let r = ask(
        &z,
        &query("xn--zfr164b.", RecordType::IXFR, None),
        Transport::Udp,
    );
    assert_eq!(r.answers()[0].record_type(), RecordType::SOA);
}

#[test]
fn a_response_too_big_for_udp_is_truncated_and_whole_over_tcp() {
    let servers: Vec<(String, Option<std::net::IpAddr>)> = (0..13)
        .map(|i| {
            (
                format!("ns{i}.xn--big.xn--zfr164b"),
                Some(format!("2001:db8::{i}").parse().unwrap()),
            )
        })
        .collect();
    let (zw, problems) = Zone::load(
        Suffix::Zhengwu,
        &apex(1),
        &[entry("xn--big", Records::Delegation(servers))],
    );
    assert!(problems.is_empty());
    let z = Zones::new(vec![zw]);
    let q = query("xn--big.xn--zfr164b.", RecordType::A, None);
    let small = ask(&z, &q, Transport::Udp);
    assert!(small.truncated());
    assert!(small.name_servers().is_empty() && small.additionals().is_empty());
    let whole = ask(&z, &q, Transport::Tcp);
    assert!(!whole.truncated());
    assert_eq!(whole.name_servers().len(), 13);
    assert_eq!(whole.additionals().len(), 13);
    assert!(whole_len(&z, &q) > 512);
    // With EDNS it fits in our 1232 bytes.
    let edns = ask(
        &z,
        &query("xn--big.xn--zfr164b.", RecordType::A, Some(4096)),
        Transport::Udp,
    );
    assert!(!edns.truncated());
}

fn whole_len(z: &Zones, q: &[u8]) -> usize {
    let mut out = Vec::new();
    answer(z, q, Transport::Tcp, &mut out);
    out.len()
}

#[test]
fn malformed_requests_get_formerr_or_nothing() {
    let z = zones();
    let mut out = Vec::new();
    assert!(matches!(
        answer(&z, &[1, 2, 3], Transport::Udp, &mut out),
        Action::Drop
    ));
    let mut no_question = query("xn--zfr164b.", RecordType::SOA, None);
    no_question[5] = 0;
    let r = ask(&z, &no_question, Transport::Udp);
    assert_eq!(r.response_code(), ResponseCode::FormErr);
    let mut cut = query("xn--fiqs8s.xn--zfr164b.", RecordType::A, None);
    cut.truncate(20);
    assert_eq!(
        ask(&z, &cut, Transport::Udp).response_code(),
        ResponseCode::FormErr
    );
}

/// A cheap mutation fuzzer over real queries: whatever the bytes, the answer never panics and
/// is either nothing or a message hickory can read. (`fuzz/` has the coverage-guided target.)
#[test]
fn mutated_requests_never_panic_and_always_parse() {
    let z = zones();
    let seeds = [
        query("xn--fiqs8s.xn--zfr164b.", RecordType::A, Some(1232)),
        query("www.xn--deleg.xn--zfr164b.", RecordType::AAAA, None),
        query("xn--zfr164b.", RecordType::IXFR, Some(512)),
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::new();
    let mut replies = 0;
    for i in 0..200_000 {
        let mut b = seeds[i % seeds.len()].clone();
        for _ in 0..=(next() % 4) {
            let r = next();
            match r % 4 {
                0 if !b.is_empty() => {
                    let at = (r >> 8) as usize % b.len();
                    b[at] = (r >> 32) as u8;
                }
                1 => b.truncate((r >> 8) as usize % (b.len() + 1)),
                2 => b.extend(std::iter::repeat_n(
                    (r >> 16) as u8,
                    (r >> 24) as usize % 64,
                )),
                _ => {
                    let at = (r >> 8) as usize % (b.len() + 1);
                    b.insert(at, (r >> 40) as u8);
                }
            }
        }
        for transport in [Transport::Udp, Transport::Tcp] {
            if let Action::Reply = answer(&z, &b, transport, &mut out) {
                replies += 1;
                Message::from_vec(&out)
                    .unwrap_or_else(|e| panic!("unreadable answer to {b:02x?}: {e}\n{out:02x?}"));
                if transport == Transport::Udp {
                    assert!(out.len() <= 1232, "UDP answer over the limit");
                }
            }
        }
    }
    assert!(
        replies > 100_000,
        "most mutations still get an answer: {replies}"
    );
}

#[test]
fn axfr_and_ixfr_hold_the_whole_zone_or_the_changes() {
    let mut z = zones();
    let (zone, problems) = {
        let zw = &mut z.zones[0];
        let p = zw.put(
            "xn--new",
            Some(&entry(
                "xn--new",
                Records::Address {
                    v4: Some(Ipv4Addr::new(192, 0, 2, 9)),
                    v6: None,
                },
            )),
        );
        zw.commit(8);
        (zw, p)
    };
    problems.unwrap();
    let axfr_q = query("xn--zfr164b.", RecordType::AXFR, None);
    let req = wire::parse(&axfr_q).unwrap();
    let messages = xfr::transfer(zone, &req, &axfr_q[12..req.question_end]);
    let records: Vec<_> = messages
        .iter()
        .flat_map(|m| Message::from_vec(m).unwrap().take_answers())
        .collect();
    assert_eq!(records.first().unwrap().record_type(), RecordType::SOA);
    assert_eq!(records.last().unwrap().record_type(), RecordType::SOA);
    // SOA, 2 apex NS, 2 + 1 + (2 NS + 1 glue) + 1 + 1 names' records, SOA.
    assert_eq!(records.len(), 1 + 2 + 8 + 1);

    // IXFR from serial 7: SOA(8) SOA(7) [nothing removed] SOA(8) A(new) SOA(8).
    let mut ixfr = Message::new();
    ixfr.set_id(9).add_query(Query::query(
        Name::from_ascii("xn--zfr164b.").unwrap(),
        RecordType::IXFR,
    ));
    let soa = hickory_proto::rr::rdata::SOA::new(
        Name::from_ascii("a.").unwrap(),
        Name::from_ascii("b.").unwrap(),
        7,
        1,
        1,
        1,
        1,
    );
    ixfr.add_name_server(hickory_proto::rr::Record::from_rdata(
        Name::from_ascii("xn--zfr164b.").unwrap(),
        0,
        RData::SOA(soa),
    ));
    let bytes = ixfr.to_vec().unwrap();
    let req = wire::parse(&bytes).unwrap();
    assert_eq!(req.ixfr_serial, Some(7));
    let messages = xfr::transfer(zone, &req, &bytes[12..req.question_end]);
    let got: Vec<String> = messages
        .iter()
        .flat_map(|m| Message::from_vec(m).unwrap().take_answers())
        .map(|r| match r.data() {
            RData::SOA(s) => format!("SOA {}", s.serial()),
            d => format!("{} {d}", r.record_type()),
        })
        .collect();
    assert_eq!(got, ["SOA 8", "SOA 7", "SOA 8", "A 192.0.2.9", "SOA 8"]);
}
