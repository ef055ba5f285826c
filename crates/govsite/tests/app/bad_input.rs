//! Bad input of any shape gets a clear answer, never a 500, and changes nothing stored.

use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let token = b.csrf().await;
    let huge = "x".repeat(400 * 1024);
    let page = b
        .post_raw(
            "/register",
            &[("csrf_token", token.as_str()), ("name", huge.as_str())],
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.body.contains("提交的内容过大"));
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 0);
}

#[tokio::test]
async fn malformed_forms_are_400_not_500() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let token = b.csrf().await;
    // The same field twice cannot be read as one answer.
    let page = b
        .post_raw(
            "/register",
            &[
                ("csrf_token", token.as_str()),
                ("name", "a"),
                ("name", "b"),
                ("step", "check"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("表单内容无法识别"));
    // Bytes that are not UTF-8, control characters, and absurd values.
    let resp = b
        .client
        .post(format!("{}/register", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf_token={token}&step=check&name=%FF%FE%00&postcode=%00%01&region_code=%E4%B8%AD"
        ))
        .send()
        .await
        .unwrap();
    assert!(
        resp.status() == StatusCode::OK || resp.status() == StatusCode::BAD_REQUEST,
        "{}",
        resp.status()
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 0);
}

#[tokio::test]
async fn hostile_urls_headers_and_cookies() {
    let app = TestApp::spawn().await;
    let (mut b, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    for path in [
        "/console/units/abc",
        "/console/units/99999999999999999999",
        "/console/units/-1",
        "/console/units?page=abc",
        "/console/units?page=-5&q=%25%5F%5C",
        "/console/units?q=%27%3B%20DROP%20TABLE%20units%3B--",
        "/activate/short",
        "/activate/..%2F..%2Fetc%2Fpasswd",
        "/password/reset/%00",
        "/admin/accounts/not-a-number",
    ] {
        let page = b.get(path).await;
        assert!(page.status.as_u16() < 500, "{path}: {}", page.status);
    }
    assert_eq!(
        b.get("/console/units/abc").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.count("SELECT COUNT(*) FROM units").await == 0,
        "the table is still there"
    );

    let anon = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for cookie in [
        "gs_session=",
        "gs_session=%%%%",
        &format!("gs_session={}", "a".repeat(4000)),
        "gs_session=\u{7f}",
        "gs_large=1; gs_session=AAAA",
    ] {
        let resp = anon
            .get(format!("{}/login", app.base))
            .header("cookie", cookie)
            .send()
            .await;
        let status = resp.map(|r| r.status().as_u16()).unwrap_or(400);
        assert!(status < 500, "{cookie}: {status}");
    }
    let resp = anon
        .get(format!("{}/", app.base))
        .header("x-forwarded-for", "1.2.3.4".repeat(1000))
        .header(
            "accept-language",
            reqwest::header::HeaderValue::from_bytes(b"\xff\xfe zh").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Open redirects are refused.
    let resp = anon
        .get(format!("{}/display?large=1&back=//evil.example/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["location"], "/portal");
}

#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::Unit, None, None).await;
    let mut b = app.browser();
    let page = b
        .post(
            "/login",
            &[
                ("username", &username),
                ("password", &password),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/portal"));
}

#[tokio::test]
async fn unreadable_query_strings_get_a_chinese_400() {
    let app = TestApp::spawn().await;
    let (mut b, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let page = b.get("/console/units?q=a&q=b").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("查询参数无法识别"));
    let page = b.get("/console/units/%FF%FE").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("页面不存在"));
    // The same error as JSON for machines.
    let resp = b
        .client
        .get(format!("{}/console/units?page=1&page=2", app.base))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "bad_request"
    );
}

#[tokio::test]
async fn control_characters_are_refused_before_they_reach_the_database() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = app.signed_in(Role::Admin, None, None).await;
    let page = admin
        .post("/login", &[("username", "ad\u{0}min"), ("password", "x")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("控制字符"));
    for path in [
        "/console/units?q=%00",
        "/admin/audit?actor=%00",
        "/admin/audit?action=a%00",
    ] {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
    }
    let page = admin
        .post(
            "/admin/calendar",
            &[
                ("day", "2027-01-01"),
                ("kind", "holiday"),
                ("name", "节\u{0}日"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM calendar_days WHERE day = '2027-01-01'")
            .await,
        0
    );
    // Tabs and line breaks in free text are fine.
    let page = admin
        .post(
            "/admin/calendar",
            &[("day", "2027-01-01"), ("kind", "holiday"), ("name", "元旦")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn wrong_methods_get_a_chinese_page() {
    let app = TestApp::spawn().await;
    let page = app.browser().get("/logout").await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(page.body.contains("请使用页面上的按钮操作"));
}

#[tokio::test]
async fn redirects_with_control_characters_stay_on_site() {
    let app = TestApp::spawn().await;
    let page = app
        .browser()
        .get("/display?large=1&back=/%09/127.0.0.2/pwned")
        .await;
    assert_eq!(page.location.as_deref(), Some("/portal"));
}

#[tokio::test]
async fn concurrent_writes_and_page_views_do_not_fail() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = app.signed_in(Role::Admin, None, None).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..4 {
        let base = app.base.clone();
        let stop = stop.clone();
        readers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut worst = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Each cookieless view writes a session row.
                let status = client
                    .get(format!("{base}/help"))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                worst = worst.max(status);
            }
            worst
        }));
    }
    for day in 1..=20 {
        let date = format!("2027-03-{day:02}");
        let page = admin
            .post(
                "/admin/calendar",
                &[("day", &date), ("kind", "holiday"), ("name", "测试")],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{date}: {}", page.body);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        assert!(r.await.unwrap() < 500);
    }
}
