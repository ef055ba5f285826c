//! Notifications: messages are composed here from Chinese templates and put in the outbox in
//! the caller's transaction; [`worker`] delivers them by e-mail (SMTP) and SMS (HTTP gateway).

pub mod messages;
pub mod sender;
pub mod worker;
