//! What decisions tell people, and where. A unit is told by e-mail and SMS (its handler, or
//! the handler named on an application) and in 消息中心, where every account of the unit reads
//! the same text; staff are told by e-mail and in 消息中心. Messages carrying a one-time link
//! (activation, password reset) go by e-mail only: 消息中心 never holds a link.

use govsite_core::ids::{AccountId, UnitId};
use sqlx::AnyConnection;

use crate::notify::messages;
use crate::store::outbox::{self, NewMessage};
use crate::store::{StoreResult, inbox, units};

/// A notice to a unit: its subject, its one text (the SMS, the body of the e-mail, the entry in
/// 消息中心) and the template name the outbox records.
#[derive(Debug, Clone, Copy)]
pub struct Notice<'a> {
    pub subject: &'a str,
    pub text: &'a str,
    pub template: &'static str,
}

/// Tells a unit through its handler's e-mail and mobile (when on file) and 消息中心.
pub async fn to_unit(
    conn: &mut AnyConnection,
    unit: UnitId,
    notice: Notice<'_>,
    now: i64,
) -> StoreResult<()> {
    let (email, mobile) = units::handler_contact(conn, unit)
        .await?
        .map(|(_, mobile, email)| (email, mobile))
        .unwrap_or_default();
    to_unit_via(conn, unit, (&email, &mobile), notice, now).await
}

/// Tells a unit through the `(email, mobile)` named on an application and 消息中心.
pub async fn to_unit_via(
    conn: &mut AnyConnection,
    unit: UnitId,
    (email, mobile): (&str, &str),
    notice: Notice<'_>,
    now: i64,
) -> StoreResult<()> {
    for m in messages::unit_notice(
        email.trim(),
        mobile.trim(),
        notice.subject,
        notice.text,
        notice.template,
    ) {
        if !m.recipient.is_empty() {
            outbox::enqueue(conn, &m, now).await?;
        }
    }
    inbox::insert_for_unit(
        conn,
        unit,
        notice.subject,
        notice.text,
        notice.template,
        now,
    )
    .await
}

/// Sends `message` to one account's address (when it has one) and keeps it in that account's
/// 消息中心.
pub async fn to_account(
    conn: &mut AnyConnection,
    account: AccountId,
    message: &NewMessage,
    now: i64,
) -> StoreResult<()> {
    debug_assert!(!message.body.contains(outbox::LINK_PLACEHOLDER));
    if !message.recipient.is_empty() {
        outbox::enqueue(conn, message, now).await?;
    }
    inbox::insert(
        conn,
        account,
        &message.subject,
        &message.body,
        message.template,
        now,
    )
    .await
}
