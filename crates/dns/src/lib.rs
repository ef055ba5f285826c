//! Authoritative DNS for the zones 政务 (`xn--zfr164b.`) and 公益 (`xn--55qw42g.`).
//!
//! Pure parts — the wire format ([`wire`]), the zones in memory ([`zone`]), the answer to one
//! request ([`answer`]), zone transfers ([`xfr`]), TSIG ([`tsig`]) and NOTIFY ([`notify`]) —
//! and the network around them ([`server`]). The service feeds the zones from its database;
//! nothing here knows about it.
//!
//! The request path is our own code rather than hickory's: it parses a query without
//! allocating and writes the answer into a reused buffer, which is what lets one core keep up
//! with NSD and Knot (docs/PERFORMANCE.md). hickory-proto decodes every answer in the tests, as
//! an independent reading of the same bytes.

pub mod answer;
pub mod notify;
pub mod server;
pub mod stats;
pub mod tsig;
pub mod wire;
pub mod xfr;
pub mod zone;

pub use answer::{Action, Transport, answer};
pub use zone::{Zone, Zones};
