//! Notifications leave through a real SMTP server (aiosmtpd, started here) and an HTTP SMS
//! gateway (started here); failures are retried and visible to staff.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode as AxumStatus;
use govsite::config::{MailArgs, SmsArgs, SmtpTls};
use govsite::notify::sender::{Senders, sign};
use govsite_core::role::Role;
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

use crate::helpers::TestApp;

struct SmtpSink {
    dir: tempfile::TempDir,
    port: u16,
    _child: Child,
}

impl SmtpSink {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd)");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        assert!(
            matches!(ready, Ok(Ok(Some(ref l))) if l == "READY"),
            "SMTP sink did not start: {ready:?}"
        );
        Self {
            dir,
            port,
            _child: child,
        }
    }

    /// Waits (bounded) until `n` messages arrived; returns their texts.
    async fn messages(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "txt"))
                .collect();
            if files.len() >= n {
                files.sort();
                return files
                    .iter()
                    .map(|p| std::fs::read_to_string(p).unwrap())
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} e-mails");
    }
}

#[derive(Clone, Default)]
struct Gateway {
    received: Arc<Mutex<Vec<serde_json::Value>>>,
    fail: Arc<Mutex<bool>>,
}

async fn gateway_handler(
    State(g): State<Gateway>,
    Json(body): Json<serde_json::Value>,
) -> AxumStatus {
    if *g.fail.lock().unwrap() {
        return AxumStatus::SERVICE_UNAVAILABLE;
    }
    g.received.lock().unwrap().push(body);
    AxumStatus::OK
}

async fn start_gateway() -> (Gateway, String) {
    let g = Gateway::default();
    let app = axum::Router::new()
        .route("/send", axum::routing::post(gateway_handler))
        .with_state(g.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (g, url)
}

fn senders(smtp_port: u16, sms_url: &str) -> Senders {
    Senders::from_config(
        &MailArgs {
            smtp_host: Some("127.0.0.1".into()),
            smtp_port,
            smtp_tls: SmtpTls::None,
            smtp_username: None,
            smtp_password: None,
            mail_from: "政务和公益机构域名注册管理平台 <noreply@govsite.test>".into(),
        },
        &SmsArgs {
            sms_url: Some(sms_url.into()),
            sms_key: Some("test-signing-key".into()),
        },
    )
    .unwrap()
}

async fn wait_for_status(app: &TestApp, template: &str, status: &str) {
    for _ in 0..200 {
        if app
            .outbox_bodies(template)
            .await
            .iter()
            .any(|(_, _, s)| s == status)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{template} never reached {status}");
}

#[tokio::test]
async fn registration_mail_and_sms_are_delivered_for_real() {
    let smtp = SmtpSink::start().await;
    let (gateway, url) = start_gateway().await;
    let app = TestApp::spawn_with(senders(smtp.port, &url), false).await;
    let mut b = app.browser();
    let username = crate::registration::register_only(&mut b, "靖远县邮政测试局", 41).await;

    let mails = smtp.messages(1).await;
    let mail = &mails[0];
    assert!(mail.starts_with("To: wang@test.example"));
    assert!(mail.contains("Subject: 请激活您的账号"));
    assert!(mail.contains(&format!("用户账号为 {username}")));
    assert!(mail.contains("不会为任何账号设置默认密码"));
    assert!(
        mail.contains("请在72小时内打开"),
        "the validity the link really has"
    );
    let activation = crate::helpers::link_path(mail, &app.base);
    assert!(activation.starts_with("/activate/"), "{activation}");
    let page = app.browser().visit(&activation).await;
    assert!(
        page.body.contains(&username),
        "the e-mailed link is the one that works"
    );

    wait_for_status(&app, "activation_sms", "sent").await;
    let sms = gateway.received.lock().unwrap().clone();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0]["mobile"], "13900000002");
    let content = sms[0]["content"].as_str().unwrap();
    assert!(content.contains(&username));
    let expected = sign(
        b"test-signing-key",
        sms[0]["timestamp"].as_i64().unwrap(),
        "13900000002",
        content,
    );
    assert_eq!(sms[0]["signature"], expected);
    wait_for_status(&app, "activation", "sent").await;
    // The link was made as the mail left: the outbox row never held it.
    let stored = app.outbox_bodies("activation").await;
    assert!(
        stored[0]
            .1
            .contains(govsite::store::outbox::LINK_PLACEHOLDER)
    );
    assert!(!stored[0].1.contains(activation.rsplit('/').next().unwrap()));
    app.assert_no_link_stored().await;

    // Staff see the delivery status, with recipients masked.
    let (mut staff, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let page = staff.get("/admin/outbox?status=sent").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("139****0002"));
    assert!(page.body.contains("w***@test.example"));
    assert!(!page.body.contains("13900000002"));
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_backoff() {
    let (gateway, url) = start_gateway().await;
    *gateway.fail.lock().unwrap() = true;
    // Nothing listens on this SMTP port: mail fails too.
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = TestApp::spawn_with(senders(dead_port, &url), false).await;
    let mut b = app.browser();
    crate::registration::register_only(&mut b, "靖远县重试测试局", 42).await;
    // Wait for the first failed attempt.
    for _ in 0..200 {
        if app
            .count("SELECT COUNT(*) FROM outbox WHERE attempts >= 1 AND status = 'pending'")
            .await
            == 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE attempts = 1 AND status = 'pending' AND last_error <> ''").await, 2);
    // A message that failed keeps no link: the next attempt makes a fresh one.
    app.assert_no_link_stored().await;
    // Not retried before the backoff has passed …
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE attempts = 1")
            .await,
        2
    );
    // … and delivered once the gateway is back and the clock has moved past it.
    *gateway.fail.lock().unwrap() = false;
    app.clock.advance(120);
    wait_for_status(&app, "activation_sms", "sent").await;
    assert_eq!(gateway.received.lock().unwrap().len(), 1);
    let (mut staff, _) = app.signed_in(Role::Admin, None, None).await;
    let page = staff.get("/admin/outbox?status=pending").await;
    assert!(
        page.body.contains("smtp"),
        "the last error is shown to staff"
    );
}

#[tokio::test]
async fn without_a_relay_messages_are_held_for_staff_to_read() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let (username, activation) =
        crate::registration::register(&app, &mut b, "靖远县开发模式局", 43).await;
    wait_for_status(&app, "activation", "held").await;
    let (mut staff, _) = app.signed_in(Role::Admin, None, None).await;
    let page = staff.get("/admin/outbox?status=held").await;
    assert!(page.body.contains(&format!("用户账号为 {username}")));
    // The one-time link itself is never shown to staff.
    assert!(page.body.contains("[链接已隐去]"));
    assert!(
        page.body.contains("打印在启动本服务的控制台上"),
        "the page says where a held link is"
    );
    let token = activation.rsplit('/').next().unwrap();
    assert!(!page.body.contains(token));
    // Unit users cannot read the outbox.
    let (mut unit, _) = app.signed_in(Role::Unit, None, None).await;
    assert_eq!(
        unit.get("/admin/outbox").await.status,
        StatusCode::FORBIDDEN
    );
}
