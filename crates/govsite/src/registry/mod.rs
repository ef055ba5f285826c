//! The registry's rules applied to stored data: availability of names, submitting and
//! reviewing applications, payment and activation, and the life of a name over time.
//! Web handlers call these; each change happens in one transaction with its audit record.

pub mod accounts;
pub mod applications;
pub mod badges;
pub mod contacts;
pub mod escalation;
pub mod finance;
pub mod lifecycle;
pub mod names;
pub mod names_admin;
pub mod offices;
pub mod policy;
pub mod red_pages;
pub mod site_checks;
pub mod sites;

use govsite_core::FieldErrors;

use crate::store::StoreError;

/// Why a decision was not taken.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("form errors")]
    Form(FieldErrors),
    /// The decision cannot be taken now (already decided, wrong state): a plain sentence.
    #[error("{0}")]
    Refused(String),
    /// The input is wrong (a required note missing): a plain sentence.
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RegistryError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}
