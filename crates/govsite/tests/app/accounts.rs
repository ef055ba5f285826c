//! Sign-in, CSRF, throttling, password change and reset, forced change, TOTP.

use govsite::store::accounts;
use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::{TestApp, csrf_of};

#[tokio::test]
async fn state_changing_requests_need_the_session_csrf_token() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::Admin, None, None).await;
    let mut b = app.browser();
    // No token at all (and no session): 403, including the sign-in form.
    let page = b
        .post_raw(
            "/login",
            &[("username", &username), ("password", &password)],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("页面已过期"));
    // A session but a wrong token: 403.
    b.get("/login").await;
    let page = b
        .post_raw(
            "/login",
            &[
                ("csrf_token", "x".repeat(43).as_str()),
                ("username", &username),
                ("password", &password),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Another session's token: 403.
    let mut other = app.browser();
    let foreign = csrf_of(&other.get("/login").await.body).unwrap();
    let page = b
        .post_raw(
            "/login",
            &[
                ("csrf_token", foreign.as_str()),
                ("username", &username),
                ("password", &password),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Machines get a JSON error.
    let resp = b
        .client
        .post(format!("{}/logout", app.base))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let json: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(json["error"]["code"], "csrf");
    // The right token signs in.
    assert_eq!(
        b.sign_in(&username, &password).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sign_in_rotates_the_session_and_sign_out_ends_it() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::RegistryReviewer, None, None).await;
    let mut b = app.browser();
    let before = b.get("/login").await.headers["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let page = b.sign_in(&username, &password).await;
    assert_eq!(page.location.as_deref(), Some("/console"));
    let after = page.headers["set-cookie"].to_str().unwrap().to_owned();
    assert_ne!(
        before.split(';').next(),
        after.split(';').next(),
        "new session id at sign-in"
    );
    assert!(after.contains("HttpOnly"));
    assert_eq!(b.get("/console/units").await.status, StatusCode::OK);
    let out = b.post("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let page = b.get("/console/units").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.location
            .unwrap()
            .starts_with("/login?next=/console/units")
    );
    // The session row is gone, not merely forgotten by the browser.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions WHERE account_id IS NOT NULL")
            .await,
        0
    );
}

/// The text captcha of a sign-in page: its token and its answer.
fn sign_in_captcha(body: &str) -> (String, String) {
    let marker = "name=\"captcha_text_token\" value=\"";
    let start = body.find(marker).expect("a text captcha") + marker.len();
    let token = body[start..start + body[start..].find('"').unwrap()].to_owned();
    let question = &body[body.find("文字题：").unwrap()..].replacen("文字题：", "验证码：", 1);
    (token, crate::sites::solve(question))
}

async fn sign_in_with_captcha(
    b: &mut crate::helpers::Browser,
    username: &str,
    password: &str,
    shown: &str,
) -> crate::helpers::Page {
    let (token, answer) = sign_in_captcha(shown);
    b.post(
        "/login",
        &[
            ("username", username),
            ("password", password),
            ("captcha_text_token", &token),
            ("captcha_text", &answer),
        ],
    )
    .await
}

/// Strangers' wrong passwords never lock the owner out: after three the captcha is required,
/// the stranger's client waits after five, the holder is told once, and the owner (from
/// another client) signs in with the captcha; a reset clears the count.
#[tokio::test]
async fn failed_sign_ins_ask_for_a_captcha_and_never_lock_the_owner_out() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::Admin, None, None).await;
    let mut stranger = app.browser();
    let mut last = String::new();
    for i in 0..3 {
        let page = stranger.sign_in(&username, "wrong password 1").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("用户账号或密码不正确"));
        let values = crate::helpers::input_values(&page.body);
        assert_eq!(values["username"], username, "the user name is kept");
        assert_eq!(
            page.body.contains("captcha_text_token"),
            i == 2,
            "the captcha appears after the third failure"
        );
        last = page.body;
    }
    // Without the captcha no password is tried.
    let page = stranger.sign_in(&username, &password).await;
    assert!(page.body.contains("请填写验证码"), "{}", page.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'sign_in_failed'")
            .await,
        3
    );
    // With it, two more wrong guesses: the holder is told once, at the fifth.
    for _ in 0..2 {
        let page = sign_in_with_captcha(&mut stranger, &username, "wrong password 2", &last).await;
        assert!(page.body.contains("用户账号或密码不正确"), "{}", page.body);
        last = page.body;
    }
    let told = app.outbox_bodies("sign_in_failures").await;
    assert_eq!(told.len(), 1);
    assert!(told[0].1.contains("5 次登录失败") && told[0].0.ends_with("@test.example"));
    // The stranger's client now waits, even with the right password.
    let page = sign_in_with_captcha(&mut stranger, &username, &password, &last).await;
    assert!(
        page.body.contains("本设备登录该账号失败次数过多"),
        "{}",
        page.body
    );

    // The owner, from another address, is not locked out: the captcha, then in.
    let mut owner = app.browser_from("127.0.0.2".parse().unwrap());
    let asked = owner.sign_in(&username, &password).await;
    assert!(asked.body.contains("请填写验证码"), "{}", asked.body);
    let wrong = owner
        .post(
            "/login",
            &[
                ("username", username.as_str()),
                ("password", password.as_str()),
                ("captcha_text_token", &sign_in_captcha(&asked.body).0),
                ("captcha_text", "999"),
            ],
        )
        .await;
    assert!(wrong.body.contains("验证码不正确"));
    let page = sign_in_with_captcha(&mut owner, &username, &password, &wrong.body).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'sign_in_failed'")
            .await,
        5
    );
    // Signed in, the count is gone: the next sign-in needs no captcha.
    let mut again = app.browser_from("127.0.0.2".parse().unwrap());
    assert_eq!(
        again.sign_in(&username, &password).await.status,
        StatusCode::SEE_OTHER
    );

    // A reset by link clears the failures too.
    for _ in 0..3 {
        app.browser().sign_in(&username, "wrong password 3").await;
    }
    let mut b = app.browser_from("127.0.0.3".parse().unwrap());
    assert!(
        b.sign_in(&username, &password)
            .await
            .body
            .contains("请填写验证码")
    );
    b.post("/password/forgot", &[("username", &username)]).await;
    let mail = app.delivered("password_reset", |_| true).await;
    let link = crate::helpers::link_path(&mail.body, &app.base);
    let new = "重设之后的口令 2026";
    b.post(&link, &[("password", new), ("confirm", new)]).await;
    assert_eq!(
        b.sign_in(&username, new).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_address() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::Unit, None, None).await;
    let mut b = app.browser();
    for i in 0..30 {
        b.sign_in(&format!("nobody{i}"), "wrong password 1").await;
    }
    let page = b.sign_in(&username, &password).await;
    assert!(page.body.contains("该网络地址登录失败次数过多"));
}

#[tokio::test]
async fn changing_the_password_checks_the_rules_and_signs_out_other_sessions() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::Unit, None, None).await;
    let mut first = app.browser();
    first.sign_in(&username, &password).await;
    let mut second = app.browser();
    second.sign_in(&username, &password).await;

    let page = second
        .post(
            "/account/password",
            &[
                ("current", "not it at all"),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert!(page.title().starts_with("错误：修改密码"));
    assert!(page.body.contains("当前密码不正确"));
    assert!(page.body.contains("密码至少需要10个字符"));

    let new = "新的口令 黄河 2026";
    let page = second
        .post(
            "/account/password",
            &[("current", &password), ("password", new), ("confirm", new)],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/account/password?done=1"));
    // The other session is gone; this one stays.
    assert_eq!(
        first.get("/account/password").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(second.get("/account/password").await.status, StatusCode::OK);
    let mut third = app.browser();
    assert!(
        third
            .sign_in(&username, &password)
            .await
            .body
            .contains("用户账号或密码不正确")
    );
    assert_eq!(
        third.sign_in(&username, new).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.outbox_bodies("password_changed").await.len(), 1);
    // Passwords are stored as Argon2id hashes only.
    let account = accounts::find_by_username(&app.db, &username)
        .await
        .unwrap()
        .unwrap();
    assert!(account.password_hash.unwrap().starts_with("$argon2id$"));
}

#[tokio::test]
async fn an_administrator_can_force_a_password_change() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin, None, None).await;
    let mut admin = admin;
    let (username, password, id) = app.user(Role::Finance, None, None).await;
    let page = admin
        .post(
            &format!("/admin/accounts/{id}"),
            &[
                ("action", "require_password_change"),
                ("reason", "定期更换"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    let mut b = app.browser();
    b.sign_in(&username, &password).await;
    let page = b.get("/console/units").await;
    assert_eq!(page.location.as_deref(), Some("/account/password"));
    let shown = b.get("/account/password").await;
    assert!(shown.body.contains("管理员要求您修改密码"));
    let new = "换一个新口令 2026 秋";
    b.post(
        "/account/password",
        &[("current", &password), ("password", new), ("confirm", new)],
    )
    .await;
    assert_eq!(b.get("/console/units").await.status, StatusCode::OK);
    assert!(
        app.audit_actions()
            .await
            .contains(&"password_change_required".to_owned())
    );
}

#[tokio::test]
async fn reset_by_one_time_link() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::Unit, None, None).await;
    let mut old = app.browser();
    old.sign_in(&username, &password).await;

    let mut b = app.browser();
    let sent = b.post("/password/forgot", &[("username", &username)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "post/redirect/get");
    assert_eq!(sent.location.as_deref(), Some("/password/forgot?sent=1"));
    let page = b.get("/password/forgot?sent=1").await;
    assert!(page.body.contains("如果该账号存在且已激活"));
    // Unknown accounts get the same answer and no mail.
    let other = b
        .post("/password/forgot", &[("username", "nobody-here")])
        .await;
    assert_eq!(other.location, sent.location);
    assert_eq!(app.outbox_bodies("password_reset").await.len(), 1);
    let first = app.delivered("password_reset", |_| true).await;
    let link = crate::helpers::link_path(&first.body, &app.base);
    assert!(link.starts_with("/password/reset/"), "{link}");

    let new = "重设之后的口令 2026";
    let page = b.post(&link, &[("password", new), ("confirm", new)]).await;
    assert_eq!(page.location.as_deref(), Some("/login?notice=reset"));
    assert_eq!(
        old.get("/portal").await.status,
        StatusCode::SEE_OTHER,
        "old sessions end"
    );
    assert!(b.visit(&link).await.body.contains("链接已失效"));
    assert_eq!(
        b.sign_in(&username, new).await.status,
        StatusCode::SEE_OTHER
    );

    // An expired link does not work.
    b.post("/logout", &[]).await;
    b.post("/password/forgot", &[("username", &username)]).await;
    let second = app
        .delivered("password_reset", |m| m.body != first.body)
        .await;
    let link = crate::helpers::link_path(&second.body, &app.base);
    app.clock.advance(3601);
    assert!(b.visit(&link).await.body.contains("链接已失效"));
}

#[tokio::test]
async fn totp_second_factor() {
    let app = TestApp::spawn().await;
    let (username, password, id) = app.user(Role::OfficeReviewer, None, None).await;
    let mut b = app.browser();
    b.sign_in(&username, &password).await;
    let page = b.get("/account/totp").await;
    let marker = "name=\"secret\" value=\"";
    let start = page.body.find(marker).unwrap() + marker.len();
    let secret_text = page.body[start..start + page.body[start..].find('"').unwrap()].to_owned();
    let secret = govsite_core::totp::decode_secret(&secret_text).unwrap();
    let code_at = |t: i64| {
        format!(
            "{:06}",
            govsite_core::totp::hotp(&secret, govsite_core::totp::step_at(t) as u64)
        )
    };

    let wrong = b
        .post(
            "/account/totp",
            &[
                ("action", "enable"),
                ("secret", &secret_text),
                ("code", "000000"),
            ],
        )
        .await;
    if code_at(app.clock_now()) != "000000" {
        assert!(wrong.body.contains("验证码不正确"));
    }
    let code = code_at(app.clock_now());
    let page = b
        .post(
            "/account/totp",
            &[
                ("action", "enable"),
                ("secret", &secret_text),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        accounts::find(&app.db, id)
            .await
            .unwrap()
            .unwrap()
            .totp_enabled()
    );
    // The database keeps the secret sealed with the key file, never as typed.
    let stored = accounts::find(&app.db, id)
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .unwrap();
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    assert!(!stored.contains(&secret_text));

    // Next sign-in stops at the second step; nothing else is reachable until it passes.
    let mut c = app.browser();
    let page = c.sign_in(&username, &password).await;
    assert_eq!(page.location.as_deref(), Some("/login/totp"));
    assert_eq!(
        c.get("/console/units").await.location.as_deref(),
        Some("/login/totp")
    );
    // The code used at enrolment cannot be replayed.
    let page = c.post("/login/totp", &[("code", &code)]).await;
    assert!(page.body.contains("验证码不正确或已使用"));
    app.clock.advance(30);
    let page = c
        .post("/login/totp", &[("code", &code_at(app.clock_now()))])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        c.get("/console/units").await.status,
        StatusCode::FORBIDDEN,
        "signed in; no office bound"
    );
}

#[tokio::test]
async fn staff_can_be_required_to_enrol_in_totp() {
    let app = TestApp::spawn_with(govsite::notify::sender::Senders::send_held_only(), true).await;
    let (username, password, _) = app.user(Role::Auditor, None, None).await;
    let mut b = app.browser();
    b.sign_in(&username, &password).await;
    assert_eq!(
        b.get("/admin/audit").await.location.as_deref(),
        Some("/account/totp")
    );
    assert!(
        b.get("/account/totp")
            .await
            .body
            .contains("必须开启两步验证")
    );
    // Unit users are not staff and are not forced.
    let (mut unit, _) = app.signed_in(Role::Unit, None, None).await;
    assert_eq!(unit.get("/account/password").await.status, StatusCode::OK);
}

#[tokio::test]
async fn administrators_create_staff_who_activate_by_their_own_link() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let (mut admin, _) = app.signed_in(Role::Admin, None, None).await;
    let office_id = office.to_string();
    let bad = admin
        .post(
            "/admin/accounts/new",
            &[
                ("username", "bad name!"),
                ("display_name", ""),
                ("role", "office_reviewer"),
                ("office_id", ""),
                ("email", "x"),
            ],
        )
        .await;
    assert!(bad.title().starts_with("错误："));
    assert!(bad.body.contains("编办审核员必须选择所属编办"));
    assert!(bad.body.contains("用户账号只能包含"));
    let page = admin
        .post(
            "/admin/accounts/new",
            &[
                ("username", "jy-new"),
                ("display_name", "新审核员"),
                ("role", "office_reviewer"),
                ("office_id", &office_id),
                ("email", "new@test.example"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let shown = admin.visit(page.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("激活链接已发送至该工作人员的电子邮箱"));
    assert!(
        !shown.body.contains("/activate/"),
        "the administrator never sees the link"
    );
    let account = accounts::find_by_username(&app.db, "jy-new")
        .await
        .unwrap()
        .unwrap();
    assert!(account.password_hash.is_none());
    assert_eq!(account.office_id, Some(office));
    let invitation = app.delivered_link("activation", "new@test.example").await;
    assert!(invitation.starts_with("/activate/"), "{invitation}");
    // A second account with the same name is a field error.
    let dup = admin
        .post(
            "/admin/accounts/new",
            &[
                ("username", "jy-new"),
                ("display_name", "重复"),
                ("role", "finance"),
                ("email", "dup@test.example"),
            ],
        )
        .await;
    assert!(dup.body.contains("该用户账号已被使用"));
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = app.signed_in(Role::Admin, None, None).await;
    let (username, password, id) = app.user(Role::Finance, None, None).await;
    let mut b = app.browser();
    b.sign_in(&username, &password).await;
    assert_eq!(b.get("/console/units").await.status, StatusCode::OK);
    admin
        .post(
            &format!("/admin/accounts/{id}"),
            &[("action", "disable"), ("reason", "离职")],
        )
        .await;
    assert_eq!(b.get("/console/units").await.status, StatusCode::SEE_OTHER);
    let page = b.sign_in(&username, &password).await;
    assert!(page.body.contains("该账号已停用"));
}

#[tokio::test]
async fn role_changes_are_audited_and_take_effect_at_once() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    app.unit("靖远县审计局", "620421").await;
    // 三员分立: the system administrator may not decide roles or second factors, the
    // security administrator may not disable accounts, and neither reads the audit trail.
    let (mut system, _) = app.signed_in(Role::Admin, None, None).await;
    let (mut admin, _) = app.signed_in(Role::SecurityAdmin, None, None).await;
    let (username, password, id) = app.user(Role::Finance, None, None).await;
    let path = format!("/admin/accounts/{id}");
    for action in ["change_role", "require_totp", "waive_totp"] {
        let refused = system
            .post(&path, &[("action", action), ("role", "auditor")])
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{action}");
    }
    for action in ["disable", "enable", "send_reset", "require_password_change"] {
        let refused = admin.post(&path, &[("action", action)]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(
        admin.get("/admin/accounts/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        system.get("/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.get("/admin/audit").await.status,
        StatusCode::FORBIDDEN
    );
    let shown = admin.get(&path).await;
    assert!(shown.body.contains("变更角色") && !shown.body.contains("停用账号"));
    let shown = system.get(&path).await;
    assert!(!shown.body.contains("变更角色") && shown.body.contains("停用账号"));
    let mut b = app.browser();
    b.sign_in(&username, &password).await;

    let bad = admin
        .post(
            &format!("/admin/accounts/{id}"),
            &[
                ("action", "change_role"),
                ("role", "office_reviewer"),
                ("office_id", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("编办审核员必须选择所属编办"));
    let office_id = office.to_string();
    let page = admin
        .post(
            &format!("/admin/accounts/{id}"),
            &[
                ("action", "change_role"),
                ("role", "office_reviewer"),
                ("office_id", &office_id),
                ("reason", "调岗"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // The old session is gone; the new rights apply at the next sign-in.
    assert_eq!(b.get("/console/units").await.status, StatusCode::SEE_OTHER);
    b.sign_in(&username, &password).await;
    let list = b.get("/console/units").await;
    assert!(list.body.contains("工作管理"));
    assert!(list.body.contains("靖远县审计局"));
    let (from, to): (String, String) = {
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT from_state, to_state FROM audit_events WHERE action = 'role_changed'",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        (
            row.try_get("from_state").unwrap(),
            row.try_get("to_state").unwrap(),
        )
    };
    assert_eq!(from, "finance");
    assert_eq!(to, format!("office_reviewer@office{office}"));
    // Unit accounts cannot be turned into staff.
    let unit = app.unit("靖远县林业局", "620421").await;
    let (_, _, unit_account) = app.user(Role::Unit, Some(unit), None).await;
    let page = admin
        .post(
            &format!("/admin/accounts/{unit_account}"),
            &[("action", "change_role"), ("role", "admin")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

async fn enable_totp(app: &TestApp, b: &mut crate::helpers::Browser) -> Vec<u8> {
    let page = b.get("/account/totp").await;
    let marker = "name=\"secret\" value=\"";
    let start = page.body.find(marker).unwrap() + marker.len();
    let secret_text = page.body[start..start + page.body[start..].find('"').unwrap()].to_owned();
    let secret = govsite_core::totp::decode_secret(&secret_text).unwrap();
    let code = format!(
        "{:06}",
        govsite_core::totp::hotp(&secret, govsite_core::totp::step_at(app.clock_now()) as u64)
    );
    let page = b
        .post(
            "/account/totp",
            &[
                ("action", "enable"),
                ("secret", &secret_text),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    secret
}

#[tokio::test]
async fn totp_guesses_are_limited_even_across_password_steps() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::Finance, None, None).await;
    let mut b = app.browser();
    b.sign_in(&username, &password).await;
    let secret = enable_totp(&app, &mut b).await;
    // Turning it off needs a code.
    let page = b
        .post("/account/totp", &[("action", "disable"), ("code", "")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("未关闭两步验证"));
    for _ in 0..3 {
        let mut c = app.browser();
        c.sign_in(&username, &password).await;
        for _ in 0..2 {
            let wrong = c.post("/login/totp", &[("code", "000001")]).await;
            assert!(wrong.body.contains("验证码"));
        }
    }
    app.clock.advance(30);
    let good = format!(
        "{:06}",
        govsite_core::totp::hotp(&secret, govsite_core::totp::step_at(app.clock_now()) as u64)
    );
    let mut c = app.browser();
    c.sign_in(&username, &password).await;
    let page = c.post("/login/totp", &[("code", &good)]).await;
    assert!(
        page.body.contains("验证失败次数过多"),
        "six wrong codes lock the second step"
    );
}

#[tokio::test]
async fn parallel_wrong_passwords_stop_at_the_limit() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::Finance, None, None).await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let mut b = app.browser();
        let name = username.clone();
        tasks.push(tokio::spawn(async move {
            b.sign_in(&name, "wrong password 1").await.body
        }));
    }
    let mut verified = 0;
    for t in tasks {
        if t.await.unwrap().contains("用户账号或密码不正确") {
            verified += 1;
        }
    }
    // Every attempt is counted before the password is checked: at most the client's limit
    // of guesses are tried, the rest are refused or asked for the captcha.
    assert!(verified <= 5, "{verified} guesses were checked");
    let page = app.browser().sign_in(&username, &password).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "not signed in without the captcha"
    );
    assert!(
        page.body.contains("本设备登录该账号失败次数过多") || page.body.contains("请填写验证码"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn an_administrator_cannot_change_their_own_role() {
    let app = TestApp::spawn().await;
    let (username, password, id) = app.user(Role::SecurityAdmin, None, None).await;
    let mut b = app.browser();
    b.sign_in(&username, &password).await;
    let page = b
        .post(
            &format!("/admin/accounts/{id}"),
            &[("action", "change_role"), ("role", "auditor")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("不能变更自己的角色"));
}

#[tokio::test]
async fn the_current_password_cannot_be_guessed_forever() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::Unit, None, None).await;
    let mut b = app.browser();
    b.sign_in(&username, &password).await;
    for _ in 0..5 {
        let page = b
            .post(
                "/account/password",
                &[
                    ("current", "guess guess 1"),
                    ("password", "新的口令 黄河 2026"),
                    ("confirm", "新的口令 黄河 2026"),
                ],
            )
            .await;
        assert!(page.body.contains("当前密码不正确"));
    }
    let page = b
        .post(
            "/account/password",
            &[
                ("current", &password),
                ("password", "新的口令 黄河 2026"),
                ("confirm", "新的口令 黄河 2026"),
            ],
        )
        .await;
    assert!(page.body.contains("错误次数过多"));
}

/// Behind a trusted reverse proxy each client has its own limits (its address from
/// X-Forwarded-For); a stranger's X-Forwarded-For changes nothing.
#[tokio::test]
async fn limits_follow_the_client_behind_a_trusted_proxy_only() {
    async fn attempts(
        base: &str,
        forwarded_for: &str,
        username: &str,
        password: &str,
        n: usize,
    ) -> String {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-forwarded-for", forwarded_for.parse().unwrap());
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(h)
            .build()
            .unwrap();
        let mut last = String::new();
        for _ in 0..n {
            let page = client
                .get(format!("{base}/login"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let token = crate::helpers::input_values(&page)["csrf_token"].clone();
            let r = client
                .post(format!("{base}/login"))
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("username", username),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap();
            last = if r.status() == StatusCode::SEE_OTHER {
                "signed in".to_owned()
            } else {
                r.text().await.unwrap()
            };
        }
        last
    }
    let app = TestApp::spawn_behind_proxy().await;
    let (username, password, _) = app.user(Role::Unit, None, None).await;
    // 31 failures from one client (over many accounts) stop that client only.
    for i in 0..31 {
        attempts(
            &app.base,
            "203.0.113.5",
            &format!("nobody{i}"),
            "wrong password 1",
            1,
        )
        .await;
    }
    let blocked = attempts(&app.base, "203.0.113.5", &username, &password, 1).await;
    assert!(blocked.contains("该网络地址登录失败次数过多"), "{blocked}");
    let other = attempts(&app.base, "203.0.113.6", &username, &password, 1).await;
    assert_eq!(other, "signed in", "another client behind the same proxy");
    // A forged header in front of the proxy's own is not believed: the proxy appends the
    // address it saw, and that is the one counted.
    let forged = attempts(
        &app.base,
        "198.51.100.1, 203.0.113.5",
        &username,
        &password,
        1,
    )
    .await;
    assert!(forged.contains("该网络地址登录失败次数过多"), "{forged}");
    let audit: Vec<String> = sqlx::query("SELECT ip FROM audit_events WHERE action = 'sign_in'")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::try_get(r, "ip").unwrap())
        .collect();
    assert!(audit.contains(&"203.0.113.6".to_owned()), "{audit:?}");

    // Without a trusted proxy the header is the client's word and ignored.
    let direct = TestApp::spawn().await;
    let (username, password, _) = direct.user(Role::Unit, None, None).await;
    for i in 0..31 {
        attempts(
            &direct.base,
            &format!("203.0.113.{i}"),
            &format!("nobody{i}"),
            "wrong password 1",
            1,
        )
        .await;
    }
    let page = attempts(&direct.base, "203.0.113.200", &username, &password, 1).await;
    assert!(page.contains("该网络地址登录失败次数过多"), "{page}");
}
