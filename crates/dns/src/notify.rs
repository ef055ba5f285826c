//! NOTIFY (RFC 1996): the message telling a secondary that a zone changed, and recognising its
//! acknowledgement.

use crate::wire::{self, Name, Section, Writer};
use crate::zone::Zone;

/// A NOTIFY for `zone` with message id `id`, carrying the new SOA as a hint (RFC 1996 §3.7).
pub fn message(zone: &Zone, id: u16) -> Vec<u8> {
    let mut buf = Vec::with_capacity(128);
    let mut w = Writer::response(&mut buf, id, wire::OPCODE_NOTIFY, wire::FLAG_AA, 0);
    // A request, not a response.
    w.set_flag(wire::FLAG_QR, false);
    let mut question = zone.origin.clone();
    question.extend_from_slice(&wire::TYPE_SOA.to_be_bytes());
    question.extend_from_slice(&wire::CLASS_IN.to_be_bytes());
    w.question(&question);
    w.soa(
        Section::Answer,
        Name::Pointer(wire::HEADER_LEN as u16),
        zone.ttl,
        &zone.soa,
    );
    buf
}

/// Whether `reply` acknowledges the NOTIFY with id `id`.
pub fn is_ack(reply: &[u8], id: u16) -> bool {
    reply.len() >= wire::HEADER_LEN
        && u16::from_be_bytes([reply[0], reply[1]]) == id
        && reply[2] & 0x80 != 0
        && (reply[2] >> 3) & 0xF == wire::OPCODE_NOTIFY
        && reply[3] & 0xF == wire::RCODE_NOERROR
}
