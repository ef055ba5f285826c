//! Credentials: Argon2id password hashes and random one-time tokens.

pub mod password;
pub mod seal;
pub mod token;
