//! The registry's rules applied to stored data: availability of names, submitting and
//! reviewing applications, payment and activation, and the life of a name over time.
//! Web handlers call these; each change happens in one transaction with its audit record.

pub mod accounts;
pub mod api_keys;
pub mod applications;
pub mod audit_chain;
pub mod badges;
pub mod campaigns;
pub mod contacts;
pub mod escalation;
pub mod finance;
pub mod keys;
pub mod lifecycle;
pub mod names;
pub mod names_admin;
pub mod notices;
pub mod offices;
pub mod policy;
pub mod questions;
pub mod red_pages;
pub mod reorganisation;
pub mod rosters;
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

/// What a unit waiting for its 编办's confirmation is told when it submits.
pub const UNCONFIRMED: &str = "您单位的注册信息尚待所属编办确认，确认后才能提交申请。您可以先填写并保存申请，编办确认后会以短信和邮件通知您。";

/// A self-registered unit may fill in forms but submits nothing until its 编办 confirms it.
pub(crate) async fn require_confirmed(
    db: &crate::store::Db,
    unit: govsite_core::ids::UnitId,
) -> Result<(), RegistryError> {
    if crate::store::units::is_confirmed(db, unit).await? {
        Ok(())
    } else {
        Err(RegistryError::Refused(UNCONFIRMED.to_owned()))
    }
}

impl From<sqlx::Error> for RegistryError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}
