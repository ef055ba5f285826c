//! Website opening review and re-qualification (issue 5), over HTTP: the form, the captcha,
//! both reviews, the printed letter and form read back with pdftotext, the paper filing, the
//! badge issued and kept, the pre-checks against a local resolver and web server.

use std::io::Write;
use std::process::{Command, Stdio};

use govsite::registry;
use govsite::registry::sites::{Decision, PaperReceipt};
use govsite::store::audit::Actor;
use govsite_core::domain_lifecycle::DAY;
use govsite_core::role::Role;
use reqwest::StatusCode;
use sqlx::Row;

use crate::domains::active_names;
use crate::helpers::{Browser, Page, TestApp, input_values};

pub const ID_CARD: &str = "11010519491231002X";

/// The answer to a text captcha ("七加五等于几？") on a check page.
pub fn solve(page: &str) -> String {
    const N: [&str; 21] = [
        "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三",
        "十四", "十五", "十六", "十七", "十八", "十九", "二十",
    ];
    let start = page.find("验证码：").expect("a captcha question") + "验证码：".len();
    let q = &page[start..page[start..].find("等于几").unwrap() + start];
    let (op, (a, b)) = if let Some(p) = q.split_once('加') {
        ('+', p)
    } else {
        ('-', q.split_once('减').unwrap())
    };
    let value = |s: &str| N.iter().position(|n| *n == s).unwrap() as i64;
    match op {
        '+' => (value(a) + value(b)).to_string(),
        _ => (value(a) - value(b)).to_string(),
    }
}

pub fn token_of(page: &str) -> String {
    let marker = "name=\"captcha_token\" value=\"";
    let start = page.find(marker).unwrap() + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

pub fn fields<'a>(domain: &'a str, site_name: &'a str, ipv4: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "new"),
        ("functions", "负责全县教育工作"),
        ("handler_name", "王五"),
        ("handler_phone", "0943-6123456"),
        ("handler_mobile", "13900000002"),
        ("handler_email", "handler@test.example"),
        ("handler_id_card", ID_CARD),
        ("head_name", "赵六"),
        ("head_phone", "0943-6123457"),
        ("head_mobile", "13900000003"),
        ("head_email", "head@test.example"),
        ("site_name", site_name),
        ("domain", domain),
        ("english_domain", ""),
        ("ipv4", ipv4),
        ("ipv6", ""),
        ("intro", "发布教育政务信息"),
        ("step", "check"),
    ]
}

/// Fills the form and goes to the check page; returns the application id.
pub async fn fill(u: &mut Browser, fields: &[(&str, &str)]) -> i64 {
    let page = u.post("/portal/sites/new", fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let to = page.location.unwrap();
    assert!(to.ends_with("/check"), "{to}");
    to.trim_start_matches("/portal/sites/applications/")
        .trim_end_matches("/check")
        .parse()
        .unwrap()
}

/// Submits from the check page with the text captcha answered; returns the 申请序号.
pub async fn submit(u: &mut Browser, id: i64) -> String {
    let check = u
        .get(&format!(
            "/portal/sites/applications/{id}/check?captcha=text"
        ))
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    let answer = solve(&check.body);
    let page = u
        .post_follow(
            &format!("/portal/sites/applications/{id}/submit"),
            &[
                ("captcha_token", &token_of(&check.body)),
                ("captcha", &answer),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("申请已提交"), "{}", page.body);
    let start = page.body.find("big-ref\">").unwrap() + 9;
    page.body[start..start + 16].to_owned()
}

async fn state(app: &TestApp, id: i64) -> String {
    sqlx::query("SELECT state FROM site_applications WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("state")
        .unwrap()
}

pub fn pdftotext(pdf: &[u8]) -> String {
    let mut child = Command::new("pdftotext")
        .args(["-layout", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pdftotext (poppler-utils) installed by scripts/test");
    child.stdin.take().unwrap().write_all(pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    // pdftotext puts spaces between Latin and Chinese runs and breaks long lines: compare
    // without whitespace.
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect()
}

pub(crate) async fn review(b: &mut Browser, id: i64, fields: &[(&str, &str)]) -> Page {
    b.post(&format!("/console/sites/{id}/review"), fields).await
}

#[tokio::test]
async fn a_party_unit_applies_is_reviewed_twice_files_paper_and_gets_its_badge() {
    let app = TestApp::spawn().await;
    let office_id = app.office("620421").await;
    let unit = app.unit("靖远县教育局", "620421").await;
    active_names(&app, unit, "靖远县教育局", "靖远县教育").await;
    let ace = crate::dns::ace("靖远县教育局")
        .trim_end_matches('.')
        .to_owned();
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;

    // The form is prefilled from 单位信息 and offers the unit's active names and the 红页.
    let form = u.get("/portal/sites/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("靖远县教育局.政务"));
    assert!(form.body.contains("网络红页"));
    assert!(!form.body.contains("域名即将到期"), "two years left");

    let id = fill(&mut u, &fields(&ace, "靖远县教育网", "192.0.2.1")).await;
    // A wrong captcha: a field error, a new challenge, nothing submitted.
    let check = u
        .get(&format!("/portal/sites/applications/{id}/check"))
        .await;
    assert!(
        check.body.contains("/captcha/"),
        "the image variant by default"
    );
    // A picture with no text in it for a script to read.
    let image = reqwest::get(format!(
        "{}/captcha/{}.png",
        app.base,
        token_of(&check.body)
    ))
    .await
    .unwrap();
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(image.headers()["content-type"], "image/png");
    let png = image.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let picture = image::load_from_memory(&png).unwrap();
    assert_eq!(picture.height(), 64);
    let wrong = u
        .post(
            &format!("/portal/sites/applications/{id}/submit"),
            &[
                ("captcha_token", &token_of(&check.body)),
                ("captcha", "999"),
            ],
        )
        .await;
    assert!(wrong.body.contains("验证码不正确"), "{}", wrong.body);
    assert_eq!(state(&app, id).await, "draft");
    // A wrong answer to the text variant keeps the text variant (the accessible one).
    let text = u
        .get(&format!(
            "/portal/sites/applications/{id}/check?captcha=text"
        ))
        .await;
    let wrong = u
        .post(
            &format!("/portal/sites/applications/{id}/submit"),
            &[
                ("captcha_token", &token_of(&text.body)),
                ("captcha", "999"),
                ("captcha_mode", "text"),
            ],
        )
        .await;
    assert!(
        wrong.body.contains("验证码不正确") && wrong.body.contains("等于几？"),
        "{}",
        wrong.body
    );
    assert!(
        !wrong.body.contains("/captcha/"),
        "no image on the text variant"
    );
    // The check page masks the ID number.
    assert!(check.body.contains("110105********002X"));
    assert!(!check.body.contains(ID_CARD));

    let reference = submit(&mut u, id).await;
    assert!(
        reference.starts_with("WZ") && reference.len() == 16,
        "{reference}"
    );
    assert_eq!(state(&app, id).await, "submitted");

    // A reviewer of another county cannot see or act on it.
    let other = app.office("620422").await;
    let (mut stranger, _) = app.signed_in(Role::OfficeReviewer, None, Some(other)).await;
    assert_eq!(
        stranger.get(&format!("/console/sites/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        review(&mut stranger, id, &[("decision", "approve")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !stranger
            .get("/console/sites")
            .await
            .body
            .contains(&reference)
    );

    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office_id))
        .await;
    assert!(office.get("/console/sites").await.body.contains(&reference));
    let approved = review(&mut office, id, &[("decision", "approve")]).await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    // The registry rejects with a reason; the unit reads it and resubmits.
    let (mut registry, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let missing = review(
        &mut registry,
        id,
        &[("decision", "reject"), ("code", ""), ("reason", "")],
    )
    .await;
    assert!(
        missing.body.contains("请选择不通过的原因"),
        "{}",
        missing.body
    );
    let rejected = review(
        &mut registry,
        id,
        &[
            ("decision", "reject"),
            ("code", "site_name"),
            ("reason", "网站名称应与开办主体一致"),
        ],
    )
    .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER);
    assert_eq!(state(&app, id).await, "registry_rejected");
    let result = u.get(&format!("/portal/sites/applications/{id}")).await;
    assert!(
        result.body.contains("网站名称应与开办主体一致"),
        "{}",
        result.body
    );
    let corrected = fields(&ace, "靖远县教育局网站", "192.0.2.1");
    let saved = u
        .post(&format!("/portal/sites/applications/{id}/edit"), &corrected)
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some(format!("/portal/sites/applications/{id}/check").as_str())
    );
    assert_eq!(submit(&mut u, id).await, reference, "the 申请序号 is kept");
    // Printing is refused before both reviews passed.
    let (status, _, _) = u
        .get_bytes(&format!("/portal/sites/applications/{id}/form"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    review(&mut office, id, &[("decision", "approve")]).await;
    review(&mut registry, id, &[("decision", "approve")]).await;
    assert_eq!(state(&app, id).await, "awaiting_paper");
    let asked = app.outbox_bodies("site_paper_requested").await;
    assert_eq!(asked.len(), 2, "SMS and e-mail: {asked:?}");
    assert!(
        asked
            .iter()
            .any(|(to, body, _)| to == "13900000002" && body.contains(&reference))
    );

    // The letter and the form, read back with pdftotext.
    let (status, headers, letter) = u
        .get_bytes(&format!("/portal/sites/applications/{id}/letter"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    let text = pdftotext(&letter);
    for want in [
        "关于申请对网站开办审核和资格复核的函",
        "620421编办",
        "靖远县教育局网站",
        "靖远县教育局.政务",
        reference.as_str(),
        "靖远县教育局（盖章）",
    ] {
        assert!(text.contains(want), "letter lacks {want}: {text}");
    }
    assert!(!text.contains(ID_CARD), "the letter carries no ID number");
    assert!(
        !text.contains("英文域名"),
        "an empty English domain writes nothing: {text}"
    );
    // The history names who acted: the unit, then the reviewers, never an account number.
    let actors: Vec<String> =
        govsite::store::sites::events(&app.db, govsite_core::ids::SiteApplicationId::new(id))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.actor)
            .collect();
    assert_eq!(
        actors.first().map(String::as_str),
        Some("靖远县教育局"),
        "{actors:?}"
    );
    assert!(actors.iter().any(|a| a.starts_with("测试")), "{actors:?}");
    let (_, _, form_pdf) = u
        .get_bytes(&format!("/portal/sites/applications/{id}/form"))
        .await;
    let text = pdftotext(&form_pdf);
    for want in [
        "党政机关网站开办审核/资格复核申请表",
        "■新开办网站申请",
        "开办主体名称",
        "靖远县教育局",
        "负责全县教育工作",
        "192.0.2.1",
        "赵六",
        "王五",
        ID_CARD,
        "机构编制部门意见",
        "申请表一式三份",
    ] {
        assert!(text.contains(want), "form lacks {want}: {text}");
    }
    let info = Command::new("pdfinfo")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(&form_pdf)?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("595.276 x 841.89"),
        "A4"
    );
    // Nowhere on screen is the full number.
    for path in [
        format!("/portal/sites/applications/{id}"),
        format!("/console/sites/{id}"),
    ] {
        let page = if path.starts_with("/console") {
            office.get(&path).await
        } else {
            u.get(&path).await
        };
        assert!(!page.body.contains(ID_CARD), "{path}");
        assert!(page.body.contains("110105********002X"), "{path}");
    }

    // The registry cannot confirm paper; the office refuses an incomplete filing, then confirms.
    assert_eq!(
        registry
            .post(
                &format!("/console/sites/{id}/paper"),
                &[("action", "confirm")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let today = govsite_core::deadline::cst_date(app.clock_now()).to_string();
    let short = office
        .post(
            &format!("/console/sites/{id}/paper"),
            &[
                ("action", "confirm"),
                ("received_on", &today),
                ("copies", "2"),
            ],
        )
        .await;
    assert!(
        short.body.contains("一式三份") && short.body.contains("身份证复印件"),
        "{}",
        short.body
    );
    assert_eq!(state(&app, id).await, "awaiting_paper");
    let early = office
        .post(
            &format!("/console/sites/{id}/paper"),
            &[
                ("action", "confirm"),
                ("received_on", "2000-01-01"),
                ("copies", "3"),
                ("id_copy", "1"),
            ],
        )
        .await;
    assert!(
        early.body.contains("不能早于注册中心复审通过的日期"),
        "{}",
        early.body
    );
    let done = office
        .post(
            &format!("/console/sites/{id}/paper"),
            &[
                ("action", "confirm"),
                ("received_on", &today),
                ("copies", "3"),
                ("id_copy", "1"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(state(&app, id).await, "badge_issued");

    // The badge: CA + region (62 004 0021) + unit number + site 0001, told by SMS and e-mail.
    let row = sqlx::query(
        "SELECT badge_code, badge_state, mount_due, name FROM sites WHERE unit_id = $1",
    )
    .bind(unit.get())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let code: String = row.try_get("badge_code").unwrap();
    assert_eq!(code, format!("CA620040021{:08}0001", unit.get()));
    // The public card shows the 职能 the reviewers approved, not 单位信息's text.
    let card = app.browser().get(&format!("/v/{code}")).await;
    assert!(card.body.contains("负责全县教育工作"), "{}", card.body);
    assert!(!card.body.contains("负责本单位职能范围内的工作"));
    assert_eq!(row.try_get::<String, _>("badge_state").unwrap(), "issued");
    assert_eq!(
        row.try_get::<String, _>("name").unwrap(),
        "靖远县教育局网站"
    );
    let told = app.outbox_bodies("site_badge_issued").await;
    assert_eq!(told.len(), 2, "{told:?}");
    let due: String = row.try_get("mount_due").unwrap();
    for (to, body, _) in &told {
        assert!(
            ["13900000002", "handler@test.example"].contains(&to.as_str()),
            "{to}"
        );
        assert!(
            body.contains(&code) && body.contains(&due) && body.contains("/portal/sites"),
            "{body}"
        );
    }
    // 标识管理: the code, the snippet to paste, the deadline.
    let badges = u.get("/portal/sites/badges").await;
    assert!(badges.body.contains(&code));
    assert!(
        badges.body.contains(&format!(
            "&#x2f;b&#x2f;{code}.js&quot; async&gt;&lt;&#x2f;script&gt;"
        )),
        "{}",
        badges.body
    );
    assert!(badges.body.contains("党政机关网站标识"));
    assert!(badges.body.contains(&format!("{due} 前")));
    assert!(badges.body.contains("5 个工作日"), "the platform default");

    // A second application from scratch for the same domain would mint a second code: it is
    // sent to 标识管理 instead.
    let mut twice = fields(&ace, "靖远县教育局网站", "192.0.2.1");
    twice[0].1 = "requal";
    let refused = u.post("/portal/sites/new", &twice).await;
    assert!(
        refused.body.contains("请在“标识管理”中办理"),
        "{}",
        refused.body
    );

    // An issued application cannot be submitted again.
    let again = u
        .get(&format!(
            "/portal/sites/applications/{id}/check?captcha=text"
        ))
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let forced = u
        .post(
            &format!("/portal/sites/applications/{id}/submit"),
            &[("captcha_token", "x"), ("captcha", "1")],
        )
        .await;
    assert_eq!(forced.status, StatusCode::CONFLICT);
    let actions = app.audit_actions().await;
    for a in [
        "site_application_submitted",
        "site_application_office_review",
        "site_application_registry_review",
        "site_paper_confirmed",
        "site_badge_issued",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a}: {actions:?}");
    }
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_public_institution_skips_the_paper_and_gets_a_blue_badge_for_its_red_page() {
    let app = TestApp::spawn().await;
    let office_id = app.office("620421").await;
    let unit = app
        .unit_of_type("靖远县第一中学", "620421", "public_institution")
        .await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    // No Chinese domain yet: the form says so and offers the 红页; no IPv4 is needed for it.
    assert!(
        u.get("/portal/sites/new")
            .await
            .body
            .contains("还没有已启用的中文域名")
    );
    let id = fill(&mut u, &fields("red_page", "靖远县第一中学网络红页", "")).await;
    submit(&mut u, id).await;
    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office_id))
        .await;
    review(&mut office, id, &[("decision", "approve")]).await;
    let (mut registry, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    review(&mut registry, id, &[("decision", "approve")]).await;
    assert_eq!(state(&app, id).await, "badge_issued", "no paper step");
    let badges = u.get("/portal/sites/badges").await;
    assert!(
        badges
            .body
            .contains("网站标识自动显示在红页每个页面底部的中间位置"),
        "{}",
        badges.body
    );
    let (_, _, pdf) = u
        .get_bytes(&format!("/portal/sites/applications/{id}/form"))
        .await;
    assert!(pdftotext(&pdf).contains("事业单位网站开办审核/资格复核申请表"));
    let snippet =
        govsite::registry::sites::snippet("https://x.example", "CA620040021000000010001", true);
    assert!(snippet.contains("事业单位网站标识"));
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn returned_paper_closes_the_application_and_the_unit_applies_again_from_a_copy() {
    let app = TestApp::spawn().await;
    let office_id = app.office("620421").await;
    let unit = app.unit("靖远县卫生健康局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let id = fill(&mut u, &fields("red_page", "靖远县卫生健康局网络红页", "")).await;
    submit(&mut u, id).await;
    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office_id))
        .await;
    review(&mut office, id, &[("decision", "approve")]).await;
    let (mut registry, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    review(&mut registry, id, &[("decision", "approve")]).await;
    let returned = office
        .post(
            &format!("/console/sites/{id}/paper"),
            &[
                ("action", "return"),
                ("code", "paper"),
                ("reason", "申请表未加盖公章"),
            ],
        )
        .await;
    assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.body);
    assert_eq!(state(&app, id).await, "closed");
    assert_eq!(app.outbox_bodies("site_paper_returned").await.len(), 2);
    let page = u.get(&format!("/portal/sites/applications/{id}")).await;
    assert!(page.body.contains("申请表未加盖公章") && page.body.contains("复制并重新申请"));
    let copied = u
        .post(&format!("/portal/sites/applications/{id}/copy"), &[])
        .await;
    let to = copied.location.unwrap();
    let form = u.get(&to).await;
    let values = input_values(&form.body);
    assert_eq!(values["site_name"], "靖远县卫生健康局网络红页");
    assert_eq!(
        values["handler_id_card"], "110105********002X",
        "masked, never in full"
    );
    assert!(!form.body.contains(ID_CARD));
    // Saving the form with the masked number keeps the stored one.
    let mut again = fields("red_page", "靖远县卫生健康局网络红页", "");
    for f in again.iter_mut() {
        match f.0 {
            "handler_id_card" => f.1 = "110105********002X",
            "step" => f.1 = "save",
            _ => {}
        }
    }
    u.post(&to, &again).await;
    // The copy carries the ID number over, sealed outside its form like every application's.
    let copy: i64 =
        sqlx::query("SELECT id, form_json FROM site_applications WHERE copied_from IS NOT NULL")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get("id")
            .unwrap();
    let copy =
        govsite::store::sites::find(&app.db, govsite_core::ids::SiteApplicationId::new(copy))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(copy.form.handler_id_card, ID_CARD);
    assert_eq!(app.count("SELECT COUNT(*) FROM site_applications WHERE copied_from IS NOT NULL AND state = 'draft'").await, 1);
    // Only a closed application can be copied.
    assert_eq!(
        u.post(&format!("{}/copy", to.trim_end_matches("/edit")), &[])
            .await
            .status,
        StatusCode::CONFLICT
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_input_gets_field_errors_and_nothing_is_half_written() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县交通运输局", "620421").await;
    let other = app.unit("靖远县水务局", "620421").await;
    active_names(&app, other, "靖远县水务局", "靖远水务").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let not_ours = crate::dns::ace("靖远县水务局")
        .trim_end_matches('.')
        .to_owned();
    let mut bad = fields(&not_ours, "靖远县交通网", "2001:db8::1");
    for f in bad.iter_mut() {
        if f.0 == "handler_id_card" {
            f.1 = "110105194912310021";
        }
    }
    let page = u.post("/portal/sites/new", &bad).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("身份证号校验位不正确"), "{}", page.body);
    assert!(page.body.contains("IPv4地址格式不正确"));
    assert!(page.body.contains("error-summary"));
    // What was typed is kept (the draft is saved, never lost).
    assert_eq!(input_values(&page.body)["site_name"], "靖远县交通网");
    // Fix the ID and the address: the domain of another unit is refused.
    let fixed = fields(&not_ours, "靖远县交通网", "192.0.2.7");
    let id: i64 = sqlx::query("SELECT id FROM site_applications WHERE unit_id = $1")
        .bind(unit.get())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
    let page = u
        .post(&format!("/portal/sites/applications/{id}/edit"), &fixed)
        .await;
    assert!(
        page.body.contains("请从本单位已启用的中文域名中选择"),
        "{}",
        page.body
    );
    // Submitting straight away still checks everything.
    let check = u
        .get(&format!(
            "/portal/sites/applications/{id}/check?captcha=text"
        ))
        .await;
    assert_eq!(check.status, StatusCode::OK);
    assert!(check.body.contains("请从本单位已启用的中文域名中选择"));
    assert_eq!(state(&app, id).await, "draft");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM site_application_events")
            .await,
        0
    );
    // Forged and foreign ids are not found; a JSON client gets a structured error.
    assert_eq!(
        u.get("/portal/sites/applications/99999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        u.get("/portal/sites/applications/abc").await.status,
        StatusCode::NOT_FOUND
    );
    let (mut o, _) = app.signed_in(Role::Unit, Some(other), None).await;
    assert_eq!(
        o.get(&format!("/portal/sites/applications/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        o.post(&format!("/portal/sites/applications/{id}/edit"), &fixed)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let json = o
        .client
        .get(format!("{}/portal/sites/applications/{id}", o.base))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    // Wrong captchas are rate limited per account.
    for _ in 0..govsite::web::CAPTCHA_MAX_WRONG_PER_HOUR {
        u.post(
            &format!("/portal/sites/applications/{id}/submit"),
            &[("captcha_token", "x"), ("captcha", "1")],
        )
        .await;
    }
    let limited = u
        .post(
            &format!("/portal/sites/applications/{id}/submit"),
            &[("captcha_token", "x"), ("captcha", "1")],
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_change_keeps_the_code_an_overdue_review_is_escalated_and_closing_revokes() {
    let app = TestApp::spawn().await;
    let office_id = app.office("620421").await;
    let unit = app.unit("靖远县文化馆", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let id = fill(&mut u, &fields("red_page", "靖远县文化馆网络红页", "")).await;
    submit(&mut u, id).await;
    // Past the office's two working days the review is escalated to the city, once.
    app.clock.advance(10 * DAY);
    let city = app.office("620400").await;
    app.user(Role::OfficeReviewer, None, Some(city)).await;
    assert_eq!(
        registry::escalation::escalate_overdue(&app.db, app.clock_now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        registry::escalation::escalate_overdue(&app.db, app.clock_now())
            .await
            .unwrap(),
        0
    );
    assert!(
        app.outbox_bodies("review_overdue").await[0]
            .1
            .contains("网站开办审核申请")
    );
    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office_id))
        .await;
    assert!(office.get("/console/sites").await.body.contains("已超时"));

    // The unit signs in again: its session did not survive ten days.
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let actor = Actor::system("test");
    let url = "http://127.0.0.1";
    let db = &app.db;
    let find = |id: i64| async move {
        let id = govsite_core::ids::SiteApplicationId::new(id);
        govsite::store::sites::find(db, id).await.unwrap().unwrap()
    };
    let now = app.clock_now();
    registry::sites::review(
        &app.db,
        &actor,
        &find(id).await,
        false,
        &Decision::Approve,
        url,
        now,
    )
    .await
    .unwrap();
    registry::sites::review(
        &app.db,
        &actor,
        &find(id).await,
        true,
        &Decision::Approve,
        url,
        now,
    )
    .await
    .unwrap();
    let receipt = PaperReceipt {
        received_on: govsite_core::deadline::cst_date(now),
        copies: 3,
        id_copy: true,
    };
    registry::sites::confirm_paper(&app.db, &actor, &find(id).await, &receipt, url, now)
        .await
        .unwrap();
    let site = govsite::store::sites::find(&app.db, govsite_core::ids::SiteApplicationId::new(id))
        .await
        .unwrap()
        .unwrap()
        .site_id
        .unwrap();
    let code = govsite::store::sites::find_site(&app.db, site)
        .await
        .unwrap()
        .unwrap()
        .badge_code;

    // A change of the site's name: prefilled, reviewed again, the code kept.
    let started = u
        .post(
            &format!("/portal/sites/badges/{site}/apply"),
            &[("kind", "change")],
        )
        .await;
    let edit = started
        .location
        .clone()
        .unwrap_or_else(|| panic!("{}", started.body));
    let change: i64 = edit
        .trim_start_matches("/portal/sites/applications/")
        .trim_end_matches("/edit")
        .parse()
        .unwrap_or_else(|_| panic!("{edit}"));
    let form = u.get(&edit).await;
    assert!(form.body.contains("网站信息变更"));
    assert_eq!(
        input_values(&form.body)["site_name"],
        "靖远县文化馆网络红页"
    );
    let draft = u
        .post(
            &format!("/portal/sites/badges/{site}/apply"),
            &[("kind", "requal")],
        )
        .await;
    assert_eq!(
        draft.status,
        StatusCode::SEE_OTHER,
        "a draft does not block another draft"
    );
    let mut changed = fields("red_page", "靖远县文化馆", "");
    changed.retain(|(k, _)| *k != "kind");
    u.post(&edit, &changed).await;
    submit(&mut u, change).await;
    let blocked = u
        .post(
            &format!("/portal/sites/badges/{site}/apply"),
            &[("kind", "requal")],
        )
        .await;
    assert_eq!(
        blocked.status,
        StatusCode::CONFLICT,
        "one open application per site"
    );
    let busy = u
        .post(&format!("/portal/sites/badges/{site}/close"), &[])
        .await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "not closed under review");
    let now = app.clock_now();
    registry::sites::review(
        &app.db,
        &actor,
        &find(change).await,
        false,
        &Decision::Approve,
        url,
        now,
    )
    .await
    .unwrap();
    registry::sites::review(
        &app.db,
        &actor,
        &find(change).await,
        true,
        &Decision::Approve,
        url,
        now,
    )
    .await
    .unwrap();
    registry::sites::confirm_paper(&app.db, &actor, &find(change).await, &receipt, url, now)
        .await
        .unwrap();
    let after = govsite::store::sites::find_site(&app.db, site)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.badge_code, code, "the code is kept");
    assert_eq!(after.name, "靖远县文化馆");
    assert_eq!(app.count("SELECT COUNT(*) FROM sites").await, 1);
    assert!(
        app.outbox_bodies("site_badge_issued")
            .await
            .last()
            .unwrap()
            .1
            .contains("保持不变")
    );

    // Closing the site revokes its badge.
    let confirm = u.get(&format!("/portal/sites/badges/{site}/close")).await;
    assert!(confirm.body.contains(&code));
    let closed = u
        .post(&format!("/portal/sites/badges/{site}/close"), &[])
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER);
    let after = govsite::store::sites::find_site(&app.db, site)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.badge_state.as_str(), "revoked");
    assert_eq!(
        u.post(&format!("/portal/sites/badges/{site}/close"), &[])
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"site_closed".to_owned())
    );
    app.shutdown().await.unwrap();
}

/// A recursive resolver stand-in: answers A queries for `names`, NXDOMAIN otherwise.
pub async fn local_resolver(
    names: Vec<(&'static str, std::net::Ipv4Addr)>,
) -> std::net::SocketAddr {
    use hickory_proto::op::{Message, MessageType, ResponseCode};
    use hickory_proto::rr::{RData, Record, rdata::A};
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut r = Message::new();
            r.set_id(q.id())
                .set_message_type(MessageType::Response)
                .set_recursion_available(true);
            r.add_queries(q.queries().to_vec());
            let name = q.queries()[0].name().clone();
            let host = name.to_ascii().trim_end_matches('.').to_owned();
            match names.iter().find(|(n, _)| *n == host) {
                Some((_, ip)) => {
                    r.add_answer(Record::from_rdata(name, 60, RData::A(A(*ip))));
                }
                None => {
                    r.set_response_code(ResponseCode::NXDomain);
                }
            }
            let _ = socket.send_to(&r.to_vec().unwrap(), from).await;
        }
    });
    addr
}

#[tokio::test]
async fn prechecks_compare_the_zone_the_resolver_and_the_home_page_title() {
    use axum::response::Html;
    // The unit's web server, answering any Host with its home page.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http_port = listener.local_addr().unwrap().port();
    let site = axum::Router::new().route(
        "/",
        axum::routing::get(|| async {
            Html("<html><head><title>靖远县教育网 - 首页</title></head><body>…</body></html>")
        }),
    );
    tokio::spawn(async move { axum::serve(listener, site).await });
    let resolver = local_resolver(vec![
        ("www.jyjy.test", "127.0.0.1".parse().unwrap()),
        ("same.jyjy.test", "192.0.2.1".parse().unwrap()),
    ])
    .await;
    let closed = crate::dns::free_port();
    let config = govsite::registry::site_checks::SiteCheckConfig {
        resolver,
        http_port,
        https_port: closed,
        timeout: std::time::Duration::from_secs(2),
        allow_private: true,
        extra_root: None,
        connect_to: None,
        proxy: None,
    };
    let app = TestApp::spawn_full(
        govsite::notify::sender::Senders::send_held_only(),
        false,
        config,
    )
    .await;
    let office_id = app.office("620421").await;
    let unit = app.unit("靖远县教育局", "620421").await;
    active_names(&app, unit, "靖远县教育局", "靖远县教育").await;
    let ace = crate::dns::ace("靖远县教育局")
        .trim_end_matches('.')
        .to_owned();
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let mut f = fields(&ace, "靖远县教育网", "192.0.2.1");
    for x in f.iter_mut() {
        if x.0 == "english_domain" {
            x.1 = "www.jyjy.test";
        }
    }
    let id = fill(&mut u, &f).await;
    submit(&mut u, id).await;
    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office_id))
        .await;
    let rerun = office
        .post(&format!("/console/sites/{id}/prechecks"), &[])
        .await;
    assert_eq!(rerun.status, StatusCode::SEE_OTHER);
    let page = office.get(&format!("/console/sites/{id}")).await;
    let checks = govsite::registry::site_checks::parse_stored(
        &govsite::store::sites::find(&app.db, govsite_core::ids::SiteApplicationId::new(id))
            .await
            .unwrap()
            .unwrap()
            .prechecks_json,
    );
    let outcome = |key: &str| {
        let c = checks
            .iter()
            .find(|c| c.key == key)
            .unwrap_or_else(|| panic!("{key}: {checks:?}"));
        (format!("{:?}", c.outcome), c.detail.clone())
    };
    assert_eq!(outcome("chinese_dns").0, "Pass", "{checks:?}");
    assert!(outcome("chinese_dns").1.contains("与申请一致"));
    let (o, d) = outcome("english_dns");
    assert_eq!(o, "Warn", "{d}");
    assert!(d.contains("127.0.0.1") && d.contains("不一致"), "{d}");
    let (o, d) = outcome("http");
    assert_eq!(o, "Pass", "{d}");
    assert!(
        d.contains("靖远县教育网 - 首页") && d.contains("相符"),
        "{d}"
    );
    assert_eq!(outcome("https").0, "Warn", "nothing listens for HTTPS");
    assert_eq!(outcome("other_site").0, "Pass");
    assert!(
        page.body.contains("自动预检") && page.body.contains("相符"),
        "{}",
        page.body
    );

    // The same name resolving to the declared address passes; an unknown one fails.
    let mut a = govsite::store::sites::find(&app.db, govsite_core::ids::SiteApplicationId::new(id))
        .await
        .unwrap()
        .unwrap();
    a.form.english_domain = "same.jyjy.test".into();
    let checks = govsite::registry::site_checks::run(&app.db, &app.site_checks, &a)
        .await
        .unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c.key == "english_dns" && format!("{:?}", c.outcome) == "Pass"),
        "{checks:?}"
    );
    // Without permission, a resolver answer pointing inside is never fetched (no SSRF).
    a.form.english_domain = "www.jyjy.test".into();
    let strict = govsite::registry::site_checks::SiteCheckConfig {
        allow_private: false,
        ..app.site_checks.clone()
    };
    let checks = govsite::registry::site_checks::run(&app.db, &strict, &a)
        .await
        .unwrap();
    let http = checks.iter().find(|c| c.key == "http").unwrap();
    assert!(http.detail.contains("不是公网地址，未访问"), "{checks:?}");
    assert!(!http.detail.contains("靖远县教育网 - 首页"));
    // With a connect-to override the fetch of a public address goes to loopback instead
    // (tests and demos: nothing leaves the machine); the public-address rule still holds.
    a.form.english_domain = "same.jyjy.test".into();
    let pinned = govsite::registry::site_checks::SiteCheckConfig {
        allow_private: false,
        connect_to: Some(std::net::Ipv4Addr::LOCALHOST.into()),
        ..app.site_checks.clone()
    };
    let checks = govsite::registry::site_checks::run(&app.db, &pinned, &a)
        .await
        .unwrap();
    let http = checks.iter().find(|c| c.key == "http").unwrap();
    assert!(http.detail.contains("靖远县教育网 - 首页"), "{checks:?}");
    a.form.english_domain = "nowhere.jyjy.test".into();
    let checks = govsite::registry::site_checks::run(&app.db, &app.site_checks, &a)
        .await
        .unwrap();
    assert!(
        checks
            .iter()
            .any(|c| c.key == "english_dns" && format!("{:?}", c.outcome) == "Fail"),
        "{checks:?}"
    );
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_domain_expiring_within_sixty_days_carries_the_seed_warning() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县审计局", "620421").await;
    let ids = active_names(&app, unit, "靖远县审计局", "靖远审计").await;
    // Two years less thirty days later, both names expire within a month.
    app.clock.advance(700 * DAY);
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let form = u.get("/portal/sites/new").await;
    assert!(
        form.body.contains("域名即将到期请及时续费确保挂标成功"),
        "{}",
        form.body
    );
    assert!(form.body.contains("到网上名称管理续费"));
    assert_eq!(ids.len(), 2);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_site_form_fills_what_the_platform_knows_and_asks_the_kind_once() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县农业局", "620421").await;
    let ids = crate::domains::active_names(&app, unit, "靖远县农业局", "靖远农业").await;
    sqlx::query("UPDATE domains SET ipv4 = '192.0.2.77' WHERE id = $1")
        .bind(ids[0])
        .execute(app.db.pool())
        .await
        .unwrap();
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let form = u.get("/portal/sites/new?kind=new").await;
    let values = crate::helpers::input_values(&form.body);
    // 单位信息's webmaster telephone is a mobile: it goes to 负责人手机.
    assert_eq!(values["head_mobile"], "13800000001");
    assert_eq!(values.get("head_phone").map_or("", String::as_str), "");
    // We are the registry: the address comes from the name's record in our zone.
    assert_eq!(values["ipv4"], "192.0.2.77");
    assert!(form.body.contains("本平台解析至 192.0.2.77"));
    assert!(!form.body.contains("域名注册商"));
    // The kind chosen on the list page is not asked again.
    assert!(!form.body.contains("id=\"kind-new\""));
    assert!(form.body.contains("name=\"kind\" value=\"new\""));
    let requal = u.get("/portal/sites/new?kind=requal").await;
    assert!(requal.body.contains("name=\"kind\" value=\"requal\""));
    assert!(!requal.body.contains("id=\"kind-requal\""));
    let list = u.get("/portal/sites").await;
    assert!(list.body.contains("/portal/sites/new?kind=new"));
    // The checker's User-Agent points at a page that exists and says what it does; the help
    // tells where the snippet goes and whom to call.
    let help = u.get("/help").await;
    for want in [
        "id=\"checker\"",
        "govsite-badge-checker",
        "id=\"mount\"",
        "&lt;/body&gt;",
        "id=\"red-page\"",
        "010-52035000",
    ] {
        assert!(help.body.contains(want), "help lacks {want}");
    }
}
