//! The binary as an operator runs it: `serve --demo` on a fresh data directory prints the
//! demo accounts with activation links, answers, and stops cleanly on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn serve_demo_prints_activation_links_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let dns_port = crate::dns::free_port();
    let data = dir.path().join("data");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_govsite"));
    cmd.arg("serve")
        .arg("--demo")
        .arg("--http")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--dns")
        .arg(format!("127.0.0.1:{dns_port}"))
        .arg("--forward")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--secret-key-file")
        .arg(dir.path().join("secret.key"));
    match std::env::var("GOVSITE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            let db_url = crate::helpers::fresh_database_url(dir.path()).await;
            let _ = url;
            cmd.arg("--database-url").arg(db_url);
        }
        _ => {
            cmd.arg("--data-dir").arg(&data);
        }
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let started = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            let done = line.starts_with("govsite 已启动");
            printed.push(line);
            if done {
                break;
            }
        }
    })
    .await;
    assert!(started.is_ok(), "started: {printed:?}");
    let text = printed.join("\n");
    assert!(text.contains("jy-bianban"));
    assert!(
        text.contains("40765728"),
        "annex 5 account numbers are usernames"
    );
    assert!(text.contains("jyxrmzf"));
    assert!(text.contains(&format!("http://127.0.0.1:{port}/activate/")));
    assert!(
        !text.to_lowercase().contains("password:"),
        "no passwords are printed"
    );

    let client = reqwest::Client::new();
    let health = client
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // An activation link printed at start works.
    let link = text
        .lines()
        .find(|l| l.contains("/activate/"))
        .unwrap()
        .trim();
    let page = client.get(link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("激活账号并设置密码"));

    // /metrics counts what the DNS role answered (dig, over UDP) and the serials it serves.
    let dns: std::net::SocketAddr = format!("127.0.0.1:{dns_port}").parse().unwrap();
    let soa = tokio::task::spawn_blocking(move || {
        crate::dns::dig(dns, &["xn--zfr164b.", "SOA", "+norecurse"])
    })
    .await
    .unwrap();
    assert!(soa.contains("status: NOERROR"), "{soa}");
    let metrics = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("govsite_dns_queries{qtype=\"SOA\",rcode=\"NOERROR\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("govsite_dns_zone_serial{zone="),
        "{metrics}"
    );

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().unwrap().to_string())
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("stops")
        .unwrap();
    assert!(exit.success(), "graceful exit: {exit:?}");
    if std::env::var("GOVSITE_TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        assert!(data.join("govsite.db").exists());
    }
}

#[tokio::test]
async fn demo_data_is_idempotent_and_has_no_passwords() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database_url(dir.path()).await;
    let db = govsite::store::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let first = govsite::demo::load(&db, "http://127.0.0.1:8080", 0)
        .await
        .unwrap();
    let second = govsite::demo::load(&db, "http://127.0.0.1:8080", 25)
        .await
        .unwrap();
    assert!(second.contains("已添加 25 个合成单位"));
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            use sqlx::Row;
            sqlx::query(sql)
                .fetch_one(db.pool())
                .await
                .unwrap()
                .try_get::<i64, _>(0)
                .unwrap()
        }
    };
    // 靖远县人民政府 + 14 (annex 5) + 15 (annex 6) + 25 synthetic.
    assert_eq!(count("SELECT COUNT(*) FROM units").await, 55);
    assert_eq!(
        count("SELECT COUNT(*) FROM accounts WHERE role = 'unit'").await,
        30
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM accounts WHERE password_hash IS NOT NULL").await,
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM offices WHERE region_code = 620421").await,
        1
    );
    // The seed's domains: two active names of 靖远县人民政府 (each with its traditional form),
    // and the annex 5 units' 25 lapsed names; one active name per synthetic unit, of each plan.
    assert_eq!(
        count("SELECT COUNT(*) FROM domains WHERE state = 'active' AND variant_of IS NULL").await,
        2 + 25
    );
    assert_eq!(
        count(
            "SELECT COUNT(DISTINCT plan) FROM domains d JOIN units u ON u.id = d.unit_id
             WHERE u.name LIKE '合成测试单位%'"
        )
        .await,
        3
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM domains WHERE state = 'suspended' AND variant_of IS NULL")
            .await,
        25
    );
    // The seed's campaign, published, with a milestone passed and one ahead: units in every
    // status, 22 proposals waiting for the 编办, and one English stop request.
    let campaigns = govsite::store::campaigns::visible(&db, None).await.unwrap();
    assert_eq!(campaigns.len(), 1, "made once");
    let campaign = &campaigns[0];
    assert_eq!(campaign.doc_number, "靖机编办发〔2015〕10号");
    assert!(campaign.published());
    for kind in [
        govsite_core::campaign::MilestoneKind::Domain,
        govsite_core::campaign::MilestoneKind::Application,
    ] {
        let counts = govsite::store::campaigns::counts(&db, campaign, kind)
            .await
            .unwrap();
        for status in govsite_core::campaign::UnitProgress::of(kind) {
            assert!(
                counts.iter().any(|(s, n)| s == status && *n > 0),
                "a demo unit {}: {counts:?}",
                status.label()
            );
        }
    }
    assert_eq!(
        count("SELECT COUNT(*) FROM campaign_enforcements WHERE state = 'proposed'").await,
        22
    );
    let english = govsite::store::campaigns::english_requests(&db, campaign.id)
        .await
        .unwrap();
    assert_eq!(english.len(), 1);
    assert_eq!(english[0].kind, "stop");
    assert_eq!(english[0].items[0].english_domain, "jrb.jingyuan.gov.cn");
    // Each run issues fresh links; the earlier ones are cancelled.
    assert_ne!(first, second);
    let link = first
        .lines()
        .find(|l| l.contains("/activate/"))
        .unwrap()
        .trim();
    let token = link.rsplit('/').next().unwrap();
    let hash = govsite::auth::token::hash_token(token);
    assert_eq!(
        govsite::store::tokens::peek(
            &db,
            govsite::store::tokens::Purpose::Activation,
            &hash,
            chrono::Utc::now().timestamp()
        )
        .await
        .unwrap(),
        None
    );
}

/// Other users of the machine read neither the data nor the secrets in it: the data
/// directory is 0700 (tightened if it existed), the database and its journals 0600.
#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_database_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let url = govsite::store::Db::sqlite_url_in(&data).unwrap();
    let db = govsite::store::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    let files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.iter().any(|f| f.ends_with("govsite.db")), "{files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    db.close().await;
}
