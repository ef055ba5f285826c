//! Crash safety: `govsite serve` is killed with SIGKILL in the middle of a burst of writes
//! (units reporting transfers, finance confirming them: balances credited while others are
//! written), then started again on the same database. Every write it acknowledged is there,
//! every transfer's state has its audit row and its ledger entries, the books balance, each
//! unit's balance equals its ledger, and the audit chain holds.

use std::collections::HashSet;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use govsite_core::role::Role;
use reqwest::StatusCode;
use sqlx::Row;
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

use crate::helpers::{Browser, TestApp, wait_ready};

async fn start(app: &TestApp, port: u16) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_govsite"))
        .args(["serve", "--roles", "web", "--staff-totp", "off"])
        .args(["--database-url", &app.url])
        .arg("--http")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--secret-key-file")
        .arg(&app.key_file)
        .env("GOVSITE_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_ready(port).await;
    child
}

fn browser(port: u16) -> Browser {
    Browser {
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
        base: format!("http://127.0.0.1:{port}"),
    }
}

/// POSTs without panicking when the server is gone: `None` for no answer.
async fn try_post(
    b: &Browser,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> Option<StatusCode> {
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf)];
    form.extend_from_slice(fields);
    b.client
        .post(format!("{}{path}", b.base))
        .form(&form)
        .send()
        .await
        .ok()
        .map(|r| r.status())
}

#[tokio::test]
async fn a_server_killed_mid_burst_keeps_every_acknowledged_write_and_balanced_books() {
    let app = TestApp::spawn().await;
    let port = crate::dns::free_port();
    let mut units = Vec::new();
    for i in 0..4 {
        let unit = app.unit(&format!("靖远县崩溃测试{i}局"), "620421").await;
        units.push(app.user(Role::Unit, Some(unit), None).await);
    }
    let finance = app.user(Role::Finance, None, None).await;
    let mut server = start(&app, port).await;

    // Signed in before the burst.
    let mut clients = Vec::new();
    for (username, password, _) in &units {
        let mut b = browser(port);
        assert_eq!(
            b.sign_in(username, password).await.status,
            StatusCode::SEE_OTHER
        );
        let csrf = b.csrf().await;
        clients.push((b, csrf));
    }
    let mut f = browser(port);
    f.sign_in(&finance.0, &finance.1).await;
    let f_csrf = f.csrf().await;

    let reported: Arc<Mutex<Vec<String>>> = Arc::default();
    let confirmed: Arc<Mutex<Vec<i64>>> = Arc::default();
    let mut tasks = Vec::new();
    for (n, (b, csrf)) in clients.into_iter().enumerate() {
        let reported = reported.clone();
        tasks.push(tokio::spawn(async move {
            for k in 0.. {
                let bank_ref = format!("CRASH-{n}-{k}");
                let fields = [
                    ("amount", "100"),
                    ("payer", "崩溃测试"),
                    ("bank_ref", bank_ref.as_str()),
                    ("paid_on", "2026-01-05"),
                ];
                match try_post(&b, "/portal/finance", &csrf, &fields).await {
                    Some(StatusCode::SEE_OTHER) => reported.lock().await.push(bank_ref),
                    Some(_) => {}
                    None => return,
                }
            }
        }));
    }
    {
        let (confirmed, db) = (confirmed.clone(), app.db.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Ok(rows) = sqlx::query(
                    "SELECT id FROM transfers WHERE status = 'pending' ORDER BY id LIMIT 5",
                )
                .fetch_all(db.pool())
                .await
                else {
                    return;
                };
                for r in rows {
                    let id: i64 = r.get("id");
                    let path = format!("/console/transfers/{id}");
                    match try_post(&f, &path, &f_csrf, &[("action", "confirm")]).await {
                        Some(StatusCode::SEE_OTHER) => confirmed.lock().await.push(id),
                        Some(_) => {}
                        None => return,
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    // Kill it mid-burst, once it has acknowledged a good number of writes.
    for _ in 0..400 {
        if reported.lock().await.len() >= 60 && confirmed.lock().await.len() >= 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let reported = reported.lock().await.clone();
    let confirmed = confirmed.lock().await.clone();
    assert!(
        reported.len() >= 60 && confirmed.len() >= 10,
        "{} {}",
        reported.len(),
        confirmed.len()
    );

    // Started again on the same database.
    let mut again = start(&app, port).await;
    let stored: HashSet<String> = sqlx::query("SELECT bank_ref FROM transfers")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("bank_ref"))
        .collect();
    for r in &reported {
        assert!(stored.contains(r), "acknowledged transfer {r} lost");
    }
    for id in &confirmed {
        let status: String = sqlx::query("SELECT status FROM transfers WHERE id = $1")
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .get("status");
        assert_eq!(
            status, "confirmed",
            "acknowledged confirmation of {id} lost"
        );
    }
    // No transition half done: each state has its audit row, each confirmation its credit.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM transfers").await,
        app.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'transfer_reported'")
            .await
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM transfers WHERE status = 'confirmed'")
            .await,
        app.count("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'transfer_confirmed'")
            .await
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM transfers WHERE status = 'confirmed'")
            .await
            * 2,
        app.count("SELECT COUNT(*) AS n FROM ledger_entries").await
    );
    assert_eq!(
        govsite::store::ledger::trial_balance(&app.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) AS n FROM balances b
             WHERE b.balance_fen <> (SELECT COALESCE(SUM(e.amount_fen), 0) FROM ledger_entries e
                                     WHERE e.account = 'unit_balance' AND e.unit_id = b.unit_id)"
        )
        .await,
        0,
        "every balance equals its ledger"
    );
    // The audit chain (sealed by both processes) holds.
    govsite::registry::audit_chain::seal(
        &app.db,
        govsite::registry::audit_chain::Algorithm::Sm3,
        app.clock_now(),
    )
    .await
    .unwrap();
    let v = govsite::registry::audit_chain::verify(&app.db)
        .await
        .unwrap();
    assert!(v.broken.is_none(), "{:?}", v.broken);
    again.start_kill().unwrap();
    let _ = again.wait().await;
    app.shutdown().await.unwrap();
}
