//! Past one machine (docs/DEPLOY.md): two web processes and one DNS process, each a separate
//! `govsite serve`, on one database. A person signed in through one web process carries on
//! through the other (sessions live in the database), a change made through one is seen by the
//! other at once, and the DNS process answers it within seconds.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use govsite_core::role::Role;
use reqwest::StatusCode;
use tokio::process::{Child, Command};

use crate::helpers::{Browser, TestApp, wait_ready};

async fn serve(app: &TestApp, roles: &str, extra: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_govsite"))
        .args(["serve", "--roles", roles, "--staff-totp", "off"])
        .args(["--database-url", &app.url])
        .arg("--secret-key-file")
        .arg(&app.key_file)
        .args(extra)
        .env("GOVSITE_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn two_web_processes_and_a_dns_process_share_one_database() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县部署测试局", "620421").await;
    let ids = crate::domains::active_names(&app, unit, "靖远县部署测试局", "靖远部署").await;
    let (username, password, _) = app.user(Role::Unit, Some(unit), None).await;

    let (a, b) = (crate::dns::free_port(), crate::dns::free_port());
    let dns_port = crate::dns::free_port();
    let public = "http://127.0.0.1:8080".to_owned();
    let mut web_a = serve(
        &app,
        "web",
        &[
            "--http".into(),
            format!("127.0.0.1:{a}"),
            "--public-url".into(),
            public.clone(),
        ],
    )
    .await;
    let mut web_b = serve(
        &app,
        "web",
        &[
            "--http".into(),
            format!("127.0.0.1:{b}"),
            "--public-url".into(),
            public,
            // The second web process leaves the lifecycle job and the checker to the first.
            "--jobs".into(),
            "off".into(),
        ],
    )
    .await;
    let mut dns = serve(
        &app,
        "dns",
        &["--dns".into(), format!("127.0.0.1:{dns_port}")],
    )
    .await;
    wait_ready(a).await;
    wait_ready(b).await;
    let dns_addr: SocketAddr = format!("127.0.0.1:{dns_port}").parse().unwrap();
    let name = crate::dns::ace("靖远县部署测试局");
    let answered = |want: &'static str| {
        let name = name.clone();
        async move {
            for _ in 0..100 {
                let got = tokio::task::spawn_blocking({
                    let name = name.clone();
                    move || crate::dns::short(dns_addr, &name, "A")
                })
                .await
                .unwrap();
                if got == want {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        }
    };
    assert!(
        answered("192.0.2.1").await,
        "the DNS process serves the name"
    );

    // Signed in through A; the same session carries on through B (cookies do not depend on
    // the port, the session lives in the database).
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut through_a = Browser {
        client: client.clone(),
        base: format!("http://127.0.0.1:{a}"),
    };
    let mut through_b = Browser {
        client,
        base: format!("http://127.0.0.1:{b}"),
    };
    assert_eq!(
        through_a.sign_in(&username, &password).await.status,
        StatusCode::SEE_OTHER
    );
    let home = through_b.get("/portal").await;
    assert_eq!(home.status, StatusCode::OK, "signed in on B too");
    assert!(home.body.contains("靖远县部署测试局"));

    // A change through B (the form's CSRF token read from B) is seen through A at once and
    // answered by the DNS process within seconds.
    let path = format!("/portal/domains/{}/records", ids[0]);
    let changed = through_b
        .post(&path, &[("plan", "resolve"), ("ipv4", "198.51.100.9")])
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let page = through_a.get(&format!("/portal/domains/{}", ids[0])).await;
    assert!(page.body.contains("value=\"198.51.100.9\""));
    assert!(answered("198.51.100.9").await, "the DNS process follows");

    // One web process gone: the other still serves the same session.
    web_a.start_kill().unwrap();
    let _ = web_a.wait().await;
    assert_eq!(through_b.get("/portal").await.status, StatusCode::OK);

    for child in [&mut web_b, &mut dns] {
        child.start_kill().unwrap();
        let _ = child.wait().await;
    }
    app.shutdown().await.unwrap();
}
