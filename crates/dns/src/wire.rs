//! The DNS wire format (RFC 1035 §4) as far as an authoritative server needs it: reading a
//! request without allocating, and writing records into a message.

use std::net::{Ipv4Addr, Ipv6Addr};

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_OPT: u16 = 41;
pub const TYPE_DS: u16 = 43;
pub const TYPE_TKEY: u16 = 249;
pub const TYPE_TSIG: u16 = 250;
pub const TYPE_IXFR: u16 = 251;
pub const TYPE_AXFR: u16 = 252;
pub const TYPE_MAILB: u16 = 253;
pub const TYPE_MAILA: u16 = 254;
pub const TYPE_ANY: u16 = 255;
pub const CLASS_IN: u16 = 1;
pub const CLASS_ANY: u16 = 255;

pub const OPCODE_QUERY: u8 = 0;
pub const OPCODE_NOTIFY: u8 = 4;

pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_FORMERR: u8 = 1;
pub const RCODE_SERVFAIL: u8 = 2;
pub const RCODE_NXDOMAIN: u8 = 3;
pub const RCODE_NOTIMP: u8 = 4;
pub const RCODE_REFUSED: u8 = 5;
pub const RCODE_NOTAUTH: u8 = 9;
/// Extended RCODE 16 (BADVERS), carried as 1 in the OPT record's upper bits.
pub const EXT_RCODE_BADVERS: u8 = 1;

pub const FLAG_QR: u16 = 0x8000;
pub const FLAG_AA: u16 = 0x0400;
pub const FLAG_TC: u16 = 0x0200;
pub const FLAG_RD: u16 = 0x0100;

pub const HEADER_LEN: usize = 12;
/// The UDP payload size we offer and honour at most (DNS flag day 2020).
pub const MAX_UDP_PAYLOAD: u16 = 1232;
/// A name's longest wire form (RFC 1035 §3.1).
pub const MAX_NAME: usize = 255;

/// The EDNS(0) options of a request (RFC 6891).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    pub udp_payload: u16,
    pub version: u8,
    pub dnssec_ok: bool,
}

/// A name in wire form, lower-cased, held on the stack.
#[derive(Clone, Copy)]
pub struct NameBuf {
    bytes: [u8; MAX_NAME],
    len: u8,
    /// Offsets of the labels' length bytes, first label first (the root excluded).
    starts: [u8; 128],
    labels: u8,
}

impl NameBuf {
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
    pub fn label_count(&self) -> usize {
        usize::from(self.labels)
    }
    /// Offset of label `i` (0 = leftmost) in the wire form.
    pub fn label_start(&self, i: usize) -> usize {
        usize::from(self.starts[i])
    }
    /// Label `i`'s characters.
    pub fn label(&self, i: usize) -> &[u8] {
        let at = self.label_start(i);
        let len = usize::from(self.bytes[at]);
        &self.bytes[at + 1..at + 1 + len]
    }
}

impl std::fmt::Debug for NameBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_text(self.as_bytes()))
    }
}

/// A parsed request: header, its one question and the records we act on.
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub id: u16,
    pub opcode: u8,
    pub rd: bool,
    pub qname: NameBuf,
    pub qtype: u16,
    pub qclass: u16,
    /// The question as sent (its case preserved), to echo back.
    pub question_end: usize,
    pub edns: Option<Edns>,
    /// The serial of the SOA in an IXFR request's authority section (RFC 1995 §3).
    pub ixfr_serial: Option<u32>,
    /// Where the TSIG record starts, if the request ends with one (RFC 8945 §5.1).
    pub tsig_at: Option<usize>,
}

/// Why a request could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// Shorter than a header, or itself a response: nothing to answer.
    Ignore,
    /// Answer FORMERR with this header, and no question.
    FormErr { id: u16, opcode: u8, rd: bool },
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Reads an uncompressed name at `at` (questions carry no pointers in practice, and we refuse
/// them there), lower-casing it. Returns the name and the offset after it.
fn read_question_name(b: &[u8], mut at: usize) -> Option<(NameBuf, usize)> {
    let mut name = NameBuf {
        bytes: [0; MAX_NAME],
        len: 0,
        starts: [0; 128],
        labels: 0,
    };
    let mut len = 0usize;
    loop {
        let l = usize::from(*b.get(at)?);
        if l == 0 {
            if len + 1 > MAX_NAME {
                return None;
            }
            name.bytes[len] = 0;
            name.len = u8::try_from(len + 1).ok()?;
            return Some((name, at + 1));
        }
        if l > 63 || len + 1 + l + 1 > MAX_NAME {
            return None;
        }
        let label = b.get(at + 1..at + 1 + l)?;
        name.starts[usize::from(name.labels)] = u8::try_from(len).ok()?;
        name.labels += 1;
        name.bytes[len] = l as u8;
        for (i, c) in label.iter().enumerate() {
            name.bytes[len + 1 + i] = c.to_ascii_lowercase();
        }
        len += 1 + l;
        at += 1 + l;
    }
}

/// Skips a possibly compressed name; the offset after it as it appears at `at`.
pub fn skip_name(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let l = *b.get(at)?;
        match l {
            0 => return Some(at + 1),
            1..=63 => at += 1 + usize::from(l),
            0xC0..=0xFF => {
                b.get(at + 1)?;
                return Some(at + 2);
            }
            _ => return None,
        }
    }
}

/// Reads a request. Never panics, whatever the bytes.
pub fn parse(b: &[u8]) -> Result<Request, Malformed> {
    if b.len() < HEADER_LEN {
        return Err(Malformed::Ignore);
    }
    let id = u16::from_be_bytes([b[0], b[1]]);
    let flags = u16::from_be_bytes([b[2], b[3]]);
    if flags & FLAG_QR != 0 {
        return Err(Malformed::Ignore);
    }
    let opcode = ((flags >> 11) & 0xF) as u8;
    let rd = flags & FLAG_RD != 0;
    let form_err = Malformed::FormErr { id, opcode, rd };
    let count = |at| u16_at(b, at).unwrap_or(0);
    let (qd, an, ns, ar) = (count(4), count(6), count(8), count(10));
    if qd != 1 {
        return Err(form_err);
    }
    let (qname, at) = read_question_name(b, HEADER_LEN).ok_or(form_err)?;
    let qtype = u16_at(b, at).ok_or(form_err)?;
    let qclass = u16_at(b, at + 2).ok_or(form_err)?;
    let question_end = at + 4;
    let mut req = Request {
        id,
        opcode,
        rd,
        qname,
        qtype,
        qclass,
        question_end,
        edns: None,
        ixfr_serial: None,
        tsig_at: None,
    };
    // The other sections: an IXFR's SOA (authority), OPT and TSIG (additional).
    let mut at = question_end;
    let total = usize::from(an) + usize::from(ns) + usize::from(ar);
    for i in 0..total {
        let start = at;
        at = skip_name(b, at).ok_or(form_err)?;
        let rtype = u16_at(b, at).ok_or(form_err)?;
        let rclass = u16_at(b, at + 2).ok_or(form_err)?;
        let ttl = u32_at(b, at + 4).ok_or(form_err)?;
        let rdlen = usize::from(u16_at(b, at + 8).ok_or(form_err)?);
        let rdata = at + 10;
        if rdata + rdlen > b.len() {
            return Err(form_err);
        }
        let section_additional = i >= usize::from(an) + usize::from(ns);
        match rtype {
            TYPE_OPT if section_additional => {
                if req.edns.is_some() || b[start] != 0 {
                    return Err(form_err);
                }
                req.edns = Some(Edns {
                    udp_payload: rclass,
                    version: (ttl >> 16) as u8,
                    dnssec_ok: ttl & 0x8000 != 0,
                });
            }
            TYPE_TSIG if section_additional => {
                // TSIG must be the last record (RFC 8945 §5.1).
                if i + 1 != total {
                    return Err(form_err);
                }
                req.tsig_at = Some(start);
            }
            TYPE_SOA if qtype == TYPE_IXFR && i >= usize::from(an) && !section_additional => {
                let serial_at =
                    skip_name(b, skip_name(b, rdata).ok_or(form_err)?).ok_or(form_err)?;
                if serial_at + 4 > rdata + rdlen {
                    return Err(form_err);
                }
                req.ixfr_serial = u32_at(b, serial_at);
            }
            _ => {}
        }
        at = rdata + rdlen;
    }
    Ok(req)
}

/// A name given as text (`a.b.` or `a.b`), in lower-case wire form; `None` if it is not a
/// valid name. Used for configuration and zone data, never on the request path.
pub fn from_text(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('.');
    let mut out = Vec::with_capacity(text.len() + 2);
    if !text.is_empty() {
        for label in text.split('.') {
            if label.is_empty() || label.len() > 63 {
                return None;
            }
            out.push(label.len() as u8);
            out.extend(label.bytes().map(|c| c.to_ascii_lowercase()));
        }
    }
    out.push(0);
    (out.len() <= MAX_NAME).then_some(out)
}

/// A wire-form name as text, absolute (`a.b.`).
pub fn to_text(wire: &[u8]) -> String {
    let mut out = String::new();
    let mut at = 0;
    while let Some(&l) = wire.get(at) {
        if l == 0 || l > 63 {
            break;
        }
        let label = wire
            .get(at + 1..at + 1 + usize::from(l))
            .unwrap_or_default();
        out.push_str(&String::from_utf8_lossy(label));
        out.push('.');
        at += 1 + usize::from(l);
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// A name in a message: a pointer to one already written, or written out in full.
#[derive(Debug, Clone, Copy)]
pub enum Name<'a> {
    Pointer(u16),
    Wire(&'a [u8]),
}

/// A message being written. Counts are patched in as records are added.
pub struct Writer<'a> {
    pub buf: &'a mut Vec<u8>,
}

impl<'a> Writer<'a> {
    /// Starts a response to `id` in `buf` (cleared).
    pub fn response(buf: &'a mut Vec<u8>, id: u16, opcode: u8, flags: u16, rcode: u8) -> Self {
        buf.clear();
        let flags = FLAG_QR | (u16::from(opcode) << 11) | flags | u16::from(rcode & 0xF);
        buf.extend_from_slice(&id.to_be_bytes());
        buf.extend_from_slice(&flags.to_be_bytes());
        buf.extend_from_slice(&[0; 8]);
        Writer { buf }
    }

    fn bump(&mut self, at: usize) {
        let n = u16::from_be_bytes([self.buf[at], self.buf[at + 1]]).wrapping_add(1);
        self.buf[at..at + 2].copy_from_slice(&n.to_be_bytes());
    }

    pub fn set_flag(&mut self, flag: u16, on: bool) {
        let mut f = u16::from_be_bytes([self.buf[2], self.buf[3]]);
        if on {
            f |= flag;
        } else {
            f &= !flag;
        }
        self.buf[2..4].copy_from_slice(&f.to_be_bytes());
    }

    /// Copies a question (name, type, class) as the request gave it.
    pub fn question(&mut self, raw: &[u8]) {
        self.buf.extend_from_slice(raw);
        self.bump(4);
    }

    fn name(&mut self, name: Name<'_>) {
        match name {
            Name::Pointer(at) => self.buf.extend_from_slice(&(0xC000 | at).to_be_bytes()),
            Name::Wire(w) => self.buf.extend_from_slice(w),
        }
    }

    fn rr_start(&mut self, section: Section, name: Name<'_>, rtype: u16, ttl: u32) -> usize {
        self.name(name);
        self.buf.extend_from_slice(&rtype.to_be_bytes());
        self.buf.extend_from_slice(&CLASS_IN.to_be_bytes());
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        self.buf.extend_from_slice(&[0, 0]);
        self.bump(section as usize);
        self.buf.len()
    }

    fn rr_end(&mut self, rdata_at: usize) {
        let len = (self.buf.len() - rdata_at) as u16;
        self.buf[rdata_at - 2..rdata_at].copy_from_slice(&len.to_be_bytes());
    }

    pub fn a(&mut self, section: Section, name: Name<'_>, ttl: u32, a: Ipv4Addr) {
        let at = self.rr_start(section, name, TYPE_A, ttl);
        self.buf.extend_from_slice(&a.octets());
        self.rr_end(at);
    }

    pub fn aaaa(&mut self, section: Section, name: Name<'_>, ttl: u32, a: Ipv6Addr) {
        let at = self.rr_start(section, name, TYPE_AAAA, ttl);
        self.buf.extend_from_slice(&a.octets());
        self.rr_end(at);
    }

    pub fn ns(&mut self, section: Section, name: Name<'_>, ttl: u32, host: &[u8]) {
        let at = self.rr_start(section, name, TYPE_NS, ttl);
        self.buf.extend_from_slice(host);
        self.rr_end(at);
    }

    pub fn soa(&mut self, section: Section, name: Name<'_>, ttl: u32, soa: &Soa) {
        let at = self.rr_start(section, name, TYPE_SOA, ttl);
        self.buf.extend_from_slice(&soa.mname);
        self.buf.extend_from_slice(&soa.rname);
        for v in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
            self.buf.extend_from_slice(&v.to_be_bytes());
        }
        self.rr_end(at);
    }

    /// The OPT pseudo-record of a response (RFC 6891 §6.1.2).
    pub fn opt(&mut self, ext_rcode: u8, dnssec_ok: bool) {
        self.buf.push(0);
        self.buf.extend_from_slice(&TYPE_OPT.to_be_bytes());
        self.buf.extend_from_slice(&MAX_UDP_PAYLOAD.to_be_bytes());
        let ttl = (u32::from(ext_rcode) << 24) | if dnssec_ok { 0x8000 } else { 0 };
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        self.buf.extend_from_slice(&[0, 0]);
        self.bump(Section::Additional as usize);
    }
}

/// The sections, by the offset of their count in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Answer = 6,
    Authority = 8,
    Additional = 10,
}

/// SOA data, names in wire form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Soa {
    pub mname: Vec<u8>,
    pub rname: Vec<u8>,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut b = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        b.extend(from_text(name).unwrap());
        b.extend(qtype.to_be_bytes());
        b.extend(CLASS_IN.to_be_bytes());
        b
    }

    #[test]
    fn reads_a_plain_query_lower_casing_the_name() {
        let q = parse(&query("WWW.Xn--ZFR164B.", TYPE_A)).unwrap();
        assert_eq!(q.id, 0x1234);
        assert!(q.rd);
        assert_eq!(q.qname.as_bytes(), from_text("www.xn--zfr164b").unwrap());
        assert_eq!(q.qname.label_count(), 2);
        assert_eq!(q.qname.label(1), b"xn--zfr164b");
        assert_eq!(q.qtype, TYPE_A);
        assert!(q.edns.is_none());
    }

    #[test]
    fn reads_edns_and_refuses_two_opts() {
        let mut b = query("xn--zfr164b.", TYPE_SOA);
        b[11] = 1;
        let opt = [0u8, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0];
        b.extend(opt);
        let q = parse(&b).unwrap();
        assert_eq!(
            q.edns,
            Some(Edns {
                udp_payload: 1232,
                version: 0,
                dnssec_ok: true
            })
        );
        b[11] = 2;
        b.extend(opt);
        assert!(matches!(parse(&b), Err(Malformed::FormErr { .. })));
    }

    #[test]
    fn short_responses_and_bad_questions() {
        assert!(matches!(parse(&[0; 5]), Err(Malformed::Ignore)));
        let mut r = query("a.", TYPE_A);
        r[2] |= 0x80;
        assert!(matches!(parse(&r), Err(Malformed::Ignore)));
        let mut two = query("a.", TYPE_A);
        two[5] = 2;
        assert!(matches!(parse(&two), Err(Malformed::FormErr { .. })));
        let mut cut = query("abc.", TYPE_A);
        cut.truncate(15);
        assert!(matches!(parse(&cut), Err(Malformed::FormErr { .. })));
        // A pointer in the question is refused.
        let mut ptr = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1];
        assert!(matches!(parse(&ptr), Err(Malformed::FormErr { .. })));
        ptr.clear();
    }

    #[test]
    fn names_to_and_from_text() {
        let w = from_text("Ns1.Example.CN.").unwrap();
        assert_eq!(to_text(&w), "ns1.example.cn.");
        assert_eq!(from_text(".").unwrap(), vec![0]);
        assert!(from_text("a..b").is_none());
        assert!(from_text(&"a".repeat(64)).is_none());
    }
}
