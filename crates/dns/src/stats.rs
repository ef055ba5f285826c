//! Queries answered, by question type and response code, for the metrics endpoint. Each UDP
//! thread counts in its own shard (no cache line shared on the hot path); a read sums them.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::wire::skip_name;

/// The question types counted by name; any other is `other`.
const QTYPES: [(u16, &str); 9] = [
    (1, "A"),
    (28, "AAAA"),
    (2, "NS"),
    (6, "SOA"),
    (5, "CNAME"),
    (15, "MX"),
    (16, "TXT"),
    (252, "AXFR"),
    (251, "IXFR"),
];
const RCODES: [&str; 7] = [
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other",
];
const TYPES: usize = QTYPES.len() + 1;

#[repr(align(128))]
struct Shard {
    counts: [[AtomicU64; RCODES.len()]; TYPES],
}

impl Default for Shard {
    fn default() -> Self {
        Self {
            counts: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
        }
    }
}

pub struct QueryStats {
    shards: Box<[Shard]>,
}

impl std::fmt::Debug for QueryStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryStats")
            .field("shards", &self.shards.len())
            .finish()
    }
}

impl Default for QueryStats {
    fn default() -> Self {
        Self::new(16)
    }
}

impl QueryStats {
    pub fn new(shards: usize) -> Self {
        Self {
            shards: (0..shards.max(1)).map(|_| Shard::default()).collect(),
        }
    }

    /// Counts one reply (its question's type and its response code) in `shard`.
    pub fn record(&self, shard: usize, reply: &[u8]) {
        if reply.len() < 12 {
            return;
        }
        let rcode = usize::from(reply[3] & 0x0f).min(RCODES.len() - 1);
        let qdcount = u16::from_be_bytes([reply[4], reply[5]]);
        let qtype = (qdcount > 0)
            .then(|| skip_name(reply, 12))
            .flatten()
            .and_then(|end| reply.get(end..end + 2))
            .map_or(0, |t| u16::from_be_bytes([t[0], t[1]]));
        let t = QTYPES
            .iter()
            .position(|(code, _)| *code == qtype)
            .unwrap_or(QTYPES.len());
        self.shards[shard % self.shards.len()].counts[t][rcode].fetch_add(1, Ordering::Relaxed);
    }

    /// Every (type, rcode) seen at least once, with its count.
    pub fn snapshot(&self) -> Vec<(&'static str, &'static str, u64)> {
        let mut out = Vec::new();
        for t in 0..TYPES {
            let name = QTYPES.get(t).map_or("other", |(_, n)| n);
            for (r, rcode) in RCODES.iter().enumerate() {
                let n: u64 = self
                    .shards
                    .iter()
                    .map(|s| s.counts[t][r].load(Ordering::Relaxed))
                    .sum();
                if n > 0 {
                    out.push((name, *rcode, n));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply header with one question `name` of `qtype`, and `rcode`.
    fn reply(qtype: u16, rcode: u8) -> Vec<u8> {
        let mut m = vec![0x12, 0x34, 0x84, rcode, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\x03www\x07example\x00");
        m.extend_from_slice(&qtype.to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes());
        m
    }

    #[test]
    fn counts_by_type_and_code_over_every_shard() {
        let s = QueryStats::new(4);
        s.record(0, &reply(1, 0));
        s.record(3, &reply(1, 0));
        s.record(1, &reply(28, 3));
        s.record(2, &reply(99, 5));
        s.record(7, &[0; 5]);
        assert_eq!(
            s.snapshot(),
            [
                ("A", "NOERROR", 2),
                ("AAAA", "NXDOMAIN", 1),
                ("other", "REFUSED", 1)
            ]
        );
    }
}
