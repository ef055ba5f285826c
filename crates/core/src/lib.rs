//! The pure core of govsite: the rules the seeds describe, as plain Rust with no I/O.
//!
//! Every type here that holds an identifier or a code is parsed once, through one checking
//! constructor, and is valid from then on ("parse, don't validate"). The web, worker and storage
//! layers call into this crate; it never calls back.

pub mod api_key;
pub mod badge;
pub mod badge_check;
pub mod badge_state;
pub mod calendar;
pub mod campaign;
pub mod contact;
pub mod credit_code;
pub mod deadline;
pub mod domain_application;
pub mod domain_form;
pub mod domain_lifecycle;
pub mod domain_name;
pub mod field_errors;
pub mod filing;
pub mod hold;
pub mod id_card;
pub mod ids;
pub mod money;
pub mod office;
pub mod org_type;
pub mod paging;
pub mod paper;
pub mod password;
pub mod platform;
pub mod public_suffix;
pub mod question;
pub mod red_page;
pub mod region;
pub mod reorganisation;
pub mod rich_text;
pub mod role;
pub mod roster;
pub mod site_application;
pub mod site_form;
pub mod totp;
pub mod transfer;
pub mod unit;
pub mod zone;

pub use field_errors::FieldErrors;
