//! Values signed with the form key (HMAC-SHA256): anonymous visitors' CSRF cookies and the
//! captcha's challenges carry their own proof, so the public pages keep no row per visitor.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8; 32]) -> HmacSha256 {
    // HMAC takes a key of any length: this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts any key length")
}

/// The MAC of `data` under `key`.
pub fn tag(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let mut m = mac(key);
    m.update(data);
    m.finalize().into_bytes().into()
}

/// `value.signature` (base64url, no padding). `value` must not contain a dot.
pub fn sign(key: &[u8; 32], value: &str) -> String {
    let sig = data_encoding::BASE64URL_NOPAD.encode(&tag(key, value.as_bytes()));
    format!("{value}.{sig}")
}

/// The value of a signed string if its signature is right (compared in constant time).
pub fn verify<'a>(key: &[u8; 32], signed: &'a str) -> Option<&'a str> {
    let (value, sig) = signed.rsplit_once('.')?;
    let sig = data_encoding::BASE64URL_NOPAD.decode(sig.as_bytes()).ok()?;
    let mut m = mac(key);
    m.update(value.as_bytes());
    m.verify_slice(&sig).ok()?;
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_value_verifies_and_any_change_does_not() {
        let key = [7u8; 32];
        let s = sign(&key, "abc-123");
        assert_eq!(verify(&key, &s), Some("abc-123"));
        assert_eq!(verify(&[8u8; 32], &s), None, "another key");
        assert_eq!(verify(&key, &s.replace("abc", "abd")), None);
        assert_eq!(verify(&key, "abc-123"), None, "unsigned");
        assert_eq!(verify(&key, "abc.%%%"), None);
    }
}
