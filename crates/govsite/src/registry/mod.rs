//! The registry's rules applied to stored data: availability of names, submitting and
//! reviewing applications, payment and activation, and the life of a name over time.
//! Web handlers call these; each change happens in one transaction with its audit record.

pub mod applications;
pub mod escalation;
pub mod lifecycle;
pub mod names;
pub mod names_admin;
pub mod site_checks;
pub mod sites;
