//! Chinese domain names: application, two-level review, payment, activation, lifecycle, RDAP.

use govsite::registry;
use govsite::store::audit::Actor;
use govsite_core::domain_lifecycle::{DAY, Periods};
use govsite_core::ids::UnitId;
use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp};

fn application_fields<'a>(name1: &'a str, name2: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("contact_name", "王五"),
        ("phone", "0943-6123456"),
        ("email", "wang@test.example"),
        ("mobile", "13900000002"),
        ("address", "甘肃省白银市靖远县乌兰镇"),
        ("postcode", "730600"),
        ("admin_same", "1"),
        ("tech_same", "1"),
        ("name1", name1),
        ("years1", "2"),
        ("name2", name2),
        ("years2", "2"),
        ("plan", "resolve"),
        ("ipv4", "192.0.2.1"),
    ]
}

/// Fills the form, checks, submits; returns (application id, reference).
pub(crate) async fn apply(b: &mut Browser, name1: &str, name2: &str) -> (i64, String) {
    let mut fields = application_fields(name1, name2);
    fields.push(("step", "check"));
    let check = b.post_follow("/portal/domains/new", &fields).await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert!(
        check.title().starts_with("请核对域名注册申请"),
        "{}",
        check.body
    );
    let marker = "/portal/domains/applications/";
    let start = check.body.find(marker).unwrap() + marker.len();
    let id: i64 = check.body[start..]
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let done = b
        .post_follow(&format!("/portal/domains/applications/{id}/submit"), &[])
        .await;
    assert!(done.title().starts_with("申请已提交"), "{}", done.body);
    let start = done.body.find("<p class=\"big-ref\">").unwrap() + "<p class=\"big-ref\">".len();
    let reference = done.body[start..start + 16].to_owned();
    assert!(reference.starts_with("YM"));
    (id, reference)
}

async fn name_ids(app: &TestApp, id: i64) -> Vec<i64> {
    let id = govsite_core::ids::DomainApplicationId::new(id);
    govsite::store::applications::names(&app.db, id)
        .await
        .unwrap()
        .iter()
        .map(|n| n.id)
        .collect()
}

#[tokio::test]
async fn apply_review_pay_activate_and_look_up() {
    let app = TestApp::spawn().await;
    let jingyuan = app.office("620421").await;
    let unit = app.unit("靖远县人民政府", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;

    // The form comes prefilled; the check page shows availability and the poverty-tier fee.
    let form = u.get("/portal/domains/new").await;
    assert!(form.body.contains("value=\"靖远县人民政府\""));
    let mut fields = application_fields("靖远县人民政府", "靖远县政府");
    fields.push(("step", "check"));
    let check = u.post_follow("/portal/domains/new", &fields).await;
    assert!(check.body.contains("靖远县人民政府.政务：可以申请"));
    assert!(
        check
            .body
            .contains("每个域名每年 100.00 元（国家级贫困县标准）")
    );
    assert!(check.body.contains("合计 <strong>400.00 元</strong>"));
    let (id, reference) = apply(&mut u, "靖远县人民政府", "靖远县政府").await;

    // Another county's office does not see it; the right one does.
    let huining = app.office("620422").await;
    let (mut other, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(huining))
        .await;
    assert!(
        !other
            .get("/console/reviews")
            .await
            .body
            .contains(&reference)
    );
    assert_eq!(
        other.get(&format!("/console/reviews/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(jingyuan))
        .await;
    let queue = office.get("/console/reviews").await;
    assert!(queue.body.contains(&reference));
    // A rejection without a reason is refused with a plain message.
    let ids = name_ids(&app, id).await;
    let (n1, n2) = (ids[0].to_string(), ids[1].to_string());
    let page = office
        .post(
            &format!("/console/reviews/{id}"),
            &[
                (&format!("verdict{n1}"), "approve"),
                (&format!("verdict{n2}"), "reject"),
            ],
        )
        .await;
    assert!(page.title().starts_with("错误："));
    assert!(page.body.contains("请选择原因并填写说明"));
    let page = office
        .post(
            &format!("/console/reviews/{id}"),
            &[
                (&format!("verdict{n1}"), "approve"),
                (&format!("verdict{n2}"), "reject"),
                (&format!("code{n2}"), "name_mismatch"),
                (&format!("reason{n2}"), "规范简称应为“靖远县政府办”"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // The office cannot act twice, nor act at the registry's stage.
    let again = office
        .post(
            &format!("/console/reviews/{id}"),
            &[(&format!("verdict{n1}"), "approve")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let (mut registry, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    assert!(
        registry
            .get("/console/reviews")
            .await
            .body
            .contains(&reference)
    );
    let page = registry
        .post(
            &format!("/console/reviews/{id}"),
            &[(&format!("verdict{n1}"), "approve")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    // The unit sees the reasons and the fee for the approved name only.
    let view = u.get(&format!("/portal/domains/applications/{id}")).await;
    assert!(view.body.contains("待缴费"));
    assert!(view.body.contains("规范简称应为“靖远县政府办”"));
    // Each stage keeps its own verdict and reason, in Chinese.
    assert!(
        view.body.contains("不通过：规范简称应为“靖远县政府办”"),
        "{}",
        view.body
    );
    let decided = registry.get(&format!("/console/reviews/{id}")).await;
    assert!(
        decided.body.contains("编办初审：通过；注册中心复审：通过"),
        "{}",
        decided.body
    );
    assert!(!decided.body.contains("approve；"), "no raw codes");
    assert!(view.body.contains("应缴 <strong>200.00 元</strong>"));
    let short = u
        .post(&format!("/portal/domains/applications/{id}/pay"), &[])
        .await;
    assert!(short.body.contains("账户余额不足"));

    // 我要转账 → finance confirms → pay → active.
    let bad = u
        .post(
            "/portal/finance",
            &[
                ("amount", "abc"),
                ("payer", ""),
                ("bank_ref", "x"),
                ("paid_on", "2099-01-01"),
            ],
        )
        .await;
    assert!(bad.title().starts_with("错误："));
    assert!(bad.body.contains("请输入转账金额"));
    let reported = u
        .post(
            "/portal/finance",
            &[
                ("amount", "400"),
                ("payer", "靖远县人民政府"),
                ("bank_ref", "6222-0001"),
                ("paid_on", "2026-01-05"),
            ],
        )
        .await;
    assert_eq!(reported.status, StatusCode::SEE_OTHER);
    let (mut finance, _) = app.signed_in(Role::Finance, None, None).await;
    let pending = finance.get("/console/transfers").await;
    assert!(pending.body.contains("6222-0001"));
    let transfer_id = app.count("SELECT MAX(id) FROM transfers").await.to_string();
    assert_eq!(
        finance
            .post(
                &format!("/console/transfers/{transfer_id}"),
                &[("action", "confirm")]
            )
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        finance
            .post(
                &format!("/console/transfers/{transfer_id}"),
                &[("action", "confirm")]
            )
            .await
            .status,
        StatusCode::CONFLICT,
        "credited once only"
    );
    assert!(
        u.get("/portal/finance")
            .await
            .body
            .contains("账户余额：<strong>400.00 元</strong>")
    );
    let paid = u
        .post(&format!("/portal/domains/applications/{id}/pay"), &[])
        .await;
    assert_eq!(
        paid.location.as_deref(),
        Some("/portal/domains?notice=activated")
    );
    let list = u.visit("/portal/domains?notice=activated").await;
    assert!(list.body.contains("靖远县人民政府.政务"));
    assert!(
        list.body.contains("靖遠縣人民政府.政务"),
        "the traditional form is reserved to the unit"
    );
    assert!(!list.body.contains("靖远县政府.政务"));
    assert!(
        u.get("/portal/finance")
            .await
            .body
            .contains("账户余额：<strong>200.00 元</strong>")
    );
    assert_eq!(
        govsite::store::ledger::trial_balance(&app.db)
            .await
            .unwrap(),
        0,
        "double entry balances"
    );

    // RDAP, by Unicode or ACE name; public facts only.
    let mut anon = app.browser();
    let rdap = anon.get("/rdap/domain/靖远县人民政府.政务").await;
    assert_eq!(rdap.status, StatusCode::OK);
    assert_eq!(rdap.headers["content-type"], "application/rdap+json");
    let json: serde_json::Value = serde_json::from_str(&rdap.body).unwrap();
    assert_eq!(json["unicodeName"], "靖远县人民政府.政务");
    assert_eq!(json["status"][0], "active");
    let ace = json["ldhName"].as_str().unwrap().to_owned();
    assert!(ace.ends_with(".xn--zfr164b"));
    assert!(!rdap.body.contains("13900000002") && !rdap.body.contains("wang@"));
    assert_eq!(
        anon.get(&format!("/rdap/domain/{ace}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        anon.get("/rdap/domain/没有这个.政务").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        anon.get("/rdap/domain/example.com").await.status,
        StatusCode::NOT_FOUND
    );

    // Nobody else can now take the name or its variant.
    let other_unit = app.unit("会宁县人民政府", "620422").await;
    let (mut o, _) = app.signed_in(Role::Unit, Some(other_unit), None).await;
    let mut fields = application_fields("靖遠縣人民政府", "会宁县政府");
    fields.push(("step", "check"));
    let page = o.post_follow("/portal/domains/new", &fields).await;
    assert!(page.body.contains("已被其他单位注册"), "{}", page.body);

    let actions = app.audit_actions().await;
    for a in [
        "domain_application_submitted",
        "domain_application_office_review",
        "domain_application_registry_review",
        "transfer_confirmed",
        "domain_application_paid_and_activated",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
}

#[tokio::test]
async fn rejected_applications_are_corrected_and_resubmitted() {
    let app = TestApp::spawn().await;
    let office_id = app.office("620421").await;
    let unit = app.unit("靖远县教育局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let (id, reference) = apply(&mut u, "靖远县教育局", "靖远教育").await;
    let ids = name_ids(&app, id).await;
    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office_id))
        .await;
    office
        .post(
            &format!("/console/reviews/{id}"),
            &[
                (&format!("verdict{}", ids[0]), "reject"),
                (&format!("code{}", ids[0]), "materials"),
                (&format!("reason{}", ids[0]), "请补充批准文件"),
                (&format!("verdict{}", ids[1]), "reject"),
                (&format!("code{}", ids[1]), "name_mismatch"),
                (&format!("reason{}", ids[1]), "简称不规范"),
            ],
        )
        .await;
    let view = u.get(&format!("/portal/domains/applications/{id}")).await;
    assert!(view.body.contains("编办初审未通过"));
    assert!(view.body.contains("简称不规范"));
    // Corrected and resubmitted: same reference, history kept, verdicts cleared.
    let mut fields = application_fields("靖远县教育局", "靖远县教育");
    fields.push(("step", "check"));
    let check = u
        .post_follow(&format!("/portal/domains/applications/{id}/edit"), &fields)
        .await;
    assert!(check.title().starts_with("请核对"), "{}", check.body);
    let done = u
        .post_follow(&format!("/portal/domains/applications/{id}/submit"), &[])
        .await;
    assert!(done.body.contains(&reference));
    let view = u.get(&format!("/portal/domains/applications/{id}")).await;
    assert!(view.body.contains("待编办初审"));
    assert!(view.body.contains("编办初审未通过 → 待编办初审"));
    // The unit cannot edit while it is under review.
    let page = u
        .post(
            &format!("/portal/domains/applications/{id}/edit"),
            &application_fields("x", "y"),
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn names_that_cannot_be_had() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县统计局", "620421").await;
    app.unit("靖远县财政局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let mut fields = application_fields("国务院", "靖远县财政局");
    fields.push(("step", "check"));
    fields.push(("name3", "bad name!"));
    fields.push(("years3", "2"));
    let page = u.post_follow("/portal/domains/new", &fields).await;
    assert!(page.title().starts_with("错误："));
    assert!(page.body.contains("保留名称"));
    assert!(page.body.contains("与其他单位的名称相同"));
    assert!(page.body.contains("只能使用汉字、英文字母、数字和连字符"));
    // The draft exists with everything typed.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM domain_applications WHERE state = 'draft'")
            .await,
        1
    );
    assert!(page.body.contains("value=\"bad name!\""));
}

#[tokio::test]
async fn overdue_first_reviews_are_highlighted() {
    let app = TestApp::spawn().await;
    let office_id = app.office("620421").await;
    let unit = app.unit("靖远县民政局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let (_, reference) = apply(&mut u, "靖远县民政局", "靖远民政").await;
    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office_id))
        .await;
    assert!(!office.get("/console/reviews").await.body.contains("已超时"));
    app.clock.advance(10 * DAY);
    let mut office2 = app.browser();
    let (name, pw, _) = app.user(Role::OfficeReviewer, None, Some(office_id)).await;
    office2.sign_in(&name, &pw).await;
    let queue = office2.get("/console/reviews").await;
    assert!(queue.body.contains(&reference));
    assert!(queue.body.contains("已超时"));
    assert!(queue.body.contains("有 1 件申请已超过审核时限"));

    // Escalated once to the office one level up (白银市), to its reviewers by e-mail.
    let city = app.office("620400").await;
    let (city_reviewer, _, _) = app.user(Role::OfficeReviewer, None, Some(city)).await;
    let now = app.clock_now();
    assert_eq!(
        registry::escalation::escalate_overdue(&app.db, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        registry::escalation::escalate_overdue(&app.db, now)
            .await
            .unwrap(),
        0,
        "only once"
    );
    let mails = app.outbox_bodies("review_overdue").await;
    assert_eq!(
        mails.len(),
        1,
        "the city's one reviewer, not the county's: {mails:?}"
    );
    assert!(mails[0].1.contains(&reference) && mails[0].1.contains("超期"));
    assert_eq!(mails[0].0, format!("{city_reviewer}@test.example"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"review_escalated".to_owned())
    );
}

/// Drives an application to registry approval directly through the registry layer.
pub(crate) async fn approved_application(
    app: &TestApp,
    unit: UnitId,
    name1: &str,
    name2: &str,
) -> govsite::store::applications::Application {
    let now = app.clock_now();
    let form = govsite_core::domain_form::DomainForm {
        contact_name: "王五".into(),
        phone: "0943-6123456".into(),
        email: "wang@test.example".into(),
        mobile: "13900000002".into(),
        address: "靖远县".into(),
        postcode: "730600".into(),
        admin_same: "1".into(),
        tech_same: "1".into(),
        name1: name1.into(),
        years1: "2".into(),
        name2: name2.into(),
        years2: "2".into(),
        plan: "resolve".into(),
        ipv4: "192.0.2.1".into(),
        ..Default::default()
    };
    let mut conn = app.db.pool().acquire().await.unwrap();
    let id = govsite::store::applications::create_draft(&mut conn, unit, "政务", &form, now)
        .await
        .unwrap();
    drop(conn);
    let actor = Actor::system("test");
    let a = govsite::store::applications::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    registry::applications::submit(&app.db, &actor, &a, now)
        .await
        .unwrap();
    for stage in [false, true] {
        let a = govsite::store::applications::find(&app.db, id)
            .await
            .unwrap()
            .unwrap();
        let decisions: Vec<_> = name_ids(app, id.get())
            .await
            .into_iter()
            .map(|name_id| registry::applications::NameDecision {
                name_id,
                verdict: govsite_core::domain_application::Verdict::Approve,
                code: String::new(),
                text: String::new(),
            })
            .collect();
        registry::applications::review(&app.db, &actor, &a, stage, &decisions, now)
            .await
            .unwrap();
    }
    govsite::store::applications::find(&app.db, id)
        .await
        .unwrap()
        .unwrap()
}

pub(crate) async fn credit(app: &TestApp, unit: UnitId, yuan: i64, txn: &str) {
    let mut conn = app.db.pool().acquire().await.unwrap();
    govsite::store::ledger::credit(
        &mut conn,
        unit,
        govsite_core::money::Money::from_yuan(yuan),
        txn,
        "测试",
        app.clock_now(),
    )
    .await
    .unwrap();
}

/// An active unit with two active names (2 years each), paid with exactly their fee at the
/// unit's region's price; returns the primary names' ids.
pub(crate) async fn active_names(app: &TestApp, unit: UnitId, n1: &str, n2: &str) -> Vec<i64> {
    let a = approved_application(app, unit, n1, n2).await;
    let fee = registry::applications::payable(&app.db, &a).await.unwrap();
    credit(app, unit, fee.fen() / 100, &format!("t-{n1}")).await;
    registry::applications::pay_and_activate(&app.db, &Actor::system("test"), &a, app.clock_now())
        .await
        .unwrap();
    sqlx::query("SELECT id FROM domains WHERE unit_id = $1 AND variant_of IS NULL ORDER BY id")
        .bind(unit.get())
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| sqlx::Row::try_get(r, "id").unwrap())
        .collect()
}

#[tokio::test]
async fn two_payments_racing_for_one_balance_never_both_succeed() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县体育局", "620421").await;
    let a1 = approved_application(&app, unit, "靖远县体育局", "靖远体育").await;
    let a2 = approved_application(&app, unit, "靖远县体育中心", "靖远县体育馆").await;
    // Enough for one application (2 names × 2 years × 100 yuan), not two.
    let mut conn = app.db.pool().acquire().await.unwrap();
    govsite::store::ledger::credit(
        &mut conn,
        unit,
        govsite_core::money::Money::from_yuan(400),
        "t1",
        "测试",
        app.clock_now(),
    )
    .await
    .unwrap();
    drop(conn);
    let actor = Actor::system("test");
    let now = app.clock_now();
    let (r1, r2) = tokio::join!(
        registry::applications::pay_and_activate(&app.db, &actor, &a1, now),
        registry::applications::pay_and_activate(&app.db, &actor, &a2, now),
    );
    let ok = [r1.is_ok(), r2.is_ok()];
    assert_eq!(
        ok.iter().filter(|x| **x).count(),
        1,
        "exactly one payment succeeds: {ok:?}"
    );
    assert_eq!(
        govsite::store::ledger::balance(&app.db, unit)
            .await
            .unwrap()
            .fen(),
        0
    );
    assert_eq!(
        govsite::store::ledger::trial_balance(&app.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM domains WHERE variant_of IS NULL")
            .await,
        2
    );
}

#[tokio::test]
async fn a_name_lives_its_whole_life_on_the_clock() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县文化馆", "620421").await;
    let a = approved_application(&app, unit, "靖远县文化馆", "靖远文化馆").await;
    let mut conn = app.db.pool().acquire().await.unwrap();
    govsite::store::ledger::credit(
        &mut conn,
        unit,
        govsite_core::money::Money::from_yuan(400),
        "t",
        "测试",
        app.clock_now(),
    )
    .await
    .unwrap();
    drop(conn);
    registry::applications::pay_and_activate(&app.db, &Actor::system("test"), &a, app.clock_now())
        .await
        .unwrap();
    let p = Periods::default();
    let app = &app;
    let state = |s: &'static str| async move {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) AS n FROM domains WHERE variant_of IS NULL AND state = $1")
            .bind(s)
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap()
    };
    let run = || async {
        registry::lifecycle::pass(&app.db, app.clock_now(), p)
            .await
            .unwrap()
    };

    assert_eq!(run().await.transitions, 0);
    // Two years on, 90 days before expiry: one reminder per name, once.
    app.clock.advance(2 * 365 * DAY - 85 * DAY);
    assert_eq!(run().await.reminders, 2);
    assert_eq!(run().await.reminders, 0);
    assert!(
        app.outbox_bodies("domain_expiry_reminder")
            .await
            .iter()
            .any(|(_, body, _)| body.contains("天后到期"))
    );
    app.clock.advance(100 * DAY);
    assert_eq!(run().await.transitions, 2);
    assert_eq!(state("expired").await, 2);
    // RDAP still answers during protection, with the pending-delete status.
    let mut anon = app.browser();
    let json: serde_json::Value =
        serde_json::from_str(&anon.get("/rdap/domain/靖远县文化馆.政务").await.body).unwrap();
    assert_eq!(json["status"][1], "pending delete");
    app.clock.advance(31 * DAY);
    run().await;
    assert_eq!(state("suspended").await, 2);
    app.clock.advance(31 * DAY);
    run().await;
    assert_eq!(state("deleted").await, 2);
    assert_eq!(
        anon.get("/rdap/domain/靖远县文化馆.政务").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'domain_state_changed'")
            .await
            >= 6
    );
    assert!(!app.outbox_bodies("domain_state").await.is_empty());
}

#[tokio::test]
async fn a_public_institution_with_administrative_functions_may_ask_for_zhengwu() {
    let app = TestApp::spawn().await;
    let office_id = app.office("620421").await;
    let unit = app
        .unit_of_type("靖远县农业技术推广中心", "620421", "public_institution")
        .await;
    let (mut b, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let form = b.get("/portal/domains/new").await;
    assert!(
        form.body.contains(".公益（") || form.body.contains("域名后缀"),
        "{}",
        form.body
    );

    // By default its names are .公益.
    let mut fields = application_fields("靖远县农业技术推广中心", "靖远农技中心");
    fields.push(("step", "check"));
    let check = b.post_follow("/portal/domains/new", &fields).await;
    assert!(check.body.contains("靖远农技中心.公益"), "{}", check.body);

    // .政务 needs the basis of its administrative functions.
    let mut fields = application_fields("靖远县农业技术推广中心", "靖远农技中心");
    fields.extend([("suffix_choice", "政务"), ("step", "check")]);
    let refused = b.post_follow("/portal/domains/new", &fields).await;
    assert!(refused.title().starts_with("错误："), "{}", refused.body);
    assert!(
        refused.body.contains("请输入承担行政职能的依据"),
        "{}",
        refused.body
    );

    let mut fields = application_fields("靖远县农业技术推广中心", "靖远农技中心");
    fields.extend([
        ("suffix_choice", "政务"),
        ("admin_proof", "靖政发〔2015〕12号"),
        ("step", "check"),
    ]);
    let check = b.post_follow("/portal/domains/new", &fields).await;
    assert!(check.title().starts_with("请核对"), "{}", check.body);
    assert!(check.body.contains("靖远农技中心.政务"));
    let marker = "/portal/domains/applications/";
    let start = check.body.find(marker).unwrap() + marker.len();
    let id: String = check.body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let done = b
        .post_follow(&format!("/portal/domains/applications/{id}/submit"), &[])
        .await;
    assert!(done.title().starts_with("申请已提交"), "{}", done.body);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM domain_applications WHERE suffix = '政务' AND state = 'submitted'"
        )
        .await,
        1
    );
    // The reviewer sees the basis to verify.
    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office_id))
        .await;
    let review = office.get(&format!("/console/reviews/{id}")).await;
    assert!(review.body.contains("请核实证明材料"), "{}", review.body);
    assert!(review.body.contains("靖政发〔2015〕12号"));

    // A government unit forging the choice changes nothing: its suffix is .政务 anyway, and a
    // public institution's choice is the only way to .政务 for it.
    let gov = app.unit("靖远县气象局", "620421").await;
    let (mut g, _) = app.signed_in(Role::Unit, Some(gov), None).await;
    let page = g.get("/portal/domains/new").await;
    assert!(!page.body.contains("承担行政职能的依据"));
}
