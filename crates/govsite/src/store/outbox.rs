//! The notification outbox: rows written in the transaction of the change that causes them,
//! delivered later by the worker with retries.

use govsite_core::contact::mask_recipient;
use govsite_core::ids::{AccountId, NotificationId};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::tokens::Purpose;
use super::{Db, StoreResult};

/// Where a message's one-time link goes. The row keeps only this marker and what the link is
/// for ([`LinkIntent`]); the worker makes the link when it delivers the message, so no row
/// ever holds a usable one.
pub const LINK_PLACEHOLDER: &str = "〔一次性链接〕";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }
}

/// A message to send.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub template: &'static str,
}

/// The one-time link a message asks for: made (and earlier ones of the account cancelled) at
/// delivery, valid `ttl` seconds from then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkIntent {
    pub account: AccountId,
    pub purpose: Purpose,
    pub ttl: i64,
}

/// A message claimed for delivery.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: NotificationId,
    pub template: String,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
    pub link: Option<LinkIntent>,
}

/// A message as staff see it: recipient masked, body only while held in development mode.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub recipient_masked: String,
    pub subject: String,
    pub template: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub body: Option<String>,
}

pub async fn enqueue(
    conn: &mut AnyConnection,
    m: &NewMessage,
    now: i64,
) -> StoreResult<NotificationId> {
    insert(conn, m, None, now).await
}

/// Queues a message whose body holds [`LINK_PLACEHOLDER`] where the worker puts the link.
pub async fn enqueue_with_link(
    conn: &mut AnyConnection,
    m: &NewMessage,
    link: LinkIntent,
    now: i64,
) -> StoreResult<NotificationId> {
    debug_assert!(m.body.contains(LINK_PLACEHOLDER));
    insert(conn, m, Some(link), now).await
}

async fn insert(
    conn: &mut AnyConnection,
    m: &NewMessage,
    link: Option<LinkIntent>,
    now: i64,
) -> StoreResult<NotificationId> {
    let row = sqlx::query(
        "INSERT INTO outbox (channel, recipient, subject, body, template, status, next_attempt_at,
                             created_at, link_account_id, link_purpose, link_ttl)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, $7, $8, $9) RETURNING id",
    )
    .bind(m.channel.as_str())
    .bind(&m.recipient)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(m.template)
    .bind(now)
    .bind(link.map(|l| l.account.get()))
    .bind(link.map_or("", |l| l.purpose.as_str()))
    .bind(link.map_or(0, |l| l.ttl))
    .fetch_one(&mut *conn)
    .await?;
    Ok(NotificationId::new(row.try_get("id")?))
}

/// Claims up to `limit` due messages. A claim is an update guarded by the old status, so two
/// workers never send the same message; a claim left by a crashed worker expires after 5 minutes.
pub async fn claim_due(db: &Db, now: i64, limit: i64) -> StoreResult<Vec<Due>> {
    let rows = sqlx::query(
        "SELECT id FROM outbox WHERE (status = 'pending' AND next_attempt_at <= $1)
            OR (status = 'sending' AND next_attempt_at <= $2)
         ORDER BY id LIMIT $3",
    )
    .bind(now)
    .bind(now - 300)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    let mut claimed = Vec::new();
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let row = sqlx::query(
            "UPDATE outbox SET status = 'sending', next_attempt_at = $1
             WHERE id = $2 AND (status = 'pending' OR (status = 'sending' AND next_attempt_at <= $3))
             RETURNING id, channel, recipient, subject, body, attempts, template,
                       link_account_id, link_purpose, link_ttl",
        )
        .bind(now)
        .bind(id)
        .bind(now - 300)
        .fetch_optional(&mut *db.writer().await?)
        .await?;
        if let Some(r) = row {
            let id: i64 = r.try_get("id")?;
            let channel: String = r.try_get("channel")?;
            let link_account: Option<i64> = r.try_get("link_account_id")?;
            let purpose: String = r.try_get("link_purpose")?;
            let link = match link_account {
                None => None,
                Some(account) => Some(LinkIntent {
                    account: AccountId::new(account),
                    purpose: super::stored("outbox", id, "link_purpose", &purpose, Purpose::parse)?,
                    ttl: r.try_get("link_ttl")?,
                }),
            };
            claimed.push(Due {
                id: NotificationId::new(id),
                template: r.try_get("template")?,
                channel: super::stored("outbox", id, "channel", &channel, Channel::parse)?,
                recipient: r.try_get("recipient")?,
                subject: r.try_get("subject")?,
                body: r.try_get("body")?,
                attempts: r.try_get("attempts")?,
                link,
            });
        }
    }
    Ok(claimed)
}

pub async fn mark_sent(db: &Db, id: NotificationId, now: i64) -> StoreResult<()> {
    sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = '' WHERE id = $2")
        .bind(now)
        .bind(id.get())
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Keeps a message undelivered for staff to read: no relay or gateway is configured.
pub async fn mark_held(db: &Db, id: NotificationId) -> StoreResult<()> {
    sqlx::query("UPDATE outbox SET status = 'held' WHERE id = $1")
        .bind(id.get())
        .execute(&mut *db.writer().await?)
        .await?;
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or given up (`failed`) when `None`.
pub async fn mark_failed(
    db: &Db,
    id: NotificationId,
    error: &str,
    retry_at: Option<i64>,
) -> StoreResult<()> {
    let error: String = error.chars().take(500).collect();
    sqlx::query(
        "UPDATE outbox SET status = $1, attempts = attempts + 1, last_error = $2,
             next_attempt_at = $3 WHERE id = $4",
    )
    .bind(if retry_at.is_some() {
        "pending"
    } else {
        "failed"
    })
    .bind(error)
    .bind(retry_at.unwrap_or(0))
    .bind(id.get())
    .execute(&mut *db.writer().await?)
    .await?;
    Ok(())
}

pub async fn list(
    db: &Db,
    status: &str,
    page: u32,
    per_page: u32,
) -> StoreResult<(Vec<OutboxRow>, i64)> {
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE ($1 = '' OR status = $1)")
        .bind(status)
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    let rows = sqlx::query(
        "SELECT id, channel, recipient, subject, body, template, status, attempts, last_error,
                created_at, sent_at
         FROM outbox WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(status)
    .bind(i64::from(per_page))
    .bind(i64::from(page.saturating_sub(1)) * i64::from(per_page))
    .fetch_all(db.pool())
    .await?;
    let rows = rows
        .iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            let recipient: String = r.try_get("recipient")?;
            let body: String = r.try_get("body")?;
            Ok(OutboxRow {
                id: r.try_get("id")?,
                channel: r.try_get("channel")?,
                recipient_masked: mask_recipient(&recipient),
                subject: r.try_get("subject")?,
                body: (status == "held").then(|| body.replace(LINK_PLACEHOLDER, "[链接已隐去]")),
                template: r.try_get("template")?,
                status,
                attempts: r.try_get("attempts")?,
                last_error: r.try_get("last_error")?,
                created_at: r.try_get("created_at")?,
                sent_at: r.try_get("sent_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((rows, total))
}
