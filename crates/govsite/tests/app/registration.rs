//! 新用户注册 → activation → portal → 单位信息, as a unit's handler goes through it.

use reqwest::StatusCode;

use crate::helpers::{TestApp, form_fields, input_values, unit_form};

/// Registers a unit through the pages and returns (account number, activation path as the
/// held e-mail carried it).
pub async fn register(
    app: &TestApp,
    b: &mut crate::helpers::Browser,
    name: &str,
    seq: u32,
) -> (String, String) {
    let username = register_only(b, name, seq).await;
    let email = app
        .delivered("activation", |m| m.body.contains(&username))
        .await;
    let link = crate::helpers::link_path(&email.body, &app.base);
    (username, link)
}

/// Registers a unit through the pages and returns its account number.
pub async fn register_only(b: &mut crate::helpers::Browser, name: &str, seq: u32) -> String {
    let form = unit_form(name, "620421", seq);
    let mut fields = form_fields(&form);
    fields.push(("step".into(), "check".into()));
    let check = b.post_owned("/register", &fields).await;
    assert_eq!(check.status, StatusCode::OK);
    assert!(
        check.title().starts_with("请核对注册信息"),
        "{}",
        check.title()
    );
    assert!(check.body.contains("甘肃省 白银市 靖远县"));
    assert!(check.body.contains("可注册“.政务”域名"));
    fields.pop();
    fields.push(("step".into(), "confirm".into()));
    let posted = b.post_owned("/register", &fields).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let done = b.get(posted.location.as_deref().unwrap()).await;
    assert!(done.title().starts_with("注册申请已提交"));
    let marker = "<p class=\"big-ref\">";
    let start = done.body.find(marker).unwrap() + marker.len();
    let username = done.body[start..start + 8].to_owned();
    assert!(username.chars().all(|c| c.is_ascii_digit()));
    assert!(
        !done.body.contains("@test.example") && !done.body.contains("w***"),
        "the page, open to anyone with the number, shows no e-mail"
    );
    username
}

#[tokio::test]
async fn a_unit_registers_activates_and_edits_its_details() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let blank = b.get("/register").await;
    assert!(
        blank
            .body
            .contains("<option value=\"620000\">甘肃省</option>")
    );
    assert!(
        !blank.body.contains("靖远县"),
        "only provinces until one is chosen, not 3,349 names"
    );
    let (username, activation) = register(&app, &mut b, "靖远县测试局", 7).await;

    // The SMS to the handler is queued in the same transaction.
    let sms = app.outbox_bodies("activation_sms").await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].0, "13900000002");
    // No password exists before activation, and signing in is impossible.
    let page = b.sign_in(&username, "anything at all 123").await;
    assert!(page.body.contains("用户账号或密码不正确"));

    // A weak password is refused with a plain message; the link still works afterwards.
    let page = b.visit(&activation).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&username));
    let weak = b
        .post(
            &activation,
            &[("password", "password123"), ("confirm", "password123")],
        )
        .await;
    assert!(weak.title().starts_with("错误："));
    assert!(weak.body.contains("这个密码太常见"));
    let mismatch = b
        .post(
            &activation,
            &[
                ("password", "黄河石林 远山 2026"),
                ("confirm", "黄河石林 远山 2025"),
            ],
        )
        .await;
    assert!(mismatch.body.contains("两次输入的密码不一致"));

    let before = b.csrf().await;
    let done = b
        .post(
            &activation,
            &[
                ("password", "黄河石林 远山 2026"),
                ("confirm", "黄河石林 远山 2026"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location.as_deref(), Some("/portal"));
    // Signing in gave a new session (and so a new CSRF token).
    assert_ne!(b.csrf().await, before);
    // The link is single-use.
    let mut other = app.browser();
    assert!(other.visit(&activation).await.body.contains("链接已失效"));

    let home = b.visit("/portal").await;
    assert!(home.body.contains("靖远县测试局"));
    assert!(home.body.contains("我的主页"));
    assert!(home.body.contains("单位信息"));

    // Edit 单位信息 with a mistake: the error is shown beside the field and in the summary,
    // everything typed is kept, and nothing is stored.
    let edit = b.visit("/portal/unit/edit").await;
    let mut fields: Vec<(String, String)> = input_values(&edit.body)
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .collect();
    fields.retain(|(k, _)| k != "postcode" && k != "address");
    fields.push(("functions".into(), "负责全县测试工作。".into()));
    fields.push(("address".into(), "靖远县乌兰镇新地址1号".into()));
    fields.push(("postcode".into(), "73060".into()));
    let bad = b.post_owned("/portal/unit/edit", &fields).await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.title().starts_with("错误："));
    assert!(bad.body.contains("class=\"error-summary\""));
    assert!(
        bad.body
            .contains("<a href=\"#postcode\">邮编应为6位数字</a>")
    );
    assert!(bad.body.contains("id=\"postcode-error\""));
    let kept = input_values(&bad.body);
    assert_eq!(kept["address"], "靖远县乌兰镇新地址1号");
    assert_eq!(kept["postcode"], "73060");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM units WHERE address = '靖远县乌兰镇新地址1号'")
            .await,
        0
    );

    fields.retain(|(k, _)| k != "postcode");
    fields.push(("postcode".into(), "730601".into()));
    let good = b.post_owned("/portal/unit/edit", &fields).await;
    assert_eq!(good.status, StatusCode::SEE_OTHER);
    assert_eq!(good.location.as_deref(), Some("/portal/unit?saved=1"));
    let shown = b.visit("/portal/unit?saved=1").await;
    assert!(shown.body.contains("单位信息已保存"));
    assert!(shown.body.contains("靖远县乌兰镇新地址1号"));
    assert!(shown.body.contains("730601"));
    // The handler's mobile is masked on screen.
    assert!(shown.body.contains("139****0002"));
    assert!(!shown.body.contains("13900000002"));

    let actions = app.audit_actions().await;
    for expected in [
        "unit_registered",
        "account_created",
        "account_activated",
        "unit_updated",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "audit has {expected}: {actions:?}"
        );
    }
}

#[tokio::test]
async fn every_field_error_is_reported_at_once_and_input_is_kept() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let mut form = unit_form("靖远县某局", "620421", 3);
    form.credit_code = "91350100M000100Y44".into();
    form.handler_mobile = "1390000".into();
    form.leader_phone = "6123456".into();
    form.region_code = "999999".into();
    let mut fields = form_fields(&form);
    fields.push(("step".into(), "check".into()));
    let page = b.post_owned("/register", &fields).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.title().starts_with("错误：新用户注册"));
    for message in [
        "统一社会信用代码校验位不正确",
        "经办人手机号码应为11位数字",
        "分管领导电话或手机应包含区号",
    ] {
        assert!(page.body.contains(message), "{message}");
    }
    let kept = input_values(&page.body);
    assert_eq!(kept["credit_code"], "91350100M000100Y44");
    assert_eq!(kept["name"], "靖远县某局");
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 0);

    // Region that does not exist (valid format) is caught too.
    let mut form = unit_form("靖远县某局", "629999", 4);
    form.region_code = "629999".into();
    let mut fields = form_fields(&form);
    fields.push(("step".into(), "check".into()));
    let page = b.post_owned("/register", &fields).await;
    assert!(
        page.body
            .contains("<a href=\"#region_code\">请选择所在地区</a>"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_duplicate_credit_code_is_a_field_error() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    register(&app, &mut b, "靖远县甲局", 11).await;
    let form = unit_form("靖远县乙局", "620421", 11);
    let mut fields = form_fields(&form);
    fields.push(("step".into(), "confirm".into()));
    let page = b.post_owned("/register", &fields).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("该统一社会信用代码已登记"));
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM accounts").await, 1);
}

#[tokio::test]
async fn going_back_from_the_check_page_keeps_everything() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let form = unit_form("靖远县丙局", "620421", 21);
    let mut fields = form_fields(&form);
    fields.push(("step".into(), "edit".into()));
    let page = b.post_owned("/register", &fields).await;
    assert!(page.title().starts_with("新用户注册"));
    let kept = input_values(&page.body);
    assert_eq!(kept["handler_email"], "wang@test.example");
    assert!(page.body.contains("<option value=\"620421\" selected>"));
    assert_eq!(app.count("SELECT COUNT(*) FROM units").await, 0);
}

/// Registration sends mail and SMS to whatever address and number a stranger types: at most
/// three registrations a day per e-mail address or mobile number.
#[tokio::test]
async fn one_mailbox_gets_at_most_three_registrations_a_day() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    for (i, name) in ["靖远县甲局", "靖远县乙局", "靖远县丙局"]
        .iter()
        .enumerate()
    {
        register(&app, &mut b, name, 61 + i as u32).await;
    }
    let form = unit_form("靖远县丁局", "620421", 64);
    let mut fields = form_fields(&form);
    fields.push(("step".into(), "confirm".into()));
    let refused = b.post_owned("/register", &fields).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused.body.contains("今天已多次用于注册"),
        "{}",
        refused.body
    );
    assert_eq!(app.outbox_bodies("activation").await.len(), 3);
    // A day later the same mailbox may be used again.
    app.clock.advance(86_400 + 60);
    let again = b.post_owned("/register", &fields).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
}

#[tokio::test]
async fn the_region_is_chosen_level_by_level_without_losing_what_was_typed() {
    let app = TestApp::spawn().await;
    let mut b = app.browser();
    let form = unit_form("靖远县地区选择局", "620421", 31);
    let mut fields: Vec<(String, String)> = form_fields(&form)
        .into_iter()
        .filter(|(k, _)| k != "region_code")
        .collect();
    fields.push(("region_province".into(), "620000".into()));
    fields.push(("region_next".into(), "1".into()));
    let cities = b.post_owned("/register", &fields).await;
    assert_eq!(cities.status, StatusCode::OK);
    assert!(
        cities
            .body
            .contains("<option value=\"620400\">白银市</option>")
    );
    assert!(
        !cities.body.contains("靖远县<"),
        "counties wait for the city"
    );
    assert_eq!(input_values(&cities.body)["name"], "靖远县地区选择局");
    fields.push(("region_city".into(), "620400".into()));
    let counties = b.post_owned("/register", &fields).await;
    assert!(
        counties
            .body
            .contains("<option value=\"620421\">靖远县</option>")
    );
    assert!(
        counties
            .body
            .contains("<option value=\"620400\" selected>白银市</option>")
    );

    // Chosen to the county: the check page names the three levels.
    fields.retain(|(k, _)| k != "region_next");
    fields.push(("region_county".into(), "620421".into()));
    fields.push(("step".into(), "check".into()));
    let check = b.post_owned("/register", &fields).await;
    assert!(
        check.title().starts_with("请核对注册信息"),
        "{}",
        check.title()
    );
    assert!(check.body.contains("甘肃省 白银市 靖远县"));

    // A county left over after the province changed is chosen again, never guessed.
    for (k, v) in fields.iter_mut() {
        if k == "region_province" {
            *v = "110000".into();
        }
    }
    let moved = b.post_owned("/register", &fields).await;
    assert!(moved.title().starts_with("错误："), "{}", moved.title());
    assert!(moved.body.contains("请选择所在地区"));
    assert!(
        moved
            .body
            .contains("<option value=\"110000\" selected>北京市</option>")
    );
    app.shutdown().await.unwrap();
}
