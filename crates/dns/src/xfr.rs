//! Zone transfers over TCP: AXFR (RFC 5936) and IXFR (RFC 1995) from the zone's journal,
//! falling back to the whole zone when the journal does not reach the client's serial.

use govsite_core::zone::{Data, Rr};

use crate::wire::{self, Name, Request, Section, Soa, Writer};
use crate::zone::Zone;

/// A message is closed once it grows past this many bytes (well below the 65,535 limit).
const MESSAGE_TARGET: usize = 16 * 1024;

/// Writes records into as many messages as they need.
struct Stream<'q> {
    id: u16,
    question: &'q [u8],
    messages: Vec<Vec<u8>>,
    current: Vec<u8>,
    ttl: u32,
}

impl<'q> Stream<'q> {
    fn new(req: &Request, question: &'q [u8], ttl: u32) -> Self {
        let mut s = Stream {
            id: req.id,
            question,
            messages: Vec::new(),
            current: Vec::new(),
            ttl,
        };
        s.open(true);
        s
    }

    fn open(&mut self, with_question: bool) {
        let mut w = Writer::response(&mut self.current, self.id, 0, wire::FLAG_AA, 0);
        if with_question {
            w.question(self.question);
        }
    }

    fn room(&mut self) {
        if self.current.len() > MESSAGE_TARGET {
            self.messages.push(std::mem::take(&mut self.current));
            self.open(false);
        }
    }

    fn soa(&mut self, origin: &[u8], soa: &Soa) {
        self.room();
        Writer {
            buf: &mut self.current,
        }
        .soa(Section::Answer, Name::Wire(origin), self.ttl, soa);
    }

    fn ns(&mut self, owner: &[u8], host: &[u8]) {
        self.room();
        Writer {
            buf: &mut self.current,
        }
        .ns(Section::Answer, Name::Wire(owner), self.ttl, host);
    }

    fn rr(&mut self, rr: &Rr) {
        let Some(owner) = wire::from_text(&rr.owner) else {
            return;
        };
        self.room();
        let mut w = Writer {
            buf: &mut self.current,
        };
        let name = Name::Wire(&owner);
        match &rr.data {
            Data::A(a) => w.a(Section::Answer, name, self.ttl, *a),
            Data::Aaaa(a) => w.aaaa(Section::Answer, name, self.ttl, *a),
            Data::Ns(h) => {
                if let Some(host) = wire::from_text(h) {
                    w.ns(Section::Answer, name, self.ttl, &host);
                }
            }
        }
    }

    fn finish(mut self) -> Vec<Vec<u8>> {
        self.messages.push(self.current);
        self.messages
    }
}

/// The messages answering an AXFR or IXFR request for `zone`.
pub fn transfer(zone: &Zone, req: &Request, question: &[u8]) -> Vec<Vec<u8>> {
    let mut s = Stream::new(req, question, zone.ttl);
    let origin = zone.origin.as_slice();
    if req.qtype == wire::TYPE_IXFR
        && let Some(client) = req.ixfr_serial
    {
        // Up to date, or (by serial arithmetic, RFC 1982) newer than us: the current SOA alone
        // (RFC 1995 §2); a full zone would only be refused or mislead the client.
        if client == zone.serial() || (client.wrapping_sub(zone.serial()) as i32) > 0 {
            s.soa(origin, &zone.soa);
            return s.finish();
        }
        if let Some(steps) = zone.changes_since(client) {
            s.soa(origin, &zone.soa);
            for step in steps {
                s.soa(origin, &with_serial(&zone.soa, step.from));
                step.removed.iter().for_each(|rr| s.rr(rr));
                s.soa(origin, &with_serial(&zone.soa, step.to));
                step.added.iter().for_each(|rr| s.rr(rr));
            }
            s.soa(origin, &zone.soa);
            return s.finish();
        }
    }
    s.soa(origin, &zone.soa);
    for ns in &zone.apex_ns {
        s.ns(origin, ns);
    }
    for rr in zone.records() {
        s.rr(&rr);
    }
    s.soa(origin, &zone.soa);
    s.finish()
}

fn with_serial(soa: &Soa, serial: u32) -> Soa {
    Soa {
        serial,
        ..soa.clone()
    }
}
