//! Delivers due outbox messages, retrying failures with exponential backoff.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::sender::{Outcome, Senders};
use crate::clock::SharedClock;
use crate::store::outbox::Due;
use crate::store::{Db, StoreResult, outbox};

/// Attempts before a message is marked failed for staff to look at.
pub const MAX_ATTEMPTS: i64 = 8;
const BATCH: i64 = 20;

/// Seconds to wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, … at most an hour.
pub fn backoff(attempts: i64) -> i64 {
    (30i64 << attempts.clamp(0, 7)).min(3600)
}

/// One pass over due messages; returns how many were attempted. A message that asks for a
/// one-time link gets it here, in the copy handed to the carrier: the row keeps only the
/// placeholder.
pub async fn deliver_due(
    db: &Db,
    senders: &Senders,
    clock: &SharedClock,
    public_url: &str,
) -> StoreResult<usize> {
    let due = outbox::claim_due(db, clock.now(), BATCH).await?;
    for m in &due {
        let outcome = match with_link(db, m, public_url, clock.now()).await {
            Ok(filled) => (senders.deliver(&filled).await, filled),
            Err(error) => (Outcome::Failed(error), m.clone()),
        };
        match outcome {
            (Outcome::Sent, _) => {
                outbox::mark_sent(db, m.id, clock.now()).await?;
                tracing::info!(
                    id = m.id.get(),
                    channel = m.channel.as_str(),
                    "notification sent"
                );
            }
            (Outcome::Held, filled) => {
                outbox::mark_held(db, m.id).await?;
                senders.keep_held(&filled);
                if m.link.is_some() {
                    // Development mode: nobody may read a one-time link in the outbox page,
                    // so the operator who started the service gets it on the console.
                    println!(
                        "[开发模式] 未配置{}，以下通知未发出（收件人 {}）：\n{}\n",
                        if m.channel == outbox::Channel::Sms {
                            "短信网关"
                        } else {
                            "邮件服务器"
                        },
                        govsite_core::contact::mask_recipient(&m.recipient),
                        filled.body
                    );
                }
            }
            (Outcome::Failed(error), _) => {
                let attempts = m.attempts + 1;
                let retry = (attempts < MAX_ATTEMPTS).then(|| clock.now() + backoff(attempts));
                tracing::warn!(id = m.id.get(), attempts, %error, "notification delivery failed");
                outbox::mark_failed(db, m.id, &error, retry).await?;
            }
        }
    }
    Ok(due.len())
}

/// The message as the carrier gets it: its link made now, when it asks for one. Each attempt
/// makes a fresh link, which cancels the one an earlier failed attempt made.
async fn with_link(db: &Db, m: &Due, public_url: &str, now: i64) -> Result<Due, String> {
    let Some(intent) = m.link else {
        return Ok(m.clone());
    };
    let link = crate::registry::accounts::mint_link(db, intent, public_url, now)
        .await
        .map_err(|e| format!("one-time link: {e}"))?;
    let mut filled = m.clone();
    filled.body = m.body.replace(outbox::LINK_PLACEHOLDER, &link);
    Ok(filled)
}

/// Runs until `shutdown` flips, waking on `wake` (a commit that queued mail) or every second.
pub async fn run(
    db: Db,
    senders: Senders,
    public_url: String,
    clock: SharedClock,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match deliver_due(&db, &senders, &clock, &public_url).await {
            Ok(n) if n as i64 == BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox pass failed"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(super::backoff(1), 60);
        assert_eq!(super::backoff(2), 120);
        assert_eq!(super::backoff(20), 3600);
    }
}
