//! Registered names after activation: renewal from the portal, change of records, and the
//! staff's stop and restoration of resolution, each within jurisdiction and audited.

use govsite::registry;
use govsite_core::domain_lifecycle::{DAY, Periods};
use govsite_core::money::Money;
use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::domains::{active_names, credit};
use crate::helpers::TestApp;

async fn domain(app: &TestApp, id: i64) -> govsite::store::domains::Domain {
    let id = govsite_core::ids::DomainId::new(id);
    govsite::store::domains::find(&app.db, id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_unit_renews_picked_names_once_even_when_it_clicks_twice() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县林业局", "620421").await;
    let ids = active_names(&app, unit, "靖远县林业局", "靖远林业").await;

    // Past expiry, inside the protection period: still renewable, and it resolves again.
    app.clock.advance(2 * 365 * DAY + 5 * DAY);
    registry::lifecycle::pass(&app.db, app.clock_now(), Periods::default())
        .await
        .unwrap();
    let (mut b, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    assert_eq!(domain(&app, ids[0]).await.state.as_str(), "expired");
    let overview = b.get("/portal/domains").await;
    assert!(overview.body.contains("到期提醒"), "{}", overview.body);
    assert!(overview.body.contains("请及时续费"));

    let first = format!("years_{}", ids[0]);
    // The fee is shown before anything is paid: 1 name × 3 years × 100 yuan (poverty tier).
    let check = b
        .post(
            "/portal/domains/renew",
            &[(first.as_str(), "3"), ("step", "check")],
        )
        .await;
    assert!(check.title().starts_with("请核对续费"), "{}", check.body);
    assert!(
        check.body.contains("应缴合计 <strong>300.00 元</strong>"),
        "{}",
        check.body
    );
    // Short of money (the balance is 0 after activation): no pay button.
    assert!(check.body.contains("余额不足"));
    credit(&app, unit, 300, "t-renew").await;
    let before = domain(&app, ids[0]).await.expires_at;
    let seen_key = format!("seen_{}", ids[0]);
    let seen = before.to_string();
    let confirm = [
        (first.as_str(), "3"),
        (seen_key.as_str(), seen.as_str()),
        ("step", "pay"),
    ];
    let asked = app.clock_now();
    let paid = b.post("/portal/domains/renew", &confirm).await;
    let answered = app.clock_now();
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);
    let renewed = domain(&app, ids[0]).await;
    assert_eq!(renewed.state.as_str(), "active");
    // Counted from the moment of payment (the clock may tick during the request).
    let years = |t| govsite_core::domain_lifecycle::add_years(t, 3);
    assert!(
        (years(asked)..=years(answered)).contains(&renewed.expires_at),
        "counted from today, since the name had expired: {} not in {}..={}",
        renewed.expires_at,
        years(asked),
        years(answered)
    );
    assert!(renewed.expires_at > before);
    // The traditional variant follows its name.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM domains WHERE variant_of IS NOT NULL AND state = 'expired'"
        )
        .await,
        1,
        "only the variant of the name not renewed stays expired"
    );
    // A second click of the same confirmation is refused and charges nothing.
    credit(&app, unit, 300, "t-renew-2").await;
    let again = b.post("/portal/domains/renew", &confirm).await;
    assert!(again.body.contains("请刷新后重试"), "{}", again.body);
    assert_eq!(
        govsite::store::ledger::balance(&app.db, unit)
            .await
            .unwrap(),
        Money::from_yuan(300)
    );
    assert_eq!(
        govsite::store::ledger::trial_balance(&app.db)
            .await
            .unwrap(),
        0
    );

    // Never more than ten years ahead in total.
    let too_far = b
        .post(
            "/portal/domains/renew",
            &[(first.as_str(), "8"), ("step", "check")],
        )
        .await;
    assert!(
        too_far.body.contains("不能超过今天起10年"),
        "{}",
        too_far.body
    );
    // Terms outside 2–10 and nothing picked are plain errors.
    let bad = b
        .post(
            "/portal/domains/renew",
            &[(first.as_str(), "11"), ("step", "check")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let none = b.post("/portal/domains/renew", &[("step", "check")]).await;
    assert!(none.body.contains("请选择要续费的域名"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"domain_renewed".to_owned())
    );

    // Another unit's name cannot be renewed or even seen.
    let other = app.unit("平川区林业局", "620403").await;
    let other_ids = active_names(&app, other, "平川区林业局", "平川林业").await;
    let foreign = format!("years_{}", other_ids[0]);
    let r = b
        .post(
            "/portal/domains/renew",
            &[(foreign.as_str(), "2"), ("step", "check")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        b.get(&format!("/portal/domains/{}", other_ids[0]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_unit_changes_how_its_name_resolves() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县水务局", "620421").await;
    let ids = active_names(&app, unit, "靖远县水务局", "靖远水务").await;
    let (mut b, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let path = format!("/portal/domains/{}/records", ids[0]);

    let page = b.get(&format!("/portal/domains/{}", ids[0])).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("value=\"192.0.2.1\""),
        "prefilled from the records"
    );

    let bad = b
        .post(&path, &[("plan", "resolve"), ("ipv4", "10.0.0.1")])
        .await;
    assert!(bad.title().starts_with("错误："), "{}", bad.body);
    assert!(bad.body.contains("公网地址"));
    assert!(
        bad.body.contains("value=\"10.0.0.1\""),
        "what was typed is kept"
    );
    assert_eq!(
        domain(&app, ids[0]).await.ipv4,
        "192.0.2.1",
        "nothing stored"
    );

    let ok = b
        .post_follow(
            &path,
            &[
                ("plan", "resolve"),
                ("ipv4", "198.51.100.7"),
                ("ipv6", "2001:db8::7"),
            ],
        )
        .await;
    assert!(ok.body.contains("立即生效"), "{}", ok.body);
    let d = domain(&app, ids[0]).await;
    assert_eq!(
        (d.ipv4.as_str(), d.ipv6.as_str()),
        ("198.51.100.7", "2001:db8::7")
    );

    let fwd = b
        .post(
            &path,
            &[
                ("plan", "forward"),
                ("forward_url", "https://www.jingyuan.gov.cn/"),
            ],
        )
        .await;
    assert_eq!(fwd.status, StatusCode::SEE_OTHER, "post/redirect/get");
    let d = domain(&app, ids[0]).await;
    assert_eq!(d.plan, "forward");
    assert_eq!(d.ipv4, "", "the old addresses are gone");

    let ns = b
        .post(
            &path,
            &[
                ("plan", "delegate"),
                ("ns1", "ns1.靖远县水务局.政务"),
                ("ns2", "ns2.example.cn"),
            ],
        )
        .await;
    assert!(
        ns.body.contains("胶水记录"),
        "glue is needed inside our zones: {}",
        ns.body
    );
    assert_eq!(domain(&app, ids[0]).await.plan, "forward");

    let history = b.get(&format!("/portal/domains/{}", ids[0])).await;
    assert!(history.body.contains("修改域名解析"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'domain_records_changed'")
            .await,
        2
    );
}

/// Who may lift a hold: the registry any; an office the holds an office placed, never the
/// registry's (content, legal): the hold stays and the office is told why.
#[tokio::test]
async fn an_office_cannot_lift_a_hold_the_registry_placed() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县教育局", "620421").await;
    let ids = active_names(&app, unit, "靖远县教育局", "靖远教育").await;
    let jy = app.office("620421").await;
    let (mut office, _) = app.signed_in(Role::OfficeReviewer, None, Some(jy)).await;
    let (mut registry_b, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let hold = format!("/console/domains/{}/hold", ids[0]);
    let place = [
        ("action", "hold"),
        ("reason_code", "content"),
        ("reason", "首页刊载违法信息"),
    ];
    let held = registry_b.post(&hold, &place).await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    assert_eq!(domain(&app, ids[0]).await.held_by, "registry");
    let refused = office
        .post(&hold, &[("action", "release"), ("reason", "已整改")])
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert!(
        refused.body.contains("须由注册管理中心恢复"),
        "{}",
        refused.body
    );
    assert!(domain(&app, ids[0]).await.held, "the registry's hold stays");
    let released = registry_b
        .post(
            &hold,
            &[("action", "release"), ("reason", "已删除违法信息")],
        )
        .await;
    assert_eq!(released.status, StatusCode::SEE_OTHER);
    let d = domain(&app, ids[0]).await;
    assert!(!d.held && d.held_by.is_empty());

    // The office's own hold: the office lifts it.
    let mine = office
        .post(
            &hold,
            &[
                ("action", "hold"),
                ("reason_code", "badge"),
                ("reason", "逾期未挂标"),
            ],
        )
        .await;
    assert_eq!(mine.status, StatusCode::SEE_OTHER);
    assert_eq!(domain(&app, ids[0]).await.held_by, "office");
    let lifted = office
        .post(&hold, &[("action", "release"), ("reason", "已挂标")])
        .await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER, "{}", lifted.body);
    assert!(!domain(&app, ids[0]).await.held);
}

#[tokio::test]
async fn offices_stop_and_restore_resolution_in_their_own_region_only() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县教育局", "620421").await;
    let ids = active_names(&app, unit, "靖远县教育局", "靖远教育").await;
    let jy = app.office("620421").await;
    let py = app.office("620403").await;
    let (mut office, _) = app.signed_in(Role::OfficeReviewer, None, Some(jy)).await;
    let (mut stranger, _) = app.signed_in(Role::OfficeReviewer, None, Some(py)).await;
    let hold = format!("/console/domains/{}/hold", ids[0]);

    let list = office.get("/console/domains?state=active").await;
    assert!(list.body.contains("靖远县教育局.政务"), "{}", list.body);
    let theirs = stranger.get("/console/domains").await;
    assert!(!theirs.body.contains("靖远县教育局"));
    assert_eq!(
        stranger
            .get(&format!("/console/domains/{}", ids[0]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let forged = stranger
        .post(
            &hold,
            &[
                ("action", "hold"),
                ("reason_code", "campaign"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);

    // A reason is required.
    let no_reason = office
        .post(&hold, &[("action", "hold"), ("reason_code", "campaign")])
        .await;
    assert!(no_reason.body.contains("请填写停止解析的具体原因"));
    assert!(!domain(&app, ids[0]).await.held);

    let held = office
        .post(
            &hold,
            &[
                ("action", "hold"),
                ("reason_code", "campaign"),
                ("reason", "未在4月15日前提交资格复核"),
            ],
        )
        .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.body);
    let d = domain(&app, ids[0]).await;
    assert!(d.held);
    assert_eq!(
        d.state.as_str(),
        "suspended",
        "effective at once, not at the next worker pass"
    );
    assert!(
        d.hold_reason
            .starts_with("未按期完成网站开办审核或资格复核：")
    );
    // The worker leaves a held name suspended.
    registry::lifecycle::pass(&app.db, app.clock_now(), Periods::default())
        .await
        .unwrap();
    assert_eq!(domain(&app, ids[0]).await.state.as_str(), "suspended");
    assert!(
        app.outbox_bodies("domain_state")
            .await
            .iter()
            .any(|(_, body, _)| body.contains("已被停止解析"))
    );
    let held_list = office.get("/console/domains?state=held").await;
    assert!(held_list.body.contains("靖远县教育局.政务"));
    assert!(!held_list.body.contains("靖远教育.政务"));

    // The registry restores it.
    let (mut registry_b, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    let released = registry_b
        .post(&hold, &[("action", "release"), ("reason", "已整改")])
        .await;
    assert_eq!(released.status, StatusCode::SEE_OTHER, "{}", released.body);
    let d = domain(&app, ids[0]).await;
    assert!(!d.held);
    assert_eq!(d.state.as_str(), "active");
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"domain_held".to_owned()));
    assert!(actions.contains(&"domain_released".to_owned()));

    // Units and finance cannot act on names.
    let (mut finance, _) = app.signed_in(Role::Finance, None, None).await;
    let r = finance
        .post(
            &hold,
            &[
                ("action", "hold"),
                ("reason_code", "other"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
