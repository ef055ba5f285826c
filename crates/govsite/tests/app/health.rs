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
async fn the_anonymous_csrf_cookie_is_signed_httponly_and_samesite() {
    let app = TestApp::spawn().await;
    let page = app.browser().get("/login").await;
    let cookie = page.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("gs_csrf="), "{cookie}");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    // Served over plain http here, so not Secure; an https public URL adds it (web::tests).
    assert!(!cookie.contains("Secure"));
    // A forged or unsigned cookie is not a CSRF token.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let forged = client
        .post(format!("{}/login", app.base))
        .header("cookie", "gs_csrf=abc")
        .form(&[("csrf_token", "abc"), ("username", "x"), ("password", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

/// Crawlers and bots write nothing: anonymous page views, verification pages, the signed
/// facts, the key and captcha images add no row anywhere (SQLite has one writer; a table that
/// grows with every view is a denial of service).
#[tokio::test]
async fn ten_thousand_anonymous_views_add_no_rows() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县教育局", "620421").await;
    let code = crate::badges::issue(&app, unit, "靖远教育网", "", "", "jy.jingyuan.gov.cn").await;
    // The first views make the form key once (a setting), like any first start.
    let mut b = app.browser();
    let verify = b.get(&format!("/v/{code}")).await;
    assert_eq!(verify.status, StatusCode::OK);
    let captcha = verify
        .body
        .split("/captcha/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| format!("/captcha/{s}"))
        .expect("the report form's captcha image");
    b.get(&format!("/v/{code}.json")).await;
    let before = total_rows(&app).await;
    let paths: Vec<String> = [
        "/",
        "/login",
        "/register",
        "/password/forgot",
        "/help",
        "/v?q=%E9%9D%96%E8%BF%9C",
        "/v/key.pem",
    ]
    .iter()
    .map(|p| p.to_string())
    .chain([
        format!("/v/{code}"),
        format!("/v/{code}?captcha=text"),
        format!("/v/{code}.json"),
        captcha,
    ])
    .collect();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let paths = paths.clone();
        // Half the visitors keep their cookies, half come back without (like crawlers).
        let mut b = app.browser();
        let base = app.base.clone();
        tasks.push(tokio::spawn(async move {
            let bare = reqwest::Client::new();
            for i in 0..1250 {
                let path = &paths[(t + i) % paths.len()];
                let status = if i % 2 == 0 {
                    b.get(path).await.status
                } else {
                    bare.get(format!("{base}{path}"))
                        .send()
                        .await
                        .unwrap()
                        .status()
                };
                assert!(status.is_success(), "{path}: {status}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        total_rows(&app).await,
        before,
        "10,000 anonymous GETs wrote rows"
    );
}

/// Rows in every table of the database.
async fn total_rows(app: &TestApp) -> Vec<(String, i64)> {
    use sqlx::Row;
    let list = match app.backend() {
        govsite::store::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        govsite::store::Backend::Postgres => {
            "SELECT CAST(tablename AS TEXT) AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        }
    };
    let names: Vec<String> = sqlx::query(list)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("name").unwrap())
        .collect();
    let mut out = Vec::new();
    for name in names {
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM \"{name}\""
        )))
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
        out.push((name, n));
    }
    out
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
