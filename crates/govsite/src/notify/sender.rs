//! The outside services that carry messages: an SMTP relay and an HTTP SMS gateway. Either may
//! be absent, in which case messages are held in the outbox for staff to read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;

use crate::config::{MailArgs, SmsArgs, SmtpTls};
use crate::store::outbox::{Channel, Due};

/// What happened to one delivery attempt.
#[derive(Debug)]
pub enum Outcome {
    Sent,
    /// No carrier is configured for the channel.
    Held,
    Failed(String),
}

#[derive(Clone)]
pub struct Senders {
    mail: Option<(AsyncSmtpTransport<Tokio1Executor>, lettre::message::Mailbox)>,
    sms: Option<SmsGateway>,
    held: Option<HeldLog>,
}

/// Messages held for want of a carrier, as delivered (one-time link included), kept in memory
/// by [`Senders::send_held_only`] so that tests read what the console would have shown.
pub type HeldLog = Arc<Mutex<VecDeque<HeldMessage>>>;

#[derive(Debug, Clone)]
pub struct HeldMessage {
    pub template: String,
    pub recipient: String,
    pub body: String,
}

/// At most this many held messages are kept in memory; the oldest go first.
const HELD_KEPT: usize = 1000;

#[derive(Clone)]
struct SmsGateway {
    url: String,
    key: Vec<u8>,
    client: reqwest::Client,
}

impl Senders {
    pub fn from_config(mail: &MailArgs, sms: &SmsArgs) -> anyhow::Result<Self> {
        let mail = match &mail.smtp_host {
            None => None,
            Some(host) => {
                let builder = match mail.smtp_tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
                };
                let mut builder = builder
                    .port(mail.smtp_port)
                    .timeout(Some(Duration::from_secs(20)));
                if let (Some(user), Some(pass)) = (&mail.smtp_username, &mail.smtp_password) {
                    builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
                }
                let from = mail
                    .mail_from
                    .parse()
                    .map_err(|e| anyhow::anyhow!("--mail-from is not an address: {e}"))?;
                Some((builder.build(), from))
            }
        };
        let sms = match &sms.sms_url {
            None => None,
            Some(url) => Some(SmsGateway {
                url: url.clone(),
                key: sms.sms_key.clone().unwrap_or_default().into_bytes(),
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(15))
                    .user_agent(concat!("govsite/", env!("CARGO_PKG_VERSION")))
                    .build()?,
            }),
        };
        Ok(Self {
            mail,
            sms,
            held: None,
        })
    }

    /// No carrier at all: every message is held, and the held ones are kept in memory too.
    pub fn send_held_only() -> Self {
        Self {
            mail: None,
            sms: None,
            held: Some(HeldLog::default()),
        }
    }

    /// The in-memory record of held messages, when this set keeps one.
    pub fn held_log(&self) -> Option<HeldLog> {
        self.held.clone()
    }

    /// Records a held message as it would have been delivered.
    pub fn keep_held(&self, m: &Due) {
        if let Some(log) = &self.held {
            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
            if log.len() >= HELD_KEPT {
                log.pop_front();
            }
            log.push_back(HeldMessage {
                template: m.template.clone(),
                recipient: m.recipient.clone(),
                body: m.body.clone(),
            });
        }
    }

    pub async fn deliver(&self, m: &Due) -> Outcome {
        match m.channel {
            Channel::Email => match &self.mail {
                None => Outcome::Held,
                Some((transport, from)) => send_mail(transport, from, m).await,
            },
            Channel::Sms => match &self.sms {
                None => Outcome::Held,
                Some(gw) => gw.send(m).await,
            },
        }
    }
}

async fn send_mail(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &lettre::message::Mailbox,
    m: &Due,
) -> Outcome {
    let to = match m.recipient.parse() {
        Ok(to) => to,
        Err(e) => return Outcome::Failed(format!("bad recipient address: {e}")),
    };
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&m.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.clone());
    let message = match message {
        Ok(message) => message,
        Err(e) => return Outcome::Failed(format!("message: {e}")),
    };
    match transport.send(message).await {
        Ok(_) => Outcome::Sent,
        Err(e) => Outcome::Failed(format!("smtp: {e}")),
    }
}

impl SmsGateway {
    /// POSTs `{mobile, content, timestamp, signature}`; the signature is
    /// HMAC-SHA256(key, "timestamp\nmobile\ncontent") in lower-case hex.
    async fn send(&self, m: &Due) -> Outcome {
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign(&self.key, timestamp, &m.recipient, &m.body);
        let body = serde_json::json!({
            "mobile": m.recipient,
            "content": m.body,
            "timestamp": timestamp,
            "signature": signature,
        });
        match self.client.post(&self.url).json(&body).send().await {
            Ok(resp) if resp.status().is_success() => Outcome::Sent,
            Ok(resp) => Outcome::Failed(format!("gateway answered {}", resp.status())),
            Err(e) => Outcome::Failed(format!("gateway unreachable: {e}")),
        }
    }
}

pub fn sign(key: &[u8], timestamp: i64, mobile: &str, content: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(format!("{timestamp}\n{mobile}\n{content}").as_bytes());
    data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
}
