//! The answer to one request, written into a reused buffer: authoritative data at the apex and
//! for registered names, referrals for delegated names (without AA, RFC 1034 §4.3.2), NXDOMAIN
//! with the SOA for anything else in our zones, REFUSED outside them, EDNS(0), minimal ANY
//! (RFC 8482), truncation for UDP. Transfers are handed back to the caller, which checks who
//! asks.

use crate::wire::{self, Malformed, Name, Request, Section, Writer};
use crate::zone::{Node, Zone, Zones};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// What to do with a request.
#[derive(Debug)]
pub enum Action {
    /// Send the buffer.
    Reply,
    /// The answer to a TSIG-signed request: the caller checks the signature and signs the
    /// buffer, or answers NOTAUTH (RFC 8945 §5.2).
    SignedReply { tsig_at: usize, question_end: usize },
    /// Send nothing (not a request at all).
    Drop,
    /// AXFR or IXFR over TCP of an existing zone: the caller checks the peer and streams.
    Transfer(Box<Request>),
}

/// Answers `request`, writing the response into `out`.
pub fn answer(zones: &Zones, request: &[u8], transport: Transport, out: &mut Vec<u8>) -> Action {
    let req = match wire::parse(request) {
        Ok(r) => r,
        Err(Malformed::Ignore) => return Action::Drop,
        Err(Malformed::FormErr { id, opcode, rd }) => {
            Writer::response(out, id, opcode, rd_flag(rd), wire::RCODE_FORMERR);
            return Action::Reply;
        }
    };
    match (
        answer_request(zones, &req, request, transport, out),
        req.tsig_at,
    ) {
        (Action::Reply, Some(tsig_at)) => Action::SignedReply {
            tsig_at,
            question_end: req.question_end,
        },
        (other, _) => other,
    }
}

fn answer_request(
    zones: &Zones,
    req: &Request,
    request: &[u8],
    transport: Transport,
    out: &mut Vec<u8>,
) -> Action {
    let req = *req;
    let question = &request[wire::HEADER_LEN..req.question_end];
    let rcode_only = |out: &mut Vec<u8>, rcode| {
        let mut w = Writer::response(out, req.id, req.opcode, rd_flag(req.rd), rcode);
        w.question(question);
        if let Some(e) = req.edns {
            w.opt(0, e.dnssec_ok);
        }
        Action::Reply
    };
    if let Some(e) = req.edns
        && e.version > 0
    {
        let mut w = Writer::response(out, req.id, req.opcode, rd_flag(req.rd), 0);
        w.question(question);
        w.opt(wire::EXT_RCODE_BADVERS, e.dnssec_ok);
        return Action::Reply;
    }
    if req.opcode != wire::OPCODE_QUERY {
        return rcode_only(out, wire::RCODE_NOTIMP);
    }
    match req.qtype {
        wire::TYPE_OPT | wire::TYPE_TSIG | wire::TYPE_TKEY => {
            return rcode_only(out, wire::RCODE_FORMERR);
        }
        wire::TYPE_MAILA | wire::TYPE_MAILB => return rcode_only(out, wire::RCODE_NOTIMP),
        _ => {}
    }
    if req.qclass != wire::CLASS_IN {
        return rcode_only(out, wire::RCODE_REFUSED);
    }
    let Some(place) = zones.place(&req.qname) else {
        return rcode_only(out, wire::RCODE_REFUSED);
    };
    let zone = &zones.zones[place.zone];
    if matches!(req.qtype, wire::TYPE_AXFR | wire::TYPE_IXFR) {
        if place.depth != 0 {
            return rcode_only(out, wire::RCODE_NOTAUTH);
        }
        match (transport, req.qtype) {
            (Transport::Tcp, _) => return Action::Transfer(Box::new(req)),
            // Over UDP an IXFR gets the current SOA: "use TCP" (RFC 1995 §2).
            (Transport::Udp, wire::TYPE_IXFR) => {}
            (Transport::Udp, _) => return rcode_only(out, wire::RCODE_NOTIMP),
        }
    }
    respond(zone, &req, place.depth, question, transport, out);
    Action::Reply
}

fn rd_flag(rd: bool) -> u16 {
    if rd { wire::FLAG_RD } else { 0 }
}

/// What the zone says about the name.
enum Outcome<'z> {
    Apex,
    Records(&'z Node),
    Referral(&'z Node),
    NoData,
    NxDomain,
}

fn respond(
    zone: &Zone,
    req: &Request,
    depth: usize,
    question: &[u8],
    transport: Transport,
    out: &mut Vec<u8>,
) {
    let name = &req.qname;
    let qname_at = wire::HEADER_LEN as u16;
    let origin_at = qname_at + name.label_start(depth) as u16;
    let outcome = if depth == 0 {
        Outcome::Apex
    } else {
        match zone.node(name.label(depth - 1)) {
            None => Outcome::NxDomain,
            // The parent side answers DS at the cut itself: no DS here, so no data.
            Some(n) if n.is_delegation() && depth == 1 && req.qtype == wire::TYPE_DS => {
                Outcome::NoData
            }
            Some(n) if n.is_delegation() => Outcome::Referral(n),
            Some(_) if depth > 1 => Outcome::NxDomain,
            Some(n) => Outcome::Records(n),
        }
    };
    let aa = if matches!(outcome, Outcome::Referral(_)) {
        0
    } else {
        wire::FLAG_AA
    };
    let rcode = if matches!(outcome, Outcome::NxDomain) {
        wire::RCODE_NXDOMAIN
    } else {
        wire::RCODE_NOERROR
    };
    let mut w = Writer::response(out, req.id, req.opcode, aa | rd_flag(req.rd), rcode);
    w.question(question);
    let here = Name::Pointer(qname_at);
    let origin = Name::Pointer(origin_at);
    let ttl = zone.ttl;
    let negative_ttl = ttl.min(zone.soa.minimum);
    let mut answered = false;
    match outcome {
        Outcome::Apex => match req.qtype {
            wire::TYPE_SOA | wire::TYPE_ANY | wire::TYPE_IXFR => {
                w.soa(Section::Answer, here, ttl, &zone.soa);
                answered = true;
            }
            wire::TYPE_NS => {
                for ns in &zone.apex_ns {
                    w.ns(Section::Answer, here, ttl, ns);
                }
                answered = !zone.apex_ns.is_empty();
            }
            _ => {}
        },
        Outcome::Records(node) => {
            let (v4, v6) = match req.qtype {
                wire::TYPE_A => (true, false),
                wire::TYPE_AAAA => (false, true),
                // One RRset is a complete answer to ANY (RFC 8482 §4.2).
                wire::TYPE_ANY => (!node.v4().is_empty(), node.v4().is_empty()),
                _ => (false, false),
            };
            if v4 {
                for a in node.v4() {
                    w.a(Section::Answer, here, ttl, *a);
                }
                answered = !node.v4().is_empty();
            }
            if v6 {
                for a in node.v6() {
                    w.aaaa(Section::Answer, here, ttl, *a);
                }
                answered = !node.v6().is_empty();
            }
        }
        Outcome::Referral(node) => {
            let cut = Name::Pointer(qname_at + name.label_start(depth - 1) as u16);
            for ns in node.ns() {
                w.ns(Section::Authority, cut, ttl, ns);
            }
            for (host, address) in node.glue() {
                match address {
                    std::net::IpAddr::V4(a) => w.a(Section::Additional, Name::Wire(host), ttl, *a),
                    std::net::IpAddr::V6(a) => {
                        w.aaaa(Section::Additional, Name::Wire(host), ttl, *a)
                    }
                }
            }
            answered = true;
        }
        Outcome::NoData | Outcome::NxDomain => {}
    }
    if !answered {
        w.soa(Section::Authority, origin, negative_ttl, &zone.soa);
    }
    if let Some(e) = req.edns {
        w.opt(0, e.dnssec_ok);
    }
    let limit = match (transport, req.edns) {
        (Transport::Tcp, _) => usize::from(u16::MAX),
        (Transport::Udp, None) => 512,
        (Transport::Udp, Some(e)) => usize::from(e.udp_payload.clamp(512, wire::MAX_UDP_PAYLOAD)),
    };
    if out.len() > limit {
        truncate(out, req, question.len());
    }
}

/// Cuts a response that does not fit down to its header and question, with TC set (the
/// client retries over TCP), keeping the OPT record.
fn truncate(out: &mut Vec<u8>, req: &Request, question_len: usize) {
    out.truncate(wire::HEADER_LEN + question_len);
    out[6..12].fill(0);
    let mut w = Writer { buf: out };
    w.set_flag(wire::FLAG_TC, true);
    if let Some(e) = req.edns {
        w.opt(0, e.dnssec_ok);
    }
}
