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

#[tokio::test]
async fn failed_sign_ins_are_throttled_per_account_and_audited() {
    let app = TestApp::spawn().await;
    let (username, password, _) = app.user(Role::Unit, None, None).await;
    let mut b = app.browser();
    for _ in 0..5 {
        let page = b.sign_in(&username, "wrong password 1").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("用户账号或密码不正确"));
        let values = crate::helpers::input_values(&page.body);
        assert_eq!(values["username"], username, "the user name is kept");
    }
    // Locked now, even with the right password.
    let page = b.sign_in(&username, &password).await;
    assert!(page.body.contains("已暂时锁定"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'sign_in_failed'")
            .await,
        5
    );
    // 15 minutes later the lock has lifted.
    app.clock.advance(16 * 60);
    assert_eq!(
        b.sign_in(&username, &password).await.status,
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
    let mails = app.outbox_bodies("password_reset").await;
    assert_eq!(mails.len(), 1);
    let body = &mails[0].1;
    let start = body.find("/password/reset/").unwrap();
    let link: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();

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
    let mails = app.outbox_bodies("password_reset").await;
    let body = &mails[1].1;
    let start = body.find("/password/reset/").unwrap();
    let link: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
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
    let mails = app.outbox_bodies("activation").await;
    assert_eq!(mails[0].0, "new@test.example");
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
    let (mut admin, _) = app.signed_in(Role::Admin, None, None).await;
    let (username, password, id) = app.user(Role::Finance, None, None).await;
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
    assert!(verified <= 5, "{verified} guesses were checked");
    assert!(
        app.browser()
            .sign_in(&username, &password)
            .await
            .body
            .contains("已暂时锁定")
    );
}

#[tokio::test]
async fn an_administrator_cannot_change_their_own_role() {
    let app = TestApp::spawn().await;
    let (username, password, id) = app.user(Role::Admin, None, None).await;
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
