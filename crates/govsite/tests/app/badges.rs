//! The badge (issue 6): its script and images from memory, with ETag, compression and the
//! badge's real state; hits counted in memory and written in batches; the public
//! verification page, its search and its signed JSON checked offline with openssl.

use std::io::Read;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use govsite::badge::Book;
use govsite::store::sites::{self, SiteFacts};
use govsite_core::badge::BadgeCode;
use govsite_core::ids::UnitId;
use govsite_core::region::RegionCode;
use reqwest::StatusCode;
use sqlx::Row;

use crate::helpers::TestApp;

/// Issues a badge straight into the store, as the registry would at the end of a review.
pub async fn issue(
    app: &TestApp,
    unit: UnitId,
    name: &str,
    ace: &str,
    label: &str,
    english: &str,
) -> String {
    let code = BadgeCode::new(RegionCode::parse("620421").unwrap(), unit.get(), 1)
        .unwrap()
        .to_string();
    let facts = SiteFacts {
        name,
        domain_ace: ace,
        domain_label: label,
        english_domain: english,
        ipv4: "192.0.2.1",
        ipv6: "",
        red_page: false,
        intro: "发布政务信息",
    };
    // A deadline a month ahead of the test's clock, so the badge is never overdue by itself.
    let due = govsite_core::deadline::cst_date(app.clock_now() + 30 * 86_400).to_string();
    let mut conn = app.db.pool().acquire().await.unwrap();
    sites::insert_site(&mut conn, unit, 1, &facts, &code, &due, app.clock_now())
        .await
        .unwrap();
    code
}

/// GET with headers, the raw response.
async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let mut req = client.get(format!("{}{path}", app.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// Waits for the badge book to pick a change up, printing how long it took.
async fn until(app: &TestApp, path: &str, what: &str, check: impl Fn(&str) -> bool) {
    let start = Instant::now();
    loop {
        let r = get(app, path, &[]).await;
        let ok = r.status() == StatusCode::OK;
        let body = r.text().await.unwrap();
        if ok && check(&body) {
            println!("{what}: {} ms", start.elapsed().as_millis());
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what} not seen: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_script_comes_from_memory_with_etag_compression_and_the_real_state() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县人民政府", "620421").await;
    let ace = "xn--gmq25jo2kfugo7iz49c16k.xn--zfr164b";
    let code = issue(
        &app,
        unit,
        "靖远县人民政府网",
        ace,
        "靖远县人民政府.政务",
        "www.jingyuan.gov.cn",
    )
    .await;
    let js = format!("/b/{code}.js");
    until(&app, &js, "a new badge served", |b| b.contains(&code)).await;

    let r = get(&app, &js, &[]).await;
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=300")
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let body = r.text().await.unwrap();
    for want in [
        "\"valid\"",
        "\"red\"",
        ace,
        "靖远县人民政府.政务",
        "www.jingyuan.gov.cn",
        "党政机关网站标识",
        "/v/",
    ] {
        assert!(body.contains(want), "{want}: {body}");
    }
    assert!(!body.contains("document.write"));
    // 304 for a cached copy; br and gzip decode to the same bytes.
    let cached = get(&app, &js, &[("if-none-match", &etag)]).await;
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert!(cached.bytes().await.unwrap().is_empty());
    let br = get(&app, &js, &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(br.headers()["content-encoding"], "br");
    let mut plain = Vec::new();
    brotli::BrotliDecompress(&mut &br.bytes().await.unwrap()[..], &mut plain).unwrap();
    assert_eq!(plain, body.as_bytes());
    let gz = get(&app, &js, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&gz.bytes().await.unwrap()[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, body);

    // Malformed, unknown, wrong extension: 404 (from memory).
    for bad in [
        "/b/CA123.js",
        "/b/XX620040021000000010001.js",
        "/b/CA620040021999999990001.js",
        &format!("/b/{code}.exe"),
        "/b/static/green-valid.svg",
        "/b/%00.js",
    ] {
        assert_eq!(
            get(&app, bad, &[]).await.status(),
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }

    // The image judges the Referer: the site's own host gets the valid badge, another host
    // the "不符" variant; the static images are the same bytes.
    let own = get(
        &app,
        &format!("/b/{code}.png"),
        &[("referer", "https://www.jingyuan.gov.cn/news/1.html")],
    )
    .await;
    assert_eq!(own.headers()["vary"], "Accept-Encoding, Origin, Referer");
    let valid_png = get(&app, "/b/static/red-valid.png", &[])
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(own.bytes().await.unwrap(), valid_png);
    let foreign = get(
        &app,
        &format!("/b/{code}.png"),
        &[("referer", "https://fake-jingyuan.example/")],
    )
    .await;
    let mismatch_png = get(&app, "/b/static/red-mismatch.png", &[])
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(foreign.bytes().await.unwrap(), mismatch_png);
    assert_ne!(valid_png, mismatch_png);
    let svg = get(&app, &format!("/b/{code}.svg"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        svg.contains("党政机关") && svg.contains("网站标识"),
        "no Referer: the badge's own state"
    );

    // A change (the site closed: revoked) reaches the script without a restart.
    let site: i64 = sqlx::query("SELECT id FROM sites WHERE badge_code = $1")
        .bind(&code)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let mut conn = app.db.pool().acquire().await.unwrap();
    // `updated_at` is in seconds: a change within the same second as the issue must still show.
    sites::close_site(
        &mut conn,
        govsite_core::ids::SiteId::new(site),
        app.clock_now(),
    )
    .await
    .unwrap();
    drop(conn);
    until(&app, &js, "revocation reached the script", |b| {
        b.contains("\"revoked\"")
    })
    .await;
    let svg = get(&app, &format!("/b/{code}.svg"), &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains("标识已注销"));
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn hits_and_hotlinks_are_counted_in_memory_and_written_in_one_batch() {
    let app = TestApp::spawn().await;
    let unit = app
        .unit_of_type("靖远县第一中学", "620421", "public_institution")
        .await;
    let code = issue(
        &app,
        unit,
        "靖远一中网",
        "xn--example.xn--55qw42g",
        "靖远一中.公益",
        "",
    )
    .await;
    let book = Book::new("https://badge.example");
    book.load_all(&app.db).await.unwrap();
    let entry = book.get(&code).unwrap();
    assert!(book.script_of(&code).unwrap().contains("\"blue\""));
    for _ in 0..1000 {
        entry.hits.fetch_add(1, Ordering::Relaxed);
    }
    book.hotlink(entry.site_id, "copycat.example");
    book.hotlink(entry.site_id, "copycat.example");
    let before = app.count("SELECT COUNT(*) FROM badge_hits").await;
    assert_eq!(before, 0, "nothing written per hit");
    assert_eq!(book.flush(&app.db, "2026-11-23").await.unwrap(), 2);
    for _ in 0..5 {
        entry.hits.fetch_add(1, Ordering::Relaxed);
    }
    book.flush(&app.db, "2026-11-23").await.unwrap();
    assert_eq!(app.count("SELECT hits FROM badge_hits").await, 1005);
    assert_eq!(
        app.count("SELECT hits FROM badge_hotlinks WHERE host = 'copycat.example'")
            .await,
        2
    );
    assert_eq!(
        book.flush(&app.db, "2026-11-23").await.unwrap(),
        0,
        "nothing left to write"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_verification_page_shows_public_facts_and_a_signature_anyone_can_check() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县人民政府", "620421").await;
    let ace = "xn--gmq25jo2kfugo7iz49c16k.xn--zfr164b";
    let code = issue(
        &app,
        unit,
        "靖远县人民政府网",
        ace,
        "靖远县人民政府.政务",
        "www.jingyuan.gov.cn",
    )
    .await;
    let mut b = app.browser();
    let page = b.get(&format!("/v/{code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for want in [
        "靖远县人民政府",
        "政府",
        "靖远县人民政府网",
        "靖远县人民政府.政务",
        "www.jingyuan.gov.cn",
        code.as_str(),
        "有效",
        "src=\"data:image",
    ] {
        assert!(page.body.contains(want), "{want}");
    }
    // No personal data: the unit's handler and contacts stay private.
    let unit_row =
        sqlx::query("SELECT mobile, email FROM contacts WHERE unit_id = $1 AND kind = 'handler'")
            .bind(unit.get())
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    for private in [
        unit_row.try_get::<String, _>("mobile").unwrap(),
        unit_row.try_get::<String, _>("email").unwrap(),
    ] {
        assert!(
            !private.is_empty() && !page.body.contains(&private),
            "{private}"
        );
    }
    assert_eq!(b.get("/v/CA123").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        b.get("/v/CA620040021999999990001").await.status,
        StatusCode::NOT_FOUND
    );
    // The search: by code, by Unicode and ACE domain, by English domain, by unit name.
    for q in [
        code.as_str(),
        "靖远县人民政府.政务",
        ace,
        "http://www.jingyuan.gov.cn/",
        "人民政府",
    ] {
        let found = b.get(&format!("/v?q={}", urlencode(q))).await;
        assert!(found.body.contains(&format!("/v/{code}")), "{q}");
    }
    assert!(
        b.get("/v?q=%E6%B2%A1%E6%9C%89")
            .await
            .body
            .contains("没有找到")
    );

    // The signed JSON: Ed25519 over the canonical facts, checked here and with openssl.
    let json = crate::secrets::get_json(&app, &format!("/v/{code}.json")).await;
    assert_eq!(json["facts"]["badge_code"], code.as_str());
    assert_eq!(json["facts"]["status"], "valid");
    let canonical = serde_json::to_string(&json["facts"]).unwrap();
    let key = crate::secrets::bytes(&json["public_key"]);
    assert!(crate::secrets::signed_by(&json, &canonical, &key));
    let forged = canonical.replace("valid", "volid");
    assert!(!crate::secrets::signed_by(&json, &forged, &key));

    // The documented offline command (help page), run for real.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("badge.json"),
        serde_json::to_vec(&json).unwrap(),
    )
    .unwrap();
    let pem = reqwest::get(format!("{}/v/key.pem", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    std::fs::write(dir.path().join("key.pem"), pem).unwrap();
    let help = b.get("/help").await.body;
    let python = help.lines().find(|l| l.starts_with("python3 -c")).unwrap();
    let openssl = help
        .lines()
        .find(|l| l.starts_with("openssl pkeyutl"))
        .unwrap()
        .trim_end_matches("</pre>");
    let unescape = |s: &str| {
        s.replace("&#x27;", "'")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&#x2f;", "/")
    };
    for cmd in [unescape(python), unescape(openssl)] {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if cmd.starts_with("openssl") {
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("Signature Verified Successfully")
            );
        }
    }
    app.shutdown().await.unwrap();
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn the_public_reports_a_counterfeit_and_the_office_of_the_unit_handles_it() {
    use govsite_core::role::Role;
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let unit = app.unit("靖远县人民政府", "620421").await;
    let code = issue(
        &app,
        unit,
        "靖远县人民政府网",
        "xn--gmq25jo2kfugo7iz49c16k.xn--zfr164b",
        "靖远县人民政府.政务",
        "",
    )
    .await;
    let mut public = app.browser();
    // Missing fields and a wrong captcha: errors in Chinese, nothing stored.
    let empty = public
        .post(
            &format!("/v/{code}/report"),
            &[("kind", ""), ("description", "")],
        )
        .await;
    assert!(
        empty.body.contains("请选择反映的问题类型") && empty.body.contains("请输入问题描述"),
        "{}",
        empty.body
    );
    let wrong = report(&mut public, &code, false).await;
    assert!(wrong.body.contains("验证码不正确"));
    assert!(
        wrong.body.contains("等于几？"),
        "the text captcha stays text"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM badge_reports").await, 0);
    let filed = report(&mut public, &code, true).await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    assert!(
        public
            .visit(filed.location.as_deref().unwrap())
            .await
            .body
            .contains("已收到您的反映")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM badge_reports").await, 1);
    // At most five an hour from one address.
    for _ in 0..4 {
        report(&mut public, &code, true).await;
    }
    assert_eq!(
        report(&mut public, &code, true).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM badge_reports").await, 5);

    // The unit's 编办 sees it and handles it; another county's office cannot.
    let id = app.count("SELECT MIN(id) FROM badge_reports").await;
    let other = app.office("620422").await;
    let (mut stranger, _) = app.signed_in(Role::OfficeReviewer, None, Some(other)).await;
    assert!(!stranger.get("/console/badges").await.body.contains(&code));
    assert_eq!(
        stranger
            .get(&format!("/console/badges/reports/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let list = o.get("/console/badges?status=reported").await;
    assert!(
        list.body.contains(&code) && list.body.contains("仿冒网站"),
        "{}",
        list.body
    );
    let shown = o.get(&format!("/console/badges/reports/{id}")).await;
    assert!(
        shown.body.contains("fake-jingyuan.example") && !shown.body.contains("13800000000"),
        "the reporter's number is masked"
    );
    let closed = o
        .post(
            &format!("/console/badges/reports/{id}"),
            &[("note", "已核实，已通知网信部门处置")],
        )
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        o.post(
            &format!("/console/badges/reports/{id}"),
            &[("note", "again")]
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"badge_report_closed".to_owned())
    );

    // Hot-links show in the console once written.
    let book = Book::new("https://badge.example");
    book.load_all(&app.db).await.unwrap();
    let site = book.get(&code).unwrap().site_id;
    book.hotlink(site, "copycat.example");
    let today = govsite_core::deadline::cst_date(app.clock_now()).to_string();
    book.flush(&app.db, &today).await.unwrap();
    let hot = o.get("/console/badges?status=hotlinked").await;
    assert!(hot.body.contains(&code), "{}", hot.body);
    assert!(
        o.get("/console/badges?status=revoked")
            .await
            .body
            .contains("没有符合条件的标识"),
        "a valid badge is not listed as revoked"
    );
    app.shutdown().await.unwrap();
}

/// Files a report from the verification page, answering the text captcha right or wrong.
async fn report(b: &mut crate::helpers::Browser, code: &str, answer: bool) -> crate::helpers::Page {
    let page = b.get(&format!("/v/{code}?captcha=text")).await;
    let token = crate::sites::token_of(&page.body);
    let solved = if answer {
        crate::sites::solve(&page.body)
    } else {
        "99".into()
    };
    b.post(
        &format!("/v/{code}/report"),
        &[
            ("kind", "counterfeit"),
            ("url", "http://fake-jingyuan.example/"),
            ("description", "该网站冒用靖远县人民政府网的标识"),
            ("contact", "13800000000"),
            ("captcha_token", &token),
            ("captcha", &solved),
            ("captcha_mode", "text"),
        ],
    )
    .await
}

#[tokio::test]
async fn the_mount_checker_tells_live_missing_copied_wrong_and_misplaced_badges_apart() {
    use axum::extract::Request;
    use axum::response::{Html, IntoResponse, Redirect};
    use govsite::badge::checker::{CheckerConfig, run_once};
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let (reviewer, _, _) = app
        .user(govsite_core::role::Role::OfficeReviewer, None, Some(office))
        .await;
    let mut codes = Vec::new();
    for (i, host) in [
        "good.test",
        "missing.test",
        "copy.test",
        "wrong.test",
        "top.test",
        "loop.test",
        "big.test",
    ]
    .iter()
    .enumerate()
    {
        let unit = app.unit(&format!("靖远县测试局{i}"), "620421").await;
        codes.push((
            host.to_string(),
            issue(&app, unit, &format!("测试网站{i}"), "", "", host).await,
        ));
    }
    let code = |h: &str| codes.iter().find(|(x, _)| x == h).unwrap().1.clone();
    let base = "https://badge.example";
    let script = |c: &str| format!("<script src=\"{base}/b/{c}.js\" async></script>");
    let pages: std::collections::HashMap<String, String> = [
        (
            "good.test",
            format!(
                "<a href=\"/news/1.html\">新闻</a><p>正文</p>{}",
                script(&code("good.test"))
            ),
        ),
        ("missing.test", "<p>正文</p>".to_owned()),
        (
            "copy.test",
            format!(
                "<p>正文</p><img src=\"{base}/b/{}.png\" alt=\"党政机关网站标识\">",
                code("copy.test")
            ),
        ),
        (
            "wrong.test",
            format!("<p>正文</p>{}", script(&code("good.test"))),
        ),
        (
            "top.test",
            format!(
                "{}<div>正文</div><p>很多内容</p>",
                script(&code("top.test"))
            ),
        ),
        (
            "big.test",
            format!(
                "<p>{}</p>{}",
                "很长的页面".repeat(200_000),
                script(&code("big.test"))
            ),
        ),
    ]
    .into_iter()
    .map(|(h, b)| {
        (
            h.to_owned(),
            format!("<!DOCTYPE html><html><head><title>t</title></head><body>{b}</body></html>"),
        )
    })
    .collect();
    let pages = std::sync::Arc::new(pages);
    let news = format!(
        "<html><body><p>新闻</p>{}</body></html>",
        script(&code("good.test"))
    );
    let agent = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let seen = agent.clone();
    let server = axum::Router::new().fallback(move |req: Request| {
        let pages = pages.clone();
        let news = news.clone();
        let seen = seen.clone();
        async move {
            let host = req
                .headers()
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .split(':')
                .next()
                .unwrap_or("")
                .to_owned();
            *seen.lock().unwrap() = req
                .headers()
                .get("user-agent")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .to_owned();
            if host == "loop.test" {
                return Redirect::temporary("/again").into_response();
            }
            if req.uri().path() == "/news/1.html" {
                return Html(news).into_response();
            }
            match pages.get(&host) {
                Some(p) => Html(p.clone()).into_response(),
                None => axum::http::StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, server).await });
    let resolver = crate::sites::local_resolver(
        codes
            .iter()
            .map(|(h, _)| {
                (
                    Box::leak(h.clone().into_boxed_str()) as &'static str,
                    "127.0.0.1".parse().unwrap(),
                )
            })
            .collect(),
    )
    .await;
    let sites_config = govsite::registry::site_checks::SiteCheckConfig {
        resolver,
        http_port: port,
        https_port: crate::dns::free_port(),
        timeout: Duration::from_secs(3),
        allow_private: true,
        extra_root: None,
        connect_to: None,
        proxy: None,
    };
    let mut config = CheckerConfig::new(sites_config, "https://badge.example");
    config.politeness = Duration::ZERO;
    // Deadlines: missing.test's has passed, the others' have not.
    sqlx::query("UPDATE sites SET mount_due = '2000-01-01' WHERE english_domain = 'missing.test'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let checked = run_once(&app.db, &config, app.clock_now()).await.unwrap();
    assert_eq!(checked, 7);
    let outcome = |h: &'static str| {
        let db = app.db.clone();
        async move {
            let r = sqlx::query(
                "SELECT last_check_outcome, badge_state FROM sites WHERE english_domain = $1",
            )
            .bind(h)
            .fetch_one(db.pool())
            .await
            .unwrap();
            (
                r.try_get::<String, _>("last_check_outcome").unwrap(),
                r.try_get::<String, _>("badge_state").unwrap(),
            )
        }
    };
    assert_eq!(
        outcome("good.test").await,
        ("live".into(), "mounted".into())
    );
    assert_eq!(
        outcome("missing.test").await,
        ("missing".into(), "overdue".into())
    );
    assert_eq!(
        outcome("copy.test").await,
        ("static_copy".into(), "issued".into())
    );
    assert_eq!(outcome("wrong.test").await.0, "wrong_code");
    assert_eq!(outcome("top.test").await.0, "not_bottom");
    assert_eq!(
        outcome("loop.test").await.0,
        "unreachable",
        "a redirect loop ends"
    );
    assert_eq!(
        outcome("big.test").await.0,
        "missing",
        "only the first MiB is read"
    );
    assert!(
        agent
            .lock()
            .unwrap()
            .starts_with("govsite-badge-checker/1.0")
    );
    // The evidence of the good site names both pages it fetched.
    let evidence: String = sqlx::query("SELECT c.evidence FROM badge_checks c JOIN sites s ON s.id = c.site_id WHERE s.english_domain = 'good.test'")
        .fetch_one(app.db.pool()).await.unwrap().try_get("evidence").unwrap();
    assert!(
        evidence.contains("/news/1.html") && evidence.contains("\"live\""),
        "{evidence}"
    );
    // Overdue: the unit and its 编办 are told, once.
    let told = app.outbox_bodies("badge_overdue").await;
    assert!(
        told.iter()
            .any(|(to, _, _)| to == &format!("{reviewer}@test.example")),
        "{told:?}"
    );
    assert!(
        told.iter()
            .all(|(_, b, _)| b.contains(&code("missing.test")))
    );
    let n = told.len();
    run_once(&app.db, &config, app.clock_now()).await.unwrap();
    assert_eq!(
        app.outbox_bodies("badge_overdue").await.len(),
        n,
        "told once"
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"badge_state_changed".to_owned())
    );
    app.shutdown().await.unwrap();
}

/// A CA and a certificate for `host` signed by it, made with the openssl command line:
/// (CA certificate DER, leaf certificate PEM, leaf key PEM).
fn test_certificate(host: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=govsite test CA",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            &format!("/CN={host}"),
        ],
    ]
    .concat());
    std::fs::write(
        dir.path().join("ext"),
        format!("subjectAltName=DNS:{host}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n"),
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
    run(&["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"]);
    let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
    (read("ca.der"), read("leaf.pem"), read("leaf.key"))
}

#[tokio::test]
async fn the_checker_sees_an_http_script_on_an_https_page() {
    use govsite::badge::checker::{CheckerConfig, run_once};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县安全测试局", "620421").await;
    let code = issue(&app, unit, "安全测试网", "", "", "secure.test").await;
    let (ca, cert_pem, key_pem) = test_certificate("secure.test");
    let certs = rustls::pki_types::CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&key_pem).unwrap();
    let tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let https_port = listener.local_addr().unwrap().port();
    // The page is served over HTTPS but loads our script over plain HTTP.
    let page = format!(
        "<!DOCTYPE html><html><body><p>正文</p><script src=\"http://badge.example/b/{code}.js\" async></script></body></html>"
    );
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let page = page.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    page.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(page.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    let resolver =
        crate::sites::local_resolver(vec![("secure.test", "127.0.0.1".parse().unwrap())]).await;
    let sites = govsite::registry::site_checks::SiteCheckConfig {
        resolver,
        http_port: crate::dns::free_port(),
        https_port,
        timeout: Duration::from_secs(3),
        allow_private: true,
        extra_root: Some(ca),
        connect_to: None,
        proxy: None,
    };
    let mut config = CheckerConfig::new(sites, "https://badge.example");
    config.politeness = Duration::ZERO;
    assert_eq!(
        run_once(&app.db, &config, app.clock_now()).await.unwrap(),
        1
    );
    let row =
        sqlx::query("SELECT last_check_outcome FROM sites WHERE english_domain = 'secure.test'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        row.try_get::<String, _>("last_check_outcome").unwrap(),
        "http_on_https"
    );
    let evidence: String = sqlx::query("SELECT evidence FROM badge_checks")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("evidence")
        .unwrap();
    assert!(evidence.contains("https://secure.test:"), "{evidence}");
    app.shutdown().await.unwrap();
}

/// Outbound fetches ignore HTTP_PROXY and friends (a proxy would connect wherever it likes,
/// past the public-address rule); `--site-check-proxy` sends them through one on purpose.
#[tokio::test]
async fn the_checker_ignores_proxy_variables_unless_a_proxy_is_configured() {
    use std::sync::atomic::AtomicUsize;
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县教育局", "620421").await;
    let code = issue(&app, unit, "靖远教育网", "", "", "proxy.test").await;
    let page = format!(
        "<!DOCTYPE html><html><head><title>t</title></head><body><p>正文</p><script src=\"https://badge.example/b/{code}.js\" async></script></body></html>"
    );
    let server = axum::Router::new().fallback(move || {
        let page = page.clone();
        async move { axum::response::Html(page) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, server).await });
    // A "proxy" that counts who comes and answers 502.
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let came = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = came.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = proxy.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = s
                .write_all(
                    b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
        }
    });
    let resolver =
        crate::sites::local_resolver(vec![("proxy.test", "127.0.0.1".parse().unwrap())]).await;
    let closed = crate::dns::free_port();
    let check = |extra: Vec<String>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_govsite"));
        cmd.args(["badge-check", "--database-url", &app.url])
            .args(["--site-check-resolver", &resolver.to_string()])
            .args(["--site-check-http-port", &port.to_string()])
            .args(["--site-check-https-port", &closed.to_string()])
            .args(["--site-check-allow-private", "--politeness-ms", "0"])
            .args(["--public-url", "https://badge.example"])
            .args(extra)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
        ] {
            cmd.env(var, &proxy_url);
        }
        async move {
            let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
                .await
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    let outcome = || async {
        sqlx::query("SELECT last_check_outcome FROM sites WHERE english_domain = 'proxy.test'")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get::<String, _>("last_check_outcome")
            .unwrap()
    };
    check(Vec::new()).await;
    assert_eq!(
        came.load(Ordering::SeqCst),
        0,
        "the proxy variables are ignored"
    );
    assert_eq!(outcome().await, "live");
    check(vec!["--site-check-proxy".into(), proxy_url.clone()]).await;
    assert!(
        came.load(Ordering::SeqCst) > 0,
        "a configured proxy is used"
    );
    assert_eq!(outcome().await, "unreachable");
    app.shutdown().await.unwrap();
}

/// Tables that grow with traffic are bounded: a badge's daily views and hot-links are kept
/// for 180 days, used captcha challenges and expired one-time links go.
#[tokio::test]
async fn housekeeping_bounds_the_tables_traffic_fills() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县教育局", "620421").await;
    issue(&app, unit, "靖远教育网", "", "", "jy.jingyuan.gov.cn").await;
    let site: i64 = sqlx::query("SELECT id FROM sites")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let day =
        |ago: i64| govsite_core::deadline::cst_date(app.clock_now() - ago * 86_400).to_string();
    for ago in [200, 10] {
        sqlx::query("INSERT INTO badge_hits (site_id, day, hits) VALUES ($1, $2, 5)")
            .bind(site)
            .bind(day(ago))
            .execute(app.db.pool())
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO badge_hotlinks (site_id, host, day, hits) VALUES ($1, 'copy.example', $2, 3)",
        )
        .bind(site)
        .bind(day(ago))
        .execute(app.db.pool())
        .await
        .unwrap();
    }
    sqlx::query("INSERT INTO captchas (token_hash, answer, expires_at) VALUES ('old', '', $1)")
        .bind(app.clock_now() - 60)
        .execute(app.db.pool())
        .await
        .unwrap();
    govsite::registry::lifecycle::housekeeping(&app.db, app.clock_now())
        .await
        .unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM badge_hits").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM badge_hotlinks").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM captchas").await, 0);
    let kept: String = sqlx::query("SELECT day FROM badge_hits")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(kept, day(10));
}

#[tokio::test]
async fn switching_the_captcha_keeps_what_was_typed_in_the_report_form() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县人民政府", "620421").await;
    let code = issue(
        &app,
        unit,
        "靖远县人民政府网",
        "xn--gmq25jo2kfugo7iz49c16k.xn--zfr164b",
        "靖远县人民政府.政务",
        "www.jingyuan.gov.cn",
    )
    .await;
    let mut b = app.browser();
    let page = b.get(&format!("/v/{code}")).await;
    assert!(page.body.contains("name=\"captcha_switch\" value=\"text\""));
    let typed = [
        ("kind", "counterfeit"),
        ("url", "https://fake.example"),
        ("description", "有网站冒用此标识"),
        ("contact", "13900000009"),
        ("captcha_token", "anything"),
        ("captcha", ""),
    ];
    let mut switch = typed.to_vec();
    switch.push(("captcha_switch", "text"));
    let switched = b.post(&format!("/v/{code}/report"), &switch).await;
    assert_eq!(switched.status, StatusCode::OK);
    // The text question came, and everything typed is still there; nothing was filed.
    assert!(switched.body.contains("等于几？"), "{}", switched.body);
    assert!(switched.body.contains("有网站冒用此标识"));
    assert!(switched.body.contains("https:&#x2f;&#x2f;fake.example"));
    assert!(switched.body.contains("13900000009"));
    assert!(
        switched
            .body
            .contains("name=\"captcha_switch\" value=\"image\"")
    );
    assert!(!switched.body.contains("验证码不正确"));
    assert_eq!(app.count("SELECT COUNT(*) FROM badge_reports").await, 0);
    // And back to the picture, still keeping it.
    let mut back = typed.to_vec();
    back.push(("captcha_switch", "image"));
    let again = b.post(&format!("/v/{code}/report"), &back).await;
    assert!(again.body.contains("/captcha/") && again.body.contains("有网站冒用此标识"));
}

#[tokio::test]
async fn a_unit_records_its_filings_and_the_verification_card_shows_them() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县备案测试局", "620421").await;
    let code = issue(&app, unit, "备案测试网", "xn--test", "备案测试.政务", "").await;
    let site: i64 = sqlx::query("SELECT id FROM sites WHERE badge_code = $1")
        .bind(&code)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .get("id");
    let (mut u, _) = app
        .signed_in(govsite_core::role::Role::Unit, Some(unit), None)
        .await;
    let path = format!("/portal/sites/badges/{site}/filings");

    // Badly formed: both errors in words, what was typed kept, nothing stored.
    let bad = u
        .post(
            &path,
            &[("icp_record", "ICP12345"), ("psb_record", "公安123")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("ICP备案号格式应为") && bad.body.contains("公安备案号格式应为"));
    assert!(bad.body.contains("value=\"ICP12345\""));
    let card = u.get(&format!("/v/{code}")).await;
    assert!(card.body.contains("未填写"));

    let ok = u
        .post(
            &path,
            &[
                ("icp_record", "甘icp备05000339号-1"),
                ("psb_record", "甘公网安备62042102000001号"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // The public card and its signed statement carry them, as the filing systems print them.
    let mut visitor = app.browser();
    let card = visitor.get(&format!("/v/{code}")).await;
    assert!(card.body.contains("甘ICP备05000339号-1"));
    assert!(card.body.contains("甘公网安备 62042102000001号"));
    let json = crate::secrets::get_json(&app, &format!("/v/{code}.json")).await;
    assert_eq!(json["facts"]["icp_record"], "甘ICP备05000339号-1");
    assert_eq!(json["facts"]["psb_record"], "甘公网安备 62042102000001号");
    assert!(
        app.audit_actions()
            .await
            .contains(&"site_filings_changed".to_owned())
    );
    // Another unit cannot touch them.
    let other = app.unit("靖远县旁人局", "620421").await;
    let (mut v, _) = app
        .signed_in(govsite_core::role::Role::Unit, Some(other), None)
        .await;
    assert_eq!(
        v.post(&path, &[("icp_record", "")]).await.status,
        StatusCode::NOT_FOUND
    );
    app.shutdown().await.unwrap();
}
