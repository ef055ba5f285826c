use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn probes_answer_json() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let health = b.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&health.body).unwrap()["status"],
        "ok"
    );
    let ready = b.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    let ready: serde_json::Value = serde_json::from_str(&ready.body).unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["migrations"], "current");
    assert_eq!(ready["database"], app.backend().name());
    // Probes set no cookie.
    assert!(b.get("/healthz").await.headers.get("set-cookie").is_none());
    app.shutdown().await.expect("graceful shutdown");
}

#[tokio::test]
async fn readyz_reports_an_unreachable_database() {
    let app = TestApp::spawn().await;
    app.db.close().await;
    let page = app.browser().get("/readyz").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("not_ready"));
}

#[tokio::test]
async fn pages_are_chinese_and_carry_security_headers() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    for path in ["/", "/login", "/register", "/help", "/password/forgot"] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("<html lang=\"zh-CN\""), "{path}");
        assert!(
            page.headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'self'")
        );
        assert_eq!(page.headers["x-frame-options"], "DENY");
    }
    let missing = b.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("页面不存在"));
}

#[tokio::test]
async fn session_cookie_is_httponly_and_samesite() {
    let app = TestApp::spawn().await;
    let page = app.browser().get("/login").await;
    let cookie = page.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("gs_session="));
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    // Served over plain http here, so not Secure; an https public URL adds it (web::tests).
    assert!(!cookie.contains("Secure"));
}

#[tokio::test]
async fn regions_and_calendar_are_seeded() {
    let app = TestApp::spawn().await;
    assert!(
        app.count("SELECT COUNT(*) FROM regions WHERE level = 'county'")
            .await
            > 2800
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM regions WHERE level = 'province'")
            .await,
        31
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM regions WHERE code = 620421 AND fee_tier = 'poverty' AND parent_code = 620400").await, 1);
    assert!(
        app.count("SELECT COUNT(*) FROM calendar_days WHERE day LIKE '2024-%'")
            .await
            > 20
    );
    assert!(
        app.count(
            "SELECT COUNT(*) FROM calendar_days WHERE day = '2026-10-10' AND kind = 'workday'"
        )
        .await
            == 1
    );
    // Migrating again changes nothing.
    app.db.migrate().await.unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM regions WHERE level = 'province'")
            .await,
        31
    );
}
