//! Random secrets for cookies, links and CSRF, and the hash under which they are stored.

use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    random_bytes::<32>().map_or_else(
        |_| panic!("the operating system's random source failed"),
        |b| data_encoding::BASE64URL_NOPAD.encode(&b),
    )
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)?;
    Ok(b)
}

/// What the database keeps instead of a token: reading the table gives no usable secret.
pub fn hash_token(token: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

/// A token as it may arrive from a cookie or URL: bounded and URL-safe, or nothing.
pub fn well_formed(token: &str) -> bool {
    (20..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
