//! TSIG (RFC 8945) with HMAC-SHA256: checking a transfer request's signature and signing every
//! message of the answer.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::wire;

type HmacSha256 = Hmac<Sha256>;

const ALGORITHM: &str = "hmac-sha256.";
/// Allowed clock difference, seconds (RFC 8945 §10 recommends 300).
const FUDGE: u16 = 300;

/// A shared key: its name and secret.
#[derive(Clone)]
pub struct Key {
    pub name: Vec<u8>,
    secret: Vec<u8>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", wire::to_text(&self.name))
    }
}

impl Key {
    /// `name:base64-secret`, the form `tsig-keygen`/`keymgr` print; HMAC-SHA256.
    pub fn parse(s: &str) -> Result<Key, String> {
        let (name, secret) = s.split_once(':').ok_or("TSIG 密钥应写作 名称:base64密钥")?;
        let name = wire::from_text(name).ok_or("TSIG 密钥名称无效")?;
        let secret = data_encoding::BASE64
            .decode(secret.trim().as_bytes())
            .map_err(|_| "TSIG 密钥不是有效的 base64")?;
        if secret.len() < 16 {
            return Err("TSIG 密钥太短（至少 16 字节）".into());
        }
        Ok(Key { name, secret })
    }
}

/// Why a signed request was refused (RFC 8945 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BadKey,
    BadSig,
    BadTime,
    Malformed,
}

/// The fields of a TSIG record we need.
struct Record<'a> {
    key_name: &'a [u8],
    algorithm: &'a [u8],
    time: u64,
    fudge: u16,
    mac: &'a [u8],
    original_id: u16,
    error: u16,
    other: &'a [u8],
}

fn uncompressed_name(b: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let mut i = at;
    loop {
        let l = usize::from(*b.get(i)?);
        if l == 0 {
            return Some((b.get(at..=i)?, i + 1));
        }
        if l > 63 {
            return None;
        }
        i += 1 + l;
    }
}

fn read(b: &[u8], at: usize) -> Option<Record<'_>> {
    let (key_name, at) = uncompressed_name(b, at)?;
    let rd = at + 10;
    let (algorithm, mut i) = uncompressed_name(b, rd)?;
    let time = b
        .get(i..i + 6)?
        .iter()
        .fold(0u64, |t, x| t << 8 | u64::from(*x));
    let u16_at = |i: usize| Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
    let fudge = u16_at(i + 6)?;
    let mac_len = usize::from(u16_at(i + 8)?);
    i += 10;
    let mac = b.get(i..i + mac_len)?;
    i += mac_len;
    let original_id = u16_at(i)?;
    let error = u16_at(i + 2)?;
    let other_len = usize::from(u16_at(i + 4)?);
    let other = b.get(i + 6..i + 6 + other_len)?;
    Some(Record {
        key_name,
        algorithm,
        time,
        fudge,
        mac,
        original_id,
        error,
        other,
    })
}

/// The variables digested after the message (RFC 8945 §4.3.3).
fn variables(
    mac: &mut HmacSha256,
    key_name: &[u8],
    time: u64,
    fudge: u16,
    error: u16,
    other: &[u8],
) {
    mac.update(key_name);
    mac.update(&wire::CLASS_ANY.to_be_bytes());
    mac.update(&0u32.to_be_bytes());
    mac.update(&wire::from_text(ALGORITHM).unwrap_or_default());
    mac.update(&time.to_be_bytes()[2..]);
    mac.update(&fudge.to_be_bytes());
    mac.update(&error.to_be_bytes());
    mac.update(&(other.len() as u16).to_be_bytes());
    mac.update(other);
}

/// The message as it was before the TSIG record was added: ARCOUNT one less, original ID.
fn unsigned(msg: &[u8], tsig_at: usize, original_id: u16) -> Vec<u8> {
    let mut m = msg[..tsig_at].to_vec();
    m[0..2].copy_from_slice(&original_id.to_be_bytes());
    let ar = u16::from_be_bytes([m[10], m[11]]).saturating_sub(1);
    m[10..12].copy_from_slice(&ar.to_be_bytes());
    m
}

/// Checks a signed request; on success, the key and the request's MAC (which the answer's
/// first signature covers).
pub fn verify<'k>(
    keys: &'k [Key],
    msg: &[u8],
    tsig_at: usize,
    now: u64,
) -> Result<(&'k Key, Vec<u8>), Refusal> {
    let r = read(msg, tsig_at).ok_or(Refusal::Malformed)?;
    let key = keys
        .iter()
        .find(|k| k.name.eq_ignore_ascii_case(r.key_name))
        .ok_or(Refusal::BadKey)?;
    if !r
        .algorithm
        .eq_ignore_ascii_case(&wire::from_text(ALGORITHM).unwrap_or_default())
    {
        return Err(Refusal::BadKey);
    }
    let mut mac = HmacSha256::new_from_slice(&key.secret).map_err(|_| Refusal::BadKey)?;
    mac.update(&unsigned(msg, tsig_at, r.original_id));
    variables(&mut mac, &key.name, r.time, r.fudge, r.error, r.other);
    mac.verify_slice(r.mac).map_err(|_| Refusal::BadSig)?;
    if now.abs_diff(r.time) > u64::from(r.fudge) {
        return Err(Refusal::BadTime);
    }
    Ok((key, r.mac.to_vec()))
}

impl Refusal {
    /// The TSIG error code (RFC 8945 §3).
    fn code(self) -> u16 {
        match self {
            Refusal::BadSig | Refusal::Malformed => 16,
            Refusal::BadKey => 17,
            Refusal::BadTime => 18,
        }
    }
}

/// Appends to `out` (a NOTAUTH answer) the unsigned TSIG record that tells the client why its
/// request was refused (RFC 8945 §5.2): the key and algorithm it named, our time, no MAC, the
/// error code. Nothing is added if the request's TSIG record cannot be read.
pub fn append_error(out: &mut Vec<u8>, msg: &[u8], tsig_at: usize, why: Refusal, now: u64) {
    let Some(r) = read(msg, tsig_at) else {
        return;
    };
    out.extend_from_slice(r.key_name);
    out.extend_from_slice(&wire::TYPE_TSIG.to_be_bytes());
    out.extend_from_slice(&wire::CLASS_ANY.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    let rdlen = r.algorithm.len() + 6 + 2 + 2 + 2 + 2 + 2;
    out.extend_from_slice(&(rdlen as u16).to_be_bytes());
    out.extend_from_slice(r.algorithm);
    out.extend_from_slice(&now.to_be_bytes()[2..]);
    out.extend_from_slice(&FUDGE.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&r.original_id.to_be_bytes());
    out.extend_from_slice(&why.code().to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    let ar = u16::from_be_bytes([out[10], out[11]]).wrapping_add(1);
    out[10..12].copy_from_slice(&ar.to_be_bytes());
}

/// Signs the messages of one answer in order.
pub struct Signer<'k> {
    key: &'k Key,
    prior_mac: Vec<u8>,
    first: bool,
    time: u64,
}

impl<'k> Signer<'k> {
    pub fn new(key: &'k Key, request_mac: Vec<u8>, now: u64) -> Self {
        Signer {
            key,
            prior_mac: request_mac,
            first: true,
            time: now,
        }
    }

    /// Appends the TSIG record to `msg`.
    pub fn sign(&mut self, msg: &mut Vec<u8>) {
        let Ok(mut mac) = HmacSha256::new_from_slice(&self.key.secret) else {
            return;
        };
        mac.update(&(self.prior_mac.len() as u16).to_be_bytes());
        mac.update(&self.prior_mac);
        mac.update(msg);
        if self.first {
            variables(&mut mac, &self.key.name, self.time, FUDGE, 0, &[]);
        } else {
            // Later messages digest the timers only (RFC 8945 §5.3.1).
            mac.update(&self.time.to_be_bytes()[2..]);
            mac.update(&FUDGE.to_be_bytes());
        }
        let digest = mac.finalize().into_bytes().to_vec();
        let id = [msg[0], msg[1]];
        msg.extend_from_slice(&self.key.name);
        msg.extend_from_slice(&wire::TYPE_TSIG.to_be_bytes());
        msg.extend_from_slice(&wire::CLASS_ANY.to_be_bytes());
        msg.extend_from_slice(&0u32.to_be_bytes());
        let algorithm = wire::from_text(ALGORITHM).unwrap_or_default();
        let rdlen = algorithm.len() + 6 + 2 + 2 + digest.len() + 2 + 2 + 2;
        msg.extend_from_slice(&(rdlen as u16).to_be_bytes());
        msg.extend_from_slice(&algorithm);
        msg.extend_from_slice(&self.time.to_be_bytes()[2..]);
        msg.extend_from_slice(&FUDGE.to_be_bytes());
        msg.extend_from_slice(&(digest.len() as u16).to_be_bytes());
        msg.extend_from_slice(&digest);
        msg.extend_from_slice(&id);
        msg.extend_from_slice(&[0, 0, 0, 0]);
        let ar = u16::from_be_bytes([msg[10], msg[11]]) + 1;
        msg[10..12].copy_from_slice(&ar.to_be_bytes());
        self.prior_mac = digest;
        self.first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_signed_like_a_secondary_does_verifies_and_a_changed_one_does_not() {
        let key = Key::parse("xfr-key:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0").unwrap();
        let mut msg = vec![0xab, 0xcd, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        msg.extend(wire::from_text("xn--zfr164b.").unwrap());
        msg.extend(wire::TYPE_AXFR.to_be_bytes());
        msg.extend(wire::CLASS_IN.to_be_bytes());
        // Sign the request the way a client would: prior MAC empty and not digested.
        let now = 1_700_000_000;
        let at = msg.len();
        let mut mac = HmacSha256::new_from_slice(&key.secret).unwrap();
        mac.update(&msg);
        variables(&mut mac, &key.name, now, FUDGE, 0, &[]);
        let digest = mac.finalize().into_bytes().to_vec();
        let mut signer = Signer::new(&key, Vec::new(), now);
        signer.first = true;
        let mut signed = msg.clone();
        // Reuse the writer for the record layout, then put the request's own MAC in.
        signer.sign(&mut signed);
        let mac_at = at + key.name.len() + 10 + 13 + 6 + 2 + 2;
        signed[mac_at..mac_at + 32].copy_from_slice(&digest);
        let keys = [key.clone()];
        let (_, got) = verify(&keys, &signed, at, now + 10).unwrap();
        assert_eq!(got, digest);
        assert_eq!(
            verify(&keys, &signed, at, now + 1000).unwrap_err(),
            Refusal::BadTime
        );
        signed[5] ^= 1;
        assert_eq!(
            verify(&keys, &signed, at, now).unwrap_err(),
            Refusal::BadSig
        );
        let other = [Key::parse("other:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0").unwrap()];
        assert_eq!(
            verify(&other, &signed, at, now).unwrap_err(),
            Refusal::BadKey
        );

        // The refusal names the error in an unsigned TSIG record (RFC 8945 §5.2).
        let mut refusal = vec![0xab, 0xcd, 0x80, 0x09, 0, 0, 0, 0, 0, 0, 0, 0];
        append_error(&mut refusal, &signed, at, Refusal::BadKey, now);
        assert_eq!(refusal[11], 1, "one additional record");
        assert!(
            refusal.ends_with(&[0xab, 0xcd, 0, 17, 0, 0]),
            "{refusal:02x?}"
        );
    }
}
