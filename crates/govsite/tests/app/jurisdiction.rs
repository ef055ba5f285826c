//! A 编办 sees and reaches only the units of its own region, whatever the URL says.

use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn an_office_sees_only_its_own_region() {
    let app = TestApp::spawn().await;
    let jingyuan = app.office("620421").await;
    let own = app.unit("靖远县交通运输局", "620421").await;
    let foreign = app.unit("会宁县交通运输局", "620422").await;
    for i in 0..25 {
        app.unit(&format!("靖远县第{i:02}测试单位"), "620421").await;
    }
    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(jingyuan))
        .await;

    let list = office.get("/console/units").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("共 26 个单位"), "{}", list.body);
    assert!(list.body.contains("第 1 页，共 2 页"));
    assert!(!list.body.contains("会宁县"));
    let page2 = office.get("/console/units?q=&page=2").await;
    assert!(page2.body.contains("第 2 页，共 2 页"));
    let search = office.get("/console/units?q=%E4%BA%A4%E9%80%9A").await; // 交通
    assert!(search.body.contains("靖远县交通运输局"));
    assert!(!search.body.contains("会宁县交通运输局"));

    assert_eq!(
        office.get(&format!("/console/units/{own}")).await.status,
        StatusCode::OK
    );
    // Another county's unit does not exist for this office, by URL or otherwise.
    let other = office.get(&format!("/console/units/{foreign}")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(!other.body.contains("会宁县"));

    // The registry sees everything.
    let (mut registry, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    assert!(
        registry
            .get("/console/units")
            .await
            .body
            .contains("共 27 个单位")
    );
    assert_eq!(
        registry
            .get(&format!("/console/units/{foreign}"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_city_office_does_not_see_county_units() {
    let app = TestApp::spawn().await;
    let baiyin = app.office("620400").await;
    app.unit("靖远县卫生局", "620421").await;
    let city_unit = app.unit("白银市卫生健康委员会", "620400").await;
    let (mut office, _) = app
        .signed_in(Role::OfficeReviewer, None, Some(baiyin))
        .await;
    let list = office.get("/console/units").await;
    assert!(list.body.contains("白银市卫生健康委员会"));
    assert!(!list.body.contains("靖远县卫生局"));
    assert_eq!(
        office
            .get(&format!("/console/units/{city_unit}"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn roles_reach_only_their_pages() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县档案局", "620421").await;
    let other_unit = app.unit("靖远县气象局", "620421").await;
    let (mut unit_user, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    for path in [
        "/console/units",
        "/admin/accounts",
        "/admin/audit",
        "/admin/outbox",
        "/admin/calendar",
    ] {
        assert_eq!(
            unit_user.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        unit_user
            .get(&format!("/console/units/{other_unit}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A unit user's portal shows its own unit only; there is no id in the URL to change.
    assert!(
        unit_user
            .get("/portal/unit")
            .await
            .body
            .contains("靖远县档案局")
    );
    // Posting another unit's details cannot reach it: the portal edits the signed-in unit.
    let (mut auditor, _) = app.signed_in(Role::Auditor, None, None).await;
    assert_eq!(auditor.get("/admin/audit").await.status, StatusCode::OK);
    assert_eq!(
        auditor.get("/console/units").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        auditor.get("/admin/accounts").await.status,
        StatusCode::FORBIDDEN
    );
    let page = auditor
        .post(
            "/admin/calendar",
            &[("day", "2027-01-01"), ("kind", "holiday"), ("name", "元旦")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // Signed-out visitors are sent to sign in.
    let mut anon = app.browser();
    let page = anon.get("/portal/unit").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().starts_with("/login?next="));
}

#[tokio::test]
async fn a_unit_cannot_move_itself_by_editing_form_fields() {
    let app = TestApp::spawn().await;
    let unit = app.unit("靖远县水务局", "620421").await;
    let (mut b, _) = app.signed_in(Role::Unit, Some(unit), None).await;
    let edit = b.get("/portal/unit/edit").await;
    let mut fields: Vec<(String, String)> = crate::helpers::input_values(&edit.body)
        .into_iter()
        .filter(|(k, _)| k != "csrf_token")
        .collect();
    fields.push(("functions".into(), "负责水务。".into()));
    // Fields the page does not offer, added by hand.
    fields.push(("region_code".into(), "620422".into()));
    fields.push(("name".into(), "会宁县水务局".into()));
    fields.push(("org_type".into(), "public_institution".into()));
    let page = b.post_owned("/portal/unit/edit", &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM units WHERE name = '靖远县水务局' AND region_code = 620421 AND org_type = 'government'").await, 1);
}

#[tokio::test]
async fn search_ignores_letter_case_on_both_engines() {
    let app = TestApp::spawn().await;
    app.unit("靖远县GIS中心", "620421").await;
    let (mut registry, _) = app.signed_in(Role::RegistryReviewer, None, None).await;
    assert!(
        registry
            .get("/console/units?q=gis")
            .await
            .body
            .contains("靖远县GIS中心")
    );
}
