//! Time-based one-time passwords (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits), the
//! second factor staff sign in with from any authenticator app.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;

/// The HOTP value (RFC 4226 §5.3) of `secret` at `counter`.
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let bin = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    bin % 10u32.pow(DIGITS)
}

/// The time step that `unix_seconds` falls in.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// Checks a typed code against the current step and one step either side (clock drift).
/// Returns the matching step, which the caller stores so a code is never accepted twice.
pub fn verify(
    secret: &[u8],
    code: &str,
    unix_seconds: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if secret.is_empty()
        || code.len() != DIGITS as usize
        || !code.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let typed: u32 = code.parse().ok()?;
    let now = step_at(unix_seconds);
    (now - 1..=now + 1)
        .filter(|step| *step >= 0 && last_used_step.is_none_or(|used| *step > used))
        .find(|step| hotp(secret, *step as u64) == typed)
}

/// Base32 without padding, as authenticator apps expect the secret.
pub fn encode_secret(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

pub fn decode_secret(text: &str) -> Option<Vec<u8>> {
    data_encoding::BASE32_NOPAD
        .decode(text.trim().to_ascii_uppercase().as_bytes())
        .ok()
}

/// The `otpauth://` URI an app scans (Key Uri Format).
pub fn provisioning_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        encode_secret(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc6238_vectors() {
        // RFC 6238 Appendix B, SHA1, last six digits.
        for (t, expected) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
        ] {
            assert_eq!(hotp(RFC_SECRET, step_at(t) as u64), expected, "t={t}");
        }
    }

    #[test]
    fn verify_window_and_replay() {
        let t = 1_234_567_890;
        let code = format!("{:06}", hotp(RFC_SECRET, step_at(t) as u64));
        let step = verify(RFC_SECRET, &code, t, None).unwrap();
        assert_eq!(step, step_at(t));
        assert_eq!(verify(RFC_SECRET, &code, t + 30, None), Some(step));
        assert_eq!(verify(RFC_SECRET, &code, t + 90, None), None);
        assert_eq!(verify(RFC_SECRET, &code, t, Some(step)), None, "replayed");
        assert_eq!(verify(RFC_SECRET, "12345", t, None), None);
        assert_eq!(verify(RFC_SECRET, "abcdef", t, None), None);
    }

    #[test]
    fn secret_round_trip() {
        let encoded = encode_secret(RFC_SECRET);
        assert_eq!(decode_secret(&encoded.to_lowercase()).unwrap(), RFC_SECRET);
        assert!(
            provisioning_uri("govsite", "甲", RFC_SECRET).starts_with("otpauth://totp/govsite:%E7")
        );
    }
}
