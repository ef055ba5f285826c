//! The audit trail: every decision recorded, readable by auditors with filters, never edited.

use govsite_core::role::Role;
use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_audit_trail_cannot_be_changed_or_deleted() {
    let app = TestApp::spawn().await;
    let (mut b, _) = app.signed_in(Role::Admin, None, None).await;
    b.post(
        "/admin/calendar",
        &[("day", "2027-01-01"), ("kind", "holiday"), ("name", "元旦")],
    )
    .await;
    let before = app.count("SELECT COUNT(*) FROM audit_events").await;
    assert!(before >= 2);
    assert!(
        sqlx::query("UPDATE audit_events SET reason = 'x'")
            .execute(app.db.pool())
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_events")
            .execute(app.db.pool())
            .await
            .is_err()
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, before);
}

#[tokio::test]
async fn auditors_filter_the_trail() {
    let app = TestApp::spawn().await;
    let (mut admin, admin_name) = app.signed_in(Role::Admin, None, None).await;
    admin
        .post(
            "/admin/calendar",
            &[("day", "2027-01-01"), ("kind", "holiday"), ("name", "元旦")],
        )
        .await;
    admin
        .post(
            "/admin/calendar",
            &[("day", "2027-02-06"), ("kind", "workday"), ("name", "春节")],
        )
        .await;
    let mut wrong = app.browser();
    wrong.sign_in("someone", "bad password x").await;

    let (mut auditor, _) = app.signed_in(Role::Auditor, None, None).await;
    let all = auditor.get("/admin/audit").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("<td>设置工作日历</td>"));
    assert!(all.body.contains("<td>登录失败</td>"));
    let filtered = auditor.get("/admin/audit?action=calendar_day_set").await;
    assert!(filtered.body.contains("共 2 条记录"), "{}", filtered.body);
    assert!(
        filtered.body.contains("按周末休息 → 调休上班"),
        "states in Chinese: {}",
        filtered.body
    );
    assert!(all.body.contains("<option value=\"domain\">域名</option>"));
    assert!(!filtered.body.contains("<td>登录失败</td>"));
    let by_actor = auditor
        .get(&format!("/admin/audit?actor={admin_name}&action=sign_in"))
        .await;
    assert!(by_actor.body.contains("共 1 条记录"));
    let by_day = auditor.get("/admin/audit?subject_id=2027-01-01").await;
    assert!(by_day.body.contains("共 1 条记录"));
    let future = auditor.get("/admin/audit?since=2099-01-01").await;
    assert!(future.body.contains("共 0 条记录"));
}

#[tokio::test]
async fn calendar_edits_change_working_days() {
    let app = TestApp::spawn().await;
    let (mut admin, _) = app.signed_in(Role::Admin, None, None).await;
    let page = admin
        .post(
            "/admin/calendar",
            &[("day", "2027-13-01"), ("kind", "holiday"), ("name", "")],
        )
        .await;
    assert!(page.title().starts_with("错误："));
    assert!(page.body.contains("请按 2027-01-01 的格式输入日期"));
    let page = admin
        .post(
            "/admin/calendar",
            &[("day", "2027-01-01"), ("kind", "holiday"), ("name", "元旦")],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/admin/calendar?year=2027"));
    let cal = govsite::store::calendar::load(&app.db).await.unwrap();
    let d = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    assert!(!cal.is_working_day(d));
    admin
        .post(
            "/admin/calendar",
            &[("day", "2027-01-01"), ("kind", "clear"), ("name", "")],
        )
        .await;
    let cal = govsite::store::calendar::load(&app.db).await.unwrap();
    assert!(cal.is_working_day(d));
    assert!(
        admin
            .get("/admin/calendar?year=2026")
            .await
            .body
            .contains("2026-10-10")
    );
}
