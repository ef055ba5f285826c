//! Coverage-guided fuzzing of the DNS request path: any bytes, over UDP and TCP, through the
//! parser, the answer, transfers and TSIG. It must never panic; an answer must be a message
//! that echoes the request's id and, over UDP, fits the size it promised.
//!
//!     RUSTC_BOOTSTRAP=1 cargo fuzz run dns_request -- -max_total_time=300

#![no_main]

use std::net::Ipv4Addr;
use std::sync::OnceLock;

use govsite_core::org_type::Suffix;
use govsite_core::zone::{Apex, Entry, Records};
use govsite_dns::answer::{Action, Transport, answer};
use govsite_dns::zone::{Zone, Zones};
use govsite_dns::{tsig, wire, xfr};
use libfuzzer_sys::fuzz_target;

fn zones() -> &'static Zones {
    static ZONES: OnceLock<Zones> = OnceLock::new();
    ZONES.get_or_init(|| {
        let mut apex = Apex::new(vec!["a.dns.example.cn.".into()], "h.example.cn.".into(), 1);
        apex.forward_v4 = vec![Ipv4Addr::new(192, 0, 2, 80)];
        let entries = [
            Entry {
                label: "xn--fiqs8s".into(),
                records: Records::Address {
                    v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
                    v6: Some("2001:db8::1".parse().unwrap()),
                },
            },
            Entry {
                label: "xn--deleg".into(),
                records: Records::Delegation(vec![
                    ("ns1.xn--deleg.xn--zfr164b".into(), Some("192.0.2.53".parse().unwrap())),
                    ("ns.example.net".into(), None),
                ]),
            },
            Entry {
                label: "xn--fwd".into(),
                records: Records::Forward,
            },
        ];
        let (mut zw, _) = Zone::load(Suffix::Zhengwu, &apex, &entries);
        let _ = zw.put("xn--fwd", None);
        zw.commit(2);
        let (gy, _) = Zone::load(Suffix::Gongyi, &apex, &[]);
        Zones::new(vec![zw, gy])
    })
}

fuzz_target!(|data: &[u8]| {
    let z = zones();
    let mut out = Vec::new();
    for transport in [Transport::Udp, Transport::Tcp] {
        match answer(z, data, transport, &mut out) {
            Action::Reply | Action::SignedReply { .. } => {
                assert!(out.len() >= wire::HEADER_LEN);
                assert_eq!(out[..2], data[..2]);
                if transport == Transport::Udp {
                    assert!(out.len() <= usize::from(wire::MAX_UDP_PAYLOAD));
                }
            }
            Action::Drop => {}
            Action::Transfer(req) => {
                let messages = xfr::transfer(&z.zones[0], &req, &data[12..req.question_end]);
                assert!(!messages.is_empty());
                if let Some(at) = req.tsig_at {
                    let keys = [tsig::Key::parse("k:c2VjcmV0LXNlY3JldC1zZWNyZXQ=").unwrap()];
                    let _ = tsig::verify(&keys, data, at, 0);
                }
            }
        }
    }
});
