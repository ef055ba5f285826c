//! 网络红页: a unit edits, previews, publishes, rolls back and withdraws its red page; the
//! public page carries the badge by itself (the badge counts as mounted while it is public);
//! its 编办 takes it down; its own name shows it through the forwarding role. Bad input:
//! markup, scripts, bad uploads, another unit's version.

use std::time::{Duration, Instant};

use govsite_core::ids::UnitId;
use govsite_core::role::Role;
use reqwest::StatusCode;
use sqlx::Row;

use crate::dns::{forward_role, get as forward_get};
use crate::domains::active_names;
use crate::helpers::{Browser, Page, TestApp};
use crate::sites::{fields, fill, review, submit};

/// A unit of `org_type` with an issued badge for a 网络红页 site (public institutions skip
/// the paper step); returns the unit, its browser and login, and the badge code.
async fn unit_with_red_page_badge(app: &TestApp, name: &str) -> (UnitId, Browser, String, String) {
    let office = app.office("620421").await;
    let unit = app.unit_of_type(name, "620421", "public_institution").await;
    let (mut u, login) = app.signed_in(Role::Unit, Some(unit), None).await;
    let id = fill(&mut u, &fields("red_page", &format!("{name}网络红页"), "")).await;
    submit(&mut u, id).await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    review(&mut o, id, &[("decision", "approve")]).await;
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let decided = review(&mut r, id, &[("decision", "approve")]).await;
    // Post/redirect/get: the application's page says what happened, with the code issued.
    let after = r.get(decided.location.as_deref().unwrap()).await;
    assert!(after.body.contains("已发放网站标识代码"), "{}", after.body);
    let code: String = sqlx::query("SELECT badge_code FROM sites WHERE unit_id = $1")
        .bind(unit.get())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("badge_code")
        .unwrap();
    (unit, u, login, code)
}

async fn badge(app: &TestApp, code: &str) -> (String, String) {
    let r = sqlx::query("SELECT badge_state, mount_due FROM sites WHERE badge_code = $1")
        .bind(code)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    (
        r.try_get("badge_state").unwrap(),
        r.try_get("mount_due").unwrap(),
    )
}

fn profile(gaikuang: &str) -> Vec<(&str, &str)> {
    vec![
        ("name", "靖远县第一中学"),
        ("functions", "实施**高中**学历教育"),
        ("address", "靖远县乌兰镇"),
        ("postcode", "730600"),
        ("phone", "0943-6123456"),
        ("show_phone", "1"),
        ("email", "school@test.example"),
        ("gaikuang", gaikuang),
        ("lingdao", "校长：王某"),
        ("jigou", ""),
        ("banshi", "1. 报名\n2. 入学"),
        ("lianxi", ""),
        ("sponsor", "靖远县第一中学"),
        ("footer_address", "靖远县乌兰镇"),
        ("footer_phone", ""),
        ("icp", "陇ICP备12345678号"),
        ("psb", ""),
    ]
}

async fn upload(b: &mut Browser, file_name: &str, bytes: &[u8]) -> Page {
    b.upload("/portal/red-page/logo", "logo", file_name, bytes)
        .await
}

/// The public page once the page book has caught up (it follows changes every half second).
async fn public_page(app: &TestApp, path: &str, wanted: impl Fn(&Page) -> bool) -> Page {
    let mut anon = app.browser();
    let start = Instant::now();
    loop {
        let mut page = anon.get(path).await;
        // minijinja writes `/` in attributes as `&#x2f;`.
        page.body = page.body.replace("&#x2f;", "/");
        if wanted(&page) {
            return page;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{path}: {} {}",
            page.status,
            page.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_unit_edits_previews_publishes_rolls_back_and_the_badge_shows_by_itself() {
    let app = TestApp::spawn().await;
    let (unit, mut u, login, code) = unit_with_red_page_badge(&app, "靖远县第一中学").await;
    let (state, due) = badge(&app, &code).await;
    assert_eq!(state, "issued");
    assert!(!due.is_empty(), "a mount deadline until the page is public");
    let notice = app.outbox_bodies("site_badge_issued").await;
    assert!(
        notice
            .iter()
            .any(|(_, body, _)| body.contains("发布网络红页")),
        "the issuing notice says publish, not paste: {notice:?}"
    );
    assert!(!notice.iter().any(|(_, body, _)| body.contains("</body>")));

    // The menu has 红页管理, marked current; the draft starts from 单位信息.
    let overview = u.get("/portal/red-page").await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    let menu = overview.body.replace("&#x2f;", "/");
    assert!(menu.contains("href=\"/portal/red-page\" aria-current=\"page\""));
    assert_eq!(overview.body.matches("aria-current=\"page\"").count(), 1);
    let edit = u.get("/portal/red-page/edit").await;
    assert!(edit.body.contains("value=\"靖远县第一中学\""));

    // Markup and scripts are refused with a reason; what was typed stays; nothing stored.
    for bad in [
        "<script>alert(1)</script>",
        "<iframe src=\"https://evil.example/\"></iframe>",
        "<p style=\"color:red\">x</p>",
        "<img src=x onerror=alert(1)>",
        "[点我](javascript:alert(1))",
    ] {
        let page = u.post("/portal/red-page/edit", &profile(bad)).await;
        assert_eq!(page.status, StatusCode::OK, "{bad}");
        assert!(page.title().starts_with("错误"), "{bad}");
        assert!(
            page.body.contains("不接受HTML代码")
                || page.body.contains("只能以 http:// 或 https:// 开头"),
            "{bad}: {}",
            page.body
        );
        assert!(
            !bad.contains('<') || !page.body.contains(bad),
            "typed markup is shown escaped"
        );
        assert!(
            page.body.contains("校长：王某"),
            "the other fields are kept"
        );
    }
    let huge = "字".repeat(20_001);
    let page = u.post("/portal/red-page/edit", &profile(&huge)).await;
    assert!(page.body.contains("不能超过20000个字"));
    assert_eq!(app.count("SELECT COUNT(*) FROM red_pages").await, 0);

    let saved = u
        .post(
            "/portal/red-page/edit",
            &profile("# 学校简介\n\n靖远一中创办于1938年。"),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some("/portal/red-page?done=saved")
    );

    // Notices: errors shown beside the fields, then saved.
    let bad = u
        .post(
            "/portal/red-page/notices/new",
            &[("title", ""), ("date", "2026-13-01"), ("body", "<b>x</b>")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("请输入公告标题") && bad.body.contains("请填写公告日期"));
    let ok = u
        .post(
            "/portal/red-page/notices/new",
            &[
                ("title", "2026年秋季招生公告"),
                ("date", "2026-09-01"),
                ("body", "招生详情见[县教育局](https://example.cn/zs)。"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);

    // Uploads: each bad file refused with its reason, then a good PNG.
    let png = govsite::red_page::image::sample_png(120, 80);
    for (name, bytes, status, says) in [
        (
            "logo.png",
            b"GIF89a not a png".to_vec(),
            400,
            "只能上传PNG或JPEG格式",
        ),
        ("logo.jpg", png.clone(), 400, "扩展名与图片内容不符"),
        ("logo.png", png[..60].to_vec(), 400, "已损坏"),
        (
            "tiny.png",
            govsite::red_page::image::sample_png(8, 8),
            400,
            "尺寸",
        ),
        (
            "big.png",
            vec![0x89; 2 * 1024 * 1024 + 10],
            400,
            "不能超过2MB",
        ),
        ("huge.png", vec![0x89; 4 * 1024 * 1024], 413, "过大"),
    ] {
        let page = upload(&mut u, name, &bytes).await;
        assert_eq!(page.status.as_u16(), status, "{name}: {}", page.body);
        assert!(page.body.contains(says), "{name}: {}", page.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM red_page_images").await, 0);
    let page = upload(&mut u, "校徽.PNG", &png).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    // The preview is the public page with a banner; nothing is public yet.
    let mut preview = u.get("/portal/red-page/preview/").await;
    assert_eq!(preview.status, StatusCode::OK);
    preview.body = preview.body.replace("&#x2f;", "/");
    assert!(preview.body.contains("预览：这是草稿预览"));
    assert!(preview.body.contains("<strong>高中</strong>"));
    assert!(preview.body.contains(&format!("/v/{code}")));
    let logo = preview.body.split("logo-").nth(1).unwrap();
    let logo_id: String = logo.chars().take_while(char::is_ascii_digit).collect();
    let img = u
        .get(&format!("/portal/red-page/preview/logo-{logo_id}"))
        .await;
    assert_eq!(img.headers["content-type"], "image/png");
    let slug_path = format!("/r/{login}/");
    assert_eq!(
        app.browser().get(&slug_path).await.status,
        StatusCode::NOT_FOUND
    );

    // Publish: public at /r/{login}/, the badge at the bottom, mounted with no deadline.
    let published = u.post("/portal/red-page/publish", &[]).await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    let home = public_page(&app, &slug_path, |p| p.status == StatusCode::OK).await;
    assert!(home.body.contains("lang=\"zh-CN\""));
    assert!(
        home.body.contains("0943-6123456"),
        "the phone was made public"
    );
    assert!(
        !home.body.contains("school@test.example"),
        "the e-mail was not"
    );
    assert!(!home.body.contains("<script"));
    let footer = home.body.find("主办单位：靖远县第一中学").unwrap();
    let mark = home.body.find("class=\"badge\"").unwrap();
    assert!(mark > footer, "the badge comes after the footer's text");
    assert!(home.body[mark..].contains(&format!("/v/{code}")));
    assert!(home.body[mark..].contains("事业单位网站标识"));
    let csp = home.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(
        badge(&app, &code).await,
        ("mounted".to_owned(), String::new())
    );
    let mut verify = app.browser().get(&format!("/v/{code}")).await;
    verify.body = verify.body.replace("&#x2f;", "/");
    assert!(verify.body.contains("有效"));
    assert!(
        verify.body.contains(&format!("href=\"{slug_path}\"")),
        "the verification page links the red page"
    );
    // Static-like: ETag and 304, gzip, the sections and the notices.
    let etag = home.headers["etag"].to_str().unwrap().to_owned();
    let again = app
        .browser()
        .client
        .get(format!("{}{slug_path}", app.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let gz = reqwest::Client::new()
        .get(format!("{}{slug_path}s/banshi", app.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let notices = app.browser().get(&format!("{slug_path}notices")).await;
    assert!(notices.body.contains("2026年秋季招生公告"));
    assert_eq!(
        app.browser()
            .get(&format!("{slug_path}notices/99"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let public_logo = app
        .browser()
        .get(&format!("{slug_path}logo-{logo_id}"))
        .await;
    assert_eq!(public_logo.status, StatusCode::OK);
    assert_eq!(
        app.browser()
            .get(&format!(
                "{slug_path}logo-{}",
                logo_id.parse::<i64>().unwrap() + 1
            ))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A second version, then a rollback to the first as a third.
    let v2 = u
        .post("/portal/red-page/edit", &profile("第二版的学校简介"))
        .await;
    assert_eq!(v2.status, StatusCode::SEE_OTHER);
    assert_eq!(
        u.post("/portal/red-page/publish", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    public_page(&app, &format!("{slug_path}s/gaikuang"), |p| {
        p.body.contains("第二版的学校简介")
    })
    .await;
    let same = u.post("/portal/red-page/publish", &[]).await;
    assert_eq!(same.status, StatusCode::CONFLICT, "nothing new to publish");
    let first: i64 =
        sqlx::query("SELECT id FROM red_page_versions WHERE unit_id = $1 AND number = 1")
            .bind(unit.get())
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get("id")
            .unwrap();

    // Another unit cannot roll this unit's page back, nor see its draft.
    let other = app.unit("靖远县第二中学", "620421").await;
    let (mut o, _) = app.signed_in(Role::Unit, Some(other), None).await;
    let forged = o
        .post(
            "/portal/red-page/rollback",
            &[("version_id", &first.to_string())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{}", forged.body);
    assert!(forged.body.contains("没有这个红页版本"));
    assert!(
        !o.get("/portal/red-page/preview/")
            .await
            .body
            .contains("靖远一中")
    );
    assert_eq!(
        o.get(&format!("/portal/red-page/preview/logo-{logo_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM red_pages WHERE state = 'published'")
            .await,
        1
    );

    let back = u
        .post(
            "/portal/red-page/rollback",
            &[("version_id", &first.to_string())],
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    public_page(&app, &format!("{slug_path}s/gaikuang"), |p| {
        p.body.contains("创办于1938年")
    })
    .await;
    let versions = u.get("/portal/red-page").await;
    assert!(versions.body.contains("回滚到第1版"));
    assert!(versions.body.contains("第 3 版"));

    // Withdrawn: gone from the public, the badge back to issued with a fresh deadline.
    assert_eq!(
        u.post("/portal/red-page/unpublish", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    public_page(&app, &slug_path, |p| p.status == StatusCode::NOT_FOUND).await;
    let (state, due) = badge(&app, &code).await;
    assert_eq!(state, "issued");
    assert!(!due.is_empty());
    let actions = app.audit_actions().await;
    for a in [
        "red_page_published",
        "red_page_rolled_back",
        "red_page_unpublished",
        "red_page_logo_set",
        "badge_state_changed",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a}: {actions:?}");
    }
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_office_takes_a_page_down_the_unit_is_told_and_publishes_again() {
    let app = TestApp::spawn().await;
    let (unit, mut u, login, code) = unit_with_red_page_badge(&app, "靖远县文化馆").await;
    u.post("/portal/red-page/edit", &profile("文化馆简介"))
        .await;
    assert_eq!(
        u.post("/portal/red-page/publish", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let slug_path = format!("/r/{login}/");
    public_page(&app, &slug_path, |p| p.status == StatusCode::OK).await;

    // Another region's office sees nothing of it.
    let elsewhere = app.office("620402").await;
    let (mut far, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(elsewhere))
        .await;
    assert!(
        !far.get("/console/red-pages")
            .await
            .body
            .contains("靖远县文化馆")
    );
    let refused = far
        .post(
            &format!("/console/red-pages/{unit}/take-down"),
            &[("reason", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    let office = app.office("620421").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    // 网站标识: found by the unit's name or the code, listed apart as a red page, exported.
    let found = o.get("/console/badges?q=文化馆").await;
    assert!(
        found.body.contains(&code) && found.body.contains("共 1 个"),
        "{}",
        found.body
    );
    assert!(
        o.get(&format!("/console/badges?q={}", code.to_lowercase()))
            .await
            .body
            .contains("共 1 个")
    );
    assert!(
        o.get("/console/badges?q=没有这个单位")
            .await
            .body
            .contains("共 0 个")
    );
    let (status, _, bytes) = o
        .get_bytes("/console/badges?status=red_page&format=xlsx")
        .await;
    assert_eq!(status, StatusCode::OK);
    {
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(sheet.height(), 3, "title, header, the one red page");
        assert_eq!(sheet.get_value((2, 2)).unwrap().to_string(), "网络红页");
    }
    let list = o.get("/console/red-pages").await;
    assert!(list.body.contains("靖远县文化馆") && list.body.contains("已发布"));
    let preview = o.get(&format!("/console/red-pages/{unit}/preview/")).await;
    assert!(preview.body.contains("文化馆简介"));
    let empty = o
        .post(
            &format!("/console/red-pages/{unit}/take-down"),
            &[("reason", " ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let down = o
        .post(
            &format!("/console/red-pages/{unit}/take-down"),
            &[("reason", "领导信息未更新")],
        )
        .await;
    assert_eq!(down.status, StatusCode::SEE_OTHER, "{}", down.body);
    public_page(&app, &slug_path, |p| p.status == StatusCode::NOT_FOUND).await;
    assert_eq!(badge(&app, &code).await.0, "issued");
    let told = app.outbox_bodies("red_page_taken_down").await;
    assert_eq!(told.len(), 2, "SMS and e-mail: {told:?}");
    assert!(
        told.iter()
            .all(|(_, body, _)| body.contains("领导信息未更新"))
    );
    let overview = u.get("/portal/red-page").await;
    assert!(overview.body.contains("已被编办下线") && overview.body.contains("领导信息未更新"));

    // Unchanged, it cannot come back: neither published again nor rolled back to.
    let unchanged = u.post("/portal/red-page/publish", &[]).await;
    assert_eq!(unchanged.status, StatusCode::CONFLICT, "{}", unchanged.body);
    assert!(unchanged.body.contains("请先按下线原因修改内容"));
    let taken: i64 = sqlx::query("SELECT version_id FROM red_pages WHERE unit_id = $1")
        .bind(unit.get())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("version_id")
        .unwrap();
    let back = u
        .post(
            "/portal/red-page/rollback",
            &[("version_id", &taken.to_string())],
        )
        .await;
    assert_eq!(back.status, StatusCode::CONFLICT, "{}", back.body);

    // The unit fixes it and publishes again.
    u.post("/portal/red-page/edit", &profile("文化馆简介（已更新）"))
        .await;
    assert_eq!(
        u.post("/portal/red-page/publish", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    public_page(&app, &slug_path, |p| p.status == StatusCode::OK).await;
    assert_eq!(badge(&app, &code).await.0, "mounted");
    assert!(
        app.audit_actions()
            .await
            .contains(&"red_page_taken_down".to_owned())
    );

    // A suspension decided by the 编办 stands whatever the page does.
    sqlx::query("UPDATE sites SET badge_state = 'suspended' WHERE badge_code = $1")
        .bind(&code)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        u.post("/portal/red-page/unpublish", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    u.post("/portal/red-page/edit", &profile("文化馆简介（第三版）"))
        .await;
    assert_eq!(
        u.post("/portal/red-page/publish", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(badge(&app, &code).await.0, "suspended");
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_name_with_the_red_page_plan_shows_the_page_with_its_badge_through_the_forwarding_role() {
    let app = TestApp::spawn().await;
    let (unit, mut u, _, code) = unit_with_red_page_badge(&app, "靖远县图书馆").await;
    let ids = active_names(&app, unit, "靖远县图书馆", "靖远图书馆").await;
    let ace: String = sqlx::query("SELECT ace FROM domains WHERE id = $1")
        .bind(ids[0])
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("ace")
        .unwrap();
    let unicode = idna::domain_to_unicode(&ace).0;
    u.post("/portal/red-page/edit", &profile("图书馆简介"))
        .await;
    assert_eq!(
        u.post("/portal/red-page/publish", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    // The slug is now the unit's first name, in Unicode or ACE.
    let by_name = format!("/r/{unicode}/");
    public_page(&app, &by_name, |p| p.status == StatusCode::OK).await;
    let by_ace = app
        .browser()
        .get(&format!("/r/{}/", ace.to_uppercase()))
        .await;
    assert_eq!(by_ace.status, StatusCode::OK);

    // 方案三 on the name's page: the name leads to the forwarding role, which shows the page.
    let changed = u
        .post(
            &format!("/portal/domains/{}/records", ids[0]),
            &[("plan", "red_page")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let plan: String = sqlx::query("SELECT plan FROM domains WHERE id = $1")
        .bind(ids[0])
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("plan")
        .unwrap();
    assert_eq!(plan, "red_page", "{}", changed.body);
    let (forward, _stop) = forward_role(&app, false, 301).await;
    let start = Instant::now();
    let (status, _, body) = loop {
        let seen = forward_get(forward, &unicode, "/").await;
        if seen.0 == StatusCode::OK || start.elapsed() > Duration::from_secs(10) {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status, StatusCode::OK, "{body}");
    // minijinja writes `/` in attributes as `&#x2f;`.
    let body = body.replace("&#x2f;", "/");
    assert!(
        body.contains("图书馆简介"),
        "the page's own content: {body}"
    );
    assert!(
        body.contains("href=\"/s/gaikuang\""),
        "links stay on the name"
    );
    assert!(
        body.contains(&format!("{}/v/{code}", app.base)),
        "the badge verifies on the platform"
    );
    let (status, _, css) = forward_get(forward, &ace, "/red.css").await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains(".badge"));

    // The badge image judged from the name's page: valid, not "与网站不符".
    let start = Instant::now();
    loop {
        let svg = reqwest::Client::new()
            .get(format!("{}/b/{code}.svg", app.base))
            .header("referer", format!("http://{ace}/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if !svg.contains("不符") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the red page's name is not one of the badge's hosts"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.shutdown().await.unwrap();
}
