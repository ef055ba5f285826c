//! The 编办's workbench (issue 14, the parts built so far): the office's own details shown to
//! its units where they bring paper and ask for help; contacts masked on the unit's page with
//! 「显示完整」 revealing one contact for one person, audited; the unit's page with its names,
//! applications, sites, balance and timeline.

use govsite_core::role::Role;
use reqwest::StatusCode;
use sqlx::Row;

use crate::helpers::TestApp;
use crate::sites::{fields, fill, review, submit};

#[tokio::test]
async fn an_office_says_where_it_is_and_its_units_are_told_where_to_bring_paper() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let (mut o, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let page = o.get("/console/office").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body.matches("aria-current=\"page\"").count(), 1);

    let bad = o
        .post(
            "/console/office",
            &[
                ("address", ""),
                ("contact_name", ""),
                ("contact_phone", "12"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.title().starts_with("错误"));
    assert!(bad.body.contains("请输入联系地址") && bad.body.contains("请输入联系人"));
    let saved = o
        .post(
            "/console/office",
            &[
                ("address", "靖远县新统办大楼4楼"),
                ("room", "0427房间"),
                ("contact_name", "编办值班员"),
                ("contact_phone", "0943-6120427"),
                ("hours", "工作日 8:30—18:00"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location.as_deref(), Some("/console/office?saved=1"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"office_details_updated".to_owned())
    );

    // Its unit sees the address on the help page and on the paper step.
    let unit = app.unit("靖远县教育局", "620421").await;
    let (mut u, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let help = u.get("/help").await;
    assert!(
        help.body.contains("靖远县新统办大楼4楼 0427房间"),
        "{}",
        help.body
    );
    assert!(help.body.contains("0943-6120427"));
    let id = fill(&mut u, &fields("red_page", "靖远县教育局网络红页", "")).await;
    submit(&mut u, id).await;
    review(&mut o, id, &[("decision", "approve")]).await;
    let (mut r, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    review(&mut r, id, &[("decision", "approve")]).await;
    let paper = u.get(&format!("/portal/sites/applications/{id}")).await;
    assert!(paper.body.contains("报送地点"), "{}", paper.body);
    assert!(paper.body.contains("靖远县新统办大楼4楼 0427房间"));

    // Another county's unit is not told this office's address; the registry has no office page.
    let far = app.unit("平川区教育局", "620403").await;
    let (mut f, _) = app.signed_in(Role::Unit, Some(far), None).await;
    assert!(!f.get("/help").await.body.contains("0427房间"));
    assert_eq!(r.get("/console/office").await.status, StatusCode::FORBIDDEN);
    app.shutdown().await.unwrap();
}

#[tokio::test]
async fn contacts_are_masked_and_one_is_revealed_to_one_person_with_an_audit_row() {
    let app = TestApp::spawn().await;
    let office = app.office("620421").await;
    let unit = app.unit("靖远县水务局", "620421").await;
    let (mut o, clerk) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    let path = format!("/console/units/{unit}");
    let page = o.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("13900000002"),
        "the handler's mobile is masked"
    );
    assert!(page.body.contains("139****0002"));
    assert!(page.body.contains("显示完整"));
    assert!(page.body.contains("账户余额") && page.body.contains("操作记录"));

    let bad = o
        .post(&format!("{path}/reveal"), &[("field", "password")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let shown = o
        .post(&format!("{path}/reveal"), &[("field", "handler_mobile")])
        .await;
    assert_eq!(shown.status, StatusCode::SEE_OTHER, "{}", shown.body);
    let page = o.get(&path).await;
    assert!(
        page.body.contains("13900000002"),
        "revealed to the clerk who asked"
    );
    assert!(
        !page.body.contains("wang@test.example"),
        "only that contact"
    );
    let row = sqlx::query(
        "SELECT actor, reason FROM audit_events WHERE action = 'contact_revealed' AND subject_id = $1",
    )
    .bind(unit.to_string())
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(row.try_get::<String, _>("actor").unwrap(), clerk);
    let reason: String = row.try_get("reason").unwrap();
    assert_eq!(reason, "经办人手机");
    assert!(
        !reason.contains("139"),
        "the audit names the contact, never its value"
    );

    // Another clerk of the same office still sees it masked; another region sees nothing.
    let (mut other, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(office))
        .await;
    assert!(!other.get(&path).await.body.contains("13900000002"));
    let far_office = app.office("620403").await;
    let (mut far, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(far_office))
        .await;
    assert_eq!(far.get(&path).await.status, StatusCode::NOT_FOUND);
    let refused = far
        .post(&format!("{path}/reveal"), &[("field", "handler_mobile")])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    // The reveal lasts fifteen minutes.
    app.clock.advance(16 * 60);
    assert!(!o.get(&path).await.body.contains("13900000002"));
    app.shutdown().await.unwrap();
}
