//! Secrets at rest: the values the database must keep but nobody holding only the database may
//! use (the badge and form signing keys, TOTP secrets) are sealed with AES-256-GCM under a key
//! kept in a file outside the database (`--secret-key-file`, created `0600` on first run).
//!
//! A sealed value reads `sealed:v1:` then base64 of a 12-byte random nonce followed by the
//! ciphertext and its tag. The value's purpose (`settings:badge_signing_key`, `totp:42`) is the
//! associated data, so a sealed value moved to another row or account does not open.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

const PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 12;

/// Why a secret could not be sealed or opened; the message names the cure.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("secret key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error(
        "a sealed secret ({purpose}) does not open with this key: the --secret-key-file is not the one the database was sealed with"
    )]
    WrongKey { purpose: String },
    #[error("a sealed secret ({purpose}) is malformed")]
    Malformed { purpose: String },
    #[error("random source: {0}")]
    Random(String),
    #[error("no secret key: the database's secrets are sealed with --secret-key-file")]
    NoKey,
}

/// The key that seals and opens secrets.
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Reads the key file (64 hex digits), or creates it `0600` with a fresh random key when it
    /// does not exist. A file others may read, or one that is not a key, is refused.
    pub fn load_or_create(path: &Path) -> Result<Self, SealError> {
        let fail = |reason: String| SealError::KeyFile {
            path: path.display().to_string(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                check_private(path).map_err(fail)?;
                let bytes = data_encoding::HEXLOWER_PERMISSIVE
                    .decode(text.trim().as_bytes())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| fail("not a key (64 hexadecimal digits expected)".into()))?;
                Ok(Self::from_key(&bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = crate::auth::token::random_bytes::<32>()
                    .map_err(|e| SealError::Random(e.to_string()))?;
                create_private(path, &data_encoding::HEXLOWER.encode(&key)).map_err(fail)?;
                Ok(Self::from_key(&key))
            }
            Err(e) => Err(fail(e.to_string())),
        }
    }

    /// `plain` sealed for `purpose`.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> Result<String, SealError> {
        let nonce = crate::auth::token::random_bytes::<NONCE_LEN>()
            .map_err(|e| SealError::Random(e.to_string()))?;
        let payload = Payload {
            msg: plain,
            aad: purpose.as_bytes(),
        };
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| SealError::Malformed {
                purpose: purpose.to_owned(),
            })?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", data_encoding::BASE64.encode(&out)))
    }

    /// The plain bytes of a value sealed for `purpose`.
    pub fn open(&self, purpose: &str, stored: &str) -> Result<Vec<u8>, SealError> {
        let malformed = || SealError::Malformed {
            purpose: purpose.to_owned(),
        };
        let raw = stored
            .strip_prefix(PREFIX)
            .and_then(|b| data_encoding::BASE64.decode(b.as_bytes()).ok())
            .filter(|raw| raw.len() > NONCE_LEN)
            .ok_or_else(malformed)?;
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let payload = Payload {
            msg: sealed,
            aad: purpose.as_bytes(),
        };
        self.cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| SealError::WrongKey {
                purpose: purpose.to_owned(),
            })
    }
}

/// Whether a stored value is already sealed (a value written before sealing is not).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "readable by others (mode {:o}); run chmod 600 on it",
            mode & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), String> {
    Ok(())
}

fn create_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| e.to_string())?;
    file.write_all(format!("{text}\n").as_bytes())
        .and_then(|_| file.sync_all())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_purpose() {
        let a = Sealer::from_key(&[7; 32]);
        let b = Sealer::from_key(&[8; 32]);
        let sealed = a.seal("totp:1", b"secret bytes").unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("secret"));
        assert_eq!(a.open("totp:1", &sealed).unwrap(), b"secret bytes");
        assert!(matches!(
            b.open("totp:1", &sealed),
            Err(SealError::WrongKey { .. })
        ));
        assert!(matches!(
            a.open("totp:2", &sealed),
            Err(SealError::WrongKey { .. })
        ));
        assert!(matches!(
            a.open("totp:1", "plain"),
            Err(SealError::Malformed { .. })
        ));
        assert_ne!(
            sealed,
            a.seal("totp:1", b"secret bytes").unwrap(),
            "fresh nonce"
        );
    }

    #[test]
    fn the_key_file_is_made_private_once_and_refused_when_others_read_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/secret.key");
        let first = Sealer::load_or_create(&path).unwrap();
        let sealed = first.seal("x", b"y").unwrap();
        let again = Sealer::load_or_create(&path).unwrap();
        assert_eq!(again.open("x", &sealed).unwrap(), b"y");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let refused = Sealer::load_or_create(&path).unwrap_err().to_string();
            assert!(refused.contains("chmod 600"), "{refused}");
        }
        std::fs::write(dir.path().join("bad.key"), "not a key").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                dir.path().join("bad.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .unwrap();
        }
        let bad = Sealer::load_or_create(&dir.path().join("bad.key")).unwrap_err();
        assert!(bad.to_string().contains("not a key"));
    }
}
