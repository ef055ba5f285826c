//! Argon2id with the crate's defaults (RFC 9106 second recommended option: m=19 MiB, t=2, p=1).

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Argon2 takes 19 MiB and tens of milliseconds a run: at most this many run at once, so a
/// burst of sign-ins queues instead of exhausting memory and every core.
const CONCURRENT_HASHES: usize = 4;
static PERMITS: LazyLock<tokio::sync::Semaphore> =
    LazyLock::new(|| tokio::sync::Semaphore::new(CONCURRENT_HASHES));

/// [`verify`] off the async threads, bounded.
pub async fn verify_async(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    let _permit = PERMITS.acquire().await?;
    Ok(tokio::task::spawn_blocking(move || verify(&password, stored.as_deref())).await?)
}

/// [`hash`] off the async threads, bounded.
pub async fn hash_async(password: String) -> anyhow::Result<String> {
    let _permit = PERMITS.acquire().await?;
    tokio::task::spawn_blocking(move || hash(&password)).await?
}

/// Hashes a password into a PHC string.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

/// Verifies `password` against a stored hash; an account without one never matches, but the
/// work is still done so that timing does not tell which accounts exist.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash("not a password of anyone").unwrap_or_default());
    let (target, real) = match stored {
        Some(h) => (h, true),
        None => (DUMMY.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(target) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let h = super::hash("黄河石林 远山 2026").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("黄河石林 远山 2026", Some(&h)));
        assert!(!super::verify("黄河石林 远山 2027", Some(&h)));
        assert!(!super::verify("not a password of anyone", None));
        assert!(!super::verify("x", Some("garbage")));
    }
}
