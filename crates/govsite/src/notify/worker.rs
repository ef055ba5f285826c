//! Delivers due outbox messages, retrying failures with exponential backoff.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use super::messages;
use super::sender::{Outcome, Senders};
use crate::clock::SharedClock;
use crate::store::{Db, StoreResult, outbox};

/// Attempts before a message is marked failed for staff to look at.
pub const MAX_ATTEMPTS: i64 = 8;
const BATCH: i64 = 20;

/// Seconds to wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, … at most an hour.
pub fn backoff(attempts: i64) -> i64 {
    (30i64 << attempts.clamp(0, 7)).min(3600)
}

/// One pass over due messages; returns how many were attempted.
pub async fn deliver_due(db: &Db, senders: &Senders, clock: &SharedClock) -> StoreResult<usize> {
    let due = outbox::claim_due(db, clock.now(), BATCH).await?;
    for m in &due {
        match senders.deliver(m).await {
            Outcome::Sent => {
                outbox::mark_sent(db, m.id, clock.now()).await?;
                if messages::carries_secret(&m.template) {
                    outbox::scrub(db, m.id, &messages::redact(&m.body)).await?;
                }
                tracing::info!(
                    id = m.id.get(),
                    channel = m.channel.as_str(),
                    "notification sent"
                );
            }
            Outcome::Held => {
                outbox::mark_held(db, m.id).await?;
                if messages::carries_secret(&m.template) {
                    // Development mode: nobody may read a one-time link in the outbox page,
                    // so the operator who started the service gets it on the console.
                    println!(
                        "[开发模式] 未配置{}，以下通知未发出（收件人 {}）：\n{}\n",
                        if m.channel == crate::store::outbox::Channel::Sms {
                            "短信网关"
                        } else {
                            "邮件服务器"
                        },
                        govsite_core::contact::mask_recipient(&m.recipient),
                        m.body
                    );
                }
            }
            Outcome::Failed(error) => {
                let attempts = m.attempts + 1;
                let retry = (attempts < MAX_ATTEMPTS).then(|| clock.now() + backoff(attempts));
                tracing::warn!(id = m.id.get(), attempts, %error, "notification delivery failed");
                outbox::mark_failed(db, m.id, &error, retry).await?;
            }
        }
    }
    Ok(due.len())
}

/// Runs until `shutdown` flips, waking on `wake` (a commit that queued mail) or every second.
pub async fn run(
    db: Db,
    senders: Senders,
    clock: SharedClock,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match deliver_due(&db, &senders, &clock).await {
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
