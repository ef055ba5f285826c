//! The audit trail: every decision recorded, readable by auditors with filters, never edited.

use govsite_core::role::Role;
use reqwest::StatusCode;
use sqlx::Row;

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

/// Turns the append-only triggers off, as someone with the database's own password could.
async fn tamper(app: &crate::helpers::TestApp, sql: &str) {
    let off = match app.backend() {
        govsite::store::Backend::Sqlite => {
            "DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;"
        }
        govsite::store::Backend::Postgres => {
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change;"
        }
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("{off} {sql}")))
        .execute(app.db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_audit_chain_names_the_row_changed_or_deleted_behind_the_services_back() {
    use govsite::registry::audit_chain::{self, Algorithm, Break};
    let app = crate::helpers::TestApp::spawn().await;
    for _ in 0..3 {
        app.signed_in(Role::RegistryReviewer, None, None).await;
    }
    let now = app.clock_now();
    // (The service seals every few seconds too; either way every row ends up sealed.)
    audit_chain::seal(&app.db, Algorithm::Sm3, now)
        .await
        .unwrap();
    let rows = app.count("SELECT COUNT(*) AS n FROM audit_events").await;
    assert!(rows >= 3);
    let v = audit_chain::verify(&app.db).await.unwrap();
    assert_eq!((v.broken, v.checked as i64), (None, rows));
    // New rows join with the other hash; the chain holds both.
    app.signed_in(Role::Auditor, None, None).await;
    audit_chain::seal(&app.db, Algorithm::Sha256, now)
        .await
        .unwrap();
    assert!(audit_chain::verify(&app.db).await.unwrap().broken.is_none());

    // A reason rewritten: the chain breaks at that row.
    let (id, reason): (i64, String) = {
        let r = sqlx::query("SELECT id, reason FROM audit_events ORDER BY id LIMIT 1 OFFSET 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        (r.get("id"), r.get("reason"))
    };
    tamper(
        &app,
        &format!("UPDATE audit_events SET reason = '已审核' WHERE id = {id}"),
    )
    .await;
    let v = audit_chain::verify(&app.db).await.unwrap();
    let (entry, why) = v.broken.expect("found");
    assert_eq!((entry.audit_id, why, v.checked), (id, Break::Changed, 1));
    // The auditor sees the same in the console, and the command line says it and fails.
    let (mut auditor, _) = app.signed_in(Role::Auditor, None, None).await;
    let checked = auditor.post("/admin/audit/verify", &[]).await;
    let to = checked.location.clone().unwrap();
    assert!(to.starts_with("/admin/audit?verified=changed"), "{to}");
    let page = auditor.get(&to).await;
    assert!(
        page.body.contains(&format!("审计记录 #{id} 处断开")),
        "{}",
        page.body
    );
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_govsite"))
        .args(["audit", "verify", "--database-url", &app.url])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("#{id}")));

    // Put back as it was, the chain holds again: the content is what is checked.
    tamper(
        &app,
        &format!("UPDATE audit_events SET reason = '{reason}' WHERE id = {id}"),
    )
    .await;
    assert!(audit_chain::verify(&app.db).await.unwrap().broken.is_none());
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_govsite"))
        .args(["audit", "verify", "--database-url", &app.url])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("审计链完好"));

    // A row deleted: named too.
    tamper(&app, &format!("DELETE FROM audit_events WHERE id = {id}")).await;
    let (entry, why) = audit_chain::verify(&app.db).await.unwrap().broken.unwrap();
    assert_eq!((entry.audit_id, why), (id, Break::Deleted));
    app.shutdown().await.unwrap();
}
