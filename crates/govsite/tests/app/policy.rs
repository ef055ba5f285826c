//! Registry policy kept by administrators: versioned prices, reserved names, review limits.

use govsite::registry::names;
use govsite_core::domain_lifecycle::DAY;
use govsite_core::domain_name::DomainName;
use govsite_core::money::Money;
use govsite_core::org_type::Suffix;
use govsite_core::region::FeeTier;
use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

fn date_in(app: &TestApp, days: i64) -> String {
    chrono::DateTime::from_timestamp(app.clock_now() + 8 * 3600 + days * DAY, 0)
        .unwrap()
        .date_naive()
        .to_string()
}

#[tokio::test]
async fn prices_take_effect_from_their_date_and_never_rewrite_the_past() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = app.signed_in(Role::Admin, None, None).await;
    let yesterday = date_in(&app, -1);
    let past = admin
        .post(
            "/admin/policy/prices",
            &[
                ("tier", "poverty"),
                ("price", "150"),
                ("effective_from", &yesterday),
            ],
        )
        .await;
    assert!(past.body.contains("不能早于今天"), "{}", past.body);
    let bad = admin
        .post(
            "/admin/policy/prices",
            &[
                ("tier", "poverty"),
                ("price", "-5"),
                ("effective_from", "2027-13-01"),
            ],
        )
        .await;
    assert!(bad.body.contains("请输入每个域名每年的价格") && bad.body.contains("生效日期"));

    let later = date_in(&app, 10);
    let ok = admin
        .post(
            "/admin/policy/prices",
            &[
                ("tier", "poverty"),
                ("price", "150"),
                ("effective_from", &later),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let price = |at| govsite::store::policy::price(&app.db, FeeTier::Poverty, at);
    assert_eq!(
        price(app.clock_now()).await.unwrap(),
        Some(Money::from_yuan(100))
    );
    assert_eq!(
        price(app.clock_now() + 11 * DAY).await.unwrap(),
        Some(Money::from_yuan(150))
    );
    assert_eq!(
        govsite::store::policy::price(&app.db, FeeTier::Standard, app.clock_now() + 11 * DAY)
            .await
            .unwrap(),
        Some(Money::from_yuan(200)),
        "the other tier is untouched"
    );
    assert!(admin.get("/admin/policy").await.body.contains("150.00"));
    assert!(app.audit_actions().await.contains(&"price_set".to_owned()));
}

#[tokio::test]
async fn reserved_names_and_review_limits_are_edited_by_administrators() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县农业农村局", "620421").await;
    let (mut admin, _) = app.signed_in(Role::Admin, None, None).await;
    let name = DomainName::parse("国家统计局", Suffix::Zhengwu).unwrap();
    let traditional = DomainName::parse("國家統計局", Suffix::Zhengwu).unwrap();
    assert!(
        names::availability(&app.db, unit, &name)
            .await
            .unwrap()
            .is_available()
    );

    let added = admin
        .post(
            "/admin/policy/reserved",
            &[("label", "国家统计局"), ("reason", "中央机构专用")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert!(
        !names::availability(&app.db, unit, &name)
            .await
            .unwrap()
            .is_available()
    );
    assert!(
        !names::availability(&app.db, unit, &traditional)
            .await
            .unwrap()
            .is_available(),
        "its traditional form too"
    );
    let dup = admin
        .post(
            "/admin/policy/reserved",
            &[("label", "國家統計局"), ("reason", "重复")],
        )
        .await;
    assert!(dup.body.contains("已在保留名称中"), "{}", dup.body);
    let emoji = admin
        .post(
            "/admin/policy/reserved",
            &[("label", "统计😀"), ("reason", "x")],
        )
        .await;
    assert!(emoji.title().starts_with("错误："));

    let canonical = names::variants().canonical("国家统计局");
    let removed = admin
        .post(
            "/admin/policy/reserved/remove",
            &[("canonical", canonical.as_str())],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert!(
        names::availability(&app.db, unit, &name)
            .await
            .unwrap()
            .is_available()
    );
    let gone = admin
        .post(
            "/admin/policy/reserved/remove",
            &[("canonical", canonical.as_str())],
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // Review limits per region.
    assert_eq!(
        govsite::store::policy::office_review_days(&app.db, 620421)
            .await
            .unwrap(),
        2
    );
    let set = admin
        .post(
            "/admin/policy/review-days",
            &[("limit", "review"), ("region", "620421"), ("days", "5")],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(
        govsite::store::policy::office_review_days(&app.db, 620421)
            .await
            .unwrap(),
        5
    );
    let zero = admin
        .post(
            "/admin/policy/review-days",
            &[("limit", "review"), ("region", "620421"), ("days", "0")],
        )
        .await;
    assert!(zero.body.contains("1至30个工作日"));
    let unknown = admin
        .post(
            "/admin/policy/review-days",
            &[("limit", "review"), ("region", "999999"), ("days", "3")],
        )
        .await;
    assert!(unknown.body.contains("没有这个行政区划代码"));
    let cleared = admin
        .post(
            "/admin/policy/review-days",
            &[("limit", "review"), ("region", "620421"), ("days", "")],
        )
        .await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER);
    assert_eq!(
        govsite::store::policy::office_review_days(&app.db, 620421)
            .await
            .unwrap(),
        2
    );
    // The badge mount deadline per region (the seed county: 2; the platform: 5).
    assert_eq!(
        govsite::store::policy::mount_days(&app.db, 620421)
            .await
            .unwrap(),
        5
    );
    let mount = admin
        .post(
            "/admin/policy/review-days",
            &[("limit", "mount"), ("region", "620421"), ("days", "2")],
        )
        .await;
    assert_eq!(mount.status, StatusCode::SEE_OTHER);
    assert_eq!(
        govsite::store::policy::mount_days(&app.db, 620421)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        govsite::store::policy::office_review_days(&app.db, 620421)
            .await
            .unwrap(),
        2,
        "the other limit is untouched"
    );
    assert!(admin.get("/admin/policy").await.body.contains("挂标期限"));
    let no_limit = admin
        .post(
            "/admin/policy/review-days",
            &[("limit", "x"), ("region", "620421"), ("days", "2")],
        )
        .await;
    assert!(no_limit.body.contains("请选择要设置的时限"));
    let actions = app.audit_actions().await;
    for a in [
        "reserved_added",
        "reserved_removed",
        "review_days_set",
        "mount_days_set",
    ] {
        assert!(actions.contains(&a.to_owned()), "{a}");
    }

    // Nobody else edits policy.
    let (mut reviewer, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    assert_eq!(
        reviewer.get("/admin/policy").await.status,
        StatusCode::FORBIDDEN
    );
    let r = reviewer
        .post(
            "/admin/policy/reserved",
            &[("label", "测试"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_administrator_publishes_the_bank_account_and_support_line() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县设置测试局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let before = u.get("/portal/finance").await;
    assert!(
        before
            .body
            .contains("尚未在平台公布收款账户，请先致电 010-52035000")
    );
    assert!(u.get("/help").await.body.contains("010-52035000"));

    let (mut a, _) = app.signed_in(Role::Admin, None, None).await;
    let form = a.get("/admin/settings").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"010-52035000\"") && form.body.contains("value=\"3\""));
    // Half an account and a bad phone: every error at once, nothing stored.
    let bad = a
        .post(
            "/admin/settings",
            &[
                ("bank_name", "中国工商银行北京分行"),
                ("bank_account_name", ""),
                ("bank_account_no", ""),
                ("support_phone", "12"),
                ("reply_days", "30"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    for msg in ["请填写户名", "请填写账号", "答复时限应为1至15个工作日"] {
        assert!(bad.body.contains(msg), "{msg}");
    }
    assert!(
        bad.body.contains("value=\"中国工商银行北京分行\""),
        "input kept"
    );
    let saved = a
        .post(
            "/admin/settings",
            &[
                ("bank_name", "中国工商银行北京分行"),
                ("bank_account_name", "政务和公益机构域名注册管理中心"),
                ("bank_account_no", "0200 0012 3456 7890"),
                ("support_phone", "010-52035001"),
                ("support_email", "help@registry.example"),
                ("reply_days", "5"),
                ("handler_id_days", "180"),
            ],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/admin/settings?done=saved")
    );
    let after = u.get("/portal/finance").await;
    assert!(
        after.body.contains("0200001234567890")
            && after.body.contains("政务和公益机构域名注册管理中心")
    );
    assert!(u.get("/help").await.body.contains("010-52035001"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"setting_changed".to_owned())
    );
    // Units and reviewers cannot change settings.
    assert_eq!(u.get("/admin/settings").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        u.post("/admin/settings", &[("reply_days", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    app.shutdown().await.unwrap();
}
